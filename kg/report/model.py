"""The bulletin (调度通报) as one document model: headings, paragraphs and tables, written as docx, html or md by the
writers beside this module. Building it is a plain function of the graph, the task status and the indicator rows.

Indicator rows come from the caller (the indicator-status module), in the plain contract `IndicatorLine` and
`TargetRollup`; with none, the bulletin says "indicator status: no readings".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.model import PlanGraph, natural_key
from kg.progress.tasks import (
    LIGHT_ZH,
    LIGHTS,
    TaskLight,
    TaskRules,
    TaskStatus,
    area_rollup,
    changes,
    counts,
    department_rollup,
    target_tasks,
)

EXAMPLE_MARK = "示例数据 / example data"
NO_READINGS = "indicator status: no readings (指标监测: 暂无数据)"
LEVEL1 = "一二三四五六七八九十"


@dataclass
class IndicatorLine:
    """One indicator's status for the period (the contract with the indicator-status module)."""

    target: str  # G3
    target_name: str
    indicator: str  # I3.1
    indicator_name: str
    value: float | None
    unit: str
    target_value: str  # the plan's aim as written, e.g. 1万亿元以上
    pace: str  # the expected value or share by now (序时进度), as text
    light: str  # green | yellow | red | grey
    label: str
    reason: str
    example: bool = False


@dataclass
class TargetRollup:
    target: str
    name: str
    light: str
    label: str = ""


@dataclass
class Heading:
    text: str
    level: int  # 1: 一、..., 2: (一)...


@dataclass
class Paragraph:
    text: str
    strong: bool = False


@dataclass
class Table:
    key: str  # a stable name for tests and anchors: summary, red, yellow, ...
    caption: str
    headers: list[str]
    rows: list[list[str]]
    light_column: int | None = None  # the column whose cell is shaded by its light


Block = Heading | Paragraph | Table


@dataclass
class Bulletin:
    title: str
    issue: str  # 2025年第6期
    issuer: str
    date_line: str
    example: bool
    blocks: list[Block] = field(default_factory=list)

    def tables(self) -> dict[str, Table]:
        return {b.key: b for b in self.blocks if isinstance(b, Table)}


def light_text(light: str, watch: bool = False) -> str:
    return f"{LIGHT_ZH[light]}{'(关注)' if watch else ''} {light}{' (watch)' if watch else ''}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:g}%"


def _issuer(graph: PlanGraph) -> str:
    """The office that schedules the plan monthly (the plan's REVIEWS edge with cadence monthly), or the plan."""
    for e in graph.edges:
        if e.kind == "REVIEWS" and e.props.get("cadence") == "monthly" and e.source in graph.nodes:
            return graph.nodes[e.source].name + "办公室"
    plan = graph.of_kind("Plan")
    return plan[0].name if plan else graph.plan_id


def _task_rows(tasks: list[TaskLight], detail: bool) -> list[list[str]]:
    rows = []
    for t in tasks:
        row = [t.task, t.name, "、".join(t.leads), light_text(t.light, t.watch), t.label, t.reason]
        if detail:
            row += [t.problems, t.next_steps]
        rows.append(row)
    return rows


TASK_HEADERS = ["任务 task", "名称 name", "牵头单位 lead", "灯 light", "状态 status", "依据 reason"]


