"""Several plans' readings imported over processes (kg.progress.corpus) and several seeds built into one store: the
same graphs as one plan at a time, an error named as one plan's would be, and nothing changed when any share
fails."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kg.model import PlanGraph
from tests.conftest import SEED

KG = str(Path(sys.executable).parent / "kg")
SRC = "沈阳市统计局 月度数据 https://example.org/monthly"


def _structure() -> PlanGraph:
    from kg.ingest.seed import load_plan

    return load_plan(SEED, progress=False)


def _corpus(folder: Path, n: int, bad: int | None = None) -> tuple[list[PlanGraph], list[Path]]:
    """`n` copies of the plan (ids p0, p1, …), each with a readings file of its own values; plan `bad`'s file has a
    period outside the plan on its third line."""
    base = _structure()
    graphs, paths = [], []
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        graphs.append(PlanGraph(f"p{i}", dict(base.made_nodes), list(base.made_edges)))
        path = folder / f"readings-{i}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["indicator", "period", "value", "unit", "basis", "status", "source", "published"])
            for month in range(1, 13):
                period = "2031-05" if i == bad and month == 2 else f"2024-{month:02d}"
                writer.writerow(["I1.1", period, f"{5 + i / 10 + month / 100:g}", "%", "yoy_growth", "final", SRC,
                                 "2025-01-20"])
                writer.writerow(["I2.1", period, f"{100 * i + month}", "亿元", "level", "preliminary", SRC,
                                 "2025-01-20"])
        paths.append(path)
    return graphs, paths


def _one_by_one(graphs: list[PlanGraph], paths: list[Path]) -> list[PlanGraph]:
    """What `add_progress` does for one plan, plan after plan: the reference."""
    from kg.progress.graph import add_assessments, add_readings
    from kg.progress.readings import read_readings
    from kg.progress.rules import load_rules
    from kg.progress.status import assess

    out = []
    for g, path in zip(graphs, paths, strict=True):
        full = PlanGraph(g.plan_id, dict(g.made_nodes), list(g.made_edges))
        readings = read_readings(path, full)
        report = assess(full, readings, load_rules())
        add_readings(full, readings)
        add_assessments(full, report, "2026-01-01")
        out.append(full)
    return out


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_plans_imported_over_processes_are_the_plans_imported_one_by_one(tmp_path: Path, processes: int) -> None:
    from kg.progress.corpus import add_progress_all
    from kg.progress.rules import load_rules

    graphs, paths = _corpus(tmp_path, 5)
    expected = _one_by_one(graphs, paths)
    phases: dict[str, float] = {}
    add_progress_all(graphs, paths, load_rules(), "2026-01-01", processes=processes, phases=phases)
    assert all(g.deferred for g in graphs)  # held as Arrow rows until something asks for the nodes
    assert [g.counts() for g in graphs] == [g.counts() for g in expected]
    assert [g.to_json() for g in graphs] == [g.to_json() for g in expected]
    assert set(phases) == {"read_s", "validate_s", "assess_s", "nodes_s"} and all(v > 0 for v in phases.values())


def test_an_error_in_a_childs_share_is_raised_as_that_plans_and_changes_no_graph(tmp_path: Path) -> None:
    from kg.errors import ValidationError
    from kg.progress.corpus import add_progress_all
    from kg.progress.rules import load_rules

    graphs, paths = _corpus(tmp_path, 4, bad=3)  # the last plan: in the second process's share
    before = [(len(g.made_nodes), len(g.made_edges)) for g in graphs]
    with pytest.raises(ValidationError) as raised:
        add_progress_all(graphs, paths, load_rules(), processes=2)
    assert raised.value.problems == [f"{paths[3]}:4: period 2031-05 is outside the plan (valid: 2022 to 2025 for "
                                     "I1.1)", f"{paths[3]}:5: period 2031-05 is outside the plan (valid: 2022 to "
                                     "2025 for I2.1)"]
    assert [(len(g.made_nodes), len(g.made_edges)) for g in graphs] == before
    assert not any(g.deferred for g in graphs)


def test_a_child_killed_mid_share_fails_the_import_and_leaves_no_process(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.progress.corpus as corpus
    from kg.progress.rules import load_rules

    graphs, paths = _corpus(tmp_path, 4)
    parent, share = os.getpid(), corpus._share

    def dying(*args, **kwargs):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:  # the forked child runs the patched module
            os.kill(os.getpid(), signal.SIGKILL)
        return share(*args, **kwargs)

    def children() -> set[int]:  # this process's children, running or not yet reaped (a zombie too)
        out = set()
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    out.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
        return out

    monkeypatch.setattr(corpus, "_share", dying)
    before = children()
    with pytest.raises(RuntimeError, match="a process importing readings stopped before it finished"):
        corpus.add_progress_all(graphs, paths, load_rules(), processes=2)
    assert not any(g.deferred for g in graphs)
    assert children() == before  # no child of this import is left, running or unreaped


def _kg(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KG_DB", "KG_STORE", "KG_DEBUG", "KG_LANG")}
    return subprocess.run([KG, *args], capture_output=True, text=True, timeout=600, env=env)


def test_several_seeds_build_into_one_store_each_plan_as_it_builds_alone(tmp_path: Path) -> None:
    """`kg build --seed A --seed B`: each plan under its own id, read back as the same graph as its build alone;
    two seeds of one id are refused before the store is touched."""
    from kg.stores.base import StoreSettings, open_store

    other = tmp_path / "other"
    shutil.copytree(SEED, other)
    settings = other / "plan.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("id: shenyang-2023-2025", "id: other-2023"),
                        encoding="utf-8")
    both, alone = tmp_path / "both.lbug", tmp_path / "alone.lbug"
    done = _kg("build", "--seed", str(SEED), "--seed", str(other), "--db", str(both))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("built shenyang-2023-2025 in ") and " other-2023 in " in lines[1]
    assert _kg("build", "--seed", str(other), "--db", str(alone)).returncode == 0

    def graph(db: Path, plan: str) -> str:
        store = open_store(StoreSettings(path=db, plan=plan))
        try:
            return store.read_graph().to_json()
        finally:
            store.close()

    assert graph(both, "other-2023") == graph(alone, "other-2023")
    stamp = both.stat().st_mtime_ns
    refused = _kg("build", "--seed", str(other), "--seed", str(other), "--db", str(both))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (f"Error: {other}/plan.yaml: plan id 'other-2023' is also the id of {other}/plan.yaml "
                              "(valid: one seed folder a plan, each with its own id)\n")
    assert both.stat().st_mtime_ns == stamp
