"""The task ledger (台账): the workbook sent to departments, the returned sheets read back, and where they are kept.

Kept rows: `<ledger dir>/<plan>/<period>/<department id>.v<N>.csv`, one file per department and period, written
atomically. A returned sheet replaces that department's rows for that period by adding version N+1; earlier
versions stay on disk and only the highest version is read.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from kg.errors import UsageError
from kg.ingest.read import read_bytes
from kg.model import PlanGraph, natural_key
from kg.progress.milestones import Milestone, by_task, check_period, current_milestone, plan_years
from kg.progress.readings import parse_number

LEDGER_SHEET = "台账"
MILESTONE_SHEET = "时间节点"
META_SHEET = "_meta"  # hidden: plan id, period, department, so a returned file can be recognised
# (Chinese header, field). The first nine are filled in by plan-kg and protected; the rest are the department's.
PREFILLED = (("报告期", "period"), ("任务编号", "task"), ("任务名称", "task_name"), ("所属方面", "area"),
             ("牵头单位", "leads"), ("责任单位", "supporting"), ("填报单位", "department"), ("时间节点", "due"),
             ("节点内容", "deliverable"))
REPORTED = (("完成情况", "completion"), ("进度(%)", "progress"), ("状态", "status"), ("完成日期", "done_on"),
            ("存在问题", "problems"), ("下步计划", "next_steps"), ("填报人", "reporter"), ("填报日期", "reported_on"))
HEADERS = tuple(h for h, _ in PREFILLED + REPORTED)
REQUIRED = ("报告期", "任务编号", "填报单位", "进度(%)", "状态", "填报日期")
COLUMNS = (*HEADERS, "provenance")  # every column a returned sheet may have: the template's, and the example's mark
PROVENANCES = ("official", "example")  # a department's returned sheet, or made-up demo data
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell that a spreadsheet cannot take for a formula: a leading = + - @ tab or CR gets a `'` in front."""
    return "'" + value if value.startswith(FORMULA_START) else value


def unsafe_cell(value: str) -> str:
    """`safe_cell` undone, for reading back what we wrote."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


@dataclass
class LedgerRow:
    """One department's report on one task for one period."""

    period: str
    task: str
    department: str  # department id
    progress: float
    status: str
    reported_on: date
    done_on: date | None = None
    completion: str = ""
    problems: str = ""
    next_steps: str = ""
    reporter: str = ""
    provenance: str = "official"
    source: str = ""  # file:sheet:row it was read from

    def as_csv(self) -> dict[str, str]:
        out = {k: ("" if v is None else v.isoformat() if isinstance(v, date) else str(v))
               for k, v in asdict(self).items()}
        out["progress"] = f"{self.progress:g}"
        return {k: safe_cell(v) for k, v in out.items()}


STORED_COLUMNS = tuple(f.name for f in fields(LedgerRow))


# -- the template -------------------------------------------------------------------------------------------------
def _names(graph: PlanGraph, ids: list[str]) -> str:
    return "、".join(graph.nodes[i].name for i in ids)


def task_departments(graph: PlanGraph) -> dict[str, tuple[list[str], list[str]]]:
    """task id -> (lead department ids, supporting department ids), each sorted by id."""
    out: dict[str, tuple[list[str], list[str]]] = {t.id: ([], []) for t in graph.of_kind("Task")}
    for e in graph.edges:
        if e.kind in ("LEADS", "SUPPORTS") and e.target in out:
            out[e.target][0 if e.kind == "LEADS" else 1].append(e.source)
    return {t: (sorted(set(lead)), sorted(set(sup))) for t, (lead, sup) in out.items()}


def task_areas(graph: PlanGraph) -> dict[str, str]:
    return {e.target: e.source for e in graph.edges if e.kind == "HAS_TASK"}


