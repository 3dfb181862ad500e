"""The bulletin as .docx (python-docx): A4 portrait, real headings and tables, Chinese fonts named, the example mark
in the heading and in every page's header and footer."""

from __future__ import annotations

import io
import re
from typing import Any

from kg.report.model import EXAMPLE_MARK, Bulletin, Heading, Paragraph, Table

# What XML 1.0 cannot hold (Word's files are XML): C0 controls but tab and line breaks, lone surrogates, U+FFFE/FFFF
_NOT_XML = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

BODY_FONT = "仿宋"  # FangSong, the body face of government documents (GB/T 9704 uses 仿宋_GB2312)
HEADING_FONT = "黑体"  # SimHei
TITLE_FONT = "宋体"  # SimSun (方正小标宋 where installed)
SHADE = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "grey": "E7E6E6"}


def _font(run_or_style: Any, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Name the font for Latin and East Asian text (Word keeps them apart: w:rFonts w:eastAsia)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _shade(cell: Any, colour: str) -> None:
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shd = tcpr.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): colour})
    tcpr.append(shd)


def _xml(text: str) -> str:
    """Text from the data as Word can hold it: a vertical tab or form feed (Word's own line and page break, pasted
    into a 台账 cell) becomes a line break; any other control character or a lone surrogate is shown as its sign
    (NUL as ␀, ESC as ␛, others as <U+DC80>: kg.output.sign, as tables show them). python-docx refused the whole
    bulletin for one of them."""
    from kg.output import sign

    return _NOT_XML.sub(sign, text.replace("\x0b", "\n").replace("\x0c", "\n"))


def _light_of(text: str) -> str | None:
    for light in SHADE:
        if f" {light}" in text:
            return light
    return None


def write_docx(b: Bulletin) -> bytes:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)  # GB/T 9704 margins
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _font(document.styles["Normal"], BODY_FONT, 12)
    for level, size in ((1, 16), (2, 14)):
        _font(document.styles[f"Heading {level}"], HEADING_FONT, size, True)
        document.styles[f"Heading {level}"].font.color.rgb = None
    _font(document.styles["Title"], TITLE_FONT, 22, True)
    document.styles["Title"].font.color.rgb = None
    document.core_properties.title = _xml(b.title) + (f" ({EXAMPLE_MARK})" if b.example else "")
    document.core_properties.language = "zh-CN"

    mark = f"{EXAMPLE_MARK} — 非真实报送数据 not real reporting" if b.example else ""
    header = section.header.paragraphs[0]
    header.text = mark or _xml(b.title)
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.text = _xml(f"{mark}  {b.issuer} {b.issue}" if mark else f"{b.issuer} {b.issue}")
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER

    if b.example:
        banner = document.add_paragraph()
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = banner.add_run(f"【{EXAMPLE_MARK}】")
        run.bold = True
        run.font.size = Pt(14)
    title = document.add_paragraph(_xml(b.title), style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in (b.issue, f"{b.issuer}    {b.date_line}"):
        line = document.add_paragraph(_xml(text))
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER

    for block in b.blocks:
        if isinstance(block, Heading):
            document.add_heading(_xml(block.text), level=block.level)
        elif isinstance(block, Paragraph):
            para = document.add_paragraph()
            para.add_run(_xml(block.text)).bold = block.strong or None
        elif isinstance(block, Table):
            _table(document, block)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _table(document: Any, block: Table) -> None:
    from docx.shared import Pt

    caption = document.add_paragraph()
    caption.add_run(_xml(block.caption)).bold = True
    table = document.add_table(rows=1, cols=len(block.headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, block.headers, strict=True):
        cell.text = _xml(text)
        cell.paragraphs[0].runs[0].bold = True
    for row in block.rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = _xml(text)
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(10)
            light = _light_of(text) if i == block.light_column else None
            if light:
                _shade(cell, SHADE[light])
    header_row = table.rows[0]._tr
    trpr = header_row.get_or_add_trPr()
    from docx.oxml.ns import qn

    trpr.append(trpr.makeelement(qn("w:tblHeader"), {}))  # the header row repeats on every page
