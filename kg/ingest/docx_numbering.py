"""Word's automatic numbering, rendered as Word displays it: the 一、 / （一） / 1. that a .docx paragraph or table
cell shows but python-docx's `paragraph.text` leaves out (they live in word/numbering.xml, not in the text).

A paragraph is numbered by its own w:numPr or by its paragraph style's (followed through w:basedOn). Counters are
kept per abstract list, as Word keeps them, so two w:num of one w:abstractNum continue each other; a w:num's
w:startOverride restarts a level where that w:num is first used. A level restarts when a higher level advances
(or, with w:lvlRestart, only when the levels it names do). Bullets and unknown formats give no number text, never
an error: a label is a reading aid and a document must still be read without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SUFFIX = {"tab": "\t", "space": " ", "nothing": ""}
_DIGITS = "〇一二三四五六七八九"
_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_EARTHLY_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _chinese(n: int, digits: str = _DIGITS, units: str = "十百千", zero: str = "〇") -> str:
    """一 … 十、十一 … 二十 … 一百〇五 … 九千九百九十九 as Word counts in Chinese; larger numbers digit by digit."""
    if n <= 0 or n >= 10000:
        return "".join(digits[int(d)] for d in str(n)) if n >= 0 else str(n)
    parts: list[str] = []
    gap = False
    for power, unit in ((3, units[2]), (2, units[1]), (1, units[0]), (0, "")):
        d = n // 10 ** power % 10
        if d == 0:
            gap = bool(parts)
            continue
        if gap:
            parts.append(zero)
            gap = False
        parts.append(("" if (power == 1 and d == 1 and not parts) else digits[d]) + unit)
    return "".join(parts)


def _letters(n: int, upper: bool) -> str:
    """A … Z, AA … ZZ, AAA …: Word repeats the letter rather than counting in base 26."""
    letter = chr(ord("A" if upper else "a") + (n - 1) % 26)
    return letter * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    out = []
    for value, numeral in _ROMAN:
        while n >= value:
            out.append(numeral)
            n -= value
    return "".join(out)


def _enclosed(n: int, first: int, last: int) -> str:
    """①/⑴/⒈ for 1–20 (the characters Unicode has); beyond, the plain number as Word shows it."""
    return chr(first + n - 1) if 1 <= n <= last else str(n)


def format_number(n: int, fmt: str) -> str:
    """One counter in one w:numFmt; an unknown format is shown as decimal, `none` and `bullet` as nothing."""
    if fmt in ("none", "bullet"):
        return ""
    if n < 1 and fmt not in ("decimal", "decimalZero"):
        return str(n)
    formats = {
        "decimal": lambda: str(n),
        "decimalZero": lambda: f"{n:02d}",
        "decimalFullWidth": lambda: "".join(chr(ord(d) + 0xFEE0) for d in str(n)),
        "decimalFullWidth2": lambda: "".join(chr(ord(d) + 0xFEE0) for d in str(n)),
        "decimalEnclosedCircle": lambda: _enclosed(n, 0x2460, 20),
        "decimalEnclosedCircleChinese": lambda: _enclosed(n, 0x2460, 20),
        "decimalEnclosedParen": lambda: _enclosed(n, 0x2474, 20),
        "decimalEnclosedFullstop": lambda: _enclosed(n, 0x2488, 20),
        "chineseCounting": lambda: _chinese(n),
        "chineseCountingThousand": lambda: _chinese(n, zero="零"),
        "japaneseCounting": lambda: _chinese(n),
        "taiwaneseCounting": lambda: _chinese(n),
        "taiwaneseCountingThousand": lambda: _chinese(n, zero="零"),
        "ideographDigital": lambda: "".join(_DIGITS[int(d)] for d in str(n)),
        "chineseLegalSimplified": lambda: _chinese(n, _LEGAL_DIGITS, "拾佰仟", "零"),
        "ideographTraditional": lambda: _HEAVENLY_STEMS[(n - 1) % 10],
        "ideographZodiac": lambda: _EARTHLY_BRANCHES[(n - 1) % 12],
        "upperLetter": lambda: _letters(n, True),
        "lowerLetter": lambda: _letters(n, False),
        "upperRoman": lambda: _roman(n),
        "lowerRoman": lambda: _roman(n).lower(),
    }
    return formats.get(fmt, lambda: str(n))()


@dataclass
class Level:
    fmt: str = "decimal"
    text: str = ""
    start: int = 1
    restart: int | None = None  # w:lvlRestart: restart after a level above this 1-based one; 0 never; None any
    suffix: str = "\t"
    legal: bool = False  # w:isLgl: every counter shown in decimal
    style: str | None = None  # w:pStyle: the paragraph style that takes this level


@dataclass
class _List:
    """One w:num: its abstract list, the levels it overrides and the starts it forces on first use."""

    abstract: str
    levels: dict[int, Level] = field(default_factory=dict)
    starts: dict[int, int] = field(default_factory=dict)


def _val(element: Any, tag: str) -> str | None:
    child = element.find(W + tag) if element is not None else None
    return None if child is None else child.get(W + "val")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _level(lvl: Any) -> Level:
    restart = _val(lvl, "lvlRestart")
    legal = lvl.find(W + "isLgl")
    return Level(fmt=_val(lvl, "numFmt") or "decimal", text=_val(lvl, "lvlText") or "",
                 start=_int(_val(lvl, "start"), 1), restart=None if restart is None else _int(restart, 0),
                 suffix=SUFFIX.get(_val(lvl, "suff") or "tab", "\t"),
                 legal=legal is not None and legal.get(W + "val", "1") not in ("0", "false", "off"),
                 style=_val(lvl, "pStyle"))


class Numbering:
    """The number text of each numbered paragraph of one document, computed once in document order."""

    def __init__(self, document: Any) -> None:
        self.abstracts: dict[str, dict[int, Level]] = {}
        self.lists: dict[str, _List] = {}
        self.style_numbering: dict[str, tuple[str | None, str | None]] = {}  # style id -> (numId, ilvl)
        self.style_parent: dict[str, str] = {}
        self.labels: dict[Any, str] = {}
        self.links: dict[str, str] = {}  # abstract list -> the numbering style it points at (w:numStyleLink)
        self._read_numbering(document)
        if self.lists:
            self._read_styles(document)
            self._count(document.element.body)

    def label(self, paragraph_element: Any) -> str:
        """The number text (with its tab or space) Word shows before this w:p, or ''."""
        return self.labels.get(paragraph_element, "")

    # -- reading the parts ---------------------------------------------------------------------------------------
    def _read_numbering(self, document: Any) -> None:
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):  # a document with no numbering part
            return
        for abstract in root.iterfind(W + "abstractNum"):
            key = abstract.get(W + "abstractNumId")
            self.abstracts[key] = {_int(lvl.get(W + "ilvl"), 0): _level(lvl) for lvl in abstract.iterfind(W + "lvl")}
            link = _val(abstract, "numStyleLink")
            if link:
                self.links[key] = link
        for num in root.iterfind(W + "num"):
            numbered = _List(_val(num, "abstractNumId") or "")
            for override in num.iterfind(W + "lvlOverride"):
                ilvl = _int(override.get(W + "ilvl"), 0)
                lvl = override.find(W + "lvl")
                if lvl is not None:
                    numbered.levels[ilvl] = _level(lvl)
                start = _val(override, "startOverride")
                if start is not None:
                    numbered.starts[ilvl] = _int(start, 1)
            self.lists[num.get(W + "numId")] = numbered

    def _read_styles(self, document: Any) -> None:
        try:
            styles = document.styles.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        for style in styles.iterfind(W + "style"):
            sid = style.get(W + "styleId")
            based = _val(style, "basedOn")
            if based:
                self.style_parent[sid] = based
            num_pr = style.find(f"{W}pPr/{W}numPr")
            if num_pr is not None:
                self.style_numbering[sid] = (_val(num_pr, "numId"), _val(num_pr, "ilvl"))
        # w:numStyleLink: an abstract list that only points at a numbering style takes that style's list's levels
        for key, style_id in self.links.items():
            num_id, _ = self.style_numbering.get(style_id, (None, None))
            target = self.lists.get(num_id or "")
            if target is not None and target.abstract in self.abstracts and not self.abstracts[key]:
                self.abstracts[key] = self.abstracts[target.abstract]

    def _style_num_pr(self, style_id: str | None) -> tuple[str | None, str | None]:
        seen: set[str] = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            if style_id in self.style_numbering:
                return self.style_numbering[style_id]
            style_id = self.style_parent.get(style_id)
        return None, None

    # -- counting ------------------------------------------------------------------------------------------------
    def _count(self, body: Any) -> None:
        counters: dict[str, dict[int, int]] = {}  # abstract list -> level -> current value
        started: set[str] = set()  # w:num whose start overrides have been applied
        for p in body.iter(W + "p"):
            num_id, ilvl, style = self._num_pr(p)
            numbered = self.lists.get(num_id or "") if num_id != "0" else None  # numId 0: numbering removed
            if numbered is None:
                continue
            levels = {**self.abstracts.get(numbered.abstract, {}), **numbered.levels}
            if ilvl is None:  # the level whose w:pStyle is the paragraph's style, else the first
                ilvl = next((k for k, lvl in levels.items() if style and lvl.style == style), 0)
            level = levels.get(ilvl)
            if level is None:
                continue
            counter = counters.setdefault(numbered.abstract, {})
            if num_id not in started:
                started.add(num_id or "")
                for k, start in numbered.starts.items():
                    counter[k] = start - 1
            counter[ilvl] = counter[ilvl] + 1 if ilvl in counter else level.start
            for deeper in [k for k in counter if k > ilvl]:
                restart = levels[deeper].restart if deeper in levels else None
                if restart is not None and restart > deeper:  # names a level below this one: ignored
                    restart = None
                if restart is None or (restart > 0 and ilvl < restart):
                    del counter[deeper]
            text = self._render(level, levels, counter)
            if text:
                self.labels[p] = text + level.suffix

    def _num_pr(self, p: Any) -> tuple[str | None, int | None, str | None]:
        ppr = p.find(W + "pPr")
        style = _val(ppr, "pStyle")
        num_pr = ppr.find(W + "numPr") if ppr is not None else None
        num_id, ilvl = (_val(num_pr, "numId"), _val(num_pr, "ilvl")) if num_pr is not None else (None, None)
        if num_id is None:
            style_num, style_ilvl = self._style_num_pr(style)
            num_id, ilvl = style_num, ilvl if ilvl is not None else style_ilvl
        return num_id, None if ilvl is None else _int(ilvl, 0), style

    @staticmethod
    def _render(level: Level, levels: dict[int, Level], counter: dict[int, int]) -> str:
        if level.fmt == "bullet":
            return ""
        out, text, k = [], level.text, 0
        while k < len(text):
            if text[k] == "%" and k + 1 < len(text) and text[k + 1] in "123456789":
                ref = int(text[k + 1]) - 1
                ref_level = levels.get(ref, Level())
                value = counter.get(ref, ref_level.start)
                out.append(format_number(value, "decimal" if level.legal else ref_level.fmt))
                k += 2
            else:
                out.append(text[k])
                k += 1
        return "".join(out)
