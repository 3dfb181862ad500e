"""A 分工 document (任务分工方案, 分解表) -> its items, each with the unit lists as written.

Read in the forms such documents are published in:
- F1 labelled lines: a task, then `牵头单位:…`, `责任单位:…` (or `配合单位:`), optionally `牵头领导:…`, `完成时限:…`;
- F2 inline, no split: `…(A、B、C等按职责分工负责)`: all responsible, no lead;
- F3 inline with a split: `…〔A、B等牵头,C、D按职责分工负责〕`;
- F4 tables (.xlsx, .csv, .docx) with columns 序号 / 主要任务 / 牵头单位 / 配合单位 / 责任领导 / 完成时限;
- F5 such a table flattened to text, one cell a line, cells split over lines, empty cells left out.
Names are not resolved here (kg/ingest/names.py splits them, kg/ingest/registry.py resolves them). A document in
which no item names a unit, or a table without the expected columns, is an error; nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from kg.errors import UsageError
from kg.ingest.names import fold, split_units
from kg.ingest.read import Table, read_document, read_tables

LABELS = {
    "lead": ("牵头单位", "牵头部门", "牵头责任单位"),
    "responsible": ("责任单位", "配合单位", "责任部门", "配合部门", "协办单位", "参与单位"),
    "leader": ("牵头领导", "责任领导", "牵头市领导", "分管领导", "牵头省领导"),
    "deadline": ("完成时限", "完成时间", "时间节点", "时限要求"),
}
TASK_HEADERS = ("主要任务", "工作举措", "重点任务", "工作任务", "主要工作任务", "具体任务", "任务事项", "工作内容",
                "主要内容", "任务内容", "重点工作")
NUMBER_HEADERS = ("序号", "编号")
_LABEL_RE = re.compile(r"^\s*(" + "|".join(w for ws in LABELS.values() for w in ws) + r")\s*[:：]\s*(.*)$")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUMBER_RE = re.compile(r"^\s*(?:(\d+)\s*[.．、]|[（(](\d+)[)）]|([一二三四五六七八九十]+)是|"
                        r"([一二三四五六七八九十]+)、)\s*")
_HEADING_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")
_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DEADLINE_RE = re.compile(r"^(\d{4}年.*|.*(年底|年末|月底|月末|季度|长期|持续|常态|前完成|底前|年内).*)$")
_LEADER_RE = re.compile(r"(市长|省长|区长|县长|秘书长|书记|领导同志|分管领导|副主任)")
_STRONG_SUFFIX = re.compile(r"(局|委|办|厅|政府|管委会|中心|办公室|部门|单位|部|院|会|行|处|组)$")
_OPEN, _CLOSE = "(（〔[【", ")）〕]】"
# Word's layout characters part two names as a line break does (kg/ingest/names.py): its manual line break (\v),
# page break (\f), a carriage return, a tab. Any other control character (a bell, NUL, ESC, DEL) is no part of a name.
_NOT_IN_A_NAME = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_NAMES = ("lead", "responsible", "leader")


@dataclass
class Item:
    """One item of a 分工 document, units as written."""

    line: int  # line of the text, or row of the table (1-based)
    number: int | None
    text: str
    lead: str = ""
    responsible: str = ""
    leader: str = ""
    deadline: str = ""
    section: str = ""  # the heading it stands under (helps place an item that matches no task)
    quote: str = ""  # the verbatim line(s) or cells it was read from


@dataclass
class AssignDocument:
    path: Path
    title: str | None
    date: str | None
    form: str  # F1 labelled | F2/F3 inline | F4 table | F5 flattened table
    items: list[Item] = field(default_factory=list)


def _number(text: str) -> tuple[int | None, str]:
    """('3', rest) from '3.…', '(3)…', '三是…', '三、…'."""
    m = _NUMBER_RE.match(text)
    if not m:
        return None, text.strip().rstrip("。；;")
    digits, paren, shi, dun = m.groups()
    rest = text[m.end():].strip().rstrip("。；;")
    if digits or paren:
        return int(digits or paren), rest
    return _cn_number(shi or dun), rest


def _cn_number(word: str) -> int:
    if word == "十":
        return 10
    if word.startswith("十"):
        return 10 + _CN_DIGITS[word[1]]
    if "十" in word:
        tens, _, ones = word.partition("十")
        return _CN_DIGITS[tens] * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[word]


def _role_of(label: str) -> str:
    return next(role for role, words in LABELS.items() if label in words)


def _header(lines: list[str]) -> tuple[str | None, str | None]:
    """The document's title (a line naming a 分工/方案/分解) and date (the first 年月日), from its first lines."""
    title = date = None
    for line in lines[:15]:
        text = line.strip()
        if not text:
            continue
        if title is None and re.search(r"(分工|方案|分解|任务表|清单)", text) and len(text) <= 80 \
                and not _LABEL_RE.match(text) and not _NUMBER_RE.match(text):
            title = text
        m = _DATE_RE.search(text)
        if date is None and m and len(text) <= 20:
            date = f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日"
    return title, date