def build_bulletin(graph: PlanGraph, status: TaskStatus, previous: TaskStatus | None, rules: TaskRules,
                   indicators: list[IndicatorLine] | None, targets: list[TargetRollup] | None,
                   issued: str) -> Bulletin:
    """The whole bulletin for `status.period`; `issued` is the date line's date (YYYY-MM-DD)."""
    year, month = status.period.split("-")
    plan = graph.of_kind("Plan")
    plan_name = plan[0].name if plan else graph.plan_id
    example = status.example or any(i.example for i in indicators or [])
    title = f"{plan_name.split('(')[0].removesuffix('方案')}调度通报"
    y, m, d = issued.split("-")
    b = Bulletin(title=title, issue=f"{year}年第{int(month)}期 ({status.period})", issuer=_issuer(graph),
                 date_line=f"{int(y)}年{int(m)}月{int(d)}日", example=example)
    add = b.blocks.append
    n = iter(LEVEL1)

    task_counts = counts([t.light for t in status.tasks])
    ind_counts = counts([i.light for i in indicators or []])
    target_counts = counts([t.light for t in targets or []])
    n_targets, n_indicators = len(graph.of_kind("Target")), len(graph.of_kind("Indicator"))
    add(Heading(f"{next(n)}、总体情况 Summary", 1))
    add(Paragraph(
        f"本期({status.period})调度分项目标{n_targets}个、指标{n_indicators}项、重点任务{len(status.tasks)}项。"
        f"重点任务绿灯{task_counts['green']}项、黄灯{task_counts['yellow']}项、红灯{task_counts['red']}项、"
        f"无数据{task_counts['grey']}项(报送截止日 {status.reporting_day})。"))
    if indicators is None:
        add(Paragraph(NO_READINGS))
    unmeasured = {"targets": n_targets - len(targets or []), "indicators": n_indicators - len(indicators or [])}
    summary = [["分项目标 targets", *(str(target_counts[x] + (unmeasured["targets"] if x == "grey" else 0))
                                  for x in LIGHTS)],
               ["指标 indicators", *(str(ind_counts[x] + (unmeasured["indicators"] if x == "grey" else 0))
                                    for x in LIGHTS)],
               ["重点任务 tasks", *(str(task_counts[x]) for x in LIGHTS)]]
    add(Table("summary", "表1 灯号汇总 lights by kind", ["类别 kind", *(light_text(x) for x in LIGHTS)], summary))
    moved = changes(previous, status)
    if previous is None:
        add(Paragraph("与上期相比: 上期无台账数据 (no ledger rows for the previous period)."))
    elif not moved:
        add(Paragraph("与上期相比: 各任务灯号无变化 (no task changed its light since the last period)."))
    else:
        add(Paragraph(f"与上期相比: {len(moved)}项任务灯号变化 ({len(moved)} task(s) changed their light)."))
        add(Table("changes", "表2 灯号变化 changes since the last period", ["任务 task", "名称 name",
                  "上期 before", "本期 now"],
                  [[c["task"], c["name"], light_text(c["before"]), light_text(c["now"])] for c in moved], 3))

    add(Heading(f"{next(n)}、分项目标进展 Progress by target", 1))
    by_target = target_tasks(graph, status)
    rollups = {t.target: t for t in targets or []}
    for k, target in enumerate(sorted(graph.of_kind("Target"), key=lambda x: natural_key(x.id))):
        roll = rollups.get(target.id)
        add(Heading(f"({LEVEL1[k] if k < 10 else k + 1}){target.id} {target.name}", 2))
        lines = [i for i in indicators or [] if i.target == target.id]
        tasks = by_target.get(target.id, [])
        tc = counts([t.light for t in tasks])
        add(Paragraph(f"目标灯号 target light: {light_text(roll.light) if roll else light_text('grey')}; "
                      f"相关任务 tasks of the areas that advance it: 绿{tc['green']} 黄{tc['yellow']} "
                      f"红{tc['red']} 无数据{tc['grey']} (shown beside, not averaged into, the indicator lights)."))
        if lines:
            add(Table(f"indicators-{target.id}", f"{target.id} 指标 indicators",
                      ["指标 indicator", "名称 name", "当前值 value", "目标 target", "序时 pace", "灯 light",
                       "说明 reason"],
                      [[i.indicator, i.indicator_name, "" if i.value is None else f"{i.value:g}{i.unit}",
                        i.target_value, i.pace, light_text(i.light), i.reason] for i in lines], 5))
        elif indicators is None:
            add(Paragraph(NO_READINGS))
        if tasks:
            add(Table(f"tasks-{target.id}", f"{target.id} 相关任务 tasks", TASK_HEADERS, _task_rows(tasks, False), 3))

    add(Heading(f"{next(n)}、红灯、黄灯任务 Red and yellow tasks", 1))
    detail = [*TASK_HEADERS, "存在问题 problems", "下步计划 next steps"]
    for light, caption in (("red", "红灯任务 red list"), ("yellow", "黄灯任务 yellow list")):
        chosen = [t for t in status.tasks if t.light == light]
        add(Paragraph(f"{caption}: {len(chosen)}项", strong=True))
        if chosen:
            add(Table(light, caption, detail, _task_rows(chosen, True), 3))

    add(Heading(f"{next(n)}、未报送及逾期 Missing reports and overdue milestones", 1))
    missing: dict[str, list[str]] = {}
    for t in status.tasks:
        for dept in t.missing:
            missing.setdefault(dept, []).append(f"{t.task} {t.name}")
    add(Paragraph(f"截至{status.reporting_day}，{len(missing)}个牵头单位有任务未报送 "
                  f"({sum(map(len, missing.values()))} lead report(s) missing)."))
    if missing:
        add(Table("missing", "未报送 missing reports by department",
                  ["牵头单位 department", "项数 count", "任务 tasks"],
                  [[d, str(len(ts)), "；".join(ts)] for d, ts in sorted(missing.items(), key=lambda kv: -len(kv[1]))]))
    names = {d.id: d.name for d in graph.of_kind("Department")}
    if status.late:
        add(Table("late", "逾期报送 reports after the reporting day",
                  ["单位 department", "任务 task", "填报日期 reported"],
                  [[names.get(x.department, x.department), x.task, x.reported_on.isoformat()] for x in status.late]))
    overdue = [t for t in status.tasks if t.label == "节点逾期"]
    add(Paragraph(f"逾期未完成节点 overdue milestones: {len(overdue)}项"))
    if overdue:
        add(Table("overdue", "逾期节点 overdue milestones", ["任务 task", "名称 name", "牵头单位 lead", "节点 due",
                                                          "节点内容 deliverable", "依据 reason"],
                  [[t.task, t.name, "、".join(t.leads), str(t.due), t.deliverable, t.reason] for t in overdue]))

    add(Heading(f"{next(n)}、部门情况 Departments", 1))
    add(Table("departments", "牵头单位 departments leading tasks",
              ["单位 department", "牵头任务 tasks", "绿 green", "黄 yellow", "红 red", "无数据 grey",
               "已报送 reported", "按时 on time"],
              [[r["name"], str(r["tasks"]), str(r["green"]), str(r["yellow"]), str(r["red"]), str(r["grey"]),
                str(r["reported"]), str(r["on_time"])] for r in department_rollup(graph, status)]))
    add(Table("areas", "方面 areas (worst light of their tasks)",
              ["方面 area", "名称 name", "灯 light", "绿", "黄", "红", "无数据"],
              [[r["area"], r["name"], light_text(r["light"]), str(r["green"]), str(r["yellow"]), str(r["red"]),
                str(r["grey"])] for r in area_rollup(graph, status)], 2))

    add(Heading("附件 方法与阈值 Appendix: method and thresholds", 1))
    for text in method_notes(rules, status):
        add(Paragraph(text))
    if example:
        add(Paragraph(f"{EXAMPLE_MARK}: 本通报使用示例台账数据，不是真实报送 (made-up demo data, not real reporting).",
                      strong=True))
    return b


