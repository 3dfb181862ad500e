"""The `kg` command: thin typer commands over the Python API. Heavy imports live inside the commands.

Exit codes: 0 success, 1 runtime error, 2 bad usage or invalid input. Errors are one line on stderr.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
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
PlanOpt = Annotated[str | None, typer.Option("--plan", help="Which plan, in a store holding several.")]


def store_settings(store: StoreKind, db: Path, plan: str | None = None) -> Any:
    """The one place settings are read from the environment; the password never appears in argv or output."""
    import os

    from kg.stores.base import StoreSettings

    if store is StoreKind.neo4j:
        return StoreSettings(kind="neo4j", uri=os.environ.get("NEO4J_URI"),
                             user=os.environ.get("NEO4J_USERNAME", "neo4j"),
                             password=os.environ.get("NEO4J_PASSWORD"), database=os.environ.get("NEO4J_DATABASE"),
                             plan=plan)
    return StoreSettings(kind="ladybug", path=db, plan=plan)


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


@contextlib.contextmanager
def opened(store: StoreKind, db: Path, plan: str | None = None) -> Iterator[Any]:
    """The store named on the command line, closed afterwards whatever happens."""
    from kg.stores.base import open_store

    graph_store = open_store(store_settings(store, db, plan))
    try:
        yield graph_store
    finally:
        graph_store.close()


@command("build")
def build_cmd(seed: SeedOpt = None, store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB) -> None:
    """Parse the source, read the overlays, validate, and write the whole graph into the store.

    A rebuild is atomic: if it fails, the previous graph stays as it was.

    Example: kg build --store ladybug --db .kg/plan.lbug
    """
    from kg.seed import load_plan

    graph = load_plan(seed)
    with opened(store, db) as target:
        target.build(graph)
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
    with opened(store, db, plan) as source:
        counts = source.counts()
    rows = [{"element": "node", "kind": k, "count": v} for k, v in counts["nodes"].items()]
    rows += [{"element": "edge", "kind": k, "count": v} for k, v in counts["edges"].items()]
    emit(rows, fmt, "Graph")


# typer has no repeated two-value option, so `-p NAME VALUE` pairs are read from the extra arguments.
WITH_PARAMS = {"allow_extra_args": True, "ignore_unknown_options": True}
PARAMS_HELP = "Parameters: -p NAME VALUE (or --param NAME VALUE), repeated for several."


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
        out[name] = value
    return out


@command("queries")
def queries_cmd(fmt: FormatOpt = Format.table) -> None:
    """List the named queries: topic, name, purpose and parameters.

    Example: kg queries --format json
    """
    from kg.queries import load_queries

    rows = [{"topic": q.topic, "name": q.name, "purpose": q.doc,
             "parameters": [f"{p.name}: {p.doc}" for p in q.params.values()]}
            for q in sorted(load_queries().values(), key=lambda q: (q.topic, q.name))]
    emit(rows, fmt, "Named queries")


@command("query", context_settings=WITH_PARAMS, epilog=PARAMS_HELP)
def query_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A named query (see `kg queries`).")],
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Ask a named question. Entity parameters take a code (T15, 15), a Chinese or English name, or a unique part.

    Example: kg query departments_for_target -p target 结构调整
    """
    from kg.queries import ask

    given = params_from(ctx)
    with opened(store, db, plan) as graph_store:
        rows = ask(graph_store, name, given)
    emit(rows, fmt, name)


def _value(text: str) -> Any:
    """A -p value for user Cypher: a JSON number, list or boolean when it parses as one, otherwise the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | list | bool) else text


@command("cypher", context_settings=WITH_PARAMS, epilog=PARAMS_HELP)
def cypher_cmd(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Read-only Cypher; $plan is filled in, other values come from -p.")],
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Run your own read-only Cypher. Writes (CREATE, MERGE, SET, DELETE, REMOVE, COPY, LOAD CSV, ...) are refused.

    Values travel as parameters: write $name in the query and pass -p name VALUE.

    Example: kg cypher "MATCH (t:Task {plan: $plan}) WHERE t.number < $n RETURN t.id, t.name" -p n 4
    """
    from kg.readonly import check_read_only

    given = {k: _value(v) for k, v in params_from(ctx).items()}
    check_read_only(text)
    with opened(store, db, plan) as graph_store:
        rows = graph_store.read(text, given)
    emit(rows, fmt)


