"""plan-kg's exceptions. The library raises them; only the CLI turns one into `Error: ...` and an exit code."""

from __future__ import annotations

from typing import Any


class KgError(Exception):
    """Root of every error plan-kg raises on purpose."""

    exit_code = 1


class UsageError(KgError):
    """The input or the options are not valid; nothing was done."""

    exit_code = 2


class ParseError(UsageError):
    """A line of the plan text could not be placed in the model."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source, self.line, self.message = source, line, message
        super().__init__(f"{source}:{line}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as made (a forked process hands its error back so)
        return (type(self), (self.source, self.line, self.message))


class ValidationError(UsageError):
    """The seed overlays are inconsistent; every problem is listed as file:line: message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s) in the seed data"
        super().__init__(head + ":\n" + "\n".join(problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


class NotFoundError(UsageError):
    """A named entity does not exist, or a name matches several; the message lists candidates."""


class QueryError(UsageError):
    """A named query is unknown, badly declared, or was given the wrong parameters."""


class ReadOnlyError(UsageError):
    """User-supplied Cypher tried to write; it was refused and nothing changed."""


class OutputError(UsageError):
    """An output path (-o) cannot be written as given: a folder, under a file, not writable; nothing was written."""


class QueryLimitError(UsageError):
    """A query ran past its timeout or the store's memory bound; it was stopped and nothing changed."""


class StoreError(KgError):
    """The graph store could not be reached, opened or written."""


class LockedError(KgError):
    """Another process is writing the same store or pack; nothing was done."""


class IntegrityError(KgError):
    """The store file was changed outside `kg build`; it is not read."""


class LedgerError(UsageError):
    """Returned ledger sheets have invalid rows; every problem is listed as file:sheet:row: message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s) in the returned ledger, nothing imported"
        super().__init__(head + ":\n" + "\n".join(problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))
