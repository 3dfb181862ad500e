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


def test_a_one_step_run_is_kept_but_does_not_replace_the_full_table(tmp_path: Path) -> None:
    """`BENCH_STEPS=scale BENCH_SCALE=10000`: kept in the history, compared with the run of its own shape, while
    latest.json (the README's table) stays the newest full run."""
    full = {"steps": ["startup", "build", "scale"], "scale_sizes": [1, 1000]}
    one = {"steps": ["scale"], "scale_sizes": [10000]}
    history.save({**_run("2026-11-27T09:00:00Z", "EPYC", 0.010, 1.2), **one}, tmp_path)
    history.save({**_run("2026-11-27T10:00:00Z", "EPYC", 0.010, 1.2), **full}, tmp_path)
    history.save({**_run("2026-11-27T11:00:00Z", "EPYC", 0.011, 1.2), **full}, tmp_path)
    history.save({**_run("2026-11-27T12:00:00Z", "EPYC", 0.020, 1.3), **one}, tmp_path)
    assert len(list(tmp_path.glob("2026*.json"))) == 4
    assert json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))["started"] == "2026-11-27T11:00:00Z"
    old, new = history.pair(history.runs(tmp_path))
    assert (old["started"], new["started"]) == ("2026-11-27T09:00:00Z", "2026-11-27T12:00:00Z")
    history.save({**_run("2026-11-27T13:00:00Z", "EPYC", 0.020, 1.3), "steps": ["progress"], "scale_sizes": [5]},
                 tmp_path)
    old, new = history.pair(history.runs(tmp_path))  # no run of its shape before it: the one just before
    assert (old["started"], new["started"]) == ("2026-11-27T12:00:00Z", "2026-11-27T13:00:00Z")


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
        assert len(row["ladybug_ratios"]) == 3 and all(r > 0 for r in row["ladybug_ratios"])
        assert row["ladybug_ratio"] == pytest.approx(sorted(row["ladybug_ratios"])[1], abs=0.001)  # the median
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


