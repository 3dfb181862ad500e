"""The benchmark's own parts work (they are not timed here): the synthetic corpus and the raw baseline."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from bench import history
from bench.run import bench_scale, corpus, raw_ladybug, scale_tables
from kg.queries import load_queries
from kg.stores.base import StoreSettings, open_store
from tests.conftest import PLAN_NODES, ROOT


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


def _run(started: str, machine: str, impact_s: float, build_ratio: float) -> dict[str, object]:
    return {"machine": {"cpu": machine, "cpus": 2}, "started": started, "commit": "abc",
            "queries": {"impact": {"ladybug": {"median_s": impact_s, "p95_s": impact_s, "runs": 3}}},
            "scale": {"1000": {"plans": 1000, "nodes": 172000, "ladybug_ratio": build_ratio,
                               "queries": {"impact": {"ladybug_ms": impact_s * 1e3}}}}}


def test_history_keeps_one_file_per_run_and_compares_the_last_two(tmp_path: Path) -> None:
    history.save(_run("2026-11-27T10:00:00Z", "EPYC", 0.010, 1.2), tmp_path)
    history.save(_run("2026-11-27T11:00:00Z", "EPYC", 0.013, 1.1), tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [
        "20261127T100000Z-abc.json", "20261127T110000Z-abc.json", "latest.json"]
    saved = history.runs(tmp_path)
    assert [r["started"] for r in saved] == ["2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z"]
    assert json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))["started"] == "2026-11-27T11:00:00Z"
    history.save(_run("2026-11-27T10:30:00Z", "EPYC", 0.010, 1.2), tmp_path)  # began earlier, ended later
    assert json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))["started"] == "2026-11-27T11:00:00Z"
    text, flagged = history.compare(saved[0], saved[1])
    # 30% slower: flagged, seconds and milliseconds alike; 8% faster ratio: not; counts are not rows
    assert flagged == ["queries/impact/ladybug", "scale/1000/queries/impact/ladybug_ms"]
    assert "SLOWER by 30%" in text and "1.30" in text and "0.92" in text and "nodes" not in text


def test_history_flags_nothing_across_machines(tmp_path: Path) -> None:
    _, flagged = history.compare(_run("a", "EPYC", 0.010, 1.0), _run("b", "Xeon", 0.050, 3.0))
    assert flagged == []


def test_readme_block_is_replaced_between_the_markers() -> None:
    text = f"intro\n{history.README_BEGIN}\nold table\n{history.README_END}\nafter\n"
    out = history.replace_block(text, "new table")
    assert out == f"intro\n{history.README_BEGIN}\nnew table\n{history.README_END}\nafter\n"
    assert history.README_BEGIN in (ROOT / "README.md").read_text(encoding="utf-8")


def test_scale_step_times_every_named_query_at_a_tiny_scale(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    out = bench_scale(tmp_path, "skipped: not in this test", plan_graph, [1, 2])
    assert [(r["plans"], r["nodes"]) for r in out.values()] == [(1, PLAN_NODES), (2, 2 * PLAN_NODES)]
    for row in out.values():
        assert set(row["queries"]) == set(load_queries())
        assert all(v["ladybug_ms"] > 0 for v in row["queries"].values())
        assert row["ladybug_ratio"] == row["ladybug_build_s"] / row["ladybug_raw_copy_s"]
    table = "\n".join(scale_tables(out))
    assert "| `impact` |" in table and "N=2" in table


def test_memory_breakdown_runs_and_the_build_is_the_peak() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "bench" / "memory.py")], capture_output=True, text=True,
                         check=True).stdout
    phases = json.loads(out)
    assert phases[0]["phase"] == "Python started" and phases[-1]["phase"] == "database closed"
    built = next(p for p in phases if p["phase"].startswith("built"))
    assert built["rss_mib"] == max(p["rss_mib"] for p in phases)
    assert sum(p["added_mib"] for p in phases[:-1]) == pytest.approx(built["rss_mib"], abs=0.5)
