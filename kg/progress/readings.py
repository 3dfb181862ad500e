"""Indicator readings: published figures over time, read from CSV/.xlsx (ours or Open SDG's tidy layout),
checked against the plan's indicators, and merged into seed/readings.csv without overwriting anything.

A reading names its indicator, period (2024, 2024-Q2, 2024-H1, 2024-06), value, unit, basis (level, ytd,
yoy_growth, avg_growth), geography, status (preliminary, final, revised), source and publication date.
Revisions are kept: of the readings for one indicator, period, basis and geography the latest final (or
revised) one counts; without a final one, the latest preliminary one.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from kg.errors import ValidationError
from kg.ingest.read import Table
from kg.model import PlanGraph

COLUMNS = ("indicator", "period", "value", "unit", "basis", "geo", "status", "source", "published", "quote",
           "light", "note")
REQUIRED = ("indicator", "period", "value", "unit", "basis", "status", "source")
BASES = ("level", "ytd", "yoy_growth", "avg_growth")
STATUSES = ("preliminary", "final", "revised")
LIGHT_VALUES = ("green", "yellow", "red")
DEFAULT_GEO = "沈阳市"
GEO_ALIASES = {"沈阳": "沈阳市", "辽宁": "辽宁省", "中国": "全国", "national": "全国", "liaoning": "辽宁省",
               "shenyang": "沈阳市", "CN": "全国", "CN-LN": "辽宁省"}

MAGNITUDES = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4}
BASE_UNITS = {"美元": "USD", "元": "CNY", "%": "percent", "个百分点": "percentage_points", "人": "people",
              "家": "firms", "个": "count", "天": "days", "吨": "tonnes", "公里": "km", "亩": "mu", "index": "index"}
RE_UNIT = re.compile(r"^(万亿|千亿|百亿|亿|千万|百万|万)?(美元|元|%|个百分点|人|家|个|天|吨|公里|亩|index)$")
RE_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|\d{2}))?$", re.ASCII)
RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
FORMULA_START = ("=", "+", "-", "@")
# the columns of Open SDG's tidy layout that are read (see _from_open_sdg); any other is a disaggregation
OPEN_SDG_COLUMNS = ("Year", "Units", "GeoCode", "Value", "Indicator", "Basis", "Status", "Source", "Published")


@dataclass(frozen=True)
class Period:
    year: int
    end_month: int  # the last month the period covers (12 for a year)
    text: str

    @property
    def annual(self) -> bool:
        return self.end_month == 12 and "-" not in self.text

    @cached_property
    def end(self) -> str:  # read for every reading by `assess` (filter and sort): made once
        return f"{self.year}-{self.end_month:02d}"

    @cached_property
    def begins(self) -> str:
        """The first day the period covers, YYYY-MM-DD: nothing about it can be published before."""
        part = self.text.partition("-")[2]
        months = {"Q": 3, "H": 6}.get(part[:1], 12 if not part else 1)
        return f"{self.year}-{self.end_month - months + 1:02d}-01"


def parse_period(text: str) -> Period | None:
    """2024 -> Dec 2024; 2024-Q2 -> Jun; 2024-H1 -> Jun; 2024-06 -> Jun. None when not a period. Full-width
    characters as typed in a Chinese input method (２０２４－Ｑ２) are read as their ASCII forms, so the same
    period is one period; other digits are not periods."""
    m = RE_PERIOD.match(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return None
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return Period(year, 12, m.group(0))
    if part.startswith("Q"):
        month = int(part[1]) * 3
    elif part.startswith("H"):
        month = int(part[1]) * 6
    else:
        month = int(part)
        if not 1 <= month <= 12:
            return None
    return Period(year, month, m.group(0))


RE_NUMBER = re.compile(r"[+-]?(?=\d|\.\d)(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)


def parse_number(text: str) -> float | None:
    """A number as published: 1234.5, -3.2, 1,234.5 (commas only between groups of three), full-width digits as
    their ASCII forms; None for anything else (1,5 is not 15; 1_000, nan, inf and 1e309 are not numbers)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not RE_NUMBER.fullmatch(text):
        return None
    value = float(text.replace(",", ""))
    return value if math.isfinite(value) else None


