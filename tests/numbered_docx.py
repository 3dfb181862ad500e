""".docx files numbered the way Word numbers them (w:numPr -> word/numbering.xml), not with typed numbers, for the
tests of kg/ingest/docx_numbering.py: the numbers are in no paragraph's text, only in the numbering definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

W_NS = nsdecls("w")


@dataclass(frozen=True)
class Lvl:
    fmt: str
    text: str
    start: int = 1
    restart: int | None = None  # w:lvlRestart
    suffix: str | None = None  # w:suff: tab (Word's default) | space | nothing
    style: str | None = None  # w:pStyle
    legal: bool = False

    def xml(self, ilvl: int) -> str:
        parts = [f'<w:start w:val="{self.start}"/>', f'<w:numFmt w:val="{self.fmt}"/>']
        if self.restart is not None:
            parts.append(f'<w:lvlRestart w:val="{self.restart}"/>')
        if self.style:
            parts.append(f'<w:pStyle w:val="{self.style}"/>')
        if self.legal:
            parts.append("<w:isLgl/>")
        if self.suffix:
            parts.append(f'<w:suff w:val="{self.suffix}"/>')
        parts.append(f'<w:lvlText w:val="{self.text}"/><w:lvlJc w:val="left"/>')
        return f'<w:lvl w:ilvl="{ilvl}">{"".join(parts)}</w:lvl>'


def define_lists(document: Any, abstracts: dict[int, list[Lvl]], nums: dict[int, tuple[int, dict[int, int]]]) -> None:
    """Add abstract lists (id -> levels) and lists (numId -> (abstract id, {level: startOverride})) to the
    document's numbering part, abstract ones before the first w:num as the schema orders them."""
    root = document.part.numbering_part.element
    first_num = root.find(qn("w:num"))
    for key, levels in abstracts.items():
        body = "".join(lvl.xml(i) for i, lvl in enumerate(levels))
        element = parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="{key}">'
                            f'<w:multiLevelType w:val="multilevel"/>{body}</w:abstractNum>')
        if first_num is not None:
            first_num.addprevious(element)
        else:
            root.append(element)
    for num_id, (abstract, starts) in nums.items():
        overrides = "".join(f'<w:lvlOverride w:ilvl="{k}"><w:startOverride w:val="{v}"/></w:lvlOverride>'
                            for k, v in starts.items())
        root.append(parse_xml(f'<w:num {W_NS} w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/>'
                              f"{overrides}</w:num>"))


def number(paragraph: Any, num_id: int, ilvl: int | None = 0) -> Any:
    """Give a paragraph (or a style's element) w:numPr."""
    element = paragraph._p if hasattr(paragraph, "_p") else paragraph
    num_pr = element.get_or_add_pPr().get_or_add_numPr()
    if ilvl is not None:
        num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = num_id
    return paragraph


# The plan's three levels as a planning office sets them up in Word: 一、 and （一） with no gap after the number,
# 1. followed by Word's default tab.
PLAN_LEVELS = [Lvl("chineseCounting", "%1、", suffix="nothing"), Lvl("chineseCounting", "（%2）", suffix="nothing"),
               Lvl("decimal", "%3.")]
TYPED = [re.compile(r"^[一二三四五六七八九十]+、"), re.compile(r"^（[一二三四五六七八九十]+）"),
         re.compile(r"^\d+\.(?!\d)")]


def typed_level(line: str) -> tuple[int | None, str]:
    """(level, the line without its typed number) for 一、 / （一） / 1. lines; (None, line) for others."""
    for level, rx in enumerate(TYPED):
        m = rx.match(line)
        if m:
            return level, line[m.end():]
    return None, line


def write_plan(path: Path, text: str, *, tasks_continue: bool, through_styles: bool) -> Path:
    """The plan text with its typed 一、 / （一） / 1. taken out and given back by Word's numbering: one multilevel
    list; tasks numbered on through the areas (w:lvlRestart 1) when `tasks_continue`, else restarting under each
    （一）; the numbering set on three paragraph styles (as a template's 标题 styles carry it) when `through_styles`,
    else on each paragraph."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    levels = list(PLAN_LEVELS)
    if tasks_continue:
        levels[2] = Lvl("decimal", "%3.", restart=1)
    define_lists(document, {90: levels}, {90: (90, {})})
    styles = []
    if through_styles:
        for k in range(3):
            style = document.styles.add_style(f"PlanLevel{k + 1}", WD_STYLE_TYPE.PARAGRAPH)
            number(style.element, 90, k)
            styles.append(style)
    for line in text.split("\n")[:-1]:
        level, rest = typed_level(line)
        if level is None:
            document.add_paragraph(line)
        elif through_styles:
            document.add_paragraph(rest, style=styles[level])
        else:
            number(document.add_paragraph(rest), 90, level)
    document.save(str(path))
    return path


def write_typed(path: Path, text: str) -> Path:
    import docx

    document = docx.Document()
    for line in text.split("\n")[:-1]:
        document.add_paragraph(line)
    document.save(str(path))
    return path