def read_assignments(path: Path, encoding: str | None = None, is_unit: Callable[[str], bool] | None = None
                     ) -> AssignDocument:
    """Read a 分工 document in any of the forms F1–F5; `is_unit` says whether a name is a known body (the
    registry's), which helps tell a flattened table's task text from its unit cells."""
    suffix = path.suffix.lower()
    check = is_unit or (lambda name: False)
    if suffix in (".csv", ".xlsx", ".xlsm"):
        doc = _from_tables(path, read_tables(path, encoding))
    elif suffix == ".docx":
        tables = read_tables(path)
        if any(_find_header(t) for t in tables):
            doc = _from_tables(path, tables)
            text_doc = read_document(path)
            title, date = _header(text_doc.text.splitlines())
            doc.title, doc.date = doc.title or title, doc.date or date
        else:
            doc = _from_text(path, read_document(path).text, check)
    else:
        doc = _from_text(path, read_document(path, encoding).text, check)
    if not any(item.lead or item.responsible for item in doc.items):
        raise UsageError(f"{path}: no units found (valid: lines '牵头单位:…' and '责任单位:…' under each task, "
                         "an inline '(A牵头,B按职责分工负责)', or a table with 牵头单位 and 配合单位 columns)")
    return doc


# -- text: F1, F2/F3, F5 ------------------------------------------------------------------------------------------
def _from_text(path: Path, text: str, is_unit: Callable[[str], bool]) -> AssignDocument:
    lines = text.splitlines()
    title, date = _header(lines)
    if any(_LABEL_RE.match(line) for line in lines):
        doc = AssignDocument(path, title, date, "F1 labelled", _labelled(path, lines))
    elif (header := _flat_header(lines)) is not None:
        start, columns = header
        doc = AssignDocument(path, title, date, "F5 flattened table", _flattened(path, lines, start, columns, is_unit))
    else:
        doc = AssignDocument(path, title, date, "F2/F3 inline", _inline(lines))
    for item in doc.items:
        bad = _control_in_names(item)
        if bad:  # the line named is the first of the item's lines that holds the character
            line = next((i for i, written in enumerate(lines[item.line - 1:], item.line) if bad[1][0] in written),
                        item.line)
            _refuse_control(f"{path}:{line}", item, *bad)
    return doc


def _control_in_names(item: Item) -> tuple[str, re.Match[str]] | None:
    """(role, the match) of the first control character in a unit or leader cell (see _NOT_IN_A_NAME), if any."""
    for role in _NAMES:
        found = _NOT_IN_A_NAME.search(getattr(item, role))
        if found:
            return role, found
    return None