def method_notes(rules: TaskRules, status: TaskStatus) -> list[str]:
    statuses = "、".join(rules.statuses)
    return [
        f"台账: 各单位每月报送，报送截止日为每月{rules.reporting_day}日；状态取值 {statuses}。"
        f"Each department returns the ledger monthly by day {rules.reporting_day}.",
        "节点: 每期台账对应截止日在上期报送截止日之后的最早节点。按期完成为绿灯，逾期完成为黄灯，到期未完成为红灯；"
        f"{rules.due_soon_days}日内到期且未完成为黄灯。Milestone reached on time green, late yellow, missed red; due "
        f"within {rules.due_soon_days} days and not reached yellow.",
        f"序时进度: 差距 g = (时间进度 − 完成进度) × 100 个百分点; g ≤ 0 绿灯, "
        f"0 < g < {rules.watch_below:g} 绿灯(关注), {rules.watch_below:g} ≤ g ≤ {rules.red_above:g} 黄灯, "
        f"g > {rules.red_above:g} 红灯。时间进度按节点所在区间的"
        "天数计算。Pace gap against the share of the milestone's window elapsed by the end of the month.",
        "牵头单位未报送: 任务为无数据(灰)并列入未报送名单; 多个牵头单位取最差灯号。方面灯号取其任务最差灯号; 目标旁列出"
        "推进它的方面的任务灯号，不并入指标灯号。No lead row: grey and listed; several leads: the worst light.",
        *(f"来源 source ({key}): {text}" for key, text in sorted(rules.sources.items())),
    ]



def status_overview(b: Bulletin) -> Bulletin:
    """The one-page status overview of the meeting pack: the bulletin's summary, red list, areas and departments."""
    keep = ("summary", "red", "areas", "departments")
    tables = b.tables()
    blocks: list[Block] = [Paragraph(f"{b.issue}: 灯号汇总、红灯任务、各方面和牵头单位情况; 详见调度通报 (lights by "
                                     "kind, the red list, areas and departments; the bulletin has the rest).")]
    blocks += [tables[key] for key in keep if key in tables]
    return Bulletin(title=b.title.removesuffix("调度通报") + "状态总览", issue=b.issue, issuer=b.issuer,
                    date_line=b.date_line, example=b.example, blocks=blocks)
