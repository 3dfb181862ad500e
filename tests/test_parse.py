"""The parser on the Shenyang plan and on variant texts of the same genre."""

from __future__ import annotations

import pytest

from kg.errors import ParseError
from kg.ingest.parse import ParsedPlan, parse_file, parse_text
from tests.conftest import SOURCE


@pytest.fixture(scope="module")
def shenyang():  # type: ignore[no-untyped-def]
    return parse_file(SOURCE)


def test_shenyang_counts(shenyang) -> None:  # type: ignore[no-untyped-def]
    assert len(shenyang.principles) == 6
    assert shenyang.goal is not None and shenyang.goal.quote.startswith("通过三年努力")
    assert len(shenyang.targets) == 10
    assert len(shenyang.areas) == 13
    assert len(shenyang.tasks) == 65
    assert len(shenyang.measures) == 6
    assert [t.number for t in shenyang.tasks] == list(range(1, 66))
    assert (shenyang.start_year, shenyang.end_year) == (2023, 2025)


def test_shenyang_names(shenyang) -> None:  # type: ignore[no-untyped-def]
    assert shenyang.principles[0].name == "坚持高质量发展"
    assert shenyang.principles[1].name == "坚持解放思想、改革创新"
    assert shenyang.targets[0].name == "经济实力实现新跨越"
    assert shenyang.targets[9].name == "安全能力实现新提升"
    assert shenyang.measures[1].name == "健全组织推进体系"
    area13 = shenyang.areas[12]
    assert (area13.name, area13.plus_one) == ("全面推进乡村振兴", True)
    assert [t.number for t in area13.tasks] == [62, 63, 64, 65]
    assert not any(a.plus_one for a in shenyang.areas[:12])
    assert shenyang.areas[2].focus == "加快产业结构调整"
    assert [t.name for t in shenyang.areas[0].tasks] == [
        "加快建设“一枢纽、四中心”", "全力以赴扩大有效投资", "千方百计提振消费", "综合施策扩大进出口"]
    assert [c.quote for c in shenyang.credits] == ["关欣/整理 袁野/制图"]


# (target, metric, kind, value, unit, normalized value, normalized unit, comparator, baseline year)
NUMERIC = [
    (3, "规模以上工业营业收入", "level", 1, "万亿元", 1e12, "CNY", "at_least", None),
    (3, "战略性新兴产业增加值", "annual_growth", 12, "%", 12, "percent", "at_least", None),
    (3, "“新字号”产业占比", "share", 36, "%", 36, "percent", "at_least", None),
    (3, "高端装备制造业占装备制造业比重", "share", 40, "%", 40, "percent", "reach", None),
    (4, "研发经费投入", "annual_growth", 10, "%", 10, "percent", "at_least", None),
    (4, "科技成果本地转化率", "share", 50, "%", 50, "percent", "at_least", None),
    (5, "都市圈经济体量占东北地区比重", "share", 25, "%", 25, "percent", "reach", None),
    (5, "县域地区规模以上工业总产值", "level", 600, "亿元", 6e10, "CNY", "at_least", None),
    (6, "实际利用外资", "cumulative", 50, "亿美元", 5e9, "USD", "at_least", None),
    (6, "进出口总额", "annual_growth", 7, "%", 7, "percent", "at_least", None),
    (6, "进出口总额", "level", 1720, "亿元", 1.72e11, "CNY", "reach", None),
    (7, "单位GDP能耗", "reduction", 15, "%", 15, "percent", "reach", 2020),
    (7, "单位GDP二氧化碳排放量", "reduction", 18.5, "%", 18.5, "percent", "reach", 2020),
    (7, "空气质量优良天数比例", "share", 88.3, "%", 88.3, "percent", "at_least", None),
    (8, "规模以上文化产业营业收入", "annual_growth", 10, "%", 10, "percent", "reach", None),
    (8, "文化及相关产业增加值占GDP比重", "share", 5, "%", 5, "percent", "reach", None),
]


def test_every_numeric_indicator(shenyang) -> None:  # type: ignore[no-untyped-def]
    got = [(t.number, i.metric, i.indicator_kind, i.value, i.unit, i.normalized_value, i.normalized_unit,
            i.comparator, i.baseline_year)
           for t in shenyang.targets for i in t.indicators if i.value is not None]
    assert got == [tuple(float(x) if isinstance(x, int) and k in (3, 5) else x for k, x in enumerate(row))
                   for row in NUMERIC]
    assert all(i.target_year == 2025 for i in shenyang.indicators)


