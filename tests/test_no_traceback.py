"""No traceback, ever: a corpus of bad invocations (the ones found by hand, then generated ones) each ends in one
`Error: ...` line on stderr with exit 1 or 2, and writes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kg.cli import app
from tests.conftest import SEED, SOURCE

runner = CliRunner()
KG = str(Path(sys.executable).parent / "kg")
COUNT = {"invocations": 0}


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes: what "nothing written" is checked against."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.endswith(".writer.lock"):
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            out[str(path.relative_to(folder))] = "folder"
    return out


def assert_one_error(result: Any, argv: list[str]) -> None:
    COUNT["invocations"] += 1
    assert result.exit_code in (1, 2), (argv, result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), (argv, repr(result.exception))  # handled, not escaped
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout, (argv, err)
    lines = err.splitlines()
    assert lines and lines[0].startswith("Error: ") and err.endswith("\n"), (argv, err)
    if len(lines) > 1:  # the one message of several lines: the seed's problems, one file:line each
        assert " problem(s) in the seed data:" in lines[0], (argv, err)
        assert all(":" in line and not line.startswith("Error") for line in lines[1:]), (argv, err)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A built store, a file, a folder, a damaged store, and broken seed folders, made once."""
    root = tmp_path_factory.mktemp("bad")
    db = root / "plan.lbug"
    assert runner.invoke(app, ["build", "--db", str(db)]).exit_code == 0
    (root / "afile").write_text("x", encoding="utf-8")
    (root / "folder").mkdir()
    (root / "empty.lbug").write_bytes(b"")
    (root / "junk.lbug").write_bytes(os.urandom(50_000))
    (root / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (root / "gb.txt").write_bytes("沈阳".encode("gb18030") + b"\xff\xfe\x80")
    seeds = {}
    edits = {
        "no safeguards key": ("plan.yaml", "  safeguards: safeguards.yaml\n", ""),
        "overlays nope": ("plan.yaml", "overlays:\n", "overlays: nope\nx:\n"),
        "id list": ("plan.yaml", "id: shenyang-2023-2025", "id: [x, x]"),
        "folder as source": ("plan.yaml", "source: source/shenyang-three-year-action-plan-2023-2025.txt",
                             "source: source"),
        "python tag": ("safeguards.yaml", "- {kind: ESTABLISHES", "- !!python/object/apply:os.system [ls]\n"
                       "- {kind: ESTABLISHES"),
        "billion laughs": ("safeguards.yaml", "- {kind: ESTABLISHES", "- &a [x, x]\n- &b [*a, *a]\n"
                           "- {kind: ESTABLISHES"),
        "plan.yaml not yaml": ("plan.yaml", "id: shenyang", "id: [shenyang"),
        "plan.yaml a list": ("plan.yaml", "id: shenyang", "- id: shenyang"),
        "extra field": ("names_en.csv", 'M4,"Supervise, assess and evaluate"', "M4,Supervise, assess"),
        "header only": ("links.csv", "GUIDES,P1,G1", "GUIDES,P1,G1"),
        "bad utf-8": ("assignments.csv", "task,lead", "task,\udcff-lead"),
        "deep yaml": ("safeguards.yaml", "- {kind: ESTABLISHES", "- " + "[" * 3000 + "]" * 3000 +
                      "\n- {kind: ESTABLISHES"),
    }
    import shutil

    for name, (file, old, new) in edits.items():
        seed = root / "seeds" / name.replace(" ", "-")
        shutil.copytree(SEED, seed)
        path = seed / file
        text = path.read_text(encoding="utf-8")
        assert old in text, name
        if name == "header only":
            path.write_text(text.splitlines()[0] + "\n", encoding="utf-8")
        elif name == "bad utf-8":
            path.write_bytes(text.replace(old, "task,lead", 1).encode("utf-8").replace(b"task,lead", b"task,\xff"))
        else:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
        seeds[name] = seed
    return {"root": root, "db": db, **{f"seed:{k}": v for k, v in seeds.items()}}


def _fixed(p: dict[str, Path]) -> list[list[str]]:
    root, db = p["root"], str(p["db"])
    seeds = [["validate", "--seed", str(v)] for k, v in p.items() if k.startswith("seed:")]
    seeds += [["build", "--db", str(root / "never.lbug"), "--seed", str(p["seed:python tag"])],
              ["export", "--seed", str(p["seed:billion laughs"]), "-o", str(root / "never.json")]]
    return [
        *seeds,
        ["parse", str(root / "nosuch.txt")], ["parse", str(root / "folder")], ["parse", str(root / "binary.txt")],
        ["parse", str(root / "gb.txt")], ["parse", str(SOURCE), "-o", str(root / "folder")],
        ["parse", str(SOURCE), "-o", str(root / "afile" / "out.json")], ["parse", str(SOURCE), "-o", "/proc/x/y.json"],
        ["export", "--seed", str(SEED), "-o", str(root / "folder")],
        ["export", "--seed", str(SEED), "-o", str(root / "afile" / "x" / "y.json")],
        ["export", "--db", db, "-f", "csv", "-o", str(root / "afile")],
        ["export", "--db", db, "-f", "csv", "-o", "-"], ["export", "--db", db, "-f", "nope", "-o", "x"],
        ["stats", "--db", str(root / "empty.lbug")], ["stats", "--db", str(root / "junk.lbug")],
        ["stats", "--db", str(root / "folder")], ["stats", "--db", str(root / "nosuch.lbug")],
        ["stats", "--db", db, "--format", "xml"], ["stats", "--store", "nope"],
        ["cypher", "RETURN 1; RETURN 2", "--db", db], ["cypher", "MATCH (n", "--db", db],
        ["cypher", "CREATE (n:Task {id: 'x'})", "--db", db],
        ["cypher", "RETURN $x AS x", "-p", "x", "[1,\"a\",null]", "--db", db],
        ["cypher", "RETURN $x AS x", "-p", "x", "[" * 5000 + "]" * 5000, "--db", db],
        ["query", "upstream", "-p", "task", "15", "-p", "depth", str(10**30), "--db", db],
        ["query", "nosuch", "--db", db], ["query", "upstream", "--db", db], ["query", "upstream", "-p", "task"],
        ["query", "upstream", "-p", "task", "15", "-p", "task", "16", "--db", db],
        ["impact", "no such task at all", "--db", db], ["owners", "§§", "--db", db],
        ["viz", "area", "--db", db], ["viz", "overview", "--db", db, "-o", str(root / "x.txt")],
        ["viz", "overview", "--db", db, "-o", str(root / "afile" / "x.html")],
        ["matrix", "--db", db, "-o", str(root / "m.txt")], ["matrix", "--db", db, "-o", str(root / "afile/m.csv")],
        ["pack", "--db", db, "-o", str(root / "afile")], ["pack", "--db", db, "-o", str(root / "afile" / "p")],
        ["build", "--db", str(root / "folder")], ["build", "--db", str(root / "afile" / "x.lbug")],
        ["build", "--seed", str(root / "nosuch")], ["build", "--nosuch"], ["nosuch"],
        ["deps", "--db", db], ["critical", "--db", db, "--top", "0"], ["stats", "--db", db, "extra"],
    ]


def test_bad_invocations_found_by_hand(place: dict[str, Path]) -> None:
    before = _tree(place["root"])
    for argv in _fixed(place):
        assert_one_error(runner.invoke(app, argv), argv)
    assert _tree(place["root"]) == before
    assert len(_fixed(place)) >= 55


# -- generated ----------------------------------------------------------------------------------------------------
NAME = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1,
               max_size=30).filter(lambda s: s not in (".", "..") and not s.startswith("-"))
