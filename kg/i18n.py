"""The user's language: English or Chinese, from `--lang`, KG_LANG or the locale (LC_ALL, LC_MESSAGES, LANG,
LANGUAGE), with messages from a gettext catalogue (kg/locale/zh_CN/LC_MESSAGES/kg.po, compiled to kg.mo by
`make`, see `compile_catalogue`).

Two kinds of message ids live in the catalogue: fixed texts (help, headers, status words), looked up exactly,
and templates with `{name}` fields (errors, table titles), which match a message built from them, so
`"{path}: no such file"` translates `"seed/x.csv: no such file"` without the raise site knowing about languages.
"""

from __future__ import annotations

import functools
import gettext
import os
import re
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kg"
_FIELD = re.compile(r"\{(\w*)\}")
# A field named {raw...} holds text kg passes on as it came: what the user typed, or an engine's own message
# (Ladybug, Neo4j, the OS, a parser). Its frame is translated, its text kept; the tests' check that every error
# has its Chinese looks at the frame only (translate(..., raw=False)).
RAW = "raw"
_ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_])[a-z]{3,}(?![A-Za-z0-9_])")  # what a translation should leave none of
_HAN = re.compile(r"[\u4e00-\u9fff]")

_chosen: str | None = None  # set by --lang; otherwise the environment decides on each call


def set_language(lang: str | None) -> None:
    """Fix the language for this process (`en` or `zh`); None goes back to the environment."""
    global _chosen
    _chosen = normalise(lang) if lang else None


def normalise(lang: str) -> str:
    """`zh`, `zh_CN.UTF-8`, `zh-Hans`, `中文` -> `zh`; anything else -> `en`."""
    lang = lang.strip().lower()
    return "zh" if lang.startswith(("zh", "cn", "中")) else "en"


def language() -> str:
    """The language in force: --lang, then KG_LANG, then the POSIX locale variables in their order of precedence."""
    if _chosen:
        return _chosen
    if os.environ.get("KG_LANG"):
        return normalise(os.environ["KG_LANG"])
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return normalise(value.split(":")[0])
    return "en"


def chinese() -> bool:
    return language() == "zh"


@functools.cache
def catalogue() -> gettext.NullTranslations:
    """The compiled Chinese catalogue; refuses to run silently in English when the .mo is missing or stale."""
    import io

    mo = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if not mo.exists() or (po.exists() and po.stat().st_mtime > mo.stat().st_mtime):
        return gettext.GNUTranslations(io.BytesIO(compile_catalogue()))
    with mo.open("rb") as fh:
        return gettext.GNUTranslations(fh)


def compile_catalogue() -> bytes:
    """kg.po -> kg.mo with Babel: the build step `make` runs, also done here when the .mo is missing or older
    than the .po. The compiled bytes are returned, so a read-only install still speaks Chinese."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        cat = read_po(fh, locale="zh_CN", domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, cat)
    data = buf.getvalue()
    mo = po.with_suffix(".mo")
    tmp = mo.with_suffix(f".mo.{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, mo)  # atomic: two processes compiling at once each install a whole file
    except OSError:
        tmp.unlink(missing_ok=True)
    return data


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str, list[str]]]:
    """Catalogue entries with {fields}, longest first, as (regex, translation, field names)."""
    cat = catalogue()
    entries = getattr(cat, "_catalog", {})
    out = []
    for msgid, msgstr in entries.items():
        if not isinstance(msgid, str) or not msgid or "{" not in msgid or not msgstr:
            continue
        fields = _FIELD.findall(msgid)
        if not fields:
            continue
        pattern = "".join("(.+?)" if field is not None else re.escape(part) for part, field in _split(msgid))
        out.append((re.compile(f"^{pattern}$", re.S), msgstr, fields))
    out.sort(key=lambda t: -len(t[0].pattern.replace("(.+?)", "")))  # the most specific template first
    return out


def _split(msgid: str) -> list[tuple[str, str | None]]:
    """A template as literal parts and fields: 'a {x} b' -> [('a ', None), ('', 'x'), (' b', None)]."""
    parts: list[tuple[str, str | None]] = []
    pos = 0
    for m in _FIELD.finditer(msgid):
        if m.start() > pos:
            parts.append((msgid[pos:m.start()], None))
        parts.append(("", m.group(1)))
        pos = m.end()
    if pos < len(msgid):
        parts.append((msgid[pos:], None))
    return parts


def _(text: str) -> str:
    """A fixed text in the user's language (exact catalogue lookup)."""
    if not text or not chinese():
        return text
    return catalogue().gettext(text)