def template_rows(graph: PlanGraph, milestones: list[Milestone], period: str, department: str | None,
                  reporting_day: int) -> list[dict[str, str]]:
    """The rows of the workbook: one per task and responsible department (lead or supporting), or only those of
    `department` (an id)."""
    check_period(period, graph)
    staged = by_task(milestones)
    areas = task_areas(graph)
    rows = []
    for tid, (leads, supporting) in sorted(task_departments(graph).items(), key=lambda kv: natural_key(kv[0])):
        task = graph.nodes[tid]
        milestone, _ = current_milestone(staged.get(tid, []), period, reporting_day)
        for did in leads + supporting:
            if department is not None and did != department:
                continue
            area = graph.nodes[areas[tid]] if tid in areas else None
            rows.append({"period": period, "task": tid, "task_name": task.name,
                         "area": f"{area.id} {area.name}" if area else "", "leads": _names(graph, leads),
                         "supporting": _names(graph, supporting), "department": graph.nodes[did].name,
                         "due": milestone.due.isoformat() if milestone else "",
                         "deliverable": milestone.deliverable if milestone else ""})
    return rows


def _width(texts: list[str]) -> float:
    """A column width that fits Chinese text: a CJK character is two columns wide."""
    longest = max((sum(2 if ord(c) > 0x2E7F else 1 for c in t) for t in texts), default=8)
    return float(min(max(longest + 2, 8), 60))


