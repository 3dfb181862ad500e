"""Plan text -> the seed part of the model.

Reads a Chinese action plan of the genre (guiding ideology, principles, overall goal and sub-targets with
indicators, safeguard measures, areas holding numbered key tasks). Every item keeps its verbatim quote and its
character offsets in the source.

Every line ends in exactly one place: an entity or a kept span (placed), a known piece of boilerplate (headings,
the notice block, bylines, blank lines), or `unplaced` with its line number and text. A section the text lacks
is a warning. `strict=True` turns the first warning or unplaced line into a `ParseError` naming its line.

The text is first translated character-for-character from full-width to ASCII punctuation, so the parser
sees one spelling of `(一)`, `,` and `:` while every offset still points into the original text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ParseError, UsageError
from kg.ingest import parse_front as front
from kg.ingest.parse_indicators import parse_indicators
from kg.ingest.parsed import (
    CN_NUM,
    FULLWIDTH,
    ParsedIndicator,
    ParsedItem,
    ParsedPlan,
    ParseWarning,
    Span,
    Unplaced,
    cn_number,
)

__all__ = [
    "ParseWarning",
    "ParsedIndicator",
    "ParsedItem",
    "ParsedPlan",
    "Span",
    "Unplaced",
    "parse_file",
    "parse_period",
    "parse_text",
]

RE_LEVEL1 = re.compile(rf"^([{CN_NUM}]{{1,3}})、\s*")  # 一、
RE_LEVEL2 = re.compile(rf"^\(([{CN_NUM}]{{1,3}})\)\s*")  # (一)
RE_LEVEL3 = re.compile(r"^(\d{1,3})(?:\.(?!\d)|、)\s*")  # 1. / 1、 (not 1.5)
RE_LEVEL4 = re.compile(r"^\((\d{1,3})\)\s*")  # (1): below 1., or the tasks of a chapter's sections
RE_CHAPTER = re.compile(rf"^第([{CN_NUM}]{{1,3}})章\s*")  # 第一章: above 一、 in a plan laid out in chapters
RE_PART = re.compile(rf"^第([{CN_NUM}]{{1,3}})节\s*")  # 第一节: a chapter's sections
# 专栏1 重大工程: a box beside the text
RE_BOX = re.compile(rf"^专栏\s*(?:\d{{1,3}}|[{CN_NUM}]{{1,3}})(?![\d{CN_NUM}])")
# how deep each heading level sits: a chapter, its sections, then 一、, (一) and 1.
DEPTH = {"c1": 0, "c2": 1, "l1": 2, "l2": 3, "l3": 4, "l4": 5}
RE_CREDITS = re.compile(r"(?:^|\s)[^\s/]{1,12}/(整理|制图|编辑|摄影|校对)")
RE_REGION = re.compile(r"^(?P<region>[\u4e00-\u9fff]{1,10}?(?:市|区|县|州|盟|示范区|新区|开发区|高新区|片区|经济区|"
                       r"都市圈|经济带|城市群))(?P<sep>[:。])")
RE_GOAL_OPENING = re.compile(r"^(?:力争)?(?:到\d{4}年|通过三年|经过三年)")

SECTION_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("ideology", ("指导思想",)),
    ("principles", ("基本原则", "工作原则", "主要原则", "遵循原则")),
    ("targets", ("分项目标", "具体目标", "主要指标", "区域目标", "区域发展目标", "各地目标")),
    ("goal", ("总体目标", "主要目标", "发展目标", "行动目标", "工作目标", "三年目标", "预期目标")),
    ("measures", ("保障措施", "保障机制", "组织保障", "组织实施")),
    ("tasks", ("重点任务", "主要任务", "重点工作", "主要措施", "重点举措", "主要举措", "重点行动")),
    ("general", ("总体要求",)),
]
SECTION_NAMES = {"ideology": "指导思想", "principles": "基本原则", "goal": "总体目标", "targets": "分项目标",
                 "tasks": "重点任务", "measures": "保障措施"}


@dataclass
class _Line:
    no: int  # 1-based, counted by \n as an editor counts them
    start: int  # offset of the first non-blank character
    raw: str  # original text, stripped
    norm: str  # punctuation-normalised, same length as raw


def _lines(text: str) -> tuple[list[_Line], int]:
    """The non-blank lines and the number of lines; only \\n ends a line (a CRLF's \\r is stripped)."""
    out, pos = [], 0
    pieces = text.split("\n")
    if pieces and pieces[-1] == "":
        pieces.pop()
    for no, piece in enumerate(pieces, start=1):
        stripped = piece.strip()
        if stripped:
            start = pos + piece.index(stripped)
            out.append(_Line(no, start, stripped, stripped.translate(FULLWIDTH)))
        pos += len(piece) + 1
    return out, len(pieces)


def _numbering(norm: str) -> tuple[str | None, int | None, int]:
    """(level, number, length of the prefix) for 第一章 / 第一节 / 一、 / (一) / 1. headings."""
    for level, rx in (("c1", RE_CHAPTER), ("c2", RE_PART), ("l1", RE_LEVEL1), ("l2", RE_LEVEL2)):
        m = rx.match(norm)
        if m:
            return level, cn_number(m.group(1)), m.end()
    for level, rx in (("l3", RE_LEVEL3), ("l4", RE_LEVEL4)):
        m = rx.match(norm)
        if m:
            return level, int(m.group(1)), m.end()
    return None, None, 0


def _section_of(head: str) -> str | None:
    if len(head) > 30:
        return None
    for section, words in SECTION_KEYWORDS:
        if any(w in head for w in words):
            return section
    return None


def _head_body(norm: str, offset: int) -> tuple[str, int, str, int]:
    """Split 'Title。Body' at the first 。; returns (head, head offset, body, body offset) within the line."""
    cut = norm.find("。", offset)
    if cut == -1:
        return norm[offset:], offset, "", len(norm)
    return norm[offset:cut], offset, norm[cut + 1:], cut + 1


class _Parser:
    def __init__(self, text: str, source: str, period: tuple[int, int] | None) -> None:
        self.plan = ParsedPlan(source=source, text=text)
        self.src = source
        self.period = period
        self.section: str | None = None
        self.kinds: dict[int, str] = {}  # line -> placed | boilerplate | unplaced
        self.areas_level = "l2"  # (一) headings are areas; "l1" when each 二、三、… heading is an area; "auto" under
        # a chapter (第二章 重点任务): the first heading below it, 第一节, 一、 or (一)
        self.task_level: str | None = None  # set under chapters: the first numbered level below an area
        self.box = False  # inside a 专栏 (a box of projects or figures beside the text), until the next heading
        self.pending_title: _Line | None = None
        self.title_lines: list[_Line] = []
        self.region_section = False  # under a heading such as 区域目标, 沈阳市。… is a region's target
        self.restarts = False  # task numbers start again at 1 in each area
        self.task_count = 0
        self.last_task: ParsedItem | None = None
        # Continuation paragraphs, joined once at the end: appending to a growing string per line is quadratic.
        self.more: dict[tuple[int, str], tuple[ParsedItem, str, list[str]]] = {}
        self.ideology_end: int | None = None
        self.seen: list[tuple[int, str]] = []  # (line, norm) of content lines, for a period read from the body
        self.front_lines: set[str] = set()  # the front block's short lines, known again as page headers

    # -- where each line ends ------------------------------------------------------------------------------
    def placed(self, line: _Line) -> None:
        self.kinds.setdefault(line.no, "placed")

    def boilerplate(self, line: _Line) -> None:
        self.kinds.setdefault(line.no, "boilerplate")

    def unplaced(self, line: _Line, what: str) -> None:
        section = self.section or "before any section"
        self.plan.unplaced.append(Unplaced(line.no, line.start, line.raw, f"cannot place this line in section "
                                           f"'{section}': {what}: {line.raw[:60]!r}"))
        self.kinds.setdefault(line.no, "unplaced")

    def warn(self, line: int, message: str) -> None:
        self.plan.warnings.append(ParseWarning(line, message))

    def span(self, line: _Line, offset: int = 0, length: int | None = None) -> Span:
        end = len(line.raw) if length is None else offset + length
        return Span(line.raw[offset:end], line.start + offset, line.no)

    def run(self) -> ParsedPlan:
        lines, total = _lines(self.plan.text)
        if not lines:
            raise ParseError(self.src, 1, "the plan text is empty")
        for line in lines:
            self.feed(line)
        self.flush_title()
        self.finish(lines[-1])
        for line in lines:  # a safety net: a line no handler marked is listed, never counted as read
            if line.no not in self.kinds:
                self.unplaced(line, "no rule read this line")
        kinds = [self.kinds.get(no, "boilerplate") for no in range(1, total + 1)]  # the rest are blank lines
        self.plan.lines = {"total": total, **{k: kinds.count(k) for k in ("placed", "boilerplate", "unplaced")}}
        self.plan.unplaced.sort(key=lambda u: (u.line, u.start))
        self.plan.warnings.sort(key=lambda w: w.line)
        return self.plan

    def feed(self, line: _Line) -> None:
        if len(line.norm) < 40 and RE_CREDITS.search(line.norm):
            self.plan.credits.append(self.span(line))
            self.boilerplate(line)
            return
        if front.RE_BOILERPLATE.match(line.norm) or self.is_running_header(line):
            self.boilerplate(line)
            return
        # A .docx table row (cells joined by tabs; `一、<tab>总体要求` is Word's numbering, not a row): no rule
        # reads tables yet, and none is lost or appended to a task.
        if "\t" in line.raw and _numbering(line.norm)[0] is None:
            self.unplaced(line, "a table row (cells joined by tabs); tables are not read into plan items")
            return
        level, _number, prefix = _numbering(line.norm)
        head, _, body, body_at = _head_body(line.norm, prefix)
        section = _section_of(head) if level not in ("l3", "l4") else None
        if self.in_box(line, level, section):
            return
        # A heading naming the section we are already in is content: a measure titled 加强组织保障, say.
        if section is not None and section != self.section:
            self.seen.append((line.no, line.norm))
            self.flush_title()
            if self.section is None:
                self.remember_front()
            if section == "tasks":
                self.areas_level, self.task_level = ("auto", None) if level == "c1" else ("l2", None)
            self.section = section
            self.region_section = section == "targets" and re.search(r"区域|各地|各市", head) is not None
            if body.strip():
                self.content(line, body_at)
            else:
                self.boilerplate(line)
            return
        # Plans without a 重点任务 heading: each further 二、三、… heading is an area of tasks.
        if level in ("l1", "c1") and section is None and self.section in ("general", "ideology", "principles",
                                                                          "goal", "targets"):
            self.section, self.areas_level = "tasks", level
            self.task_level = "auto" if level == "c1" else None  # a chapter's tasks: 第一节, 一、 or (一) below it
        self.seen.append((line.no, line.norm))
        self.content(line, 0)

    def is_running_header(self, line: _Line) -> bool:
        """A page header repeated mid-document (a PDF's text layer or a printed page has one on every page): once
        a section has begun, a short line equal to the title, the notice heading or a line of the letterhead, or
        a date on its own (the signature's), belongs to no task or measure it would otherwise be appended to."""
        if self.section is None or len(line.norm) >= 80:
            return False
        if front.RE_DATE.match(line.norm):
            return True
        return line.norm in self.front_lines or line.norm.replace(" ", "") in self.front_lines

    def remember_front(self) -> None:
        """The letterhead, notice heading, authority and title as written, to know them again as page headers."""
        spans = [s for k, s in self.plan.notice.items() if k in ("heading", "authority", "title")]
        spans += [s for s in self.plan.front_matter if len(s.quote) < 80 and "。" not in s.quote]
        for s in spans:
            self.front_lines.add(s.quote.translate(FULLWIDTH))
            self.front_lines.add("".join(s.quote.translate(FULLWIDTH).split()))
        if self.plan.title:
            self.front_lines.add(self.plan.title.translate(FULLWIDTH))

    def content(self, line: _Line, at: int) -> None:
        handler = getattr(self, f"on_{self.section or 'front'}")
        handler(line, at)

    # -- before the first section: notice block, title, preamble -----------------------------------------
    def flush_title(self) -> None:
        """A title fragment that no title line followed is preamble."""
        if self.pending_title is not None:
            self.plan.front_matter.append(self.span(self.pending_title))
            self.placed(self.pending_title)
            self.pending_title = None

    def on_front(self, line: _Line, at: int) -> None:
        n, notice = line.norm, self.plan.notice
        quoted = front.quoted_title(line.raw)
        if self.title_lines and front.is_period_line(n) and line.no == self.title_lines[-1].no + 1:
            self.set_title(*self.title_lines, line)  # (2023—2025年) on the line under the title
            return
        if self.pending_title is not None:
            pending = self.pending_title
            self.pending_title = None
            if front.is_title(n) and "title" not in notice and line.no == pending.no + 1 \
                    and not front.names_a_place(n):  # 某市…方案 is a whole title; 三年行动方案 ends one
                self.set_title(pending, line)
                return
            self.plan.front_matter.append(self.span(pending))
            self.placed(pending)
        if (front.RE_NOTICE_HEADING.match(n) and "《" in n and len(n) < 100) or front.is_issuing_heading(n):
            notice["heading"] = self.span(line)
            self.boilerplate(line)
        elif n.endswith(":") and len(n) < 80 and "。" not in n:
            notice["addressees"] = self.span(line)
            self.boilerplate(line)
        elif "《" in n and front.RE_ISSUANCE.search(n) and len(n) < 200:
            notice["issuance"] = self.span(line)
            self.boilerplate(line)
        elif re.fullmatch(r"\(此件[^)]{0,40}\)", n):
            notice["publication"] = self.span(line)
            self.boilerplate(line)
        elif front.RE_DATE.match(n):
            notice["date"] = self.span(line)
            self.boilerplate(line)
        elif len(n) < 30 and "。" not in n and front.RE_AUTHORITY.search(n):
            notice["authority"] = self.span(line)
            self.boilerplate(line)
        elif front.is_title(n) and "title" not in notice:
            self.set_title(line)
        elif "title" not in notice and front.is_title_fragment(n):
            self.pending_title = line
        else:
            self.plan.front_matter.append(self.span(line))
            self.placed(line)
        if quoted and self.plan.title is None:
            self.plan.title = quoted
            self.title_years(quoted)

    def set_title(self, *lines: _Line) -> None:
        """The title from one line, or from two or three (a title split over two, its period under it)."""
        first, last = lines[0], lines[-1]
        quote = self.plan.text[first.start:last.start + len(last.raw)]
        self.plan.notice["title"] = Span(quote, first.start, first.no)
        self.plan.title = "".join(line.raw for line in lines)
        for line in lines:
            self.placed(line)
        self.title_lines = list(lines)
        self.plan.start_year = self.plan.end_year = None
        self.title_years(self.plan.title)

    def title_years(self, title: str) -> None:
        if self.plan.start_year is None:
            found = front.years(title)
            if found:
                self.plan.start_year, self.plan.end_year = found
                self.plan.period_from = "title"

    def on_general(self, line: _Line, at: int) -> None:
        """Text straight under 总体要求: the ideology paragraph or the goal, when they have no heading."""
        n = line.norm
        if self.plan.ideology is None and n.startswith("以", at) and "为指导" in n:
            self.on_ideology(line, at)
        elif RE_GOAL_OPENING.match(n, at) and self.plan.goal is None:
            self.section = "goal"
            self.on_goal(line, at)
        else:
            self.plan.intros.setdefault("general", []).append(self.span(line, at))
            self.placed(line)

    def on_ideology(self, line: _Line, at: int) -> None:
        self.placed(line)
        if self.plan.ideology is None:
            self.plan.ideology = self.span(line, at)
        else:  # a second paragraph of the guiding ideology: the span grows to its end (built in finish)
            self.ideology_end = line.start + len(line.raw)

    # -- principles: ——坚持…。 / 一是坚持… / 1.坚持… / 坚持…。 ----------------------------------------------------
    def on_principles(self, line: _Line, at: int) -> None:
        n = line.norm
        if n.startswith("——", at):
            head, h_at, _, _ = _head_body(n, at + 2)
            self.add_principle(line, h_at, head, at)
            return
        enumerated = list(re.finditer(rf"([{CN_NUM}]{{1,3}})是", n[at:at + 2000]))
        if enumerated and enumerated[0].start() == 0:
            bounds = [m.start() + at for m in enumerated] + [len(n)]
            for m, (s, e) in zip(enumerated, itertools.pairwise(bounds), strict=False):
                name_at = s + len(m.group(0))
                name = re.split(r"[,;。]", n[name_at:e])[0]
                piece = n[s:e].rstrip(";,")
                self.add_principle(line, name_at, name, s, len(piece))
            return
        level, _, prefix = _numbering(n)
        if level is not None:
            head, h_at, _, _ = _head_body(n, prefix)
            self.add_principle(line, h_at, head, 0)
            return
        if n.startswith("坚持", at):
            head, h_at, _, _ = _head_body(n, at)
            if len(head) > 20:
                head = re.split(r"[,;]", head)[0]
            self.add_principle(line, h_at, head, at)
            return
        if n.endswith(":") or not self.plan.principles:
            self.plan.intros.setdefault("principles", []).append(self.span(line, at))
            self.placed(line)
            return
        self.unplaced(line, "a principle starts with ——, 一是, 坚持 or a number")

    def add_principle(self, line: _Line, name_at: int, name: str, quote_at: int, length: int | None = None) -> None:
        name = name.strip()
        self.placed(line)
        self.plan.principles.append(ParsedItem(len(self.plan.principles) + 1, name, self.span(line, quote_at, length),
                                               text=line.raw[quote_at: None if length is None else quote_at + length]))

    # -- overall goal, then the sub-targets -------------------------------------------------------------
    def on_goal(self, line: _Line, at: int) -> None:
        if self.plan.goal is None:
            self.plan.goal = self.span(line, at)
            self.placed(line)
            self.plan.goal_indicators += parse_indicators(line.norm[at:], line.start + at, line.no, None,
                                                          self.plan.text, self.plan.unplaced)
            return
        self.on_targets(line, at)

    def on_targets(self, line: _Line, at: int) -> None:
        n = line.norm
        _, _, prefix = _numbering(n)
        at = max(at, prefix)
        if n.startswith("——", at):
            at += 2
        head, _, body, b_at = _head_body(n, at)
        staged = re.match(r"^(?:到)?\d{4}年", head)
        region = RE_REGION.match(n, at)
        if region and (region.group("sep") == ":" or self.region_section):
            b_at = region.end()
            self.add_target(line, at, region.group("region"), b_at, region=region.group("region"))
            return
        if body and len(head) <= 16 and not re.search(r"[,、:;]", head) and not staged:
            self.add_target(line, at, head.strip(), b_at)
            return
        if staged and self.plan.targets:  # a staged paragraph (到2024年…) continues the last target
            target = self.plan.targets[-1]
            target.indicators += parse_indicators(n[at:], line.start + at, line.no, None, self.plan.text,
                                                  self.plan.unplaced)
            self.extend(target, "text", line.raw[at:])
            self.placed(line)
            return
        if not self.plan.targets and self.plan.goal is not None and self.section == "goal":
            self.plan.intros.setdefault("goal", []).append(self.span(line, at))
            self.plan.goal_indicators += parse_indicators(n[at:], line.start + at, line.no, None, self.plan.text,
                                                          self.plan.unplaced)
            self.placed(line)
            return
        self.unplaced(line, "a sub-target starts with a short title ending in 。 (such as 经济实力实现新跨越。) "
                      "or a region and a colon (such as 沈抚示范区:)")

    def add_target(self, line: _Line, at: int, name: str, b_at: int, region: str | None = None) -> None:
        indicators = parse_indicators(line.norm[b_at:], line.start + b_at, line.no, None, self.plan.text,
                                      self.plan.unplaced, subject=region)
        self.plan.targets.append(ParsedItem(len(self.plan.targets) + 1, name, self.span(line, at),
                                            text=line.raw[b_at:], indicators=indicators, region=region))
        self.placed(line)

    # -- safeguard measures -----------------------------------------------------------------------------
    def on_measures(self, line: _Line, at: int) -> None:
        n = line.norm
        _, _, prefix = _numbering(n)
        at = max(at, prefix)
        head, _, body, b_at = _head_body(n, at)
        if (body or n.endswith("。")) and len(head) <= 20 and not re.search(r"[,、;]", head):
            self.plan.measures.append(ParsedItem(len(self.plan.measures) + 1, head.strip(), self.span(line, at),
                                                 text=line.raw[b_at:]))
        elif self.plan.measures:
            self.extend(self.plan.measures[-1], "text", line.raw[at:])
        elif n.endswith(":") or n.endswith("。"):
            self.plan.intros.setdefault("measures", []).append(self.span(line, at))
        else:
            self.unplaced(line, "a measure starts with a short title ending in 。")
            return
        self.placed(line)

    # -- areas and their numbered tasks ------------------------------------------------------------------
    def in_box(self, line: _Line, level: str | None, section: str | None) -> bool:
        """Whether `line` belongs to a 专栏 (a box of projects or figures set beside the text): its heading and the
        lines under it, kept as the box's text, until a heading at the areas' level or above, or a section's.
        Its numbered lines are the box's items, not tasks; a table row in it is reported as any table row is."""
        if RE_BOX.match(line.norm):
            self.box = True
            self.plan.intros.setdefault("boxes", []).append(self.span(line))
            self.placed(line)
            return True
        if not self.box:
            return False
        areas = self.areas_level if self.section == "tasks" and self.areas_level in DEPTH else "l2"
        if section is not None or (level is not None and DEPTH[level] <= DEPTH[areas]):
            self.box = False
            return False
        if "\t" in line.raw:
            return False  # a table row: said to be unplaced as one, by `feed`
        self.plan.intros.setdefault("boxes", []).append(self.span(line))
        self.placed(line)
        return True

    def on_tasks(self, line: _Line, at: int) -> None:
        n = line.norm
        level, number, prefix = _numbering(n)
        if self.areas_level == "auto" and level in ("c2", "l1", "l2"):
            self.areas_level, self.task_level = level, "auto"  # under a chapter: the first level below it
        if (self.task_level == "auto" and self.plan.areas and level is not None
                and DEPTH[level] > DEPTH.get(self.areas_level, 0)):
            self.task_level = level
        if self.task_level not in (None, "auto"):
            task_level = self.task_level
        else:
            task_level = "l3" if self.areas_level == "l2" else "l2"
        if level == "c1" and self.areas_level != "c1":  # a chapter grouping areas: said, then its areas follow
            self.plan.intros.setdefault("tasks", []).append(self.span(line, prefix))
            self.last_task = None
            self.placed(line)
            return
        if level == task_level and number is not None:
            self.add_task(line, number, prefix)
            return
        area = re.search(r"在(?P<name>[^,]{1,40}?)上(?:实现|取得)新突破$", n[-60:])
        if level == self.areas_level or (self.areas_level == "l2" and level == "l1") or (area and not n.endswith("。")):
            self.add_area(line, prefix, plus_one=level is None)
            if self.task_level is not None:  # under chapters, each area's tasks are the first level below it
                self.task_level = "auto"
            return
        self.placed(line)
        current = self.plan.areas[-1] if self.plan.areas else None
        if current is not None and not current.tasks and current.description is None:
            current.description = line.raw[at:]
            current.description_span = self.span(line, at)
        elif current is not None and not current.tasks and current.description is not None:
            self.extend(current, "description", line.raw[at:])  # a second paragraph of the area's description
        elif self.last_task is not None:
            self.extend(self.last_task, "task_text", line.raw[at:])
        else:
            self.plan.intros.setdefault("tasks", []).append(self.span(line, at))

    def add_task(self, line: _Line, number: int, prefix: int) -> None:
        if not self.plan.areas:
            self.unplaced(line, "a numbered task before any area heading")
            return
        area = self.plan.areas[-1]
        head, _, body, b_at = _head_body(line.norm, prefix)
        sequence = self.task_count + 1
        if number != sequence and number == len(area.tasks) + 1:
            self.restarts = True
        elif number != sequence:
            expected = len(area.tasks) + 1 if self.restarts else sequence
            self.warn(line.no, f"task number {number} out of sequence (expected {expected})")
        task = ParsedItem(sequence, head.strip(), self.span(line), text=line.raw[b_at:] if body else "",
                          written_number=number if number != sequence else None)
        area.tasks.append(task)
        self.task_count, self.last_task = sequence, task
        self.placed(line)

    def add_area(self, line: _Line, prefix: int, plus_one: bool) -> None:
        n = line.norm[prefix:]
        m = re.search(r"(?:着力|聚焦|突出)(?P<focus>[^,]{1,40}),在(?P<name>[^,]{1,40}?)上(?:实现|取得)新突破$", n[-90:])
        description = description_span = None
        if m:
            name, focus = m.group("name"), m.group("focus")
        else:
            plain = re.search(r"在(?P<name>[^,]{1,40}?)上(?:实现|取得)新突破$", n[-60:])
            head, _, body, b_at = _head_body(line.norm, prefix)
            name, focus = (plain.group("name") if plain else (head if body else n.rstrip("。"))), None
            if body and not plain:
                description, description_span = line.raw[b_at:], self.span(line, b_at)
        self.plan.areas.append(ParsedItem(len(self.plan.areas) + 1, name, self.span(line, prefix),
                                          text=line.raw[prefix:], focus=focus, description=description,
                                          description_span=description_span,
                                          plus_one=plus_one and bool(self.plan.areas)))
        self.placed(line)

    # -- the end: period, missing sections, names in the plan's own spelling -----------------------------
    def extend(self, item: ParsedItem, attr: str, piece: str) -> None:
        self.more.setdefault((id(item), attr), (item, attr, []))[2].append(piece)

    def join_more(self) -> None:
        for item, attr, pieces in self.more.values():
            if attr == "task_text":  # a task's first paragraph may be its title line alone
                item.text = "\n".join([item.text, *pieces] if item.text else pieces)
            else:
                setattr(item, attr, "\n".join([getattr(item, attr) or "", *pieces]))
        if self.ideology_end is not None and self.plan.ideology is not None:
            first = self.plan.ideology
            self.plan.ideology = Span(self.plan.text[first.start:self.ideology_end], first.start, first.line)

    def finish(self, last: _Line) -> None:
        p = self.plan
        self.join_more()
        self.read_period()
        for what, items, section in (("principles", p.principles, "principles"),
                                     ("sub-targets", p.targets, "targets"), ("areas", p.areas, "tasks"),
                                     ("key tasks", p.tasks, "tasks"), ("safeguard measures", p.measures, "measures")):
            if not items:
                self.warn(last.no, f"reached the end without finding any {what} ({SECTION_NAMES[section]}); "
                                   "the text may be an excerpt or have another shape")
        if p.goal is None:
            self.warn(last.no, "reached the end without finding the overall goal (总体目标)")
        for ind in [*p.indicators, *p.goal_indicators]:
            ind.target_year = ind.target_year or p.end_year
            ind.metric = _original(ind.span.quote, ind.metric)
            ind.reference = ind.reference and _original(ind.span.quote, ind.reference)
        for item in [*p.principles, *p.targets, *p.measures, *p.areas, *p.tasks]:
            item.name = _original(item.span.quote, item.name)
            item.focus = item.focus and _original(item.span.quote, item.focus)

    def read_period(self) -> None:
        p = self.plan
        title_line = p.notice["title"].line if "title" in p.notice else 1
        if self.period is not None:
            if p.end_year is not None and (p.start_year, p.end_year) != self.period:
                self.warn(title_line, f"--period {self.period[0]}-{self.period[1]} differs from the title's "
                                      f"{p.start_year}-{p.end_year}; --period is used")
            (p.start_year, p.end_year), p.period_from = self.period, "option"
            return
        if p.end_year is not None:
            return
        found = front.body_period(self.seen, p.title)
        if found is None:
            self.warn(title_line, "no plan period found (valid: a title such as 《…三年行动方案(2023—2025年)》, "
                                  "or say it with --period 2023-2025)")
            return
        no, start, end, words = found
        p.start_year, p.end_year, p.period_from = start, end, "body"
        shown = f"{start}-{end}" if start else f"the end year {end}"
        self.warn(title_line, f"no plan period found in the title; read {shown} from line {no} ({words}) "
                              "(say it with --period 2023-2025)")


def _original(quote: str, normalised: str) -> str:
    """The plan's own spelling of a name found in the normalised text (same length, same place)."""
    at = quote.translate(FULLWIDTH).find(normalised)
    return quote[at:at + len(normalised)] if at >= 0 else normalised


def parse_period(text: str) -> tuple[int, int]:
    """'2023-2025' (or 2023—2025) -> (2023, 2025); a UsageError otherwise."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-—–~～至]\s*(\d{4})\s*", text)
    if m is None or int(m.group(1)) > int(m.group(2)):
        raise UsageError(f"--period {text!r} is not a period (valid: two years, such as 2023-2025)")
    return int(m.group(1)), int(m.group(2))


def check_strict(plan: ParsedPlan) -> None:
    """Today's all-or-nothing reading: the first warning or unplaced line (by line) is an error."""
    # on one line, what the line says comes before what the end of the text lacks
    problems = [(u.line, 0, u.reason) for u in plan.unplaced] + [(w.line, 1, w.message) for w in plan.warnings]
    if problems:
        line, _, message = min(problems, key=lambda p: p[:2])
        raise ParseError(plan.source, line, message)


def parse_text(text: str, source: str = "<text>", *, strict: bool = False,
               period: tuple[int, int] | None = None) -> ParsedPlan:
    """Parse a plan's text; `source` names it in errors and provenance."""
    plan = _Parser(text, source, period).run()
    if strict:
        check_strict(plan)
    return plan


def parse_file(path: Path, *, strict: bool = True, encoding: str | None = None,
               period: tuple[int, int] | None = None) -> ParsedPlan:
    """Read a plan file (.txt in UTF-8/GB18030, .docx, text-layer .pdf) and parse it.

    Strict by default: the graph is built only from a text read whole. `kg parse` reads leniently.
    """
    from kg.ingest.read import read_document

    document = read_document(path, encoding)
    source = path.name if document.extraction == "text" else f"{path.name} ({document.extraction} text)"
    plan = parse_text(document.text, source, strict=False, period=period)
    plan.extraction, plan.encoding = document.extraction, document.encoding
    if strict:
        check_strict(plan)
    return plan
