"""The readings of a well-formed file, checked column by column: each distinct value of a column once (a file of
720 monthly readings names 20 indicators, 36 periods, two units), then one pass to make the readings.

It is the fast path of `kg.progress.readings.validate`, which stays the reference: it gives the same readings for a
file it accepts and answers None for anything else (another layout, a ragged or blank row, any value the checks
refuse), and the caller then reads the file row by row, which names every problem at its file:line.
tests/test_progress_columns.py checks that the two agree on generated files, good and bad.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kg.ingest.read import Table
from kg.model import PlanGraph
from kg.progress.readings import (
    BASES,
    COLUMNS,
    DEFAULT_GEO,
    FORMULA_START,
    GEO_ALIASES,
    LIGHT_VALUES,
    REQUIRED,
    STATUSES,
    Period,
    Reading,
    _indicators,
    _unit_problem,
    _year_range,
    parse_number,
    parse_period,
    published_date,
    published_problem,
)


def _column(header: list[str], body: list[list[str]], name: str) -> list[str]:
    """One column's cells (stripped by the reader), or empty cells when the file has no such column."""
    if name not in header:
        return [""] * len(body)
    at = header.index(name)
    return [row[at] for row in body]


def readings_by_column(path: Path, table: Table, graph: PlanGraph) -> list[Reading] | None:
    """The readings of `table` (read from `path`) when every check passes, as `validate` would give them without
    earlier readings; None when the file is not the common case or anything in it is refused."""
    from kg.errors import NotFoundError
    from kg.resolve import entities_from_graph, resolve

    if not table.rows:
        return None
    header = table.rows[0]
    body = table.rows[1:]
    width = len(header)
    if (len(set(header)) != width or any(c not in header for c in REQUIRED) or not set(header) <= set(COLUMNS)
            or not body or {len(row) for row in body} != {width}):
        return None  # another layout, a repeated or unknown column, a short or long row: read row by row
    if not all(map(any, body)):
        return None  # a blank row (the row reader skips it)
    cells = {name: _column(header, body, name) for name in COLUMNS}

    entities = entities_from_graph(graph, "Indicator")
    indicators = _indicators(graph)
    codes_of: dict[str, str] = {}
    for name in set(cells["indicator"]):
        try:
            codes_of[name] = resolve(entities, name, "Indicator")
        except NotFoundError:
            return None
    codes = [codes_of[name] for name in cells["indicator"]]

    periods_of: dict[str, Period] = {}
    for text in set(cells["period"]):
        period = parse_period(text)
        if period is None:
            return None
        periods_of[text] = period
    periods = [periods_of[text] for text in cells["period"]]
    ranges = {code: _year_range(graph, indicators[code]) for code in codes_of.values()}
    for code, text in set(zip(codes, cells["period"], strict=True)):
        first, last = ranges[code]
        if not first <= periods_of[text].year <= last:
            return None

    bases = [b or "level" for b in cells["basis"]]
    statuses = [s or "final" for s in cells["status"]]
    geos = [GEO_ALIASES.get(g or DEFAULT_GEO, g or DEFAULT_GEO) for g in cells["geo"]]
    lights: list[str | None] = [text or None for text in cells["light"]]
    if not set(bases) <= set(BASES) or not set(statuses) <= set(STATUSES) or not set(lights) <= {*LIGHT_VALUES, None}:
        return None
    sources = cells["source"]
    kept_as = {text: published_date(text) for text in set(cells["published"])}  # ２０２４－０７－２０ is 2024-07-20
    published = [kept_as[text] for text in cells["published"]]
    today = date.today()
    if "" in set(sources) or any(p and published_problem(p, today) for p in set(published)):
        return None
    if any(p and p < periods_of[text].begins for text, p in set(zip(cells["period"], published, strict=True))):
        return None  # published before its period began: the row reader names the row
    if any(text.startswith(FORMULA_START) for column in ("source", "quote", "note", "geo")
           for text in set(cells[column])):
        return None

    kinds = {code: indicators[code].props.get("indicator_kind") for code in codes_of.values()}
    values_of: dict[str, float] = {}
    for raw in set(cells["value"]):
        if not raw:
            continue
        value = parse_number(raw)
        if value is None:
            return None
        values_of[raw] = value
    values: list[float | None] = []
    for raw, code, light in zip(cells["value"], codes, lights, strict=True):
        if raw:
            values.append(values_of[raw])
        elif kinds[code] != "qualitative" or light is None:
            return None  # a number is missing, or a qualitative reading has neither a value nor a light
        else:
            values.append(None)
    for unit, basis, code in set(zip(cells["unit"], bases, codes, strict=True)):
        if _unit_problem(unit, basis, indicators[code]) and not (kinds[code] == "qualitative" and not unit):
            return None

    out: list[Reading] = []
    finals: set[tuple[str, str, str, str]] = set()
    seqs: dict[tuple[str, str, str, str], int] = {}
    shown = str(path)
    for code, period, value, unit, basis, geo, status, source, when, quote, light, note, line in zip(
            codes, periods, values, cells["unit"], bases, geos, statuses, sources, published, cells["quote"],
            lights, cells["note"], table.row_numbers[1:], strict=True):
        key = (code, period.text, basis, geo)
        if status == "final":
            if key in finals:
                return None  # a second final reading: the row reader names both rows
            finals.add(key)
        seq = seqs.get(key, 0)
        seqs[key] = seq + 1
        out.append(Reading(code, period, value, unit, basis, geo, status, source, when, quote, light, note or None,
                           f"{shown}:{line}", seq))
    return out
