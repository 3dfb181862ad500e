"""The plan run: `kg progress ...` (indicator readings and status, the task ledger). Commands are added here
and in the modules that import `progress_app`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kg.cli.common import (
    DbOpt,
    Format,
    FormatOpt,
    PlanOpt,
    SeedOpt,
    StoreKind,
    StoreOpt,
    command,
    emit,
    group,
    named,
    opened,
    say,
    shown_path,
)
from kg.stores.base import DEFAULT_DB

progress_app = group("progress", "Run the plan: indicator readings and status, the departments' task ledger.")

# `kg progress readings import FILE`: a group inside the group.
readings_app = typer.Typer(name="readings", help="Indicator readings: import published figures into the seed.",
                           no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                           rich_markup_mode=None)
progress_app.add_typer(readings_app, name="readings")

AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Use readings up to this period: 2024, 2024-12, "
                                             "2024-Q2.", show_default="the latest reading")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Only this target's indicators (G3, 3, 结构调整).")]


@command("status", on=progress_app)
def status_cmd(as_of: AsOfOpt = None, target: TargetOpt = None, store: StoreOpt = StoreKind.ladybug,
               db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every indicator's value, target, pace, light and reason, by the published rules in kg/progress/rules.yaml;
    targets and the plan rolled up (Open SDG series scores). Lights: green, yellow, red, grey (no data).

    Example: kg progress status --as-of 2024-12 --target G6
    """
    from kg.errors import UsageError
    from kg.progress.graph import readings_from_graph
    from kg.progress.readings import parse_period
    from kg.progress.rules import load_rules
    from kg.progress.status import assess
    from kg.resolve import entities_from_graph

    if as_of is not None and parse_period(as_of) is None:
        raise UsageError(f"--as-of {as_of!r} is not a period (valid: 2024, 2024-Q2, 2024-H1, 2024-06)")
    with opened(store, db, plan) as graph_store:
        graph = graph_store.read_graph()
    targets = {named(entities_from_graph(graph), target, "Target")} if target else None
    report = assess(graph, readings_from_graph(graph), load_rules(), as_of, targets)
    if fmt is Format.json:
        import json
        import sys

        sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    rows = status_rows(report)
    if fmt is Format.csv:
        emit(rows, fmt)
        return
    indicators = [_short(r) for r in rows if r["scope"] == "indicator"]
    emit(indicators, fmt, f"Indicator status as of {report.as_of or 'no readings'}")
    emit([_short_rollup(r) for r in rows if r["scope"] != "indicator"], fmt, "Targets and the plan")


def status_rows(report: Any) -> list[dict[str, Any]]:
    """One row per indicator, target and the plan, with a `scope` column (for CSV)."""
    out = []
    for s in report.indicators:
        out.append({"scope": "indicator", **s.row()})
    for t in report.targets + ([report.plan] if report.plan else []):
        row = t.row()
        out.append({"scope": "plan" if t.code == "PLAN" else "target", "code": row["code"], "name": row["name"],
                    "target": "", "period": "", "value": None, "unit": "", "target_value": None, "pace": None,
                    "light": row["light"], "label": row["label"], "label_zh": row["label_zh"], "method": "rollup",
                    "reason": row["reason"], "score": row["score"]})
    return out


def _short(row: dict[str, Any]) -> dict[str, Any]:
    return {"code": row["code"], "name": row["name"], "period": row["period"], "value": row["value"],
            "unit": row["unit"], "target": row["target_value"], "pace": row["pace"], "light": row["light"],
            "status": row["label_zh"], "reason": row["reason"]}


def _short_rollup(row: dict[str, Any]) -> dict[str, Any]:
    return {"code": row["code"], "name": row["name"], "light": row["light"], "status": row["label_zh"],
            "score": row["score"], "reason": row["reason"]}


@command("import", on=readings_app)
def readings_import_cmd(
    file: Annotated[Path, typer.Argument(help="A CSV or .xlsx of readings (columns: indicator, period, value, unit, "
                                               "basis, geo, status, source, published), or Open SDG's tidy CSV.",
                                         dir_okay=False)],
    seed: SeedOpt = None,
) -> None:
    """Check a readings file against the plan and append it to the seed's readings.csv (revisions are kept, never
    overwritten); run `kg build` afterwards to assess them. Any problem: every one listed as file:line, exit 2,
    nothing written. Two imports into one seed at once take turns (the second waits).

    Example: kg progress readings import readings-2025-q2.xlsx
    """
    from kg.ingest.read import present
    from kg.ingest.seed import DEFAULT_SEED, load_plan
    from kg.lock import writer_lock
    from kg.progress.graph import READINGS_FILE
    from kg.progress.readings import merge_into, read_readings

    folder = seed or DEFAULT_SEED
    target = folder / READINGS_FILE
    # one import at a time, the others waiting: each checks its file against the readings already kept (a second
    # final, a revision) and appends to them, so two at once could each miss the other's rows or overwrite them
    with writer_lock(target, "kg progress readings import", wait=True):
        graph = load_plan(folder)  # the plan, with the readings already in the seed validated
        existing = read_readings(target, graph) if present(target) else []
        new = read_readings(file, graph, existing, need_rows=True)  # an empty file is a mistake, not news
        added = merge_into(target, new)
    say(f"{added} reading(s) added to {shown_path(target)} ({len(new) - added} already there); "
               "run `kg build` to assess them")


@command("export", on=progress_app)
def export_cmd(
    folder: Annotated[Path, typer.Argument(help="The folder to write data/ and meta/ into.", file_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help="open-sdg: Open SDG's data/indicator_<id>.csv and "
                                                      "meta/<id>.md.")] = "open-sdg",
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """Write the readings in Open SDG's layout, with each indicator's reporting_status, for an Open SDG site.

    Example: kg progress export --format open-sdg sdg-data
    """
    from kg.errors import UsageError
    from kg.progress.graph import readings_from_graph
    from kg.progress.opensdg import export_open_sdg

    if fmt != "open-sdg":
        raise UsageError(f"--format {fmt!r} is not known (valid: open-sdg)")
    with opened(store, db, plan) as graph_store:
        graph = graph_store.read_graph()
    count = export_open_sdg(graph, readings_from_graph(graph), folder)
    say(f"wrote {shown_path(folder)}/data and {shown_path(folder)}/meta: {count} indicator(s)")