@command("export")
def export_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write (a folder for csv).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json (node-link), graphml, gexf or csv.")]
    = ExportFormat.json,
    seed: Annotated[Path | None, typer.Option("--seed", file_okay=False,
                                              help="Export straight from a seed folder instead of the store.")] = None,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """Export the whole graph from the store: node-link JSON (stable), GraphML, GEXF, or a folder of CSV files.

    Example: kg export --format graphml -o plan.graphml
    """
    from kg.output import export_graph

    if seed is not None:
        from kg.seed import load_plan

        graph = load_plan(seed)
    else:
        with opened(store, db, plan) as graph_store:
            graph = graph_store.read_graph()
    export_graph(graph, fmt.value, output)
    typer.echo(f"wrote {output}")


def plan_graph(graph_store: Any) -> tuple[Any, list[Any]]:
    """The whole plan read back from an open store as a networkx graph, and its entities for name resolution."""
    from kg.output import to_networkx
    from kg.resolve import entities_from_graph

    graph = graph_store.read_graph()
    return to_networkx(graph), entities_from_graph(graph)


def read_plan_graph(store: StoreKind, db: Path, plan: str | None) -> tuple[Any, list[Any]]:
    """`plan_graph` of the store named on the command line."""
    with opened(store, db, plan) as graph_store:
        return plan_graph(graph_store)


def named(entities: list[Any], text: str, *kinds: str) -> str:
    """Resolve `text` among entities of the given kinds; the error lists candidates of all of them."""
    from kg.errors import NotFoundError
    from kg.resolve import resolve

    if len(kinds) == 1:
        return resolve(entities, text, kinds[0])
    for kind in kinds:  # a code or exact name of one kind first
        try:
            return resolve(entities, text, kind)
        except NotFoundError:
            continue
    return resolve([e for e in entities if e.kind in kinds], text, None)


TaskArg = Annotated[str, typer.Argument(help="A task: T15, 15, its Chinese or English name, or a unique part.")]
DepthOpt = Annotated[int | None, typer.Option("--depth", min=1, help="Follow at most this many steps.")]
TopOpt = Annotated[int | None, typer.Option("--top", min=1, help="Show only the first N rows.")]


