"""Writing results: rows as table/JSON/CSV, the graph as JSON/GraphML/GEXF/CSV, files written atomically."""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import re
import stat
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kg.errors import OutputError, UsageError
from kg.ingest.parse import ParsedPlan
from kg.model import PlanGraph


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def render_rows(rows: list[dict[str, Any]], fmt: str, title: str | None = None, width: int | None = None,
                columns: list[str] | None = None) -> str:
    """Rows as JSON, CSV or a table; a table given a `width` (a terminal's) wraps its cells to fit, Chinese
    characters counting double. `columns` come first, in their order, so that no rows still make a header."""
    rows = [{k: _clean(v) for k, v in row.items()} for row in rows]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    columns = list(dict.fromkeys([*(columns or []), *(k for row in rows for k in row)]))
    if fmt == "csv":
        # "\r\n" as the terminator makes the csv module quote a cell holding a lone CR (Python < 3.12 does not
        # otherwise); each record's own terminator is then written as "\n"
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
        out = []
        for record in [{c: c for c in columns}, *({k: _cell(v) for k, v in row.items()} for row in rows)]:
            writer.writerow({k: spreadsheet_safe(v) for k, v in record.items()})
            out.append(buf.getvalue().removesuffix("\r\n") + "\n")
            buf.seek(0)
            buf.truncate()
        return "".join(out)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=visible(title) if title else title, show_lines=False)
    for col in columns:
        table.add_column(visible(col), overflow="fold")
    for row in rows:
        table.add_row(*(visible(_cell(row.get(c))) for c in columns))
    buf = io.StringIO()
    Console(file=buf, width=width or max(100, min(200, 20 * len(columns))), force_terminal=False).print(table)
    from kg.i18n import translate

    return buf.getvalue() + translate(f"{len(rows)} row(s)") + "\n"


# What a terminal would act on rather than show: C0 and C1 controls but the line break (ESC starts colours,
# titles, cursor moves; CR overwrites a line), DEL, and the marks that reorder text (a right-to-left override)
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def sign(m: re.Match[str]) -> str:
    """The sign shown for the character `m` matched: a C0 control as its Control Pictures sign (ESC as ␛, CR as ␍,
    NUL as ␀), DEL as ␡, any other (C1, bidi marks, a lone surrogate) as <U+202E>."""
    code = ord(m.group(0))
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else f"<U+{code:04X}>"


def visible(text: str) -> str:
    """Text for a table on a terminal: each control character shown as its sign (ESC as ␛, CR as ␍, BEL as ␇),
    the others as <U+202E>; a line break stays a break. Only tables: CSV and JSON keep the data as it is."""
    return _CONTROL.sub(sign, text)


def visible_name(name: object) -> str:
    """A file name as a message shows it: as `visible` shows text, and a line break as its sign (␊) too, so that a
    name holding one (Linux allows it) stays on the message's line."""
    return _BREAK.sub(sign, visible(str(name)))


_BREAK = re.compile("\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(_cell(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that Excel or LibreOffice would run as a formula (it starts with =, +, -, @, a tab or a CR) gets
    a leading single quote, as OWASP advises for CSV injection; numbers, and text that is only a number, stay."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def ordinary_mode(path: str | Path, mode: int = 0o666) -> None:
    """Give a file or folder made private by mkstemp/mkdtemp the permissions an ordinary one would get."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def excel_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with a byte-order mark, so that Excel reads the Chinese as UTF-8."""
    return "\ufeff" + render_rows(rows, "csv")


STDOUT = Path("-")  # `-o -`: standard output, for the formats that are one stream


def writable_folder(folder: Path, shown: Path) -> None:
    """Make `folder` (and its parents) or refuse in one line: a part of the path is a file, or it cannot be made."""
    for part in (folder, *folder.parents):
        if part.exists() or part.is_symlink():
            if not part.is_dir():
                raise OutputError(f"{shown}: {part} is a file, not a folder (valid: a path in a folder)")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{shown}: cannot create the folder {folder} ({e.strerror or e})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{shown}: the folder {folder} is not writable (permission denied)")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a failure leaves nothing half-written.

    `-` is standard output. A symbolic link is followed (it stays a link; the file it names is written, made if
    missing). A target that exists and is not a regular file is never replaced: a FIFO or a
    character device (/dev/null, a terminal) is written through, anything else (a folder, a socket, a block
    device) is refused with one line."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if path == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(payload)
        sys.stdout.buffer.flush()
        return
    if path.is_symlink():  # the rename would replace the link itself; the file it names is what is meant
        path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:  # a component of the path is a file (ENOTDIR), a loop, a name too long ...
        if e.errno == errno.ENOTDIR:
            writable_folder(path.parent, path)
        raise OutputError(f"{path}: cannot be written ({e.strerror or e})") from None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise OutputError(f"{path}: is a folder (valid: a file name, or - for standard output)")
        if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            _write_through(path, payload)
            return
        raise OutputError(f"{path}: exists and is not a regular file, it is not replaced (valid: a file name)")
    writable_folder(path.parent, path)
    remove_dead_temporaries(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"{path}: cannot be written in {path.parent} ({e.strerror or e})") from None
    try:
        ordinary_mode(tmp)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_dead_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files beside `path` that a writer killed before its rename left (`write_atomic`
    names them after its process: `.NAME.<pid>-….tmp`), where that process is no longer running."""
    from kg.lock import dead_leftovers

    removed = [leftover for leftover in dead_leftovers(path.parent, f".{path.name}.", ".tmp") if leftover.is_file()]
    for leftover in removed:
        leftover.unlink(missing_ok=True)
    return removed


def _write_through(path: Path, payload: bytes) -> None:
    """A FIFO or a device is opened and written, never replaced by a regular file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)  # blocks until a FIFO has a reader, as `cat > fifo` does
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
    except OSError as e:
        raise OutputError(f"{path}: cannot be written ({e.strerror or e})") from None


