"""What each view shows, how every kind looks, and where each node sits: shared by HTML and images so the same
input gives the same picture in both, every time."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from kg.errors import UsageError
from kg.model import KIND_LEVEL, natural_key

# kind -> (colour, vis-network shape, matplotlib marker, Chinese, English). One look per kind in every view.
KIND_STYLE: dict[str, tuple[str, str, str, str, str]] = {
    "Plan": ("#37474f", "box", "s", "方案", "Plan"),
    "Principle": ("#8e24aa", "diamond", "D", "原则", "Principle"),
    "OverallGoal": ("#b71c1c", "star", "*", "总体目标", "Overall goal"),
    "Measure": ("#6d4c41", "square", "s", "保障措施", "Safeguard measure"),
    "Target": ("#e53935", "triangle", "^", "目标", "Target"),
    "Area": ("#1e88e5", "hexagon", "h", "突破领域", "Area of breakthrough"),
    "Task": ("#43a047", "dot", "o", "重点任务", "Key task"),
    "Indicator": ("#fb8c00", "triangleDown", "v", "指标", "Indicator"),
    "Department": ("#00897b", "ellipse", "p", "责任部门", "Department"),
    "WorkItem": ("#7cb342", "dot", "o", "分工事项", "Work item"),
    "Reading": ("#78909c", "dot", ".", "读数", "Reading"),
    "Assessment": ("#fdd835", "star", "P", "评估", "Assessment"),
}
# edge kind -> (colour, width, dashed, Chinese, English). Lead and supporting ownership look different.
EDGE_STYLE: dict[str, tuple[str, float, bool, str, str]] = {
    "LEADS": ("#00695c", 3.0, False, "牵头", "leads"),
    "SUPPORTS": ("#80cbc4", 1.5, True, "配合", "supports"),
    "DEPENDS_ON": ("#c62828", 2.0, False, "依赖", "waits on"),
    "CONTRIBUTES_TO": ("#ef6c00", 1.0, True, "贡献", "serves"),
}
DEFAULT_EDGE = ("#9e9e9e", 1.0, False, "结构", "structure")
# Rows of the hierarchical layout: the plan's levels, with indicators on a row of their own below departments.
LEVELS = {**KIND_LEVEL, "Indicator": 6}
VIEWS = ("overview", "area", "department", "target", "task", "impact", "query")


@dataclass
class View:
    """A subgraph to draw, with a title saying what it shows and from which plan, and fixed positions."""

    name: str
    title: str
    plan: str
    graph: nx.MultiDiGraph
    focus: str | None = None
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)


def _kind(G: nx.MultiDiGraph, n: str) -> str:
    return str(G.nodes[n].get("kind", ""))


def _neighbours(G: nx.MultiDiGraph, n: str, kinds: set[str], edge_kinds: set[str]) -> set[str]:
    out = {v for _, v, k in G.out_edges(n, data="kind") if k in edge_kinds}
    out |= {u for u, _, k in G.in_edges(n, data="kind") if k in edge_kinds}
    return {m for m in out if _kind(G, m) in kinds}


def select(G: nx.MultiDiGraph, view: str, entity: str | None = None, depth: int = 2,
           ids: set[str] | None = None) -> tuple[set[str], str]:
    """The nodes a view shows, and its title. `entity` is an id already resolved; `ids` feed the query view."""
    from kg import analysis

    name = G.nodes[entity]["name"] if entity else ""
    if view == "overview":
        nodes = {n for n in G if _kind(G, n) in ("Principle", "Target", "Area", "OverallGoal")}
        return nodes, "总览 Overview: principles → targets → areas"
    if view == "area":
        tasks = _neighbours(G, entity or "", {"Task"}, {"HAS_TASK"})
        nodes = {entity or ""} | tasks | _neighbours(G, entity or "", {"Target"}, {"ADVANCES"})
        for t in tasks:
            nodes |= _neighbours(G, t, {"Department"}, {"LEADS", "SUPPORTS"})
        return nodes, f"领域 Area {entity} {name}: tasks, departments, targets"
    if view == "department":
        tasks = _neighbours(G, entity or "", {"Task"}, {"LEADS", "SUPPORTS"})
        nodes = {entity or ""} | tasks
        for t in tasks:
            areas = _neighbours(G, t, {"Area"}, {"HAS_TASK"})
            nodes |= areas | _neighbours(G, t, {"Indicator"}, {"CONTRIBUTES_TO"})
            for a in areas:
                nodes |= _neighbours(G, a, {"Target"}, {"ADVANCES"})
        return nodes, f"部门 Department {name}: its tasks, their targets and indicators"
    if view == "target":
        nodes = {entity or ""} | _neighbours(G, entity or "", {"Indicator"}, {"MEASURED_BY"})
        areas = _neighbours(G, entity or "", {"Area"}, {"ADVANCES"})
        nodes |= areas
        for a in areas:
            for t in _neighbours(G, a, {"Task"}, {"HAS_TASK"}):
                nodes |= {t} | _neighbours(G, t, {"Department"}, {"LEADS", "SUPPORTS"})
        return nodes, f"目标 Target {entity} {name}: areas, tasks, departments, indicators"
    if view == "task":
        deps = analysis.dependency_graph(G).to_undirected()
        nodes = set(nx.single_source_shortest_path_length(deps, entity, cutoff=depth))
        return nodes, f"任务 Task {entity} {name}: dependencies within {depth} steps"
    if view == "impact":
        nodes = {r["id"] for r in analysis.impact(G, entity or "")}
        return nodes, f"影响 Impact: what a slip in {entity} {name} puts at risk"
    if view == "query":
        nodes = {i for i in ids or set() if i in G}
        if not nodes:
            raise UsageError("the query returned no entity ids to draw (it needs a column of codes such as "
                             "task, department or ids)")
        return nodes, "查询 Query"
    raise UsageError(f"unknown view {view!r} (valid: {', '.join(VIEWS)})")


def ids_in_rows(rows: list[dict[str, Any]]) -> set[str]:
    """Every string value (or list item) in query rows: the view keeps those that are node ids."""
    out: set[str] = set()
    for row in rows:
        for value in row.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    out.add(item)
    return out


def induced(G: nx.MultiDiGraph, nodes: set[str]) -> nx.MultiDiGraph:
    """The subgraph on `nodes`, in G's own order. (`G.subgraph` iterates a small node set in set order, which
    changes with the process's string hashing, and with it edge drawing order and the force layout.)"""
    sub = nx.MultiDiGraph(**G.graph)
    sub.add_nodes_from((n, data) for n, data in G.nodes(data=True) if n in nodes)
    sub.add_edges_from((u, v, k, data) for u, v, k, data in G.edges(keys=True, data=True) if u in nodes and v in nodes)
    return sub