def published_date(text: str) -> str:
    """A `published` cell as kept: NFKC, as periods and numbers are read, so ２０２４－０７－２０ typed in a Chinese
    input method is 2024-07-20; other digits (Arabic-Indic, ...) are left as they are, for `published_problem` to
    refuse."""
    return unicodedata.normalize("NFKC", text).strip() if not text.isascii() else text.strip()


def published_problem(text: str, today: date) -> str | None:
    """What is wrong with a `published` date (as `published_date` gives it): not a date, or after `today` (a typo:
    nothing is published in the future); None when it is fine."""
    try:
        day = date.fromisoformat(text) if RE_DATE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        return f"published {text!r} is not a date (valid: 2024-01-23)"
    if day > today:
        return f"published {text} is after today, {today} (valid: the day it was published, up to {today})"
    return None


@functools.lru_cache(maxsize=4096)  # assessing converts every reading's unit: a plan's readings use a handful
def parse_unit(text: str) -> tuple[str, float] | None:
    """(family, factor): 亿元 -> (CNY, 1e8), 万亿元 -> (CNY, 1e12), % -> (percent, 1); None if unknown."""
    m = RE_UNIT.match(text.strip())
    if not m:
        return None
    return BASE_UNITS[m.group(2)], MAGNITUDES.get(m.group(1) or "", 1.0)


@dataclass
class Reading:
    indicator: str  # the indicator's id, resolved
    period: Period
    value: float | None
    unit: str
    basis: str
    geo: str
    status: str
    source: str
    published: str = ""
    quote: str = ""
    light: str | None = None
    note: str | None = None
    where: str = ""  # file:line
    seq: int = 0  # order among readings of the same key
    counts: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.indicator, self.period.text, self.basis, self.geo)

    @property
    def id(self) -> str:
        return f"R:{self.indicator}:{self.geo}:{self.period.text}:{self.basis}:{self.seq}"

    def in_unit(self, unit: str) -> float | None:
        """The value converted into `unit` (same family); None if it cannot be."""
        mine, theirs = parse_unit(self.unit), parse_unit(unit)
        if self.value is None or mine is None or theirs is None or mine[0] != theirs[0]:
            return None
        return self.value * mine[1] / theirs[1]

    def as_row(self) -> dict[str, str]:
        value = "" if self.value is None else f"{self.value:g}"
        return {"indicator": self.indicator, "period": self.period.text, "value": value, "unit": self.unit,
                "basis": self.basis, "geo": self.geo, "status": self.status, "source": self.source,
                "published": self.published, "quote": self.quote, "light": self.light or "", "note": self.note or ""}


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _indicators(graph: PlanGraph) -> dict[str, Any]:
    return {n.id: n for n in graph.of_kind("Indicator")}


def _year_range(graph: PlanGraph, indicator: Any) -> tuple[int, int]:
    plan = graph.nodes.get("PLAN")
    start = int(plan.props.get("start_year") or 0) if plan else 0
    end = int(plan.props.get("end_year") or 9999) if plan else 9999
    first = start - 1 if start else 0  # the base year: the plan rarely states its baseline values
    baseline = indicator.props.get("baseline_year")
    if baseline:
        first = min(first, int(baseline))
    return first, end


