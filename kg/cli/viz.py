"""Visual commands: a view as a page or an image, and the meeting pack."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kg.cli.common import (
    PARAMS_HELP,
    WITH_PARAMS,
    DbOpt,
    PlanOpt,
    SeedOpt,
    StoreKind,
    StoreOpt,
    WaitOpt,
    command,
    named,
    opened,
    params_from,
    plan_graph,
    say,
    shown_path,
)
from kg.stores.base import DEFAULT_DB


class ViewName(StrEnum):
    schema = "schema"
    overview = "overview"
    area = "area"
    department = "department"
    target = "target"
    task = "task"
    impact = "impact"
    query = "query"
    trend = "trend"
    poster = "poster"


class Layout(StrEnum):
    hierarchical = "hierarchical"
    force = "force"


VIEW_KINDS = {"area": "Area", "department": "Department", "target": "Target", "task": "Task", "impact": "Task"}


@command("viz", context_settings=WITH_PARAMS, epilog=PARAMS_HELP)
def viz_cmd(
    ctx: typer.Context,
    view: Annotated[ViewName, typer.Argument(help="overview, area, department, target, task, impact, query, "
                                                  "trend (an indicator's readings), poster (the whole plan on one "
                                                  "A3/A1 page), or schema (the data model).")],
    entity: Annotated[str | None, typer.Argument(help="The area, department, target or task to show (a code, a "
                                                      "name, or a unique part); for the query view, the query's "
                                                      "name, its parameters with -p.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", dir_okay=False,
                                         help="FILE.html (interactive), FILE.png / .svg / .pdf (slides and "
                                              "print) or FILE.pptx (an editable 16:9 slide).")]
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

    The poster: kg viz poster -o plan.pdf (principles to tasks to lead departments, A3, or A1 when A3 would
    show codes only).

    Example: kg viz target 结构调整 -o g3.html
    """
    from kg.errors import UsageError
    from kg.render.views import build_view, ids_in_rows

    suffix = output.suffix.lower()
    if suffix not in (".html", ".png", ".svg", ".pdf", ".pptx"):
        raise UsageError(f"{output}: a view is written as .html, .png, .svg, .pdf or .pptx")
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
    if view is ViewName.trend:  # an indicator's readings with its target and pace lines (kg/render/trend.py)
        from kg.render.trend import write_trend
        from kg.resolve import entities_from_graph

        if entity is None:
            raise UsageError("the trend view needs an indicator, e.g. `kg viz trend I6.2 -o i6-2.png`")
        with opened(store, db, plan) as graph_store:
            graph = graph_store.read_graph()
        indicator = named(entities_from_graph(graph), entity, "Indicator")
        write_trend(graph, indicator, output)
        say(f"wrote {shown_path(output)}: the readings of {indicator} {graph.nodes[indicator].name}")
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
    elif output.suffix.lower() == ".pptx":
        from kg.render.slides import write_pptx

        write_pptx(drawn, output)
    else:
        from kg.render.image import write_image

        write_image(drawn, output)
    say(f"wrote {shown_path(output)}: {drawn.graph.number_of_nodes()} nodes, {drawn.graph.number_of_edges()} edges")


@command("pack")
def pack_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", file_okay=False, help="The folder to write.")]
    = Path("meeting-pack"),
    period: Annotated[str | None, typer.Option("--period", help="Also the bulletin (调度通报, .html and .docx), a "
                                               "status overview and, in the Status section, the red and yellow "
                                               "tasks for this month, YYYY-MM, from the kept ledger.")]
    = None,
    ledger: Annotated[Path, typer.Option("--ledger", envvar="KG_LEDGER", file_okay=False,
                                         help="Where imported ledger rows are kept.")] = Path(".kg/ledger"),
    seed: SeedOpt = None,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, wait: WaitOpt = False,
) -> None:
    """The meeting pack: index.html linking an HTML page and a PNG for the overview, the status (when the plan has
    readings), each target, area and department, and the impacts; with --period, also the bulletin, a status
    overview and the month's red and yellow tasks.

    Example: kg pack -o meeting-pack --period 2025-06
    """
    from kg.ingest.registry import Registry
    from kg.ingest.seed import DEFAULT_SEED
    from kg.output import to_networkx
    from kg.progress.status import annotate_from_graph
    from kg.render.pack import DEPARTMENT_ORDER, write_pack

    with opened(store, db, plan) as graph_store:
        graph = graph_store.read_graph()
    extras: list[tuple[str, str, str | bytes]] = []
    G = annotate_from_graph(to_networkx(graph))
    G.graph[DEPARTMENT_ORDER] = list(Registry.load(seed or DEFAULT_SEED).bodies)  # departments in the registry's order
    if period is not None:
        from kg.cli.report import bulletin_for, task_status_for
        from kg.render.status import with_task_lights
        from kg.report.model import EXAMPLE_MARK, status_overview
        from kg.report.write_docx import write_docx
        from kg.report.write_html import write_html as bulletin_html

        bulletin = bulletin_for(graph, period, ledger, seed)
        status, rules, _ = task_status_for(graph, period, ledger, seed)
        with_task_lights(G, status, rules)  # the status section's red and yellow tasks
        mark = f" ({EXAMPLE_MARK})" if bulletin.example else ""
        extras = [(f"状态总览 Status overview {period}{mark}", "status.html", bulletin_html(status_overview(bulletin))),
                  (f"调度通报 Bulletin {period}{mark}", "bulletin.html", bulletin_html(bulletin)),
                  (f"调度通报 Bulletin {period}{mark}, Word", "bulletin.docx", write_docx(bulletin))]
    # indicators and targets carry their light when the plan was built with readings (drawn as a ring and symbol)
    entries = write_pack(G, output, extras, wait=wait)
    more = f" and {', '.join(name for _, name, _ in extras)}" if extras else ""
    say(f"wrote {len(entries)} views{more}; open {shown_path(output / 'index.html')}")