def test_relative_and_qualitative_indicators_have_no_number(shenyang) -> None:  # type: ignore[no-untyped-def]
    other = [(i.metric, i.indicator_kind, i.comparator, i.reference) for i in shenyang.indicators if i.value is None]
    assert other == [
        ("地区生产总值增速", "relative", "above", "全国、全省水平"),
        ("营商便利度", "qualitative", "lead", "全国"),
        ("城乡居民人均可支配收入增速", "relative", "in_step", "经济增长"),
        ("城乡居民养老保险", "qualitative", "full_coverage", None),
    ]
    assert shenyang.targets[9].indicators == []  # the security target states no indicator


def test_every_quote_is_verbatim_at_its_offsets(shenyang) -> None:  # type: ignore[no-untyped-def]
    text = SOURCE.read_text(encoding="utf-8")
    spans = [shenyang.goal, shenyang.ideology, *shenyang.credits, *shenyang.front_matter]
    for items in (shenyang.principles, shenyang.targets, shenyang.measures, shenyang.areas, shenyang.tasks):
        spans += [i.span for i in items]
    spans += [i.span for i in shenyang.indicators]
    assert len(spans) == 125  # 4 + 6 principles + 10 targets + 6 measures + 13 areas + 65 tasks + 20 indicators + 1
    for span in spans:
        assert text[span.start:span.end] == span.quote
        assert text.splitlines()[span.line - 1].find(span.quote) >= 0


VARIANT = """各区、县(市)人民政府,市政府各部门:
现将《某市推动高质量发展三年行动计划(2024-2026年)》印发给你们,请认真贯彻执行。
某市人民政府
2024年3月1日
(此件公开发布)
某市推动高质量发展三年行动计划(2024-2026年)
一、总体要求
(一)指导思想。以新发展理念为引领,推动高质量发展。
(二)基本原则。
一是坚持创新驱动,把创新摆在首位;二是坚持绿色发展,守住生态底线。
——尊重规律,发挥优势。
(三)总体目标。
到2026年,全市经济实力明显增强。
经济实力明显增强。到2025年,地区生产总值达到9000亿元;到2026年,地区生产总值突破万亿元。
民生持续改善。居民收入增速不低于经济增速,城镇新增就业稳定在12万人以上。
二、重点任务
(一)聚焦产业升级,在建设现代产业体系上实现新突破
推动产业链延链补链。
1.壮大先进制造业。实施技术改造工程。
2.发展数字经济
(二)着力扩大开放,在高水平开放上实现新突破
3.扩大外贸
三、保障措施
(一)加强组织领导。成立工作专班,每月调度。
(二)强化考核评估。实行年度考核。
"""


def test_variant_genre_text() -> None:
    plan = parse_text(VARIANT, "variant.txt")
    assert plan.title == "某市推动高质量发展三年行动计划(2024-2026年)"
    assert (plan.start_year, plan.end_year) == (2024, 2026)
    assert set(plan.notice) == {"addressees", "issuance", "authority", "date", "publication", "title"}
    assert plan.ideology is not None and plan.ideology.quote == "以新发展理念为引领,推动高质量发展。"
    assert [p.name for p in plan.principles] == ["坚持创新驱动", "坚持绿色发展", "尊重规律,发挥优势"]
    assert [t.name for t in plan.targets] == ["经济实力明显增强", "民生持续改善"]
    staged = [(i.metric, i.value, i.unit, i.normalized_value, i.target_year, i.comparator)
              for i in plan.targets[0].indicators]
    assert staged == [("地区生产总值", 9000.0, "亿元", 9e11, 2025, "reach"),
                      ("地区生产总值", 1.0, "万亿元", 1e12, 2026, "above")]
    livelihood = plan.targets[1].indicators
    assert (livelihood[0].indicator_kind, livelihood[0].reference) == ("relative", "经济增速")
    assert (livelihood[1].value, livelihood[1].unit, livelihood[1].normalized_value,
            livelihood[1].comparator) == (12.0, "万人", 1.2e5, "stable")
    assert [(a.name, a.focus, [t.number for t in a.tasks]) for a in plan.areas] == [
        ("建设现代产业体系", "产业升级", [1, 2]), ("高水平开放", "扩大开放", [3])]
    assert plan.tasks[0].name == "壮大先进制造业" and plan.tasks[0].text == "实施技术改造工程。"
    assert [m.name for m in plan.measures] == ["加强组织领导", "强化考核评估"]
    for span in [plan.ideology, *(p.span for p in plan.principles), *(i.span for i in plan.indicators)]:
        assert VARIANT[span.start:span.end] == span.quote


