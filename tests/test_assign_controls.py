"""Control characters in a 分工 document's unit cells. Word's layout characters part two names as a line break
does: a manual line break (a vertical tab when copied out of Word, `_x000B_` once Excel has saved it), a page break
(a form feed, or a page break inside a .docx cell, which read as nothing and glued two names into one), a carriage
return. Any other control character (a bell, NUL, ESC, DEL, an information separator) is no part of a name: it is
refused naming the file, the row and the character as its sign, where it was kept inside the department's name."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.ingest.review import import_assignments
from tests import assign_docs as docs
from tests.conftest import SEED

runner = CliRunner()
HEADER = ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"]
TASK = docs.ITEMS[4].text  # T9, led by 市工业和信息化局 and 市发展改革委, 市市场监管局 supporting
EXPECTED = [("lead", "D-drc"), ("lead", "D-miit"), ("responsible", "D-samr")]


def _csv(path: Path, lead: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows([[docs.TITLE, "", "", "", ""], HEADER,
                                                    ["1", TASK, lead, "市市场监管局", ""]])
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def _xlsx(path: Path, lead: str) -> Path:
    """As Excel saves a cell holding a control character: escaped as _xHHHH_ (XML cannot hold the character)."""
    from openpyxl import Workbook

    escaped = "".join(f"_x{ord(c):04X}_" if ord(c) < 0x20 and c != "\n" else c for c in lead)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in ([docs.TITLE], HEADER, ["1", TASK, escaped, "市市场监管局", None]):
        ws.append(row)
    wb.save(path)
    return path


def _docx(path: Path, first: str, second: str, kind: str | None) -> Path:
    """A lead cell of two names parted by a line break (kind None) or a page or column break inside one run."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph(docs.TITLE)
    table = document.add_table(rows=2, cols=len(HEADER))
    for c, value in enumerate(HEADER):
        table.cell(0, c).text = value
    for c, value in enumerate(["1", TASK, "", "市市场监管局", ""]):
        table.cell(1, c).text = value
    run = table.cell(1, 2).paragraphs[0].add_run(first)
    br = run._r.add_br()
    if kind:
        br.set(qn("w:type"), kind)
    run._r.add_t(second)
    document.save(str(path))
    return path


def _units(path: Path) -> list[tuple[str, str]]:
    return [(r["role"], r["resolved"]) for r in import_assignments(path, SEED, title=docs.TITLE).rows]


@pytest.mark.parametrize("between", ["\x0b", "\x0c", "\r", "\r\n"], ids=["vertical tab", "form feed", "CR", "CRLF"])
@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_words_layout_characters_part_two_names(tmp_path: Path, form: str, between: str) -> None:
    lead = f"市发展改革委{between}市工业和信息化局"
    path = _csv(tmp_path / "fengong.csv", lead) if form == "csv" else _xlsx(tmp_path / "fengong.xlsx", lead)
    assert _units(path) == EXPECTED


@pytest.mark.parametrize("kind", [None, "page", "column"])
def test_a_break_inside_a_docx_cell_parts_two_names(tmp_path: Path, kind: str | None) -> None:
    """A page or column break read as nothing: 市发展改革委市工业和信息化局, one name that resolved to nothing."""
    assert _units(_docx(tmp_path / "fengong.docx", "市发展改革委", "市工业和信息化局", kind)) == EXPECTED


CONTROLS = ["\x07", "\x00", "\x1b", "\x1c", "\x1f", "\x7f", "\x08", "\x0e", "\x9b"]


@pytest.mark.parametrize(("form", "char"), [(form, char) for form in ("csv", "xlsx", "txt") for char in CONTROLS
                                            if (form, char) != ("txt", "\x1c")])  # a line break in a text document
def test_any_other_control_character_in_a_unit_is_refused_by_row(tmp_path: Path, form: str, char: str) -> None:
    """Between two names, where stripping the cell cannot take it away. In a text document \x1c-\x1e end a line,
    as they do for every text kg reads (str.splitlines), and NUL makes it no text file: never in a name there
    either."""
    lead = f"市发展改革委{char}市工业和信息化局"
    if form == "csv":
        path, at = _csv(tmp_path / "fengong.csv", lead), "fengong.csv:3"
    elif form == "xlsx":
        path, at = _xlsx(tmp_path / "fengong.xlsx", lead), "fengong.xlsx:Sheet:3"
    else:
        path, at = tmp_path / "fengong.txt", "fengong.txt:3"
        path.write_bytes(f"{docs.TITLE}\n1.{TASK}\n牵头单位:{lead}\n责任单位:市市场监管局\n".encode())
    review = tmp_path / "review.csv"
    result = runner.invoke(app, ["assign", "import", str(path), "-o", str(review), "--seed", str(SEED)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    lines = result.stderr.splitlines()
    sign = chr(0x2400 + ord(char)) if char < "\x20" else "\u2421" if char == "\x7f" else f"<U+{ord(char):04X}>"
    if form == "txt" and char == "\x00":
        assert lines == [f"Error: {path}: holds NUL characters, not a text file (valid: .txt, .docx, .pdf)"]
    else:
        assert lines == [f"Error: {tmp_path}/{at}: 牵头单位 '市发展改革委{sign}市工业和信息化局' holds a control "
                         f"character, {sign} (U+{ord(char):04X}), which is no part of a name (valid: names parted "
                         "by 、, a comma or a line break)"], result.stderr
    assert not review.exists()


def test_the_refusal_reads_in_chinese(tmp_path: Path) -> None:
    path = _csv(tmp_path / "fengong.csv", "市发展改革委\x07")
    result = runner.invoke(app, ["--lang", "zh", "assign", "import", str(path), "-o", str(tmp_path / "r.csv"),
                                 "--seed", str(SEED)], env={**os.environ, "KG_LANG": "zh"})
    assert result.exit_code == 2 and "控制字符" in result.stderr and "␇" in result.stderr, result.stderr
