"""What each view shows, how every kind looks, and where each node sits: shared by HTML and images so the same
input gives the same picture in both, every time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from kg.errors import UsageError
from kg.model import KIND_LEVEL, natural_key
from kg.render.layout import STAGE_H, STAGE_W, Box, Layout, Route, layered

# kind -> (colour, vis-network shape, matplotlib marker, Chinese, English). One look per kind in every view; the
# colours are Okabe and Ito's palette for colour-vision deficiencies (tests/test_render_colour.py checks them).
KIND_STYLE: dict[str, tuple[str, str, str, str, str]] = {
    "Plan": ("#555555", "box", "s", "方案", "Plan"),
    "Principle": ("#CC79A7", "diamond", "D", "原则", "Principle"),
    "OverallGoal": ("#000000", "star", "*", "总体目标", "Overall goal"),
    "Measure": ("#999999", "square", "s", "保障措施", "Safeguard measure"),
    "Target": ("#D55E00", "triangle", "^", "目标", "Target"),
    "Area": ("#0072B2", "hexagon", "h", "突破领域", "Area of breakthrough"),
    "Task": ("#009E73", "dot", "o", "重点任务", "Key task"),
    "Indicator": ("#E69F00", "triangleDown", "v", "指标", "Indicator"),
    "Department": ("#56B4E9", "ellipse", "p", "责任部门", "Department"),
    "WorkItem": ("#F0E442", "dot", "o", "分工事项", "Work item"),
    "Reading": ("#7F7F7F", "dot", ".", "读数", "Reading"),
    "Assessment": ("#882255", "star", "P", "评估", "Assessment"),
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
# Indicators sit right under the targets they measure (one short link per target, not one long one per task).
LEVELS: dict[str, float] = {**KIND_LEVEL, "Indicator": 2.5}
# The rows named at the left of a picture, in the plan's words.
ROW_NAMES = {"Plan": "方案", "Principle": "原则", "OverallGoal": "总目标", "Measure": "保障", "Target": "目标",
             "Area": "领域", "Task": "任务", "Department": "部门", "Indicator": "指标"}
# status lights (set on nodes by the progress engine as `light` and `light_reason`): a colour and a symbol that
# still reads in black-and-white print
LIGHTS = {"green": ("#1b9e77", "✓"), "yellow": ("#e6ab02", "!"), "red": ("#d95f02", "×"), "grey": ("#9e9e9e", "?")}
# an impact view's fill by distance from the slipped task: near is dark (ColorBrewer OrRd), far is pale
DISTANCE_FILLS = ("#d7301f", "#fc8d59", "#fdcc8a", "#fef0d9")
PX = 21.0  # one em of the label font in page pixels (and in PNG pixels at 1920x1080): type of 21 px
VIEWS = ("overview", "area", "department", "target", "task", "impact", "query", "poster")
# the poster's drawing area in ems of 11.2 pt type: A3 landscape, or A1 when A3 would show codes only
POSTER_STAGES = {"A3": (99.3, 64.1), "A1": (205.8, 139.3)}  # + margins = 16.54x11.69 in, 33.11x23.39 in


@dataclass
class View:
    """A subgraph to draw, with a title saying what it shows and from which plan, and fixed positions."""

    name: str
    title: str
    plan: str
    graph: nx.MultiDiGraph
    focus: str | None = None
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)  # box centres in page pixels
    layout: Layout = field(default_factory=Layout)  # boxes, routes and row names in ems
    details: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # the side panel's lists, per node


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
    if view == "poster":
        leads = {u for u, _, k in G.edges(data="kind") if k == "LEADS"}
        nodes = {n for n in G if _kind(G, n) in ("Principle", "OverallGoal", "Target", "Area", "Task")} | leads
        return nodes, "全景 The plan on one page: principles → targets → areas → tasks → lead departments"
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
    if view == "department" and entity in sub and len(sub) > 1:
        # the department is the view's subject: its tasks are grouped in a row it leads and a row it supports
        # (solid and dashed boxes) instead of one edge from one box to every task, which crossed everything
        for _, task, kind in G.out_edges(entity, data="kind"):
            if task in sub and kind in ("LEADS", "SUPPORTS"):
                sub.nodes[task]["view_role"] = "lead" if kind == "LEADS" else "support"
        sub.remove_node(entity)
    if view == "impact" and entity is not None and entity in sub:
        from kg import analysis

        for row in analysis.impact(G, entity):  # coloured by how far the slip travels to reach each entity
            if row["id"] in sub:
                sub.nodes[row["id"]]["view_distance"] = row["distance"]
    if view == "poster":  # the chain only: who leads, not who supports or what waits on what
        sub.remove_edges_from([(u, v, k) for u, v, k in sub.edges(keys=True)
                               if k in ("SUPPORTS", "DEPENDS_ON", "CONTRIBUTES_TO")])
        drawn = hierarchical(sub, POSTER_STAGES["A3"])
        if drawn.detail == 2:
            drawn = hierarchical(sub, POSTER_STAGES["A1"])
    else:
        drawn = hierarchical(sub) if layout == "hierarchical" else placed(sub, force(sub))
    positions = {n: (round(x * PX, 1), round(y * PX, 1)) for n, (x, y) in drawn.centres().items()}
    return View(view, title or default_title, str(G.graph.get("plan", "")), sub, entity, positions, drawn,
                {n: details(G, n) for n in sub})


def details(G: nx.MultiDiGraph, n: str) -> dict[str, list[str]]:
    """What the side panel lists for a node, from the whole plan (not only the view): who leads and who supports
    a task, the indicators it serves (with their targets and lights), its area; a department's tasks."""
    def names(nodes: list[str]) -> list[str]:
        return [f"{code(G.nodes[m])} {G.nodes[m].get('name', '')}" if G.nodes[m].get("kind") != "Department"
                else str(G.nodes[m].get("name", "")) for m in sorted(nodes, key=natural_key)]

    ins = [(u, k) for u, _, k in G.in_edges(n, data="kind")]
    outs = [(v, k) for _, v, k in G.out_edges(n, data="kind")]
    indicators = [m for m, k in outs if k in ("CONTRIBUTES_TO", "MEASURED_BY")]
    out = {"lead": names([m for m, k in ins if k == "LEADS"]),
           "supporting": names([m for m, k in ins if k == "SUPPORTS"]),
           "indicators": [f"{m} {G.nodes[m].get('name', '')} {indicator_target(G.nodes[m])}"
                          + (f" · {G.nodes[m]['light']}" if G.nodes[m].get("light") else "")
                          for m in sorted(indicators, key=natural_key)],
           "areas": names([m for m, k in ins if k == "HAS_TASK"]),
           "leads": names([m for m, k in outs if k == "LEADS"]),
           "supports": names([m for m, k in outs if k == "SUPPORTS"])}
    return {k: v for k, v in out.items() if v}