def build_view(G: nx.MultiDiGraph, view: str, entity: str | None = None, depth: int = 2,
               ids: set[str] | None = None, layout: str = "hierarchical", title: str | None = None) -> View:
    nodes, default_title = select(G, view, entity, depth, ids)
    sub = induced(G, nodes)
    tasks_only = all(_kind(sub, n) == "Task" for n in sub)
    node_levels = dependency_levels(sub) if tasks_only and len(sub) > 1 else None
    positions = hierarchical(sub, node_levels=node_levels) if layout == "hierarchical" else force(sub)
    return View(view, title or default_title, str(G.graph.get("plan", "")), sub, entity, positions)


def dependency_levels(G: nx.MultiDiGraph) -> dict[str, int] | None:
    """For a view of tasks only: rows by dependency, what is waited on above what waits (None if cyclic)."""
    waits = nx.DiGraph((v, u) for u, v, k in G.edges(data="kind") if k == "DEPENDS_ON")
    waits.add_nodes_from(G)
    if not nx.is_directed_acyclic_graph(waits):
        return None
    return {n: i for i, generation in enumerate(nx.topological_generations(waits)) for n in generation}


def hierarchical(G: nx.MultiDiGraph, dx: float = 180.0, dy: float = 220.0,
                 node_levels: dict[str, int] | None = None) -> dict[str, tuple[float, float]]:
    """Rows from principle down to department and indicator. Rows are reordered by the barycentre of each node's
    neighbours in the rows above, then below, then above again (fewer crossings); ties keep the previous order,
    then the code: deterministic. Every row spans the same width, so a node sits under its parents; very long
    rows wrap onto several lines."""
    levels: dict[int, list[str]] = {}
    for n in G:
        levels.setdefault(node_levels[n] if node_levels else LEVELS.get(_kind(G, n), 7), []).append(n)
    rows = [sorted(members, key=natural_key) for _, members in sorted(levels.items())]
    if not rows:
        return {}
    undirected = nx.Graph(G)

    def slots() -> dict[str, float]:
        return {n: (i + 0.5) / len(row) for row in rows for i, n in enumerate(row)}

    for sweep in range(3):
        down = sweep % 2 == 0
        for r in (range(1, len(rows)) if down else range(len(rows) - 2, -1, -1)):
            slot = slots()
            reference = {n for row in (rows[:r] if down else rows[r + 1:]) for n in row}

            def anchor(n: str, slot: dict[str, float] = slot, reference: set[str] = reference) -> float:
                near = [slot[m] for m in undirected.neighbors(n) if m in reference]
                return sum(near) / len(near) if near else slot[n]

            def key(n: str, slot: dict[str, float] = slot, anchor: Any = anchor) -> tuple[Any, ...]:
                return (anchor(n), slot[n], natural_key(n))

            rows[r] = sorted(rows[r], key=key)
    per_row = max(12, math.ceil(math.sqrt(max(len(r) for r in rows)) * 4))
    width = (min(per_row, max(len(r) for r in rows)) - 1) * dx
    positions = {}
    line = 0
    for ordered in rows:
        # a row of 65 tasks wraps onto several lines so that it stays readable on a 16:9 screen
        for start in range(0, len(ordered), per_row):
            chunk = ordered[start:start + per_row]
            positions.update({n: (((i + 0.5) / len(chunk) - 0.5) * (width + dx), float(line))
                              for i, n in enumerate(chunk)})
            line += 1
    return _compact_rows(positions, dy)


