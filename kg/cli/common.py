"""What every command group shares: the app, the error wrapper, the common options, store and output helpers.

Exit codes: 0 success, 1 runtime error, 2 bad usage or invalid input. Errors are one line on stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from kg.cli.translated import Command, Group
from kg.i18n import translate

app = typer.Typer(
    name="kg",
    help="plan-kg: a government development plan as a knowledge graph you can question and show.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    cls=Group,
)


def _set_language(value: str | None) -> str | None:
    from kg.i18n import set_language

    set_language(value)
    return value


@app.callback()
def _root(
    lang: Annotated[str | None, typer.Option(
        "--lang", envvar="KG_LANG", is_eager=True, callback=_set_language, metavar="en|zh",
        help="The language of help, tables and errors: en or zh (default: from LANG / LC_ALL / LANGUAGE).")] = None,
) -> None:
    """plan-kg: a government development plan as a knowledge graph you can question and show."""

F = TypeVar("F", bound=Callable[..., Any])


def group(name: str, help: str) -> typer.Typer:
    """A command group (`kg progress ...`): a sub-app added to `app`; give it to `command(..., on=...)`."""
    sub = typer.Typer(name=name, help=help, no_args_is_help=True, pretty_exceptions_enable=False,
                      add_completion=False, rich_markup_mode=None, cls=Group)
    app.add_typer(sub, name=name)
    return sub


def command(*args: Any, on: typer.Typer | None = None, **kwargs: Any) -> Callable[[F], F]:
    """app.command (or `on`'s, for a group). A failure is shown by the `kg` group (kg/cli/failure.py) as one
    `Error: ...` line on stderr with exit 1 or 2, never a traceback."""

    def wrap(fn: F) -> F:
        kwargs.setdefault("cls", Command)
        (on or app).command(*args, **kwargs)(fn)
        return fn

    return wrap


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ExportFormat(StrEnum):
    json = "json"
    graphml = "graphml"
    gexf = "gexf"
    csv = "csv"


SeedOpt = Annotated[Path | None, typer.Option("--seed", help="The seed folder (plan.yaml, source text, overlays).",
                                              file_okay=False, show_default="the repository's seed/")]
SeedsOpt = Annotated[list[Path] | None, typer.Option("--seed", help="A seed folder (plan.yaml, source text, "
                                                    "overlays); give it again for each further plan.",
                                                    file_okay=False, metavar="<dir>",
                                                    show_default="the repository's seed/")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table for people, json or csv for scripts.")]


class StoreKind(StrEnum):
    ladybug = "ladybug"
    neo4j = "neo4j"


StoreOpt = Annotated[StoreKind, typer.Option("--store", envvar="KG_STORE",
                                             help="ladybug (embedded file) or neo4j (NEO4J_URI, NEO4J_USERNAME, "
                                                  "NEO4J_PASSWORD, NEO4J_DATABASE from the environment).")]
DbOpt = Annotated[Path, typer.Option("--db", envvar="KG_DB", help="The Ladybug database file.", dir_okay=False)]
WaitOpt = Annotated[bool, typer.Option("--wait", help="If another kg build or kg pack is writing the same target, "
                                                      "wait for it instead of stopping.")]
PlanOpt = Annotated[str | None, typer.Option("--plan", help="Which plan, in a store holding several.")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, help="Show at most N rows; rows after them are not read.")]
BufferPoolOpt = Annotated[int | None, typer.Option("--buffer-pool", metavar="MIB",
                                                  help="Ladybug's buffer pool for the build, in MiB (default: "
                                                       "sized to the graph).")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=0.001, help="Stop the query after SECONDS.")]
DEFAULT_LIMIT = 1000
DEFAULT_TIMEOUT = 30.0


def store_settings(store: StoreKind, db: Path, plan: str | None = None, timeout: float | None = None) -> Any:
    """The one place settings are read from the environment; the password never appears in argv or output."""
    import os

    from kg.stores.base import StoreSettings

    if store is StoreKind.neo4j:
        return StoreSettings(kind="neo4j", uri=os.environ.get("NEO4J_URI"),
                             user=os.environ.get("NEO4J_USERNAME", "neo4j"),
                             password=os.environ.get("NEO4J_PASSWORD"), database=os.environ.get("NEO4J_DATABASE"),
                             plan=plan, timeout=timeout)
    return StoreSettings(kind="ladybug", path=db, plan=plan, timeout=timeout)


def say(message: str, err: bool = False) -> None:
    """A result for people (`wrote x`, `built y`), in the user's language, line by line; a control character
    from the data (a name, a title) is shown as its sign, not sent to the terminal."""
    from kg.output import visible

    typer.echo(visible(translate(message)), err=err)


def shown_path(path: object) -> str:
    """A path as a message names it (`wrote <path>`): its control characters and line breaks as their signs
    (kg.output.visible_name), so a name holding a newline or an ESC stays one line and drives no terminal."""
    from kg.output import visible_name

    return visible_name(path)


def emit(rows: list[dict[str, Any]], fmt: Format, title: str | None = None, columns: list[str] | None = None
         ) -> None:
    """Print rows as an aligned table (Chinese-width aware), JSON, or CSV; a table or CSV of no rows still has its
    header where the columns are known (`columns`, or rows read from a store)."""
    from kg.output import render_rows
    from kg.stores.base import columns_of

    columns = columns if columns is not None else columns_of(rows)
    width = None
    if fmt is Format.table:
        import os
        import shutil

        from kg.i18n import _, chinese, table_rows

        if chinese():
            rows, title, columns = table_rows(rows), translate(title) if title else title, [_(c) for c in columns]
        if os.environ.get("COLUMNS") or sys.stdout.isatty():  # a terminal: fit it, wrapping rather than cutting
            width = shutil.get_terminal_size().columns
    sys.stdout.write(render_rows(rows, fmt.value, title, width, columns))


@contextlib.contextmanager
def opened(store: StoreKind, db: Path, plan: str | None = None, timeout: float | None = None) -> Iterator[Any]:
    """The store named on the command line, closed afterwards whatever happens; reads stop after `timeout` s."""
    from kg.stores.base import open_store

    graph_store = open_store(store_settings(store, db, plan, timeout))
    try:
        yield graph_store
    finally:
        graph_store.close()


# typer has no repeated two-value option, so `-p NAME VALUE` pairs are read from the extra arguments.
WITH_PARAMS = {"allow_extra_args": True, "ignore_unknown_options": True}
PARAMS_HELP = "Parameters: -p NAME VALUE (or --param NAME VALUE), repeated for several."


def valid_text(what: str, text: str) -> str:
    """`text` typed on the command line, refused when the shell passed bytes that are not UTF-8 (Python keeps
    them as lone surrogates, which no store, page or file can take: the engine failed with a C++ cast error)."""
    from kg.errors import UsageError

    bad = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
    if bad is None:
        return text
    try:  # a terminal set to GBK/GB18030 sends Chinese as those bytes
        reading = text.encode("utf-8", "surrogateescape").decode("gb18030")
    except (UnicodeError, ValueError):
        reading = None
    if reading is not None and not reading.isascii():
        raise UsageError(f"{what}: holds bytes that are not UTF-8 text; read as GB18030 they say {reading!r} (valid: "
                         "text in UTF-8: set the terminal to UTF-8, as zh_CN.UTF-8)")
    raise UsageError(f"{what}: holds bytes that are not UTF-8 text (byte 0x{ord(bad) & 0xFF:02x}; valid: text in "
                     "UTF-8, as a terminal set to zh_CN.UTF-8 or en_US.UTF-8 sends it)")


def params_from(ctx: typer.Context) -> dict[str, str]:
    """`-p NAME VALUE` pairs from the command's extra arguments; anything else is a usage error."""
    from kg.errors import UsageError

    args, out = list(ctx.args), {}
    while args:
        flag = args.pop(0)
        if flag not in ("-p", "--param") or len(args) < 2:
            raise UsageError(f"unexpected {flag!r}: " + ("-p takes a NAME and a VALUE" if flag in ("-p", "--param")
                                                         else PARAMS_HELP))
        name, value = args.pop(0), args.pop(0)
        if name in out:
            raise UsageError(f"-p {name} is given twice")
        out[valid_text("-p", name)] = valid_text(f"-p {name}", value)
    return out


def emit_limited(rows: list[dict[str, Any]], limit: int, fmt: Format, title: str | None = None) -> None:
    """`emit` the first `limit` rows of rows read with max_rows=limit + 1; when there were more, say so on stderr."""
    from kg.stores.base import columns_of

    emit(rows[:limit], fmt, title, columns_of(rows))
    if len(rows) > limit:
        sys.stdout.flush()  # the note comes after the rows on a terminal too
        say(f"{limit} rows shown of more (use --limit)", err=True)


def plan_graph(graph_store: Any) -> tuple[Any, list[Any]]:
    """The whole plan read back from an open store as a networkx graph, and its entities for name resolution."""
    from kg.output import to_networkx
    from kg.progress.status import annotate_from_graph
    from kg.resolve import entities_from_graph

    graph = graph_store.read_graph()
    # indicators and targets carry `light` and `light_reason` when the plan was built with readings (for the views)
    return annotate_from_graph(to_networkx(graph)), entities_from_graph(graph)


def read_plan_graph(store: StoreKind, db: Path, plan: str | None) -> tuple[Any, list[Any]]:
    """`plan_graph` of the store named on the command line."""
    with opened(store, db, plan) as graph_store:
        return plan_graph(graph_store)


def named(entities: list[Any], text: str, *kinds: str) -> str:
    """Resolve `text` among entities of the given kinds; the error lists candidates of all of them, or, where the
    text names a department and no department is wanted, says so and which questions take one."""
    from kg.errors import NotFoundError
    from kg.resolve import KIND_WORDS, resolve

    valid_text("the name", text)
    try:
        if len(kinds) == 1:
            return resolve(entities, text, kinds[0])
        for kind in kinds:  # a code or exact name of one kind first
            try:
                return resolve(entities, text, kind)
            except NotFoundError:
                continue
        return resolve([e for e in entities if e.kind in kinds], text, None)
    except NotFoundError as not_found:
        if "Department" in kinds:
            raise
        try:
            department = resolve(entities, text, "Department")
        except NotFoundError:
            raise not_found from None  # not one department either: the error above stands
        words = [KIND_WORDS[k] for k in kinds]
        wanted = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]
        name = next(e.name for e in entities if e.id == department)
        raise NotFoundError(f"{text!r} is a department ({department} {name}), not a {wanted} (for what a department "
                            f"answers for: kg query targets_of_department -p department {text}, or kg query "
                            f"department_tasks -p department {text})") from None


TaskArg = Annotated[str, typer.Argument(help="A task: T15, 15, its Chinese or English name, or a unique part.")]
DepthOpt = Annotated[int | None, typer.Option("--depth", min=1, help="Follow at most this many steps.")]
TopOpt = Annotated[int | None, typer.Option("--top", min=1, help="Show only the first N rows.")]



def command_paths() -> list[list[str]]:
    """Every runnable command as the words a user types after `kg`: ["build"], ["progress", "status"], ..."""
    def walk(cmd: Any, path: list[str]) -> list[list[str]]:
        subs = getattr(cmd, "commands", None)  # a group (typer carries its own click)
        if isinstance(subs, dict):
            return [p for name, sub in subs.items() for p in walk(sub, [*path, name])]
        return [path]

    return walk(typer.main.get_command(app), [])
