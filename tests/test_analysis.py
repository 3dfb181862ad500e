"""The whole-graph analyses: on small graphs whose answers are obvious, on Shenyang checked against the
overlays, and identical whichever store the graph was read from."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg import analysis
from kg.cli import app
from kg.model import Edge, Node, PlanGraph, Provenance
from kg.output import to_networkx
from tests.conftest import SEED

CURATED = Provenance("curated", rationale="test graph")
runner = CliRunner()


def tiny(deps: list[tuple[int, int]], tasks: int, leads: dict[int, list[str]] | None = None,
         supports: dict[int, list[str]] | None = None, areas: dict[str, list[int]] | None = None,
         contributes: dict[int, list[str]] | None = None) -> nx.MultiDiGraph:
    """A hand-built plan: tasks T1..Tn, `deps` as (task, waits on), departments by name, areas of tasks,
    each area advancing the target of the same number, indicators I<target>.1."""
    g = PlanGraph("tiny")
    for i in range(1, tasks + 1):
        g.add(Node("Task", f"T{i}", f"task {i}", CURATED, props={"number": i}))
    for a, b in deps:
        g.edges.append(Edge("DEPENDS_ON", f"T{a}", f"T{b}", CURATED))
    for role, table in (("LEADS", leads or {}), ("SUPPORTS", supports or {})):
        for task, names in table.items():
            for name in names:
                if name not in g.nodes:
                    g.add(Node("Department", name, name, CURATED))
                g.edges.append(Edge(role, name, f"T{task}", CURATED))
    for area, members in (areas or {}).items():
        number = area[1:]
        g.add(Node("Area", area, f"area {number}", CURATED))
        g.add(Node("Target", f"G{number}", f"target {number}", CURATED))
        g.add(Node("Indicator", f"I{number}.1", f"indicator {number}", CURATED))
        g.edges += [Edge("ADVANCES", area, f"G{number}", CURATED),
                    Edge("MEASURED_BY", f"G{number}", f"I{number}.1", CURATED)]
        g.edges += [Edge("HAS_TASK", area, f"T{t}", CURATED) for t in members]
    for task, indicators in (contributes or {}).items():
        g.edges += [Edge("CONTRIBUTES_TO", f"T{task}", i, CURATED) for i in indicators]
    return to_networkx(g)


# -- small graphs with obvious answers ----------------------------------------------------------------------

def test_chain_upstream_downstream_and_phases() -> None:
    G = tiny([(1, 2), (2, 3), (3, 4)], 4)  # T1 waits on T2, which waits on T3, which waits on T4
    assert [(r["task"], r["distance"]) for r in analysis.upstream(G, "T1")] == [("T2", 1), ("T3", 2), ("T4", 3)]
    assert [r["task"] for r in analysis.upstream(G, "T1", depth=2)] == ["T2", "T3"]
    assert [(r["task"], r["distance"]) for r in analysis.downstream(G, "T4")] == [("T3", 1), ("T2", 2), ("T1", 3)]
    assert [p["tasks"] for p in analysis.phases(G)["phases"]] == [["T4"], ["T3"], ["T2"], ["T1"]]
    assert analysis.phases(G)["cycles"] == []


def test_cycle_is_reported_not_hidden() -> None:
    G = tiny([(1, 2), (2, 3), (3, 1), (4, 1), (5, 5)], 6)  # T1->T2->T3->T1, T4 waits on the cycle, T5 on itself
    result = analysis.phases(G)
    assert result["cycles"] == [["T1", "T2", "T3"], ["T5"]]
    phase_of = {t: p["phase"] for p in result["phases"] for t in p["tasks"]}
    assert phase_of["T1"] == phase_of["T2"] == phase_of["T3"] < phase_of["T4"]
    assert phase_of["T6"] == 1 and sorted(phase_of) == [f"T{i}" for i in range(1, 7)]


def test_star_critical_and_impact() -> None:
    # T1 is the hub: T2..T5 wait on it. Each task is in its own area serving its target's indicator.
    G = tiny([(i, 1) for i in range(2, 6)], 5, leads={i: [f"D{i}"] for i in range(1, 6)},
             areas={f"A{i}": [i] for i in range(1, 6)}, contributes={i: [f"I{i}.1"] for i in range(1, 6)})
    top = analysis.critical(G)[0]
    assert (top["task"], top["dependents"], top["indicators_at_risk"]) == ("T1", 4, 5)
    assert top["pagerank"] == max(r["pagerank"] for r in analysis.critical(G))
    rows = analysis.impact(G, "T1")
    assert rows[0] == {"distance": 0, "kind": "Task", "id": "T1", "name": "task 1", "relation": "slipped",
                       "via": "T1"}
    found = {r["id"]: r["distance"] for r in rows}
    assert found == {"T1": 0, **{f"T{i}": 1 for i in range(2, 6)}, "A1": 1, "I1.1": 1, "D1": 1, "G1": 2,
                     **{f"A{i}": 2 for i in range(2, 6)}, **{f"I{i}.1": 2 for i in range(2, 6)},
                     **{f"D{i}": 2 for i in range(2, 6)}, **{f"G{i}": 3 for i in range(2, 6)}}
    assert [r["distance"] for r in rows] == sorted(r["distance"] for r in rows)
    assert analysis.impact(G, "T5") == [r for r in analysis.impact(G, "T5") if r["via"] == "T5"]  # nothing waits


def test_gaps_on_a_graph_with_every_gap() -> None:
    G = tiny([], 9, leads={1: ["D1"], 2: ["D1", "D2"], 3: ["D1"], 4: ["D1"], 5: ["D1"], 6: ["D1"], 7: ["D2"],
                           8: ["D3"]},
             areas={"A1": [1, 3], "A2": [7, 8]}, contributes={1: ["I1.1"]})
    found = {(r["gap"], r["id"]) for r in analysis.gaps(G)}
    assert found == {("no_lead", "T9"), ("several_leads", "T2"), ("unserved_indicator", "I2.1"),
                     ("overloaded_department", "D1"), ("single_department_target", "G1")}
    # D1 leads 6, the median of (6, 2, 1) is 2: overloaded above twice the median, not at it
    assert not any(r["gap"] == "overloaded_department" for r in analysis.gaps(G, overload_factor=3.0))


def test_owners_matrix_and_coordination_on_a_small_graph() -> None:
    G = tiny([], 3, leads={1: ["D1"], 2: ["D2"], 3: ["D1"]}, supports={1: ["D2"], 2: ["D1"], 3: ["D2"]},
             areas={"A1": [1, 2], "A2": [3]}, contributes={1: ["I1.1"], 3: ["I1.1"]})
    assert [(r["department"], r["role"], r["via"]) for r in analysis.owners(G, "G1")] == [
        ("D1", "lead", ["T1"]), ("D2", "lead", ["T2"]), ("D1", "supporting", ["T2"]), ("D2", "supporting", ["T1"])]
    assert [(r["department"], r["role"], r["via"]) for r in analysis.owners(G, "I1.1")] == [
        ("D1", "lead", ["T1", "T3"]), ("D2", "supporting", ["T1", "T3"])]
    matrix = analysis.ownership_matrix(G)
    cells = {r["department"]: r["cells"] for r in matrix["rows"]}
    assert cells["D1"] == {"G1": {"lead": 1, "supporting": 1}, "G2": {"lead": 1, "supporting": 0}}
    assert [c["id"] for c in matrix["columns"]] == ["G1", "G2"]
    assert analysis.coordination(G) == [{"department": "D1", "other": "D2", "name": "D1", "other_name": "D2",
                                         "shared": 3, "tasks": ["T1", "T2", "T3"]}]


# -- Shenyang, checked against the overlays -----------------------------------------------------------------

@pytest.fixture(scope="module")
def shenyang(plan_graph):  # type: ignore[no-untyped-def]
    return to_networkx(plan_graph)


def _csv(name: str) -> list[dict[str, str]]:
    with (SEED / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_shenyang_dependencies_against_dependencies_csv(shenyang) -> None:  # type: ignore[no-untyped-def]
    waits_on = nx.DiGraph((f"T{r['task']}", f"T{r['depends_on']}") for r in _csv("dependencies.csv"))
    assert {r["task"] for r in analysis.upstream(shenyang, "T15")} == {"T25", "T26"}  # 15->25 talent, 25->26 education
    assert {r["task"] for r in analysis.downstream(shenyang, "T22")} == nx.ancestors(waits_on, "T22")
    impact = analysis.impact(shenyang, "T22")
    tasks = {r["id"] for r in impact if r["kind"] == "Task"}
    assert tasks == {"T22"} | nx.ancestors(waits_on, "T22") == {"T22", "T1", "T14", "T23", "T13"}
    assigned = {f"T{r['task']}": r for r in _csv("assignments.csv")}
    depts = {r["name"] for r in impact if r["kind"] == "Department"}
    for t in tasks:
        assert assigned[t]["lead"].split("、")[0].removeprefix("市") in "".join(depts)
    contributed = {r["indicator"] for r in _csv("contributions.csv") if f"T{r['task']}" in tasks}
    assert {r["id"] for r in impact if r["kind"] == "Indicator"} == contributed


def test_shenyang_phases_respect_every_dependency(shenyang) -> None:  # type: ignore[no-untyped-def]
    result = analysis.phases(shenyang)
    phase_of = {t: p["phase"] for p in result["phases"] for t in p["tasks"]}
    assert len(phase_of) == 65 and result["cycles"] == []
    for r in _csv("dependencies.csv"):
        assert phase_of[f"T{r['task']}"] > phase_of[f"T{r['depends_on']}"]
    longest = nx.dag_longest_path_length(analysis.dependency_graph(shenyang))
    assert len(result["phases"]) == longest + 1


def test_shenyang_gaps_against_assignments_csv(shenyang) -> None:  # type: ignore[no-untyped-def]
    gaps = analysis.gaps(shenyang)
    co_led = {f"T{r['task']}" for r in _csv("assignments.csv") if "、" in r["lead"]}
    assert {r["id"] for r in gaps if r["gap"] == "several_leads"} == co_led == {"T12", "T40"}
    assert {r["id"] for r in gaps if r["gap"] == "target_without_indicator"} == {"G10"}
    assert not [r for r in gaps if r["gap"] in ("no_lead", "unserved_indicator")]
    assert {r["id"] for r in gaps if r["gap"] == "overloaded_department"} == {"D-drc", "D-miit", "D-commerce"}


def test_shenyang_matrix_agrees_with_owners(shenyang) -> None:  # type: ignore[no-untyped-def]
    matrix = analysis.ownership_matrix(shenyang)
    for target in ("G3", "G5"):
        owners = {(r["department"], r["role"]): r["tasks"] for r in analysis.owners(shenyang, target)}
        cells = {(r["department"], role): r["cells"][target][role] for r in matrix["rows"]
                 for role in ("lead", "supporting") if r["cells"][target][role]}
        assert cells == owners
    drc = next(r for r in matrix["rows"] if r["department"] == "D-drc")
    assert matrix["rows"][0] is drc and drc["lead"] == 10


def test_shenyang_critical_measures(shenyang) -> None:  # type: ignore[no-untyped-def]
    rows = analysis.critical(shenyang)
    assert len(rows) == 65
    top = rows[0]
    assert top["task"] == "T26" and top["dependents"] == len(nx.ancestors(analysis.dependency_graph(shenyang), "T26"))
    assert abs(sum(r["pagerank"] for r in rows) - 1) < 0.01


# -- same answers from either store --------------------------------------------------------------------------

def test_same_answers_whichever_store(store, plan_graph, shenyang) -> None:  # type: ignore[no-untyped-def]
    store.build(plan_graph)
    G = to_networkx(store.read_graph())
    for fn, args in ((analysis.impact, ("T22",)), (analysis.deps, ("T15",)), (analysis.critical, ()),
                     (analysis.phases, ()), (analysis.owners, ("G3",)), (analysis.ownership_matrix, ("Indicator",)),
                     (analysis.gaps, ()), (analysis.coordination, ())):
        assert fn(G, *args) == fn(shenyang, *args), fn.__name__


# -- the commands ---------------------------------------------------------------------------------------------

def test_analysis_commands(cli_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store

    def run(*argv: str) -> list[dict[str, object]]:
        result = runner.invoke(app, [*argv, "-f", "json", *args], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    assert [r["task"] for r in run("deps", "数字经济")] == ["T25", "T26"]
    assert run("impact", "T22")[0]["id"] == "T22"
    assert len(run("critical", "--top", "3")) == 3
    assert run("owners", "结构调整")[0]["department"] == "D-miit"
    assert run("owners", "I3.1")[0]["via"] == ["T13", "T16", "T19"]
    assert {r["id"] for r in run("gaps")} >= {"T12", "T40", "G10"}
    assert run("coordination", "--top", "1")[0]["shared"] == 7
    assert len(run("phases")["phases"]) == 5  # type: ignore[call-overload]
    matrix = run("matrix", "--of", "indicator")
    assert matrix[0]["部门 department"] == "D-drc" and "I3.1 规模以上工业营业收入 牵头" in matrix[0]


def test_matrix_xlsx_has_chinese_headers_one_sheet_each_and_frozen_header(cli_store, shenyang,  # type: ignore[no-untyped-def]
                                                                          tmp_path: Path) -> None:
    from openpyxl import load_workbook

    args, env = cli_store
    out = tmp_path / "matrix.xlsx"
    result = runner.invoke(app, ["matrix", "-o", str(out), *args], env=env)
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["部门×目标", "部门×指标"]
    sheet = book["部门×目标"]
    assert sheet.freeze_panes == "C2"
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["部门 department", "名称 name", "G1 经济实力实现新跨越 牵头", "G1 经济实力实现新跨越 配合"]
    drc = [c.value for c in sheet[2]]
    assert drc[0] == "D-drc" and drc[-2:] == [10, 10]
    assert book["部门×指标"].max_row == 1 + len(analysis.ownership_matrix(shenyang, "Indicator")["rows"])


def test_matrix_refuses_an_unknown_file_type_and_writes_nothing(cli_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store
    out = tmp_path / "matrix.pdf"
    result = runner.invoke(app, ["matrix", "-o", str(out), *args], env=env)
    assert result.exit_code == 2 and "written as .xlsx or .csv" in result.stderr
    assert not out.exists()


def test_impact_of_an_unknown_task_lists_nothing_and_exits_2(cli_store) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store
    result = runner.invoke(app, ["impact", "T99", *args], env=env)
    assert result.exit_code == 2 and result.stderr.startswith("Error: no task is called 'T99'")