def rows_from_tables(path: Path, tables: list[Table] | None = None,
                     need_rows: bool = False) -> tuple[list[dict[str, str]], list[str]]:
    """The rows of a readings file (CSV or .xlsx, our columns or Open SDG's tidy layout) and each row's file:line;
    `tables` are the file's tables when they have been read already. Nothing is dropped unread: a column that is
    not ours (or, in Open SDG's layout, a disaggregation such as Sex or Age with a value), a column named twice
    and a value under no header are refused, each at its file:line. An empty file has no header, which is refused;
    a header with no rows under it is refused when `need_rows` (a file to import), not in the seed's readings.csv
    (a plan with no readings yet)."""
    from kg.ingest.read import header_problems, headless_cell_problem, read_tables

    tables = [t for t in (read_tables(path) if tables is None else tables) if t.rows]
    table = tables[0] if tables else Table(path.name, [[]], [1])
    header = [h.strip() for h in table.rows[0]]
    at = f"{path}:{table.row_numbers[0]}"
    open_sdg = "Year" in header and "Value" in header and "indicator" not in header
    if open_sdg:
        problems = header_problems(header, at)
    else:
        problems = header_problems(header, at, COLUMNS)
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            problems.insert(0, f"{at}: missing column(s) {', '.join(missing)} (valid header: {','.join(COLUMNS)}; "
                            "or Open SDG's Year,...,Units,GeoCode,Value)")
    if problems:
        raise ValidationError(problems)
    # Open SDG's columns that are not read: disaggregations (Sex, Age, Series, any name) and attributes (Unit
    # multiplier). A row with one filled in is not the headline figure; taken as one it would be a wrong reading.
    unread = [(i, h) for i, h in enumerate(header) if h and h not in OPEN_SDG_COLUMNS] if open_sdg else []
    body = list(zip(table.rows[1:], table.row_numbers[1:], strict=True))
    rows, wheres = [], []
    shown = str(path)
    for cells, line in body:
        if not any(cells):  # read_tables strips every cell
            continue
        where = f"{shown}:{line}"
        headless = headless_cell_problem(header, cells)
        if headless:
            problems.append(f"{where}: {headless}")
            continue
        split = [(h, cells[i]) for i, h in unread if i < len(cells) and cells[i]]
        if split:
            column, value = split[0]
            problems.append(f"{where}: {column} is {value!r}: only headline rows are read, not disaggregations "
                            f"(valid: {', '.join(h for _, h in unread)} empty)")
            continue
        record = dict(zip(header, cells, strict=False))  # cells come stripped; a short row lacks its last columns
        if open_sdg:
            record = _from_open_sdg(record, path)
        rows.append(record)
        wheres.append(where)
    if problems:
        raise ValidationError(problems)
    if need_rows and not rows:
        raise ValidationError([f"{at}: only a header, no rows: nothing to import (valid: one reading a line under "
                               "the header)"])
    return rows, wheres


def _from_open_sdg(record: dict[str, str], path: Path) -> dict[str, str]:
    """One row of Open SDG's tidy CSV (Year, Units, GeoCode, Value; the file named indicator_<id>.csv)."""
    stem = path.stem.removeprefix("indicator_")
    code = record.get("Indicator") or stem.replace("-", ".")
    return {"indicator": code, "period": record.get("Year", ""), "value": record.get("Value", ""),
            "unit": record.get("Units", ""), "basis": record.get("Basis") or "level",
            "geo": record.get("GeoCode", ""), "status": record.get("Status") or "final",
            "source": record.get("Source") or path.name, "published": record.get("Published", "")}


