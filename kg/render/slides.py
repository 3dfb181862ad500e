"""A view as an editable 16:9 slide (.pptx): the title and the owners table as real text boxes and a real table,
the picture beside them, so that a secretariat can retype a name in PowerPoint or WPS without redrawing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kg.model import natural_key
from kg.render.views import View

FONT = "Noto Sans SC"  # named on every run of text; PowerPoint and WPS fall back to a CJK font if it is missing
MAX_ROWS = 14  # owners table rows that fit at 11 pt beside the picture


def owners(view: View) -> list[tuple[str, str, str]]:
    """(task, lead, supporting) for the view's tasks, in plan order, from the whole plan's assignments."""
    rows = []
    for n in sorted((n for n in view.graph if view.graph.nodes[n].get("kind") == "Task"), key=natural_key):
        d = view.details.get(n, {})
        rows.append((f"{n} {view.graph.nodes[n].get('name', '')}", "、".join(d.get("lead", [])) or "—",
                     "、".join(d.get("supporting", [])) or "—"))
    return rows


def _text(frame: Any, text: str, size: float, bold: bool = False, colour: tuple[int, int, int] = (33, 33, 33)) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
    run.font.color.rgb = RGBColor(*colour)  # type: ignore[no-untyped-call]


def render_pptx(view: View) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    from kg.render.image import render_image

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)  # 16:9
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    title = slide.shapes.add_textbox(Inches(0.3), Inches(0.15), Inches(12.7), Inches(0.7))
    _text(title.text_frame, view.title, 24)
    note = slide.shapes.add_textbox(Inches(0.3), Inches(0.8), Inches(12.7), Inches(0.4))
    _text(note.text_frame, f"plan-kg · {view.plan}", 12, colour=(97, 97, 97))
    rows = owners(view)
    picture_w = 8.4 if rows else 12.7
    slide.shapes.add_picture(io.BytesIO(render_image(view, "png")), Inches(0.3), Inches(1.3),
                             width=Inches(picture_w))
    if rows:
        shown = rows[:MAX_ROWS]
        table = slide.shapes.add_table(len(shown) + 1, 3, Inches(8.9), Inches(1.3), Inches(4.2),
                                       Inches(0.3 * (len(shown) + 1))).table
        table.columns[0].width, table.columns[1].width, table.columns[2].width = Inches(1.8), Inches(1.1), Inches(1.3)
        for c, head in enumerate(("任务 Task", "牵头 Lead", "配合 Supporting")):
            _text(table.cell(0, c).text_frame, head, 11, bold=True)
        for r, row in enumerate(shown, start=1):
            for c, value in enumerate(row):
                _text(table.cell(r, c).text_frame, value, 11)
        if len(rows) > MAX_ROWS:
            more = slide.shapes.add_textbox(Inches(8.9), Inches(1.4 + 0.3 * (len(shown) + 1)), Inches(4.2),
                                            Inches(0.4))
            _text(more.text_frame, f"… {len(rows) - MAX_ROWS} more tasks: see the page or `kg owners`", 11)
            more.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def write_pptx(view: View, output: Path) -> None:
    from kg.output import write_atomic

    write_atomic(output, render_pptx(view))
