"""分工 tables as real ones are laid out: a 牵头单位 merged down over several tasks, two units in one cell on
separate lines, two columns that give the same field. Each read the same from .xlsx and .docx."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.ingest.assign import read_assignments
from kg.ingest.read import read_tables
from tests import assign_docs as docs

HEADER = ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"]
TASKS = [docs.ITEMS[k].text for k in (0, 1, 2)]


def _xlsx(path: Path, rows: list[list[str]], merges: tuple[str, ...] = ()) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append([c or None for c in row])
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def _docx(path: Path, rows: list[list[str]], merges: tuple[tuple[int, int, int, int], ...] = ()) -> Path:
    """A .docx table of `rows`; each merge (first row, first column, last row, last column), 0-based, keeps the
    first cell's text, as Word does."""
    import docx

    document = docx.Document()
    document.add_paragraph(docs.TITLE)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    for r0, c0, r1, c1 in merges:
        text = table.cell(r0, c0).text
        merged = table.cell(r0, c0).merge(table.cell(r1, c1))
        merged.text = text
    document.save(str(path))
    return path


def _leads(path: Path) -> list[str]:
    return [item.lead for item in read_assignments(path).items]


# -- merged cells -------------------------------------------------------------------------------------------------

MERGED_DOWN = [[docs.TITLE, "", "", "", ""], HEADER,
               ["1", TASKS[0], "市发展改革委", "市财政局", "2025年底前"],
               ["2", TASKS[1], "", "市商务局", ""],
               ["3", TASKS[2], "", "市数据局", ""]]


def test_a_lead_merged_down_over_three_tasks_leads_each_xlsx(tmp_path: Path) -> None:
    """A 牵头单位 (and a 完成时限) merged down over rows: openpyxl keeps the value in the first row only, so
    items 2 and 3 had no lead."""
    path = _xlsx(tmp_path / "merged.xlsx", MERGED_DOWN, ("C3:C5", "E3:E5"))
    items = read_assignments(path).items
    assert [i.lead for i in items] == ["市发展改革委"] * 3
    assert [i.deadline for i in items] == ["2025年底前"] * 3
    assert [i.responsible for i in items] == ["市财政局", "市商务局", "市数据局"]


def test_a_lead_merged_down_reads_the_same_from_docx(tmp_path: Path) -> None:
    rows = [r[:] for r in MERGED_DOWN[1:]]
    path = _docx(tmp_path / "merged.docx", rows, ((1, 2, 3, 2), (1, 4, 3, 4)))
    xlsx = _xlsx(tmp_path / "merged.xlsx", MERGED_DOWN, ("C3:C5", "E3:E5"))
    assert read_tables(path)[0].rows == read_tables(xlsx)[0].rows[1:]
    assert _leads(path) == ["市发展改革委"] * 3


def test_a_cell_merged_across_keeps_the_columns_after_it_in_place(tmp_path: Path) -> None:
    """One unit over 牵头单位 and 配合单位 (merged across): .docx rows lost a cell, so 完成时限 was read as 配合单位;
    .xlsx and .docx both give the value in its first column and an empty cell after it."""
    rows = [HEADER, ["1", TASKS[0], "市财政局", "", "2024年12月底"],
            ["2", TASKS[1], "市商务局", "市数据局", "长期坚持"]]
    docx_path = _docx(tmp_path / "across.docx", rows, ((1, 2, 1, 3),))
    xlsx_path = _xlsx(tmp_path / "across.xlsx", rows, ("C2:D2",))
    assert read_tables(docx_path)[0].rows == read_tables(xlsx_path)[0].rows == rows
    for path in (docx_path, xlsx_path):
        first = read_assignments(path).items[0]
        assert (first.lead, first.responsible, first.deadline) == ("市财政局", "", "2024年12月底"), path.suffix


