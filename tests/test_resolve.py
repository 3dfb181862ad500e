"""Naming entities the way people do: codes, bare numbers, Chinese and English names, unique parts."""

from __future__ import annotations

import pytest

from kg.errors import NotFoundError
from kg.resolve import Entity, entities_from_graph, resolve

ENTITIES = [
    Entity("Task", "T15", "加快发展数字经济", "Accelerate the digital economy"),
    Entity("Task", "T5", "深化国资国企改革", "Deepen SOE reform"),
    Entity("Target", "G3", "结构调整迈出新步伐", "New steps in structural adjustment"),
    Entity("Indicator", "I1.1", "地区生产总值增速"),
    Entity("Department", "D-commerce", "市商务局", "Municipal Bureau of Commerce", ("商务局", "商务")),
    Entity("Department", "D-tech", "市科技局", "Municipal Science and Technology Bureau", ("科技局",)),
]


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("T15", "Task", "T15"), ("t15", "Task", "T15"), ("15", "Task", "T15"), ("5", "Task", "T5"),
    ("3", "Target", "G3"), ("1.1", "Indicator", "I1.1"),
    ("市商务局", "Department", "D-commerce"), ("商务", "Department", "D-commerce"),
    ("bureau of COMMERCE", "Department", "D-commerce"), ("数字经济", "Task", "T15"), ("数字经济", None, "T15"),
    ("  结构调整 ", "Target", "G3"), ("D-tech", None, "D-tech"),
])
def test_resolves(text: str, kind: str | None, expected: str) -> None:
    assert resolve(ENTITIES, text, kind) == expected


def test_ambiguous_name_lists_the_candidates() -> None:
    with pytest.raises(NotFoundError) as e:
        resolve(ENTITIES, "局", "Department")
    assert str(e.value) == ("'局' could be 2 departments: D-commerce 市商务局 (Municipal Bureau of Commerce); "
                            "D-tech 市科技局 (Municipal Science and Technology Bureau) "
                            "(give the code or more of the name)")


def test_exact_name_wins_over_a_longer_one_containing_it() -> None:
    pool = [*ENTITIES, Entity("Department", "D-x", "市商务局驻外办", None)]
    assert resolve(pool, "市商务局", "Department") == "D-commerce"


def test_unknown_name_suggests_the_nearest() -> None:
    with pytest.raises(NotFoundError, match=r"no department is called '市商业局'; did you mean D-commerce 市商务局"):
        resolve(ENTITIES, "市商业局", "Department")
    with pytest.raises(NotFoundError, match=r"no task is called '99' \(try `kg query search -p text 99`\)"):
        resolve(ENTITIES, "99", "Task")
    with pytest.raises(NotFoundError, match="empty name"):
        resolve(ENTITIES, " ", "Task")


def test_a_bare_number_names_nothing_without_a_kind() -> None:
    with pytest.raises(NotFoundError, match="no entity is called '15'"):
        resolve(ENTITIES, "15", None)


def test_every_shenyang_code_and_name_resolves_to_itself(plan_graph) -> None:  # type: ignore[no-untyped-def]
    entities = entities_from_graph(plan_graph)
    names = [e.name for e in entities]
    for e in entities:
        assert resolve(entities, e.id, e.kind) == e.id
        if names.count(e.name) == 1:
            assert resolve(entities, e.name, e.kind) == e.id