def parsed_to_json(plan: ParsedPlan) -> dict[str, Any]:
    data = asdict(plan)
    data.pop("text")
    return data


def _flat(props: dict[str, Any]) -> dict[str, Any]:
    """GraphML and GEXF take scalars only: lists joined, provenance spread into prov_* keys, None dropped."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key == "provenance":
            out.update({f"prov_{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            out[key] = ";".join(map(str, value))
        elif value is not None:
            out[key] = value
    return out


def to_networkx(graph: PlanGraph) -> Any:
    import networkx as nx

    data = graph.to_json()
    g = nx.MultiDiGraph(plan=graph.plan_id)
    for node in data["nodes"]:
        g.add_node(node["id"], **_flat(node))
    for edge in data["edges"]:
        attrs = _flat({k: v for k, v in edge.items() if k not in ("source", "target")})
        key, n = edge["kind"], 1
        while g.has_edge(edge["source"], edge["target"], key):  # two facts of one kind between the same pair
            n += 1
            key = f"{edge['kind']}#{n}"
        g.add_edge(edge["source"], edge["target"], key=key, **attrs)
    return g


def export_graph(graph: PlanGraph, fmt: str, output: Path) -> None:
    if fmt == "json":
        write_atomic(output, json.dumps(graph.to_json(), ensure_ascii=False, indent=2) + "\n")
    elif fmt in ("graphml", "gexf"):
        import networkx as nx

        g = to_networkx(graph)
        buf = io.BytesIO()
        (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(g, buf, encoding="utf-8")
        write_atomic(output, buf.getvalue())
    elif fmt == "csv":
        if output == STDOUT:
            raise OutputError("-o -: a csv export is a folder of two files, nodes.csv and edges.csv "
                              "(valid with -: json, graphml, gexf)")
        if output.exists() and not output.is_dir():
            raise OutputError(f"{output}: is a file; a csv export is a folder of nodes.csv and edges.csv")
        data = graph.to_json()
        nodes = [_flat(n) for n in data["nodes"]]
        edges = [_flat(e) for e in data["edges"]]
        write_atomic(output / "nodes.csv", excel_csv(nodes))
        write_atomic(output / "edges.csv", excel_csv(edges))
    else:
        raise UsageError(f"unknown export format {fmt!r} (valid: json, graphml, gexf, csv)")


ROLE_ZH = {"lead": "牵头", "supporting": "配合"}
MATRIX_SHEETS = {"Target": "部门×目标", "Indicator": "部门×指标"}


def matrix_rows(matrix: dict[str, Any], compact: bool) -> list[dict[str, Any]]:
    """The responsibility matrix as rows: one cell per column as `lead/supporting` (compact, for a terminal),
    or two numeric columns per target or indicator headed in Chinese (for CSV and Excel)."""
    rows = []
    for r in matrix["rows"]:
        row: dict[str, Any] = {"部门 department": r["department"], "名称 name": r["name"]}
        for col in matrix["columns"]:
            cell = r["cells"][col["id"]]
            if compact:
                row[col["id"]] = f"{cell['lead']}/{cell['supporting']}" if cell["lead"] or cell["supporting"] else ""
            else:
                for role, zh in ROLE_ZH.items():
                    row[f"{col['id']} {col['name']} {zh}"] = cell[role]
        row["牵头合计 leads"], row["配合合计 supporting"] = r["lead"], r["supporting"]
        rows.append(row)
    return rows


def write_matrix_xlsx(matrices: list[dict[str, Any]], output: Path) -> None:
    """One sheet per matrix, Chinese headers, the header row frozen, columns wide enough for the names."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    for sheet in list(book.worksheets):  # the empty default sheet
        book.remove(sheet)
    for matrix in matrices:
        sheet = book.create_sheet(MATRIX_SHEETS[matrix["of"]])
        rows = matrix_rows(matrix, compact=False)
        headers = list(rows[0]) if rows else ["部门 department", "名称 name"]
        sheet.append([spreadsheet_safe(h) for h in headers])
        for row in rows:
            sheet.append([spreadsheet_safe(row[h]) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "C2"  # the header row and the department columns stay in view
        sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 18, 26
        sheet.row_dimensions[1].height = 60
    buf = io.BytesIO()
    book.save(buf)
    write_atomic(output, buf.getvalue())