def test_progress_step_imports_assesses_loads_and_times_the_status_queries(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    from bench.progress import bench_progress_at_scale, progress_table, status_queries, targets
    from bench.run import structure_only

    structure = structure_only(plan_graph)
    indicators = len(structure.of_kind("Indicator"))
    out = bench_progress_at_scale(tmp_path, plan_graph, [1, 2], runs=2)
    assert status_queries() == ["indicator_history", "indicator_status", "red_indicators_by_department"]
    for n, row in zip((1, 2), out.values(), strict=True):
        assert row["readings"] == n * indicators * 36
        # per plan: the structure, one Reading per reading, one Assessment per indicator, target and the plan
        per_plan = len(structure.nodes) + indicators * 36 + indicators + len(structure.of_kind("Target")) + 1
        assert row["nodes"] == n * per_plan
        assert row["import_assess_s"] >= row["read_s"] + row["validate_s"] + row["assess_s"] + row["nodes_s"]
        # the import begun with the load: the load copied the structure, waited for the readings, then copied them
        assert row["total_s"] == pytest.approx(row["ladybug_load_s"] + row["ladybug_wait_s"], abs=0.002)
        assert 0 < row["structure_copied_s"] < row["total_s"] and row["ladybug_wait_s"] >= 0
        assert set(row["queries"]) == set(status_queries())
        assert all(v["ladybug_ms"] > 0 for v in row["queries"].values())
        # the steps that must follow one another: the import, then the readings' tables, then their COPY
        assert row["readings_tables_made_s"] > 0 and 0 < row["readings_raw_copy_s"] < row["ladybug_raw_copy_s"]
        assert row["chain_floor_s"] == pytest.approx(
            row["import_assess_s"] + row["readings_tables_made_s"] + row["readings_raw_copy_s"], abs=0.003)
    table = "\n".join(progress_table(out))
    assert "| `indicator_history` |" in table and "N=2" in table
    assert [verdict for _, _, verdict in targets(out)] == ["-", "-", "-"]  # N=1000 was not run
    assert row["ladybug_raw_copy_s"] > 0 and row["ladybug_buffer_pool_mib"] >= 256
    assert targets({"1000": {**out["2"], "total_s": 12.5}})[0][2] == "missed by 25%"
    assert "raw COPY of the same rows" in targets({"1000": out["2"]})[0][1]
    assert f"sum to {out['2']['chain_floor_s']:.3g} s" in targets({"1000": out["2"]})[0][1]
    failed = {k: v for k, v in out["2"].items()
              if k not in ("total_s", "ladybug_load_s", "ladybug_raw_copy_s", "queries", "structure_copied_s",
                           "ladybug_wait_s")}
    measured = targets({"1000": {**failed, "ladybug_error": "StoreError after 3.0 s: buffer pool full"}})
    assert measured[0][1].startswith("the load failed: StoreError") and measured[1][2] == "met"  # import+assess


def test_progress_pipeline_is_the_builds_and_keeps_each_rows_file_and_line(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    from bench.progress import import_and_assess, readings_files
    from bench.run import corpus, monthly_readings, structure_only
    from kg.errors import ValidationError
    from kg.progress.graph import add_progress
    from kg.progress.rules import load_rules

    structure = structure_only(plan_graph)
    rows, _ = monthly_readings(structure)
    plans = corpus(1, structure)
    [path] = readings_files(tmp_path / "files", plans, rows)
    phases = {"read_s": 0.0, "validate_s": 0.0, "assess_s": 0.0, "nodes_s": 0.0}
    [ours] = import_and_assess(plans, [path], load_rules(), phases)
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "readings.csv").write_bytes(path.read_bytes())
    built = _copy_graph(plans[0])
    add_progress(built, seed, "seed")  # what `kg build` does with a seed's readings.csv
    assert ours.counts() == built.counts()
    assert {k: n.props for k, n in ours.nodes.items() if n.kind == "Reading"} == \
        {k: n.props for k, n in built.nodes.items() if n.kind == "Reading"}
    assert {k: n.props["light"] for k, n in ours.nodes.items() if n.kind == "Assessment"} == \
        {k: n.props["light"] for k, n in built.nodes.items() if n.kind == "Assessment"}
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(",final,", ",finished,")
    lines[700] = lines[700].replace(",2024-", ",2031-", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        import_and_assess(plans, [path], load_rules(), phases)
    assert [p.split(": ")[0] for p in e.value.problems] == [f"{path}:5", f"{path}:701"]
    assert "status 'finished' is not valid" in e.value.problems[0]
    assert "period 2031-" in e.value.problems[1] and "is outside the plan" in e.value.problems[1]


def _copy_graph(g):  # type: ignore[no-untyped-def]
    from kg.model import PlanGraph

    return PlanGraph(g.plan_id, dict(g.nodes), list(g.edges))


def test_recursive_join_benchmark_runs_and_its_statements_agree(capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    """bench/recursive.py at a tiny scale: one row per statement, one column per size, and the two shortest-path
    statements find paths of the same length as `path` returns (the anchors are the shipped golden pair)."""
    from bench import recursive

    monkeypatch.setenv("BENCH_SCALE", "1,2")
    recursive.main()
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("| ") and " ms |" in x]
    assert len(lines) == 3 and all(line.count(" ms") == 2 for line in lines)
    import ladybug

    from bench.run import corpus
    from kg.ingest.seed import load_plan
    from kg.stores.base import StoreSettings, open_store

    path = tmp_path / "one.lbug"
    open_store(StoreSettings(path=path)).build_all(corpus(1, load_plan()))
    db = ladybug.Database(str(path), read_only=True, buffer_pool_size=256 * 2**20)
    conn = ladybug.Connection(db)
    params = {"source_uid": "syn-0000:T15", "dest_uid": "syn-0000:D-commerce"}

    def rows(cypher: str) -> list[list[object]]:
        result, out = conn.execute(cypher, params), []
        while result.has_next():
            out.append(result.get_next())
        return out

    statements = recursive.statements()
    shipped = rows(statements["path as shipped"])
    lengths = {row[0] for row in rows(statements["ALL SHORTEST, length only"])}
    assert shipped and lengths == {len(row[2]) for row in shipped}  # relations per path = its length
    assert len(rows(statements["ALL SHORTEST, length only"])) == len(shipped)
    conn.close()
    db.close()
