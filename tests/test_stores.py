"""Store contract: one test body, run against Ladybug and a real Neo4j. Same input, same graph."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from kg.errors import ReadOnlyError, StoreError
from kg.model import Edge, PlanGraph, Provenance
from kg.stores.base import StoreSettings, open_store


def _canonical(graph: PlanGraph) -> tuple[list[str], list[str]]:
    data = graph.to_json()
    return (sorted(json.dumps(n, sort_keys=True, ensure_ascii=False) for n in data["nodes"]),
            sorted(json.dumps(e, sort_keys=True, ensure_ascii=False) for e in data["edges"]))


def test_build_gives_the_same_counts(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    assert store.counts() == plan_graph.counts()


def test_graph_reads_back_exactly(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    assert _canonical(store.read_graph()) == _canonical(plan_graph)


def test_properties_and_chinese_text_intact(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    [task] = store.read("MATCH (t:Task {id: $id}) RETURN t.name AS name, t.quote AS quote, "
                        "t.quote_start AS start, t.provenance AS provenance", {"id": "T15"})
    start = plan_graph.nodes["T15"].provenance.start
    assert task == {"name": "加快发展数字经济", "quote": "15.加快发展数字经济", "start": start, "provenance": "seed"}
    [ind] = store.read("MATCH (g:Target)-[:MEASURED_BY]->(i:Indicator {id: $id}) RETURN g.name AS target, "
                       "i.normalized_value AS v, i.normalized_unit AS u, i.comparator AS c", {"id": "I3.1"})
    assert ind == {"target": "结构调整迈出新步伐", "v": 1e12, "u": "CNY", "c": "at_least"}
    [dept] = store.read("MATCH (d:Department {id: $id}) RETURN d.aliases AS aliases, d.rationale AS why",
                        {"id": "D-commerce"})
    assert dept["aliases"] == ["商务局"] and dept["why"].startswith("Statutory owner of trade")


def test_rebuild_is_idempotent(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    store.build(plan_graph)
    assert store.counts() == plan_graph.counts()
    assert _canonical(store.read_graph()) == _canonical(plan_graph)


def test_failed_build_leaves_the_previous_graph(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    broken = copy.deepcopy(plan_graph)
    del broken.nodes["T65"]  # its edges now point at nothing: the load fails half-way, after the nodes
    broken.nodes["T1"].name = "这不该出现"
    with pytest.raises(StoreError, match="the previous graph is unchanged"):
        store.build(broken)
    assert store.counts() == plan_graph.counts()
    assert store.read("MATCH (t:Task {id: 'T1'}) RETURN t.name AS n") == [{"n": "加快建设“一枢纽、四中心”"}]


@pytest.mark.parametrize("write", [
    "MATCH (t:Task) SET t.name = 'x'",
    "CREATE (:Task {uid: 'x', id: 'x'})",
    "MATCH (t:Task {id: 'T1'}) DETACH DELETE t",
])
def test_the_database_refuses_writes_on_reads(store, plan_graph, write: str) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    with pytest.raises(ReadOnlyError, match="refused"):
        store.read(write)
    assert store.counts() == plan_graph.counts()


# -- Ladybug only ------------------------------------------------------------------------------------------


def test_ladybug_stale_wal_from_another_database(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    """A killed process can leave a .wal that no longer matches the file: rebuild starts clean, open says why."""
    import os
    import shutil
    import signal
    import subprocess
    import sys

    path = tmp_path / "plan.lbug"
    store = open_store(StoreSettings(path=path))
    store.build(plan_graph)
    writer = ("import ladybug, sys, time\n"
              "db = ladybug.Database(sys.argv[1], buffer_pool_size=64 * 1024**2, auto_checkpoint=False)\n"
              "ladybug.Connection(db).execute(\"MATCH (t:Task) SET t.text = 'x'\")\n"
              "print('written', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", writer, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    wal = path.with_name("plan.lbug.wal")
    assert wal.exists()
    shutil.copy(wal, tmp_path / "stale.wal")
    store.build(plan_graph)  # starts clean despite the leftover
    assert store.counts() == plan_graph.counts() and not wal.exists()
    store.close()
    shutil.copy(tmp_path / "stale.wal", wal)  # the killed process's log beside a database it does not belong to
    with pytest.raises(StoreError, match=r"\.wal files left by a process that was killed.*run `kg build`"):
        store.read("MATCH (n:Task) RETURN count(n) AS n")


def test_ladybug_read_without_build_says_what_to_run(tmp_path: Path) -> None:
    from kg.errors import UsageError

    store = open_store(StoreSettings(path=tmp_path / "none.lbug"))
    with pytest.raises(UsageError, match="run `kg build` first"):
        store.counts()


# -- Neo4j only --------------------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_neo4j_rebuild_touches_no_other_plan_or_data(neo4j_settings, plan_graph) -> None:  # type: ignore[no-untyped-def]
    store = open_store(neo4j_settings)
    try:
        other = copy.deepcopy(plan_graph)
        other.plan_id = "pytest-other-plan"
        store.build(other)
        store._write(lambda tx: tx.run("CREATE (:ForeignData {name: '别人的数据'})").consume())
        store.build(plan_graph)
        store.build(plan_graph)
        other_store = open_store(replace(neo4j_settings, plan="pytest-other-plan"))
        assert other_store.counts() == plan_graph.counts()
        other_store.close()
        assert store.counts() == plan_graph.counts()
        assert store._read_raw("MATCH (n:ForeignData) RETURN n.name AS name", {}) == [{"name": "别人的数据"}]
        nodes = store._read_raw("MATCH (n:PlanNode) RETURN n.plan AS plan, count(*) AS n ORDER BY plan", {})
        assert nodes == [{"plan": "pytest-other-plan", "n": 211}, {"plan": "shenyang-2023-2025", "n": 211}]
    finally:
        store.delete_plan("pytest-other-plan")
        store._write(lambda tx: tx.run("MATCH (n:ForeignData) DETACH DELETE n").consume())
        store.delete_plan("shenyang-2023-2025")
        store.close()


@pytest.mark.neo4j
@pytest.mark.parametrize("change", ["password", "port", "database"])
def test_neo4j_connection_errors_are_one_line_and_quick(neo4j_settings, change: str) -> None:  # type: ignore[no-untyped-def]
    if change == "password":
        settings = replace(neo4j_settings, password="wrong-password-123")
    elif change == "port":
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        settings = replace(neo4j_settings, uri=f"bolt://127.0.0.1:{port}")
    else:
        settings = replace(neo4j_settings, database="nosuchdb")
    started = time.monotonic()
    store = open_store(settings)
    with pytest.raises(StoreError) as err:
        store.counts()
    assert time.monotonic() - started < 10
    message = str(err.value)
    assert "\n" not in message and settings.uri in message
    assert (settings.password or "") not in message and neo4j_settings.password not in message
    expected = {"password": "authentication failed", "port": "unreachable", "database": "no such database"}[change]
    assert expected in message


def test_dangling_edge_is_not_silently_dropped(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    bad = copy.deepcopy(plan_graph)
    bad.edges.append(Edge("DEPENDS_ON", "T1", "T999", Provenance.curated("test", "test:1"),
                          {"dependency_kind": "input", "reason": "x"}))
    with pytest.raises(StoreError):
        store.build(bad)


def test_build_all_loads_several_plans_each_readable(store_settings, plan_graph) -> None:  # type: ignore[no-untyped-def]
    """The corpus path the benchmarks use: several plans in one load, each read back exactly by its id."""
    other = copy.deepcopy(plan_graph)
    other.plan_id = "pytest-other-plan"
    other.nodes["T1"].name = "另一个方案的任务"
    writer = open_store(store_settings)
    try:
        writer.build_all([plan_graph, other])
    finally:
        writer.close()
    for graph in (plan_graph, other):
        reader = open_store(replace(store_settings, plan=graph.plan_id))
        try:
            assert reader.counts() == graph.counts()
            assert reader.read("MATCH (t:Task {plan: $plan, id: 'T1'}) RETURN t.name AS name") == [
                {"name": graph.nodes["T1"].name}]
            assert _canonical(reader.read_graph()) == _canonical(graph)
        finally:
            if store_settings.kind == "neo4j":
                reader.delete_plan(graph.plan_id)  # type: ignore[attr-defined]
            reader.close()


def test_columnar_tables_hold_the_same_values_as_rows(plan_graph) -> None:  # type: ignore[no-untyped-def]
    """Ladybug bulk-loads from columns, Neo4j from rows: both must carry exactly the same values."""
    from kg.model import EDGE_KINDS, NODE_KINDS
    from kg.stores.base import edge_columns, edge_rows, edge_table, node_columns, node_rows, node_table

    other = copy.deepcopy(plan_graph)
    other.plan_id = "pytest-other-plan"
    for kind in NODE_KINDS:
        rows = [r for g in (plan_graph, other) for r in node_rows(g, kind)]
        assert node_table([plan_graph, other], kind) == {c: [r[c] for r in rows] for c in node_columns(kind)}, kind
    for kind in EDGE_KINDS:
        rows = [r for g in (plan_graph, other) for r in edge_rows(g, kind)]
        columns = ["from", "to", *edge_columns(kind)]  # a kind with no edges in this plan (WorkItem's) still has them
        assert edge_table([plan_graph, other], kind) == {c: [r[c] for r in rows] for c in columns}, kind



def test_neo4j_rows_hold_the_same_values_as_the_tables(plan_graph) -> None:  # type: ignore[no-untyped-def]
    """Neo4j's rows are built a row at a time for speed: they must say what `node_table`/`edge_table` say, empty
    values left out, under the staging plan ids and uid prefixes a build gives them."""
    from kg.model import EDGE_KINDS, NODE_KINDS
    from kg.stores.base import edge_table, node_table, table_rows
    from kg.stores.neo4j import edge_params, node_params

    other = copy.deepcopy(plan_graph)
    other.plan_id = "pytest-other-plan"
    graphs = [plan_graph, other]
    plans, prefixes = {other.plan_id: "pytest-other-plan#staging-1"}, {plan_graph.plan_id: "x#staging-2"}
    assert sum(len(node_params(graphs, kind)) for kind in NODE_KINDS) == 2 * len(plan_graph.nodes)
    for kind in NODE_KINDS:
        expected = [{k: v for k, v in row.items() if v is not None}
                    for row in table_rows(node_table(graphs, kind, plans, prefixes))]
        assert node_params(graphs, kind, plans, prefixes) == expected, kind
    edges = edge_params(graphs, prefixes)
    assert sum(map(len, edges.values())) == 2 * len(plan_graph.edges)
    for kind in EDGE_KINDS:
        expected = [{"src": row.pop("from"), "dst": row.pop("to"), "props": {k: v for k, v in row.items()
                                                                             if v is not None}}
                    for row in table_rows(edge_table(graphs, kind, prefixes))]
        assert edges[kind] == expected, kind


@pytest.mark.neo4j
def test_neo4j_build_after_a_killed_first_build(neo4j_settings, plan_graph) -> None:  # type: ignore[no-untyped-def]
    """A killed first build leaves staging nodes holding final uids; the next build clears them and succeeds."""
    store = open_store(neo4j_settings)
    try:
        store._write(lambda tx: tx.run(  # type: ignore[attr-defined]
            "CREATE (:PlanNode:Task {plan: $staging, uid: $uid, id: 'T1', name: 'left by a killed build'})",
            staging=f"{plan_graph.plan_id}#staging-deadbeef0000", uid=f"{plan_graph.plan_id}:T1").consume())
        store.build(plan_graph)
        assert store.counts() == plan_graph.counts()
        assert store.read("MATCH (n:PlanNode) WHERE n.plan CONTAINS '#staging-' RETURN count(n) AS n") == [{"n": 0}]
        store.build(plan_graph)  # a rebuild goes through staging uids and the rename
        assert _canonical(store.read_graph()) == _canonical(plan_graph)
    finally:
        store.delete_plan(plan_graph.plan_id)  # type: ignore[attr-defined]
        store.close()


def test_ladybug_build_that_runs_out_of_buffer_pool_names_the_table(tmp_path: Path, plan_graph,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """What fails first at the largest sizes is Ladybug's buffer pool: the error says which COPY, and how big."""
    import kg.stores.ladybug as lb

    monkeypatch.setattr(lb, "BUFFER_POOL", 24 * 2**20)  # the schema fits; the first COPYs do not
    store = open_store(StoreSettings(path=tmp_path / "small.lbug"))
    with pytest.raises(StoreError, match=r"unchanged: copying [\d,]+ rows into \w+: .*[Bb]uffer pool"):
        store.build(plan_graph)
    assert not (tmp_path / "small.lbug").exists() and not (tmp_path / "small.lbug.new").exists()


