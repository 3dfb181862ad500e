"""The curated overlays: a clean seed validates, broken copies fail with file:line and what is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import ValidationError
from kg.ingest.seed import iter_quotes, load_plan
from kg.model import EDGE_KINDS
from tests.conftest import SOURCE


def test_clean_seed_counts(plan_graph) -> None:  # type: ignore[no-untyped-def]
    nodes = plan_graph.counts()["nodes"]
    assert {k: nodes[k] for k in ("Principle", "OverallGoal", "Target", "Area", "Task", "Measure", "Indicator")} == {
        "Principle": 6, "OverallGoal": 1, "Target": 10, "Area": 13, "Task": 65, "Measure": 6, "Indicator": 20}


def test_every_task_has_a_lead_and_every_indicator_a_task(plan_graph) -> None:  # type: ignore[no-untyped-def]
    led = {e.target for e in plan_graph.edges if e.kind == "LEADS"}
    served = {e.target for e in plan_graph.edges if e.kind == "CONTRIBUTES_TO"}
    assert led == {n.id for n in plan_graph.of_kind("Task")}
    assert served == {n.id for n in plan_graph.of_kind("Indicator")}


def test_edges_respect_their_declared_kinds(plan_graph) -> None:  # type: ignore[no-untyped-def]
    for edge in plan_graph.edges:
        pair = (plan_graph.nodes[edge.source].kind, plan_graph.nodes[edge.target].kind)
        assert pair in EDGE_KINDS[edge.kind][0], edge


def test_provenance_is_complete_and_seed_quotes_are_verbatim(plan_graph) -> None:  # type: ignore[no-untyped-def]
    text = SOURCE.read_text(encoding="utf-8")
    items = [*plan_graph.nodes.values(), *plan_graph.edges]
    for item in items:
        prov = item.provenance
        assert prov.kind in ("seed", "curated", "official")
        if prov.kind == "curated":
            assert prov.rationale and prov.source and ":" in prov.source
        if prov.kind == "official":  # a reading: the publication it was read from, and its sentence
            assert prov.quote and prov.source and "http" in prov.source
    quotes = list(iter_quotes(plan_graph))
    assert len(quotes) > 250
    for prov in quotes:
        assert prov.start is not None and text[prov.start:prov.end] == prov.quote


def test_safeguard_facts_the_plan_states(plan_graph) -> None:  # type: ignore[no-untyped-def]
    facts = {(e.kind, e.source, e.target, e.props.get("cadence")) for e in plan_graph.edges
             if e.kind in ("OFFICE_IN", "REVIEWS") and e.provenance.kind == "seed"}
    assert facts == {
        ("OFFICE_IN", "D-leading-group", "D-cpc-office", None), ("OFFICE_IN", "D-hq", "D-drc", None),
        ("REVIEWS", "D-leading-group", "PLAN", "quarterly"), ("REVIEWS", "D-hq", "PLAN", "monthly")}


def test_elided_department_lists_resolve(plan_graph) -> None:  # type: ignore[no-untyped-def]
    # assignments.csv row 37 reads "市发展改革委、工业和信息化局": the second means 市工业和信息化局
    supporters = {e.source for e in plan_graph.edges if e.kind == "SUPPORTS" and e.target == "T37"}
    assert supporters == {"D-drc", "D-miit"}


def _break(seed: Path, file: str, old: str, new: str) -> None:
    path = seed / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(seed: Path) -> list[str]:
    with pytest.raises(ValidationError) as err:
        load_plan(seed)
    return err.value.problems


def test_unknown_department_names_closest(seed_copy: Path) -> None:
    _break(seed_copy, "assignments.csv", "4,市商务局,市工业和信息化局", "4,市商务局,市工业信息局")
    [problem] = _problems(seed_copy)
    assert problem.startswith(f"{seed_copy}/assignments.csv:5: unknown department '市工业信息局' (closest: ")
    assert "市工业和信息化局" in problem


def test_all_problems_in_one_run(seed_copy: Path) -> None:
    _break(seed_copy, "assignments.csv", "7,市财政局,,curated,", "7,,,curated,")
    _break(seed_copy, "dependencies.csv", "2,8,input", "2,99,input")
    _break(seed_copy, "dependencies.csv", "3,18,market", "3,18,magic")
    _break(seed_copy, "contributions.csv", "58,I9.2,", "58,I9.9,")
    _break(seed_copy, "departments.csv", "D-audit,市审计局,Municipal Audit Bureau,supervision",
           "D-audit,市审计局,Municipal Audit Bureau,ministry")
    problems = _problems(seed_copy)
    joined = "\n".join(problems)
    assert f"{seed_copy}/assignments.csv:8: task T7 has no lead department" in joined
    assert f"{seed_copy}/dependencies.csv:4: depends_on: unknown task '99' (valid: 1 to 65, or T1 to T65)" in joined
    assert f"{seed_copy}/dependencies.csv:5: kind 'magic' is not valid (valid: enables, input," in joined
    assert f"{seed_copy}/contributions.csv:45: unknown indicator 'I9.9'" in joined
    assert "indicator I9.2 城乡居民养老保险 has no contributing task" in joined
    assert f"{seed_copy}/departments.csv:39: kind 'ministry' is not valid" in joined
    assert len(problems) == 6


def test_dependency_cycle_is_listed(seed_copy: Path) -> None:
    with (seed_copy / "dependencies.csv").open("a", encoding="utf-8") as fh:
        fh.write("8,2,input,made-up to close a loop\n")
    [problem] = _problems(seed_copy)
    assert "dependency cycle" in problem and "T2 -> T8 -> T2" in problem
    assert problem.startswith(f"{seed_copy}/dependencies.csv:4: ")


def test_seed_quote_must_be_verbatim(seed_copy: Path) -> None:
    _break(seed_copy, "safeguards.yaml", "quote: 每月进行调度", "quote: 每月调度一次")
    [problem] = _problems(seed_copy)
    assert problem.startswith(f"{seed_copy}/safeguards.yaml:10: quote '每月调度一次' not found verbatim")


def test_curated_row_needs_a_rationale_and_duplicates_are_caught(seed_copy: Path) -> None:
    _break(seed_copy, "links.csv", "GUIDES,P1,G1,High-quality development is stated as the economy's first task",
           "GUIDES,P1,G1,")
    with (seed_copy / "links.csv").open("a", encoding="utf-8") as fh:
        fh.write("ADVANCES,A1,G1,again\nADVANCES,T1,G1,wrong kind\n")
    problems = _problems(seed_copy)
    assert problems[0] == f"{seed_copy}/links.csv:2: a curated row needs a one-line rationale"
    assert f"{seed_copy}/links.csv:29: duplicate ADVANCES A1 -> G1" in problems
    assert f"{seed_copy}/links.csv:30: ADVANCES source T1 is a Task (valid: Area)" in problems


def test_missing_column_names_the_header(seed_copy: Path) -> None:
    _break(seed_copy, "dependencies.csv", "task,depends_on,kind,rationale", "task,prerequisite,kind,rationale")
    problems = _problems(seed_copy)
    assert problems == [f"{seed_copy}/dependencies.csv:1: missing column(s) depends_on "
                        "(valid header: task,depends_on,kind,rationale)"]


def test_plan_yaml_says_whose_plan_it_is(seed_copy) -> None:  # type: ignore[no-untyped-def]
    """A department row without its own jurisdiction belongs to the plan's (plan.yaml `jurisdiction`, 沈阳市 when
    it is not said): another city's seed was built with every such department put in 沈阳市."""
    import csv
    import io

    from kg.errors import UsageError
    from kg.ingest.seed import load_plan

    path = seed_copy / "departments.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "jurisdiction": ""} for row in rows)
    places = {n.props["jurisdiction"] for n in load_plan(seed_copy).of_kind("Department")}
    assert places == {"沈阳市"}
    settings = seed_copy / "plan.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("overlays:", "jurisdiction: 临江市\noverlays:"), encoding="utf-8")
    assert {n.props["jurisdiction"] for n in load_plan(seed_copy).of_kind("Department")} == {"临江市"}
    settings.write_text(text.replace("overlays:", "jurisdiction: ''\noverlays:"), encoding="utf-8")
    with pytest.raises(UsageError, match=r"plan.yaml:\d+: jurisdiction must be the place whose plan it is"):
        load_plan(seed_copy)