def write_template(graph: PlanGraph, milestones: list[Milestone], period: str, department: str | None,
                   statuses: list[str], reporting_day: int) -> bytes:
    """The 台账 workbook as .xlsx bytes: frozen Chinese headers, a 状态 drop-down, a 进度 number check, the
    pre-filled columns protected, a sheet of every milestone, and a hidden sheet naming plan, period and department."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = template_rows(graph, milestones, period, department, reporting_day)
    if not rows:
        raise UsageError(f"{graph.nodes[department].name if department else 'no department'} has no task to report on")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = LEDGER_SHEET
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append([safe_cell(row[f]) for _, f in PREFILLED] + [None] * len(REPORTED))
    last = len(rows) + 1
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, grey
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for col, header in enumerate(HEADERS, start=1):
        letter = get_column_letter(col)
        texts = [header] + [str(sheet.cell(r, col).value or "") for r in range(2, last + 1)]
        sheet.column_dimensions[letter].width = _width(texts) if col <= len(PREFILLED) else 16.0 if col != 10 else 30.0
        if col > len(PREFILLED):  # the department's columns stay editable under sheet protection
            for r in range(2, last + 1):
                sheet.cell(r, col).protection = Protection(locked=False)
    sheet.freeze_panes = "D2"
    status_col = get_column_letter(HEADERS.index("状态") + 1)
    progress_col = get_column_letter(HEADERS.index("进度(%)") + 1)
    date_cols = [get_column_letter(HEADERS.index(h) + 1) for h in ("完成日期", "填报日期")]
    choose = DataValidation(type="list", formula1='"' + ",".join(statuses) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="状态", error="请从列表中选择: " + "、".join(statuses))
    choose.add(f"{status_col}2:{status_col}{last}")
    number = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
                            showErrorMessage=True, errorTitle="进度(%)", error="请填写 0 到 100 之间的数字")
    number.add(f"{progress_col}2:{progress_col}{last}")
    sheet.add_data_validation(choose)
    sheet.add_data_validation(number)
    for letter in date_cols:
        for r in range(2, last + 1):
            sheet[f"{letter}{r}"].number_format = "yyyy-mm-dd"
    sheet.protection.sheet = True  # locks the pre-filled columns; no password, it guards against slips only
    sheet.protection.formatCells = False
    sheet.protection.formatColumns = False

    sheet_tasks = {r["task"] for r in rows}
    timeline = book.create_sheet(MILESTONE_SHEET)
    timeline.append(["任务编号", "任务名称", "时间节点", "节点内容", "来源"])
    for m in milestones:
        if m.task in sheet_tasks:
            origin = (f"方案原文: {m.provenance.quote}" if m.provenance.kind == "seed"
                      else f"整理: {m.provenance.rationale}")
            timeline.append([m.task, safe_cell(graph.nodes[m.task].name), m.due.isoformat(),
                             safe_cell(m.deliverable), safe_cell(origin)])
    for cell in timeline[1]:
        cell.font, cell.fill = bold, grey
    for letter, width in zip("ABCDE", (10, 30, 12, 36, 60), strict=True):
        timeline.column_dimensions[letter].width = width
    timeline.freeze_panes = "A2"
    timeline.protection.sheet = True

    meta = book.create_sheet(META_SHEET)
    for key, value in (("plan", graph.plan_id), ("period", period),
                       ("department", department or ""), ("kind", "plan-kg ledger template")):
        meta.append([key, safe_cell(value)])
    meta.sheet_state = "hidden"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# -- reading returned sheets ------------------------------------------------------------------------------------
@dataclass
class Imported:
    rows: list[LedgerRow]
    blank: int  # rows of the sheet the department left empty: not reported
    files: list[str]


def department_names(graph: PlanGraph) -> dict[str, str]:
    """Every name and alias of a department -> its id; the 市 prefix is optional, as in official lists."""
    out: dict[str, str] = {}
    for d in graph.of_kind("Department"):
        for label in [d.name, *(d.props.get("aliases") or [])]:
            out[label] = d.id
            out.setdefault(label.removeprefix("市"), d.id)
    return out


def _date(text: str) -> date | None:
    """A date cell: ISO text, an Excel date read back as 'YYYY-MM-DD 00:00:00', or 2025/6/25, 2025年6月25日; in
    full-width forms too (２０２５－０６－２５, NFKC as readings take them), but in no other digits
    (٢٠٢٥ is refused)."""
    text = unicodedata.normalize("NFKC", text).strip()
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})(?: 00:00:00)?", r"(\d{4})/(\d{1,2})/(\d{1,2})",
                    r"(\d{4})年(\d{1,2})月(\d{1,2})日", r"(\d{4})\.(\d{1,2})\.(\d{1,2})"):
        match = re.fullmatch(pattern, text, re.ASCII)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def date_window(graph: PlanGraph) -> tuple[date, date] | None:
    """The dates a ledger row may give (完成日期, 填报日期): the plan's years and one either side, for work done
    ahead of it, a late milestone or the last report filed after it; None when the plan names no years (every
    row's 报告期 is refused then)."""
    try:
        start, end = plan_years(graph)
    except UsageError:
        return None
    return date(start - 1, 1, 1), date(end + 1, 12, 31)


def _ledger_table(path: Path) -> tuple[Any, dict[str, str] | None]:
    """The ledger table of a returned file and its hidden metadata (None for CSV, which has no sheets)."""
    from kg.ingest.read import read_tables

    tables = read_tables(path)
    if path.suffix.lower() == ".csv":
        return tables[0], None
    meta = next((t for t in tables if t.name == META_SHEET), None)
    info = {row[0]: unsafe_cell(row[1]) for row in (meta.rows if meta else []) if len(row) >= 2 and row[0]}
    table = next((t for t in tables if t.name == LEDGER_SHEET), None)
    if table is None:
        names = ", ".join(t.name for t in tables)
        raise UsageError(f"{path}: no sheet named {LEDGER_SHEET} (sheets: {names}; valid: a workbook made by "
                         "kg progress template)")
    return table, info


def read_returned(paths: list[Path], graph: PlanGraph, statuses: list[str]) -> Imported:
    """Every row of every file, validated; all problems raised together as `file:sheet:row: what (what is valid)`."""
    from kg.errors import LedgerError
    from kg.ingest.read import header_problems, headless_cell_problem

    names = department_names(graph)
    responsible = task_departments(graph)
    task_count = len(graph.of_kind("Task"))
    problems: list[str] = []
    rows: list[LedgerRow] = []
    blank = 0
    seen: dict[tuple[str, str, str], str] = {}
    window = date_window(graph)
    today = date.today()
    for path in paths:
        table, info = _ledger_table(path)
        meta = info or {}
        sheet = table.name
        if meta.get("plan") and meta["plan"] != graph.plan_id:
            problems.append(f"{path}:{META_SHEET}:1: the workbook is for plan {meta['plan']!r} "
                            f"(valid: {graph.plan_id})")
            continue
        header = table.rows[0] if table.rows else []
        missing = [h for h in REQUIRED if h not in header]
        line = table.row_numbers[0] if table.row_numbers else 1
        at = f"{path}:{sheet}:{line}" if info is not None else f"{path}:{line}"
        if missing:
            problems.append(f"{at}: missing column(s) {', '.join(missing)} "
                            f"(valid: the header of kg progress template: {', '.join(HEADERS)})")
            continue
        odd = header_problems(header, at, COLUMNS)  # a column read once or not at all would drop what it holds
        if odd:
            problems.extend(odd)
            continue
        if len(table.rows) < 2:  # a sheet left blank has its rows, counted as not reported; this one has none
            problems.append(f"{at}: only a header, no rows: nothing to import (valid: one row a task and "
                            "department, as kg progress template writes them)")
            continue
        col = {h: header.index(h) for h in COLUMNS if h in header}
        has_provenance = "provenance" in header
        for cells, number in zip(table.rows[1:], table.row_numbers[1:], strict=True):
            def get(h: str, cells: list[str] = cells, col: dict[str, int] = col) -> str:
                i = col.get(h)
                return unsafe_cell(cells[i].strip()) if i is not None and i < len(cells) else ""

            where = f"{path}:{sheet}:{number}" if info is not None else f"{path}:{number}"
            headless = headless_cell_problem(header, cells)
            if headless:
                problems.append(f"{where}: {headless}")
                continue
            if not any(get(h) for h, _ in REPORTED):
                blank += 1
                continue
            bad = len(problems)
            period = get("报告期")
            try:
                check_period(period, graph)
            except UsageError as e:
                problems.append(f"{where}: {e}")
            if meta.get("period") and period != meta["period"]:
                problems.append(f"{where}: 报告期 {period} differs from the workbook's period "
                                f"(valid: {meta['period']})")
            cell = get("任务编号")
            tid = cell if cell.upper().startswith("T") else f"T{cell}"
            tid = tid.upper()
            if tid not in responsible:
                problems.append(f"{where}: 任务编号 {cell!r} is not a task of the plan (valid: T1 to T{task_count})")
            label = get("填报单位")
            did = names.get(label) or names.get(label.removeprefix("市"))
            if did is None:
                problems.append(f"{where}: 填报单位 {label!r} is not a known department (valid: a name from "
                                "departments.csv, as in the template)")
            elif tid in responsible and did not in responsible[tid][0] + responsible[tid][1]:
                units = "、".join(graph.nodes[d].name for d in responsible[tid][0] + responsible[tid][1])
                problems.append(f"{where}: {label} is neither lead nor supporting unit of {tid} (valid: {units})")
            elif meta.get("department") and did != meta["department"]:
                expected = graph.nodes[meta["department"]].name if meta["department"] in graph.nodes else "?"
                problems.append(f"{where}: 填报单位 {label} differs from the workbook's department "
                                f"(valid: {expected})")
            number = parse_number(get("进度(%)").removesuffix("%"))
            if number is not None and 0 <= number <= 100:
                progress = number
            else:
                problems.append(f"{where}: 进度(%) {get('进度(%)')!r} is not a number from 0 to 100 (valid: 0 to 100)")
                progress = 0.0
            status = get("状态")
            if status not in statuses:
                problems.append(f"{where}: 状态 {status!r} is not valid (valid: {', '.join(statuses)})")
            reported_on = _date(get("填报日期"))
            if reported_on is None:
                problems.append(f"{where}: 填报日期 {get('填报日期')!r} is not a date (valid: YYYY-MM-DD)")
            done_on = _date(get("完成日期")) if get("完成日期") else None
            if get("完成日期") and done_on is None:
                problems.append(f"{where}: 完成日期 {get('完成日期')!r} is not a date (valid: YYYY-MM-DD)")
            for column, day in (("完成日期", done_on), ("填报日期", reported_on)):
                if window and day and not window[0] <= day <= window[1]:
                    problems.append(f"{where}: {column} {day} lies far outside the plan (valid: {window[0]} to "
                                    f"{window[1]}, the plan's years and one either side)")
                elif day and day > today:  # nothing was done or filled in tomorrow: a typo
                    problems.append(f"{where}: {column} {day} is after today, {today} (valid: the day it happened, "
                                    f"up to {today})")
            if status == statuses[0] and done_on is None and get("完成日期") == "":
                problems.append(f"{where}: 状态 {status} needs 完成日期 (valid: the date the milestone was reached)")
            provenance = get("provenance") if has_provenance else "official"
            provenance = provenance or "official"
            if provenance not in PROVENANCES:
                problems.append(f"{where}: provenance {provenance!r} is not valid (valid: {', '.join(PROVENANCES)})")
            if len(problems) > bad or did is None or reported_on is None:
                continue
            key = (period, tid, did)
            if key in seen:
                problems.append(f"{where}: {tid} of {label} for {period} is given twice (first at {seen[key]})")
                continue
            seen[key] = where
            rows.append(LedgerRow(period, tid, did, progress, status, reported_on, done_on, get("完成情况"),
                                  get("存在问题"), get("下步计划"), get("填报人"), provenance,
                                  where.removeprefix(f"{path.parent}/")))
    if problems:
        raise LedgerError(problems)
    return Imported(rows, blank, [str(p) for p in paths])


# -- kept rows --------------------------------------------------------------------------------------------------
_VERSION = re.compile(r"(?P<department>D-[a-z0-9-]+)\.v(?P<n>\d+)\.csv")


def _versions(folder: Path) -> dict[str, int]:
    """department id -> its highest kept version in a period's folder."""
    out: dict[str, int] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = _VERSION.fullmatch(path.name)
            if match:
                out[match["department"]] = max(out.get(match["department"], 0), int(match["n"]))
    return out


@dataclass
class Saved:
    period: str
    department: str
    version: int
    rows: int
    path: Path


def save(rows: list[LedgerRow], ledger_dir: Path, plan: str) -> list[Saved]:
    """Keep the rows: one new version per (period, department); on any failure the files of this call are removed."""
    from kg.output import write_atomic

    groups: dict[tuple[str, str], list[LedgerRow]] = {}
    for row in rows:
        groups.setdefault((row.period, row.department), []).append(row)
    written: list[Saved] = []
    try:
        for (period, department), group in sorted(groups.items()):
            folder = ledger_dir / plan / period
            version = _versions(folder).get(department, 0) + 1
            path = folder / f"{department}.v{version}.csv"
            buf = io.StringIO()
            # every cell quoted: with "\n" line ends, csv leaves a lone CR unquoted and the row breaks on reading
            writer = csv.DictWriter(buf, fieldnames=STORED_COLUMNS, lineterminator="\n", quoting=csv.QUOTE_ALL)
            writer.writeheader()
            for row in sorted(group, key=lambda r: natural_key(r.task)):
                writer.writerow(row.as_csv())
            write_atomic(path, "\ufeff" + buf.getvalue())
            written.append(Saved(period, department, version, len(group), path))
    except BaseException:
        for saved in written:
            saved.path.unlink(missing_ok=True)
        raise
    return written


def load(ledger_dir: Path, plan: str, period: str) -> list[LedgerRow]:
    """The rows in force for a period: each department's highest version."""
    folder = ledger_dir / plan / period
    out: list[LedgerRow] = []
    for department, version in sorted(_versions(folder).items()):
        path = folder / f"{department}.v{version}.csv"
        try:  # not read_text: it would turn a CR inside a cell into LF
            text = read_bytes(path).decode("utf-8-sig")
        except UnicodeDecodeError as e:  # written as UTF-8 by the import: anything else is damage
            raise UsageError(f"{path}: damaged ledger file (byte {e.start} is not UTF-8); import the department's "
                             "sheet again") from None
        for record in csv.DictReader(io.StringIO(text, newline="")):
            cells = {k: unsafe_cell(v or "") for k, v in record.items()}
            try:
                out.append(LedgerRow(
                    cells["period"], cells["task"], cells["department"], float(cells["progress"]), cells["status"],
                    date.fromisoformat(cells["reported_on"]),
                    date.fromisoformat(cells["done_on"]) if cells["done_on"] else None, cells["completion"],
                    cells["problems"], cells["next_steps"], cells["reporter"], cells["provenance"], cells["source"]))
            except (KeyError, ValueError) as e:
                raise UsageError(f"{path}: damaged ledger file ({e}); import the department's sheet again") from None
    return out
