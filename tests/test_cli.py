"""The CLI in-process: exit codes, one-line errors without traceback, help on every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from tests.conftest import SOURCE

runner = CliRunner()


def test_every_command_has_help_with_an_example() -> None:
    names = [c.name for c in app.registered_commands]
    assert {"parse", "validate", "stats", "export"} <= set(names)
    for name in names:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example: kg " in result.output, name


def test_validate_clean_seed() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0
    assert "ok: 172 nodes" in result.output


def test_validate_broken_seed_exit_2_and_no_traceback(seed_copy: Path) -> None:
    path = seed_copy / "assignments.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("市商务局,市工业和信息化局", "市商务局,市无此局"), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--seed", str(seed_copy)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: 1 problem(s) in the seed data:\n")
    assert f"{seed_copy}/assignments.csv:5: unknown department '市无此局'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_parse_missing_file_is_one_line() -> None:
    result = runner.invoke(app, ["parse", "no-such-plan.txt"])
    assert result.exit_code == 2
    assert result.stderr == "Error: no-such-plan.txt:0: no such file\n"


def test_parse_writes_json_with_offsets(tmp_path: Path) -> None:
    out = tmp_path / "parsed.json"
    result = runner.invoke(app, ["parse", str(SOURCE), "-o", str(out)])
    assert result.exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    text = SOURCE.read_text(encoding="utf-8")
    task15 = data["areas"][2]["tasks"][2]
    assert task15["name"] == "加快发展数字经济"
    assert text[task15["span"]["start"]:task15["span"]["start"] + len(task15["span"]["quote"])] == "15.加快发展数字经济"


def test_stats_json() -> None:
    result = runner.invoke(app, ["stats", "--format", "json"])
    assert result.exit_code == 0
    rows = {(r["element"], r["kind"]): r["count"] for r in json.loads(result.stdout)}
    assert rows["node", "Task"] == 65 and rows["edge", "HAS_TASK"] == 65


@pytest.mark.parametrize("fmt", ["json", "graphml", "gexf", "csv"])
def test_export_formats(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / ("out" if fmt == "csv" else f"plan.{fmt}")
    result = runner.invoke(app, ["export", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        assert len(data["nodes"]) == 172
        t15 = next(n for n in data["nodes"] if n["id"] == "T15")
        assert (t15["kind"], t15["name"], t15["provenance"]["kind"]) == ("Task", "加快发展数字经济", "seed")
        assert {"source", "target", "kind", "provenance"} <= set(data["edges"][0])
    elif fmt == "csv":
        nodes = (out / "nodes.csv").read_text(encoding="utf-8-sig")
        assert "加快发展数字经济" in nodes and nodes.count("\n") == 173
    else:
        import networkx as nx

        g = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
        assert g.number_of_nodes() == 172 and g.nodes["T15"]["name"] == "加快发展数字经济"