def test_full_width_punctuation_gives_the_same_result() -> None:
    full = VARIANT.replace("(", "（").replace(")", "）").replace(",", "，").replace(";", "；").replace(":", "：")
    a, b = parse_text(VARIANT), parse_text(full)
    assert [p.name.replace(",", "，") for p in a.principles] == [p.name for p in b.principles]
    assert [(i.value, i.unit) for i in a.indicators] == [(i.value, i.unit) for i in b.indicators]
    assert [t.name for t in a.tasks] == [t.name for t in b.tasks]


@pytest.mark.parametrize(("broken", "line", "message"), [
    (VARIANT.replace("2.发展数字经济", "4.发展数字经济"), 20, "task number 4 out of sequence (expected 2)"),
    (VARIANT.replace("——尊重规律,发挥优势。", "这一行不知道属于哪里"), 11, "a principle starts with ——"),
    (VARIANT.replace("民生持续改善。", "民生持续改善,居民收入提高。"), 15, "a sub-target starts with a short title"),
    (VARIANT.replace("城镇新增就业稳定在12万人以上", "城镇新增就业12"), 15, "not a recognised indicator"),
    (VARIANT.replace("(2024-2026年)", ""), 6, "no plan period found"),
    (VARIANT.split("二、重点任务")[0], 15, "without finding any areas"),
])
def test_malformed_text_gives_the_line(broken: str, line: int, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_text(broken, "broken.txt", strict=True)
    assert err.value.line == line
    assert message in str(err.value)
    assert str(err.value).startswith(f"broken.txt:{line}: ")


def test_a_preamble_quoting_another_issuance_is_not_the_issuance() -> None:
    text = ("临江市养老服务提升三年行动方案(2024—2026年)\n"
            "为贯彻落实《北川省人民政府关于印发北川省养老服务体系建设规划的通知》精神，制定本方案。\n"
            "一、总体要求\n(一)指导思想。推动养老服务高质量发展。\n")
    plan = parse_text(text, "p.txt")
    assert plan.title == "临江市养老服务提升三年行动方案(2024—2026年)"
    assert "issuance" not in plan.notice and [s.line for s in plan.front_matter] == [2]


def test_the_issuance_sentence_and_a_heading_quoting_the_plan() -> None:
    text = ("关于印发《临江市养老服务提升三年行动方案》的通知\n"
            "《临江市养老服务提升三年行动方案》已经市政府同意，现印发给你们，请认真贯彻落实。\n"
            "临江市养老服务提升三年行动方案\n(2024—2026年)\n一、总体要求\n")
    plan = parse_text(text, "p.txt")
    assert {k: s.line for k, s in plan.notice.items()} == {"heading": 1, "issuance": 2, "title": 3}
    assert plan.title == "临江市养老服务提升三年行动方案(2024—2026年)"
    assert plan.notice["title"].quote == "临江市养老服务提升三年行动方案\n(2024—2026年)"
    assert (plan.start_year, plan.end_year, plan.period_from) == (2024, 2026, "title")


def _one_target(body: str) -> ParsedPlan:
    return parse_text(f"某市三年行动方案(2023—2025年)\n总体目标\n到2025年。\n发展目标明确。{body}\n", "t.txt")


# (target body, [(metric, kind, value, value_max, unit, comparator, reference, target year)])
FORMS = [
    ("收入2024年达到全省平均水平，2025年超过全省平均水平。",
     [("收入", "relative", None, None, None, "reach", "全省平均水平", 2024),
      ("收入", "relative", None, None, None, "above", "全省平均水平", 2025)]),
    ("人均收入赶上全国平均水平。", [("人均收入", "relative", None, None, None, "reach", "全国平均水平", 2025)]),
    ("营商环境进入全国第一方阵，创新指数位居全省前列，开放水平全国领先。",
     [("营商环境", "qualitative", None, None, None, "rank", "全国", 2025),
      ("创新指数", "qualitative", None, None, None, "rank", "全省", 2025),
      ("开放水平", "qualitative", None, None, None, "lead", "全国", 2025)]),
    ("旅游收入超五百亿元。", [("旅游收入", "level", 500.0, None, "亿元", "above", None, 2025)]),
    ("形成千亿级汽车产业集群。", [("千亿级汽车产业集群", "level", 1.0, None, "千亿元级", "at_least", None, 2025)]),
    ("软件收入百亿元以上。", [("软件收入", "level", 100.0, None, "亿元", "at_least", None, 2025)]),
    ("科技型企业力争达到3000家，建设5个孵化器。",
     [("科技型企业", "count", 3000.0, None, "家", "strive", None, 2025),
      ("孵化器", "count", 5.0, None, "个", "reach", None, 2025)]),
    ("地区生产总值年均增长6%左右。", [("地区生产总值", "annual_growth", 6.0, None, "%", "about", None, 2025)]),
    ("投资年均增长6%—7%，消费增长5~6%。",
     [("投资", "annual_growth", 6.0, 7.0, "%", "between", None, 2025),
      ("消费", "growth", 5.0, 6.0, "%", "between", None, 2025)]),
]


@pytest.mark.parametrize(("body", "expected"), FORMS, ids=[b[:8] for b, _ in FORMS])
def test_indicator_forms(body: str, expected: list[tuple[object, ...]]) -> None:
    plan = _one_target(body)
    got = [(i.metric, i.indicator_kind, i.value, i.value_max, i.unit, i.comparator, i.reference, i.target_year)
           for i in plan.indicators]
    assert got == expected
    assert plan.unplaced == []


def test_a_number_no_rule_reads_stays_in_the_text_and_is_listed() -> None:
    plan = _one_target("建成15分钟生活圈，绿地率达到40%。")
    assert [(i.metric, i.value) for i in plan.indicators] == [("绿地率", 40.0)]
    assert plan.targets[0].text == "建成15分钟生活圈，绿地率达到40%。"
    assert [(u.line, u.text, u.whole_line) for u in plan.unplaced] == [(4, "建成15分钟生活圈", False)]
    with pytest.raises(ParseError, match=r"^t\.txt:4: a number in a target that is not a recognised indicator"):
        parse_text(plan.text, "t.txt", strict=True)


def test_per_region_targets_under_a_region_heading() -> None:
    text = ("某省三年行动方案(2023—2025年)\n总体目标\n到2025年。\n区域目标\n"
            "临江市。地区生产总值达到6000亿元。\n河东新区:进入全国国家级新区第一方阵。\n")
    plan = parse_text(text, "r.txt")
    assert [(t.name, t.region, [(i.metric, i.value, i.comparator) for i in t.indicators]) for t in plan.targets] == [
        ("临江市", "临江市", [("地区生产总值", 6000.0, "reach")]),
        ("河东新区", "河东新区", [("河东新区", None, "rank")])]


def test_a_label_line_above_a_whole_title_is_not_half_of_it() -> None:
    plan = parse_text("政策文件\n临江市养老服务提升三年行动方案(2024—2026年)\n一、总体要求\n", "p.txt")
    assert plan.title == "临江市养老服务提升三年行动方案(2024—2026年)"
    assert [s.quote for s in plan.front_matter] == ["政策文件"]


def test_page_headers_repeated_mid_document_join_no_task_or_measure() -> None:
    """A PDF's text layer repeats the letterhead, the title and the page number on every page; these were
    appended to whichever task or measure the page break fell in (task 3's text read `第 3 页，共 4 页`)."""
    from tests.test_parse_corpus import CORPUS

    plan = parse_file(CORPUS / "c13-page-headers-mid-document.txt", strict=False)
    texts = [t.text for t in plan.tasks] + [m.text for m in plan.measures]
    assert texts == ["推出城市漫游线路20条。", "建设夜间文旅消费集聚区10个以上。", "", "",
                     "成立工作专班。", "统筹安排专项资金。", "每年开展评估。"]
    assert not plan.unplaced


@pytest.mark.parametrize("line", ["— 7 —", "- 7 -", "7", "第7页", "第 7 页，共 12 页", "第7页/共12页", "共12页 第7页",
                                  "7/12", "2024年4月2日"])
def test_a_page_number_or_a_signature_date_after_a_task_is_not_its_text(line: str) -> None:
    text = ("临江市文旅消费提振三年行动计划（2024—2026年）\n一、重点任务\n（一）丰富消费供给\n"
            f"1.打造精品线路。推出线路20条。\n{line}\n2.培育夜间经济。\n")
    plan = parse_text(text)
    assert [t.text for t in plan.tasks] == ["推出线路20条。", ""]
    assert plan.lines["boilerplate"] >= 2 and not plan.unplaced


def test_a_count_after_a_batch_word_is_of_the_noun_after_it() -> None:
    """`全市首批100个…示范社区全面建成` (a city's 实施方案) read its metric as `首批`: the batch, not the thing
    counted."""
    plan = parse_text("青原市社区服务设施建设实施方案\n一、主要目标\n"
                      "到2025年底前，全市首批60个社区嵌入式服务设施示范社区全面建成，第二批40个示范社区开工建设。\n")
    got = [(i.metric, i.value, i.unit, i.target_year) for i in plan.goal_indicators]
    assert got == [("社区嵌入式服务设施示范社区", 60.0, "个", 2025), ("示范社区", 40.0, "个", 2025)]


def test_a_plan_laid_out_in_chapters_reads_its_sections_and_keeps_its_boxes_apart() -> None:
    """第一章/第一节 plans: the sections under 重点任务 are the areas, the first numbered level under each its tasks
    ((1) under one, 1. under the next); a 专栏 box's items are the box's text, never tasks, and its table rows are
    listed as unplaced; every line is placed or listed."""
    from pathlib import Path

    plan = parse_file(Path(__file__).parent / "corpus" / "plans" / "c15-chapters-sections-boxes.txt", strict=False)
    assert [a.name for a in plan.areas] == ["夯实数字基础设施", "壮大数字产业", "推进产业数字化"]
    assert [[t.name for t in a.tasks] for a in plan.areas] == [
        ["实施千兆光网工程", "建设城市物联感知体系"], ["培育集成电路产业集群", "发展软件和信息技术服务业"],
        ["实施制造业数字化改造", "发展智慧农业"]]
    boxes = [s.quote for s in plan.intros["boxes"]]
    assert boxes == ["专栏1 主要指标", "专栏2 数字产业重大工程", "1.数据中心集群工程。建设数据中心标准机架5万个。",
                     "2.工业互联网标识解析二级节点工程。"]
    tasks = [t.name for a in plan.areas for t in a.tasks]
    assert not {"数据中心集群工程", "工业互联网标识解析二级节点工程"} & set(tasks)
    assert [u.line for u in plan.unplaced] == [14, 15, 16] and all("table row" in u.reason for u in plan.unplaced)
    assert [m.name for m in plan.measures] == ["加强组织领导", "加大资金支持"]
    assert plan.lines["placed"] + plan.lines["boilerplate"] + plan.lines["unplaced"] == plan.lines["total"]


def test_chapters_without_a_tasks_heading_are_areas_and_their_sections_tasks() -> None:
    text = ("河东新区开放发展三年行动计划（2024—2026年）\n第一章 总体要求\n"
            "到2026年，新区实际使用外资累计达到30亿美元。\n"
            "第二章 建设高水平开放平台\n第一节 提升综合保税区能级。推动保税研发、保税维修业务发展。\n"
            "第二节 建设跨境电商综合试验区。\n第三章 培育外贸新业态\n第一节 发展市场采购贸易。\n"
            "第二节 扩大服务贸易规模。\n"
            "第四章 保障措施\n第一节 强化组织领导。新区管委会统筹推进。\n")
    plan = parse_text(text, "c.txt")
    assert [(a.name, [t.name for t in a.tasks]) for a in plan.areas] == [
        ("建设高水平开放平台", ["提升综合保税区能级", "建设跨境电商综合试验区"]),
        ("培育外贸新业态", ["发展市场采购贸易", "扩大服务贸易规模"])]
    assert plan.areas[0].tasks[0].text == "推动保税研发、保税维修业务发展。"
    assert [m.name for m in plan.measures] == ["强化组织领导"] and not plan.unplaced


def test_a_box_in_a_plan_numbered_one_two_three_ends_at_the_next_area() -> None:
    text = ("临江市物流发展三年行动方案（2024-2026年）\n一、重点任务\n（一）建设物流枢纽\n1.建设国际陆港。\n"
            "专栏1 重大项目\n1.临江陆港多式联运中心项目。\n2.冷链物流园项目。\n（二）发展冷链物流\n1.完善冷链设施。\n"
            "二、保障措施\n（一）加强组织领导。市发展改革委牵头。\n")
    plan = parse_text(text, "b.txt")
    assert [(a.name, [t.name for t in a.tasks]) for a in plan.areas] == [
        ("建设物流枢纽", ["建设国际陆港"]), ("发展冷链物流", ["完善冷链设施"])]
    assert [s.quote for s in plan.intros["boxes"]] == ["专栏1 重大项目", "1.临江陆港多式联运中心项目。",
                                                       "2.冷链物流园项目。"]