def hierarchical(G: nx.MultiDiGraph, stage: tuple[float, float] = (STAGE_W, STAGE_H)) -> Layout:
    """Rows from principle down to department and indicator (tasks split by dependency), crossings reduced,
    labels as detailed as the stage allows: see kg/render/layout.py."""
    def level(n: str) -> float:
        return LEVELS.get(_kind(G, n), 7) + (0.5 if G.nodes[n].get("view_role") == "support" else 0.0)

    def row(n: str) -> str:
        role = G.nodes[n].get("view_role")
        return {"lead": "牵头任务", "support": "配合任务"}.get(str(role), ROW_NAMES.get(_kind(G, n), ""))

    def area(n: str) -> str | None:  # a department's task: the area it belongs to, its frame in the picture
        if not G.nodes[n].get("view_role"):
            return None
        return next((u for u, _, k in G.in_edges(n, data="kind") if k == "HAS_TASK"), None)

    if len(G) > LARGE:  # thousands of nodes: no picture for a meeting, a map to search in; rows wrapped as a grid
        return placed(G, grid(G, level), detail=2)
    return layered(G, level, lambda n, detail: label_lines(G.nodes[n], detail), row, stage, area,
                   lambda a: frame_labels(G.nodes[a]))


LARGE = 2000  # nodes past which the layered layout (dummy vertices for every row an edge crosses) takes minutes


def grid(G: nx.MultiDiGraph, level: Any) -> dict[str, tuple[float, float]]:
    """Positions for a very large view: the rows of `level` in order, each wrapped into lines of a square-ish
    grid, nodes in code order; linear in the nodes."""
    import math

    per_line = max(1, math.ceil(math.sqrt(len(G) * STAGE_W / STAGE_H)))
    rows: dict[float, list[str]] = {}
    for n in sorted(G, key=natural_key):
        rows.setdefault(level(n), []).append(n)
    out: dict[str, tuple[float, float]] = {}
    line = 0
    for key in sorted(rows):
        for i, n in enumerate(rows[key]):
            out[n] = (float(i % per_line), float(line + i // per_line))
        line += math.ceil(len(rows[key]) / per_line) + 1
    return out


def frame_labels(data: dict[str, Any]) -> list[str]:
    """An area's frame labels, longest first: code, Chinese and English name; code and Chinese name; code and
    the name cut short; the code alone."""
    code_, name, english = str(data.get("id", "")), str(data.get("name", "")), str(data.get("name_en") or "")
    out = [f"{code_} {name} {english}"] if english else []
    out += [f"{code_} {name}"] + [f"{code_} {name[:k]}…" for k in range(len(name) - 1, 1, -1)] + [code_]
    return out


def placed(G: nx.MultiDiGraph, positions: dict[str, tuple[float, float]], detail: int = 1) -> Layout:
    """A layout from given positions (force or the model picture), scaled onto the stage, edges straight."""
    from kg.render.layout import box_size

    out = Layout(detail=detail)
    if not positions:
        return out
    xs, ys = [p[0] for p in positions.values()], [p[1] for p in positions.values()]
    sx = (STAGE_W - 10) / ((max(xs) - min(xs)) or 1.0)
    sy = (STAGE_H - 4) / ((max(ys) - min(ys)) or 1.0)
    for n, (x, y) in positions.items():
        lines = label_lines(G.nodes[n], detail)
        w, h = box_size(lines)
        out.boxes[n] = Box(5 + (x - min(xs)) * sx, 2 + (y - min(ys)) * sy - h / 2, w, h, lines, 0)
    for u, v, k in G.edges(data="kind"):
        a, b = out.boxes[u], out.boxes[v]
        out.routes.append(Route(u, v, str(k), [(a.x, a.y + a.h / 2), (b.x, b.y + b.h / 2)]))
    return out


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


def indicator_target(data: dict[str, Any]) -> str:
    """An indicator's target in a few characters: `≥1720亿元 (2025)`, `年均≥12% (2025)`, `↓15% (2025)`."""
    value, unit = data.get("value"), str(data.get("unit") or "")
    year = f" ({data['target_year']})" if data.get("target_year") else ""
    if value is None:  # relative or qualitative: the plan's words
        words = {"above": "高于", "lead": "领先", "in_step": "同步"}.get(str(data.get("comparator")), "")
        text = f"{words}{data.get('reference') or ''}" if data.get("reference") else str(data.get("comparator_zh")
                                                                                         or "")
        return f"{text}{year}"
    number = f"{float(value):g}{unit}"
    kind = data.get("indicator_kind")
    if kind == "reduction":
        return f"↓{number}{year}"
    sign = "≥" if data.get("comparator") in ("at_least", "reach") else ""
    return f"{'年均' if kind == 'annual_growth' else ''}{sign}{number}{year}"


def code(data: dict[str, Any]) -> str:
    """What names a node on a picture: its code; a department's short Chinese name (its code is an English slug)."""
    if data.get("kind") == "Department":
        return str(data.get("name", ""))
    return str(data.get("id", ""))


def label_lines(data: dict[str, Any], detail: int = 0) -> list[str]:
    """A node's label at a level of detail: 0 the code and up to two lines of name (an indicator: its target);
    1 the code and one short line; 2 the code alone. The tooltip and side panel have the rest."""
    name = str(data.get("name", ""))
    head = code(data)
    if data.get("kind") == "Department":
        return [name[i:i + 7] for i in range(0, len(name), 7)][:2] if detail < 2 else [_cut(name, 6)]
    if data.get("kind") == "Indicator":
        return [[head, indicator_target(data), _cut(name, 7)], [head, indicator_target(data)], [head]][detail]
    if detail == 0:
        parts = [name[i:i + 7] for i in range(0, len(name), 7)] or [""]
        if len(parts) > 2:
            parts = [parts[0], _cut(name[7:], 7)]
        return [head, *parts]
    return [[head, _cut(name, 6)], [head]][detail - 1]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def label(data: dict[str, Any], width: int = 8, lines: int = 3) -> str:
    """A node's label on one string (the page's), the same text as the picture's most detailed label."""
    return "\n".join(label_lines(data, 0))


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
    drawn = placed(G, dict(SCHEMA_POSITIONS))
    return View("schema", "数据模型 Data model: the kinds of node and the relations between them",
                "plan-kg", G, None, {n: (x * PX, y * PX) for n, (x, y) in drawn.centres().items()}, drawn)
