"""Indicators in a target's text: value, unit, comparator, kind and year of each clause.

A clause holding a number no rule understands is not an error: it stays in the target's text and is reported
as `Unplaced` (whole_line=False), so nothing is dropped in silence. Every regex here runs on one clause of at
most MAX_CLAUSE characters, or is anchored and bounded, so a long line costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kg.ingest.parsed import ParsedIndicator, Span, Unplaced, cn_amount

MAX_CLAUSE = 200  # a clause stating an indicator is a few dozen characters; a longer one is prose

MAGNITUDES = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4}
UNITS = {"美元": "USD", "元": "CNY", "%": "percent", "个百分点": "percentage_points", "人次": "person_times",
         "人": "people", "家": "firms", "个": "count", "项": "count", "所": "count", "座": "count", "条": "count",
         "处": "count", "户": "households", "名": "people", "件": "count", "套": "count", "台": "count",
         "辆": "count", "批": "count", "天": "days", "吨": "tonnes", "平方公里": "km2", "公里": "km", "亩": "mu",
         "公顷": "ha", "千瓦": "kW", "标准箱": "TEU", "个工作日": "working_days", "工作日": "working_days",
         "场": "count", "微克/立方米": "ug/m3"}
_UNIT_RX = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
_CN_AMOUNT = "[一二两三四五六七八九十百千]"
RE_QTY = re.compile(
    rf"(?P<num>(?<![\d.])\d++(?:\.\d++)?+|{_CN_AMOUNT}{{1,6}}(?=万亿|千亿|百亿|亿|千万|百万|万|元|美元|家|个|项|所|座|条))?"
    rf"\s*(?P<mag>万亿|千亿|百亿|亿|千万|百万|万)?(?P<unit>{_UNIT_RX})"
)
# 千亿级: a class of size, read as at least that amount in yuan
RE_CLASS = re.compile(r"(?P<num>(?<!\d)\d++|[一二两三四五六七八九])?(?P<mag>万亿|千亿|百亿|亿)(?:元)?级")
RE_RANGE = re.compile(r"(?<![\d.])(?P<low>\d++(?:\.\d++)?+)\s*+(?P<u1>%)?\s*+[—–\-~至到]{1,2}\s*+"
                      r"(?P<high>\d++(?:\.\d++)?+)\s*+(?P<u2>%)")
# Where the metric's name ends and the statement about it begins, in the order they may appear.
RE_VERB = re.compile(
    r"年均增长|年均增速|年均|三年累计|累计|比\d{4}年|分别|达到|超过|突破|稳定在|保持在|力争|提高到|提升到|"
    r"增长到|控制在|不低于|不少于|下降|降低|减少|增长|增速为|压缩至|压缩到|缩短至|缩短到|降至|降到|超(?=[\d一二两三四五六七八九十百千])"
)
COMPARATORS = [  # (Chinese, normalised): the first that occurs wins, so the more specific come first
    ("稳定在", "stable"), ("保持在", "stable"), ("控制在", "at_most"), ("左右", "about"), ("不低于", "at_least"),
    ("不少于", "at_least"), ("以上", "at_least"), ("超过", "above"), ("突破", "above"), ("高于", "above"),
    ("以内", "at_most"), ("以下", "at_most"), ("力争", "strive"), ("达到", "reach"), ("下降", "reach"),
    ("降低", "reach"), ("超", "above"),
]
# A level relative to a named reference, as (metric, Chinese comparator, reference, normalised or None).
# Read without nested lazy quantifiers (the first comparator word that leaves a reference), so linear in the clause.
RE_RELATIVE_CMP = re.compile(r"高于|快于|不低于|低于")
RELATIVE_ENDINGS = ("水平", "平均", "增速", "增长", "速度")
RELATIVE = [
    # 2024年达到全省平均水平 / 赶上全国平均水平
    (re.compile(r"^(?P<metric>.*?)(?P<cmp>赶上|超过|达到|接近|高于|快于|不低于|低于)"
                r"(?P<ref>(?:全国|全省|全市|东北|同类城市|副省级城市)[^,;。]{0,12}?"
                r"(?:平均水平|平均|水平|增速))$"), None),
]
RELATIVE_COMPARATORS = {"高于": "above", "快于": "above", "不低于": "at_least", "低于": "below", "赶上": "reach",
                        "超过": "above", "达到": "reach", "接近": "near"}
QUALITATIVE = {"全国领先": ("lead", "全国"), "全省领先": ("lead", "全省"), "东北领先": ("lead", "东北"),
               "全国一流": ("lead", "全国"), "应保尽保": ("full_coverage", None)}
# Rankings: 进入全国第一方阵, 位居全省前列, 全国前10位, 全国百强县; read from the clause's last 30 characters.
RE_RANK = re.compile(
    r"(?P<phrase>(?:进入|位居|位于|保持|跻身|走在|居于|稳居|位列|迈入|挺进|居)?"
    r"(?P<scope>全国|全省|全市|东北地区|东北|全球|世界|国内|省内|同类城市|副省级城市)[\u4e00-\u9fff]{0,8}?"
    r"(?:(?P<first>前列|第一方阵|第一梯队|领先|一流|先进行列)|前(?P<top>\d{1,4}|[一二三四五六七八九十]{1,3})(?:位|名)?"
    r"|第(?P<nth>\d{1,4}|[一二三四五六七八九十]{1,3})(?:位|名)?"
    r"|(?P<strong>\d{1,4}|[一二三四五六七八九十百千]{1,3})强[\u4e00-\u9fff]{0,3}))$"
)
RE_QUAL_PREFIX = re.compile(r"^(基本实现|全面实现|实现|保持|达到)")
RE_SHARED_QUALIFIER = re.compile(r"^(单位(?:GDP|地区生产总值|工业增加值))")
# Years; a PDF's text layer may put a space between 2025 and 年.
RE_YEAR_WORD = re.compile(r"(?:比|到|至|在|于)?\d{4} ?年(?:底|末|前)?")
RE_STAGE = re.compile(r"^(?:到|至|在)?(\d{4}) ?年(?:底|末|前)?[,:]?")  # a clause opening with its year
RE_INLINE_YEAR = re.compile(r"(?<![比\d])(?:到|至|在)?(\d{4}) ?年(?:底|末|前)?")
RE_ACTION = re.compile(r"^(?:新建|建设|建成|打造|培育|形成|新增|引进|实施|推动|完成|创建|认定|发展|落地|开工|力争|累计|"
                       r"达到|新认定|新培育|壮大)+")


# A batch named before a count (首批60个…, 第二批40个…) says which, not what: the noun after the number is the metric.
RE_BATCH = re.compile(r"(?:首批|第[一二三四五六七八九十\d]{1,3}批|新一批|一批)")
# What is done to the counted things, after their noun: 示范社区全面建成 -> 示范社区.
RE_DONE = re.compile(r"(?:全面|全部|基本|顺利)?(?:建成投用|建成投运|投入使用|开工建设|建成|开工|投用|投运|落地)$")


def _value(num: str | None) -> float:
    if not num:
        return 1.0  # 突破万亿元: the amount written in words is one of its magnitude
    if num[0].isdigit():
        return float(num)
    return float(cn_amount(num))


def _indicator_kind(clause: str, metric: str, unit: str) -> str:
    if re.search(r"年均(?:增长|增速|递增|提高)", clause) or ("年均" in clause and unit == "%"):
        return "annual_growth"
    if "累计" in clause:
        return "cumulative"
    if re.search(r"下降|降低|减少", clause):
        return "reduction"
    if unit == "%" and re.search(r"比重|占比|比例|率|覆盖", metric):
        return "share"
    if unit == "%" and re.search(r"增长|增速", clause):
        return "growth"
    if UNITS.get(unit) == "count" or unit in ("家", "户", "名"):
        return "count"
    return "level"


def _comparator(statement: str) -> tuple[str | None, str | None]:
    """Read from the statement after the metric's name, so 规模以上 in a name is not the comparator 以上."""
    found = [(zh, norm) for zh, norm in COMPARATORS if zh in statement]
    if not found:
        return None, None
    found = [(zh, norm) for zh, norm in found if zh != "超" or not any(z.startswith("超") for z, _ in found if z != zh)]
    words = sorted({zh for zh, _ in found}, key=statement.index)
    return found[0][1], "…".join(words)


