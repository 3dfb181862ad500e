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
from typing import Any

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


def _fresh(graphs: list[PlanGraph]) -> list[PlanGraph]:
    return [PlanGraph(g.plan_id, dict(g.made_nodes), list(g.made_edges)) for g in graphs]


def test_a_load_begun_before_the_readings_are_in_holds_what_a_load_after_them_holds(tmp_path: Path,
                                                                                    store: object) -> None:
    """`kg build --seed A --seed B`: the readings are imported in other processes (kg.progress.corpus.Pending) while
    the store loads the plans' structure; the load then takes them. Each store holds what it holds when the
    readings were imported first."""
    _begun_before(tmp_path, store)


def test_a_ladybug_load_made_in_a_child_takes_the_readings_when_they_are_in(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, the structure's tables made in a forked child (a large load's way) while the import runs."""
    import kg.stores.ladybug_load as load
    from kg.stores.base import StoreSettings, open_store

    monkeypatch.setattr(load, "FORK_ROWS", 0)
    monkeypatch.setattr(load, "FORK_DISK", 0)
    store = open_store(StoreSettings(path=tmp_path / "forked.lbug"))
    try:
        _begun_before(tmp_path, store)
    finally:
        store.close()


def _begun_before(tmp_path: Path, store: Any) -> None:
    from kg.progress.corpus import Pending, add_progress_all
    from kg.progress.rules import load_rules

    graphs, paths = _corpus(tmp_path / "readings", 3)
    before = _fresh(graphs)
    add_progress_all(before, paths, load_rules(), "2026-01-01")
    late = Pending(graphs, paths, load_rules(), "2026-01-01", processes=2)
    assert late.kinds == {"Reading", "Assessment"} and late.rows >= 2 * 24 * 3
    with late:
        store.build_all(graphs, late)
    try:
        assert [g.counts() for g in graphs] == [g.counts() for g in before]
        for g in before:
            store._plan = g.plan_id
            assert store.read_graph().to_json() == g.to_json()
            assert store.counts() == g.counts()
    finally:
        if store.kind == "neo4j":
            for g in graphs:
                store.delete_plan(g.plan_id)
    assert not Path(late._folder).exists()  # its files are gone


def test_a_bad_readings_file_fails_a_load_begun_before_it_and_keeps_the_previous_graph(tmp_path: Path) -> None:
    """The readings' error reaches the build as it would have before it (the plan's file and line), the staged
    database is dropped, the previous graph is unchanged, and no process of the import is left."""
    from kg.errors import ValidationError
    from kg.progress.corpus import Pending
    from kg.progress.rules import load_rules
    from kg.stores.base import StoreSettings, open_store

    graphs, _ = _corpus(tmp_path / "readings", 4)
    store = open_store(StoreSettings(path=tmp_path / "plans.lbug", plan="p0"))
    store.build_all(_fresh(graphs))
    before = store.read_graph().to_json()
    bad, bad_paths = _corpus(tmp_path / "bad", 4, bad=2)
    with pytest.raises(ValidationError) as raised, Pending(bad, bad_paths, load_rules(), processes=2) as late:
        store.build_all(bad, late)
    assert raised.value.problems[0] == (f"{bad_paths[2]}:4: period 2031-05 is outside the plan (valid: 2022 to "
                                        "2025 for I1.1)")
    assert store.read_graph().to_json() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".plans.lbug.writer.lock", "bad", "plans.lbug",
                                                          "plans.lbug.integrity.json", "readings"]
    assert not Path(late._folder).exists()
    store.close()


def test_kg_build_of_several_seeds_with_a_bad_readings_file_says_where_and_changes_nothing(tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(SEED, other)
    settings = other / "plan.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("id: shenyang-2023-2025", "id: other-2023"),
                        encoding="utf-8")
    db = tmp_path / "both.lbug"
    assert _kg("build", "--seed", str(SEED), "--seed", str(other), "--db", str(db)).returncode == 0
    stamp = db.stat().st_mtime_ns
    readings = other / "readings.csv"
    lines = readings.read_text(encoding="utf-8").splitlines(keepends=True)
    readings.write_text(lines[0] + lines[1].replace("I1.1,2023,", "I1.1,2031,", 1) + "".join(lines[2:]),
                        encoding="utf-8")
    done = _kg("build", "--seed", str(SEED), "--seed", str(other), "--db", str(db))
    assert done.returncode != 0 and done.stdout == ""
    assert f"{readings}:2: period 2031 is outside the plan" in done.stderr and "Traceback" not in done.stderr
    assert db.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == [".both.lbug.writer.lock", "both.lbug",
                                                          "both.lbug.integrity.json", "other"]


def test_a_builder_killed_as_its_import_children_start_leaves_none_running(tmp_path: Path) -> None:
    """A child of the import ends with the builder however early the builder dies: here it is killed while each
    child is still starting (held up importing a module), before the child has asked for the parent-death signal.
    No child goes on with the import alone (holding the builder's output open and filling its folder)."""
    script = ("import importlib.abc, os, signal, sys, time\n"
              "from pathlib import Path\n"
              "parent = os.getpid()\n"
              "class Slow(importlib.abc.MetaPathFinder):\n"
              "    def find_spec(self, name, path=None, target=None):\n"
              "        if name == 'kg.lock' and os.getpid() != parent:\n"
              "            time.sleep(1)  # a forked child, starting: the builder is killed meanwhile\n"
              "        return None\n"
              "sys.modules.pop('kg.lock', None)\n"
              "sys.meta_path.insert(0, Slow())\n"
              "from kg.progress.corpus import Pending\n"
              "from kg.progress.rules import load_rules\n"
              "from tests.test_progress_corpus import _corpus\n"
              "graphs, paths = _corpus(Path(sys.argv[1]), 2)\n"
              "late = Pending(graphs, paths, load_rules(), processes=2)\n"
              "print(late._folder, flush=True)\n"
              "os.kill(parent, signal.SIGKILL)\n")
    # the output is read to its end: until every process holding it (the builder, its children) has ended
    folder = _killed_builder(tmp_path, script, tmp_path / "readings")
    assert not list(folder.glob("share-*")), "a child went on importing after the builder was killed"


def test_the_load_is_sized_without_reading_a_file_the_import_refuses(tmp_path: Path) -> None:
    """`Pending.rows` (what a load is sized by) counts the lines of each readings file before the import begins; a
    file larger than the import reads (kg.ingest.read.MAX_BYTES) is not read through for it (an 8 GB file took 30 s
    before the build said it was too large), and the import refuses it as it did."""
    from kg.errors import UsageError
    from kg.ingest.read import MAX_BYTES
    from kg.progress.corpus import Pending
    from kg.progress.rules import load_rules

    def read_bytes() -> int:  # all this process has read, from any file
        return int(Path("/proc/self/io").read_text().split("rchar:")[1].split()[0])

    graphs, paths = _corpus(tmp_path, 2)
    with paths[1].open("r+b") as f:
        f.truncate(4 * MAX_BYTES)  # sparse: zeros that take no disk
    before = read_bytes()
    with Pending(graphs, paths, load_rules(), processes=2) as late:
        assert read_bytes() - before < MAX_BYTES
        assert late.rows >= 2 * 24
        with pytest.raises(UsageError, match=f"{paths[1]}: .* too large"):
            late.finish()
    assert not any(g.deferred for g in graphs)


def test_the_files_of_an_import_whose_builder_was_killed_are_removed_by_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A builder killed (kill -9, or a TERM, which nothing catches) while its readings are imported leaves their
    folder in the temporary folder, the readings' tables in it; the next import removes it, and never the folder
    of one still running."""
    import tempfile

    from kg.progress.corpus import Pending
    from kg.progress.rules import load_rules

    script = ("import os, signal, sys, time\n"
              "from pathlib import Path\n"
              "from kg.progress.corpus import Pending\n"
              "from kg.progress.rules import load_rules\n"
              "from tests.test_progress_corpus import _corpus\n"
              "graphs, paths = _corpus(Path(sys.argv[1]), 2)\n"
              "late = Pending(graphs, paths, load_rules(), processes=2)\n"
              "while len(list(late._folder.glob('share-*.pickle'))) < 2:\n"
              "    time.sleep(0.05)\n"
              "print(late._folder, flush=True)\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    left = _killed_builder(tmp_path, script, tmp_path / "killed")
    assert list(left.glob("share-*.arrow"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    graphs, paths = _corpus(tmp_path / "readings", 2)
    with Pending(graphs, paths, load_rules(), processes=2) as running:
        assert not left.exists()
        others, other_paths = _corpus(tmp_path / "others", 2)
        with Pending(others, other_paths, load_rules(), processes=2) as beside:
            assert running._folder.exists()
            running.finish()
            beside.finish()
    assert all(g.deferred for g in graphs + others)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed", "others", "readings"]


def _killed_builder(tmp_path: Path, script: str, readings: Path) -> Path:
    """Run `script` (an import that kills its own builder and prints the import's folder first) with `tmp_path` as
    the temporary folder; the folder it printed, in `tmp_path`."""
    env = {**{k: v for k, v in os.environ.items() if k not in ("KG_DB", "KG_STORE", "KG_DEBUG")},
           "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script, str(readings)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    folder = Path(done.stdout.strip())
    assert folder.parent == tmp_path
    return folder


def test_where_there_is_no_fork_the_import_is_done_when_the_load_asks_for_it(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.progress.corpus import Pending, add_progress_all
    from kg.progress.rules import load_rules

    graphs, paths = _corpus(tmp_path / "readings", 3)
    before = _fresh(graphs)
    add_progress_all(before, paths, load_rules(), "2026-01-01")
    monkeypatch.delattr(os, "fork")
    with Pending(graphs, paths, load_rules(), "2026-01-01", processes=2) as late:
        assert not late._children
        late.finish()
    assert [g.to_json() for g in graphs] == [g.to_json() for g in before]
