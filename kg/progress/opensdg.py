"""Readings written in Open SDG's layout, so data kept here can feed an Open SDG site: `data/indicator_<id>.csv`
(tidy: Year, Units, GeoCode, Value, with the basis and status beside) and `meta/<id>.md` (front matter with
`reporting_status`). Indicator ids use `-` for `.` (I6.1 -> indicator_I6-1.csv), as Open SDG's file names do."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from kg.model import PlanGraph
from kg.output import spreadsheet_safe
from kg.progress.readings import Reading, mark_counting

DATA_COLUMNS = ("Year", "Units", "GeoCode", "Basis", "Status", "Value")


def _code(indicator: str) -> str:
    return indicator.replace(".", "-")


def export_open_sdg(graph: PlanGraph, readings: list[Reading], folder: Path) -> int:
    """Write data/ and meta/ under `folder` (each file atomically); returns how many indicators were written."""
    from kg.output import write_atomic

    mark_counting(readings)
    counted = [r for r in readings if r.counts and r.value is not None]
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "meta").mkdir(parents=True, exist_ok=True)
    indicators = graph.of_kind("Indicator")
    for ind in indicators:
        mine = sorted((r for r in counted if r.indicator == ind.id), key=lambda r: (r.period.end, r.geo, r.basis))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(DATA_COLUMNS)
        for r in mine:
            geo = "" if r.geo == "沈阳市" else r.geo  # Open SDG: an empty GeoCode is the headline series
            writer.writerow([r.period.text, spreadsheet_safe(r.unit), spreadsheet_safe(geo), r.basis, r.status,
                             f"{r.value:g}"])
        write_atomic(folder / "data" / f"indicator_{_code(ind.id)}.csv", buf.getvalue())
        status = "complete" if mine else "notstarted"
        title = json.dumps(ind.name, ensure_ascii=False)  # a JSON string is a valid YAML scalar
        meta = (f"---\nindicator_number: {_code(ind.id)}\nindicator_name: {title}\n"
                f"reporting_status: {status}\ndata_non_statistical: false\n---\n\n{ind.text or ind.name}\n")
        write_atomic(folder / "meta" / f"{_code(ind.id)}.md", meta)
    return len(indicators)
