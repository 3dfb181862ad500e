"""The one place a file becomes text or rows: plain text in UTF-8 (BOM or not) or GB18030, .docx, text-layer
.pdf, and tables from .csv, .xlsx and .docx.

Every failure is a `UsageError` naming the file and what would be valid; nothing here prints. Text keeps its
line ends as they are on disk (CRLF stays CRLF), so offsets into it are offsets into the decoded file. A .docx's
automatic numbers (Word's numbering, not typed) are rendered into its text by kg/ingest/docx_numbering.py; a PDF's
printed lines are made the lines of its paragraphs by kg/ingest/pdf_lines.py.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import re
import select
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import UsageError

TEXT_SUFFIXES = (".txt", ".md", ".text", "")
ENCODINGS = ("utf-8", "gb18030")  # what Chinese government files use; GB18030 is a superset of GBK and GB2312
MAX_BYTES = 64 * 1024 * 1024  # a plan or a 分工 table is a few MB at most; more is not a document of this genre
# What a .docx or .xlsx may unpack to: its XML compresses ~10x, so a real one is far below; a crafted 1.5 MB .docx
# unpacked to 900 MB and took 4 GB of memory to read
MAX_UNPACKED = 256 * 1024 * 1024
PIPE_WAIT = 10.0  # seconds a named pipe given as a file may stay silent before it is given up: nobody is writing


@dataclass
class Document:
    """A file's text and how it was obtained: `extraction` is `text`, `docx` or `pdf`; `encoding` for text."""

    path: Path
    text: str
    extraction: str
    encoding: str | None = None


@dataclass
class Table:
    """One table of a file: its name (sheet or `table N`) and its rows of cell text, with each row's number (for
    a CSV, the line the record starts on; blank lines are skipped)."""

    name: str
    rows: list[list[str]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)


def present(path: Path) -> bool:
    """Whether an optional file (readings.csv, work_items.csv) is there to be read: a link to nothing counts, so
    that reading it says so, never taking a broken link for no file (its rows silently left out)."""
    return path.exists() or path.is_symlink()


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or one clear error: missing, a folder, unreadable, too large, or a pipe on which nothing
    arrives within PIPE_WAIT seconds."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path}: is a folder (give a file)")
        size = info.st_size
        if size > MAX_BYTES:
            raise UsageError(f"{path}: {size} bytes is too large (at most {MAX_BYTES // (1024 * 1024)} MB)")
        if stat.S_ISFIFO(info.st_mode):  # a named pipe, or <(command) as /dev/fd/63
            data = _read_pipe(path)
        else:
            with path.open("rb") as f:  # a device has no size: read no more than the most a file may hold
                data = f.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise UsageError(f"{path}: more than {MAX_BYTES // (1024 * 1024)} MB, too large (at most "
                             f"{MAX_BYTES // (1024 * 1024)} MB)")
        return data
    except FileNotFoundError:
        if path.is_symlink():
            raise UsageError(f"{path}: a link to {os.readlink(path)}, which does not exist (valid: a link to a "
                             "file, or the file itself)") from None
        raise UsageError(f"{path}: no such file") from None
    except PermissionError:
        raise UsageError(f"{path}: not readable (permission denied)") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot be read ({e.strerror or e})") from None


