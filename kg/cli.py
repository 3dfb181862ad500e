"""The `kg` command: thin typer commands over the Python API. Heavy imports live inside the commands.

Exit codes: 0 success, 1 runtime error, 2 bad usage or invalid input. Errors are one line on stderr.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from kg.errors import KgError
from kg.stores.base import DEFAULT_DB  # light: the drivers are imported only by open_store

app = typer.Typer(
    name="kg",
    help="plan-kg: a government development plan as a knowledge graph you can question and show.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])


def command(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """app.command, with a `KgError` shown as `Error: ...` on stderr and its exit code, never a traceback."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*a: Any, **kw: Any) -> Any:
            try:
                return fn(*a, **kw)
            except KgError as e:
                typer.echo(f"Error: {e}", err=True)
                raise typer.Exit(e.exit_code) from None

        app.command(*args, **kwargs)(run)
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
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table for people, json or csv for scripts.")]


class StoreKind(StrEnum):
    ladybug = "ladybug"
    neo4j = "neo4j"


StoreOpt = Annotated[StoreKind, typer.Option("--store", envvar="KG_STORE",
                                             help="ladybug (embedded file) or neo4j (NEO4J_URI, NEO4J_USERNAME, "
                                                  "NEO4J_PASSWORD, NEO4J_DATABASE from the environment).")]
DbOpt = Annotated[Path, typer.Option("--db", envvar="KG_DB", help="The Ladybug database file.", dir_okay=False)]
PlanOpt = Annotated[str | None, typer.Option("--plan", help="Which plan, in a Neo4j database holding several.")]


def store_settings(store: StoreKind, db: Path, plan: str | None = None) -> Any:
    """The one place settings are read from the environment; the password never appears in argv or output."""
    import os

    from kg.stores.base import StoreSettings

    if store is StoreKind.neo4j:
        return StoreSettings(kind="neo4j", uri=os.environ.get("NEO4J_URI"),
                             user=os.environ.get("NEO4J_USERNAME", "neo4j"),
                             password=os.environ.get("NEO4J_PASSWORD"), database=os.environ.get("NEO4J_DATABASE"),
                             plan=plan)
    return StoreSettings(kind="ladybug", path=db)


def emit(rows: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    """Print rows as an aligned table (Chinese-width aware), JSON, or CSV."""
    from kg.output import render_rows

    sys.stdout.write(render_rows(rows, fmt.value, title))


@command("parse")
def parse_cmd(
    source: Annotated[Path, typer.Argument(help="A plan text (UTF-8).", dir_okay=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write JSON here instead of stdout.")] = None,
) -> None:
    """Parse a plan text into its parts, each with its verbatim quote and offsets.

    Example: kg parse seed/source/shenyang-three-year-action-plan-2023-2025.txt -o parsed.json
    """
    from kg.output import parsed_to_json, write_atomic
    from kg.parse import parse_file

    data = json.dumps(parsed_to_json(parse_file(source)), ensure_ascii=False, indent=2) + "\n"
    if output:
        write_atomic(output, data)
    else:
        sys.stdout.write(data)


@command("validate")
def validate_cmd(seed: SeedOpt = None) -> None:
    """Check the seed folder: every reference, quote, type, lead and cycle. Writes nothing.

    Example: kg validate --seed seed/
    """
    from kg.seed import load_plan

    graph = load_plan(seed)
    counts = graph.counts()
    typer.echo(f"ok: {sum(counts['nodes'].values())} nodes, {sum(counts['edges'].values())} edges, "
               f"plan {graph.plan_id}")


@command("build")
def build_cmd(seed: SeedOpt = None, store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB) -> None:
    """Parse the source, read the overlays, validate, and write the whole graph into the store.

    A rebuild is atomic: if it fails, the previous graph stays as it was.

    Example: kg build --store ladybug --db .kg/plan.lbug
    """
    from kg.seed import load_plan
    from kg.stores.base import open_store

    graph = load_plan(seed)
    target = open_store(store_settings(store, db))
    try:
        target.build(graph)
    finally:
        target.close()
    counts = graph.counts()
    where = db if store is StoreKind.ladybug else "Neo4j"
    typer.echo(f"built {graph.plan_id} in {where}: {sum(counts['nodes'].values())} nodes, "
               f"{sum(counts['edges'].values())} edges")


@command("stats")
def stats_cmd(store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
              fmt: FormatOpt = Format.table) -> None:
    """Count each kind of node and edge in the store.

    Example: kg stats --store neo4j --format json
    """
    from kg.stores.base import open_store

    source = open_store(store_settings(store, db, plan))
    try:
        counts = source.counts()
    finally:
        source.close()
    rows = [{"element": "node", "kind": k, "count": v} for k, v in counts["nodes"].items()]
    rows += [{"element": "edge", "kind": k, "count": v} for k, v in counts["edges"].items()]
    emit(rows, fmt, "Graph")


@command("export")
def export_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write (a folder for csv).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json (node-link), graphml, gexf or csv.")]
    = ExportFormat.json,
    seed: SeedOpt = None,
) -> None:
    """Export the whole graph: node-link JSON (stable), GraphML, GEXF, or a folder of CSV files.

    Example: kg export --format json -o plan.json
    """
    from kg.output import export_graph
    from kg.seed import load_plan

    export_graph(load_plan(seed), fmt.value, output)
    typer.echo(f"wrote {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