def _refuse_control(where: str, item: Item, role: str, found: re.Match[str]) -> NoReturn:
    from kg.output import sign, visible_name

    shown, code = visible_name(getattr(item, role)), f"{ord(found[0]):04X}"
    raise UsageError(f"{where}: {LABELS[role][0]} '{shown}' holds a control character, {sign(found)} (U+{code}), "
                     "which is no part of a name (valid: names parted by 、, a comma or a line break)")


def _labelled(path: Path, lines: list[str]) -> list[Item]:
    items: list[Item] = []
    pending: list[tuple[int, str]] = []  # text lines since the last label
    section = ""
    current: Item | None = None
    for i, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        m = _LABEL_RE.match(line)
        if m is None:
            pending.append((i, line))
            current = None
            continue
        if current is None:
            if not pending:
                raise UsageError(f"{path}:{i}: {line[:30]!r} has no task before it (valid: the task's line, then its "
                                 "牵头单位:/责任单位: lines)")
            for _, heading in pending[:-1]:
                section = heading
            at, task_line = pending[-1]
            number, task = _number(task_line)
            current = Item(at, number, task, section=section, quote=task_line)
            items.append(current)
            pending = []
        role = _role_of(m.group(1))
        value = m.group(2).strip()
        setattr(current, role, (getattr(current, role) + "、" + value).strip("、") if getattr(current, role)
                else value)
        current.quote += "\n" + line
    return items


def _bracket_tail(line: str) -> tuple[str, str] | None:
    """(text before, content) of the bracketed group a line ends with (before 。), brackets inside it balanced."""
    body = line.rstrip().rstrip("。.;；")
    if not body or body[-1] not in _CLOSE:
        return None
    depth = 0
    for k in range(len(body) - 1, -1, -1):
        ch = body[k]
        if ch in _CLOSE:
            depth += 1
        elif ch in _OPEN:
            depth -= 1
            if depth == 0:
                return body[:k].rstrip().rstrip("。"), body[k + 1:-1]
    return None


def _split_inline(content: str) -> tuple[str, str]:
    """(lead, responsible) of `A、B等牵头,C、D按职责分工负责`, `A牵头`, or `A、B等按职责分工负责` (no lead)."""
    labelled = {role: "" for role in LABELS}
    parts = re.split(r"[;；。]", content)
    if any(_LABEL_RE.match(p) for p in parts):
        for p in parts:
            m = _LABEL_RE.match(p)
            if m:
                labelled[_role_of(m.group(1))] = m.group(2)
        return labelled["lead"], labelled["responsible"]
    m = re.search(r"牵头(?:负责)?[,，;；]?", content)
    if m:
        return content[: m.start()], content[m.end():]
    return "", content


def _inline(lines: list[str]) -> list[Item]:
    items: list[Item] = []
    section = ""
    for i, raw in enumerate(lines, start=1):
        line = raw.strip()
        found = _bracket_tail(line) if line else None
        if found is None or not re.search(r"(牵头|负责|责任单位|配合)", found[1]):
            if line and _HEADING_RE.match(line) and len(line) < 60:
                section = line
            continue
        before, content = found
        number, text = _number(before)
        lead, responsible = _split_inline(content)
        items.append(Item(i, number, text, lead.strip(), responsible.strip(), section=section, quote=line))
    return items


def _flat_header(lines: list[str]) -> tuple[int, list[str]] | None:
    """Where a flattened table's header ends and its columns, if the text has one (cells one a line)."""
    words = {w: role for role, ws in LABELS.items() for w in ws}
    for i, _line in enumerate(lines):
        columns: list[str] = []
        j = i
        while j < len(lines):
            cell = fold(lines[j])
            if not cell:
                j += 1
                continue
            if cell in NUMBER_HEADERS:
                columns.append("number")
            elif cell in TASK_HEADERS:
                columns.append("text")
            elif cell in words:
                columns.append(words[cell])
            else:
                break
            j += 1
        if "text" in columns and "lead" in columns and len(columns) >= 3:
            return j, columns
    return None