def _read_pipe(path: Path) -> bytes:
    """A pipe's bytes, up to MAX_BYTES + 1. Opened without waiting (a plain open of a named pipe with no writer
    waits for one for ever), then up to PIPE_WAIT seconds for its first bytes or its end; then read to its end."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        waiting = select.poll()  # not select.select, which refuses a descriptor above 1023
        waiting.register(fd, select.POLLIN)
        if not waiting.poll(PIPE_WAIT * 1000):
            raise UsageError(f"{path}: nothing arrived on the pipe in {PIPE_WAIT:g} s (valid: a file, or a pipe "
                             "that a command writes to)")
        os.set_blocking(fd, True)  # a writer is there: it decides how long the rest takes, as with any pipe
        chunks: list[bytes] = []
        got = 0
        while got <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode(data: bytes, name: str | Path, encoding: str | None = None) -> tuple[str, str]:
    """Bytes -> (text, encoding used). A UTF-8 BOM is dropped; without `encoding`, UTF-8 then GB18030 is tried."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"{name}: unknown encoding {encoding!r} (valid: utf-8, gb18030, gbk, ...)") from None
        candidates: tuple[str, ...] = (encoding,)
    else:
        candidates = ENCODINGS
    if data.startswith(codecs.BOM_UTF8) and (encoding is None or codecs.lookup(encoding).name == "utf-8"):
        data, candidates = data[len(codecs.BOM_UTF8):], ("utf-8",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and encoding is None:
        candidates = ("utf-16",)
    first_error: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as e:
            first_error = first_error or e
            continue
        if text.startswith("\ufeff"):
            text = text[1:]
        return text, codecs.lookup(enc).name
    assert first_error is not None
    line = data[: first_error.start].count(b"\n") + 1
    tried = " or ".join(candidates)
    raise UsageError(f"{name}:{line}: not valid {tried} text at byte {first_error.start} "
                     "(give --encoding, e.g. utf-8 or gb18030)")


def read_document(path: Path, encoding: str | None = None) -> Document:
    """A plan text from .txt (any of ENCODINGS), .docx (paragraphs and table rows, cells joined by tabs, in
    document order) or a text-layer .pdf."""
    suffix = path.suffix.lower()
    data = read_bytes(path)
    if suffix == ".docx":
        return Document(path, _docx_text(data, path), "docx")
    if suffix == ".pdf":
        return Document(path, _pdf_text(data, path), "pdf")
    if suffix in (".doc", ".wps", ".xls", ".xlsx", ".odt", ".rtf"):
        raise UsageError(f"{path}: {suffix} is not read as plan text (valid: .txt in UTF-8 or GB18030, .docx, .pdf)")
    text, used = decode(data, path, encoding)
    if "\x00" in text:
        raise UsageError(f"{path}: holds NUL characters, not a text file (valid: .txt, .docx, .pdf)")
    return Document(path, text, "text", used)


def check_unpacked(data: bytes, path: Path) -> None:
    """Refuse a zip package (.docx, .xlsx) whose parts would unpack to more than MAX_UNPACKED, before any is read;
    one that is not a readable zip is left to its reader, which says so."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(part.file_size for part in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if unpacked > MAX_UNPACKED:
        raise UsageError(f"{path}: unpacks to {unpacked // (1024 * 1024)} MB, too large (at most "
                         f"{MAX_UNPACKED // (1024 * 1024)} MB unpacked)")


def _open_docx(data: bytes, path: Path) -> Any:
    check_unpacked(data, path)
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
        raise UsageError(f"{path}: not a readable .docx file ({type(e).__name__})") from None
    except Exception as e:  # a damaged zip raises zipfile/lxml errors of several kinds
        raise UsageError(f"{path}: not a readable .docx file ({type(e).__name__})") from None


def _docx_text(data: bytes, path: Path) -> str:
    from docx.table import Table as DocxTable

    from kg.ingest.docx_numbering import Numbering

    document = _open_docx(data, path)
    numbering = Numbering(document)  # 一、 （一） 1. typed by Word's numbering are not in paragraph.text
    # In the order they stand: a table under 主要目标 read after all paragraphs became the last task's text.
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxTable):
            lines.extend("\t".join(_row_cells(row, numbering)) for row in block.rows)
        else:
            lines.append(numbering.label(block._p) + block.text)
    return "\n".join(lines)


def _pdf_text(data: bytes, path: Path) -> str:
    import logging

    from pypdf import PdfReader

    from kg.ingest.pdf_lines import pdf_lines

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UsageError(f"{path}: the PDF is encrypted (give an unencrypted copy)")
        text = pdf_lines(list(reader.pages))  # wrapped lines joined, page numbers and running headers dropped
    except UsageError:
        raise
    except Exception as e:  # pypdf raises many kinds on a damaged file
        raise UsageError(f"{path}: not a readable PDF ({type(e).__name__})") from None
    if not text.strip():
        raise UsageError(f"{path}: the PDF has no text layer (a scan); OCR it first or give the text")
    return text


def _row_cells(row: Any, numbering: Any) -> list[str]:
    """A .docx row's cell texts, numbers from Word's numbering included; python-docx repeats a horizontally merged
    cell per grid column, kept once."""
    out: list[str] = []
    previous = None
    for cell in row.cells:
        if previous is not None and cell._tc is previous:
            continue
        previous = cell._tc
        out.append(_cell_paragraphs(cell, numbering))
    return out


def _cell_paragraphs(cell: Any, numbering: Any) -> str:
    """A .docx cell's text, a line a paragraph, each with the number Word's numbering shows before it."""
    return "\n".join(numbering.label(p._p) + p.text for p in cell.paragraphs)


def _row_grid(row: Any, numbering: Any) -> list[str]:
    """A .docx row as a table's row: one cell per grid column, so the columns after a merge stay under their
    headers. A cell merged across gives its text in its first column and "" after it (as a .xlsx sheet does);
    one merged down is repeated in every row it covers (python-docx gives the top cell there)."""
    out: list[str] = []
    previous = None
    for cell in row.cells:
        out.append("" if previous is not None and cell._tc is previous else _cell_paragraphs(cell, numbering))
        previous = cell._tc
    return out


def read_tables(path: Path, encoding: str | None = None) -> list[Table]:
    """Tables from .csv (one), .xlsx (one per sheet) or .docx (one per table); cells as stripped text."""
    suffix = path.suffix.lower()
    data = read_bytes(path)
    if suffix == ".csv":
        text, _ = decode(data, path, encoding)
        table = Table(path.name)
        # newline="": a line break, U+2028 or NEL inside a quoted cell stays in the cell
        reader = csv.reader(io.StringIO(text, newline=""))
        first = 1  # the line a record starts on; a quoted cell may run over several
        try:
            for row in reader:
                if row:
                    table.rows.append(list(map(str.strip, row)))
                    table.row_numbers.append(first)
                first = reader.line_num + 1
        except csv.Error as e:
            raise UsageError(f"{path}:{reader.line_num}: not valid CSV ({e})") from None
        return [table]
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_tables(data, path)
    if suffix == ".docx":
        return _docx_tables(data, path)
    raise UsageError(f"{path}: {suffix or 'no suffix'} is not read as a table (valid: .csv, .xlsx, .docx)")


def header_problems(header: list[str], at: str, valid: tuple[str, ...] | None = None) -> list[str]:
    """What is wrong with a table's header (`at` is its file:line): a column named twice (its cells would be read
    once, the other copy dropped) and, given the `valid` names, a column not among them (dropped unread)."""
    problems: list[str] = []
    places: dict[str, list[int]] = {}
    for number, name in enumerate(header, start=1):
        if name:
            places.setdefault(name, []).append(number)
    for name, numbers in places.items():
        if len(numbers) > 1:
            problems.append(f"{at}: column {name!r} appears {len(numbers)} times (columns "
                            f"{', '.join(map(str, numbers))}; valid: each column once)")
    if valid is not None:
        for name in places:
            if name not in valid:
                problems.append(f"{at}: unknown column {name!r} (valid columns: {', '.join(valid)})")
    return problems


def headless_cell_problem(header: list[str], cells: list[str]) -> str | None:
    """A row's value under no header (past the header's end, or under an empty header cell), which no reader by
    column name would see; None when there is none."""
    for number, cell in enumerate(cells, start=1):
        if cell and (number > len(header) or not header[number - 1]):
            return (f"{cell!r} in column {number}, which has no header, would be lost (valid: a value under a "
                    "named column; quote a value holding a comma: \"a, b\")")
    return None


def _xlsx_tables(data: bytes, path: Path) -> list[Table]:
    check_unpacked(data, path)
    import warnings

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile, KeyError, InvalidFileException ...
        raise UsageError(f"{path}: not a readable .xlsx workbook ({type(e).__name__})") from None
    tables = []
    try:
        for sheet in workbook.worksheets:
            table = Table(sheet.title)
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                table.rows.append([_cell_text(v) for v in row])
                table.row_numbers.append(number)
            _fill_down(table, _merged_down(sheet))
            tables.append(table)
    except Exception as e:  # a damaged sheet (a cell or a merge it cannot read): XML, zip and value errors
        raise UsageError(f"{path}: not a readable .xlsx workbook ({type(e).__name__})") from None
    finally:
        workbook.close()
    return tables


def _merged_down(sheet: Any) -> list[tuple[int, int, int]]:
    """(column, first row, last row), 1-based, of each cell of a sheet merged down over several rows. A read-only
    sheet does not keep its <mergeCells>; they are read here from its XML, after the rows."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    merge_tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    out = []
    with sheet._get_source() as source:
        for _, element in iterparse(source):
            if element.tag == merge_tag:
                first_column, first_row, _, last_row = range_boundaries(element.get("ref") or "")
                if first_column and first_row and last_row and last_row > first_row:
                    out.append((first_column, first_row, last_row))
            element.clear()
    return out


