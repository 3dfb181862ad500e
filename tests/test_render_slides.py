"""Editable slides and the poster: a .pptx whose title and owners table are real text, and `kg viz poster`, the
whole plan on one A3 or A1 landscape page with type of at least 11 pt and no label over another."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.output import to_networkx
from kg.render.views import build_view

runner = CliRunner()


@pytest.fixture(scope="module")
def G(plan_graph):  # type: ignore[no-untyped-def]
    return to_networkx(plan_graph)


@pytest.fixture
def db(tmp_path: Path, plan_graph) -> Path:  # type: ignore[no-untyped-def]
    from kg.stores.base import StoreSettings, open_store

    path = tmp_path / "plan.lbug"
    open_store(StoreSettings(path=path)).build(plan_graph)
    return path


def test_pptx_is_16_by_9_with_real_text(G, db: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pptx import Presentation
    from pptx.util import Inches

    out = tmp_path / "g3.pptx"
    result = runner.invoke(app, ["viz", "target", "结构调整", "-o", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    deck = Presentation(str(out))
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    slide = deck.slides[0]
    kinds = [shape.shape_type for shape in slide.shapes]
    texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
    assert any("目标 Target G3" in t for t in texts)
    pictures = [shape for shape in slide.shapes if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert len(pictures) == 1 and pictures[0].image.content_type == "image/png", kinds
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    cells = [[table.cell(r, c).text for c in range(3)] for r in range(len(table.rows))]
    assert cells[0] == ["任务 Task", "牵头 Lead", "配合 Supporting"]
    t15 = next(row for row in cells if row[0].startswith("T15 "))
    lead = [G.nodes[u]["name"] for u, _, k in G.in_edges("T15", data="kind") if k == "LEADS"]
    assert t15[1] == "、".join(lead)
    runs = [run for row in table.rows for cell in row.cells for p in cell.text_frame.paragraphs for run in p.runs]
    assert runs and all(run.font.name == "Noto Sans SC" and run.font.size.pt >= 11 for run in runs)


def test_poster_is_one_large_landscape_page(db: Path, tmp_path: Path, G) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    from tests.test_render_quality import measure

    out = tmp_path / "plan.pdf"
    result = runner.invoke(app, ["viz", "poster", "-o", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    page = PdfReader(BytesIO(out.read_bytes())).pages[0]
    size = (round(float(page.mediabox.width) / 72, 1), round(float(page.mediabox.height) / 72, 1))
    assert size in ((16.5, 11.7), (33.1, 23.4)), size  # A3 or A1, landscape
    view = build_view(G, "poster")
    kinds = {G.nodes[n]["kind"] for n in view.graph}
    assert kinds == {"Principle", "OverallGoal", "Target", "Area", "Task", "Department"}
    assert {k for _, _, k in view.graph.edges(keys=True)} <= {"GUIDES", "HAS_TARGET", "ADVANCES", "HAS_TASK",
                                                              "LEADS"}
    m = measure(view, "pdf")
    assert min(m["sizes"]) >= 11  # type: ignore[type-var]
    labels = list(m["labels"].values())  # type: ignore[attr-defined]
    assert not any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:])
    assert view.layout.detail == 0  # names, not codes alone


def _needed_lines(text: str, font, room_pt: float) -> int:  # type: ignore[no-untyped-def]
    """Lines `text` takes when wrapped by character into `room_pt` (PIL's advance widths of the real font)."""
    lines, line = 1, ""
    for c in text:
        if line and font.getlength(line + c) > room_pt:
            lines, line = lines + 1, ""
        line += c
    return lines


def _long_names() -> nx.MultiDiGraph:
    """The seed plan with a 300-character department and task name, and an area of 200 tasks."""
    from kg.ingest.seed import load_plan
    from kg.model import Edge, Node, Provenance
    from tests.conftest import SEED

    plan = load_plan(SEED)
    plan.nodes["D-drc"].name = "沈阳市发展和改革委员会" + "长" * 289
    plan.nodes["T15"].name = "推进" + "名" * 298
    prov = Provenance("curated", rationale="probe")
    for i in range(200):
        plan.add(Node("Task", f"T{100 + i}", f"第{i}项任务：" + "很长的任务名称" * 5, prov, props={"number": 100 + i}))
        plan.edges += [Edge("HAS_TASK", "A13", f"T{100 + i}", prov), Edge("LEADS", "D-drc", f"T{100 + i}", prov)]
    return to_networkx(plan)


@pytest.mark.parametrize("kind,entity", [("overview", None), ("department", "D-drc"), ("area", "A13"),
                                         ("task", "T15"), ("target", "G3")])
def test_slide_text_fits_its_boxes_and_the_slide(kind: str, entity: str | None) -> None:
    """Readable from the back: nothing below 11 pt, and nothing beyond the slide. The picture of a view without
    tasks ran 0.9 in below the slide's edge; a department's owners table of long names grew to twice the slide's
    height; a 300-character name made the title ten lines over the picture."""
    from PIL import ImageFont
    from pptx import Presentation
    from pptx.util import Emu

    from kg.render.html import font_path
    from kg.render.slides import render_pptx

    deck = Presentation(BytesIO(render_pptx(build_view(_long_names(), kind, entity))))
    slide_w, slide_h = Emu(deck.slide_width).inches, Emu(deck.slide_height).inches
    inch = lambda v: Emu(v).inches  # noqa: E731
    for shape in deck.slides[0].shapes:
        assert inch(shape.left) >= 0 and inch(shape.top) >= 0, shape.name
        assert inch(shape.left + shape.width) <= slide_w + 1e-6, shape.name
        assert inch(shape.top + shape.height) <= slide_h + 1e-6, shape.name
        if shape.has_text_frame:  # the title, the note and the "more" line: one line each
            for run in (r for p in shape.text_frame.paragraphs for r in p.runs):
                pt = run.font.size.pt
                assert pt >= 11
                font = ImageFont.truetype(font_path(), pt)
                room = (inch(shape.width) - 0.2) * 72
                assert _needed_lines(run.text, font, room) * pt * 1.2 / 72 + 0.1 <= inch(shape.height) + 0.3
        if shape.has_table:
            table, height = shape.table, 0.0
            for row in table.rows:
                need = 0.0
                for cell, column in zip(row.cells, table.columns, strict=True):
                    runs = [r for p in cell.text_frame.paragraphs for r in p.runs]
                    assert runs and all(r.font.size.pt >= 11 for r in runs)
                    font = ImageFont.truetype(font_path(), 11)
                    lines = _needed_lines("".join(r.text for r in runs), font, (inch(column.width) - 0.2) * 72)
                    need = max(need, lines * 11 * 1.2 / 72 + 0.1)
                height += max(need, inch(row.height))
            assert inch(shape.top) + height <= slide_h, (kind, height)
            below = [s for s in deck.slides[0].shapes if s.has_text_frame and s.text_frame.text.startswith("…")]
            assert all(inch(s.top) >= inch(shape.top) + height - 1e-6 for s in below)
