"""The README cannot go stale: every `kg` command it shows is run, and where it shows output, the output is
compared. A clean clone runs `make demo` and its outputs are checked."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.cli.common import command_paths
from tests.conftest import ROOT

runner = CliRunner()
READMES = {"en": ROOT / "README.md", "zh": ROOT / "README.zh-CN.md"}  # each run in its own language


def _blocks(lang: str = "en") -> list[list[str]]:
    """The lines of each fenced block, indentation removed (fences may be indented inside list items)."""
    blocks, current = [], None
    for line in READMES[lang].read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("```"):
            if current is None:
                current, indent = [], len(line) - len(line.lstrip())
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line[indent:])
    return blocks


def shown(lang: str = "en") -> tuple[list[tuple[str, str]], list[str]]:
    """([(command, the output shown under it)], [commands shown without output])."""
    with_output, plain = [], []
    for block in _blocks(lang):
        i = 0
        while i < len(block):
            line = block[i]
            if line.startswith("$ kg "):
                j = i + 1
                while j < len(block) and not block[j].startswith("$ "):
                    j += 1
                with_output.append((line[2:], "\n".join(block[i + 1:j])))
                i = j
                continue
            if line.startswith("kg "):
                for part in re.sub(r"\s+#.*$", "", line).split(" && "):
                    plain.append(part.strip())
            i += 1
    return with_output, plain


def _argv(command: str) -> list[str]:
    return shlex.split(command)[1:]


def _name(command: str) -> str:
    """The command's name, after the global options (`kg --lang zh owners ...` -> owners)."""
    argv = _argv(command)
    while argv and argv[0] == "--lang":
        argv = argv[2:]
    return argv[0] if argv else "--help"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plan_graph) -> Path:  # type: ignore[no-untyped-def]
    """A scratch folder that looks like the repository from the outside: seed/ and a built graph."""
    (tmp_path / "seed").symlink_to(ROOT / "seed")
    monkeypatch.chdir(tmp_path)
    for var in ("KG_DB", "KG_STORE", "KG_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert runner.invoke(app, ["build"]).exit_code == 0
    return tmp_path


@pytest.mark.parametrize("lang", READMES)
def test_the_readme_shows_commands_and_outputs(lang: str) -> None:
    with_output, plain = shown(lang)
    assert len(with_output) >= 4 and len(plain) >= 20
    names = {p[0] for p in command_paths()}
    assert {_name(c) for c in plain} | {_name(c) for c, _ in with_output} == names  # every command shown


def test_each_readme_links_to_the_other() -> None:
    assert "README.zh-CN.md" in READMES["en"].read_text(encoding="utf-8").split("\n## ")[0]
    assert "README.md" in READMES["zh"].read_text(encoding="utf-8").split("\n## ")[0]


SHOWN = [(lang, c, out) for lang in READMES for c, out in shown(lang)[0]]
PLAIN = [(lang, c) for lang in READMES for c in shown(lang)[1] if "--store neo4j" not in c]


@pytest.mark.parametrize(("lang", "command", "output"), SHOWN, ids=[f"{lang}: {c}" for lang, c, _ in SHOWN])
def test_readme_output_is_what_the_command_prints(workdir: Path, lang: str, command: str, output: str) -> None:
    result = runner.invoke(app, _argv(command), env={"KG_LANG": lang})
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == output


@pytest.mark.parametrize(("lang", "command"), PLAIN, ids=[f"{lang}: {c}" for lang, c in PLAIN])
def test_readme_command_runs(workdir: Path, lang: str, command: str) -> None:
    result = runner.invoke(app, _argv(command), env={"KG_LANG": lang})
    assert result.exit_code == 0, f"{command}: {result.output}"


@pytest.mark.neo4j
def test_readme_neo4j_commands_run(workdir: Path, neo4j_settings) -> None:  # type: ignore[no-untyped-def]
    env = {"NEO4J_URI": neo4j_settings.uri, "NEO4J_USERNAME": neo4j_settings.user,
           "NEO4J_PASSWORD": neo4j_settings.password}
    commands = [c for lang in READMES for c in shown(lang)[1] if "--store neo4j" in c]
    assert commands
    try:
        for command in commands:
            result = runner.invoke(app, _argv(command), env=env)
            assert result.exit_code == 0, f"{command}: {result.output}"
    finally:
        from kg.stores.base import open_store

        store = open_store(neo4j_settings)
        store.delete_plan("shenyang-2023-2025")
        store.close()


def test_make_demo_on_a_clean_clone(tmp_path: Path) -> None:
    """A newcomer's first command, on a fresh clone of what is committed: environment, graph, answers, pack."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("needs git, make and a git checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    # a newcomer's shell: no settings of ours, and not inside the `make test` that may be running this test
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KG_", "NEO4J_", "VIRTUAL_ENV", "MAKE", "MFLAGS"))}
    done = subprocess.run(["make", "demo"], cwd=clone, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "built shenyang-2023-2025 in .kg/plan.lbug: 211 nodes, 455 edges" in out
    assert "Who answers for G3 结构调整迈出新步伐" in out and "市工业和信息化局" in out
    assert "If T15 加快发展数字经济 slips" in out and "the 8 busiest departments" in out
    assert out.rstrip().endswith("Open meeting-pack/index.html in a browser (it works offline).")
    pack = clone / "meeting-pack"
    index = (pack / "index.html").read_text(encoding="utf-8")
    views = re.findall(r'<li><a href="([^"]+)\.(?:html|png)"', index)  # one entry per view, in sections
    assert views[0] == "overview" and sum(v.startswith("area-") for v in views) == 13
    assert sum(v.startswith("target-") for v in views) == 10 and any(v.startswith("matrix-") for v in views)
    assert all((pack / f"{v}.html").exists() for v in views if not v.startswith("matrix-"))
    assert (pack / "overview.png").read_bytes()[:4] == b"\x89PNG"
    assert "https://" not in (pack / "overview.html").read_text(encoding="utf-8").split("<script>")[0]
