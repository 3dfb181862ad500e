"""Analysis commands: dependencies, impact, ownership, gaps and coordination over the graph."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kg.cli.common import (
    DbOpt,
    DepthOpt,
    Format,
    FormatOpt,
    PlanOpt,
    StoreKind,
    StoreOpt,
    TaskArg,
    TopOpt,
    command,
    emit,
    named,
    read_plan_graph,
    say,
    shown_path,
)
from kg.stores.base import DEFAULT_DB


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
    from kg.progress.status import with_lights

    G, entities = read_plan_graph(store, db, plan)
    task_id = named(entities, task, "Task")
    emit(with_lights(G, impact(G, task_id)), fmt, f"If {task_id} {G.nodes[task_id]['name']} slips")


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
    from kg.progress.status import light_note

    G, entities = read_plan_graph(store, db, plan)
    entity_id = named(entities, entity, "Target", "Indicator", "Area", "Task")
    emit(owners(G, entity_id), fmt, f"Who answers for {entity_id} {G.nodes[entity_id]['name']}"
         + light_note(G, entity_id))


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
    say(f"wrote {shown_path(output)}")


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


