"""Plan text -> the seed part of the model.

Reads a Chinese action plan of the genre (guiding ideology, principles, overall goal and sub-targets with
indicators, safeguard measures, areas holding numbered key tasks). Every item keeps its verbatim quote and its
character offsets in the source. A line the parser cannot place raises `ParseError` with its line number.

The text is first translated character-for-character from full-width to ASCII punctuation, so the parser
sees one spelling of `(一)`, `,` and `:` while every offset still points into the original text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ParseError

# One character in, one character out: offsets in the translated text are offsets in the source.
_FULLWIDTH = str.maketrans("（）［］，；：．！？％＋－０１２３４５６７８９", "()[],;:.!?%+-0123456789")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_NUM = "一二三四五六七八九十"

RE_LEVEL1 = re.compile(rf"^([{_CN_NUM}]+)、\s*")  # 一、
RE_LEVEL2 = re.compile(rf"^\(([{_CN_NUM}]+)\)\s*")  # (一)
RE_LEVEL3 = re.compile(r"^(\d{1,3})(?:\.(?!\d)|、)\s*")  # 1. / 1、 (not 1.5)
RE_CREDITS = re.compile(r"\S+/(整理|制图|编辑|摄影|校对)")
RE_YEARS = re.compile(r"(\d{4})\s*[—–\-~至]+\s*(\d{4})\s*年")
RE_DATE = re.compile(
    r"^(\d{4}|[〇零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日$"
)

SECTION_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("ideology", ("指导思想",)),
    ("principles", ("基本原则", "工作原则", "主要原则", "遵循原则")),
    ("targets", ("分项目标", "具体目标", "主要指标")),
    ("goal", ("总体目标", "主要目标", "发展目标", "行动目标")),
    ("measures", ("保障措施", "保障机制", "组织保障", "组织实施")),
    ("tasks", ("重点任务", "主要任务", "重点工作")),
    ("general", ("总体要求",)),
]


def _cn_number(text: str) -> int:
    """Chinese numerals up to 99: 一 -> 1, 十二 -> 12, 二十 -> 20."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[text]


@dataclass
class Span:
    """A verbatim piece of the source and where it sits."""

    quote: str
    start: int
    line: int

    @property
    def end(self) -> int:
        return self.start + len(self.quote)


@dataclass
class ParsedIndicator:
    metric: str
    indicator_kind: str
    span: Span
    target_year: int
    value: float | None = None
    unit: str | None = None
    normalized_value: float | None = None
    normalized_unit: str | None = None
    comparator: str | None = None
    comparator_zh: str | None = None
    baseline_year: int | None = None
    reference: str | None = None


@dataclass
class ParsedItem:
    """A principle, target, measure, area or task: number, title, body and where it was read."""

    number: int
    name: str
    span: Span
    text: str = ""
    focus: str | None = None
    plus_one: bool = False
    description: str | None = None
    description_span: Span | None = None
    indicators: list[ParsedIndicator] = field(default_factory=list)
    tasks: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedPlan:
    source: str  # the file name the offsets refer to
    text: str
    title: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    front_matter: list[Span] = field(default_factory=list)
    notice: dict[str, Span] = field(default_factory=dict)
    ideology: Span | None = None
    principles: list[ParsedItem] = field(default_factory=list)
    goal: Span | None = None
    targets: list[ParsedItem] = field(default_factory=list)
    measures: list[ParsedItem] = field(default_factory=list)
    areas: list[ParsedItem] = field(default_factory=list)
    credits: list[Span] = field(default_factory=list)

    @property
    def tasks(self) -> list[ParsedItem]:
        return [t for a in self.areas for t in a.tasks]

    @property
    def indicators(self) -> list[ParsedIndicator]:
        return [i for t in self.targets for i in t.indicators]


# ---------------------------------------------------------------------------------------------------------------
# Indicators


