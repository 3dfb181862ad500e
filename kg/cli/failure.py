"""The one place a failure becomes what the user sees: one `Error: ...` line on stderr and exit 1 or 2, never a
traceback. `KgError`s carry their own message and code; the expected failures of the libraries underneath
(files, text, YAML, memory, nesting, the store drivers) are named here; anything else is still one line, with
`KG_DEBUG=1` to see the traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any

from typer.core import TyperGroup

from kg.errors import KgError, ValidationError

_BAD_PATH = (errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EEXIST, errno.ENAMETOOLONG,
             errno.ELOOP, errno.EROFS)


def one_line(text: str) -> str:
    """Line breaks in a message from elsewhere (a driver, a parser) folded, so the error stays one line."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip()) or "(no message)"


def describe(exc: BaseException) -> tuple[str, int]:
    """(the message after `Error: `, the exit code) for an exception that reached the top."""
    module = type(exc).__module__ or ""
    if isinstance(exc, ValidationError):
        return str(exc), exc.exit_code  # the one message of several lines: every problem, one per line
    if isinstance(exc, KgError):
        return one_line(str(exc)), exc.exit_code
    if isinstance(exc, MemoryError):
        return "out of memory (is the store file damaged? `kg build` rebuilds it)", 1
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply (valid: a few levels of lists or mappings)", 2
    if isinstance(exc, UnicodeError):
        return f"not valid text ({one_line(str(exc))}; valid: UTF-8 or GB18030)", 2
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or one_line(str(exc))}", 2 if exc.errno in _BAD_PATH else 1
    if module.split(".")[0] == "yaml":
        return f"not valid YAML ({one_line(str(exc))})", 2
    if module.split(".")[0] == "neo4j":
        return f"Neo4j: {type(exc).__name__}: {one_line(str(exc))}", 1
    if isinstance(exc, ImportError):
        return f"a module is missing ({one_line(str(exc))}); reinstall plan-kg (make .venv/.installed-stamp)", 1
    if isinstance(exc, ValueError):
        return f"not a valid value ({one_line(str(exc))})", 2
    if isinstance(exc, RuntimeError):  # the embedded store reports its failures as RuntimeError
        return f"{one_line(str(exc))}", 1
    return f"unexpected {type(exc).__name__}: {one_line(str(exc))} (please report it; KG_DEBUG=1 shows where)", 1


def redacted(message: str) -> str:
    """`message` with the Neo4j password of the environment, and any user:password@ of a URI, as ***: whatever
    failed, a secret is never printed (kg.stores.base.redact, the helper the stores use too)."""
    from kg.stores.base import StoreSettings, redact

    settings = StoreSettings(kind="neo4j", uri=os.environ.get("NEO4J_URI"), password=os.environ.get("NEO4J_PASSWORD"))
    return redact(message, settings.secrets())


def fail(message: str, code: int) -> None:
    from kg.i18n import _, translate
    from kg.output import visible

    message = redacted(message)
    record(message)
    sys.stderr.write(f"{_('Error: ')}{visible(translate(message))}\n")
    sys.stderr.flush()
    sys.exit(code)


def record(message: str) -> None:
    """With KG_MESSAGE_LOG set (the test session sets it), keep each error shown, so the tests can check that
    every message a user can meet has its Chinese."""
    import json

    log = os.environ.get("KG_MESSAGE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(message, ensure_ascii=False) + "\n")


class KgGroup(TyperGroup):
    """The `kg` group: click's usage errors in one line too, and every failure through `describe`."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        from typer._click import exceptions as click_errors
        from typer.exceptions import Abort

        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False,
                                  windows_expand_args=windows_expand_args, **extra)
        except click_errors.NoArgsIsHelpError as e:  # `kg` alone: the help, as before
            e.show()
            sys.exit(e.exit_code)
        except click_errors.UsageError as e:
            where = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
            fail(one_line(e.format_message()) + where, e.exit_code)
        except click_errors.ClickException as e:
            fail(one_line(e.format_message()), e.exit_code)
        except Abort:
            fail("aborted", 1)
        except BrokenPipeError:  # `kg export -o - | head`: the reader left; say nothing more on a closed pipe
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as e:
            if os.environ.get("KG_DEBUG"):
                raise
            fail(*describe(e))
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)