def validate(rows: list[dict[str, str]], wheres: list[str], graph: PlanGraph,
             existing: list[Reading] | None = None) -> list[Reading]:
    """Check every row against the plan; all problems at once as file:line messages, or the readings."""
    from kg.errors import NotFoundError
    from kg.resolve import entities_from_graph, resolve

    problems = _Problems()
    entities = entities_from_graph(graph, "Indicator")
    indicators = _indicators(graph)
    out: list[Reading] = []
    finals: dict[tuple[str, str, str, str], str] = {r.key: r.where for r in existing or [] if r.status == "final"}
    known = {tuple(r.as_row().values()) for r in existing or []}
    resolved: dict[str, str | NotFoundError] = {}
    periods: dict[str, Period | None] = {}
    unit_checks: dict[tuple[str, str, str], str | None] = {}
    seqs: dict[tuple[str, str, str, str], int] = {}
    for r in existing or []:
        seqs[r.key] = max(seqs.get(r.key, 0), r.seq + 1)
    ranges: dict[str, tuple[int, int]] = {}
    dates_seen: dict[str, str | None] = {}
    today = date.today()
    for row, where in zip(rows, wheres, strict=True):
        # every column once, without a helper call per cell (720,000 rows made that the import's largest cost)
        get = row.get
        name = (get("indicator") or "").strip()
        period_text = (get("period") or "").strip()
        raw_value = (get("value") or "").strip()
        unit = (get("unit") or "").strip()
        basis = (get("basis") or "").strip()
        geo = (get("geo") or "").strip()
        status = (get("status") or "").strip()
        source = (get("source") or "").strip()
        published = published_date(get("published") or "")
        quote = (get("quote") or "").strip()
        light_text = (get("light") or "").strip()
        note = (get("note") or "").strip()
        bad = False
        if name not in resolved:  # a file names few indicators many times: resolve each name once
            try:
                resolved[name] = resolve(entities, name, "Indicator")
            except NotFoundError as e:
                resolved[name] = e
        code_or_error = resolved[name]
        if isinstance(code_or_error, NotFoundError):
            problems.add(where, f"unknown indicator: {code_or_error}")
            continue
        code = code_or_error
        ind = indicators[code]
        if period_text in periods:
            period = periods[period_text]
        else:
            period = periods[period_text] = parse_period(period_text)
        if code not in ranges:
            ranges[code] = _year_range(graph, ind)
        first, last = ranges[code]
        if period is None:
            problems.add(where, f"period {period_text!r} is not valid (valid: 2024, 2024-Q2, 2024-H1, 2024-06)")
            bad = True
        elif not first <= period.year <= last:
            problems.add(where, f"period {period.text} is outside the plan (valid: {first} to {last} for {code})")
            bad = True
        basis = basis or "level"
        if basis not in BASES:
            problems.add(where, f"basis {basis!r} is not valid (valid: {', '.join(BASES)})")
            bad = True
        status = status or "final"
        if status not in STATUSES:
            problems.add(where, f"status {status!r} is not valid (valid: {', '.join(STATUSES)})")
            bad = True
        geo = geo or DEFAULT_GEO
        geo = GEO_ALIASES.get(geo, geo)
        light = light_text or None
        if light is not None and light not in LIGHT_VALUES:
            problems.add(where, f"light {light!r} is not valid (valid: {', '.join(LIGHT_VALUES)})")
            bad = True
        kind = ind.props.get("indicator_kind")
        value: float | None = None
        if raw_value or kind != "qualitative":
            value = parse_number(raw_value)
            if value is None:
                problems.add(where, f"value {raw_value!r} is not a number (valid: 1234.5, -3.2)")
                bad = True
        if kind == "qualitative" and light is None and value is None:
            problems.add(where, f"{code} is qualitative: give a light (green, yellow, red) and a note")
            bad = True
        if (unit, basis, code) not in unit_checks:
            unit_checks[(unit, basis, code)] = _unit_problem(unit, basis, ind)
        unit_problem = unit_checks[(unit, basis, code)]
        if unit_problem and not (kind == "qualitative" and not unit):
            problems.add(where, unit_problem)
            bad = True
        if not source:
            problems.add(where, "a reading needs its source (the publication and its URL or file)")
            bad = True
        if published and published not in dates_seen:
            dates_seen[published] = published_problem(published, today)
        date_problem = dates_seen[published] if published else None
        if date_problem:
            problems.add(where, date_problem)
            bad = True
        elif published and period is not None and first <= period.year <= last and published < period.begins:
            # (a period already refused is the row's problem; its begin date would only repeat it)
            problems.add(where, f"published {published} is before the period {period.text} begins ({period.begins}; "
                         "valid: a date on or after it)")
            bad = True
        for column, text in (("source", source), ("quote", quote), ("note", note), ("geo", geo)):
            if text.startswith(FORMULA_START):
                problems.add(where, f"{column} starts with {text[0]!r}, which a spreadsheet would run as a "
                             "formula (valid: text that starts otherwise)")
                bad = True
        if bad or period is None:
            continue
        reading = Reading(code, period, value, unit, basis, geo, status, source, published, quote, light,
                          note or None, where)
        if known and tuple(reading.as_row().values()) in known:  # the same row again (a file imported twice)
            out.append(reading)
            continue
        key = reading.key
        if status == "final":
            if key in finals:
                problems.add(where, f"a second final reading for {code} {period.text} {basis} {geo} (the first is "
                             f"at {finals[key]}; a correction has status revised)")
                continue
            finals[key] = where
        reading.seq = seqs.get(key, 0)
        seqs[key] = reading.seq + 1
        out.append(reading)
    if problems.items:
        raise ValidationError(problems.items)
    return out


