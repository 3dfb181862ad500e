"""Readings and assessments as nodes of the plan graph: `Reading -READING_OF-> Indicator`,
`Assessment -ASSESSES-> Indicator | Target | Plan`. Built with the plan; read back for `kg progress status`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg.model import Edge, Node, PlanGraph, Provenance
from kg.progress.readings import Reading, mark_counting, parse_period
from kg.progress.status import StatusReport

READINGS_FILE = "readings.csv"


def add_readings(graph: PlanGraph, readings: list[Reading]) -> None:
    mark_counting(readings)
    nodes, edges = graph.nodes, graph.edges
    for r in readings:
        quote = r.quote or f"{r.value:g}{r.unit}" if r.value is not None else (r.quote or r.note or "")
        prov = Provenance.official(quote, r.source, r.published or None, r.source)  # the publication names itself
        rid, period = r.id, r.period
        nodes[rid] = Node("Reading", rid, f"{r.indicator} {r.geo} {period.text}", prov, props={
            "indicator": r.indicator, "period": period.text, "period_end": period.end, "value": r.value,
            "unit": r.unit, "basis": r.basis, "geo": r.geo, "status": r.status, "published": r.published or None,
            "counts": r.counts, "light": r.light, "note": r.note})
        edges.append(Edge("READING_OF", rid, r.indicator, prov, {}))  # graph.add and graph.link, inline


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
    if subject not in graph.nodes:
        return
    aid = f"S:{subject}"
    prov = Provenance.curated(rationale, "kg/progress/rules.yaml:indicators")
    graph.add(Node("Assessment", aid, f"{subject} {props['light']}", prov,
                   props={"scope": scope, "subject": subject, "as_of": as_of, "computed_at": when, **props}))
    graph.link("ASSESSES", aid, subject, prov)


def add_progress(graph: PlanGraph, seed_dir: Path, shown_dir: str) -> None:
    """Readings from <seed>/readings.csv (when present), validated, and their assessments, into the graph."""
    from kg.progress.readings import read_readings
    from kg.progress.rules import load_rules
    from kg.progress.status import assess

    path = seed_dir / READINGS_FILE
    if not path.exists():
        return
    readings = read_readings(path, graph)
    for r in readings:  # messages and provenance name the file as the seed folder was given
        r.where = r.where.replace(str(path), f"{shown_dir}/{READINGS_FILE}", 1)
    add_readings(graph, readings)
    add_assessments(graph, assess(graph, readings, load_rules()))


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