@command("deps")
def deps_cmd(task: TaskArg, depth: DepthOpt = None, store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB,
             plan: PlanOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The tasks a task waits on (upstream) and the tasks waiting on it (downstream), with their distance.

    Example: kg deps 15 --depth 2
    """
    from kg.analysis import deps

    G, entities = read_plan_graph(store, db, plan)
    task_id = named(entities, task, "Task")
    emit(deps(G, task_id, depth), fmt, f"Dependencies of {task_id} {G.nodes[task_id]['name']}")


@command("impact")
def impact_cmd(task: TaskArg, store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
               fmt: FormatOpt = Format.table) -> None:
    """What a slipping task puts at risk: the tasks waiting on it, their areas, targets and indicators, and the
    departments that would feel it, nearest first.

    Example: kg impact 数字经济
    """
    from kg.analysis import impact

    G, entities = read_plan_graph(store, db, plan)
    task_id = named(entities, task, "Task")
    emit(impact(G, task_id), fmt, f"If {task_id} {G.nodes[task_id]['name']} slips")


@command("critical")
def critical_cmd(top: TopOpt = 15, store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB,
                 plan: PlanOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The tasks the plan leans on most, several measures side by side.

    How to read it: `dependents` counts the tasks that wait on this one, directly or not; `indicators_at_risk`
    the indicators they serve; a high `pagerank` means important tasks wait on it; a high `betweenness` means it
    is a bridge on the routes from prerequisites to indicators. A task high on all four is where a slip costs most.

    Example: kg critical --top 10
    """
    from kg.analysis import critical

    G, _ = read_plan_graph(store, db, plan)
    rows = critical(G)
    emit(rows[:top] if top else rows, fmt, "Tasks the plan leans on most")


@command("phases")
def phases_cmd(store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
               fmt: FormatOpt = Format.table) -> None:
    """An order of tasks that respects the dependencies: phase 1 can start first, each later phase waits on
    earlier ones. Dependency cycles are listed with their tasks.

    Example: kg phases --format json
    """
    from kg.analysis import phases

    G, _ = read_plan_graph(store, db, plan)
    result = phases(G)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    rows = [{"phase": p["phase"], "tasks": len(p["tasks"]), "which": p["tasks"]} for p in result["phases"]]
    rows += [{"phase": "cycle", "tasks": len(c), "which": c} for c in result["cycles"]]
    emit(rows, fmt, "Phases")


@command("owners")
def owners_cmd(
    entity: Annotated[str, typer.Argument(help="A target (G3, 3, 结构调整) or an indicator (I3.1), area or task.")],
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """The departments that answer for a target or an indicator, lead and supporting, and through which tasks.

    Example: kg owners 结构调整
    """
    from kg.analysis import owners

    G, entities = read_plan_graph(store, db, plan)
    entity_id = named(entities, entity, "Target", "Indicator", "Area", "Task")
    emit(owners(G, entity_id), fmt, f"Who answers for {entity_id} {G.nodes[entity_id]['name']}")


class MatrixOf(StrEnum):
    target = "target"
    indicator = "indicator"


@command("matrix")
def matrix_cmd(
    of: Annotated[MatrixOf, typer.Option("--of", help="Departments against targets or against indicators.")]
    = MatrixOf.target,
    output: Annotated[Path | None, typer.Option("-o", "--output", dir_okay=False,
                                                help="Write .xlsx (both matrices, one sheet each) or .csv.")] = None,
    top: TopOpt = None,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """The department x target (or x indicator) responsibility matrix: tasks led / tasks supported in each cell.

    Example: kg matrix -o responsibilities.xlsx
    """
    from kg.analysis import ownership_matrix
    from kg.errors import UsageError
    from kg.output import excel_csv, matrix_rows, write_atomic, write_matrix_xlsx

    if output is not None and output.suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(f"{output}: the matrix is written as .xlsx or .csv, not {output.suffix or 'no suffix'!r}")
    G, _ = read_plan_graph(store, db, plan)
    kind = "Target" if of is MatrixOf.target else "Indicator"
    if output is None:
        title = f"Departments x {of.value}s: tasks led/supported"
        rows = matrix_rows(ownership_matrix(G, kind), compact=fmt is Format.table)
        emit(rows[:top] if top else rows, fmt, title + (f", the {top} busiest departments" if top else ""))
        return
    if output.suffix.lower() == ".xlsx":
        write_matrix_xlsx([ownership_matrix(G, "Target"), ownership_matrix(G, "Indicator")], output)
    else:
        write_atomic(output, excel_csv(matrix_rows(ownership_matrix(G, kind), compact=False)))
    typer.echo(f"wrote {output}")


@command("gaps")
def gaps_cmd(store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
             fmt: FormatOpt = Format.table) -> None:
    """What the division of responsibility leaves open or strained: tasks with no lead or several, indicators no
    task serves, targets nothing measures, departments leading far more than the median, single-department targets.

    Example: kg gaps --format csv
    """
    from kg.analysis import gaps

    G, _ = read_plan_graph(store, db, plan)
    emit(gaps(G), fmt, "Gaps")


@command("coordination")
def coordination_cmd(top: TopOpt = 10, store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB,
                     plan: PlanOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The department pairs that share the most tasks, with the tasks: where coordination matters most.

    Example: kg coordination --top 5
    """
    from kg.analysis import coordination

    G, _ = read_plan_graph(store, db, plan)
    emit(coordination(G, top), fmt, "Departments that must coordinate")


class ViewName(StrEnum):
    schema = "schema"
    overview = "overview"
    area = "area"
    department = "department"
    target = "target"
    task = "task"
    impact = "impact"
    query = "query"


class Layout(StrEnum):
    hierarchical = "hierarchical"
    force = "force"


VIEW_KINDS = {"area": "Area", "department": "Department", "target": "Target", "task": "Task", "impact": "Task"}


@command("viz", context_settings=WITH_PARAMS, epilog=PARAMS_HELP)
def viz_cmd(
    ctx: typer.Context,
    view: Annotated[ViewName, typer.Argument(help="overview, area, department, target, task, impact, query, or "
                                                  "schema (the data model itself).")],
    entity: Annotated[str | None, typer.Argument(help="The area, department, target or task to show (a code, a "
                                                      "name, or a unique part); for the query view, the query's "
                                                      "name, its parameters with -p.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", dir_okay=False,
                                         help="FILE.html (interactive) or FILE.png / .svg / .pdf (slides).")]
    = Path("view.html"),
    layout: Annotated[Layout, typer.Option("--layout", help="Levels from principle to department, or force.")]
    = Layout.hierarchical,
    depth: Annotated[int, typer.Option("--depth", min=1, help="The task view: dependency steps to show.")] = 2,
    query_name: Annotated[str | None, typer.Option("--query", help="The query view: the named query (same as "
                                                                   "giving it after `query`).")] = None,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """Draw a view of the graph: interactive HTML that works offline, or an image for slides.

    The query view draws the entities a named query returns: kg viz query area_tasks -p area A13 -o a13.png
    (or kg viz query --query area_tasks -p area A13 -o a13.png).

    Example: kg viz target 结构调整 -o g3.html
    """
    from kg.errors import UsageError
    from kg.render.views import build_view, ids_in_rows

    suffix = output.suffix.lower()
    if suffix not in (".html", ".png", ".svg", ".pdf"):
        raise UsageError(f"{output}: a view is written as .html, .png, .svg or .pdf")
    if query_name and entity is not None:
        # `viz query --query NAME -p key value`: the parser put `-p` or the first key into the optional ENTITY
        if entity.startswith("-"):
            ctx.args.insert(0, entity)
        elif ctx.args[:1] in (["-p"], ["--param"]):
            ctx.args.insert(1, entity)
        else:
            raise UsageError(f"unexpected {entity!r}: with --query, give the parameters as -p NAME VALUE")
        entity = None
    given = params_from(ctx)
    query = (query_name or entity) if view is ViewName.query else None
    if view is ViewName.query and not query:
        raise UsageError("the query view needs a query name: kg viz query NAME -p ... (see `kg queries`)")
    if view.value in VIEW_KINDS and entity is None:
        raise UsageError(f"the {view.value} view needs a {VIEW_KINDS[view.value].lower()}, e.g. "
                         f"`kg viz {view.value} {'T15' if VIEW_KINDS[view.value] == 'Task' else '...'}`")
    if view is ViewName.schema:
        from kg.render.views import schema_view

        _draw(schema_view(), output)
        return
    ids = None
    title = None
    with opened(store, db, plan) as graph_store:  # one session for the graph and the query
        G, entities = plan_graph(graph_store)
        if view is ViewName.query and query:
            from kg.queries import ask

            ids = ids_in_rows(ask(graph_store, query, given))
            title = f"查询 Query {query} " + " ".join(f"{k}={v}" for k, v in given.items())
    entity_id = named(entities, entity, VIEW_KINDS[view.value]) if view.value in VIEW_KINDS and entity else None
    _draw(build_view(G, view.value, entity_id, depth, ids, layout.value, title), output)


def _draw(drawn: Any, output: Path) -> None:
    if output.suffix.lower() == ".html":
        from kg.render.html import write_html

        write_html(drawn, output)
    else:
        from kg.render.image import write_image

        write_image(drawn, output)
    typer.echo(f"wrote {output}: {drawn.graph.number_of_nodes()} nodes, {drawn.graph.number_of_edges()} edges")


@command("pack")
def pack_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", file_okay=False, help="The folder to write.")]
    = Path("meeting-pack"),
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """The meeting pack: index.html linking an HTML page and a PNG for the overview, each area and each lead
    department.

    Example: kg pack -o meeting-pack
    """
    from kg.render.pack import write_pack

    G, _ = read_plan_graph(store, db, plan)
    entries = write_pack(G, output)
    typer.echo(f"wrote {len(entries)} views; open {output / 'index.html'}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