def _relative(clause: str) -> tuple[str, str, str, str | None] | None:
    if clause.endswith(RELATIVE_ENDINGS):  # 增速高于全国、全省水平: the first comparator that leaves a reference
        m = RE_RELATIVE_CMP.search(clause, 1)
        ending = next(e for e in RELATIVE_ENDINGS if clause.endswith(e))
        if m and len(clause) - m.end() > len(ending):
            return clause[:m.start()], m.group(0), clause[m.end():], None
    at = clause.find("与", 1)
    if at > 0 and clause.endswith("同步") and len(clause) - 2 > at + 1:  # 收入增速与经济增长同步
        return clause[:at], "同步", clause[at + 1:-2], "in_step"
    for rx, norm in RELATIVE if RE_RELATIVE_WORD.search(clause) else ():
        rm = rx.match(clause)
        if rm:
            return rm.group("metric"), rm.group("cmp"), rm.group("ref"), norm
    return None


RE_NUMBER_CHAR = re.compile(r"[\d一二两三四五六七八九十百千万亿]")
RE_RELATIVE_WORD = re.compile(r"赶上|超过|达到|接近|高于|快于|低于")


def _quantities(clause: str) -> list[re.Match[str]]:
    """Values with units; a bare unit character (the 人 of 人均) is not a quantity."""
    if not RE_NUMBER_CHAR.search(clause):  # no digit, numeral or magnitude: nothing to find
        return []
    return [q for q in RE_QTY.finditer(clause) if q.group("num") or q.group("mag")]