def _with_merge_ref(path: Path, old: str, new: str) -> None:
    """Rewrite one <mergeCell ref> in the sheet's XML (openpyxl writes a row for every merged cell; Excel need not)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert f'ref="{old}"'.encode() in parts[sheet]
    parts[sheet] = parts[sheet].replace(f'ref="{old}"'.encode(), f'ref="{new}"'.encode())
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_a_merge_reaching_past_the_last_row_fills_only_the_rows_there_are(tmp_path: Path) -> None:
    rows = [HEADER, ["1", TASKS[0], "市商务局", "", ""], ["2", TASKS[1], "", "", ""]]
    path = _xlsx(tmp_path / "long.xlsx", rows, ("C2:C3",))
    _with_merge_ref(path, "C2:C3", "C2:C1048576")
    assert read_tables(path)[0].rows == [HEADER, ["1", TASKS[0], "市商务局", "", ""],
                                         ["2", TASKS[1], "市商务局", "", ""]]


def test_a_damaged_merge_is_one_error(tmp_path: Path) -> None:
    from kg.errors import UsageError

    path = _xlsx(tmp_path / "bad.xlsx", [HEADER, ["1", TASKS[0], "市商务局", "", ""], ["2", "", "", "", ""]],
                 ("C2:C3",))
    _with_merge_ref(path, "C2:C3", "C2:nowhere")
    with pytest.raises(UsageError, match=r"bad\.xlsx: not a readable \.xlsx workbook"):
        read_tables(path)


# -- two units in one cell, on separate lines ---------------------------------------------------------------------

def test_two_paragraphs_in_a_lead_cell_are_two_leads(tmp_path: Path) -> None:
    """市发展改革委 and 市工业和信息化局 as two paragraphs of one .docx cell (or two lines of an .xlsx cell) were
    one name, 市发展改革委市工业和信息化局, which resolved to nothing."""
    import docx

    from kg.ingest.review import import_assignments
    from tests.conftest import SEED

    document = docx.Document()
    document.add_paragraph(docs.TITLE)
    table = document.add_table(rows=2, cols=len(HEADER))
    for c, value in enumerate(HEADER):
        table.cell(0, c).text = value
    for c, value in enumerate(["1", docs.ITEMS[8].text, "", "市市场监管局", ""]):
        table.cell(1, c).text = value
    lead = table.cell(1, 2)
    lead.paragraphs[0].text = "市发展改革委"
    lead.add_paragraph("市工业和信息化局")
    docx_path = tmp_path / "two.docx"
    document.save(str(docx_path))
    xlsx_path = _xlsx(tmp_path / "two.xlsx", [HEADER, ["1", docs.ITEMS[8].text, "市发展改革委\n市工业和信息化局",
                                                        "市市场监管局", ""]])
    for path in (docx_path, xlsx_path):
        rows = import_assignments(path, SEED, title=docs.TITLE).rows
        assert [(r["role"], r["resolved"]) for r in rows] == [("lead", "D-drc"), ("lead", "D-miit"),
                                                              ("responsible", "D-samr")], path.suffix


# -- two columns that give one field ------------------------------------------------------------------------------

def test_two_lead_columns_are_both_read(tmp_path: Path) -> None:
    """牵头单位 and 牵头部门 side by side: the second was dropped without a word. Both are read, a name given in
    both once."""
    rows = [["序号", "工作任务", "牵头单位", "牵头部门", "配合单位"],
            ["1", TASKS[0], "市发展改革委", "市工业和信息化局", "市财政局"],
            ["2", TASKS[1], "市商务局", "市商务局", ""],
            ["3", TASKS[2], "", "市营商环境建设局", "市数据局"]]
    items = read_assignments(_xlsx(tmp_path / "two-leads.xlsx", rows)).items
    assert [i.lead for i in items] == ["市发展改革委、市工业和信息化局", "市商务局", "市营商环境建设局"]
    assert [i.responsible for i in items] == ["市财政局", "", "市数据局"]


def test_two_number_columns_are_refused_by_name(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app
    from tests.conftest import SEED

    rows = [[docs.TITLE, "", "", "", ""], ["序号", "编号", "工作任务", "牵头单位", "配合单位"],
            ["1", "7", TASKS[0], "市发展改革委", "市财政局"]]
    path = _xlsx(tmp_path / "two-numbers.xlsx", rows)
    review = tmp_path / "review.csv"
    result = CliRunner().invoke(app, ["assign", "import", str(path), "-o", str(review), "--seed", str(SEED)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: {path}:2: Sheet: columns 1 (序号) and 2 (编号) both give the item's "
                                     "number (valid: one 序号 or 编号 column; remove or rename the other)")
    assert "Traceback" not in result.output and not review.exists()


@pytest.mark.parametrize("suffix", [".xlsx", ".docx"])
def test_a_header_over_two_rows_names_the_columns_under_it(tmp_path: Path, suffix: str) -> None:
    """责任单位 spanning 牵头单位 | 配合单位 in the row below, 序号 and 工作任务 merged down over both rows."""
    rows = [["序号", "工作任务", "责任单位", ""], ["", "", "牵头单位", "配合单位"],
            ["1", TASKS[0], "市发展改革委", "市财政局"], ["2", TASKS[1], "市商务局", "市数据局"]]
    if suffix == ".xlsx":
        path = _xlsx(tmp_path / "two-rows.xlsx", [[docs.TITLE, "", "", ""], *rows], ("A2:A3", "B2:B3", "C2:D2"))
    else:
        path = _docx(tmp_path / "two-rows.docx", rows, ((0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3)))
    items = read_assignments(path).items
    assert [(i.number, i.lead, i.responsible) for i in items] == [(1, "市发展改革委", "市财政局"),
                                                                  (2, "市商务局", "市数据局")]


# -- the header again mid-table -----------------------------------------------------------------------------------

@pytest.mark.parametrize("write", [_xlsx, _docx])
def test_a_header_repeated_mid_table_is_not_an_item(tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    """A table pasted together from parts repeats its header between them (or a page's header typed in): the
    repeat is skipped, not read as an item whose task is 工作任务 and whose lead is 牵头单位."""
    rows = [[docs.TITLE, "", "", "", ""], HEADER,
            ["1", TASKS[0], "市发展改革委", "市财政局", "2025年底前"],
            HEADER,
            ["2", TASKS[1], "市商务局", "", "2024年底前"],
            ["3", TASKS[2], "市科技局", "市教育局", ""]]
    items = read_assignments(write(tmp_path / f"repeat.{write.__name__.lstrip('_')}", rows)).items
    assert [(i.number, i.text, i.lead) for i in items] == [
        (1, TASKS[0], "市发展改革委"), (2, TASKS[1], "市商务局"), (3, TASKS[2], "市科技局")]