WORD = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
FAST = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FAST
@given(name=NAME)
def test_parse_a_missing_file(place: dict[str, Path], name: str) -> None:
    argv = ["parse", str(place["root"] / "missing" / name)]
    assert_one_error(runner.invoke(app, argv), argv)


@FAST
@given(data=st.binary(min_size=0, max_size=400))
def test_parse_random_bytes(place: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "plan.txt"
    path.write_bytes(data)
    argv = ["parse", str(path)]
    result = runner.invoke(app, argv)
    if result.exit_code == 0:  # kg parse is lenient: text it can decode is read, what it lacks is warned about
        assert "Traceback" not in result.output and json.loads(result.stdout)["lines"]["total"] >= 0
        return
    assert_one_error(result, argv)


@FAST
@given(name=NAME)
def test_output_under_a_file(place: dict[str, Path], name: str) -> None:
    before = _tree(place["root"])
    for argv in (["parse", str(SOURCE), "-o", str(place["root"] / "afile" / name)],
                 ["export", "--db", str(place["db"]), "-f", "gexf", "-o", str(place["root"] / "afile" / name)]):
        assert_one_error(runner.invoke(app, argv), argv)
    assert _tree(place["root"]) == before


@FAST
@given(value=WORD.filter(lambda s: s not in ("table", "json", "csv")))
def test_a_bad_format(place: dict[str, Path], value: str) -> None:
    argv = ["stats", "--db", str(place["db"]), "--format", value]
    assert_one_error(runner.invoke(app, argv), argv)


@FAST
@given(value=WORD)
def test_an_entity_that_does_not_exist(place: dict[str, Path], value: str) -> None:
    argv = ["impact", "§¤" + value + "¤§", "--db", str(place["db"])]
    assert_one_error(runner.invoke(app, argv), argv)


@FAST
@given(command=st.sampled_from(["build", "stats", "export", "query", "impact", "matrix", "viz", "pack", "parse"]),
       option=st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd", "Lo")), min_size=1, max_size=15))
def test_an_unknown_option(place: dict[str, Path], command: str, option: str) -> None:
    argv = [command, f"--zz{option}"]
    before = _tree(place["root"])
    assert_one_error(runner.invoke(app, argv), argv)
    assert _tree(place["root"]) == before


@FAST
@given(name=NAME)
def test_a_seed_folder_that_does_not_exist(place: dict[str, Path], name: str) -> None:
    argv = ["validate", "--seed", str(place["root"] / "missing" / name)]
    assert_one_error(runner.invoke(app, argv), argv)


@FAST
@given(value=st.one_of(st.integers(max_value=0), st.text(min_size=1, max_size=8).filter(
    lambda s: not s.strip().lstrip("+").isdigit())))
def test_a_bad_number_option(place: dict[str, Path], value: object) -> None:
    argv = ["critical", "--db", str(place["db"]), "--top", str(value)]
    assert_one_error(runner.invoke(app, argv), argv)


def test_the_corpus_holds_200_invocations() -> None:
    # runs after the tests above in file order; a lone run of this test checks nothing
    if COUNT["invocations"] == 0:
        pytest.skip("run with the whole file")
    assert COUNT["invocations"] >= 200


@pytest.mark.parametrize("case", ["missing source", "id list", "junk store", "folder -o", "unknown option"])
def test_bad_invocations_through_the_console_script(place: dict[str, Path], case: str) -> None:
    """The installed `kg` script, in its own process: the same one line, no traceback, no core dump."""
    root, db = place["root"], str(place["db"])
    argv = {"missing source": ["parse", str(root / "nosuch.txt")],
            "id list": ["validate", "--seed", str(place["seed:id list"])],
            "junk store": ["stats", "--db", str(root / "junk.lbug")],
            "folder -o": ["export", "--db", db, "-o", str(root / "folder")],
            "unknown option": ["stats", "--nosuch"]}[case]
    result = subprocess.run([KG, *argv], capture_output=True, text=True, timeout=120)
    assert result.returncode in (1, 2), result
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