def _strip_metric(text: str) -> str:
    return text.strip(" ,;:").removeprefix("全市").strip()


def _metric_after(clause: str, end: int) -> str:
    """The noun a count is of: 建设10个产业园区 -> 产业园区; 首批60个示范社区全面建成 -> 示范社区."""
    noun = re.sub(r"(?:以上|左右|以内|以下)$", "", clause[end:]).strip(" ,;:")
    return RE_DONE.sub("", noun) or noun


class _Clauses:
    """Reads the clauses of one body, carrying the staged year and the last metric named."""

    def __init__(self, body_start: int, line_no: int, default_year: int | None, full: str,
                 unplaced: list[Unplaced], subject: str | None) -> None:
        self.body_start, self.line_no, self.full = body_start, line_no, full
        self.subject = subject  # who a ranking without a metric is about: the region of a per-region target
        self.year = default_year
        self.last_metric: str | None = None
        self.unplaced = unplaced
        self.out: list[ParsedIndicator] = []

    def skip(self, span: Span, reason: str) -> None:
        self.unplaced.append(Unplaced(self.line_no, span.start, span.quote, reason, whole_line=False))

    def read(self, clause: str, start: int) -> None:
        staged = RE_STAGE.match(clause)
        if staged:
            self.year = int(staged.group(1))
            clause = clause[staged.end():]
            start += staged.end()
        span = Span(self.full[start:start + len(clause)], start, self.line_no)
        if not clause:
            return
        if len(clause) > MAX_CLAUSE:
            if re.search(r"\d", clause):
                self.skip(span, f"a clause of {len(clause)} characters is too long to read as an indicator")
            return
        inline = RE_INLINE_YEAR.search(clause) if "年" in clause else None
        if inline and not staged and inline.start() > 0:
            verb = RE_VERB.search(clause)
            if verb is None or inline.start() < verb.start():
                self.year = int(inline.group(1))

        def make(**kw: object) -> ParsedIndicator:
            return ParsedIndicator(span=span, target_year=self.year, **kw)  # type: ignore[arg-type]

        if self.qualitative(clause, make) or self.relative(clause, make):
            return
        self.numeric(clause, span, make)

    def qualitative(self, clause: str, make: Callable[..., ParsedIndicator]) -> bool:
        fixed = next((q for q in QUALITATIVE if clause.endswith(q)), None)
        if fixed:
            lead_kind, scope = QUALITATIVE[fixed]
            metric = _strip_metric(RE_QUAL_PREFIX.sub("", clause[: -len(fixed)]))
            self.out.append(make(metric=metric or clause, indicator_kind="qualitative", comparator=lead_kind,
                                 comparator_zh=fixed, reference=scope))
            return True
        rank = RE_RANK.search(clause[-30:])
        if rank is None:
            return False
        cut = len(clause) - len(clause[-30:]) + rank.start()
        before = _strip_metric(RE_YEAR_WORD.sub("", RE_QUAL_PREFIX.sub("", clause[:cut])))
        metric = RE_ACTION.sub("", before) or self.subject or RE_ACTION.sub("", clause)
        number = rank.group("top") or rank.group("nth") or rank.group("strong")
        value = _value(number) if number else None
        kind = "lead" if rank.group("first") in ("领先", "一流") else "rank"
        self.out.append(make(metric=metric or clause, indicator_kind="qualitative", comparator=kind,
                             comparator_zh=rank.group("phrase"), reference=rank.group("scope"), value=value,
                             normalized_value=value, normalized_unit="rank" if value is not None else None))
        self.last_metric = metric or self.last_metric
        return True

    def relative(self, clause: str, make: Callable[..., ParsedIndicator]) -> bool:
        relative = _relative(clause)
        if relative is None or _quantities(clause):
            return False
        metric_text, cmp_zh, ref, norm = relative
        metric = _strip_metric(RE_YEAR_WORD.sub("", metric_text)) or self.last_metric
        if not metric:
            return False
        self.out.append(make(metric=metric, indicator_kind="relative",
                             comparator=norm or RELATIVE_COMPARATORS[cmp_zh], comparator_zh=cmp_zh,
                             reference=ref))
        self.last_metric = metric
        return True

    def numeric(self, clause: str, span: Span, make: Callable[..., ParsedIndicator]) -> None:
        quantities = _quantities(clause)
        size_class = RE_CLASS.search(clause)
        rng = RE_RANGE.search(clause)
        if size_class and not any(q.start() <= size_class.start() < q.end() for q in quantities):
            quantities = [q for q in quantities if q.start() >= size_class.end()]
            if not quantities:  # 千亿级产业集群: the class of size is the value
                self.add_class(clause, size_class, make)
                return
        if not quantities:
            if re.search(r"\d", RE_YEAR_WORD.sub("", clause)):
                self.skip(span, f"a number in a target that is not a recognised indicator: {clause!r} "
                          "(valid: a metric with 达到/超过/突破/年均增长/下降 ... and a value with a unit)")
            return
        verb = RE_VERB.search(clause)
        if verb and verb.start() == 0 and verb.group(0) == "年均":  # 年均举办活动500场: a yearly count, named
            verb = None
        statement_at = verb.start() if verb else quantities[0].start()
        metric_text = clause[:statement_at]
        metric_text = RE_YEAR_WORD.sub("", metric_text) if RE_INLINE_YEAR.search(metric_text) else metric_text
        if len(quantities) > 1 and "分别" not in clause:  # 亿元以上项目: an amount inside the metric's name
            quantities = [q for q in quantities if q.start() >= statement_at] or quantities
        baseline = re.search(r"比(\d{4})年", clause)
        comparator, comparator_zh = _comparator(clause[statement_at:])
        value_max = None
        if rng and len(quantities) <= 2 and all(rng.start() <= q.start() and q.end() <= rng.end() for q in quantities):
            value_max = float(rng.group("high"))
            quantities = quantities[-1:]
            dash = re.search(r"[—–\-~至到]{1,2}", rng.group(0))
            comparator, comparator_zh = "between", dash.group(0) if dash else None
        if "分别" in clause and len(quantities) > 1:
            subjects = [s for s in re.split(r"和|、|及|与", metric_text) if s]
            if len(subjects) != len(quantities):
                self.skip(span, f"分别 pairs {len(subjects)} metric(s) with {len(quantities)} "
                          f"value(s) in {clause!r} (valid: as many metrics as values)")
                return
            shared = RE_SHARED_QUALIFIER.match(subjects[0])
            names = [s if (not shared or s.startswith(shared.group(1))) else shared.group(1) + s for s in subjects]
            pairs = list(zip(names, quantities, strict=True))
        elif len(quantities) > 1:
            self.skip(span, f"several values in one clause without 分别: {clause!r} "
                      "(valid: one value per clause, or 'A和B分别…X、Y')")
            return
        else:
            name = _strip_metric(re.sub(r"三年|累计", "", metric_text))
            if not name or RE_ACTION.fullmatch(name) or RE_BATCH.fullmatch(name):
                name = _metric_after(clause, quantities[0].end()) or self.last_metric or ""
            if not name:
                self.skip(span, f"an indicator with no metric named before it: {clause!r}")
                return
            pairs = [(name, quantities[0])]
        for name, q in pairs:
            name = _strip_metric(name)
            value = _value(q.group("num"))
            mag = MAGNITUDES.get(q.group("mag") or "", 1.0)
            unit = (q.group("mag") or "") + q.group("unit")
            low = float(rng.group("low")) if value_max is not None and rng else value
            self.out.append(make(metric=name, indicator_kind=_indicator_kind(clause, name, q.group("unit")),
                                 value=low, unit=unit, normalized_value=low * mag,
                                 normalized_unit=UNITS[q.group("unit")], comparator=comparator or "reach",
                                 comparator_zh=comparator_zh, value_max=value_max,
                                 baseline_year=int(baseline.group(1)) if baseline else None))
            self.last_metric = name

    def add_class(self, clause: str, m: re.Match[str], make: Callable[..., ParsedIndicator]) -> None:
        before = _strip_metric(RE_ACTION.sub("", RE_YEAR_WORD.sub("", clause[: m.start()])))
        after = clause[m.end():].strip(" ,;:")
        metric = (before + m.group(0) + after) if after else before or clause
        value = _value(m.group("num"))
        self.out.append(make(metric=metric, indicator_kind="level", value=value, unit=m.group("mag") + "元级",
                             normalized_value=value * MAGNITUDES[m.group("mag")], normalized_unit="CNY",
                             comparator="at_least", comparator_zh="级"))


def parse_indicators(body: str, body_start: int, line_no: int, default_year: int | None, full: str,
                     unplaced: list[Unplaced], subject: str | None = None) -> list[ParsedIndicator]:
    """Indicators in one target's body (already punctuation-normalised); `full` is the original text.

    Clauses with a number no rule reads are appended to `unplaced`; they stay in the target's text.
    """
    reader = _Clauses(body_start, line_no, default_year, full, unplaced, subject)
    for m in re.finditer(r"[^,;。]+", body):
        raw = m.group(0)
        lead = len(raw) - len(raw.lstrip())
        clause = raw.strip()
        if clause:
            reader.read(clause, body_start + m.start() + lead)
    return reader.out
