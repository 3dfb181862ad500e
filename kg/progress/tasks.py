"""Task lights from milestones and the ledger: one light per task for a period, rolled up by area, target and
department. Plain functions: a graph, milestones and ledger rows in, plain data out.

The rules (thresholds in rules.yaml under `tasks:`), for the milestone a period's row reports on:
- reached by its date: green; reached after it: yellow; not reached and its date is before the reporting day: red;
- not reached and due within `due_soon_days` after the reporting day: yellow;
- otherwise progress against time elapsed in the milestone's window (序时进度, `pace_light`);
- a department reporting 滞后 is at least yellow;
- no row from a lead department: `missing_report`, the light grey (no data). Several leads: the worst of their rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kg.errors import UsageError
from kg.model import PlanGraph, natural_key
from kg.progress import rules as R
from kg.progress.ledger import LedgerRow, task_areas, task_departments
from kg.progress.milestones import (
    Milestone,
    by_task,
    current_milestone,
    period_window,
    plan_years,
    reporting_date,
)

LIGHTS = ("green", "yellow", "red", "grey")
LIGHT_ZH = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "grey": "无数据"}
_RANK = {"grey": 0, "green": 1, "yellow": 2, "red": 3}


@dataclass(frozen=True)
class TaskRules:
    statuses: list[str]
    reporting_day: int
    due_soon_days: int
    watch_below: float
    red_above: float
    sources: dict[str, str]


def load_rules(tasks: Mapping[str, Any] | None = None, where: str | Path = R.RULES_FILE) -> TaskRules:
    """The `tasks:` section of rules.yaml, as `kg.progress.rules.load_rules()["tasks"]` gives it (the one loader of
    the file; `tasks` defaults to that); a missing or wrong value is one error naming the file and key."""
    if tasks is None:
        tasks = R.load_rules().get("tasks")
    try:
        if not isinstance(tasks, Mapping):
            raise KeyError("tasks")
        rules = TaskRules(
            statuses=[str(s) for s in tasks["statuses"]],
            reporting_day=int(tasks["reporting_day"]["value"]),
            due_soon_days=int(tasks["due_soon_days"]["value"]),
            watch_below=float(tasks["pace"]["watch_below"]),
            red_above=float(tasks["pace"]["red_above"]),
            sources={k: str(v["source"]) for k, v in tasks.items() if isinstance(v, dict) and "source" in v},
        )
    except (KeyError, TypeError, ValueError) as e:
        raise UsageError(f"{where}: the tasks: rules are not valid ({type(e).__name__}: {e}) (valid: statuses, "
                         "reporting_day.value, due_soon_days.value, pace.watch_below, pace.red_above)") from None
    if len(rules.statuses) != 4 or not 1 <= rules.reporting_day <= 28 or not 0 < rules.watch_below <= rules.red_above:
        raise UsageError(f"{where}: tasks: needs four statuses (done first), a reporting_day from 1 to 28 and "
                         "0 < watch_below <= red_above")
    return rules


def pace_light(progress_share: float, elapsed_share: float, watch_below: float = 10.0,
               red_above: float = 30.0) -> tuple[str, float]:
    """序时进度 for a task: the indicators' rule (`kg.progress.rules.pace`) with progress as the share of the
    milestone done and time as the share of its window elapsed. The gap g = (time elapsed − progress) × 100 points,
    rounded so that 0.6 − 0.5 is exactly 10; g <= 0 green, 0 < g < watch_below green (watch it),
    watch_below <= g <= red_above yellow, g > red_above red. Shares are 0..1."""
    cfg = {"preset": "tasks", "presets": {"tasks": {"watch": 0, "yellow": watch_below, "red": red_above}}}
    verdict = R.pace(progress_share, 1.0, elapsed_share, cfg, total_months=1.0)
    assert verdict.gap is not None
    return verdict.light, verdict.gap


def worst(lights: list[str]) -> str:
    return max(lights, key=lambda light: _RANK[light]) if lights else "grey"


@dataclass
class TaskLight:
    task: str
    name: str
    area: str
    leads: list[str]  # department names
    light: str
    label: str  # a short Chinese label: 按期完成, 正常, 关注, 临期, 滞后, 逾期, 未报送 ...
    reason: str
    watch: bool = False
    progress: float | None = None
    elapsed: float | None = None
    gap: float | None = None
    due: date | None = None
    deliverable: str = ""
    problems: str = ""
    next_steps: str = ""
    missing: list[str] = field(default_factory=list)  # lead departments without a row
    example: bool = False


@dataclass
class Lateness:
    department: str
    task: str
    reported_on: date


@dataclass
class TaskStatus:
    """Everything the bulletin says about tasks for one period."""

    period: str
    reporting_day: date
    tasks: list[TaskLight]
    late: list[Lateness]
    example: bool

    def by_task(self) -> dict[str, TaskLight]:
        return {t.task: t for t in self.tasks}


def _row_light(row: LedgerRow, milestone: Milestone | None, window_start: date, period_end: date,
               report_day: date, rules: TaskRules) -> tuple[str, str, str, float | None, float | None, bool]:
    """(light, label, reason, elapsed share, gap, watch) of one department's row."""
    done = row.status == rules.statuses[0]
    if milestone is None:
        return ("green" if done else "grey", "无节点", "方案内无后续节点 (no milestone left in the plan)", None, None,
                False)
    due = milestone.due
    if done:
        when = row.done_on or row.reported_on
        if when <= due:
            return "green", "按期完成", f"{when} 完成 {due} 节点 (reached on time)", None, None, False
        return "yellow", "逾期完成", f"{when} 完成, 晚于 {due} 节点 (reached late)", None, None, False
    if due < report_day:
        return ("red", "节点逾期", f"{due} 节点未完成: {row.status}, 进度 {row.progress:g}% (milestone missed)", None,
                None, False)
    lights: list[tuple[str, str, str]] = []
    span = (due - window_start).days + 1
    elapsed = min(1.0, max(0.0, ((period_end - window_start).days + 1) / span))
    light, gap = pace_light(row.progress / 100, elapsed, rules.watch_below, rules.red_above)
    watch = light == "green" and gap > 0
    pace_label = {"green": "关注" if watch else "正常", "yellow": "滞后", "red": "严重滞后"}[light]
    lights.append((light, pace_label, f"进度 {row.progress:g}%, 序时 {elapsed * 100:.0f}%, 差距 {gap:+.1f} 个百分点 "
                                      f"(progress against time elapsed to {due})"))
    if (due - report_day).days <= rules.due_soon_days:
        lights.append(("yellow", "临期", f"{due} 节点 {rules.due_soon_days} 日内到期, 未完成 (due soon)"))
    if row.status == rules.statuses[2]:
        lights.append(("yellow", "自报滞后", f"单位自报{row.status} (reported behind)"))
    top = worst([x[0] for x in lights])
    chosen = [x for x in lights if x[0] == top]
    return top, chosen[0][1], "; ".join(x[2] for x in chosen), elapsed, gap, watch and top == "green"


