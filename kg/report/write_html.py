"""The bulletin as one self-contained HTML page that prints to A4. Every text from the data is escaped; the
page fetches nothing (a Content-Security-Policy forbids it) and carries a subset of Noto Sans CJK cut to its own
characters, so Chinese shows on a machine without Chinese fonts."""

from __future__ import annotations

import base64
import html

from kg.report.model import EXAMPLE_MARK, Bulletin, Heading, Paragraph, Table

CSS = """
@page { size: A4 portrait; margin: 18mm 16mm 20mm 16mm; }
body { font-family: "PlanKG CJK", "FangSong", "SimSun", serif; font-size: 11pt; color: #111; max-width: 178mm;
       margin: 0 auto; }
h1.title { text-align: center; font-size: 20pt; color: #b00; margin: 4mm 0 2mm; }
p.issue, p.dateline { text-align: center; margin: 1mm 0; }
hr.red { border: 0; border-top: 2px solid #b00; margin: 3mm 0 5mm; }
h2 { font-size: 14pt; margin: 6mm 0 2mm; } h3 { font-size: 12pt; margin: 4mm 0 2mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 4mm; font-size: 9pt; page-break-inside: auto; }
caption { text-align: left; font-weight: bold; padding: 1mm 0; }
th, td { border: 1px solid #444; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }
thead { display: table-header-group; } tr { page-break-inside: avoid; }
td.green { background: #c6efce; } td.yellow { background: #ffeb9c; } td.red { background: #ffc7ce; }
td.grey { background: #e7e6e6; }
.banner { text-align: center; font-weight: bold; color: #b00; border: 2px solid #b00; padding: 1mm; }
.example { position: sticky; top: 0; text-align: center; font-weight: bold; color: #b00; background: #fff; }
"""
# Example data: the mark in the top and bottom margin of every printed page (CSS page margin boxes), and a bar that
# stays on screen while scrolling. The text is a constant, never data.
EXAMPLE_CSS = """
@page { @top-center { content: "MARK"; color: #b00; font-weight: bold; font-size: 10pt;
                      font-family: "PlanKG CJK", sans-serif; }
        @bottom-center { content: "MARK"; color: #b00; font-weight: bold; font-size: 10pt;
                         font-family: "PlanKG CJK", sans-serif; } }
@media print { .example { display: none; } }
"""
PAGE_MARK = f"{EXAMPLE_MARK} — 非真实报送数据 not real reporting"


def _light(text: str) -> str:
    for light in ("green", "yellow", "red", "grey"):
        if f" {light}" in text:
            return light
    return ""


def _table(t: Table) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in t.headers)
    body = []
    for row in t.rows:
        cells = []
        for i, text in enumerate(row):
            cls = _light(text) if i == t.light_column else ""
            cells.append(f'<td class="{cls}">{e(text)}</td>' if cls else f"<td>{e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table id="{e(t.key)}"><caption>{e(t.caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _text(b: Bulletin) -> str:
    """Every character the page shows, for the font subset."""
    parts = [b.title, b.issue, b.issuer, b.date_line, PAGE_MARK, "【】"]
    for block in b.blocks:
        if isinstance(block, Table):
            parts += [block.caption, *block.headers, *(c for row in block.rows for c in row)]
        else:
            parts.append(block.text)
    return "".join(sorted(set("".join(parts))))


def write_html(b: Bulletin) -> str:
    from kg.render.html import font_subset

    e = html.escape
    font = base64.b64encode(font_subset(_text(b))).decode("ascii")
    out = ['<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
           "font-src data:\">",
           f"<title>{e(b.title)}{e(' (' + EXAMPLE_MARK + ')') if b.example else ''}</title>",
           f'<style>@font-face {{ font-family: "PlanKG CJK"; src: url(data:font/otf;base64,{font}); }}{CSS}'
           f'{EXAMPLE_CSS.replace("MARK", PAGE_MARK) if b.example else ""}</style>',
           "</head><body>"]
    if b.example:
        out.append(f'<div class="example">{e(PAGE_MARK)}</div>')
        out.append(f'<p class="banner">【{e(EXAMPLE_MARK)}】</p>')
    out += [f'<h1 class="title">{e(b.title)}</h1>', f'<p class="issue">{e(b.issue)}</p>',
            f'<p class="dateline">{e(b.issuer)}　{e(b.date_line)}</p>', '<hr class="red">']
    for block in b.blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level + 1}>{e(block.text)}</h{block.level + 1}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p><strong>{e(block.text)}</strong></p>" if block.strong else f"<p>{e(block.text)}</p>")
        else:
            out.append(_table(block))
    out.append("</body></html>\n")
    return "\n".join(out)

