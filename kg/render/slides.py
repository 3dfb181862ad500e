"""A view as an editable 16:9 slide (.pptx): the title and the owners table as real text boxes and a real table,
the picture beside them, so that a secretariat can retype a name in PowerPoint or WPS without redrawing."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from kg.model import natural_key
from kg.render.views import View

FONT = "Noto Sans SC"  # named on every run of text; PowerPoint and WPS fall back to a CJK font if it is missing
MAX_ROWS = 14  # owners table rows at most beside the picture, fewer when their names take more lines
SLIDE_W, SLIDE_H = 13.333, 7.5  # inches, 16:9
TOP, BOTTOM = 1.3, 0.2  # the picture and the table start under the title and end this far above the slide's edge
MARGIN_X, MARGIN_Y = 0.1, 0.05  # python-pptx's default insets of a text frame or a cell, inches
LINE = 1.2  # a line is 1.2 times the type size
CELL_LINES = 2  # a cell shows at most two lines; a longer name is cut with … (the page and kg owners have it whole)


@functools.cache
def _advances() -> tuple[dict[int, float], float]:
    """Each character's advance in ems in the slide's font (a character it lacks counts one em)."""
    from fontTools.ttLib import TTFont

    from kg.render.html import font_path

    with TTFont(font_path(), lazy=True) as font:
        em, hmtx = font["head"].unitsPerEm, font["hmtx"]
        return {code: hmtx[glyph][0] / em for code, glyph in font.getBestCmap().items()}, 1.0


def width(text: str, pt: float) -> float:
    """The width of one line of `text` at `pt`, in inches."""
    advances, missing = _advances()
    return sum(advances.get(ord(c), missing) for c in text) * pt / 72


def wrap(text: str, pt: float, room: float, lines: int) -> list[str]:
    """`text` broken into lines of at most `room` inches (by character: Chinese has no spaces), at most `lines` of
    them, the last cut with … when the text is longer."""
    out, line = [], ""
    for c in text:
        if line and width(line + c, pt) > room:
            out.append(line)
            line = ""
        line += c
    out.append(line)
    if len(out) > lines:
        last = out[lines - 1]
        while last and width(last + "…", pt) > room:
            last = last[:-1]
        out = [*out[:lines - 1], last + "…"]
    return out


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
    """One slide: the title (one line, cut with … when longer; whole in the notes), the picture, and the owners
    table beside it with as many rows as fit above the slide's bottom edge at 11 pt."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    from kg.render.image import render_image

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    title = slide.shapes.add_textbox(Inches(0.3), Inches(0.15), Inches(12.7), Inches(0.7))
    _text(title.text_frame, wrap(view.title, 24, 12.7 - 2 * MARGIN_X, 1)[0], 24)
    note = slide.shapes.add_textbox(Inches(0.3), Inches(0.8), Inches(12.7), Inches(0.4))
    _text(note.text_frame, wrap(f"plan-kg · {view.plan}", 12, 12.7 - 2 * MARGIN_X, 1)[0], 12, colour=(97, 97, 97))
    slide.notes_slide.notes_text_frame.text = view.title
    rows = owners(view)
    room_h = SLIDE_H - TOP - BOTTOM
    picture_w = min(8.4 if rows else 12.7, room_h * 16 / 9)  # the picture is 1920x1080: kept on the slide
    slide.shapes.add_picture(io.BytesIO(render_image(view, "png")), Inches(0.3), Inches(TOP), width=Inches(picture_w))
    if rows:
        widths = (1.8, 1.1, 1.3)
        more_h = 11 * LINE / 72 + 2 * MARGIN_Y

        def cells(row: tuple[str, ...]) -> tuple[list[list[str]], float]:
            wrapped = [wrap(value, 11, w - 2 * MARGIN_X, CELL_LINES) for value, w in zip(row, widths, strict=True)]
            return wrapped, max(len(lines) for lines in wrapped) * 11 * LINE / 72 + 2 * MARGIN_Y

        heads, head_h = cells(("任务 Task", "牵头 Lead", "配合 Supporting"))
        shown: list[tuple[list[list[str]], float]] = []
        used = head_h
        for i, row in enumerate(rows[:MAX_ROWS]):
            wrapped, h = cells(row)
            rest = len(rows) - i - 1
            if used + h + (more_h if rest else 0) > room_h:
                break
            shown.append((wrapped, h))
            used += h
        table = slide.shapes.add_table(len(shown) + 1, 3, Inches(8.9), Inches(TOP), Inches(sum(widths)),
                                       Inches(used)).table
        for c, w in enumerate(widths):
            table.columns[c].width = Inches(w)
        table.rows[0].height = Inches(head_h)
        for c, lines in enumerate(heads):
            _text(table.cell(0, c).text_frame, "".join(lines), 11, bold=True)
        for r, (wrapped, h) in enumerate(shown, start=1):
            table.rows[r].height = Inches(h)
            for c, lines in enumerate(wrapped):
                _text(table.cell(r, c).text_frame, "".join(lines), 11)  # PowerPoint wraps it the same way
        if len(rows) > len(shown):
            more = slide.shapes.add_textbox(Inches(8.9), Inches(TOP + used), Inches(sum(widths)), Inches(more_h))
            _text(more.text_frame, wrap(f"… {len(rows) - len(shown)} more tasks: see the page or `kg owners`", 11,
                                        sum(widths) - 2 * MARGIN_X, 1)[0], 11)
            more.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def write_pptx(view: View, output: Path) -> None:
    from kg.output import write_atomic

    write_atomic(output, render_pptx(view))