def _compact_rows(positions: dict[str, tuple[float, float]], dy: float) -> dict[str, tuple[float, float]]:
    """Renumber the used y values to evenly spaced rows."""
    ys = sorted({y for _, y in positions.values()})
    rank = {y: i for i, y in enumerate(ys)}
    xs = [x for x, _ in positions.values()] or [0.0]
    width = max(xs) - min(xs)
    step = max(dy * 0.7, 0.5 * width / max(len(ys) - 1, 1))  # a screen-shaped picture, not a thin strip
    return {n: (x, rank[y] * step) for n, (x, y) in positions.items()}


def force(G: nx.MultiDiGraph, scale: float = 900.0) -> dict[str, tuple[float, float]]:
    """A force-directed layout computed once, with a fixed seed: the same input gives the same picture."""
    if len(G) == 0:
        return {}
    simple = nx.Graph(G)
    pos = nx.spring_layout(simple, seed=20230101, iterations=60, scale=scale)
    return {n: (float(p[0]), float(p[1])) for n, p in sorted(pos.items(), key=lambda t: natural_key(t[0]))}


def tooltip(data: dict[str, Any]) -> str:
    """Plain text: Chinese and English name, code, and the provenance (the plan's sentence or the rationale)."""
    lines = [str(data.get("name", "")), str(data.get("name_en") or ""),
             f"{KIND_STYLE.get(str(data.get('kind')), ('',) * 5)[3]} {data.get('kind', '')} · {data.get('id', '')}"]
    if data.get("prov_kind") == "seed":
        lines.append(f"原文 (plan text): {data.get('prov_quote', '')}")
    elif data.get("prov_kind") == "official":
        when = f" {data['prov_date']}" if data.get("prov_date") else ""
        lines.append(f"文件 (official): {data.get('prov_document', '')}{when}: {data.get('prov_quote', '')}")
    elif data.get("prov_kind") == "example":
        lines.append(f"示例 (example, made-up demo data): {data.get('prov_rationale', '')}")
    else:
        lines.append(f"整理 (curated): {data.get('prov_rationale', '')}")
    if data.get("light"):  # set from the plan's assessments when it was built with readings (kg/progress)
        lines.append(f"进度 (status): {data['light']} — {data.get('light_reason', '')}")
    return "\n".join(line for line in lines if line)


