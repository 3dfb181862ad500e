"""Questions that need the whole graph, answered with networkx: a graph in, plain data out, no I/O.

`G` is the MultiDiGraph of `kg.output.to_networkx`: node ids are the plan's codes, every node has `kind` and
`name`, every edge has its `kind`. Tasks point at the tasks they wait on (`DEPENDS_ON`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import networkx as nx

from kg.model import natural_key
from kg.stores.base import Rows

Row = dict[str, Any]
KIND_ORDER = {"Task": 0, "Area": 1, "Target": 2, "Indicator": 3, "Department": 4}
ROLES = {"LEADS": "lead", "SUPPORTS": "supporting"}


def _name(G: nx.MultiDiGraph, node: str) -> str:
    return str(G.nodes[node].get("name", node))


def _of_kind(G: nx.MultiDiGraph, kind: str) -> list[str]:
    return sorted((n for n, d in G.nodes(data=True) if d.get("kind") == kind), key=natural_key)


def _edges(G: nx.MultiDiGraph, kind: str) -> Iterable[tuple[str, str]]:
    return ((u, v) for u, v, k in G.edges(data="kind") if k == kind)


def _out(G: nx.MultiDiGraph, node: str, kind: str) -> list[str]:
    return sorted({v for _, v, k in G.out_edges(node, data="kind") if k == kind}, key=natural_key)


def _in(G: nx.MultiDiGraph, node: str, kind: str) -> list[str]:
    return sorted({u for u, _, k in G.in_edges(node, data="kind") if k == kind}, key=natural_key)


def dependency_graph(G: nx.MultiDiGraph) -> nx.DiGraph:
    """Tasks only; an edge task -> the task it waits on."""
    deps = nx.DiGraph()
    deps.add_nodes_from(_of_kind(G, "Task"))
    deps.add_edges_from(_edges(G, "DEPENDS_ON"))
    return deps


def _by_distance(lengths: dict[str, int], G: nx.MultiDiGraph, start: str) -> list[Row]:
    rows = [{"distance": d, "task": t, "name": _name(G, t)} for t, d in lengths.items() if t != start]
    return sorted(rows, key=lambda r: (r["distance"], natural_key(r["task"])))


def upstream(G: nx.MultiDiGraph, task: str, depth: int | None = None) -> list[Row]:
    """The tasks `task` waits on, directly or through others, with their distance in steps."""
    return _by_distance(nx.single_source_shortest_path_length(dependency_graph(G), task, cutoff=depth), G, task)


def downstream(G: nx.MultiDiGraph, task: str, depth: int | None = None) -> list[Row]:
    """The tasks waiting on `task`, directly or through others, with their distance in steps."""
    deps = dependency_graph(G).reverse(copy=False)
    return _by_distance(nx.single_source_shortest_path_length(deps, task, cutoff=depth), G, task)


def deps(G: nx.MultiDiGraph, task: str, depth: int | None = None) -> list[Row]:
    """Upstream and downstream in one table: direction, distance, task."""
    return Rows([{"direction": "upstream", **r} for r in upstream(G, task, depth)] +
                [{"direction": "downstream", **r} for r in downstream(G, task, depth)],
                ["direction", "distance", "task", "name"])  # the header of a task with no dependencies too


def impact(G: nx.MultiDiGraph, task: str) -> list[Row]:
    """What a slip in `task` puts at risk, nearest first.

    The task itself is at distance 0 and each task waiting on it at its number of dependency steps; from every
    task at risk, its area, its indicators and its departments are one step further, and the targets its area
    advances two. `via` names the nearest task at risk through which the entity is reached.
    """
    at_risk = nx.single_source_shortest_path_length(dependency_graph(G).reverse(copy=False), task)
    best: dict[str, tuple[int, str, str]] = {}  # entity -> (distance, via, relation)

    def reach(entity: str, distance: int, via: str, relation: str) -> None:
        if entity not in best or (distance, natural_key(via)) < (best[entity][0], natural_key(best[entity][1])):
            best[entity] = (distance, via, relation)

    for t, d in at_risk.items():
        reach(t, d, t, "slipped" if t == task else "waits on it")
        for area in _in(G, t, "HAS_TASK"):
            reach(area, d + 1, t, "area of")
            for target in _out(G, area, "ADVANCES"):
                reach(target, d + 2, t, "advanced by the area of")
        for indicator in _out(G, t, "CONTRIBUTES_TO"):
            reach(indicator, d + 1, t, "served by")
        for kind, role in ROLES.items():
            for dept in _in(G, t, kind):
                reach(dept, d + 1, t, f"{role} on")
    rows = [{"distance": d, "kind": G.nodes[e]["kind"], "id": e, "name": _name(G, e), "relation": rel, "via": via}
            for e, (d, via, rel) in best.items()]
    return Rows(sorted(rows, key=lambda r: (r["distance"], KIND_ORDER.get(r["kind"], 9), natural_key(r["id"]))),
                ["distance", "kind", "id", "name", "relation", "via"])


def critical(G: nx.MultiDiGraph) -> list[Row]:
    """The tasks the plan leans on most, several measures side by side, most depended-on first.

    - dependents: how many tasks wait on it, directly or not;
    - indicators_at_risk: the indicators it or any of those serve;
    - pagerank: importance flowing from each task to what it waits on (a prerequisite of important tasks
      ranks high);
    - betweenness: how often it sits on the shortest routes between other tasks and the indicators they serve
      (a bridge, whose slip cuts routes).
    """
    deps_graph = dependency_graph(G)
    routes = nx.DiGraph(deps_graph.reverse())  # prerequisite -> dependent -> ... -> indicator
    routes.add_edges_from(_edges(G, "CONTRIBUTES_TO"))
    pagerank = nx.pagerank(deps_graph, alpha=0.85)
    betweenness = nx.betweenness_centrality(routes, normalized=True)
    rows = []
    for t in _of_kind(G, "Task"):
        waiting = nx.ancestors(deps_graph, t)
        indicators = {i for w in waiting | {t} for i in _out(G, w, "CONTRIBUTES_TO")}
        rows.append({"task": t, "name": _name(G, t), "dependents": len(waiting), "indicators_at_risk": len(indicators),
                     "pagerank": round(pagerank[t], 4), "betweenness": round(betweenness[t], 4)})
    return sorted(rows, key=lambda r: (-r["dependents"], -r["indicators_at_risk"], -r["pagerank"],
                                       natural_key(r["task"])))


def phases(G: nx.MultiDiGraph) -> dict[str, Any]:
    """An order of tasks that respects the dependencies: phase 1 waits on nothing, phase n on earlier phases.

    Tasks in a dependency cycle cannot be ordered among themselves; each cycle is reported with its tasks and
    placed as one block in the phase where all it waits on is done.
    """
    deps_graph = dependency_graph(G)
    cycles = [sorted(c, key=natural_key) for c in nx.strongly_connected_components(deps_graph)
              if len(c) > 1 or deps_graph.has_edge(next(iter(c)), next(iter(c)))]
    condensed = nx.condensation(deps_graph)  # one node per strongly connected component, acyclic
    members = nx.get_node_attributes(condensed, "members")
    order = []
    for number, generation in enumerate(nx.topological_generations(condensed.reverse(copy=False)), start=1):
        tasks = sorted((t for c in generation for t in members[c]), key=natural_key)
        order.append({"phase": number, "tasks": tasks, "names": [_name(G, t) for t in tasks]})
    return {"phases": order, "cycles": sorted(cycles, key=lambda c: natural_key(c[0]))}


def _owners_of_tasks(G: nx.MultiDiGraph, tasks: Iterable[str]) -> list[Row]:
    via: dict[tuple[str, str], set[str]] = defaultdict(set)
    for t in tasks:
        for kind, role in ROLES.items():
            for dept in _in(G, t, kind):
                via[(dept, role)].add(t)
    rows = [{"department": d, "name": _name(G, d), "role": role, "tasks": len(ts),
             "via": sorted(ts, key=natural_key)} for (d, role), ts in via.items()]
    return Rows(sorted(rows, key=lambda r: (r["role"] != "lead", -r["tasks"], natural_key(r["department"]))),
                ["department", "name", "role", "tasks", "via"])  # the header when no department answers too


def target_tasks(G: nx.MultiDiGraph, target: str) -> list[str]:
    """The tasks of the areas that advance a target."""
    return sorted({t for a in _in(G, target, "ADVANCES") for t in _out(G, a, "HAS_TASK")}, key=natural_key)


def owners(G: nx.MultiDiGraph, entity: str) -> list[Row]:
    """The departments that answer for a target (through its areas' tasks) or an indicator (through the tasks
    serving it), lead first, with the tasks they answer through."""
    kind = G.nodes[entity]["kind"]
    if kind == "Target":
        return _owners_of_tasks(G, target_tasks(G, entity))
    if kind == "Indicator":
        return _owners_of_tasks(G, _in(G, entity, "CONTRIBUTES_TO"))
    if kind == "Area":
        return _owners_of_tasks(G, _out(G, entity, "HAS_TASK"))
    if kind == "Task":
        return _owners_of_tasks(G, [entity])
    raise ValueError(f"owners of a {kind} are not defined")


def ownership_matrix(G: nx.MultiDiGraph, of: str = "Target") -> dict[str, Any]:
    """The department x target (or x indicator) responsibility matrix.

    Returns {"columns": [{id, name}], "rows": [{department, name, cells: {col: {lead, supporting}}, lead,
    supporting}]}: a cell counts the tasks through which the department leads or supports the column; rows are
    the departments with any, busiest first.
    """
    columns = _of_kind(G, of)
    tasks_of = {c: (target_tasks(G, c) if of == "Target" else _in(G, c, "CONTRIBUTES_TO")) for c in columns}
    rows: list[Row] = []
    for dept in _of_kind(G, "Department"):
        led, supported = set(_out(G, dept, "LEADS")), set(_out(G, dept, "SUPPORTS"))
        cells = {c: {"lead": len(led & set(ts)), "supporting": len(supported & set(ts))} for c, ts in tasks_of.items()}
        lead, supporting = sum(x["lead"] for x in cells.values()), sum(x["supporting"] for x in cells.values())
        if lead or supporting:
            rows.append({"department": dept, "name": _name(G, dept), "cells": cells, "lead": lead,
                         "supporting": supporting})
    rows.sort(key=lambda r: (-r["lead"], -r["supporting"], natural_key(r["department"])))
    return {"of": of, "columns": [{"id": c, "name": _name(G, c)} for c in columns], "rows": rows}


def gaps(G: nx.MultiDiGraph, overload_factor: float = 2.0) -> list[Row]:
    """What the division of responsibility leaves open or strained.

    - no_lead: a task no department leads; several_leads: a task more than one leads (co-leads blur who answers);
    - unserved_indicator: an indicator no task contributes to; target_without_indicator: nothing measures it;
    - overloaded_department: leads more than `overload_factor` times the median lead count of departments that
      lead anything;
    - single_department_target: every task advancing the target is led by the same one department.
    """
    out: list[Row] = []

    def add(gap: str, entity: str, detail: str) -> None:
        out.append({"gap": gap, "id": entity, "name": _name(G, entity), "detail": detail})

    for t in _of_kind(G, "Task"):
        leads = _in(G, t, "LEADS")
        if not leads:
            add("no_lead", t, "no department leads it")
        elif len(leads) > 1:
            add("several_leads", t, "led by " + ", ".join(_name(G, d) for d in leads))
    for i in _of_kind(G, "Indicator"):
        if not _in(G, i, "CONTRIBUTES_TO"):
            add("unserved_indicator", i, "no task contributes to it")
    lead_counts = {d: len(_out(G, d, "LEADS")) for d in _of_kind(G, "Department")}
    leading = [n for n in lead_counts.values() if n]
    if leading:
        median = statistics.median(leading)
        for d, n in lead_counts.items():
            if n > overload_factor * median:
                add("overloaded_department", d, f"leads {n} tasks; the median department leading any leads {median:g}")
    for g in _of_kind(G, "Target"):
        if not _out(G, g, "MEASURED_BY"):
            add("target_without_indicator", g, "no indicator measures it")
        tasks = target_tasks(G, g)
        target_leads = {d for t in tasks for d in _in(G, t, "LEADS")}
        if tasks and len(target_leads) == 1:
            (only,) = target_leads
            add("single_department_target", g, f"all {len(tasks)} of its tasks are led by {_name(G, only)}")
    order = ["no_lead", "several_leads", "unserved_indicator", "target_without_indicator", "overloaded_department",
             "single_department_target"]
    return Rows(sorted(out, key=lambda r: (order.index(r["gap"]), natural_key(r["id"]))),
                ["gap", "id", "name", "detail"])  # a plan with no gaps still prints the header


def coordination(G: nx.MultiDiGraph, top: int | None = None, minimum: int = 2) -> list[Row]:
    """Department pairs that share the most tasks (either leading or supporting), with the tasks."""
    owners_of: dict[str, set[str]] = defaultdict(set)
    for kind in ROLES:
        for d, t in _edges(G, kind):
            owners_of[d].add(t)
    departments = sorted(owners_of, key=natural_key)
    rows: list[Row] = []
    for i, a in enumerate(departments):
        for b in departments[i + 1:]:
            shared = owners_of[a] & owners_of[b]
            if len(shared) >= minimum:
                rows.append({"department": a, "other": b, "name": _name(G, a), "other_name": _name(G, b),
                             "shared": len(shared), "tasks": sorted(shared, key=natural_key)})
    rows.sort(key=lambda r: (-r["shared"], r["department"], r["other"]))
    return Rows(rows[:top] if top else rows, ["department", "other", "name", "other_name", "shared", "tasks"])
