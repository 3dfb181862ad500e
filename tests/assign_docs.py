"""分工 documents for the tests, in each published form (F1–F5), written from one list of items.

The items name Shenyang's real departments the way official lists do (elided prefixes, 等有关部门, brackets,
collectives, district names) and two that the registry does not know (市体育局, 市政府办公室) and two district
bodies (区农业农村局, 区市场监管局) that must not resolve to the city's. The department names are real; the
document itself is made up for the tests (an `example`, not an official decision).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

TITLE = "沈阳市全面振兴新突破三年行动重点任务分工方案"
DATE = "2023年3月15日"


@dataclass(frozen=True)
class Spec:
    task: str | None  # the plan task it should match, None for a work item
    text: str
    lead: str  # as written
    responsible: str
    leads: tuple[str, ...]  # expected ids
    responsibles: tuple[str, ...]
    unresolved: tuple[str, ...] = ()  # names as written that must land unresolved in the review
    leader: str = ""
    deadline: str = ""


ITEMS: list[Spec] = [
    Spec("T2", "全力以赴扩大有效投资,谋划储备一批重大项目", "市发展改革委",
         "市财政局、自然资源局等有关部门,各区、县(市)政府及开发区管委会",
         ("D-drc",), ("D-finance", "D-natres", "D-districts-zones"), leader="市政府分管副市长", deadline="2025年底前"),
    Spec("T3", "千方百计提振消费,开展系列促消费活动", "市商务局", "市服务业委、文化旅游广电局",
         ("D-commerce",), ("D-services", "D-culture"), deadline="长期坚持"),
    Spec("T5", "持续优化营商环境,深化“一网通办”改革", "市营商环境建设局", "市数据局(市营商局)、市场监管局",
         ("D-bizenv",), ("D-data", "D-samr"), leader="市政府分管副市长"),
    Spec("T7", "深化财税体制改革,完善财政管理制度", "市财政局", "", ("D-finance",), (), deadline="2024年12月底"),
    Spec("T9", "发展壮大民营经济,落实支持民营企业发展政策", "市工业和信息化局、发展改革委",
         "市市场监管局、地方金融监管局等", ("D-miit", "D-drc"), ("D-samr", "D-finreg")),
    Spec("T13", "建成先进装备制造基地,壮大整机制造能力", "市工业和信息化局", "市科技局、铁西区、浑南区",
         ("D-miit",), ("D-science", "D-tiexi", "D-hunnan"), deadline="2025年底前"),
    Spec("T15", "加快发展数字经济,推进数字产业化和产业数字化", "市工业和信息化局", "市大数据局、发展改革委",
         ("D-miit",), ("D-bigdata", "D-drc"), leader="市政府分管副市长"),
    Spec("T22", "建设具有全国影响力的区域科技创新中心", "市科技局", "市发展改革委、教育局、浑南区",
         ("D-science",), ("D-drc", "D-education", "D-hunnan")),
    Spec("T25", "实施人才强市战略,引育高层次人才", "市委组织部、人力资源社会保障局", "市科技局、教育局",
         ("D-organization", "D-hrss"), ("D-science", "D-education"), deadline="长期坚持"),
    Spec("T37", "强化招商选资,开展精准招商", "市商务局", "市直有关部门,各区、县(市)政府",
         ("D-commerce",), ("D-city-departments", "D-districts")),
    Spec("T39", "实施城市更新行动,推进老旧小区改造", "市城乡建设局", "市自然资源局、房产局、城市管理行政执法局",
         ("D-construction",), ("D-natres", "D-housing", "D-urban-mgmt"), deadline="2025年底前"),
    Spec("T46", "深入推进污染防治,打好蓝天碧水净土保卫战", "市生态环境局", "市城乡建设局、农业农村局、交通运输局",
         ("D-ecology",), ("D-construction", "D-agriculture", "D-transport")),
    Spec("T49", "推进法治政府建设,严格规范公正文明执法", "市司法局", "市直各有关部门",
         ("D-justice",), ("D-city-departments",)),
    Spec("T59", "推进健康沈阳建设,提升医疗服务能力", "市卫生健康委", "市医保局、体育局",
         ("D-health",), ("D-medical-insurance",), unresolved=("体育局",)),
    Spec("T62", "完善现代农业产业体系,稳定粮食生产", "市农业农村局", "新民市、辽中区、康平县、法库县",
         ("D-agriculture",), ("D-xinmin", "D-liaozhong", "D-kangping", "D-faku"), deadline="每年10月底"),
    Spec(None, "建立重点任务月调度季通报机制,定期督查督办", "市委办公室、市政府办公室", "各成员单位",
         ("D-cpc-office",), ("D-member-units",), unresolved=("市政府办公室",), deadline="2023年6月底"),
    Spec(None, "组织编制年度考核细则并开展第三方评估", "市发展改革委", "区农业农村局、市场监管局",
         ("D-drc",), (), unresolved=("区农业农村局", "市场监管局")),
]


def numbered(k: int) -> str:
    return f"{k}."


def f1_text() -> str:
    """F1: the task, then labelled lines."""
    out = [f"{TITLE}", "", DATE, "", "一、扩大有效需求"]
    for k, s in enumerate(ITEMS, start=1):
        if k == 9:
            out.append("二、强化创新驱动")
        out.append(f"{k}.{s.text}。")
        if s.leader:
            out.append(f"牵头领导:{s.leader}")
        out.append(f"牵头单位:{s.lead}")
        if s.responsible:
            out.append(f"{'责任单位' if k % 2 else '配合单位'}:{s.responsible}")
        if s.deadline:
            out.append(f"完成时限:{s.deadline}")
        out.append("")
    return "\n".join(out)


def f2_text() -> str:
    """F2: every unit in one bracket, all responsible, no lead."""
    out = [TITLE, DATE, ""]
    for k, s in enumerate(ITEMS, start=1):
        units = s.lead + ("、" + s.responsible if s.responsible else "")
        out.append(f"({k}){s.text}。({units}等按职责分工负责)")
    return "\n".join(out)


def f3_text() -> str:
    """F3: the split inline, in both bracket styles."""
    out = [TITLE, DATE, ""]
    for k, s in enumerate(ITEMS, start=1):
        if k % 2:
            rest = f",{s.responsible}按职责分工负责" if s.responsible else ""
            out.append(f"{k}.{s.text}。〔{s.lead}等牵头{rest}〕")
        else:
            rest = f",{s.responsible}等按职责分工负责" if s.responsible else ""
            out.append(f"{k}.{s.text}。({s.lead}牵头{rest})")
    return "\n".join(out)


HEADER = ["序号", "主要任务", "牵头单位", "配合单位", "责任领导", "完成时限"]


def table_rows() -> list[list[str]]:
    rows = [[TITLE, "", "", "", "", ""], [DATE, "", "", "", "", ""], HEADER]
    for k, s in enumerate(ITEMS, start=1):
        if k == 9:
            rows.append(["二、强化创新驱动", "", "", "", "", ""])
        rows.append([str(k), s.text, s.lead, s.responsible, s.leader, s.deadline])
    return rows


def write_csv(path: Path) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table_rows())
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


def write_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "分工"
    for row in table_rows():
        ws.append([int(c) if c.isdigit() else (c or None) for c in row])
    wb.save(path)
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    document.add_paragraph(DATE)
    rows = table_rows()[2:]
    table = document.add_table(rows=len(rows), cols=len(HEADER))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(str(path))
    return path


def write_text_docx(path: Path, text: str) -> Path:
    """A .docx of paragraphs only (a labelled or inline document saved from Word)."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    document.save(str(path))
    return path


def f5_text() -> str:
    """F5: the table flattened to text, one cell a line, the task text and a long unit cell split over two lines,
    empty cells left out."""
    out = [TITLE, DATE, *HEADER]
    for k, s in enumerate(ITEMS, start=1):
        out.append(str(k))
        half = len(s.text) // 2
        out += [s.text[:half], s.text[half:]]
        out.append(s.lead)
        if s.responsible:
            if len(s.responsible) > 14:
                cut = len(s.responsible) // 2
                out += [s.responsible[:cut], s.responsible[cut:]]
            else:
                out.append(s.responsible)
        if s.leader:
            out.append(s.leader)
        if s.deadline:
            out.append(s.deadline)
    return "\n".join(out)