def assess_tasks(graph: PlanGraph, milestones: list[Milestone], rows: list[LedgerRow], period: str,
                 rules: TaskRules) -> TaskStatus:
    """The light of every task for `period` from the rows in force for it."""
    _, last = period_window(period)
    report_day = reporting_date(period, rules.reporting_day)
    staged = by_task(milestones)
    areas = task_areas(graph)
    plan_start = date(plan_years(graph)[0], 1, 1)
    by_key = {(r.task, r.department): r for r in rows if r.period == period}
    out: list[TaskLight] = []
    late = [Lateness(r.department, r.task, r.reported_on) for r in rows
            if r.period == period and r.reported_on > report_day]
    for tid, (leads, _supporting) in sorted(task_departments(graph).items(), key=lambda kv: natural_key(kv[0])):
        node = graph.nodes[tid]
        milestone, window = current_milestone(staged.get(tid, []), period, rules.reporting_day)
        lead_rows = [by_key[tid, d] for d in leads if (tid, d) in by_key]
        missing = [graph.nodes[d].name for d in leads if (tid, d) not in by_key]
        light = TaskLight(tid, node.name, areas.get(tid, ""), [graph.nodes[d].name for d in leads], "grey", "未报送",
                          "牵头单位未报送 (no lead report by the reporting day)" if not lead_rows else "",
                          due=milestone.due if milestone else None,
                          deliverable=milestone.deliverable if milestone else "", missing=missing)
        judged = [(r, _row_light(r, milestone, window or plan_start, last, report_day, rules)) for r in lead_rows]
        if judged:
            row, (colour, label, reason, elapsed, gap, watch) = max(judged, key=lambda j: _RANK[j[1][0]])
            light.light, light.label, light.reason, light.watch = colour, label, reason, watch
            light.progress, light.elapsed, light.gap = row.progress, elapsed, gap
        task_rows = [r for (t, _d), r in by_key.items() if t == tid]
        light.problems = "；".join(dict.fromkeys(r.problems for r in task_rows if r.problems))
        light.next_steps = "；".join(dict.fromkeys(r.next_steps for r in task_rows if r.next_steps))
        light.example = any(r.provenance == "example" for r in task_rows)
        out.append(light)
    example = any(r.provenance == "example" for r in rows if r.period == period)
    return TaskStatus(period, report_day, out, late, example)