MAGNITUDES = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4}
UNITS = {"美元": "USD", "元": "CNY", "%": "percent", "个百分点": "percentage_points", "人": "people", "家": "firms",
         "个": "count", "天": "days", "吨": "tonnes", "公里": "km", "亩": "mu"}
RE_QTY = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)?\s*(?P<mag>万亿|千亿|百亿|亿|千万|百万|万)?(?P<unit>美元|元|%|个百分点|人|家|天|吨|公里|亩)"
)
# Where the metric's name ends and the statement about it begins, in the order they may appear.
RE_VERB = re.compile(
    r"年均增长|年均增速|年均|三年累计|累计|比\d{4}年|分别|达到|超过|突破|稳定在|保持在|力争|提高到|提升到|"
    r"增长到|控制在|不低于|不少于|下降|降低|减少|增长|增速为"
)
COMPARATORS = [  # (Chinese, normalised): the first that occurs wins, so the more specific come first
    ("稳定在", "stable"), ("保持在", "stable"), ("控制在", "at_most"), ("不低于", "at_least"), ("不少于", "at_least"),
    ("以上", "at_least"), ("超过", "above"), ("突破", "above"), ("高于", "above"), ("以内", "at_most"),
    ("以下", "at_most"), ("力争", "strive"), ("达到", "reach"), ("下降", "reach"), ("降低", "reach"),
]
RELATIVE = [
    (re.compile(r"^(?P<metric>.+?)(?P<cmp>高于|快于|不低于|低于)(?P<ref>.+?(?:水平|平均|增速|增长|速度))$"), None),
    (re.compile(r"^(?P<metric>.+?)与(?P<ref>.+?)(?P<cmp>同步)$"), "in_step"),
]
RELATIVE_COMPARATORS = {"高于": "above", "快于": "above", "不低于": "at_least", "低于": "below"}
QUALITATIVE = {"全国领先": ("lead", "全国"), "全省领先": ("lead", "全省"), "东北领先": ("lead", "东北"),
               "全国一流": ("lead", "全国"), "应保尽保": ("full_coverage", None)}
RE_QUAL_PREFIX = re.compile(r"^(基本实现|全面实现|实现|保持|达到)")
RE_SHARED_QUALIFIER = re.compile(r"^(单位(?:GDP|地区生产总值|工业增加值))")
RE_YEAR_WORD = re.compile(r"(?:比|到|至|在|于)?\d{4}年(?:底|末)?")


def _value(num: str | None, mag: str | None) -> float:
    return float(num) if num else 1.0  # 突破万亿元: the amount written in words is one of its magnitude


def _indicator_kind(clause: str, metric: str, unit: str) -> str:
    if "年均" in clause:
        return "annual_growth"
    if "累计" in clause:
        return "cumulative"
    if re.search(r"下降|降低|减少", clause):
        return "reduction"
    if unit == "%" and re.search(r"比重|占比|比例|率|覆盖", metric):
        return "share"
    if unit == "%" and re.search(r"增长|增速", clause):
        return "growth"
    return "level"


def _comparator(statement: str) -> tuple[str | None, str | None]:
    """Read from the statement after the metric's name, so 规模以上 in a name is not the comparator 以上."""
    found = [(zh, norm) for zh, norm in COMPARATORS if zh in statement]
    if not found:
        return None, None
    words = sorted({zh for zh, _ in found}, key=statement.index)
    return found[0][1], "…".join(words)


def _relative(clause: str) -> tuple[re.Match[str], str | None] | None:
    for rx, norm in RELATIVE:
        m = rx.match(clause)
        if m:
            return m, norm
    return None


def _quantities(clause: str) -> list[re.Match[str]]:
    """Values with units; a bare unit character (the 人 of 人均) is not a quantity."""
    return [q for q in RE_QTY.finditer(clause) if q.group("num") or q.group("mag")]


def _strip_metric(text: str) -> str:
    return text.strip(" ,;:").removeprefix("全市").strip()


