"""A PDF's text layer as the lines of its paragraphs, not of its printed pages.

pypdf gives one line per printed line: a sentence wrapped at the page width is cut in two, the page number
(— 3 —, － 3 －, - 3 -) and a running header stand between the two halves of a sentence that runs over a page,
and a space is put where the font changes (2024 年). Here, from where each line stands on its page:
- page furniture is dropped: a page number (— 3 —, 第3页) at the top or bottom of a page, a bare 3 set apart there,
  and a line set apart from the body at the same place at the top or bottom of two or more pages (a running
  header or footer);
- a line is joined to the one before it when that one was wrapped: it reaches the right edge of the text (the
  next line's first character would not have fitted), the next line starts where a continued line starts (at the
  margin under an indented first line, under the text of a numbered item, or centred under a centred line), it
  starts no item (一、 （一） 1. ——), and, unless the paragraphs' first lines are indented, the wrapped line does not
  end a sentence;
- a space between a Chinese character and a digit or letter is dropped (pypdf puts one where the font changes).
Short headings never reach the right edge, so a heading is never joined to the paragraph after it.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
import unicodedata
from dataclasses import dataclass
from typing import Any

# A line that starts an item of the genre: 一、 （一） 1. 1、 (1) —— 一是 第一章
STARTS_ITEM = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、是]|[（(][一二三四五六七八九十\d]{1,3}[）)]|"
                         r"\d{1,3}(?:[.．、](?!\d))|——|第[一二三四五六七八九十\d]{1,3}[章节条部分])")
ENDS_SENTENCE = tuple("。！？；：!?;:")
PAGE_NUMBER = re.compile(r"^(?:[-—–－‐﹣―]\s*\d{1,4}\s*[-—–－‐﹣―]|"
                         r"第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})$")
BARE_NUMBER = re.compile(r"^\d{1,4}$")
OPENING = "（(《〈“‘「『【〔［"
CLOSING = "）)》〉”’」』】〕］，。、；：？！,.;:?!%％…"
EDGE = 3  # lines at the top and at the bottom of a page that may be its header or footer


@dataclass
class Line:
    """One printed line: its text and where it stands (x from its first to past its last character, y of its
    baseline, the font size), and its page."""

    text: str
    x0: float
    x1: float
    y: float
    size: float
    page: int


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F", "A")


def _width(text: str) -> float:
    """In ems: a Chinese character (or full-width or ambiguous one, as Chinese fonts draw them) is one; others about
    half."""
    return sum(1.0 if _wide(ch) else 0.55 for ch in text)


def _tidy(text: str) -> str:
    """The line's text without the spaces pypdf puts between a Chinese character and a digit or letter."""
    text = text.strip()
    return re.sub(r" +", lambda m: "" if _beside_wide(text, m.start(), m.end()) else m.group(), text)


def _beside_wide(text: str, start: int, end: int) -> bool:
    return (start > 0 and _wide(text[start - 1])) or (end < len(text) and _wide(text[end]))


def page_lines(page: Any, number: int) -> list[Line]:
    """The printed lines of one pypdf page, each with its place; blank lines left out."""
    lines: list[Line] = []
    pieces: list[tuple[str, float, float, float]] = []  # (text, x, y, size) since the last line end

    def end_line() -> None:
        placed = [p for p in pieces if p[0].strip()]
        text = _tidy("".join(p[0] for p in pieces))
        if placed and text:
            x0, y, size = placed[0][1], placed[0][2], placed[0][3]
            x1 = max(x + _width(t.rstrip()) * s for t, x, _, s in placed)
            lines.append(Line(text, x0, x1, y, size, number))
        pieces.clear()

    def visit(text: str, cm: Any, tm: Any, font: Any, font_size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        size = abs(font_size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])) or 1.0
        parts = text.split("\n")
        for k, part in enumerate(parts):
            if part:
                pieces.append((part, x, y, size))
            if k < len(parts) - 1:
                end_line()

    page.extract_text(visitor_text=visit)
    end_line()
    return lines


def drop_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """Each page without its page number and the header or footer lines that stand at the same place, apart from
    the body, on two or more pages. A line of the body repeated at the top of two pages (a unit in a table) stays:
    it stands at the body's line pitch from the next."""
    pitch = _pitch([line for lines in pages for line in lines])
    apart = [_apart(lines, pitch) for lines in pages]
    seen: dict[tuple[str, int], int] = {}
    for lines, ids in zip(pages, apart, strict=True):
        for line in lines:
            if id(line) in ids:
                seen[_place(line)] = seen.get(_place(line), 0) + 1
    out = []
    for lines, ids in zip(pages, apart, strict=True):
        edge = {id(x) for x in lines[:EDGE] + lines[-EDGE:]}
        out.append([line for line in lines
                    if not ((id(line) in edge and PAGE_NUMBER.match(line.text))
                            or (id(line) in ids and (seen[_place(line)] >= 2 or BARE_NUMBER.match(line.text))))])
    return out


