"""A plan text laid out as a published .docx (a running header, a page number in the footer, body text wrapping at
the page width) and printed to PDF by LibreOffice, for the tests of reading PDFs as real ones give their text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls


@dataclass(frozen=True)
class Layout:
    page_number: str  # the footer, {} for the page: — {} —, － {} －, - {} -
    header: str | None  # a running header on every page, or none
    indent: bool  # body paragraphs with a two-character first-line indent, justified (GB/T 9704), or flush left
    size: float = 16  # 三号, the body size of the genre; 28 characters a line on A4 with its margins


def write_docx(path: Path, text: str, layout: Layout) -> Path:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    style = document.styles["Normal"]
    style.font.size = Pt(layout.size)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "Noto Serif CJK SC")
    style.paragraph_format.space_after = Pt(0)
    for line in text.split("\n")[:-1]:
        paragraph = document.add_paragraph(line)
        if layout.indent:
            paragraph.paragraph_format.first_line_indent = Pt(2 * layout.size)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if layout.header:
        section.header.paragraphs[0].text = layout.header
        section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, after = layout.page_number.partition("{}")
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(before)
    footer._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    footer.add_run(after)
    document.save(str(path))
    return path


def write_pdf(folder: Path, name: str, text: str, layout: Layout) -> Path:
    from tests.office import convert

    source = write_docx(folder / f"{name}.docx", text, layout)
    return convert(source, "pdf", folder)
