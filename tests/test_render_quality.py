"""What a meeting needs from every picture, measured on what matplotlib drew (text extents from the renderer):
over every view of the meeting pack and every target and impact view. No degenerate picture, type at least
21 px at 1920x1080 and 11 pt on A4, no label over another, no edge under a label, crossings counted."""

from __future__ import annotations

import pytest

from kg.model import natural_key
from kg.output import to_networkx
from kg.render.image import draw
from kg.render.layout import segment_crossings
from kg.render.views import build_view


@pytest.fixture(scope="module")
def G(plan_graph):  # type: ignore[no-untyped-def]
    return to_networkx(plan_graph)


def every_view(G) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    from kg.render.pack import pack_views

    views = list(pack_views(G))
    of = {kind: sorted((n for n, d in G.nodes(data=True) if d.get("kind") == kind), key=natural_key)
          for kind in ("Target", "Task")}
    views += [("target", t) for t in of["Target"]] + [("impact", t) for t in of["Task"]]
    return sorted(set(views), key=lambda v: (v[0], natural_key(v[1] or "")))


def _segment_hits_box(p: tuple[float, float], q: tuple[float, float], box) -> bool:  # type: ignore[no-untyped-def]
    """Whether the segment p-q passes through the rectangle (Liang-Barsky clipping)."""
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for edge_p, edge_q in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def measure(view, fmt: str = "png") -> dict[str, object]:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    from kg.render.image import _rc

    with plt.rc_context(_rc()):
        fig = draw(view, fmt)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        labels = {t.get_gid()[6:]: t for t in ax.texts if (t.get_gid() or "").startswith("label:")}
        boxes = {p.get_gid()[4:]: p.get_window_extent(renderer) for p in ax.patches
                 if (p.get_gid() or "").startswith("box:")}
        extents = {n: t.get_window_extent(renderer) for n, t in labels.items()}
        sizes = [t.get_fontsize() for t in labels.values()]
        edges = [(line.get_gid(), line.get_xydata()) for line in ax.lines if (line.get_gid() or "").startswith("edge:")]
        stage = ax.get_window_extent(renderer)
        edge_paths = [(gid, [tuple(ax.transData.transform(pt)) for pt in xy]) for gid, xy in edges]
        plt.close(fig)
    return {"labels": extents, "boxes": boxes, "sizes": sizes, "edges": edge_paths, "stage": stage}


def test_every_picture_is_readable_and_clean(G) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    for name, entity in every_view(G):
        view = build_view(G, name, entity)
        m = measure(view)
        where = f"{name} {entity or ''}"
        labels, stage = m["labels"], m["stage"]  # type: ignore[assignment]
        assert len(labels) == view.graph.number_of_nodes(), where  # type: ignore[arg-type]
        # type: points at 100 dpi -> pixels
        if min(m["sizes"]) * 100 / 72 < 20:  # type: ignore[type-var, operator]
            problems.append(f"{where}: labels of {min(m['sizes']) * 100 / 72:.1f} px")  # type: ignore[type-var, operator]
        # no degenerate picture: boxes span at least half the drawing area both ways (more than one row)
        bxs = list(m["boxes"].values())  # type: ignore[attr-defined]
        rows = {round(b.y0) for b in bxs}
        span_w = (max(b.x1 for b in bxs) - min(b.x0 for b in bxs)) / stage.width  # type: ignore[attr-defined]
        span_h = (max(b.y1 for b in bxs) - min(b.y0 for b in bxs)) / stage.height  # type: ignore[attr-defined]
        if len(rows) > 1 and (span_w < 0.5 or span_h < 0.5):
            problems.append(f"{where}: nodes span {span_w:.2f} x {span_h:.2f} of the drawing")
        # everything inside the figure
        for n, b in labels.items():  # type: ignore[attr-defined]
            if b.x0 < 0 or b.y0 < 0 or b.x1 > 1920 or b.y1 > 1080:
                problems.append(f"{where}: label {n} outside the picture")
        # no label over another
        items = sorted(labels.items())  # type: ignore[attr-defined]
        for i, (a, ba) in enumerate(items):
            for b, bb in items[i + 1:]:
                if ba.overlaps(bb):
                    problems.append(f"{where}: labels {a} and {b} overlap")
        # no edge under a label (or its box's text area)
        for gid, path in m["edges"]:  # type: ignore[attr-defined]
            for n, b in labels.items():  # type: ignore[attr-defined]
                if any(_segment_hits_box(path[k], path[k + 1], b) for k in range(len(path) - 1)):
                    problems.append(f"{where}: edge {gid} runs under the label of {n}")
    assert problems == [], f"{len(problems)} problems: {problems[:20]}"


def test_the_checks_can_fail(G) -> None:  # type: ignore[no-untyped-def]
    """Squeezed together, the same labels overlap and an edge crosses a label: the measurement sees it."""
    view = build_view(G, "area", "A3")
    for box in view.layout.boxes.values():
        box.x = 30.0
    m = measure(view)
    labels = list(m["labels"].values())  # type: ignore[attr-defined]
    assert any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:])


def test_pdf_labels_are_at_least_11_pt_on_a4(G) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from pypdf import PdfReader

    from kg.render.image import render_image

    view = build_view(G, "department", "D-drc")
    m = measure(view, "pdf")
    assert min(m["sizes"]) >= 11  # type: ignore[type-var]
    page = PdfReader(BytesIO(render_image(view, "pdf"))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)  # A4 landscape


def test_svg_keeps_text_as_text_in_the_named_font(G) -> None:  # type: ignore[no-untyped-def]
    from kg.render.image import render_image

    svg = render_image(build_view(G, "target", "G3"), "svg").decode("utf-8")
    assert "<text" in svg and "Noto Sans SC" in svg and "结构调整" in svg


# Straight-edge crossings of the 42 views the pack had before this layout (overview, 13 areas, 28 lead
# departments), counted with segment_crossings on the positions of commit 76d4d81: 市发展改革委 365, 市工业和
# 信息化局 207, 970 in all.
BEFORE = {"D-drc": 365, "D-miit": 207, "total": 970}


def test_crossings_are_cut_to_a_third(G) -> None:  # type: ignore[no-untyped-def]
    leads = {u for u, _, k in G.edges(keys=True) if k == "LEADS"}
    old_pack = [("overview", None)] + [(v, e) for v, e in every_view(G) if v == "area" or (v == "department" and
                                                                                        e in leads)]
    assert len(old_pack) == 42
    counts = {e or v: segment_crossings(build_view(G, v, e).layout.routes) for v, e in old_pack}
    assert sum(counts.values()) * 3 <= BEFORE["total"], sum(counts.values())
    assert counts["D-drc"] * 3 <= BEFORE["D-drc"] and counts["D-miit"] * 3 <= BEFORE["D-miit"]