def translate(message: str, depth: int = 0, *, raw: bool = True) -> str:
    """Any message in the user's language: an exact entry, else the template it matches best (its fields
    translated in turn, a few levels deep), line by line for multi-line messages; no entry: as it is.
    With raw=False the values of `{raw...}` fields are shown as … (see RAW)."""
    if not message or not chinese() or depth > 3:
        return message
    if "\n" in message:
        return "\n".join(translate(line, depth, raw=raw) for line in message.split("\n"))
    exact = catalogue().gettext(message)
    if exact != message:
        return exact
    found = match_template(message, depth, raw=raw)
    return found if found is not None else message


def match_template(message: str, depth: int = 0, *, raw: bool = True) -> str | None:
    """The Chinese of `message` through the template that matches it best, or None. Several can match (a short
    one such as `{enc} text` matches many sentences ending in "text"): the one leaving the fewest English words
    wins."""
    best: tuple[tuple[int, int, int], str] | None = None
    for regex, msgstr, fields in _templates():
        m = regex.match(message)
        if not m:
            continue
        out, checked = msgstr, msgstr
        for name, value in zip(fields, m.groups(), strict=True):
            # a field that is itself a fixed message (a nested reason) is translated too
            shown = translate(value, depth + 1)
            out = out.replace("{" + name + "}", shown, 1)
            if not raw:  # the same choice of template, the raw text hidden
                hidden = "…" if name.startswith(RAW) else translate(value, depth + 1, raw=False)
                checked = checked.replace("{" + name + "}", hidden, 1)
        # fewest English words left, then the most Chinese (a frame such as `Ladybug: {raw}` translated), then the
        # shortest first field ("x.yaml:3", not "x.yaml:3: a tag (…)": a leading {what} should not swallow the file
        # and line before it), then the order
        score = (len(_ENGLISH_WORD.findall(out)), -len(_HAN.findall(out)), len(m.group(1)) if m.groups() else 0)
        if best is None or score < best[0]:
            best = (score, out if raw else checked)
    return best[1] if best else None


# Closed vocabularies typed by users: a Chinese word is accepted where the English one is.
SYNONYMS: dict[str, str] = {
    "牵头": "lead", "主责": "lead", "配合": "supporting", "责任": "supporting", "协同": "supporting",
    "红": "red", "红灯": "red", "黄": "yellow", "黄灯": "yellow", "绿": "green", "绿灯": "green",
    "灰": "grey", "无数据": "grey", "表格": "table",
}


def english_word(value: str) -> str:
    """A value typed in Chinese (`牵头`, `红`) as the English word the option takes; other values unchanged."""
    return SYNONYMS.get(value.strip(), value)


# Cell values from closed vocabularies, shown in Chinese in Chinese tables (JSON and CSV keep the English).
VALUES_ZH = {
    "lead": "牵头", "supporting": "配合", "responsible": "责任", "green": "绿", "yellow": "黄", "red": "红",
    "grey": "灰", "node": "节点", "edge": "关系", "upstream": "上游", "downstream": "下游",
}
VOCABULARY_COLUMNS = {"kind", "relation", "role", "direction", "gap", "detail", "element", "light", "status", "label",
                      "reason", "method"}
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12]))?$")


def period_zh(period: str) -> str:
    """`2025-06` -> 2025年6月, `2025-Q2` -> 2025年第二季度, `2025-H1` -> 2025年上半年, `2025` -> 2025年."""
    m = _PERIOD.match(period)
    if not m:
        return period
    year, month, quarter, half = m.groups()
    if month:
        return f"{year}年{int(month)}月"
    if quarter:
        return f"{year}年第{'一二三四'[int(quarter) - 1]}季度"
    if half:
        return f"{year}年{'上下'[int(half) - 1]}半年"
    return f"{year}年"


def table_rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows for a Chinese table: headers and closed-vocabulary values translated, periods written the Chinese way."""
    out = []
    for row in rows:
        new: dict[str, object] = {}
        for key, value in row.items():
            if isinstance(value, str):
                value = VALUES_ZH.get(value, value)
                if key in VOCABULARY_COLUMNS:
                    value = translate(value)
                if key in ("period", "as_of", "due"):
                    value = period_zh(value)
            new[_(key)] = value
        out.append(new)
    return out