def _unit_line(line: str, is_unit: Callable[[str], bool]) -> bool:
    """A line that is a list of units: each name known to the registry, a collective, or an office's name."""
    if not line or len(line) > 80 or re.search(r"[。:：]", line):
        return False
    units = split_units(line)
    if not units:
        return False
    for unit in units:
        if unit.collective or any(is_unit(c) for c in unit.candidates):
            continue
        office_like = _STRONG_SUFFIX.search(unit.written) and len(unit.written) <= 16
        if not (office_like and unit.candidates[0][0] in "市省区县"):
            return False
    return True


def _group_units(lines: list[str], is_unit: Callable[[str], bool]) -> list[str] | None:
    """Lines of unit cells -> one string per cell: a line that does not end on a whole name continues on the next
    (a cell split over lines). None if the lines are not all units."""
    groups: list[str] = []
    current = ""
    for line in lines:
        current += line
        if _unit_line(current, is_unit):
            groups.append(current)
            current = ""
    if current:
        return None
    return groups


def _split_row(body: list[str], is_unit: Callable[[str], bool]) -> tuple[int, list[str]] | None:
    """Where a flattened row's task text ends: the first line from which every line left makes whole unit cells,
    each naming at least one body the registry knows (so 区域科技创新中心 in a task is not taken for a unit);
    failing that, cells of office-like names."""
    for strict in (True, False):
        for k in range(1, len(body)):
            groups = _group_units(body[k:], is_unit)
            if groups and (not strict or all(
                    any(u.collective or any(is_unit(c) for c in u.candidates) for u in split_units(g))
                    for g in groups)):
                return k, groups
    return None


def _flattened(path: Path, lines: list[str], start: int, columns: list[str], is_unit: Callable[[str], bool]
               ) -> list[Item]:
    numbered = "number" in columns
    rows: list[tuple[int, int | None, list[str], str]] = []  # (line, number, cells' lines, section)
    section = ""
    expected = 1
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if not line or line in ("—", "-", "/", "／", "无"):
            continue
        if numbered and line.isdigit() and int(line) == expected:
            rows.append((i + 1, int(line), [], section))
            expected += 1
            continue
        if not numbered and _NUMBER_RE.match(line) and re.match(r"^\s*\d", line):
            number, rest = _number(line)
            rows.append((i + 1, number, [rest], section))
            continue
        if _HEADING_RE.match(line) and (not rows or rows[-1][2]) and not _unit_line(line, is_unit):
            section = line
            continue
        if rows:
            rows[-1][2].append(line)
    items = []
    for at, number, cells, sec in rows:
        deadline = leader = ""
        body = list(cells)
        if "deadline" in columns and body and _DEADLINE_RE.match(body[-1]):
            deadline = body.pop()
        if "leader" in columns and body and _LEADER_RE.search(body[-1]) and not _unit_line(body[-1], is_unit):
            leader = body.pop()
        split = _split_row(body, is_unit)
        if split is None:
            raise UsageError(f"{path}:{at}: row {number or ''} of the flattened table has no unit cells after its task "
                             f"text ({' / '.join(cells)[:60]!r})")
        k, cells_found = split
        lead_at = columns.index("lead")
        responsible_first = "responsible" in columns and columns.index("responsible") < lead_at
        first, others = ((cells_found[-1], cells_found[:-1]) if responsible_first
                         else (cells_found[0], cells_found[1:]))
        items.append(Item(at, number, "".join(body[:k]), first, "、".join(others), leader, deadline, sec,
                          "\n".join([str(number), *cells] if number is not None else cells)))
    return items


# -- tables: F4 ----------------------------------------------------------------------------------------------------
_JOIN = {"lead": "、", "responsible": "、", "leader": "、", "text": "；", "deadline": "；"}  # several columns of one


