"""What the plan-text parser produces: verbatim spans, items, indicators, and the lines it could not place.

Shared by parse.py (lines and sections), parse_front.py (notice, title, period) and parse_indicators.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# One character in, one character out: offsets in the translated text are offsets in the source.
FULLWIDTH = str.maketrans("（）［］，；：．！？％＋－０１２３４５６７８９～", "()[],;:.!?%+-0123456789~")
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
CN_NUM = "一二三四五六七八九十"


def cn_number(text: str) -> int:
    """Chinese numerals up to 99: 一 -> 1, 十二 -> 12, 二十 -> 20."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)
    return CN_DIGITS[text]


def cn_amount(text: str) -> int:
    """Chinese numerals up to 9999 as written in amounts: 五百 -> 500, 三千五百 -> 3500, 两 -> 2, 百 -> 100."""
    total, digit = 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        else:  # 十 百 千
            scale = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (1 if digit is None else digit) * scale
            digit = None
    return total + (digit or 0)


def cn_year(text: str) -> int:
    """二〇二三 -> 2023 (digit by digit, as years are written)."""
    return int("".join(str(CN_DIGITS[c]) for c in text))


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
    target_year: int | None
    value: float | None = None
    unit: str | None = None
    normalized_value: float | None = None
    normalized_unit: str | None = None
    comparator: str | None = None
    comparator_zh: str | None = None
    baseline_year: int | None = None
    reference: str | None = None
    value_max: float | None = None  # the upper end of a range (6%—7%); `value` is the lower end


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
    region: str | None = None  # a per-region target: the region or zone it is set for
    written_number: int | None = None  # a task's number as printed, where numbering restarts per area


@dataclass
class Unplaced:
    """A line, or a clause of a placed line, that no rule could read: kept with its line and text."""

    line: int
    start: int
    text: str
    reason: str
    whole_line: bool = True


@dataclass
class ParseWarning:
    """Something the text lacks or states oddly; `kg parse --strict` turns the first into an error."""

    line: int
    message: str


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
    period_from: str | None = None  # title | body | option: where start_year/end_year were read
    extraction: str = "text"  # text | docx | pdf: how the text was obtained from the file
    encoding: str | None = None  # for text files: the encoding that decoded it
    intros: dict[str, list[Span]] = field(default_factory=dict)  # untitled paragraphs opening a section
    goal_indicators: list[ParsedIndicator] = field(default_factory=list)  # figures in the overall goal
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # total, placed, boilerplate, unplaced

    @property
    def tasks(self) -> list[ParsedItem]:
        return [t for a in self.areas for t in a.tasks]

    @property
    def indicators(self) -> list[ParsedIndicator]:
        return [i for t in self.targets for i in t.indicators]