def _unit_problem(unit: str, basis: str, indicator: Any) -> str | None:
    parsed = parse_unit(unit)
    if parsed is None:
        return f"unit {unit!r} is not known (valid: 亿元, 万亿元, 亿美元, %, index, ...)"
    family = parsed[0]
    if basis in ("yoy_growth", "avg_growth"):
        return None if family == "percent" else f"a {basis} reading is in % (not {unit})"
    kind = indicator.props.get("indicator_kind")
    if kind in ("annual_growth", "growth", "relative", "qualitative"):
        return None  # levels in any unit: growth is computed from them
    if kind == "reduction":
        return None if family == "index" else f"a reduction is read as yoy_growth in % or a level in index (not {unit})"
    wanted = parse_unit(indicator.props.get("unit") or "")
    if wanted and wanted[0] != family:
        return (f"unit {unit} does not fit {indicator.id} measured in {indicator.props.get('unit')} "
                f"(valid: a unit of the same kind, e.g. 亿元 for 万亿元)")
    return None


def counting(readings: list[Reading]) -> list[Reading]:
    """The reading of each indicator, period, basis and place that counts: the latest final or revised one, else
    the latest preliminary one (the readings themselves are not changed)."""
    best: dict[tuple[str, str, str, str], Reading] = {}

    def rank(r: Reading) -> tuple[int, str, int]:
        return (0 if r.status == "preliminary" else 1, r.published, r.seq)

    for r in readings:
        key = r.key
        if key not in best or rank(r) > rank(best[key]):
            best[key] = r
    return list(best.values())


def mark_counting(readings: list[Reading]) -> list[Reading]:
    """Set `counts` on each reading: True on the one of its key that counts (see `counting`)."""
    chosen = {id(r) for r in counting(readings)}
    for r in readings:
        r.counts = id(r) in chosen
    return readings


def read_readings(path: Path, graph: PlanGraph, existing: list[Reading] | None = None,
                  need_rows: bool = False) -> list[Reading]:
    """A readings file, validated against the plan (and against `existing` readings for duplicate finals); with
    `need_rows`, a file with no rows is refused (see `rows_from_tables`)."""
    from kg.ingest.read import read_tables

    return readings_from_tables(path, read_tables(path), graph, existing, need_rows)


def readings_from_tables(path: Path, tables: list[Table], graph: PlanGraph,
                         existing: list[Reading] | None = None, need_rows: bool = False) -> list[Reading]:
    """The readings of a file's tables, validated: column by column when the file is the common case (our columns,
    no earlier readings to check against, nothing refused: kg.progress.columns), else row by row, which names
    every problem at its file:line."""
    from kg.progress.columns import readings_by_column

    filled = [t for t in tables if t.rows]
    if filled and not existing:
        fast = readings_by_column(path, filled[0], graph)
        if fast is not None:
            return fast
    rows, wheres = rows_from_tables(path, tables, need_rows)
    return validate(rows, wheres, graph, existing)


def readings_csv(readings: list[Reading]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in readings:
        writer.writerow(r.as_row())
    return buf.getvalue()


def merge_into(target: Path, new: list[Reading]) -> int:
    """Append the new readings to the seed file atomically; readings already there are kept as they are. Returns
    how many rows were added (an identical row already present is not added twice). A file whose header is not
    ours in our order (fewer columns, another order) is written again under ours, every kept value in its column:
    rows appended under it would put their values in the wrong columns."""
    from kg.ingest.read import decode, present, read_bytes
    from kg.output import write_atomic

    text = decode(read_bytes(target), target)[0] if present(target) else ""
    kept = list(csv.DictReader(io.StringIO(text, newline=""))) if text else []
    there = {tuple(row.get(c) or "" for c in COLUMNS) for row in kept}
    added = [r for r in new if tuple(r.as_row()[c] for c in COLUMNS) not in there]
    if not added:
        return 0
    body = readings_csv(added)
    header = next(csv.reader(io.StringIO(text, newline="")), []) if text else []
    if [h.strip() for h in header] == list(COLUMNS):
        lines = body.splitlines(keepends=True)[1:]
        joined = text if text.endswith("\n") else text + "\n"
        write_atomic(target, joined + "".join(lines))
    else:  # no file, or another header: the kept rows (checked by the caller: no column but ours) and the new
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows({c.strip(): v or "" for c, v in row.items()} for row in kept)
        write_atomic(target, buf.getvalue() + body.split("\n", 1)[1])
    return len(added)

