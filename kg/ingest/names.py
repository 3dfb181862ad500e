"""Lists of units the way officials write them -> one `UnitName` per body, still unresolved.

`市工业和信息化局、商务局、财政局等有关部门` is three bodies: the later names take the first one's level prefix
(市 / 省 / 区 / 县, or 市委 for party organs), and `等有关部门` only says "and others". Brackets belong to the name
(`市数据局(市营商局)`): a separator inside them does not split. Collectives (`各区、县(市)政府`, `市直有关部门`)
are one unit of their own. Which body a name is, is the registry's business (kg/ingest/registry.py): here each
name gets the full names it may stand for, most likely first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "and others", "each by its duties": said about a list, never part of a name. Longest first.
_TRAILERS = ("按职责分工负责", "按照职责分工负责", "按职责负责", "分工负责", "等有关部门", "等有关单位", "等相关部门",
             "等相关单位", "等部门", "等单位", "牵头负责", "牵头", "配合", "负责", "等")
# Collectives: one unit standing for several bodies. Matched before the list is split (some hold a 、).
_COLLECTIVES = (
    r"各区、?县[（(]市[）)](人民)?政府(及(各)?开发区管委会)?",
    r"各区、?县[（(]市[）)]",
    r"各(开发区|园区|功能区)管委会",
    r"各市(人民)?政府",
    r"各街道办事处",
    r"各成员单位",
    r"(省|市|区|县)[（(]中[）)]直有关(部门|单位)",
    r"(省|市|区|县)直(各)?有关(部门|单位)",
    r"(省|市|区|县)直各(部门|单位)",
    r"各有关(部门|单位)",
    r"有关(部门|单位)",
)
_COLLECTIVE_RE = re.compile("|".join(f"(?:{c})" for c in _COLLECTIVES))
# Level prefixes a later name inherits; party organs (市委组织部、宣传部) inherit 市委.
_PREFIXES = ("省委", "市委", "区委", "县委", "省", "市", "区", "县")
_LEVEL_OF_PREFIX = {"省": "省", "市": "市", "区": "区县", "县": "区县"}
_SEPARATORS = "、,，;；/"
_LINE_BREAK = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")  # what str.splitlines() splits at
_OPEN, _CLOSE = "(（〔[【", ")）〕]】"


@dataclass(frozen=True)
class UnitName:
    """One body named in a list: as written (trailers stripped), and the full names it may stand for."""

    written: str
    candidates: tuple[str, ...]
    collective: bool = False
    level: str | None = None  # the level its own or inherited prefix says (省 / 市 / 区县), if any


def fold(name: str) -> str:
    """A name for comparing: full-width brackets and spaces normalised (（市）and (市) are the same)."""
    table = str.maketrans({"（": "(", "）": ")", "〔": "(", "〕": ")", "【": "(", "】": ")", "［": "(", "］": ")"})
    return re.sub(r"\s+", "", name.translate(table))


def _strip_trailers(part: str) -> str:
    part = part.strip().strip("。.:：")
    changed = True
    while changed and part:
        changed = False
        for trailer in _TRAILERS:
            if part.endswith(trailer) and len(part) > len(trailer):
                part, changed = part[: -len(trailer)].rstrip("，,、"), True
                break
    return part.strip()


def _split_top_level(cell: str) -> list[str]:
    """Split at separators that are not inside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in cell:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        if ch in _SEPARATORS and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _prefix_of(name: str) -> str | None:
    if name.startswith(("市场", "市民", "县域", "区域", "省会")):  # words, not a level prefix: 市场监管局 inherits
        return None
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix
    return None


def _lines_as_list(text: str) -> str:
    """A cell's lines as one list: each line break (a .docx cell's paragraphs, an .xlsx cell's Alt+Enter) parts two
    names, unless the line before ends on a separator or inside brackets, or the next line starts with one or is
    only a trailer (`等有关部门`, `牵头`)."""
    out = ""
    for raw in _LINE_BREAK.split(text):
        line = raw.strip()
        if not line:
            continue
        joined = (not out or out[-1] in _SEPARATORS or _depth(out) > 0 or line[0] in _SEPARATORS + _OPEN + _CLOSE
                  or line.startswith("等") or line in _TRAILERS)
        out += line if joined else "、" + line
    return out


def _depth(text: str) -> int:
    depth = 0
    for ch in text:
        depth = depth + 1 if ch in _OPEN else max(depth - 1, 0) if ch in _CLOSE else depth
    return depth


def split_units(cell: str) -> list[UnitName]:
    """Every unit a cell names, in order, each once. An empty cell (or `/`, `—`) names none; names on separate
    lines are separate names."""
    text = cell.strip()
    if not text or re.fullmatch(r"[-—/／无\s]+", text):
        return []
    text = re.sub(r"\s+", "", _lines_as_list(text))
    protected: dict[str, str] = {}

    def protect(m: re.Match[str]) -> str:
        key = f"\x00{len(protected)}\x00"
        protected[key] = m.group(0)
        return key

    text = _COLLECTIVE_RE.sub(protect, text)
    out: list[UnitName] = []
    seen: set[str] = set()
    current = ""  # the prefix a name without its own inherits: that of the nearest name before it that has one
    for raw in _split_top_level(text):
        part = _strip_trailers(raw)
        for key, value in protected.items():
            part = part.replace(key, value)
        part = _strip_trailers(part)
        if not part:
            continue
        if _COLLECTIVE_RE.fullmatch(part):
            unit = UnitName(part, (part,), collective=True, level=_LEVEL_OF_PREFIX.get(part[0]))
        else:
            own = _prefix_of(part)
            candidates: list[str] = []
            if own is None and current:
                candidates.append(current + part)
                if current.endswith("委"):
                    candidates.append(current[0] + part)  # 市委组织部、人力资源社会保障局: 市人力资源社会保障局
            elif own is not None and (not current or own[0] != current[0] or own.endswith("委")):
                current = own
            candidates.append(part)
            head = _prefix_of(candidates[0])
            level = _LEVEL_OF_PREFIX.get(head[0]) if head else None
            unit = UnitName(part, tuple(dict.fromkeys(candidates)), level=level)
        if fold(unit.written) not in seen:
            seen.add(fold(unit.written))
            out.append(unit)
    return out
