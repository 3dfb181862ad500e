"""A seed folder whose plan.yaml or readings.csv is not a plain file: a named pipe nobody writes to, a folder, a
link to /dev/zero (a device that never ends), or a link to nothing (once taken for no readings, left out
silently). Every command that reads them says so in one line naming the file, within seconds; `kg report` and
`kg progress template` read plan.yaml apart from the seed's own reader and waited for ever on a pipe or read
/dev/zero until memory ran out. Run in real processes, so a hang is a failed timeout and not a stuck test run;
the pipe wait is cut to one second there."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from tests.conftest import SEED

# The CLI as the console script runs it, but giving up on a silent pipe after 1 s instead of PIPE_WAIT
KG = ["-c", "import sys, kg.ingest.read as r; r.PIPE_WAIT = 1.0; sys.argv[0] = 'kg'; from kg.cli import main; main()"]
KINDS = ("fifo", "folder", "dev-zero", "broken-link")
MESSAGES = {"fifo": "nothing arrived on the pipe in 1 s", "folder": "is a folder (give a file)",
            "dev-zero": "too large (at most 64 MB)",
            "broken-link": "which does not exist (valid: a link to a file, or the file itself)"}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("KG_DB", "KG_STORE", "KG_DEBUG", "KG_LANG")}


def _replace(path: Path, kind: str) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "broken-link":
        path.symlink_to(path.with_name("moved-away.csv"))
    else:
        path.symlink_to("/dev/zero")


def _kg(*argv: str) -> subprocess.CompletedProcess[str]:
    start = time.monotonic()
    result = subprocess.run([sys.executable, *KG, *argv], capture_output=True, text=True, env=_env(), timeout=60)
    assert time.monotonic() - start < 30, f"took {time.monotonic() - start:.0f} s"
    return result


def _refused_naming(result: subprocess.CompletedProcess[str], path: Path, kind: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {path}: ") and MESSAGES[kind] in lines[0], lines[0]


@pytest.fixture(scope="module")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("special") / "plan.lbug"
    result = CliRunner().invoke(app, ["build", "--seed", str(SEED), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["plan.yaml", "readings.csv"])
def test_validate_and_build_refuse_a_seed_file_that_is_not_a_file(seed_copy: Path, tmp_path: Path, name: str,
                                                                   kind: str) -> None:
    _replace(seed_copy / name, kind)
    _refused_naming(_kg("validate", "--seed", str(seed_copy)), seed_copy / name, kind)
    db = tmp_path / "plan.lbug"
    _refused_naming(_kg("build", "--seed", str(seed_copy), "--db", str(db)), seed_copy / name, kind)
    assert not db.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_report_and_template_refuse_a_plan_yaml_that_is_not_a_file(seed_copy: Path, tmp_path: Path, built_db: Path,
                                                                    kind: str) -> None:
    """These read the plan from the store and only the milestones' file names from plan.yaml."""
    _replace(seed_copy / "plan.yaml", kind)
    out = tmp_path / "bulletin.md"
    _refused_naming(_kg("report", "--period", "2025-06", "-o", str(out), "--db", str(built_db), "--seed",
                        str(seed_copy), "--ledger", str(tmp_path / "ledger")), seed_copy / "plan.yaml", kind)
    template = tmp_path / "template.xlsx"
    _refused_naming(_kg("progress", "template", "--period", "2025-06", "-o", str(template), "--db", str(built_db),
                        "--seed", str(seed_copy)), seed_copy / "plan.yaml", kind)
    assert not out.exists() and not template.exists()


def test_assign_apply_refuses_a_plan_yaml_that_is_a_pipe(seed_copy: Path, tmp_path: Path) -> None:
    """`kg assign apply` reads the plan's jurisdiction from plan.yaml before the seed itself."""
    review = tmp_path / "review.csv"
    review.write_text("item,line,task,resolved,role,accept,quote,document,source_file,area,item_text\n",
                      encoding="utf-8")
    _replace(seed_copy / "plan.yaml", "fifo")
    _refused_naming(_kg("assign", "apply", str(review), "--seed", str(seed_copy)), seed_copy / "plan.yaml", "fifo")


@pytest.mark.parametrize("kind", KINDS)
def test_a_build_of_several_seeds_refuses_a_readings_file_that_is_not_a_file(seed_copy: Path, tmp_path: Path,
                                                                           kind: str) -> None:
    """`kg build --seed A --seed B`: the readings are imported beside the load; the file is named all the same."""
    import shutil

    other = tmp_path / "other"
    shutil.copytree(seed_copy, other)
    settings = other / "plan.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("id: shenyang-2023-2025", "id: other-2023"),
                        encoding="utf-8")
    _replace(other / "readings.csv", kind)
    db = tmp_path / "plans.lbug"
    _refused_naming(_kg("build", "--seed", str(seed_copy), "--seed", str(other), "--db", str(db)),
                    other / "readings.csv", kind)
    assert not db.exists()
