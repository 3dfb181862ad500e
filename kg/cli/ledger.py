"""The task ledger (台账): `kg progress template` writes the workbook for departments, `kg progress ledger import`
takes the returned sheets back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kg.cli.common import DbOpt, PlanOpt, SeedOpt, StoreKind, StoreOpt, command, named, opened, say, shown_path
from kg.cli.progress import progress_app
from kg.stores.base import DEFAULT_DB

ledger_app = typer.Typer(name="ledger", help="The departments' returned ledger sheets (台账).", no_args_is_help=True,
                         pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)
progress_app.add_typer(ledger_app, name="ledger")

DEFAULT_LEDGER = Path(".kg/ledger")
LedgerOpt = Annotated[Path, typer.Option("--ledger", envvar="KG_LEDGER", file_okay=False,
                                         help="Where imported ledger rows are kept: <ledger>/<plan>/<period>/"
                                              "<department>.vN.csv.")]
PeriodOpt = Annotated[str | None, typer.Option("--period", help="The reporting month, YYYY-MM.",
                                               show_default="this month, or the plan's last")]


def read_plan(store: StoreKind, db: Path, plan: str | None) -> Any:
    """The plan graph as stored (a PlanGraph)."""
    with opened(store, db, plan) as graph_store:
        return graph_store.read_graph()


def default_period(graph: Any) -> str:
    from datetime import date

    from kg.progress.milestones import plan_years

    first, last = plan_years(graph)
    today = date.today()
    year = min(max(today.year, first), last)
    return f"{year:04d}-{today.month if year == today.year else 12:02d}"


@command("template", on=progress_app)
def template_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="The workbook to write (.xlsx).", dir_okay=False)],
    department: Annotated[str | None, typer.Option("--department", help="Only this department's tasks "
                                                                         "(name, alias or code).")] = None,
    period: PeriodOpt = None, seed: SeedOpt = None,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """Write the 台账 workbook: each task, its area, lead and supporting units and milestone, with empty columns
    for the department to fill (完成情况, 进度(%), 状态, 完成日期, 存在问题, 下步计划, 填报人, 填报日期).

    Example: kg progress template --department 市商务局 --period 2025-06 -o 台账.xlsx
    """
    from kg.errors import UsageError
    from kg.ingest.seed import DEFAULT_SEED
    from kg.output import write_atomic
    from kg.progress.ledger import template_rows, write_template
    from kg.progress.milestones import check_period, load_milestones
    from kg.progress.tasks import load_rules
    from kg.resolve import entities_from_graph

    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: the template is a workbook (valid: a name ending in .xlsx)")
    graph = read_plan(store, db, plan)
    period = check_period(period or default_period(graph), graph)
    did = named(entities_from_graph(graph), department, "Department") if department else None
    rules = load_rules()
    milestones = load_milestones(seed or DEFAULT_SEED, graph)
    write_atomic(output, write_template(graph, milestones, period, did, rules.statuses, rules.reporting_day))
    rows = len(template_rows(graph, milestones, period, did, rules.reporting_day))
    who = graph.nodes[did].name if did else "all departments"
    say(f"wrote {shown_path(output)}: {rows} row(s) for {who}, period {period}")


@command("import", on=ledger_app)
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Returned workbooks (.xlsx) or CSV files with the same columns.",
                                                dir_okay=False)],
    ledger: LedgerOpt = DEFAULT_LEDGER,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """Check every row of the returned sheets, then keep them: a sheet replaces that department's rows for that
    period (earlier versions are kept). Any invalid row: every problem listed, exit 2, nothing kept. Two imports
    into one ledger at once take turns (the second waits).

    Example: kg progress ledger import 台账-市商务局.xlsx 台账-市科技局.xlsx
    """
    from kg.lock import writer_lock
    from kg.progress.ledger import read_returned, save
    from kg.progress.tasks import load_rules

    graph = read_plan(store, db, plan)
    imported = read_returned(files, graph, load_rules().statuses)
    from kg.output import writable_folder

    writable_folder(ledger.parent, ledger)  # its lock sits beside it
    with writer_lock(ledger, "kg progress ledger import", wait=True):  # two at once would take the same version
        saved = save(imported.rows, ledger, graph.plan_id)
    for s in saved:
        replaced = f", replaces version {s.version - 1}" if s.version > 1 else ""
        say(f"{s.period} {graph.nodes[s.department].name}: {s.rows} row(s), version {s.version}{replaced}")
    example = sum(r.provenance == "example" for r in imported.rows)
    mark = f" ({example} of them 示例数据 / example data, made up)" if example else ""
    say(f"imported {len(imported.rows)} row(s){mark} from {len(files)} file(s) into {shown_path(ledger)}; "
               f"{imported.blank} row(s) left blank (not reported)")
