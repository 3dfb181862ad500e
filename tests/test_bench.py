"""The benchmark's own parts work (they are not timed here): the synthetic corpus and the raw baseline."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from bench.run import corpus, raw_ladybug
from kg.stores.base import StoreSettings, open_store


def test_corpus_plans_are_distinct_valid_and_varied(plan_graph) -> None:  # type: ignore[no-untyped-def]
    plans = corpus(4, plan_graph)
    assert [g.plan_id for g in plans] == ["syn-0000", "syn-0001", "syn-0002", "syn-0003"]
    assert all(g.counts() == plan_graph.counts() for g in plans)  # the same shape
    degree_sequences = set()
    for g in plans:
        waits = nx.DiGraph((e.source, e.target) for e in g.edges if e.kind == "DEPENDS_ON")
        assert nx.is_directed_acyclic_graph(waits)
        degree_sequences.add(tuple(sorted(d for _, d in waits.in_degree())))
        assert all(e.source in g.nodes and e.target in g.nodes for e in g.edges)
    assert len(degree_sequences) > 1  # rewired: not four copies


def test_raw_copy_loads_the_same_graph_as_build_all(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    plans = corpus(2, plan_graph)
    raw_ladybug(tmp_path / "raw.lbug", plans)
    ours = open_store(StoreSettings(path=tmp_path / "ours.lbug"))
    ours.build_all(plans)
    ours.close()
    for path in ("raw.lbug", "ours.lbug"):
        store = open_store(StoreSettings(path=tmp_path / path, plan="syn-0001"))
        assert store.counts() == plans[1].counts()
        store.close()


def test_synthetic_monthly_readings_validate_and_assess(plan_graph) -> None:  # type: ignore[no-untyped-def]
    from bench.run import monthly_readings, structure_only
    from kg.progress.readings import validate
    from kg.progress.rules import load_rules
    from kg.progress.status import assess

    structure = structure_only(plan_graph)
    rows, wheres = monthly_readings(structure)
    readings = validate(rows, wheres, structure)
    assert len(readings) == 36 * len(structure.of_kind("Indicator"))
    report = assess(structure, readings, load_rules())
    assert report.as_of == "2025-12" and {s.light for s in report.indicators} <= {"green", "yellow", "red", "grey"}
