"""The bulletin: built from the example ledger, its .docx read back (headings, every table's rows, the red list, the
example mark on every page), converted to PDF by LibreOffice and its text checked; the HTML and Markdown; the
indicator contract with and without the indicator-status module."""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.cli.report import bulletin_for, indicator_lines
from kg.progress.ledger import LedgerRow, save
from kg.report.model import EXAMPLE_MARK, Heading, Table
from kg.report.write_docx import write_docx
from kg.report.write_html import write_html
from kg.report.write_md import write_md
from tests.conftest import SEED
from tests.office import convert

runner = CliRunner()
PLAN = "shenyang-2023-2025"
EXAMPLES = [SEED / "examples" / "ledger-2025-05.csv", SEED / "examples" / "ledger-2025-06.csv"]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A built store and the example ledger imported through the CLI."""
    folder = tmp_path_factory.mktemp("report")
    db, ledger = folder / "plan.lbug", folder / "ledger"
    assert runner.invoke(app, ["build", "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(ledger),
                                 *map(str, EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert "imported 175 row(s) (175 of them 示例数据 / example data, made up) from 2 file(s)" in result.stdout
    return {"db": db, "ledger": ledger, "folder": folder}


@pytest.fixture(scope="module")
def bulletin(example: dict[str, Path], plan_graph: Any) -> Any:
    return bulletin_for(plan_graph, "2025-06", example["ledger"], SEED, "2025-06-28")


def _docx(data: bytes) -> Any:
    import docx

    return docx.Document(io.BytesIO(data))


def test_the_example_bulletin_counts_what_the_example_ledger_says(bulletin: Any) -> None:
    summary = bulletin.tables()["summary"]
    assert summary.rows[2] == ["重点任务 tasks", "42", "18", "2", "3"]  # green, yellow, red, no data
    assert [r[0] for r in bulletin.tables()["red"].rows] == ["T22", "T45"]
    assert sorted(r[0] for r in bulletin.tables()["missing"].rows) == ["市委政法委", "市财政局"]
    assert [r[:3] for r in bulletin.tables()["late"].rows] == [["市工业和信息化局", "T19", "2025-06-30"]]
    changes = {r[0]: (r[2], r[3]) for r in bulletin.tables()["changes"].rows}
    assert changes["T22"] == ("黄灯 yellow", "红灯 red") and changes["T7"] == ("绿灯 green", "无数据 grey")
    assert bulletin.example and bulletin.date_line == "2025年6月28日"
    assert bulletin.issuer == "市全面振兴新突破三年行动指挥部办公室"


def test_docx_reads_back_headings_tables_red_list_and_the_example_mark(bulletin: Any, plan_graph: Any) -> None:
    document = _docx(write_docx(bulletin))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [b.text for b in bulletin.blocks if isinstance(b, Heading)]
    assert headings[0] == "一、总体情况 Summary" and headings[-1].startswith("附件")
    assert sum(h.startswith("(") for h in headings) == len(plan_graph.of_kind("Target")) == 10
    tables = [b for b in bulletin.blocks if isinstance(b, Table)]
    assert len(document.tables) == len(tables)
    for model, table in zip(tables, document.tables, strict=True):
        got = [[c.text for c in row.cells] for row in table.rows]
        assert got == [model.headers, *model.rows], model.key
    red = document.tables[tables.index(bulletin.tables()["red"])]
    assert [row.cells[1].text for row in red.rows[1:]] == ["建设具有全国影响力的区域科技创新中心",
                                                           "稳步推进碳达峰碳中和"]
    assert red.rows[1].cells[6].text.startswith("（示例）")  # 存在问题 as reported
    # the mark: in the heading and on every page (one section: its header and footer repeat on each page)
    assert document.paragraphs[0].text == f"【{EXAMPLE_MARK}】"
    assert len(document.sections) == 1
    section = document.sections[0]
    assert EXAMPLE_MARK in section.header.paragraphs[0].text and EXAMPLE_MARK in section.footer.paragraphs[0].text
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4 portrait, in twips
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋"


def test_docx_converts_to_pdf_with_every_red_task_and_the_mark_on_every_page(bulletin: Any, tmp_path: Path) -> None:
    from pypdf import PdfReader

    source = tmp_path / "bulletin.docx"
    source.write_bytes(write_docx(bulletin))
    pdf = convert(source, "pdf", tmp_path)
    pages = [re.sub(r"\s+", "", page.extract_text() or "") for page in PdfReader(pdf).pages]
    assert len(pages) > 3
    text = "".join(pages)
    red = [r[1] for r in bulletin.tables()["red"].rows]
    assert red
    for name in red:
        assert name in text, name
    mark = re.sub(r"\s+", "", EXAMPLE_MARK)
    assert all(mark in page for page in pages)


def test_real_data_has_no_example_mark(example: dict[str, Path], plan_graph: Any, tmp_path: Path) -> None:
    from datetime import date

    save([LedgerRow("2025-06", "T3", "D-commerce", 10, "推进中", date(2025, 6, 20), problems="资金未到位")],
         tmp_path, PLAN)
    b = bulletin_for(plan_graph, "2025-06", tmp_path, SEED, "2025-06-28")
    assert not b.example
    document = _docx(write_docx(b))
    assert EXAMPLE_MARK not in "".join(p.text for p in document.paragraphs)
    assert EXAMPLE_MARK not in document.sections[0].header.paragraphs[0].text + write_html(b) + write_md(b)
    assert [r[1] for r in b.tables()["red"].rows] == ["千方百计提振消费"]


def test_html_is_self_contained_escaped_and_marked(plan_graph: Any, tmp_path: Path) -> None:
    from datetime import date

    hostile = "<img src=x onerror=alert(1)>"
    save([LedgerRow("2025-06", "T3", "D-commerce", 10, "推进中", date(2025, 6, 20), problems=hostile,
                    provenance="example")], tmp_path, PLAN)
    b = bulletin_for(plan_graph, "2025-06", tmp_path, SEED, "2025-06-28")
    page = write_html(b)
    assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "default-src 'none'" in page and "http://" not in page and "https://" not in page
    assert "@page { size: A4 portrait" in page and "@font-face" in page
    assert page.count(EXAMPLE_MARK) >= 3  # the title, the page-top and page-bottom marks, the banner
    md = write_md(b)
    assert hostile not in md and md.startswith(f"> **{EXAMPLE_MARK}**")


def test_markdown_in_reported_text_stays_text(plan_graph: Any, tmp_path: Path) -> None:
    """A link, emphasis, code or strike-through typed into a 台账 cell was live Markdown in the .md bulletin (a
    renderer made a link of it); rendered now, it is the text as typed."""
    from datetime import date

    from markdown_it import MarkdownIt

    typed = "[点此查看](https://evil.example/x) *紧急* `rm -rf` ~~作废~~ a_b_c"
    save([LedgerRow("2025-06", "T3", "D-commerce", 10, "推进中", date(2025, 6, 20), problems=typed,
                    next_steps="# 不是标题", provenance="example")], tmp_path, PLAN)
    page = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(
        write_md(bulletin_for(plan_graph, "2025-06", tmp_path, SEED, "2025-06-28")))
    assert "evil.example" in page and "href=" not in page
    assert "[点此查看](https://evil.example/x) *紧急* `rm -rf` ~~作废~~ a_b_c" in page
    assert "<code>" not in page and "<s>" not in page and "<h1>不是标题" not in page

def test_indicator_lines_come_from_the_readings_by_the_published_rules(plan_graph: Any,
                                                                      example: dict[str, Path]) -> None:
    from kg.progress.graph import readings_from_graph
    from kg.progress.rules import load_rules
    from kg.progress.status import assess

    lines, targets = indicator_lines(plan_graph, "2025-06")  # type: ignore[misc]
    report = assess(plan_graph, readings_from_graph(plan_graph), load_rules(), as_of="2025-06")
    assert [(line.indicator, line.light) for line in lines] == [(s.code, s.verdict.light) for s in report.indicators]
    assert [(t.target, t.light) for t in targets] == [(r.code, r.light) for r in report.targets]
    b = bulletin_for(plan_graph, "2025-06", example["ledger"], SEED, "2025-06-28")
    shown = {row[0]: row for rows in (t.rows for name, t in b.tables().items() if name.startswith("indicators-"))
             for row in rows}
    assert set(shown) == {line.indicator for line in lines}  # every indicator, under its target
    red = [line for line in lines if line.light == "red"]
    assert red and all("红" in shown[line.indicator][5] for line in red)
    without = copy.deepcopy(plan_graph)
    without.nodes = {k: n for k, n in without.nodes.items() if n.kind not in ("Reading", "Assessment")}
    without.edges = [e for e in without.edges if e.source in without.nodes and e.target in without.nodes]
    assert indicator_lines(without, "2025-06") is None


def test_report_cli_writes_each_format_and_refuses_bad_input(example: dict[str, Path], tmp_path: Path) -> None:
    base = ["report", "--db", str(example["db"]), "--ledger", str(example["ledger"]), "--period", "2025-06"]
    for name in ("b.docx", "b.html", "b.md"):
        result = runner.invoke(app, [*base, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "(示例数据 / example data), tasks green 42, yellow 18, red 2, no data 3" in result.stdout
    assert _docx((tmp_path / "b.docx").read_bytes()).tables
    assert (tmp_path / "b.md").read_text(encoding="utf-8").count("| T22 |") >= 2
    bad = runner.invoke(app, [*base, "-o", str(tmp_path / "b.pdf")])
    assert bad.exit_code == 2 and "cannot tell the format" in bad.stderr and not (tmp_path / "b.pdf").exists()
    outside = runner.invoke(app, [*base[:-1], "2026-01", "-o", str(tmp_path / "c.docx")])
    assert outside.exit_code == 2
    assert outside.stderr == "Error: period 2026-01 is outside the plan (valid: 2023-01 to 2025-12)\n"
    assert not (tmp_path / "c.docx").exists()


@pytest.mark.browser
def test_html_prints_to_a4_with_the_mark_on_every_page(bulletin: Any, chromium: Any, tmp_path: Path) -> None:
    from pypdf import PdfReader

    source = tmp_path / "bulletin.html"
    source.write_text(write_html(bulletin), encoding="utf-8")
    context = chromium.new_context(offline=True)
    try:
        page = context.new_page()
        page.goto(source.as_uri())
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        context.close()
    reader = PdfReader(io.BytesIO(pdf))
    pages = [re.sub(r"\s+", "", p.extract_text() or "") for p in reader.pages]
    assert len(pages) > 3
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    mark = re.sub(r"\s+", "", EXAMPLE_MARK)
    assert all(page.count(mark) >= 2 for page in pages)  # top and bottom of every page
    assert all(name in "".join(pages) for name in (r[1] for r in bulletin.tables()["red"].rows))


def test_pack_with_a_period_carries_the_bulletin_and_a_status_overview(example: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "pack"
    result = runner.invoke(app, ["pack", "--db", str(example["db"]), "--ledger", str(example["ledger"]),
                                 "--period", "2025-06", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "and status.html, bulletin.html, bulletin.docx;" in result.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index('href="status.html"') < index.index('href="bulletin.html"') < index.index('href="overview.html"')
    assert f"调度通报 Bulletin 2025-06 ({EXAMPLE_MARK})" in index
    # the status section: the month's red and yellow tasks as a picture and a page, marked as example data
    assert 'href="status-tasks.html"' in index and (out / "status-tasks.png").read_bytes()[:4] == b"\x89PNG"
    assert EXAMPLE_MARK in (out / "status-tasks.html").read_text(encoding="utf-8")
    overview = (out / "status.html").read_text(encoding="utf-8")
    assert 'id="red"' in overview and 'id="areas"' in overview and 'id="indicators-G1"' not in overview
    assert EXAMPLE_MARK in overview
    summary = _docx((out / "bulletin.docx").read_bytes()).tables[0]
    assert [c.text for c in summary.rows[3].cells] == ["重点任务 tasks", "42", "18", "2", "3"]


def test_control_characters_from_a_sheet_do_not_stop_the_docx(example: dict[str, Path], tmp_path: Path) -> None:
    """A line break pasted from Word into 存在问题 arrives as a vertical tab; python-docx refused the whole bulletin
    for it ("All strings must be XML compatible"). It becomes a line break, other controls their signs."""
    import csv

    from pypdf import PdfReader

    rows = list(csv.DictReader(EXAMPLES[1].read_text(encoding="utf-8-sig").splitlines()))
    t22 = next(r for r in rows if r["任务编号"] == "T22")
    t22["存在问题"], t22["下步计划"] = "资金未到位\x0b(从Word粘贴)", "nul\x00 esc\x1b[31m ff\x0c完"
    t22["provenance"] = "official"
    sheet = tmp_path / "t22.csv"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(t22)
    ledger = tmp_path / "ledger"
    imported = runner.invoke(app, ["progress", "ledger", "import", "--db", str(example["db"]), "--ledger",
                                   str(ledger), str(sheet)])
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "b.docx"
    result = runner.invoke(app, ["report", "--db", str(example["db"]), "--ledger", str(ledger), "--period",
                                 "2025-06", "-o", str(out)])
    assert result.exit_code == 0, result.output
    cells = [c.text for t in _docx(out.read_bytes()).tables for row in t.rows for c in row.cells]
    assert "资金未到位\n(从Word粘贴)" in cells
    assert "nul\u2400 esc\u241b[31m ff\n完" in cells
    text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(convert(out, "pdf", tmp_path)).pages))
    assert "从Word粘贴" in text  # LibreOffice opens it (the cell breaks across a page, so only the tail)
