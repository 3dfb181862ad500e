"""Before the first section: the notice block, the plan's title (perhaps over two lines) and its period.

An official notice opens with 关于印发《…》的通知, addressees, the 印发 sentence, the issuing body and a date;
none of these is the plan's title. The period is read from the title, from a line of its own under the title
(`(2023—2025年)`), or, failing both, from the body (`到2025年` with 三年), which is said in a warning.
"""

from __future__ import annotations

import re

from kg.ingest.parsed import FULLWIDTH, cn_year

_YEAR = r"(?:\d{4}|[〇零一二三四五六七八九]{4})"
# 2023—2025年, 2023年—2025年, 2023～2025年, 2023-2025年, 二〇二三—二〇二五年: bounded, so linear on any line
RE_YEARS = re.compile(rf"({_YEAR})\s{{0,2}}年?\s{{0,2}}[—–\-~至到]{{1,2}}\s{{0,2}}({_YEAR})\s{{0,2}}年")
RE_PERIOD_LINE = re.compile(rf"^\(?\s{{0,2}}{RE_YEARS.pattern}\s{{0,2}}\)?$")
RE_DATE = re.compile(
    r"^(\d{4}|[〇零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日$"
)
RE_NOTICE_HEADING = re.compile(r"^.{0,30}?关于.{0,80}?(?:的)?(?:通知|决定|意见)$")
RE_ISSUANCE = re.compile(r"》.{0,30}(?:印发给|现予印发|现印发|印发你们|予以印发|请结合实际)")
RE_PLAN_WORD = re.compile(r"方案|规划|计划|纲要")
RE_BODY_END_YEAR = re.compile(r"(?:到|至)(\d{4}) ?年")
RE_AUTHORITY = re.compile(r"(人民政府|委员会|办公厅|办公室|委|政府)$")
# Lines of a published page that carry no content: bylines, sources, editors, page numbers (— 3 —, 第3页,共12页,
# 3/12, or a bare 3 as a PDF's text layer gives it), attachment marks.
RE_BOILERPLATE = re.compile(
    r"^(?:(?:本报|新华社)?记者\s?\S{1,12}|通讯员\s?\S{1,12}|来源[:].{0,40}|(?:责任)?编辑[:].{0,20}|"
    r"(?:发布日期|发布时间|信息来源|访问次数|浏览次数|字号)[:].{0,80}|\S{1,12}〔\d{4}〕\d{1,4}号|"
    r"[-—–]\s?\d{1,4}\s?[-—–]|第\s?\d{1,4}\s?页(?:\s?[,/]?\s?共\s?\d{1,4}\s?页)?|共\s?\d{1,4}\s?页\s?[,/]?\s?第\s?\d{1,4}\s?页|"
    r"\d{1,3}|\d{1,4}\s?/\s?\d{1,4}|附[件表]\d{0,2}略?|此页无正文|抄送[:].{0,200}|"
    r"[\S]{0,30}\d{4}年\d{1,2}月\d{1,2}日印发)$"
)


def years(text: str) -> tuple[int, int] | None:
    """The first period written in `text` (normalised or not), as (start, end)."""
    m = RE_YEARS.search(text.translate(FULLWIDTH))
    if m is None:
        return None
    a, b = m.group(1), m.group(2)
    return (int(a) if a.isdigit() else cn_year(a)), (int(b) if b.isdigit() else cn_year(b))


def is_issuing_heading(norm: str) -> bool:
    """关于印发…方案 as a web page or a letterhead gives it: often without 的通知 and after its 文号, so it ends
    like a title; a sentence quoting one (为贯彻落实《…关于印发…》精神,…。) is not a heading."""
    return (len(norm) < 150 and "。" not in norm and not norm.startswith(("为", "根据", "按照"))
            and re.search(r"关于(?:印发|转发|下达)", norm) is not None)


def is_period_line(norm: str) -> bool:
    return len(norm) <= 30 and RE_PERIOD_LINE.match(norm) is not None


def is_title(norm: str) -> bool:
    """A plan's title ends with its kind (方案, 计划, …), perhaps followed by (2023—2025年), (试行), (节选)."""
    if len(norm) >= 60 or "。" in norm:
        return False
    bare = re.sub(r"(?:\([^()]{0,20}\))+$", "", norm)
    return re.search(r"(?:方案|规划|计划|纲要)$", bare) is not None


def is_title_fragment(norm: str) -> bool:
    """The first half of a title split over two lines: short, no sentence punctuation, not a heading."""
    return (len(norm) <= 30 and not re.search(r"[。,;:!?、]", norm) and not norm.startswith(("关于", "——"))
            and re.match(r"^[\u4e00-\u9fff“”\"()A-Za-z0-9·]+$", norm) is not None)


def names_a_place(norm: str) -> bool:
    """A whole title opens with its place (临江市…, 北川省…); the second half of a split title does not."""
    return re.search(r"[省市县区州盟旗]", norm[:10]) is not None


def quoted_title(raw: str) -> str | None:
    """A plan's name quoted in a line (《…三年行动方案(2023—2025年)》), not a notice or an opinion cited."""
    for m in re.finditer(r"《([^《》]{1,80})》", raw):
        name = m.group(1)
        if RE_PLAN_WORD.search(name) and not re.search(r"关于|通知|意见|决定", name):
            return name
    return None


def body_period(lines: list[tuple[int, str]], title: str | None) -> tuple[int, int | None, int, str] | None:
    """(start or None, end, line, words) from the first 到2025年 of the body; start only where 三年 says it."""
    three = bool(title and "三年" in title)
    for no, norm in lines:
        m = RE_BODY_END_YEAR.search(norm[:400])
        if m:
            end = int(m.group(1))
            joined = three or "通过三年" in norm or "三年行动" in norm
            return no, (end - 2 if joined else None), end, m.group(0)
    return None
