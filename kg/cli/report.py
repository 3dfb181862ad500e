"""The bulletin: `kg report --period 2025-06 -o 调度通报.docx`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kg.cli.common import DbOpt, PlanOpt, SeedOpt, StoreKind, StoreOpt, command, say, shown_path
from kg.cli.ledger import DEFAULT_LEDGER, LedgerOpt, read_plan
from kg.stores.base import DEFAULT_DB


class ReportFormat(StrEnum):
    docx = "docx"
    html = "html"
    md = "md"


def indicator_lines(graph: Any, period: str) -> tuple[list[Any], list[Any]] | None:
    """The indicator rows and target roll-ups for the bulletin: the readings in the graph assessed by the
    published rules (kg.progress.status) as of the period; None when the graph holds no reading at all, so the
    bulletin says "indicator status: no readings"."""
    from kg.progress.graph import readings_from_graph
    from kg.progress.rules import load_rules
    from kg.progress.status import assess
    from kg.report.model import IndicatorLine, TargetRollup

    readings = readings_from_graph(graph)
    if not readings:
        return None
    report = assess(graph, readings, load_rules(), as_of=period)
    lines = []
    for s in report.indicators:
        aim = "" if s.target_value is None else f"{s.target_value:g}{s.unit}"
        pace = "" if s.pace is None else f"{s.pace:g}{s.unit}"
        lines.append(IndicatorLine(s.target, graph.nodes[s.target].name, s.code, s.name, s.value, s.unit, aim, pace,
                                   s.verdict.light, s.verdict.label_zh, s.verdict.reason))
    targets = [TargetRollup(r.code, r.name, r.light, r.label) for r in report.targets]
    return lines, targets


def task_status_for(graph: Any, period: str, ledger: Path, seed: Path | None) -> tuple[Any, Any, list[Any]]:
    """(the tasks' lights for a period from the kept ledger rows, the task rules, the milestones)."""
    from kg.ingest.seed import DEFAULT_SEED
    from kg.progress.ledger import load
    from kg.progress.milestones import check_period, load_milestones
    from kg.progress.tasks import assess_tasks, load_rules

    check_period(period, graph)
    rules = load_rules()
    milestones = load_milestones(seed or DEFAULT_SEED, graph)
    return assess_tasks(graph, milestones, load(ledger, graph.plan_id, period), period, rules), rules, milestones


def bulletin_for(graph: Any, period: str, ledger: Path, seed: Path | None, issued: str | None = None) -> Any:
    """The bulletin model for a period from the kept ledger rows (this period's and the one before)."""
    from datetime import date

    from kg.progress.ledger import load
    from kg.progress.milestones import previous_period, reporting_date
    from kg.progress.tasks import assess_tasks
    from kg.report.model import build_bulletin

    status, rules, milestones = task_status_for(graph, period, ledger, seed)
    before_period = previous_period(period)
    before_rows = load(ledger, graph.plan_id, before_period)
    before = assess_tasks(graph, milestones, before_rows, before_period, rules) if before_rows else None
    readings = indicator_lines(graph, period)
    issued = issued or min(date.today(), reporting_date(period, rules.reporting_day)).isoformat()
    return build_bulletin(graph, status, before, rules, readings[0] if readings else None,
                          readings[1] if readings else None, issued)


@command("report")
def report_cmd(
    period: Annotated[str, typer.Option("--period", help="The reporting month, YYYY-MM.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.", dir_okay=False)],
    fmt: Annotated[ReportFormat | None, typer.Option("--format", "-f", help="docx (Word / WPS), html (prints to "
                                                     "A4) or md.", show_default="from the file name")] = None,
    date_line: Annotated[str | None, typer.Option("--date", help="The bulletin's date, YYYY-MM-DD.",
                                                  show_default="the reporting day, or today if earlier")] = None,
    ledger: LedgerOpt = DEFAULT_LEDGER, seed: SeedOpt = None,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """Write the meeting bulletin (调度通报) for a period: summary, each target's indicators and tasks, the red and
    yellow lists, missing reports, overdue milestones, departments, and the method.

    Example: kg report --period 2025-06 -o 调度通报.docx
    """
    from datetime import date

    from kg.errors import UsageError
    from kg.output import write_atomic
    from kg.report.write_docx import write_docx
    from kg.report.write_html import write_html
    from kg.report.write_md import write_md

    chosen = fmt.value if fmt else output.suffix.lower().lstrip(".")
    if chosen not in {f.value for f in ReportFormat}:
        raise UsageError(f"{output}: cannot tell the format from the name (valid: --format docx|html|md, or a name "
                         "ending in .docx, .html, .md)")
    if date_line is not None:
        try:
            date.fromisoformat(date_line)
        except ValueError:
            raise UsageError(f"--date {date_line!r} is not a date (valid: YYYY-MM-DD)") from None
    graph = read_plan(store, db, plan)
    bulletin = bulletin_for(graph, period, ledger, seed, date_line)
    data: str | bytes = (write_docx(bulletin) if chosen == "docx" else write_html(bulletin) if chosen == "html"
                         else write_md(bulletin))
    write_atomic(output, data)
    tasks = bulletin.tables()["summary"].rows[2]
    mark = " (示例数据 / example data)" if bulletin.example else ""
    say(f"wrote {shown_path(output)}: {period}{mark}, tasks green {tasks[1]}, yellow {tasks[2]}, red {tasks[3]}, "
               f"no data {tasks[4]}")
