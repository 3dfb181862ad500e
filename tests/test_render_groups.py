"""A department's view groups its tasks by area: in images a labelled frame per area around its tasks (frames
apart from each other, labels clear of every other label and of every edge, each task inside its own area's
frame); indicator→target links drawn once per target; crossings kept near what they were before the frames."""

from __future__ import annotations

from typing import Any

import pytest

from kg.output import to_networkx
from kg.render.image import draw
from kg.render.layout import segment_crossings
from kg.render.views import View, build_view
from tests.test_render_quality import _segment_hits_box

# Straight-edge crossings of the department views (the pack's 54) before the frames (commit 1007764), counted
# with segment_crossings: 137 in all, 市发展改革委 27, 市工业和信息化局 37. Grouping costs some; not much.
BEFORE_TOTAL = 137


@pytest.fixture(scope="module")
def G(plan_graph):  # type: ignore[no-untyped-def]
    return to_networkx(plan_graph)


def department_views(G) -> list[str]:  # type: ignore[no-untyped-def]
    from kg.render.pack import pack_views

    return [e for v, e in pack_views(G) if v == "department" and e is not None]


def frame_problems(view: View) -> list[str]:
    """What is wrong with the drawn frames of a view, measured on what matplotlib drew."""
    import matplotlib.pyplot as plt

    from kg.render.image import _rc

    problems: list[str] = []
    with plt.rc_context(_rc()):
        fig = draw(view, "png")
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        ax = fig.axes[0]
        frames = [(p.get_gid()[6:], p.get_window_extent(r)) for p in ax.patches
                  if (p.get_gid() or "").startswith("frame:")]
        boxes = {p.get_gid()[4:]: p.get_window_extent(r) for p in ax.patches if (p.get_gid() or "").startswith("box:")}
        texts: dict[str, Any] = {}
        for t in ax.texts:
            gid = t.get_gid() or ""
            if gid.startswith(("label:", "frame-label:")) or gid == "row":
                texts[f"{gid}#{len(texts)}"] = (t.get_window_extent(r), t.get_fontsize())
        edges = [(line.get_gid(), [tuple(ax.transData.transform(p)) for p in line.get_xydata()])
                 for line in ax.lines if (line.get_gid() or "").startswith("edge:")]
        plt.close(fig)
    G = view.graph
    tasks = [n for n in G if G.nodes[n].get("view_role")]
    if len(frames) != len(view.layout.frames) or not frames:
        problems.append(f"{len(frames)} frames drawn for {len(view.layout.frames)} laid out")
    for n in tasks:
        area = next(u for u, _, k in G.in_edges(n, data="kind") if k == "HAS_TASK")
        b = boxes[n]
        inside = [g for g, f in frames if f.x0 <= b.x0 and b.x1 <= f.x1 and f.y0 <= b.y0 and b.y1 <= f.y1]
        if inside != [area]:
            problems.append(f"task {n} of {area} lies inside the frames {inside}")
    for i, (g, f) in enumerate(frames):
        for h, f2 in frames[i + 1:]:
            if f.overlaps(f2):
                problems.append(f"frames {g} and {h} overlap")
    labels = sorted(texts.items())
    for i, (a, (ea, size)) in enumerate(labels):
        if a.startswith("frame-label:"):
            if size * 100 / 72 < 20:
                problems.append(f"{a}: {size * 100 / 72:.1f} px")
            for gid, path in edges:
                if any(_segment_hits_box(path[k], path[k + 1], ea) for k in range(len(path) - 1)):
                    problems.append(f"edge {gid} runs under {a}")
        for b, (eb, _) in labels[i + 1:]:
            if (a.startswith("frame-label:") or b.startswith("frame-label:")) and ea.overlaps(eb):
                problems.append(f"{a} overlaps {b}")
    return problems


def test_every_department_view_frames_its_tasks_by_area(G) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    for entity in department_views(G):
        view = build_view(G, "department", entity)
        problems += [f"{entity}: {p}" for p in frame_problems(view)]
        for frame in view.layout.frames:  # the label names the area: its code first
            if not frame.label.startswith(frame.group):
                problems.append(f"{entity}: frame of {frame.group} labelled {frame.label!r}")
    assert problems == [], f"{len(problems)} problems: {problems[:20]}"


def test_the_frame_checks_can_fail(G) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, "department", "D-drc")
    frame = view.layout.frames[0]
    frame.x0 = frame.x1 - 0.5  # no longer around its tasks; its label now over an edge or a task's label
    other = view.layout.frames[1]
    other.y1 += 30.0  # over the frames below it
    problems = frame_problems(view)
    assert any("lies inside the frames []" in p for p in problems), problems
    assert any("overlap" in p for p in problems), problems


def test_names_fill_the_frame_labels_where_there_is_room(G) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, "department", "D-ecology")
    assert view.layout.detail == 0
    assert any(frame.label.startswith(f"{frame.group} {G.nodes[frame.group]['name'][:2]}")
               for frame in view.layout.frames), [f.label for f in view.layout.frames]


def test_indicator_target_links_are_drawn_once_per_target(G) -> None:  # type: ignore[no-untyped-def]
    for entity in ("D-drc", "D-miit"):
        view = build_view(G, "department", entity)
        links = [(r.source, r.target) for r in view.layout.routes if r.kind == "MEASURED_BY"]
        assert links and len(links) == len(set(links)), entity
        indicators = [n for n in view.graph if view.graph.nodes[n].get("kind") == "Indicator"]
        # and each of the view's indicators is linked to its own target, once
        for n in indicators:
            targets = [u for u, v in links if v == n]
            assert len(targets) <= 1 and targets == [u for u, _, k in G.in_edges(n, data="kind")
                                                     if k == "MEASURED_BY" and u in view.graph], n


def test_crossings_stay_near_what_they_were(G) -> None:  # type: ignore[no-untyped-def]
    counts = {e: segment_crossings(build_view(G, "department", e).layout.routes) for e in department_views(G)}
    assert sum(counts.values()) <= BEFORE_TOTAL * 1.25, counts