def _fill_down(table: Table, merges: list[tuple[int, int, int]]) -> None:
    """A cell merged down shows its value in every row it covers; openpyxl gives it in the first only. Filled
    into the rows the sheet has (a merge may reach past them), in the merge's first column."""
    for column, first_row, last_row in merges:
        if first_row > len(table.rows):
            continue
        top = table.rows[first_row - 1]
        value = top[column - 1] if column <= len(top) else ""
        for row in table.rows[first_row:last_row]:
            row.extend([""] * (column - len(row)))
            row[column - 1] = value


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if "_x" in text:  # Excel saves a control character (a line break pasted from Word: \v) as _x000B_
        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    return text.strip()


# The characters XML cannot hold, as Excel writes them into a cell's text (openpyxl gives them as written)
_EXCEL_ESCAPE = re.compile(r"_x(000[0-9A-Fa-f]|001[0-9A-Fa-f])_")


def _breaks_as_lines(document: Any) -> None:
    """A page or column break inside a table's cell read as a line break, as Word's own plain text has it (a form
    feed): python-docx reads it as nothing, which glued the names either side of it into one name."""
    from docx.oxml.ns import qn

    kind = qn("w:type")
    for table in document.element.body.iter(qn("w:tbl")):
        for br in table.iter(qn("w:br")):
            if br.get(kind) in ("page", "column"):
                del br.attrib[kind]