def counts(lights: list[str]) -> dict[str, int]:
    return {light: lights.count(light) for light in LIGHTS}


def area_rollup(graph: PlanGraph, status: TaskStatus) -> list[dict[str, Any]]:
    """Per area: its tasks' lights counted and the worst of them (a roll-up, not an average)."""
    out = []
    for area in sorted(graph.of_kind("Area"), key=lambda n: natural_key(n.id)):
        lights = [t.light for t in status.tasks if t.area == area.id]
        out.append({"area": area.id, "name": area.name, "light": worst([x for x in lights if x != "grey"]) if
                    any(x != "grey" for x in lights) else "grey", **counts(lights)})
    return out


def target_tasks(graph: PlanGraph, status: TaskStatus) -> dict[str, list[TaskLight]]:
    """target id -> the lights of the tasks of the areas that ADVANCE it, shown beside its indicators."""
    areas_of: dict[str, set[str]] = {}
    for e in graph.edges:
        if e.kind == "ADVANCES":
            areas_of.setdefault(e.target, set()).add(e.source)
    return {t.id: [x for x in status.tasks if x.area in areas_of.get(t.id, set())]
            for t in sorted(graph.of_kind("Target"), key=lambda n: natural_key(n.id))}


def department_rollup(graph: PlanGraph, status: TaskStatus) -> list[dict[str, Any]]:
    """Per lead department: tasks led, their lights, and how many of its lead reports came by the reporting day."""
    late = {(x.department, x.task) for x in status.late}
    names = {d.id: d.name for d in graph.of_kind("Department")}
    led: dict[str, list[TaskLight]] = {}
    for tid, (leads, _) in task_departments(graph).items():
        for d in leads:
            led.setdefault(d, []).append(status.by_task()[tid])
    out = []
    for did, tasks in sorted(led.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        reported = [t for t in tasks if names[did] not in t.missing]
        on_time = [t for t in reported if (did, t.task) not in late]
        out.append({"department": did, "name": names[did], "tasks": len(tasks),
                    **counts([t.light for t in tasks]), "reported": len(reported), "on_time": len(on_time)})
    return out


def changes(before: TaskStatus | None, now: TaskStatus) -> list[dict[str, str]]:
    """Tasks whose light differs from the previous period's (none when there is no previous period's data)."""
    if before is None:
        return []
    old = before.by_task()
    return [{"task": t.task, "name": t.name, "before": old[t.task].light, "now": t.light}
            for t in now.tasks if t.task in old and old[t.task].light != t.light]
