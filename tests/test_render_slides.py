"""Editable slides and the poster: a .pptx whose title and owners table are real text, and `kg viz poster`, the
whole plan on one A3 or A1 landscape page with type of at least 11 pt and no label over another."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

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
