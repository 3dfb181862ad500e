"""Outputs: every -o refused in one line when it cannot be written, special files written through and never
replaced, `-o -` to stdout, and spreadsheet cells that cannot become formulas."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.output import excel_csv, render_rows, spreadsheet_safe, write_matrix_xlsx
from tests.conftest import PLAN_NODES, SEED, SOURCE

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "plan.lbug"
    assert runner.invoke(app, ["build", "--db", str(path)]).exit_code == 0
    return path


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


# -- spreadsheets ------------------------------------------------------------------------------------------------

def test_formula_cells_are_neutralised_and_numbers_stay_numbers() -> None:
    rows = [{"a": "=HYPERLINK(\"http://x\",\"y\")", "b": "+1+cmd", "c": "-2+3", "d": "@SUM(A1)", "e": "\tx",
             "f": "\rx", "g": -3, "h": -2.5, "i": "-4", "j": "plain", "k": "a=b"}]
    out = list(csv.reader(io.StringIO(render_rows(rows, "csv"))))
    assert out[1] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "-3",
                      "-2.5", "-4", "plain", "a=b"]
    assert spreadsheet_safe(-3) == -3 and spreadsheet_safe("=1") == "'=1"
    header, *_ = csv.reader(io.StringIO(render_rows([{"=h": 1}], "csv")))
    assert header == ["'=h"]  # headers too
    assert excel_csv(rows).startswith("\ufeff")


def test_xlsx_cells_are_text_not_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    matrix = {"of": "Target", "columns": [{"id": "G1", "name": "=1+1"}],
              "rows": [{"department": "D-x", "name": "=HYPERLINK(\"http://x\")", "lead": 1, "supporting": -1,
                        "cells": {"G1": {"lead": 1, "supporting": 0}}}]}
    out = tmp_path / "m.xlsx"
    write_matrix_xlsx([matrix], out)
    sheet = load_workbook(out).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    types = [[c.data_type for c in row] for row in sheet.iter_rows()]
    assert values[1][1] == "'=HYPERLINK(\"http://x\")" and types[1][1] == "s"
    assert values[0][2] == "G1 =1+1 牵头"  # not at the start of the cell: harmless, unchanged
    assert all(t != "f" for row in types for t in row)
    assert values[1][-1] == -1 and types[1][-1] == "n"  # a negative number stays a number


def test_export_csv_of_a_formula_rationale(seed_copy: Path, tmp_path: Path) -> None:
    path = seed_copy / "links.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("GUIDES,P1,G1,High-quality", 'GUIDES,P1,G1,"=HYPERLINK(""http://x"",""y"")"'
                                 " High-quality", 1), encoding="utf-8")
    result = runner.invoke(app, ["export", "--seed", str(seed_copy), "-f", "csv", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    edges = list(csv.DictReader(io.StringIO((tmp_path / "out" / "edges.csv").read_text(encoding="utf-8-sig"))))
    [row] = [r for r in edges if r["prov_rationale"].startswith("'=HYPERLINK")]
    assert row["source"] == "P1" and row["target"] == "G1"
    assert not any(v.startswith(("=", "+", "@")) for r in edges for v in r.values())


# -- control characters ------------------------------------------------------------------------------------------

HOSTILE = "x\x1b[31mred\x1b[0m\r\x07bell\x1b]0;title\x07\u202eevil\x9b2J\x00\x7f"


def test_control_characters_are_shown_not_run_in_a_table() -> None:
    """An escape sequence, a CR or a bell in the data went raw to the terminal (colours, a new window title, a
    line overwritten); a table shows each as a visible sign, headers and title too. Line breaks stay breaks."""
    import unicodedata

    out = render_rows([{"name": HOSTILE, "col\x1b[2J": "two\nlines"}], "table", "title\x1b[2J")
    assert not [c for c in out if c != "\n" and (unicodedata.category(c) == "Cc" or c in "\u202e\x9b")]
    assert "␛[31mred␛[0m␍␇bell" in out.replace("\n", "").replace("│", "").replace(" ", "")
    assert "<U+202E>evil<U+009B>2J␀␡" in out.replace("\n", "").replace("│", "").replace(" ", "")
    assert "col␛[2J" in out and "title␛[2J" in out and "two" in out and "lines" in out


def test_csv_and_json_keep_the_data_as_it_is() -> None:
    rows = [{"name": HOSTILE, "formula": "=1+1"}]
    assert json.loads(render_rows(rows, "json")) == rows
    assert list(csv.DictReader(io.StringIO(render_rows(rows, "csv")))) == [{"name": HOSTILE, "formula": "'=1+1"}]


def test_a_terminal_is_never_sent_a_stored_escape(tmp_path: Path) -> None:
    db = tmp_path / "plan.lbug"
    assert runner.invoke(app, ["build", "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["cypher", "RETURN $s AS shown", "-p", "s", "a\x1b[2Jb", "--db", str(db)])
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "a␛[2Jb" in result.stdout
    as_csv = runner.invoke(app, ["cypher", "RETURN $s AS shown", "-p", "s", "a\x1b[2Jb", "--db", str(db), "-f", "csv"])
    assert as_csv.stdout == "shown\na\x1b[2Jb\n"


def test_messages_show_control_characters_too(tmp_path: Path, seed_copy: Path) -> None:
    """An error quoting what was typed or what a document holds: the same signs, never the raw character (a 分工
    with a BEL and an OSC sequence in a unit name sent both to the terminal; now the name is refused, shown)."""
    doc = tmp_path / "fengong.txt"
    doc.write_text("沈阳市某某工作分工方案\n1.加快发展数字经济\n牵头单位:市工业和信息化局、市\x1b]0;pwned\x07局\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["assign", "import", str(doc), "-o", str(tmp_path / "r.csv"), "--seed", str(seed_copy)])
    assert result.exit_code == 2 and "'市工业和信息化局、市␛]0;pwned␇局' holds a control character" in result.stderr
    error = runner.invoke(app, ["parse", str(tmp_path / "no\x1b[2Jsuch.txt")])
    assert error.exit_code == 2 and "no␛[2Jsuch.txt: no such file" in error.stderr
    for text in (result.output, error.stderr):
        assert not any(c in text for c in "\x1b\x07")


def test_a_written_path_with_a_newline_or_an_escape_is_named_on_one_line(tmp_path: Path, db: Path) -> None:
    """`wrote <path>` printed a newline in the path as a line break (a second line that looked like another message)
    and sent nothing of it to a terminal only because ESC was already shown: each path a success message names is
    one line, its line break shown as ␊ and ESC as ␛, and the file is written where asked."""
    folder = tmp_path / "out\n\x1b[31mMARK"
    folder.mkdir()
    shown = f"{tmp_path}/out␊␛[31mMARK"
    cases = {"parse": (["parse", str(SOURCE), "-o", str(folder / "plan.json")], folder / "plan.json"),
             "export": (["export", "--seed", str(SEED), "-o", str(folder / "g.json")], folder / "g.json"),
             "matrix": (["matrix", "--db", str(db), "-o", str(folder / "m.csv")], folder / "m.csv"),
             "report": (["report", "--period", "2025-06", "-o", str(folder / "b.md"), "--db", str(db), "--ledger",
                         str(tmp_path / "ledger")], folder / "b.md"),
             "template": (["progress", "template", "--period", "2025-06", "-o", str(folder / "t.xlsx"), "--db",
                           str(db)], folder / "t.xlsx"),
             "build": (["build", "--db", str(folder / "plan.lbug")], folder / "plan.lbug")}
    for name, (argv, written) in cases.items():
        result = runner.invoke(app, argv)
        assert result.exit_code == 0, (name, result.output)
        assert written.exists(), name
        lines = result.stdout.splitlines()
        said = [line for line in lines if shown in line]
        assert len(said) == 1 and said[0].startswith(("wrote ", "built ")), (name, result.stdout)
        assert not any(line.startswith(("MARK", "[31mMARK")) for line in lines), (name, result.stdout)
        assert "\x1b" not in result.stdout, (name, result.stdout)


# -- -o that cannot be written ------------------------------------------------------------------------------------

def _bad_outputs(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("keep", encoding="utf-8")
    return {"folder": tmp_path / "folder", "under a file": tmp_path / "afile" / "out.json",
            "deep under a file": tmp_path / "afile" / "x" / "out.json", "unwritable": Path("/proc/kg-no/out.json")}


def _commands(out: Path, db: Path) -> list[list[str]]:
    return [["parse", str(SOURCE), "-o", str(out)],
            ["export", "--seed", str(SEED), "-o", str(out)],
            ["export", "--db", str(db), "-f", "graphml", "-o", str(out)],
            ["export", "--db", str(db), "-f", "csv", "-o", str(out / "csvdir")],
            ["matrix", "--db", str(db), "-o", str(out.with_suffix(".csv")) if out.suffix else str(out)],
            ["viz", "overview", "--db", str(db), "-o", str(out.with_suffix(".html")) if out.suffix else str(out)],
            ["pack", "--db", str(db), "-o", str(out.parent if out.suffix else out / "pack")]]


@pytest.mark.parametrize("case", ["folder", "under a file", "deep under a file", "unwritable"])
def test_every_o_that_cannot_be_written_is_one_line_exit_2(tmp_path: Path, db: Path, case: str) -> None:
    out = _bad_outputs(tmp_path)[case]
    before = _snapshot(tmp_path)
    for argv in _commands(out, db):
        if case == "folder" and (argv[0] == "pack" or "csv" in argv):
            continue  # a folder is what pack and a csv export write
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (argv, result.stderr)
        assert "Traceback" not in result.output
        assert _snapshot(tmp_path) == before, argv


def test_o_a_fifo_is_written_through_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = runner.invoke(app, ["export", "--seed", str(SEED), "-o", str(fifo)])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert len(json.loads(got[0])["nodes"]) == PLAN_NODES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary file left beside it


def test_o_dev_null_is_written_through_not_replaced() -> None:
    before = os.stat("/dev/null")
    result = runner.invoke(app, ["parse", str(SOURCE), "-o", "/dev/null"])
    assert result.exit_code == 0, result.output
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino and after.st_rdev == before.st_rdev


def test_o_a_socket_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        result = runner.invoke(app, ["parse", str(SOURCE), "-o", str(path)])
    assert result.exit_code == 2
    assert result.stderr == \
        f"Error: {path}: exists and is not a regular file, it is not replaced (valid: a file name)\n"
    assert stat.S_ISSOCK(path.stat().st_mode)


def test_o_dash_writes_to_stdout(db: Path) -> None:
    result = runner.invoke(app, ["export", "--db", str(db), "-o", "-"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["nodes"]) == PLAN_NODES
    result = runner.invoke(app, ["export", "--db", str(db), "-f", "graphml", "-o", "-"])
    assert result.exit_code == 0 and result.stdout.startswith("<?xml")
    result = runner.invoke(app, ["parse", str(SOURCE), "-o", "-"])
    assert result.exit_code == 0 and json.loads(result.stdout)["title"]
    result = runner.invoke(app, ["export", "--db", str(db), "-f", "csv", "-o", "-"])
    assert result.exit_code == 2 and result.stderr.startswith("Error: -o -: a csv export is a folder")


@pytest.mark.parametrize("target", ["real.json", "sub/real.json", "missing.json"])
def test_o_a_symlink_writes_what_it_points_at_and_stays_a_link(tmp_path: Path, target: str) -> None:
    """The atomic rename replaced the link itself by a regular file and left the file it named unchanged;
    a link (even a dangling one) is now followed, and the file it names is replaced atomically."""
    real = tmp_path / target
    real.parent.mkdir(exist_ok=True)
    if target != "missing.json":
        real.write_text("old", encoding="utf-8")
    link = tmp_path / "current.json"
    link.symlink_to(target)
    result = runner.invoke(app, ["parse", str(SOURCE), "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == target
    assert json.loads(real.read_text(encoding="utf-8"))["title"]
    leftovers = [p.name for p in real.parent.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers
