"""Where every node, label and edge of a view sits: a layered (Sugiyama-type) layout measured in ems of the label
font, so that one layout serves the 1920x1080 image (1 em = 21 px), the A4 PDF (1 em = 11 pt) and the page.

Rows are the plan's levels (principle, target, area, task, department, indicator); tasks that wait on each other
are split into sub-rows, what is waited on above. A row too wide for the stage wraps onto several lines, each
line a layer of its own. Edges that skip a layer pass through a reserved gap in it (a dummy vertex), so no edge
runs under a label. The order inside each layer comes from alternating barycentre and median sweeps with
adjacent transpositions, keeping the order with the fewest crossings. Labels come in three levels of detail; the
layout takes the most detailed one whose rows fit the stage, and never shrinks the type.

Nodes may belong to groups (a department's tasks, by area): a group's members stay side by side in their layer,
inside a labelled frame. The frame's label sits in a band above its boxes; edges from above enter a framed box
vertically, clear of the label, and edges passing through the layer keep outside every frame."""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx

from kg.model import natural_key

STAGE_W, STAGE_H = 66.0, 42.0  # the drawing area, in ems of the label font
GAP_X, GAP_Y = 0.9, 1.8  # least space between boxes of one layer, and between layers
LINE_H, PAD = 1.3, 0.35  # one line of label text, and the box's padding around it
MARKER_W = 1.3  # the kind's shape, drawn at the left inside the box
DUMMY_W = 0.3  # the gap an edge passing through a layer keeps free
DUMMY_GAP = 0.35  # between two edges passing through a layer side by side
FRAME_PAD = 0.35  # a group's frame around its boxes
BAND = LINE_H + 0.2  # the frame's label line, above its boxes
HEAVY = 1500  # vertices (real and dummy) past which crossing reduction skips the adjacent swaps
SWEEPS = 8
Groups = dict[str, str]  # node -> its group (absent: ungrouped)


def _gap(a: str, b: str, groups: Groups | None = None) -> float:
    if a.startswith("\0") and b.startswith("\0"):
        return DUMMY_GAP
    ga, gb = (groups.get(a), groups.get(b)) if groups else (None, None)
    if ga == gb:
        return GAP_X
    return GAP_X + FRAME_PAD * ((ga is not None) + (gb is not None))  # a frame's border and space beyond it


@dataclass
class Box:
    """A node's box: centre x, top y, width and height in ems; the label's lines; the layer it is in."""

    x: float
    y: float
    w: float
    h: float
    lines: list[str]
    layer: int


@dataclass
class Route:
    """An edge as drawn: a polyline from its source's box border to its target's, through reserved gaps."""

    source: str
    target: str
    kind: str
    points: list[tuple[float, float]]


@dataclass
class Frame:
    """A group's frame in one layer: its corners in ems (y down), its one-line label at the top left."""

    group: str
    label: str
    x0: float
    y0: float
    x1: float
    y1: float
    members: list[str]

    @property
    def label_box(self) -> tuple[float, float, float, float]:
        """Where the label's text may reach: (x0, y0, x1, y1)."""
        return (self.x0 + FRAME_PAD, self.y0 + 0.1, self.x0 + FRAME_PAD + text_width(self.label), self.y0 + BAND)


@dataclass
class Layout:
    boxes: dict[str, Box] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    rows: list[tuple[str, float, float]] = field(default_factory=list)  # (row name, top, bottom)
    frames: list[Frame] = field(default_factory=list)  # groups' frames, in layer order then left to right
    width: float = STAGE_W
    height: float = STAGE_H
    detail: int = 0  # 0: code and name; 1: code and a short name; 2: code only
    fits: bool = True  # False when even codes alone overflow the stage (the caller splits such a view)
    stage: tuple[float, float] = (STAGE_W, STAGE_H)  # the drawing area it was made for, in ems

    def centres(self) -> dict[str, tuple[float, float]]:
        return {n: (b.x, b.y + b.h / 2) for n, b in self.boxes.items()}


def text_width(text: str) -> float:
    """Width in ems, on the safe side: CJK and full-width characters one em, anything else 0.66 em."""
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.66 for c in text)


def box_size(lines: Sequence[str]) -> tuple[float, float]:
    return (max((text_width(s) for s in lines), default=0.0) + MARKER_W + 2 * PAD, len(lines) * LINE_H + 2 * PAD)


# -- layers ---------------------------------------------------------------------------------------------------

def assign_layers(G: nx.MultiDiGraph, level: Callable[[str], float]) -> list[list[str]]:
    """Rows by level; within the task row, sub-rows by dependency (what is waited on above what waits). Cycles,
    if any, are broken at an arbitrary but fixed edge."""
    by_level: dict[float, list[str]] = {}
    for n in G:
        by_level.setdefault(level(n), []).append(n)
    layers: list[list[str]] = []
    for lv in sorted(by_level):
        members = sorted(by_level[lv], key=natural_key)
        inside = set(members)
        waits = nx.DiGraph()
        waits.add_nodes_from(members)
        waits.add_edges_from(sorted((v, u) for u, v, k in G.edges(data="kind")
                                    if k == "DEPENDS_ON" and u in inside and v in inside and u != v))
        while not nx.is_directed_acyclic_graph(waits):
            cycle = nx.find_cycle(waits)
            waits.remove_edge(*max(cycle, key=lambda e: (natural_key(e[0]), natural_key(e[1])))[:2])
        if waits.number_of_edges() == 0:
            layers.append(members)
            continue
        depth: dict[str, int] = {}
        for n in nx.topological_sort(waits):
            depth[n] = max((depth[p] + 1 for p in waits.predecessors(n)), default=0)
        for d in range(max(depth.values()) + 1):
            layers.append(sorted((n for n in members if depth[n] == d), key=natural_key))
    return layers


def wrap(layers: list[list[str]], widths: dict[str, float], limits: list[float]) -> tuple[list[list[str]], list[int]]:
    """A layer wider than its limit becomes several lines of about equal width, each a layer of its own.
    Returns the lines and, for each, the index of the layer it came from."""
    out: list[list[str]] = []
    source: list[int] = []
    for index, layer in enumerate(layers):
        stage_w = limits[index]
        need = sum(widths[n] + GAP_X for n in layer)
        lines = max(1, -(-int(need * 100) // int(stage_w * 100)))
        while lines < len(layer):
            chunks = _chunks(layer, widths, need / lines)
            if all(sum(widths[n] + GAP_X for n in c) <= stage_w for c in chunks):
                break
            lines += 1
        lines_of = [c for c in (_chunks(layer, widths, need / lines) if lines > 1 else [layer]) if c]
        out.extend(lines_of)
        source.extend([index] * len(lines_of))
    return out, source


def _chunks(layer: list[str], widths: dict[str, float], target: float) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    used = 0.0
    for n in layer:
        if chunks[-1] and used + widths[n] + GAP_X > target + 1e-9:
            chunks.append([])
            used = 0.0
        chunks[-1].append(n)
        used += widths[n] + GAP_X
    return chunks


# -- crossing reduction ---------------------------------------------------------------------------------------

def _proper(layers: list[list[str]], edges: list[tuple[str, str, str]]) -> tuple[
        list[list[str]], dict[int, list[str]], dict[str, list[str]]]:
    """Insert a dummy vertex in every layer an edge skips. Returns the layers (with dummies), each edge's chain of
    vertices from its upper to its lower end, and the adjacency between consecutive layers."""
    where = {n: i for i, layer in enumerate(layers) for n in layer}
    layers = [list(layer) for layer in layers]
    chains: dict[int, list[str]] = {}
    adj: dict[str, list[str]] = {n: [] for layer in layers for n in layer}
    for e, (u, v, _) in enumerate(edges):
        if where[u] == where[v]:
            continue
        top, bottom = (u, v) if where[u] < where[v] else (v, u)
        chain = [top]
        for layer in range(where[top] + 1, where[bottom]):
            dummy = f"\0{e}:{layer}"
            layers[layer].append(dummy)
            adj[dummy] = []
            chain.append(dummy)
        chain.append(bottom)
        for a, b in pairwise(chain):
            adj[a].append(b)
            adj[b].append(a)
        chains[e] = chain
    return layers, chains, adj


def _layer_crossings(upper: list[str], lower: list[str], adj: dict[str, list[str]]) -> int:
    pos = {n: i for i, n in enumerate(lower)}
    pairs = sorted((i, pos[m]) for i, n in enumerate(upper) for m in adj[n] if m in pos)
    count = 0
    seen: list[int] = []  # lower ends of edges from earlier upper vertices; counting inversions
    for i in range(len(pairs)):
        _, b = pairs[i]
        # edges from the same upper vertex never cross each other
        count += len(seen) - bisect.bisect_right(seen, b)
        if i + 1 == len(pairs) or pairs[i + 1][0] != pairs[i][0]:
            j = i
            while j >= 0 and pairs[j][0] == pairs[i][0]:
                bisect.insort(seen, pairs[j][1])
                j -= 1
    return count


def total_crossings(layers: list[list[str]], adj: dict[str, list[str]]) -> int:
    return sum(_layer_crossings(a, b, adj) for a, b in pairwise(layers))


def _contiguous(layer: list[str], groups: Groups | None) -> list[str]:
    """The layer with each group's members side by side, in their order, where their mean position puts them."""
    if not groups or not any(n in groups for n in layer):
        return layer
    blocks: dict[str, list[int]] = {}
    for i, n in enumerate(layer):
        blocks.setdefault(groups.get(n, n), []).append(i)
    order = sorted(blocks.values(), key=lambda at: (sum(at) / len(at), at[0]))
    return [layer[i] for at in order for i in at]


def reduce_crossings(layers: list[list[str]], adj: dict[str, list[str]],
                     groups: Groups | None = None) -> list[list[str]]:
    """Alternating down and up sweeps, each layer sorted by its neighbours' barycentre (even sweeps) or median
    (odd sweeps) in the layer just fixed, then adjacent swaps while they help; the best order seen is kept.
    Groups move as blocks and swaps stay inside a group, so every order tried keeps each group together."""
    order = [_contiguous(list(layer), groups) for layer in layers]
    best = [list(layer) for layer in order]
    best_count = total_crossings(order, adj)
    # adjacent swaps cost the product of two vertices' degrees per pair: past a few hundred vertices (a page of
    # thousands, never a meeting's picture) the sweeps alone keep the layout to seconds instead of minutes
    heavy = sum(len(layer) for layer in order) > HEAVY
    for sweep in range(2 if heavy else SWEEPS):
        down = sweep % 2 == 0
        indices = range(1, len(order)) if down else range(len(order) - 2, -1, -1)
        for r in indices:
            fixed = order[r - 1] if down else order[r + 1]
            slot = {n: i for i, n in enumerate(fixed)}
            current = {n: i for i, n in enumerate(order[r])}

            def key(n: str, slot: dict[str, int] = slot, current: dict[str, int] = current,
                    median: bool = (sweep // 2) % 2 == 1) -> tuple[float, int]:
                near = sorted(slot[m] for m in adj[n] if m in slot)
                if not near:
                    return (float(current[n]), current[n])
                if not median:
                    return (sum(near) / len(near), current[n])
                mid = len(near) // 2
                return ((near[mid] if len(near) % 2 else (near[mid - 1] + near[mid]) / 2), current[n])

            order[r] = _contiguous(sorted(order[r], key=key), groups)
            if not heavy:
                _transpose(order, r, adj, groups)
        count = total_crossings(order, adj)
        if count < best_count:
            best, best_count = [list(layer) for layer in order], count
    return best


def _pair_crossings(a: str, b: str, pos: dict[str, int], adj: dict[str, list[str]]) -> tuple[int, int]:
    """Crossings between the edges of a and b into one neighbouring layer (positions `pos`): with a left of b,
    and with b left of a (a pair of edges into one position crosses in neither order)."""
    na = [pos[m] for m in adj[a] if m in pos]
    nb = [pos[m] for m in adj[b] if m in pos]
    now = swapped = 0
    for i in na:
        for j in nb:
            if i > j:
                now += 1
            elif j > i:
                swapped += 1
    return now, swapped


def _transpose(order: list[list[str]], r: int, adj: dict[str, list[str]], groups: Groups | None = None) -> None:
    """Swap adjacent vertices of layer r (of one group, or both ungrouped) while a swap lowers the crossings
    with both neighbouring layers."""
    groups = groups or {}
    around = [{n: i for i, n in enumerate(order[k])} for k in (r - 1, r + 1) if 0 <= k < len(order)]
    layer = order[r]
    for _ in range(4):
        improved = False
        for i in range(len(layer) - 1):
            a, b = layer[i], layer[i + 1]
            if groups.get(a) != groups.get(b):
                continue
            both = [_pair_crossings(a, b, pos, adj) for pos in around]
            now, swapped = sum(n for n, _ in both), sum(s for _, s in both)
            if swapped < now:
                layer[i], layer[i + 1] = b, a
                improved = True
        if not improved:
            break


# -- coordinates ----------------------------------------------------------------------------------------------

def _place(order: list[list[str]], widths: dict[str, float], adj: dict[str, list[str]],
           stage_w: float, groups: Groups | None = None) -> dict[str, float]:
    """x of each vertex: packed and centred, then pulled towards its neighbours' mean a few times, each layer
    keeping its order, its gaps and the stage's bounds."""
    x: dict[str, float] = {}
    for layer in order:
        packed = _packed(layer, widths, groups)
        at = (stage_w - packed) / 2
        prev: str | None = None
        for n in layer:
            at += 0.0 if prev is None else _gap(prev, n, groups)
            x[n] = at + widths[n] / 2
            at += widths[n]
            prev = n
    for _ in range(8):
        for layer in order:
            want = {n: (sum(x[m] for m in adj[n]) / len(adj[n]) if adj[n] else x[n]) for n in layer}
            x.update(_fit_in_order(layer, want, widths, stage_w, groups))
    return x


def _packed(layer: list[str], widths: dict[str, float], groups: Groups | None = None) -> float:
    edge = FRAME_PAD * ((layer[0] in groups) + (layer[-1] in groups)) if groups and layer else 0.0
    return sum(widths[n] for n in layer) + sum(_gap(a, b, groups) for a, b in pairwise(layer)) + edge


def _fit_in_order(layer: list[str], want: dict[str, float], widths: dict[str, float],
                  stage_w: float, groups: Groups | None = None) -> dict[str, float]:
    """The positions nearest `want` that keep the order, the gaps and the stage: pushed right then left, and
    left then right, averaged (each is feasible, so their mean is too)."""
    def push_right(start: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        prev: str | None = None
        for n in layer:
            low = (widths[n] / 2 + _rim(n, groups) if prev is None
                   else out[prev] + (widths[prev] + widths[n]) / 2 + _gap(prev, n, groups))
            out[n] = max(start[n], low)
            prev = n
        return out

    def push_left(start: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        prev: str | None = None
        for n in reversed(layer):
            high = (stage_w - widths[n] / 2 - _rim(n, groups) if prev is None
                    else out[prev] - (widths[prev] + widths[n]) / 2 - _gap(n, prev, groups))
            out[n] = min(start[n], high)
            prev = n
        return out

    a = push_left(push_right(want))
    b = push_right(push_left(want))
    if _packed(layer, widths, groups) > stage_w:  # cannot fit: keep the left-packed order
        return b
    return {n: (a[n] + b[n]) / 2 for n in layer}


def _rim(n: str, groups: Groups | None) -> float:
    """Room a box at the end of its layer keeps from the stage's edge: its frame's, when it is in one."""
    return FRAME_PAD if groups and n in groups else 0.0


def layered(G: nx.MultiDiGraph, level: Callable[[str], float], labels: Callable[[str, int], list[str]],
            row_name: Callable[[str], str], stage: tuple[float, float] = (STAGE_W, STAGE_H),
            group: Callable[[str], str | None] | None = None,
            group_labels: Callable[[str], list[str]] | None = None) -> Layout:
    """The layout with the most detailed labels that fits the stage (detail 0, 1, then 2). `group` names a node's
    group (None: ungrouped); `group_labels` a group's labels for its frame, longest first (the last always fits:
    a code)."""
    groups = {n: g for n in G if (g := group(n) if group else None) is not None}
    layout = Layout()
    layers = assign_layers(G, level)
    for detail in (0, 1, 2):
        if detail < 2:  # a cheap lower bound first: rows wrapped without the edges' gaps already too tall?
            size = {n: box_size(labels(n, detail)) for n in G}
            lines, _ = wrap(layers, {n: size[n][0] for n in G}, [stage[0]] * len(layers))
            need = sum(max(size[n][1] for n in line) for line in lines) + GAP_Y * (len(lines) - 1)
            if need > stage[1]:
                continue
        layout = _layered(G, level, labels, row_name, detail, stage, groups, group_labels or (lambda g: [g]))
        if layout.fits:
            break
    return layout


def _layered(G: nx.MultiDiGraph, level: Callable[[str], float], labels: Callable[[str, int], list[str]],
             row_name: Callable[[str], str], detail: int, stage: tuple[float, float], groups: Groups,
             group_labels: Callable[[str], list[str]]) -> Layout:
    stage_w, stage_h = stage
    text = {n: labels(n, detail) for n in G}
    size = {n: box_size(text[n]) for n in G}
    widths = {n: size[n][0] for n in G}
    edges = sorted(((u, v, str(k)) for u, v, k in G.edges(data="kind")),
                   key=lambda e: (natural_key(e[0]), natural_key(e[1]), e[2]))
    layers = assign_layers(G, level)
    # an order before wrapping, so that a wrapped row's lines hold neighbours together
    base, _, adj0 = _proper(layers, edges)
    ordered = reduce_crossings(base, adj0, groups)
    layers = [[n for n in layer if n in G] for layer in ordered]
    # wrap rows to the stage, leaving room for the edges that pass through each line (known after wrapping)
    limits = [stage_w] * len(layers)
    for _ in range(4):
        lines, source = wrap(layers, widths, limits)
        proper, chains, adj = _proper(lines, edges)
        line_widths = {**widths, **{n: DUMMY_W for layer in proper for n in layer if n not in widths}}
        over = False
        for line, src in zip(proper, source, strict=True):
            excess = _packed(line, line_widths, groups) - stage_w
            if excess > 1e-6 and limits[src] - excess > 8:
                limits[src] -= excess
                over = True
        if not over:
            break
    proper = reduce_crossings(proper, adj, groups)
    all_widths = {**widths, **{n: DUMMY_W for layer in proper for n in layer if n not in widths}}
    x = _place(proper, all_widths, adj, stage_w, groups)
    framed = [any(n in groups for n in layer) for layer in proper]
    inner = [max((size[n][1] for n in layer if n in size), default=LINE_H) for layer in proper]
    heights = [h + (BAND + FRAME_PAD if f else 0.0) for h, f in zip(inner, framed, strict=True)]
    used = sum(heights) + GAP_Y * (len(proper) - 1)
    fits = used <= stage_h and all(_packed(layer, all_widths, groups) <= stage_w + 1e-6 for layer in proper)
    # fill the stage: rows spread over its height (gaps grow, capped), columns over its width
    gap = GAP_Y if len(proper) < 2 else min(max(GAP_Y, (stage_h - sum(heights)) / (len(proper) - 1)), 8.0)
    # stretch the centres (only ever widening gaps) until the boxes span the stage's width
    def reach(n: str, side: int) -> float:  # a box's edge, or its frame's
        return x[n] + side * (all_widths[n] / 2 + _rim(n, groups))

    for _ in range(3):
        lo = min((reach(n, -1) for n in x), default=0.0)
        hi = max((reach(n, 1) for n in x), default=0.0)
        inner_lo, inner_hi = min(x.values(), default=0.0), max(x.values(), default=0.0)
        if not fits or inner_hi <= inner_lo or hi - lo >= stage_w - 1e-6:
            break
        scale = 1 + (stage_w - (hi - lo)) / (inner_hi - inner_lo)
        x = {n: (v - inner_lo) * scale + inner_lo for n, v in x.items()}
    lo = min((reach(n, -1) for n in x), default=0.0)
    hi = max((reach(n, 1) for n in x), default=0.0)
    if hi - lo < stage_w * 0.6 and len(proper) > 1:
        # a narrow view (a chain of single boxes) is sheared into a diagonal that spans the stage
        extra = stage_w * 0.6 - (hi - lo)
        layer_of = {n: i for i, layer in enumerate(proper) for n in layer}
        x = {n: v + (layer_of[n] / (len(proper) - 1) - 0.5) * extra for n, v in x.items()}
        lo = min(reach(n, -1) for n in x)
        hi = max(reach(n, 1) for n in x)
    x = {n: v - lo + max(0.0, (stage_w - (hi - lo)) / 2) for n, v in x.items()}
    tops, at = [], 0.0
    for h in heights:
        tops.append(at)
        at += h + gap
    height = at - gap if proper else 0.0
    layout = Layout(width=max(stage_w, hi - lo), height=max(height, 0.0), detail=detail, fits=fits,
                    stage=(stage_w, stage_h))
    for i, layer in enumerate(proper):
        for n in layer:
            if n in G:
                w, h = size[n]
                band = BAND if framed[i] else 0.0
                layout.boxes[n] = Box(x[n], tops[i] + band + (inner[i] - h) / 2, w, h, text[n], i)
    entry = _frames(layout, proper, groups, group_labels, tops, heights)
    for e, (u, v, kind) in enumerate(edges):
        if e not in chains:
            continue
        chain = chains[e]
        points: list[tuple[float, float]] = []
        top, bottom = layout.boxes[chain[0]], layout.boxes[chain[-1]]
        points.append((top.x, top.y + top.h))
        for d in chain[1:-1]:
            li = int(d.rsplit(":", 1)[1])
            points += [(x[d], tops[li]), (x[d], tops[li] + heights[li])]
        if chain[-1] in entry:  # into a framed box: down through its frame's band, clear of the frame's label
            at = entry[chain[-1]]
            points += [(at, tops[bottom.layer]), (at, bottom.y)]
        else:
            points.append((bottom.x, bottom.y))
        if chain[0] != u:  # the route runs from the edge's source to its target
            points.reverse()
        layout.routes.append(Route(u, v, kind, points))
    # row names: one per run of layers whose nodes share a name
    current: tuple[str, float, float] | None = None
    for i, layer in enumerate(proper):
        names = [row_name(n) for n in layer if n in G]
        name = max(sorted(set(names)), key=names.count) if names else ""  # the row's main kind
        if current and current[0] == name:
            current = (name, current[1], tops[i] + heights[i])
        else:
            if current:
                layout.rows.append(current)
            current = (name, tops[i], tops[i] + heights[i])
    if current:
        layout.rows.append(current)
    return layout


def _frames(layout: Layout, proper: list[list[str]], groups: Groups, group_labels: Callable[[str], list[str]],
            tops: list[float], heights: list[float]) -> dict[str, float]:
    """A frame around each run of one group's boxes in a layer, with the longest of its labels that leaves every
    box a place to take its edges from above (right of the label) and its top right corner (a status light) free.
    Returns where edges from above enter each framed box."""
    entry: dict[str, float] = {}
    for i, layer in enumerate(proper):
        runs: list[list[str]] = []
        for n in layer:
            if n not in groups:
                continue
            if runs and groups[runs[-1][-1]] == groups[n] and layer.index(runs[-1][-1]) == layer.index(n) - 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        for run in runs:
            boxes = [layout.boxes[n] for n in run]
            x0 = min(b.x - b.w / 2 for b in boxes) - FRAME_PAD
            x1 = max(b.x + b.w / 2 for b in boxes) + FRAME_PAD
            candidates = group_labels(groups[run[0]])
            for label in candidates:
                right = x0 + FRAME_PAD + text_width(label)
                if label == candidates[-1] or all(b.x + b.w / 2 >= right + 1.2 for b in boxes
                                                  if b.x - b.w / 2 < right + 0.5):
                    break
            frame = Frame(groups[run[0]], label, x0, tops[i], x1, tops[i] + heights[i], run)
            layout.frames.append(frame)
            right = frame.label_box[2]
            for n, b in zip(run, boxes, strict=True):
                entry[n] = max(b.x, right + 0.5) if b.x - b.w / 2 < right + 0.5 else b.x
    return entry


def segment_crossings(routes: Sequence[Any]) -> int:
    """Proper crossings between edge polylines (edges sharing an end are not counted against each other):
    measured on the drawing, the number reported per view."""
    segments = []
    for r in routes:
        pts = r.points
        segments += [((r.source, r.target), pts[i], pts[i + 1]) for i in range(len(pts) - 1)]
    count = 0
    for i in range(len(segments)):
        (a_ends, p1, p2) = segments[i]
        for j in range(i + 1, len(segments)):
            (b_ends, q1, q2) = segments[j]
            if a_ends == b_ends or set(a_ends) & set(b_ends):
                continue
            if _cross(p1, p2, q1, q2):
                count += 1
    return count


def _cross(p1: tuple[float, float], p2: tuple[float, float], q1: tuple[float, float],
           q2: tuple[float, float]) -> bool:
    def orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    return d1 * d2 < -1e-9 and d3 * d4 < -1e-9
