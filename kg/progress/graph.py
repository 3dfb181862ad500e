"""Readings and assessments as nodes of the plan graph: `Reading -READING_OF-> Indicator`,
`Assessment -ASSESSES-> Indicator | Target | Plan`. Built with the plan; read back for `kg progress status`."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg.model import COMMON_NODE_PROPS, NODE_KINDS, PROVENANCE_PROPS, Edge, Node, PlanGraph, Provenance
from kg.progress.readings import Reading, mark_counting, parse_period
from kg.progress.status import StatusReport

READINGS_FILE = "readings.csv"


def add_readings(graph: PlanGraph, readings: list[Reading]) -> None:
    """The readings as Reading nodes with their READING_OF edges, held deferred (see `ReadingNodes`)."""
    mark_counting(readings)
    graph.defer(ReadingNodes(readings))


class _ReadingRows:
    """What a plan's readings held deferred give the stores, from their rows of an Arrow table in the columns of
    `reading_columns` (`table`, `length` rows): counts, node and edge columns and, when asked, the nodes."""

    table: Any
    length: int

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return ({"Reading": self.length}, {"READING_OF": self.length}) if self.length else ({}, {})

    def make(self) -> tuple[list[Node], list[Edge]]:
        """The nodes and edges, made from `node_columns` (the one mapping from a reading to what is stored)."""
        return _made(self.node_columns("Reading"))

    def node_columns(self, kind: str) -> dict[str, list[Any]] | None:
        """The Reading nodes column by column, every column of the node table but uid, kind and plan."""
        if kind != "Reading" or not self.length:
            return None
        return {c: self.table.column(c).to_pylist() for c in self.table.column_names}

    def edge_columns(self, kind: str) -> dict[str, list[Any]] | None:
        if kind != "READING_OF" or not self.length:
            return None
        return {"from": self.table.column("id").to_pylist(), "to": self.table.column("indicator").to_pylist(),
                "provenance": self.table.column("provenance").to_pylist()}


class ReadingNodes(_ReadingRows):
    """A plan's readings as `Reading -READING_OF-> Indicator`, made only when asked: a Ladybug build takes every
    plan's readings at once as Arrow tables (`reading_tables`; 720,000 readings made 3.4 s of node objects before
    the load converted them back into columns). Each reading's provenance is the publication it names; its
    edge's is the same."""

    def __init__(self, readings: list[Reading]) -> None:
        self.readings = readings

    @property
    def length(self) -> int:  # type: ignore[override]
        return len(self.readings)

    @functools.cached_property
    def table(self) -> Any:  # made once, for a store that takes rows (the Arrow load takes every plan's at once)
        return reading_columns([self])

    @staticmethod
    def tables(batches: list[tuple[Any, str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every plan's readings at once, for a store that loads Arrow tables (kg.stores.ladybug_load)."""
        return reading_tables(batches)

    def fields(self) -> dict[str, list[Any]]:
        """What each reading stores, field by field (the columns `reading_tables` derives the rest from)."""
        rs = self.readings
        periods = [r.period for r in rs]
        return {"indicator": [r.indicator for r in rs], "period": [p.text for p in periods],
                "period_end": [p.end for p in periods], "value": [r.value for r in rs],
                "unit": [r.unit for r in rs], "basis": [r.basis for r in rs], "geo": [r.geo for r in rs],
                "status": [r.status for r in rs], "published": [r.published or None for r in rs],
                "counts": [r.counts for r in rs], "light": [r.light for r in rs], "note": [r.note for r in rs],
                "quote": [(r.quote or f"{r.value:g}{r.unit}") if r.value is not None else (r.quote or r.note or "")
                          for r in rs],
                "source": [r.source for r in rs], "seq": [r.seq for r in rs]}


def reading_tables(batches: list[tuple[Any, str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Reading node table and the READING_OF edge table of several plans' readings (`ReadingNodes`), as
    Arrow tables keyed by kind, in the stores' columns (kg.stores.base.node_columns, edge_columns): each batch
    with its uid prefix and plan id."""
    return with_plans(reading_columns([batch for batch, _, _ in batches]), batches)


def reading_columns(batches: list[ReadingNodes]) -> Any:
    """The readings of `batches` as one Arrow table in the Reading node table's columns but uid, kind and plan.
    Each reading's provenance is the publication it names (its quote, else its value and unit). Ids and names
    are joined in Arrow from the readings' fields, not made per row in Python: the tables of 720,000 readings
    took 3.2 s made from `Reading` objects column by column, 1.6 s so (bench/README.md)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    string = pa.string()
    fields: dict[str, list[Any]] = {}
    for batch in batches:
        for name, values in batch.fields().items():
            fields.setdefault(name, []).extend(values)
    n = len(fields.get("indicator", []))
    text = {name: pa.array(fields.get(name, []), string) for name in
            ("indicator", "period", "period_end", "unit", "basis", "geo", "status", "published", "light", "note",
             "quote", "source")}
    seq = pc.cast(pa.array(fields.get("seq", []), pa.int64()), string)
    none = pa.nulls(n, string)
    columns = {
        "id": pc.binary_join_element_wise("R", text["indicator"], text["geo"], text["period"], text["basis"], seq,
                                          ":"),
        "name": pc.binary_join_element_wise(text["indicator"], text["geo"], text["period"], " "),
        "name_en": none, "text": none, "indicator": text["indicator"], "period": text["period"],
        "period_end": text["period_end"], "value": pa.array(fields.get("value", []), pa.float64()),
        "unit": text["unit"], "basis": text["basis"], "geo": text["geo"], "status": text["status"],
        "published": text["published"], "counts": pa.array(fields.get("counts", []), pa.bool_()),
        "light": text["light"], "note": text["note"],
        "provenance": pc.take(pa.array(["official"], string), np.zeros(n, dtype=np.int32)),
        "quote_start": pa.nulls(n, pa.int64()), "quote": text["quote"], "quote_end": pa.nulls(n, pa.int64()),
        "rationale": none, "source": text["source"], "document": text["source"],
        "document_date": text["published"]}
    return pa.table({c: columns[c] for c in _STORED})


# the Reading node table's columns but uid, kind and plan, in the stores' order
_STORED = [c for c in (*COMMON_NODE_PROPS, *NODE_KINDS["Reading"], *PROVENANCE_PROPS) if c not in ("kind", "plan")]


def with_plans(table: Any, batches: list[tuple[Any, str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stores' Reading and READING_OF tables from `reading_columns`' table, whose rows are the `batches`'
    (each a plan's readings, its uid prefix and plan id: `tables`' argument), one after another."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    string = pa.string()
    at = np.repeat(np.arange(len(batches), dtype=np.int32), [batch.length for batch, _, _ in batches])
    prefix = pc.take(pa.array([p for _, p, _ in batches], string), at)
    uids = pc.binary_join_element_wise(prefix, table.column("id"), ":")
    columns = {"uid": uids, "kind": pc.take(pa.array(["Reading"], string), np.zeros(len(at), dtype=np.int32)),
               "plan": pc.take(pa.array([p for _, _, p in batches], string), at)}
    order = ["uid", *COMMON_NODE_PROPS, *NODE_KINDS["Reading"], *PROVENANCE_PROPS]  # the stores' columns
    nodes = pa.table({c: columns[c] if c in columns else table.column(c) for c in order})
    edges = pa.table({"from": uids, "to": pc.binary_join_element_wise(prefix, table.column("indicator"), ":"),
                      "provenance": table.column("provenance")})
    return {"Reading": nodes}, {"READING_OF": edges}


class HeldReadings(_ReadingRows):
    """A plan's readings as `Reading -READING_OF-> Indicator`, held as its rows of an Arrow table in the columns of
    `reading_columns` (the plans' readings imported in other processes come back so: kg.progress.corpus).
    Counted, loaded and made as `ReadingNodes` are."""

    def __init__(self, table: Any, offset: int, length: int) -> None:
        self.whole, self.offset, self.length = table, offset, length
        self.table = table.slice(offset, length)

    @staticmethod
    def tables(batches: list[tuple[Any, str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The stores' tables of several plans' held readings: the rows of plans that follow one another in one
        table are taken as one slice of it (no copy)."""
        import pyarrow as pa

        pieces: list[list[Any]] = []  # [whole table, offset, length]
        for batch, _, _ in batches:
            last = pieces[-1] if pieces else None
            if last is not None and last[0] is batch.whole and last[1] + last[2] == batch.offset:
                last[2] += batch.length
            else:
                pieces.append([batch.whole, batch.offset, batch.length])
        return with_plans(pa.concat_tables([whole.slice(offset, length) for whole, offset, length in pieces]),
                          batches)


def _made(columns: dict[str, list[Any]] | None) -> tuple[list[Node], list[Edge]]:
    """Reading nodes and their READING_OF edges from the node table's columns (`node_columns`)."""
    if columns is None:
        return [], []
    nodes, edges = [], []
    props = {p: columns[p] for p in NODE_KINDS["Reading"]}
    for i, rid in enumerate(columns["id"]):
        prov = Provenance.official(columns["quote"][i], columns["document"][i], columns["document_date"][i],
                                   columns["source"][i])
        nodes.append(Node("Reading", rid, columns["name"][i], prov,
                          props={p: values[i] for p, values in props.items()}))
        edges.append(Edge("READING_OF", rid, columns["indicator"][i], prov, {}))
    return nodes, edges


def add_assessments(graph: PlanGraph, report: StatusReport, computed_at: str | None = None) -> None:
    """One Assessment per indicator, per target and for the plan, with method, inputs, thresholds and when."""
    when = computed_at or build_date()
    rationale = f"computed by kg.progress.status from the readings up to {report.as_of} (rules: kg/progress/rules.yaml)"
    for s in report.indicators:
        v = s.verdict
        _add(graph, "indicator", s.code, report.as_of, when, rationale, {
            "method": v.method, "light": v.light, "label": v.label, "label_zh": v.label_zh, "reason": v.reason,
            "score": v.score, "ratio": v.ratio, "gap": v.gap,
            "inputs": json.dumps({"value": s.value, "unit": s.unit, "period": s.period,
                                  "target": s.target_value, "pace": s.pace, **v.numbers}, ensure_ascii=False,
                                 sort_keys=True),
            "thresholds": json.dumps(v.thresholds, ensure_ascii=False, sort_keys=True)})
    for t in report.targets + ([report.plan] if report.plan else []):
        _add(graph, "plan" if t.code == "PLAN" else "target", t.code, report.as_of, when, rationale, {
            "method": "rollup", "light": t.light, "label": t.label, "label_zh": t.label_zh, "reason": t.reason,
            "score": t.score, "inputs": json.dumps({"indicators": t.indicators, "assessed": t.assessed}),
            "thresholds": None})


def build_date() -> str:
    """The day the assessments are computed (UTC); SOURCE_DATE_EPOCH, the reproducible-builds convention, fixes it
    so that two builds of the same inputs give the same graph."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else datetime.now(UTC)
    return when.strftime("%Y-%m-%d")


def _add(graph: PlanGraph, scope: str, subject: str, as_of: str, when: str, rationale: str,
         props: dict[str, Any]) -> None:
    if not graph.has(subject):  # an indicator, target or the plan: made nodes (readings stay deferred)
        return
    aid = f"S:{subject}"
    prov = Provenance.curated(rationale, "kg/progress/rules.yaml:indicators")
    graph.add(Node("Assessment", aid, f"{subject} {props['light']}", prov,
                   props={"scope": scope, "subject": subject, "as_of": as_of, "computed_at": when, **props}))
    graph.link("ASSESSES", aid, subject, prov)


def add_progress(graph: PlanGraph, seed_dir: Path, shown_dir: str) -> None:
    """Readings from <seed>/readings.csv (when present), validated, and their assessments, into the graph."""
    from kg.ingest.read import present
    from kg.progress.readings import read_readings
    from kg.progress.rules import load_rules
    from kg.progress.status import assess

    path = seed_dir / READINGS_FILE
    if not present(path):
        return
    readings = read_readings(path, graph)
    for r in readings:  # messages and provenance name the file as the seed folder was given
        r.where = r.where.replace(str(path), f"{shown_dir}/{READINGS_FILE}", 1)
    report = assess(graph, readings, load_rules())  # before the readings join the graph: it reads the indicators
    add_readings(graph, readings)
    add_assessments(graph, report)


def readings_from_graph(graph: PlanGraph) -> list[Reading]:
    """The readings a built graph holds, as `Reading`s again (for status at another date)."""
    out = []
    for node in graph.of_kind("Reading"):
        p = node.props
        period = parse_period(str(p.get("period")))
        if period is None:
            continue
        source = node.provenance.source or ""
        out.append(Reading(str(p["indicator"]), period, p.get("value"), str(p.get("unit") or ""),
                           str(p.get("basis")), str(p.get("geo")), str(p.get("status")), source,
                           str(p.get("published") or ""), node.provenance.quote or "", p.get("light"), p.get("note"),
                           node.id, int(node.id.rsplit(":", 1)[-1])))
    return out