def test_ladybug_tables_are_made_ahead_in_order_and_errors_reach_the_caller() -> None:
    """A small load converts the next table in a thread while the engine copies the one before
    (kg.stores.ladybug_load.ahead): every item arrives, in order; an error raised making one is raised in the
    caller; a caller that stops early leaves no thread behind; Python's switch interval is put back."""
    import sys
    import threading

    from kg.stores.ladybug_load import ahead

    interval = sys.getswitchinterval()
    assert list(ahead(iter(range(500)))) == list(range(500))

    def broken() -> object:
        yield 1
        raise ValueError("made-up failure while converting")

    got = []
    with pytest.raises(ValueError, match="made-up failure"):
        for item in ahead(broken()):  # type: ignore[arg-type]
            got.append(item)
    assert got == [1]

    before = {t.ident for t in threading.enumerate()}
    for item in ahead(iter(range(10**6))):
        if item == 3:
            break  # the generator is closed: the producer, blocked on the full box, must end
    assert not [t for t in threading.enumerate() if t.name == "kg-build-tables" and t.ident not in before]
    assert sys.getswitchinterval() == interval

    # two loads in one process ending in either order: the interval is fast while any runs, then put back
    first, second = ahead(iter(range(5))), ahead(iter(range(5)))
    next(first), next(second)
    assert sys.getswitchinterval() < interval
    first.close()
    assert sys.getswitchinterval() < interval
    second.close()
    assert sys.getswitchinterval() == interval


