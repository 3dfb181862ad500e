"""Named queries: the loader's checks, and each query's golden result on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import QueryError
from kg.model import PlanGraph
from kg.queries import ask, bind, load_queries, run

GOLDEN = Path(__file__).resolve().parent / "golden"
# The parameters each golden result was taken with.
ARGS: dict[str, dict[str, str]] = {
    "departments_for_target": {"target": "G3"},
    "targets_of_department": {"department": "D-commerce"},
    "department_tasks": {"department": "D-commerce"},
    "indicator_owners": {"indicator": "I1.1"},
    "department_workload": {},
    "upstream": {"task": "T15", "depth": "3"},
    "downstream": {"task": "T22", "depth": "2"},
    "impact": {"task": "T22"},
    "path": {"source": "T15", "dest": "D-commerce"},
    "plan_overview": {},
    "area_tasks": {"area": "A13"},
    "target_tree": {"target": "G3"},
    "search": {"text": "商务"},
    "entities": {"kind": "Area"},
    "shared_tasks": {"department": "D-drc", "other": "D-miit"},
    "coordination_pairs": {},
    "tasks_without_lead": {},
    "indicators_without_task": {},
    "targets_without_indicator": {},
    "indicator_status": {},
    "red_indicators_by_department": {"department": "D-commerce"},
    "indicator_history": {"indicator": "I1.1"},
}
# Lists whose order the query defines (paths); every other list comes from collect() and is compared as a set.
ORDERED = {"ids", "names", "relations"}


def _normal(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """collect() order is not defined by Cypher: compare lists as sorted."""
    return [{k: sorted(v) if isinstance(v, list) and k not in ORDERED else v for k, v in row.items()} for row in rows]


def test_every_query_has_a_golden_result() -> None:
    assert set(load_queries()) == set(ARGS) == {p.stem for p in GOLDEN.glob("*.json")}


@pytest.mark.parametrize("name", sorted(ARGS))
def test_golden_on_each_store(store, plan_graph, name: str) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    rows = ask(store, name, ARGS[name])
    golden = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert _normal(rows) == _normal(golden)


def test_golden_results_agree_with_the_seed(plan_graph) -> None:  # type: ignore[no-untyped-def]
    """The golden files are checked against the overlays, not only against what a store returned once."""
    workload = json.loads((GOLDEN / "department_workload.json").read_text(encoding="utf-8"))
    leads = {e.source for e in plan_graph.edges if e.kind == "LEADS"}
    assert {r["department"] for r in workload if r["leads"]} == leads
    drc = next(r for r in workload if r["department"] == "D-drc")
    assert drc["leads"] == sum(1 for e in plan_graph.edges if e.kind == "LEADS" and e.source == "D-drc")
    area = json.loads((GOLDEN / "area_tasks.json").read_text(encoding="utf-8"))
    assert [r["task"] for r in area] == ["T62", "T63", "T64", "T65"]
    assert json.loads((GOLDEN / "targets_without_indicator.json").read_text(encoding="utf-8")) == [
        {"target": "G10", "name": "安全能力实现新提升"}]


def _nx(graph: PlanGraph, kinds: set[str]):  # type: ignore[no-untyped-def]
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.source, e.target) for e in graph.edges if e.kind in kinds)
    return g


def _golden(name: str) -> list[dict[str, object]]:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_dependency_goldens_agree_with_the_overlays(plan_graph) -> None:  # type: ignore[no-untyped-def]
    import networkx as nx

    deps = _nx(plan_graph, {"DEPENDS_ON"})  # task -> the task it waits on
    up = nx.single_source_shortest_path_length(deps, "T15", cutoff=3)
    assert [(r["distance"], r["task"]) for r in _golden("upstream")] == sorted((d, t) for t, d in up.items() if d)
    down = nx.single_source_shortest_path_length(deps.reverse(), "T22", cutoff=2)
    assert [(r["distance"], r["task"]) for r in _golden("downstream")] == sorted((d, t) for t, d in down.items() if d)
    impact = _golden("impact")
    assert {r["task"] for r in impact} == {"T22"} | nx.ancestors(deps, "T22")
    contributes = _nx(plan_graph, {"CONTRIBUTES_TO"})
    for row in impact:
        assert sorted(row["indicators"]) == sorted(contributes.successors(row["task"]))  # type: ignore[arg-type]


def test_path_golden_lists_every_shortest_path(plan_graph) -> None:  # type: ignore[no-untyped-def]
    import networkx as nx

    g = _nx(plan_graph, set(plan_graph.counts()["edges"])).to_undirected()
    g.remove_node("PLAN")
    expected = sorted(nx.all_shortest_paths(g, "T15", "D-commerce"))
    assert [r["ids"] for r in _golden("path")] == expected


def test_ownership_goldens_agree_with_the_overlays(plan_graph) -> None:  # type: ignore[no-untyped-def]
    edges = plan_graph.edges
    areas = {e.source for e in edges if e.kind == "ADVANCES" and e.target == "G3"}
    tasks = {e.target for e in edges if e.kind == "HAS_TASK" and e.source in areas}
    leads = {(e.source, e.target) for e in edges if e.kind == "LEADS" and e.target in tasks}
    lead_rows = {(r["department"], r["tasks"]) for r in _golden("departments_for_target") if r["role"] == "lead"}
    assert lead_rows == {(d, sum(1 for x, _ in leads if x == d)) for d, _ in leads}
    contributing = {e.source for e in edges if e.kind == "CONTRIBUTES_TO" and e.target == "I1.1"}
    owners = {(e.source, e.kind) for e in edges if e.kind in ("LEADS", "SUPPORTS") and e.target in contributing}
    assert {(r["department"], "LEADS" if r["role"] == "lead" else "SUPPORTS") for r in _golden("indicator_owners")} \
        == owners
    shared = {e.target for e in edges if e.kind in ("LEADS", "SUPPORTS") and e.source == "D-drc"} & \
             {e.target for e in edges if e.kind in ("LEADS", "SUPPORTS") and e.source == "D-miit"}
    assert {r["task"] for r in _golden("shared_tasks")} == shared
    top = _golden("coordination_pairs")[0]
    assert top["shared"] == len(top["tasks"]) == 7  # type: ignore[arg-type]


@pytest.mark.parametrize("gap", ["tasks_without_lead", "indicators_without_task"])
def test_gap_queries_find_gaps_made_on_purpose(store, plan_graph, gap: str) -> None:  # type: ignore[no-untyped-def]
    """The Shenyang plan has none of these gaps; a copy with one removed must show exactly it."""
    broken = PlanGraph(plan_graph.plan_id, dict(plan_graph.nodes), [
        e for e in plan_graph.edges
        if not (e.kind == "LEADS" and e.target == "T7") and not (e.kind == "CONTRIBUTES_TO" and e.target == "I2.1")])
    store.build(broken)
    rows = run(store, load_queries()[gap], {})
    if gap == "tasks_without_lead":
        assert [r["task"] for r in rows] == ["T7"]
    else:
        assert [(r["indicator"], r["target"]) for r in rows] == [("I2.1", "G2")]


def test_loader_refuses_bad_declarations(tmp_path: Path) -> None:
    root = tmp_path / "cypher"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "q.cypher").write_text("// purpose\nMATCH (t:Task {id: $task}) RETURN t.id", encoding="utf-8")
    with pytest.raises(QueryError, match=r"cypher/a/q.cypher: uses \$task without declaring it"):
        load_queries(root)
    (root / "a" / "q.cypher").write_text("// purpose\n// param task: a task\n// param x: unused\n"
                                         "MATCH (t:Task {id: $task}) RETURN t.id", encoding="utf-8")
    with pytest.raises(QueryError, match="declares x but never uses it"):
        load_queries(root)
    (root / "a" / "q.cypher").write_text("// purpose\nRETURN 1", encoding="utf-8")
    (root / "b" / "q.cypher").write_text("// purpose\nRETURN 2", encoding="utf-8")
    with pytest.raises(QueryError, match=r"duplicate query name 'q': cypher/a/q\.cypher and cypher/b/q\.cypher"):
        load_queries(root)



def test_kind_labels_are_filled_from_the_model_only(tmp_path: Path) -> None:
    """`:$source_kind` becomes the resolved entity's kind, or no label at all; never text that is not a kind."""
    from kg.queries import with_kinds

    text = "MATCH (a:$source_kind {uid: $source_uid}), (b:$dest_kind {uid: $dest_uid}) RETURN a"
    assert with_kinds(text, {"source": "Task", "dest": "Department"}) == (
        "MATCH (a:Task {uid: $source_uid}), (b:Department {uid: $dest_uid}) RETURN a")
    assert with_kinds(text, {"source": "Task) DETACH DELETE (x", "dest": "task"}) == (
        "MATCH (a {uid: $source_uid}), (b {uid: $dest_uid}) RETURN a")
    root = tmp_path / "cypher"
    (root / "a").mkdir(parents=True)
    (root / "a" / "q.cypher").write_text("// purpose\n// param task: a task\n"
                                         "MATCH (t:$task_kind {uid: $task_uid}) RETURN t.id", encoding="utf-8")
    with pytest.raises(QueryError, match=r"cypher/a/q.cypher: the label :\$task_kind needs a parameter task that "
                                         r"takes an entity of any kind \(valid: source, dest\)"):
        load_queries(root)
    (root / "a" / "q.cypher").write_text("// purpose\n// param source: any entity\n"
                                         "MATCH (t:$source_kind {uid: $source_uid}) RETURN t.id", encoding="utf-8")
    assert set(load_queries(root)["q"].params) == {"source"}


