"""Named queries: the loader's checks, and each query's golden result on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import QueryError
from kg.queries import bind, load_queries

GOLDEN = Path(__file__).resolve().parent / "golden"
# The parameters each golden result was taken with.
ARGS: dict[str, dict[str, str]] = {
    "departments_for_target": {"target": "G3"},
    "department_workload": {},
    "targets_without_indicator": {},
    "area_tasks": {"area": "A13"},
}


def _normal(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """collect() order is not defined by Cypher: compare lists as sorted."""
    return [{k: sorted(v) if isinstance(v, list) else v for k, v in row.items()} for row in rows]


def test_every_query_has_a_golden_result() -> None:
    assert set(load_queries()) == set(ARGS) == {p.stem for p in GOLDEN.glob("*.json")}


@pytest.mark.parametrize("name", sorted(ARGS))
def test_golden_on_each_store(store, plan_graph, name: str) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    query = load_queries()[name]
    rows = store.read(query.text, bind(query, ARGS[name]))
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


def test_bind_names_the_expected_parameters() -> None:
    query = load_queries()["area_tasks"]
    with pytest.raises(QueryError, match="takes -p area VALUE; unknown: zone; missing: area"):
        bind(query, {"zone": "A1"})