def test_ladybug_membership_only_for_plans_with_a_plan_node(plan_graph) -> None:  # type: ignore[no-untyped-def]
    """IN_PLAN rows (the access path to a plan's nodes) go from each node of a plan that has a Plan node to it;
    a graph without one has none, and no other row is lost or shifted. Readings have none (reached through their
    indicator)."""
    from kg.model import OBSERVATION_KINDS
    from kg.stores.ladybug_load import copies

    orphan = copy.deepcopy(plan_graph)
    orphan.plan_id = "pytest-no-plan-node"
    for key in [k for k, n in orphan.nodes.items() if n.kind == "Plan"]:
        del orphan.nodes[key]
    orphan.edges = [e for e in orphan.edges if e.source in orphan.nodes and e.target in orphan.nodes]
    second = copy.deepcopy(plan_graph)
    second.plan_id = "pytest-second-plan"
    plans = (plan_graph, second)
    rows = {target: table for _, target, table in copies([plan_graph, orphan, second])
            if target.startswith("IN_PLAN")}
    roots = {g.plan_id: next(f"{g.plan_id}:{n.id}" for n in g.nodes.values() if n.kind == "Plan") for g in plans}
    kinds = {n.kind for n in plan_graph.nodes.values()}
    assert "Reading" in kinds and not any(t.startswith("IN_PLAN from Reading") for t in rows)  # observations: none
    for kind in kinds - OBSERVATION_KINDS:
        table = rows[f"IN_PLAN from {kind}"].to_pydict()
        assert sorted(table["from"]) == sorted(f"{g.plan_id}:{n.id}" for g in plans for n in g.of_kind(kind))
        for source, target in zip(table["from"], table["to"], strict=True):  # each node to its own plan's root
            assert target == roots[source.split(":", 1)[0]], (source, target)