def parse_indicators(body: str, body_start: int, line_no: int, default_year: int, src: str,
                     full: str) -> list[ParsedIndicator]:
    """Indicators in one target's body (already punctuation-normalised); `full` is the original text."""
    out: list[ParsedIndicator] = []
    year = default_year
    last_metric: str | None = None
    for m in re.finditer(r"[^,;。]+", body):
        raw = m.group(0)
        lead = len(raw) - len(raw.lstrip())
        clause = raw.strip()
        if not clause:
            continue
        start = body_start + m.start() + lead
        staged = re.match(r"^到(\d{4})年(?:底|末)?[,:]?", clause)
        if staged:
            year = int(staged.group(1))
            clause = clause[staged.end():]
            start += staged.end()
        span = Span(full[start:start + len(clause)], start, line_no)

        def make(_span: Span = span, _year: int = year, **kw: object) -> ParsedIndicator:
            return ParsedIndicator(span=_span, target_year=_year, **kw)  # type: ignore[arg-type]

        qualitative = next((q for q in QUALITATIVE if clause.endswith(q)), None)
        if qualitative:
            lead_kind, scope = QUALITATIVE[qualitative]
            metric = _strip_metric(RE_QUAL_PREFIX.sub("", clause[: -len(qualitative)]))
            out.append(make(metric=metric or clause, indicator_kind="qualitative", comparator=lead_kind,
                            comparator_zh=qualitative, reference=scope))
            continue
        relative = _relative(clause)
        if relative is not None and not _quantities(clause):
            rm, norm = relative
            cmp_zh = rm.group("cmp")
            out.append(make(metric=_strip_metric(rm.group("metric")), indicator_kind="relative",
                            comparator=norm or RELATIVE_COMPARATORS[cmp_zh],
                            comparator_zh=cmp_zh, reference=rm.group("ref")))
            continue
        quantities = _quantities(clause)
        if not quantities:
            if re.search(r"\d", RE_YEAR_WORD.sub("", clause)):
                raise ParseError(src, line_no, f"a number in a target that is not a recognised indicator: {clause!r} "
                                 "(valid: a metric with 达到/超过/突破/年均增长/下降 ... and a value with a unit)")
            continue
        verb = RE_VERB.search(clause)
        metric_text = clause[: verb.start()] if verb else clause[: quantities[0].start()]
        baseline = re.search(r"比(\d{4})年", clause)
        comparator, comparator_zh = _comparator(clause[len(metric_text):])
        if "分别" in clause and len(quantities) > 1:
            subjects = [s for s in re.split(r"和|、|及|与", metric_text) if s]
            if len(subjects) != len(quantities):
                raise ParseError(src, line_no, f"分别 pairs {len(subjects)} metric(s) with {len(quantities)} "
                                 f"value(s) in {clause!r} (valid: as many metrics as values)")
            shared = RE_SHARED_QUALIFIER.match(subjects[0])
            names = [s if (not shared or s.startswith(shared.group(1))) else shared.group(1) + s for s in subjects]
            pairs = list(zip(names, quantities, strict=True))
        elif len(quantities) > 1:
            raise ParseError(src, line_no, f"several values in one clause without 分别: {clause!r} "
                             "(valid: one value per clause, or 'A和B分别…X、Y')")
        else:
            name = _strip_metric(re.sub(r"三年|累计", "", metric_text)) or last_metric
            if not name:
                raise ParseError(src, line_no, f"an indicator with no metric named before it: {clause!r}")
            pairs = [(name, quantities[0])]
        for name, q in pairs:
            name = _strip_metric(name)
            value = _value(q.group("num"), q.group("mag"))
            mag = MAGNITUDES.get(q.group("mag") or "", 1.0)
            unit = (q.group("mag") or "") + q.group("unit")
            out.append(make(metric=name, indicator_kind=_indicator_kind(clause, name, q.group("unit")),
                            value=value, unit=unit, normalized_value=value * mag,
                            normalized_unit=UNITS[q.group("unit")], comparator=comparator or "reach",
                            comparator_zh=comparator_zh,
                            baseline_year=int(baseline.group(1)) if baseline else None))
            last_metric = name
    return out