def _column_role(cell: str) -> str | None:
    name = fold(cell)
    if name in NUMBER_HEADERS:
        return "number"
    if name in TASK_HEADERS:
        return "text"
    return next((role for role, words in LABELS.items() if name in words), None)


def _find_header(table: Table) -> tuple[int, dict[str, list[int]]] | None:
    """The header row and the columns of each role: every column that gives it (牵头单位 and 牵头部门 side by side
    are both read). A header over two rows (责任单位 spanning 牵头单位 | 配合单位 below it) ends at the lower one."""
    for r, row in enumerate(table.rows[:10]):
        roles = {c: role for c, cell in enumerate(row) if (role := _column_role(cell))}
        if "text" not in roles.values() or not {"lead", "responsible"} & set(roles.values()):
            continue
        below = table.rows[r + 1] if r + 1 < len(table.rows) else []
        lower = {c: role for c, cell in enumerate(below) if (role := _column_role(cell))}
        if {"lead", "responsible"} & set(lower.values()) and len(lower) == sum(1 for c in below if c.strip()):
            roles, r = {**roles, **lower}, r + 1
        columns: dict[str, list[int]] = {}
        for c, role in sorted(roles.items()):
            columns.setdefault(role, []).append(c)
        return r, columns
    return None


def _from_tables(path: Path, tables: list[Table]) -> AssignDocument:
    found = [(t, h) for t in tables if (h := _find_header(t))]
    if not found:
        seen = " | ".join(c for t in tables for row in t.rows[:3] for c in row if c)[:120]
        raise UsageError(f"{path}: no table with the expected columns (valid: 序号, 主要任务 or 工作举措, 牵头单位, "
                         f"配合单位 or 责任单位, optionally 责任领导, 完成时限; found: {seen or 'no cells'})")
    title = date = None
    items: list[Item] = []
    for table, (header_row, columns) in found:
        numbers = columns.get("number", [])
        if len(numbers) > 1:
            header = table.rows[header_row]
            raise UsageError(f"{path}:{table.row_numbers[header_row]}: {table.name}: columns {numbers[0] + 1} "
                             f"({header[numbers[0]]}) and {numbers[1] + 1} ({header[numbers[1]]}) both give the item's "
                             "number (valid: one 序号 or 编号 column; remove or rename the other)")
        above = [c for row in table.rows[:header_row] for c in row if c]
        t, d = _header(above)
        title, date = title or t, date or d
        section = ""
        for row, number_at in zip(table.rows[header_row + 1:], table.row_numbers[header_row + 1:], strict=True):
            def cell(role: str, row: list[str] = row, columns: dict[str, list[int]] = columns) -> str:
                values = [row[c].strip() for c in columns.get(role, []) if c < len(row) and row[c].strip()]
                return _JOIN.get(role, "").join(dict.fromkeys(values))

            filled = [c for c in row if c.strip()]
            if not filled:
                continue
            if any(_column_role(c) == "text" for c in filled) and all(_column_role(c) for c in filled):
                continue  # the header again: a table pasted together from parts, or a page's header typed in
            if len(set(filled)) == 1 and not (cell("lead") or cell("responsible")):
                section = filled[0]  # a heading row (one cell, or one merged across the row)
                continue
            written = cell("number")
            # 3, or 3. / 3、 / (3) as Word's numbering of a 序号 column shows it
            number = int(written) if written.isdigit() else _number(written)[0] if written else None
            text = cell("text")
            if number is None:
                number, text = _number(text)
            items.append(Item(number_at, number, text, cell("lead"), cell("responsible"), cell("leader"),
                              cell("deadline"), section, " | ".join(c for c in row if c)))
            bad = _control_in_names(items[-1])
            if bad:
                at = f"{path}:{number_at}" if path.suffix.lower() == ".csv" else f"{path}:{table.name}:{number_at}"
                _refuse_control(at, items[-1], *bad)
    return AssignDocument(path, title, date, "F4 table", items)