def _place(line: Line) -> tuple[str, int]:
    return re.sub(r"\d+", "#", line.text), round(line.y)


def _pitch(lines: list[Line]) -> float:
    """The usual distance from one line to the next on a page."""
    steps = [a.y - b.y for a, b in itertools.pairwise(lines) if a.page == b.page and a.y > b.y]
    return statistics.median(steps) if steps else 0.0


def _apart(lines: list[Line], pitch: float) -> set[int]:
    """The lines at the top and at the bottom of a page (up to EDGE each) that a wider gap than the line pitch
    sets apart from the body: where a header and a footer stand."""
    out: set[int] = set()
    if len(lines) < 2 or pitch <= 0:
        return {id(line) for line in lines} if len(lines) == 1 else out
    for k in range(1, min(EDGE, len(lines) - 1) + 1):  # the top group: lines[:k], then a gap
        if lines[k - 1].y - lines[k].y > 1.5 * pitch:
            out |= {id(line) for line in lines[:k]}
            break
    for k in range(1, min(EDGE, len(lines) - 1) + 1):  # the bottom group: lines[-k:], a gap before it
        if lines[-k - 1].y - lines[-k].y > 1.5 * pitch:
            out |= {id(line) for line in lines[-k:]}
            break
    return out


def _first_unit(text: str) -> str:
    """What the line breaker could not have left on the line before: opening marks with the character after them,
    or a run of digits and letters, and the closing marks that may not start a line."""
    m = re.match(rf"[{re.escape(OPENING)}]*(?:[0-9A-Za-z.%]+|.)[{re.escape(CLOSING)}]*", text)
    return m.group() if m else text[:1]


def join_wrapped(lines: list[Line]) -> list[str]:
    """The paragraphs' lines: each printed line joined to the one before it where that one was wrapped."""
    if not lines:
        return []
    em = statistics.median(line.size for line in lines)
    ends = [line.x1 for line in lines if _wide(line.text[-1])] or [line.x1 for line in lines]
    right = max(ends)
    left = min(line.x0 for line in lines)
    if sum(1 for x1 in ends if x1 >= right - em) < 2:  # no right edge that lines reach: nothing was wrapped
        return [line.text for line in lines]
    starts = [line.x0 - left for line in lines]
    indented = sum(1 for s in starts if 1.5 * em <= s <= 2.5 * em) >= max(3, len(lines) // 5)
    pitch = _pitch(lines)
    out = [lines[0].text]
    for a, b in itertools.pairwise(lines):
        if _wrapped(a, b, em, left, right, indented, pitch):
            out[-1] += b.text
        else:
            out.append(b.text)
    return out


def _centred(line: Line, em: float, left: float, right: float) -> bool:
    return abs((line.x0 + line.x1) / 2 - (left + right) / 2) < em and line.x0 > left + em


def _wrapped(a: Line, b: Line, em: float, left: float, right: float, indented: bool, pitch: float) -> bool:
    if STARTS_ITEM.match(b.text) or BARE_NUMBER.match(b.text) \
            or a.x1 + _width(_first_unit(b.text)) * em <= right - 0.3 * em:
        return False
    if a.page == b.page and pitch and a.y - b.y > 1.6 * pitch:  # a gap: paragraphs spaced apart
        return False
    if a.x0 > left + 6 * em and not _centred(a, em, left, right):  # a cell of a table's right-hand column
        return False
    centred = _centred(b, em, left, right)
    at_margin = b.x0 <= left + 0.5 * em
    continued = (b.x0 <= a.x0 + 0.3 * em or centred
                 or (STARTS_ITEM.match(a.text) is not None and b.x0 <= a.x0 + 6 * em))
    if not continued:
        return False
    return not a.text.endswith(ENDS_SENTENCE) or (indented and at_margin)


def pdf_lines(pages: list[Any]) -> str:
    """The text of pypdf pages as lines of paragraphs, furniture dropped."""
    printed = drop_furniture([page_lines(page, k) for k, page in enumerate(pages)])
    return "\n".join(join_wrapped([line for lines in printed for line in lines]))
