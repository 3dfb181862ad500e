"""Word's automatic numbering in .docx files: numbers that are in no paragraph's text (w:numPr, word/numbering.xml)
are read as Word shows them, so a plan numbered by Word keeps its 一、 / （一） / 1. structure and a 分工 table its
序号."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from kg.ingest.docx_numbering import format_number
from kg.ingest.parse import parse_file
from kg.ingest.read import read_document, read_tables
from tests import assign_docs as docs
from tests.numbered_docx import Lvl, define_lists, number, write_plan, write_typed
from tests.test_parse_corpus import CORPUS, summary

FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@pytest.mark.parametrize(("name", "tasks_continue", "through_styles"), [
    ("c01-notice-two-line-title", True, True),  # tasks 1–4 run on through the areas; numbers set on styles
    ("c08-cn-period-restart-numbers", False, False),  # tasks restart under each （一）; numbers set on paragraphs
])
def test_a_plan_numbered_by_word_parses_as_the_same_plan_typed(tmp_path: Path, name: str, tasks_continue: bool,
                                                               through_styles: bool) -> None:
    text = (CORPUS / f"{name}.txt").read_text(encoding="utf-8")
    auto = write_plan(tmp_path / "auto.docx", text, tasks_continue=tasks_continue, through_styles=through_styles)
    typed = write_typed(tmp_path / "typed.docx", text)
    assert "一、" not in "".join(p.text for p in docx.Document(str(auto)).paragraphs)  # only Word's numbering
    read = summary(parse_file(auto, strict=False))
    assert read == summary(parse_file(typed, strict=False))
    assert read["areas"] and all(area["tasks"] for area in read["areas"]) and read["measures"]


NOTHING = "nothing"
FORMAT_LISTS = {
    91: [Lvl("chineseCountingThousand", "%1、", suffix=NOTHING), Lvl("decimal", "%1.%2", suffix="space"),
         Lvl("decimalEnclosedCircle", "%3", suffix=NOTHING)],
    92: [Lvl("ideographTraditional", "%1、", suffix=NOTHING), Lvl("upperLetter", "%2.", start=3, suffix=NOTHING),
         Lvl("lowerLetter", "（%3）", suffix=NOTHING)],
    93: [Lvl("decimalFullWidth", "%1．", start=9, suffix=NOTHING)],
}
FORMAT_NUMS = {91: (91, {}), 92: (92, {}), 93: (93, {}), 94: (93, {}), 95: (93, {0: 1})}  # 94, 95 share 93's list
FORMAT_PARAGRAPHS: list[tuple[str, int | None, int | None]] = [
    ("总体要求", 91, 0), ("指导思想", 91, 1), ("基本原则", 91, 1), ("坚持", 91, 2), ("统筹", 91, 2),
    ("重点任务", 91, 0), ("一段正文", None, None), ("产业", 91, 1), ("第一项", 91, 2),
    ("甲项", 92, 0), ("丙起", 92, 1), ("小项", 92, 2), ("再一项", 92, 1), ("小项", 92, 2), ("乙项", 92, 0),
    ("丁起", 92, 1),
    ("第九", 93, 0), ("第十", 93, 0), ("同一抽象列表接着数", 94, 0), ("重新起号", 95, 0), ("再数", 95, 0),
    ("编号去掉", 0, 0),
]


def _write(path: Path, abstracts: dict[int, list[Lvl]], nums: dict[int, tuple[int, dict[int, int]]],
           paragraphs: list[tuple[str, int | None, int | None]]) -> Path:
    document = docx.Document()
    define_lists(document, abstracts, nums)
    for text, num_id, ilvl in paragraphs:
        paragraph = document.add_paragraph(text)
        if num_id is not None:
            number(paragraph, num_id, ilvl)
    document.save(str(path))
    return path


def _lines(tmp_path: Path, abstracts: dict[int, list[Lvl]], nums: dict[int, tuple[int, dict[int, int]]],
           paragraphs: list[tuple[str, int | None, int | None]]) -> list[str]:
    return read_document(_write(tmp_path / "numbered.docx", abstracts, nums, paragraphs)).text.split("\n")


def test_formats_levels_and_restarts_as_word_shows_them(tmp_path: Path) -> None:
    """%1 in a lower level's text is shown in level 1's own format (一.1), as Word shows it; see w:isLgl below."""
    lines = _lines(tmp_path, FORMAT_LISTS, FORMAT_NUMS, FORMAT_PARAGRAPHS)
    assert lines == [
        "一、总体要求", "一.1 指导思想", "一.2 基本原则", "①坚持", "②统筹",
        "二、重点任务", "一段正文", "二.1 产业", "①第一项",
        "甲、甲项", "C.丙起", "（a）小项", "D.再一项", "（a）小项", "乙、乙项", "C.丁起",
        "９．第九", "１０．第十", "１１．同一抽象列表接着数", "１．重新起号", "２．再数",
        "编号去掉",
    ]


def test_libreoffice_numbers_the_same_documents_the_same_way(tmp_path: Path) -> None:
    """A second reader of Word's numbering as the judge: LibreOffice's text export of the same files shows the same
    numbers (it puts its own spaces and indents around them, and shows decimalFullWidth in ASCII digits). Not
    checked here: w:lvlRestart, which LibreOffice 7 ignores and Word honours (the c01 case above)."""
    from tests.office import convert

    formats = _write(tmp_path / "formats.docx", FORMAT_LISTS, FORMAT_NUMS, FORMAT_PARAGRAPHS)
    text = (CORPUS / "c08-cn-period-restart-numbers.txt").read_text(encoding="utf-8")
    plan = write_plan(tmp_path / "plan.docx", text, tasks_continue=False, through_styles=True)
    for source in (formats, plan):
        exported = convert(source, "txt:Text (encoded):UTF8", tmp_path / "lo")
        theirs = exported.read_text(encoding="utf-8-sig").split()
        ours = read_document(source).text.translate(FULL_WIDTH_DIGITS).split()
        assert "".join(ours) == "".join(theirs) and len(ours) > 20


@pytest.mark.parametrize(("n", "fmt", "shown"), [
    (10, "chineseCounting", "十"), (11, "chineseCounting", "十一"), (20, "chineseCountingThousand", "二十"),
    (105, "chineseCountingThousand", "一百零五"), (105, "chineseCounting", "一百〇五"),
    (110, "chineseCounting", "一百一十"), (11, "ideographTraditional", "甲"),
    (21, "decimalEnclosedCircle", "21"), (28, "upperLetter", "BB"), (4, "lowerRoman", "iv"), (3, "none", ""),
    (12, "decimalEnclosedParen", "⑿"), (7, "chineseLegalSimplified", "柒"), (5, "someFutureFormat", "5"),
])
def test_one_counter_in_each_format(n: int, fmt: str, shown: str) -> None:
    assert format_number(n, fmt) == shown


def test_a_legal_level_shows_every_counter_in_decimal(tmp_path: Path) -> None:
    levels = [Lvl("chineseCounting", "%1、", suffix="nothing"), Lvl("decimal", "%1.%2", suffix="nothing", legal=True)]
    lines = _lines(tmp_path, {96: levels}, {96: (96, {})}, [("甲", 96, 0), ("乙", 96, 1), ("丙", 96, 0), ("丁", 96, 1)])
    assert lines == ["一、甲", "1.1乙", "二、丙", "2.1丁"]


def test_a_fengong_table_numbered_by_word_keeps_its_numbers(tmp_path: Path) -> None:
    """The 序号 cells of a 分工 table hold no text: each is a numbered paragraph (%1. here, Word's tab after it). The
    heading row 二、强化创新驱动 is typed and does not break the count."""
    from kg.ingest.assign import read_assignments

    typed = docs.write_docx(tmp_path / "typed.docx")
    document = docx.Document(str(typed))
    define_lists(document, {97: [Lvl("decimal", "%1.")]}, {97: (97, {})})
    for row in document.tables[0].rows[1:]:
        cell = row.cells[0]
        if cell.text.isdigit():
            cell.paragraphs[0].runs[0].text = ""
            number(cell.paragraphs[0], 97, 0)
    auto = tmp_path / "auto.docx"
    document.save(str(auto))
    assert [row[0] for row in read_tables(auto)[0].rows[:3]] == ["序号", "1.", "2."]
    read, expected = read_assignments(auto), read_assignments(typed)
    assert [item.number for item in read.items] == [item.number for item in expected.items] == \
        list(range(1, len(docs.ITEMS) + 1))
    assert [(i.text, i.lead, i.responsible, i.section) for i in read.items] == \
        [(i.text, i.lead, i.responsible, i.section) for i in expected.items]
