"""Regenerates the example ledger (made-up demo data, provenance `example`) for 2025-05 and 2025-06.

Run from the repository root: .venv/bin/python seed/examples/generate.py
The rows are invented to show every light: on pace, watched, behind, far behind, done early, a late report and
lead departments that did not report. They are not real reporting.
"""

from __future__ import annotations

import csv
from pathlib import Path

from kg.ingest.seed import load_plan
from kg.progress.ledger import HEADERS, safe_cell, template_rows
from kg.progress.milestones import load_milestones

HERE = Path(__file__).resolve().parent
PROBLEMS = ["（示例）项目用地指标尚未落实", "（示例）配套资金到位较慢", "（示例）部门间协调机制待完善",
            "（示例）重点企业投资意愿偏弱", "（示例）审批环节多、周期长"]
STEPS = ["（示例）下月召开专题调度会", "（示例）协调市财政局加快资金拨付", "（示例）建立周调度工作机制",
         "（示例）赴先进地区对标学习", "（示例）压缩审批时限"]
# task number -> (May progress, June progress) for lead rows; others follow the default pattern below.
SPECIAL = {3: (35, 100), 15: (30, 38), 22: (20, 12), 37: (40, 42), 45: (10, 15), 56: (45, 80)}
MISSING_JUNE = {7, 33, 50}  # lead departments that did not report in June
LATE_JUNE = {19}  # reported after the 28th


def progress(task: int, month: int) -> float:
    if task in SPECIAL:
        return SPECIAL[task][0 if month == 5 else 1]
    base = 15 + (task * 37) % 60  # 15..74 in May
    return min(100, base + (8 + task % 7 if month == 6 else 0))


def main() -> None:
    graph = load_plan()
    milestones = load_milestones(HERE.parent, graph)
    for month in (5, 6):
        period = f"2025-{month:02d}"
        out = []
        for row in template_rows(graph, milestones, period, None, 28):
            number = int(row["task"][1:])
            lead = row["department"] in [graph.nodes[e.source].name for e in graph.edges
                                         if e.kind == "LEADS" and e.target == row["task"]]
            if not lead and number % 4:  # most supporting units leave their rows blank
                continue
            if lead and month == 6 and number in MISSING_JUNE:
                continue
            value = progress(number, month) if lead else max(0, progress(number, month) - 5)
            done = value >= 100
            behind = value < 25
            status = "已完成" if done else "滞后" if behind else "推进中"
            day = 30 if (month == 6 and number in LATE_JUNE) else 20 + number % 8
            out.append({**{h: row[f] for h, f in zip(HEADERS[:9], (
                "period", "task", "task_name", "area", "leads", "supporting", "department", "due",
                "deliverable"), strict=True)},
                "完成情况": f"（示例）年度工作量已完成约{value:g}%",
                "进度(%)": f"{value:g}", "状态": status,
                "完成日期": f"2025-{month:02d}-15" if done else "",
                "存在问题": PROBLEMS[number % 5] if value < 50 else "",
                "下步计划": STEPS[number % 5] if value < 50 else "",
                "填报人": "（示例）联络员", "填报日期": f"2025-{month:02d}-{day:02d}", "provenance": "example"})
        path = HERE / f"ledger-{period}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=[*HEADERS, "provenance"], lineterminator="\n")
            writer.writeheader()
            for record in out:
                writer.writerow({k: safe_cell(v) for k, v in record.items()})
        print(f"wrote {path}: {len(out)} rows")


if __name__ == "__main__":
    main()
