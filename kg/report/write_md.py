"""The bulletin as Markdown: the same document model, text from the data made inert (HTML escaped, pipes escaped)."""

from __future__ import annotations

import html
import re

from kg.report.model import EXAMPLE_MARK, Bulletin, Heading, Paragraph


def _md(text: str) -> str:
    """Text from the data, inert in Markdown: HTML escaped (renderers pass raw HTML through), no line breaks, and
    the marks that make links, emphasis, code and strike-through escaped ([x](url) in a 台账 cell stays text), as
    is what would start a heading or a list."""
    text = re.sub(r"([\\`*_\[\]~])", r"\\\1", html.escape(text, quote=False).replace("\n", " "))
    return re.sub(r"^(\s*)(#|[-+]|\d+[.)])", r"\1\\\2", text)


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|")


def write_md(b: Bulletin) -> str:
    out = []
    if b.example:
        out += [f"> **{EXAMPLE_MARK}** — 非真实报送数据 not real reporting", ""]
    out += [f"# {_md(b.title)}", "", _md(b.issue), "", f"{_md(b.issuer)}　{_md(b.date_line)}", ""]
    for block in b.blocks:
        if isinstance(block, Heading):
            out += [f"{'#' * (block.level + 1)} {_md(block.text)}", ""]
        elif isinstance(block, Paragraph):
            out += [f"**{_md(block.text)}**" if block.strong else _md(block.text), ""]
        else:
            out += [f"*{_md(block.caption)}*", "", "| " + " | ".join(map(_md_cell, block.headers)) + " |",
                    "|" + "---|" * len(block.headers)]
            out += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in block.rows]
            out.append("")
    if b.example:
        out += [f"> **{EXAMPLE_MARK}**", ""]
    return "\n".join(out)