def test_path_without_kinds_gives_the_same_answer(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    """Run without name resolution (no kinds known), the path query drops its labels and still answers the same."""
    store.build(plan_graph)
    query = load_queries()["path"]
    golden = json.loads((GOLDEN / "path.json").read_text(encoding="utf-8"))
    assert _normal(run(store, query, dict(ARGS["path"]))) == _normal(golden)
    assert _normal(run(store, query, dict(ARGS["path"]), kinds={"source": "Task", "dest": "Department"})) == _normal(
        golden)

def test_bind_names_the_expected_parameters() -> None:
    query = load_queries()["area_tasks"]
    with pytest.raises(QueryError, match="takes -p area VALUE; unknown: zone; missing: area"):
        bind(query, {"zone": "A1"})


def test_loader_attaches_per_store_variants_and_checks_them(tmp_path: Path) -> None:
    root = tmp_path / "cypher"
    (root / "deps" / "ladybug").mkdir(parents=True)
    (root / "deps" / "path.cypher").write_text("// p\n// param a: x\nRETURN $a AS common", encoding="utf-8")
    (root / "deps" / "ladybug" / "path.cypher").write_text("// p\n// param a: x\nRETURN $a AS lb", encoding="utf-8")
    query = load_queries(root)["path"]
    assert query.text_for("ladybug") == "RETURN $a AS lb" and query.text_for("neo4j") == "RETURN $a AS common"
    (root / "deps" / "ladybug" / "path.cypher").write_text("// p\n// param b: x\nRETURN $b", encoding="utf-8")
    with pytest.raises(QueryError, match=r"cypher/deps/ladybug/path.cypher: declares other parameters"):
        load_queries(root)
    (root / "deps" / "ladybug" / "path.cypher").unlink()
    (root / "deps" / "ladybug" / "orphan.cypher").write_text("// p\nRETURN 1", encoding="utf-8")
    with pytest.raises(QueryError, match="overrides no query"):
        load_queries(root)
    (root / "deps" / "ladybug" / "orphan.cypher").unlink()
    (root / "deps" / "sqlite").mkdir()
    (root / "deps" / "sqlite" / "path.cypher").write_text("// p\n// param a: x\nRETURN $a", encoding="utf-8")
    with pytest.raises(QueryError, match="folder named after a store"):
        load_queries(root)


def test_shipped_variants_are_few_and_real() -> None:
    """Ladybug spells shortest paths its own way; and it has no index but the primary key, so a query over a whole
    plan reaches the plan's nodes through IN_PLAN (its Ladybug-only access path) rather than scan every plan's."""
    queries = load_queries()
    variants = {name: sorted(q.variants) for name, q in queries.items() if q.variants}
    plan_wide = {name for name, q in queries.items() if "{plan: $plan" in q.text and "_uid" not in q.text}
    assert variants == {"path": ["ladybug"], **{name: ["ladybug"] for name in plan_wide}}
    assert all(":IN_PLAN]" in queries[name].variants["ladybug"] for name in plan_wide)
    assert all("_uid" in q.text for name, q in queries.items() if name not in plan_wide and q.params)


def test_ladybug_path_follows_every_relation_that_does_not_touch_the_plan_root() -> None:
    """The Ladybug path variant lists its relation types (a node predicate would scan every plan's nodes): the list
    must follow the model, so a new edge kind is not silently left out of paths. Readings' relations are left
    out: no name resolves to a reading, and a reading (one relation, to its indicator) lies on no chain."""
    from kg.model import EDGE_KINDS, OBSERVATION_KINDS

    text = load_queries()["path"].variants["ladybug"]
    listed = set(text.split("-[:", 1)[1].split("*", 1)[0].split("|"))
    apart = {"Plan", *OBSERVATION_KINDS}
    assert listed == {kind for kind, (pairs, _) in EDGE_KINDS.items()
                      if not any(end in apart for pair in pairs for end in pair)}


@pytest.mark.parametrize("name", sorted(ARGS))
def test_golden_with_other_plans_in_the_store(store, store_settings, plan_graph, name: str) -> None:  # type: ignore[no-untyped-def]
    """A store holding several plans answers for the one asked about: the anchors (uids, IN_PLAN) stay in it. The
    other plan has the same ids with a share of its relations rewired, so a leak would change the answers."""
    import dataclasses

    from bench.run import corpus
    from kg.stores.base import open_store

    other = corpus(1, plan_graph)[0]
    other = PlanGraph("pytest-other-plan", other.nodes, other.edges)
    store.build_all([other, plan_graph])
    if store_settings.kind == "ladybug":
        store.close()
    reader = open_store(dataclasses.replace(store_settings, plan=plan_graph.plan_id))
    try:
        rows = ask(reader, name, ARGS[name])
    finally:
        reader.close()
    golden = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert _normal(rows) == _normal(golden)


def test_an_exact_id_is_looked_up_alone_and_names_still_resolve(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    """`ask` looks exact ids up by themselves (one small read) and fetches every entity's names only for a value
    that is not one: a code without its letter, a Chinese name, an id of another kind."""
    store.build(plan_graph)
    reads: list[str] = []
    read = store.read

    def counted(cypher: str, params: dict[str, object] | None = None, max_rows: int | None = None):  # type: ignore[no-untyped-def]
        reads.append(cypher)
        return read(cypher, params, max_rows)

    store.read = counted
    golden = _normal(json.loads((GOLDEN / "path.json").read_text(encoding="utf-8")))
    assert _normal(ask(store, "path", {"source": "T15", "dest": "D-commerce"})) == golden
    assert len(reads) == 2 and not any("aliases" in r for r in reads)
    reads.clear()
    commerce = plan_graph.nodes["D-commerce"].name
    assert _normal(ask(store, "path", {"source": "T15", "dest": commerce})) == golden
    assert len(reads) == 3 and "aliases" in reads[1]
    rows = ask(store, "departments_for_target", {"target": "3"})  # G3 by its number
    assert _normal(rows) == _normal(json.loads((GOLDEN / "departments_for_target.json").read_text(encoding="utf-8")))
    from kg.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no target is called 'D-commerce'"):
        ask(store, "departments_for_target", {"target": "D-commerce"})


def test_readings_are_observations_not_entities(store, plan_graph) -> None:  # type: ignore[no-untyped-def]
    """Search and entity lists give the plan's entities: a reading (named after its indicator, place and period) is
    reached through its indicator on both stores, so a search for an indicator's code lists the indicator, not its
    readings, and an exact reading id names nothing. The readings are still in the graph, each with its edge's
    provenance given back from the reading itself."""
    from kg.errors import NotFoundError

    reading = plan_graph.of_kind("Reading")[0]
    store.build(plan_graph)
    found = ask(store, "search", {"text": reading.props["indicator"]})
    assert found and "Indicator" in {r["kind"] for r in found} and "Reading" not in {r["kind"] for r in found}
    listed = {r["kind"] for r in ask(store, "entities", {"kind": ""})}
    assert "Reading" not in listed and "Indicator" in listed
    with pytest.raises(NotFoundError):
        ask(store, "indicator_history", {"indicator": reading.id})
    history = ask(store, "indicator_history", {"indicator": reading.props["indicator"]})
    assert len(history) == sum(r.props["indicator"] == reading.props["indicator"]
                               for r in plan_graph.of_kind("Reading"))
    back = store.read_graph()
    edge = next(e for e in back.edges if e.kind == "READING_OF" and e.source == reading.id)
    assert edge.provenance == reading.provenance == back.nodes[reading.id].provenance


def test_every_entity_listing_leaves_out_the_observation_kinds() -> None:
    """`search`, `entities` (each store's text) and the exact-id lookup name every kind the model calls an
    observation, so a new one cannot slip into name resolution on one store only (and a Ladybug file built while
    readings still had IN_PLAN rows answers as a new one does)."""
    from kg.model import OBSERVATION_KINDS
    from kg.queries import ID_LOOKUP

    queries = load_queries()
    texts = [queries[name].text for name in ("search", "entities")]
    texts += [queries[name].variants["ladybug"] for name in ("search", "entities")] + list(ID_LOOKUP.values())
    assert len(texts) == 6
    for kind in OBSERVATION_KINDS:
        assert all(f"n.kind <> '{kind}'" in text for text in texts), kind