# ---------------------------------------------------------------------------------------------------------------
# Lines and sections


@dataclass
class _Line:
    no: int  # 1-based
    start: int  # offset of the first non-blank character
    raw: str  # original text, stripped
    norm: str  # punctuation-normalised, same length as raw


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for no, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            start = pos + body.index(stripped)
            out.append(_Line(no, start, stripped, stripped.translate(_FULLWIDTH)))
        pos += len(line)
    return out


def _numbering(norm: str) -> tuple[str | None, int | None, int]:
    """(level, number, length of the prefix) for 一、 / (一) / 1. headings."""
    for level, rx in (("l1", RE_LEVEL1), ("l2", RE_LEVEL2)):
        m = rx.match(norm)
        if m:
            return level, _cn_number(m.group(1)), m.end()
    m = RE_LEVEL3.match(norm)
    if m:
        return "l3", int(m.group(1)), m.end()
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
    def __init__(self, text: str, source: str) -> None:
        self.plan = ParsedPlan(source=source, text=text)
        self.src = source
        self.section: str | None = None
        self.intro: dict[str, list[Span]] = {}

    def span(self, line: _Line, offset: int = 0, length: int | None = None) -> Span:
        end = len(line.raw) if length is None else offset + length
        return Span(line.raw[offset:end], line.start + offset, line.no)

    def fail(self, line: _Line, what: str) -> ParseError:
        section = self.section or "before any section"
        return ParseError(self.src, line.no, f"cannot place this line in section '{section}': {what}: "
                          f"{line.raw[:60]!r}")

    def run(self) -> ParsedPlan:
        lines = _lines(self.plan.text)
        if not lines:
            raise ParseError(self.src, 1, "the plan text is empty")
        for line in lines:
            self.feed(line)
        self.finish(lines[-1])
        return self.plan

    def feed(self, line: _Line) -> None:
        if RE_CREDITS.search(line.norm) and len(line.norm) < 40:
            self.plan.credits.append(self.span(line))
            return
        level, _number, prefix = _numbering(line.norm)
        head, _, body, body_at = _head_body(line.norm, prefix)
        section = _section_of(head) if level != "l3" else None
        # A heading naming the section we are already in is content: a measure titled 加强组织保障, say.
        if section is not None and section != self.section:
            self.section = section
            if body.strip():
                self.content(line, body_at)
            return
        self.content(line, 0)

    def content(self, line: _Line, at: int) -> None:
        handler = getattr(self, f"on_{self.section or 'front'}")
        handler(line, at)

    # -- before the first section: notice block, title, preamble -----------------------------------------
    def on_front(self, line: _Line, at: int) -> None:
        n = line.norm
        notice = self.plan.notice
        if n.endswith(":") and len(n) < 80 and "。" not in n:
            notice["addressees"] = self.span(line)
        elif "印发" in n and "《" in n:
            notice["issuance"] = self.span(line)
        elif re.fullmatch(r"\(此件[^)]*\)", n):
            notice["publication"] = self.span(line)
        elif RE_DATE.match(n):
            notice["date"] = self.span(line)
        elif len(n) < 30 and "。" not in n and re.search(r"(人民政府|委员会|办公厅|办公室|委)$", n):
            notice["authority"] = self.span(line)
        elif len(n) < 60 and "。" not in n and re.search(r"方案|规划|计划|纲要", n) and "title" not in notice:
            self.plan.title = line.raw
            notice["title"] = self.span(line)
        else:
            self.plan.front_matter.append(self.span(line))
        if self.plan.title is None or "title" not in notice:
            quoted = re.search(r"《([^》]+)》", line.raw)
            if quoted and self.plan.title is None:
                self.plan.title = quoted.group(1)
        if self.plan.start_year is None and self.plan.title:
            years = RE_YEARS.search(self.plan.title.translate(_FULLWIDTH))
            if years:
                self.plan.start_year, self.plan.end_year = int(years.group(1)), int(years.group(2))

    def on_general(self, line: _Line, at: int) -> None:
        raise self.fail(line, "text under 总体要求 before 指导思想/基本原则/总体目标")

    def on_ideology(self, line: _Line, at: int) -> None:
        if self.plan.ideology is None:
            self.plan.ideology = self.span(line, at)
        else:  # a second paragraph of the guiding ideology
            prev = self.plan.ideology
            joined = self.plan.text[prev.start: line.start + len(line.raw)]
            self.plan.ideology = Span(joined, prev.start, prev.line)

    # -- principles: ——坚持…。 / 一是坚持… / 1.坚持… ----------------------------------------------------
    def on_principles(self, line: _Line, at: int) -> None:
        n = line.norm
        if n.startswith("——", at):
            head, h_at, _, _ = _head_body(n, at + 2)
            self.add_principle(line, h_at, head, at)
            return
        enumerated = list(re.finditer(rf"([{_CN_NUM}]+)是", n[at:]))
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
        if n.endswith(":") or not self.plan.principles:
            self.intro.setdefault("principles", []).append(self.span(line, at))
            return
        raise self.fail(line, "a principle starts with ——, 一是 or a number")

    def add_principle(self, line: _Line, name_at: int, name: str, quote_at: int, length: int | None = None) -> None:
        name = name.strip()
        self.plan.principles.append(ParsedItem(len(self.plan.principles) + 1, name, self.span(line, quote_at, length),
                                               text=line.raw[quote_at: None if length is None else quote_at + length]))

    # -- overall goal, then the sub-targets -------------------------------------------------------------
    def on_goal(self, line: _Line, at: int) -> None:
        if self.plan.goal is None:
            self.plan.goal = self.span(line, at)
            return
        self.on_targets(line, at)

    def on_targets(self, line: _Line, at: int) -> None:
        n = line.norm
        _, _, prefix = _numbering(n)
        at = max(at, prefix)
        head, _, body, b_at = _head_body(n, at)
        staged = re.match(r"^到\d{4}年", head)
        if body and len(head) <= 16 and not re.search(r"[,、:;]", head) and not staged:
            year = self.plan.end_year or 0
            indicators = parse_indicators(body, line.start + b_at, line.no, year, self.src, self.plan.text)
            self.plan.targets.append(ParsedItem(len(self.plan.targets) + 1, head.strip(), self.span(line, at),
                                                text=line.raw[b_at:], indicators=indicators))
            return
        if staged and self.plan.targets:  # a staged paragraph (到2024年…) continues the last target
            target = self.plan.targets[-1]
            year = self.plan.end_year or 0
            target.indicators += parse_indicators(n[at:], line.start + at, line.no, year, self.src, self.plan.text)
            target.text += "\n" + line.raw[at:]
            return
        if not self.plan.targets and self.plan.goal is not None and self.section == "goal":
            self.intro.setdefault("goal", []).append(self.span(line, at))
            return
        raise self.fail(line, "a sub-target starts with a short title ending in 。 (such as 经济实力实现新跨越。)")

    # -- safeguard measures -----------------------------------------------------------------------------
    def on_measures(self, line: _Line, at: int) -> None:
        n = line.norm
        _, _, prefix = _numbering(n)
        at = max(at, prefix)
        head, _, body, b_at = _head_body(n, at)
        if body and len(head) <= 20 and not re.search(r"[,、;]", head):
            self.plan.measures.append(ParsedItem(len(self.plan.measures) + 1, head.strip(), self.span(line, at),
                                                 text=line.raw[b_at:]))
        elif self.plan.measures:
            self.plan.measures[-1].text += "\n" + line.raw[at:]
        elif n.endswith(":") or n.endswith("。"):
            self.intro.setdefault("measures", []).append(self.span(line, at))
        else:
            raise self.fail(line, "a measure starts with a short title ending in 。")

    # -- areas and their numbered tasks ------------------------------------------------------------------
    def on_tasks(self, line: _Line, at: int) -> None:
        n = line.norm
        level, number, prefix = _numbering(n)
        if level == "l3" and number is not None:
            if not self.plan.areas:
                raise self.fail(line, "a numbered task before any area heading")
            head, _, body, b_at = _head_body(n, prefix)
            expected = len(self.plan.tasks) + 1
            if number != expected:
                raise ParseError(self.src, line.no, f"task number {number} out of sequence (expected {expected})")
            task = ParsedItem(number, head.strip(), self.span(line), text=line.raw[b_at:] if body else "")
            self.plan.areas[-1].tasks.append(task)
            return
        area = re.search(r"在(?P<name>[^,]+?)上(?:实现|取得)新突破$", n)
        if level in ("l1", "l2") or (area and not n.endswith("。")):
            self.add_area(line, prefix, plus_one=level is None)
            return
        if self.plan.areas and not self.plan.areas[-1].tasks and self.plan.areas[-1].description is None:
            self.plan.areas[-1].description = line.raw[at:]
            self.plan.areas[-1].description_span = self.span(line, at)
        elif self.plan.tasks:
            self.plan.tasks[-1].text += ("\n" if self.plan.tasks[-1].text else "") + line.raw[at:]
        elif not self.plan.areas:
            self.intro.setdefault("tasks", []).append(self.span(line, at))
        else:
            raise self.fail(line, "expected an area heading, its description or a numbered task")

    def add_area(self, line: _Line, prefix: int, plus_one: bool) -> None:
        n = line.norm[prefix:]
        m = re.search(r"(?:着力|聚焦|突出)(?P<focus>[^,]+),在(?P<name>[^,]+?)上(?:实现|取得)新突破$", n)
        if m:
            name, focus = m.group("name"), m.group("focus")
        else:
            plain = re.search(r"在(?P<name>[^,]+?)上(?:实现|取得)新突破$", n)
            name, focus = (plain.group("name") if plain else n.rstrip("。")), None
        self.plan.areas.append(ParsedItem(len(self.plan.areas) + 1, name, self.span(line, prefix),
                                          text=line.raw[prefix:], focus=focus,
                                          plus_one=plus_one and bool(self.plan.areas)))

    def finish(self, last: _Line) -> None:
        p = self.plan
        if p.end_year is None:
            raise ParseError(self.src, 1,
                             "no plan period found (valid: a title such as 《…三年行动方案(2023—2025年)》)")
        for what, items in (("principles", p.principles), ("sub-targets", p.targets), ("areas", p.areas),
                            ("key tasks", p.tasks), ("safeguard measures", p.measures)):
            if not items:
                raise ParseError(self.src, last.no, f"reached the end without finding any {what}")
        if p.goal is None:
            raise ParseError(self.src, last.no, "reached the end without finding the overall goal (总体目标)")
        for target in p.targets:
            for ind in target.indicators:
                ind.target_year = ind.target_year or p.end_year
                ind.metric = _original(ind.span.quote, ind.metric)
                ind.reference = ind.reference and _original(ind.span.quote, ind.reference)
        for item in [*p.principles, *p.targets, *p.measures, *p.areas, *p.tasks]:
            item.name = _original(item.span.quote, item.name)
            item.focus = item.focus and _original(item.span.quote, item.focus)


def _original(quote: str, normalised: str) -> str:
    """The plan's own spelling of a name found in the normalised text (same length, same place)."""
    at = quote.translate(_FULLWIDTH).find(normalised)
    return quote[at:at + len(normalised)] if at >= 0 else normalised


def parse_text(text: str, source: str = "<text>") -> ParsedPlan:
    """Parse a plan's text; `source` names it in errors and provenance."""
    return _Parser(text, source).run()


def parse_file(path: Path) -> ParsedPlan:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ParseError(str(path), 0, "no such file") from e
    except UnicodeDecodeError as e:
        raise ParseError(str(path), 0, f"not UTF-8 text ({e.reason} at byte {e.start})") from e
    return parse_text(text, path.name)