def _docx_tables(data: bytes, path: Path) -> list[Table]:
    from kg.ingest.docx_numbering import Numbering

    document = _open_docx(data, path)
    _breaks_as_lines(document)
    numbering = Numbering(document)  # a 序号 column is often Word's numbering, not typed
    tables = []
    for i, source in enumerate(document.tables, start=1):
        table = Table(f"table {i}")
        for number, row in enumerate(source.rows, start=1):
            table.rows.append([c.strip() for c in _row_grid(row, numbering)])
            table.row_numbers.append(number)
        tables.append(table)
    return tables


def read_yaml(path: Path, shown: str | None = None) -> Any:
    """A YAML file composed into nodes (each with its line), or None when empty. Aliases, anchors and explicit
    tags are refused: seed files need none, and aliases can expand without bound (a 'billion laughs')."""
    import yaml

    shown = shown or str(path)
    text, _ = decode(read_bytes(path), shown)
    try:
        return yaml.compose(text, Loader=_plain_yaml_loader())
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise UsageError(f"{shown}:{mark.line + 1 if mark else 1}: not valid YAML ({e.problem or e.context})") \
            from None
    except yaml.YAMLError as e:
        raise UsageError(f"{shown}:1: not valid YAML ({e})") from None
    except RecursionError:
        raise UsageError(f"{shown}:1: YAML nested too deeply (valid: a list or mapping a few levels deep)") from None


def read_yaml_value(path: Path, shown: str | None = None) -> Any:
    """A YAML file's plain Python value (None when empty), read as `read_yaml` reads it: a pipe, a folder or a
    device in its place is one clear error, not a wait for ever."""
    node = read_yaml(path, shown)
    return None if node is None else yaml_value(node)


def yaml_value(node: Any) -> Any:
    """The plain Python value of a node composed by `read_yaml` (no tags can reach a constructor)."""
    import yaml

    return yaml.SafeLoader("").construct_document(node)


@functools.cache
def _plain_yaml_loader() -> Any:
    import yaml

    class PlainYamlLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            what = ("an alias (*name)" if isinstance(event, yaml.AliasEvent) else
                    "an anchor (&name)" if getattr(event, "anchor", None) else
                    f"a tag ({event.tag})" if getattr(event, "tag", None) else None)
            if what:
                raise yaml.composer.ComposerError(None, None, f"{what} is not allowed (valid: plain values, lists "
                                                  "and mappings)", event.start_mark)
            value = getattr(event, "value", None)
            if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
                # "\udc80" escapes a half of a character pair: no page, image or store can write it
                raise yaml.composer.ComposerError(None, None, "an escape that is not a character (a lone surrogate, "
                                                  "\\ud800 to \\udfff; valid: text)", event.start_mark)
            return super().compose_node(parent, index)

    return PlainYamlLoader