def label(data: dict[str, Any], width: int = 8, lines: int = 3) -> str:
    """A node's label: the code for tasks and indicators, then the Chinese name broken every `width`
    characters, at most `lines` lines of name (the tooltip has the rest)."""
    name = str(data.get("name", ""))
    parts = [name[i:i + width] for i in range(0, len(name), width)] or [""]
    if len(parts) > lines:
        parts = [*parts[:lines - 1], parts[lines - 1][:width - 1] + "…"]
    head = [str(data.get("id"))] if data.get("kind") in ("Task", "Indicator") else []
    return "\n".join(head + parts)


def edge_style(kind: str) -> tuple[str, float, bool, str, str]:
    return EDGE_STYLE.get(kind, DEFAULT_EDGE)


def legend(view: View) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The kinds and edge kinds present in the view, with their label: ([(kind, label)], [(edge kind, label)])."""
    kinds = sorted({_kind(view.graph, n) for n in view.graph}, key=lambda k: (KIND_LEVEL.get(k, 9), k))
    edges = sorted({k for _, _, k in view.graph.edges(data="kind")})
    shown = [e for e in edges if e in EDGE_STYLE] + (["structure"] if any(e not in EDGE_STYLE for e in edges) else [])
    return ([(k, f"{KIND_STYLE[k][3]} {KIND_STYLE[k][4]}") for k in kinds if k in KIND_STYLE],
            [(e, f"{edge_style(e)[3]} {edge_style(e)[4]}") for e in shown])


# Where each kind sits in the model picture: the plan's chain runs down the middle.
SCHEMA_POSITIONS = {"Plan": (0.0, 0.0), "Principle": (-700.0, 250.0), "OverallGoal": (0.0, 250.0),
                    "Measure": (700.0, 250.0), "Target": (-350.0, 520.0), "Area": (0.0, 760.0),
                    "Indicator": (-700.0, 1000.0), "Task": (0.0, 1000.0), "Department": (700.0, 1000.0),
                    "WorkItem": (450.0, 1350.0),
                    "Reading": (-1050.0, 1250.0), "Assessment": (-350.0, 1250.0)}


def schema_view() -> View:
    """The data model drawn by the tool itself: one node per kind, one edge per relation between kinds."""
    from kg.model import EDGE_KINDS, NODE_KINDS

    G = nx.MultiDiGraph(plan="plan-kg")
    for kind in NODE_KINDS:
        style = KIND_STYLE[kind]
        G.add_node(kind, kind=kind, id=kind, name=style[3], name_en=style[4], prov_kind="curated",
                   prov_rationale="the plan-kg data model (kg/model.py)")
    for edge_kind, (pairs, _) in EDGE_KINDS.items():
        for a, b in pairs:
            G.add_edge(a, b, key=edge_kind, kind=edge_kind)
    return View("schema", "数据模型 Data model: the kinds of node and the relations between them",
                "plan-kg", G, None, dict(SCHEMA_POSITIONS))
