"""A large Ladybug load makes its tables in a forked child (kg.stores.ladybug_load.made_apart): the same graph
as the threaded load, the child's errors raised in the builder, a child that dies or a builder that is killed
leaving the previous graph, no process and no file behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.model import PlanGraph
from kg.stores.base import StoreSettings, open_store
from tests.conftest import PLAN_NODES, SEED


def canonical(graph: PlanGraph) -> tuple[list[str], list[str]]:
    data = graph.to_json()
    return (sorted(json.dumps(n, sort_keys=True, ensure_ascii=False) for n in data["nodes"]),
            sorted(json.dumps(e, sort_keys=True, ensure_ascii=False) for e in data["edges"]))


def children() -> list[int]:
    """This process's child processes that are copies of it (forked: same command line); Neo4j's JVM is not."""
    me = Path("/proc/self/cmdline").read_bytes()
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            same = (entry / "cmdline").read_bytes() == me
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and same:
            out.append(int(entry.name))
    return out


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every load, however small, made in a child, whatever the disk this machine has free."""
    import kg.stores.ladybug_load as load

    monkeypatch.setattr(load, "FORK_ROWS", 0)
    monkeypatch.setattr(load, "FORK_DISK", 0)


def test_the_forked_load_builds_the_same_graph_as_the_threaded_one(tmp_path: Path, plan_graph: PlanGraph,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.stores.ladybug_load as load

    seen: list[str] = []
    made_apart = load.made_apart

    def spy(graphs: list[PlanGraph], folder: Path, *rest: Any) -> Iterator[tuple[str, str, Any]]:
        seen.append(folder.name)
        return made_apart(graphs, folder, *rest)

    threaded = open_store(StoreSettings(path=tmp_path / "threaded.lbug"))
    threaded.build(plan_graph)
    assert not seen  # a plan's few thousand rows: made in a thread
    monkeypatch.setattr(load, "FORK_ROWS", 0)
    monkeypatch.setattr(load, "FORK_DISK", 0)
    monkeypatch.setattr(load, "made_apart", spy)
    apart = open_store(StoreSettings(path=tmp_path / "forked.lbug"))
    apart.build(plan_graph)
    assert seen == [f"forked.lbug.new-{os.getpid()}.tables"]
    assert apart.counts() == threaded.counts() == plan_graph.counts()
    assert plan_graph.counts()["nodes"].get("Reading")  # the seed's readings went through the child too
    assert canonical(apart.read_graph()) == canonical(threaded.read_graph())
    threaded.close()
    apart.close()
    assert not children()
    assert sorted(p.name for p in tmp_path.iterdir() if "forked" in p.name) == [
        ".forked.lbug.writer.lock", "forked.lbug", "forked.lbug.integrity.json"]


def test_an_error_in_the_child_is_raised_in_the_builder(tmp_path: Path, plan_graph: PlanGraph, forked: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.stores.ladybug_load as load
    from kg.errors import StoreError, ValidationError

    store = open_store(StoreSettings(path=tmp_path / "plan.lbug"))
    store.build(plan_graph)
    before = canonical(store.read_graph())
    copies = load.copies

    def failing(graphs: list[PlanGraph], *rest: Any) -> Iterator[tuple[str, str, Any]]:
        for number, item in enumerate(copies(graphs, *rest)):
            if number == 3:
                raise ValueError("a made-up failure while making the fourth table (第四张表)")
            yield item

    monkeypatch.setattr(load, "copies", failing)  # the child is a fork: it runs the patched module
    with pytest.raises(ValueError, match=r"made-up failure while making the fourth table \(第四张表\)"):
        store.build(plan_graph)

    class Unpicklable(Exception):  # a local class: pickle cannot name it, so its text is sent
        pass

    def unpicklable(graphs: list[PlanGraph], *rest: Any) -> Iterator[tuple[str, str, Any]]:
        yield next(iter(copies(graphs, *rest)))
        raise Unpicklable("made-up, and not picklable")

    monkeypatch.setattr(load, "copies", unpicklable)
    with pytest.raises(StoreError, match="the previous graph is unchanged: Unpicklable: made-up, and not picklable"):
        store.build(plan_graph)
    assert canonical(store.read_graph()) == before

    def invalid(graphs: list[PlanGraph], *rest: Any) -> Iterator[tuple[str, str, Any]]:  # ours, of several lines
        yield next(iter(copies(graphs, *rest)))
        raise ValidationError(["readings.csv:3: made-up problem (编造的问题)", "readings.csv:4: another"])

    monkeypatch.setattr(load, "copies", invalid)
    with pytest.raises(ValidationError) as raised:  # the same error again, not its text taken for its problems
        store.build(plan_graph)
    assert raised.value.problems == ["readings.csv:3: made-up problem (编造的问题)", "readings.csv:4: another"]
    assert str(raised.value).startswith("2 problem(s) in the seed data:\n")
    assert canonical(store.read_graph()) == before
    store.close()
    assert not children()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".plan.lbug.writer.lock", "plan.lbug",
                                                          "plan.lbug.integrity.json"]


def test_a_child_that_dies_fails_the_build_instead_of_shortening_the_graph(
        tmp_path: Path, plan_graph: PlanGraph, forked: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.stores.ladybug_load as load
    from kg.errors import StoreError

    store = open_store(StoreSettings(path=tmp_path / "plan.lbug"))
    store.build(plan_graph)
    copies = load.copies

    def killed(graphs: list[PlanGraph], *rest: Any) -> Iterator[tuple[str, str, Any]]:
        for number, item in enumerate(copies(graphs, *rest)):
            if number == 5:
                os.kill(os.getpid(), signal.SIGKILL)  # in the child: as the kernel's OOM killer would
            yield item

    monkeypatch.setattr(load, "copies", killed)
    with pytest.raises(StoreError, match=r"the previous graph is unchanged.*stopped before the last one"):
        store.build(plan_graph)
    assert store.counts() == plan_graph.counts()
    store.close()
    assert not children()
    assert not [p for p in tmp_path.iterdir() if ".new" in p.name]


def test_no_room_or_no_fork_makes_the_tables_in_a_thread(tmp_path: Path, plan_graph: PlanGraph, forked: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Too little free disk beside the database for the child's files, or a fork the system refuses (no process
    left to the user): the load makes its tables in a thread, and leaves no folder and no descriptor behind."""
    import errno

    import kg.stores.ladybug_load as load

    monkeypatch.setattr(load, "FORK_DISK", 1 << 62)
    threaded = open_store(StoreSettings(path=tmp_path / "a.lbug"))
    threaded.build(plan_graph)
    monkeypatch.undo()
    monkeypatch.setattr(load, "FORK_ROWS", 0)
    monkeypatch.setattr(load, "FORK_DISK", 0)
    assert load._room_to_fork(tmp_path, 1 << 40)
    assert not load._room_to_fork(tmp_path, 1 << 20)  # the child could not copy this process's pages in 1 MiB

    def refused() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    fds = len(os.listdir("/proc/self/fd"))
    store = open_store(StoreSettings(path=tmp_path / "b.lbug"))
    store.build(plan_graph)
    assert len(os.listdir("/proc/self/fd")) == fds
    assert canonical(store.read_graph()) == canonical(threaded.read_graph())
    store.close()
    threaded.close()
    assert not [p for p in tmp_path.iterdir() if ".new" in p.name]


def test_a_full_disk_in_the_child_says_where_and_keeps_the_previous_graph(
        tmp_path: Path, plan_graph: PlanGraph, forked: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import pyarrow.ipc

    from kg.errors import StoreError

    store = open_store(StoreSettings(path=tmp_path / "plan.lbug"))
    store.build(plan_graph)

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pyarrow.ipc, "new_file", full)  # in the child, which is a fork of this process
    with pytest.raises(StoreError) as caught:
        store.build(plan_graph)
    message = str(caught.value)
    assert "the previous graph is unchanged" in message and "No space left on device" in message
    assert f"plan.lbug.new-{os.getpid()}.tables" in message and "free space beside the database" in message
    assert any("in the process making the tables" in note for note in getattr(caught.value.__cause__, "__notes__", []))
    assert store.counts() == plan_graph.counts()
    store.close()
    assert not children()
    assert not [p for p in tmp_path.iterdir() if ".new" in p.name]


def test_a_builder_that_ignores_sigchld_still_builds(tmp_path: Path, plan_graph: PlanGraph, forked: None) -> None:
    """A launcher that set SIGCHLD to SIG_IGN: the kernel reaps the child itself, and waiting for it must not fail
    the build."""
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        store = open_store(StoreSettings(path=tmp_path / "plan.lbug"))
        store.build(plan_graph)
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert store.counts() == plan_graph.counts()
    store.close()
    assert not [p for p in tmp_path.iterdir() if ".new" in p.name]


def test_a_caller_that_stops_early_leaves_no_child_and_no_file(tmp_path: Path, plan_graph: PlanGraph) -> None:
    from kg.stores.ladybug_load import copies, made_apart

    folder = tmp_path / "tables"
    made = made_apart([plan_graph], folder)
    first = next(made)
    assert first[:2] == next(copies([plan_graph]))[:2]
    assert first[2].equals(next(copies([plan_graph]))[2])
    made.close()
    assert not children() and not folder.exists()


def test_kill_9_of_a_forked_build_stops_its_child_and_the_next_build_cleans_up(tmp_path: Path) -> None:
    db = tmp_path / "plan.lbug"
    slow = ("import sys, time\n"
            "import kg.stores.ladybug_load as load\n"
            "load.FORK_ROWS = 0\n"
            "load.FORK_DISK = 0\n"
            "copies = load.copies\n"
            "def slow(graphs, *rest):\n"
            "    for item in copies(graphs, *rest):\n"
            "        time.sleep(0.2)\n"
            "        yield item\n"
            "load.copies = slow\n"
            "from kg.cli import main\n"
            "sys.argv = ['kg', 'build', '--seed', sys.argv[1], '--db', sys.argv[2]]\n"
            "main()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("KG_DB", "KG_STORE", "KG_DEBUG")}
    build = [sys.executable, "-c", slow, str(SEED), str(db)]
    assert subprocess.run(build, capture_output=True, text=True, env=env, timeout=300).returncode == 0
    proc = subprocess.Popen(build, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tables") and any(p.iterdir()) for p in tmp_path.iterdir() if p.is_dir()):
        assert time.monotonic() < deadline and proc.poll() is None, "the child never wrote a table"
        time.sleep(0.05)
    child = [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit() and _parent(e) == proc.pid]
    assert len(child) == 1
    assert ".plan.lbug.writer.lock" in _open_files(proc.pid)
    assert ".plan.lbug.writer.lock" not in _open_files(child[0])  # else, outliving a killed build, it holds the lock
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30  # it finishes the table it is making, sees the builder gone, and stops
    while Path(f"/proc/{child[0]}").exists() and _state(child[0]) != "Z":
        assert time.monotonic() < deadline, "the child outlived the killed build"
        time.sleep(0.05)
    assert any(p.name.endswith(".tables") for p in tmp_path.iterdir())  # left for the next build
    result = subprocess.run(build, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".plan.lbug.writer.lock", "plan.lbug",
                                                          "plan.lbug.integrity.json"]
    check = open_store(StoreSettings(path=db))
    assert sum(check.counts()["nodes"].values()) == PLAN_NODES
    check.close()


def _open_files(pid: int) -> set[str]:
    """The names of the files a process has open."""
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            out.add(os.path.basename(os.readlink(fd)))
        except OSError:  # closed meanwhile
            continue
    return out


def _parent(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def test_small_node_tables_are_created_not_copied_and_give_the_same_graph(tmp_path: Path, plan_graph: PlanGraph,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A node table under SMALL_ROWS rows goes in as CREATEs from its Arrow table (kg.stores.ladybug_load.
    node_statement), a larger one as a COPY: the same graph either way, every column's type kept (lists, integers,
    booleans, nulls), and a duplicate uid still refused."""
    import pyarrow as pa

    import kg.stores.ladybug_load as load
    from kg.errors import StoreError
    from kg.model import NODE_KINDS

    statements = {target: statement for statement, target, _ in load.copies([plan_graph]) if target in NODE_KINDS}
    assert statements and all(s.startswith("LOAD FROM $rows CREATE (:") for s in statements.values())
    created = open_store(StoreSettings(path=tmp_path / "created.lbug"))
    created.build(plan_graph)
    monkeypatch.setattr(load, "SMALL_ROWS", 0)
    assert all(s.startswith("COPY ") for s, t, _ in load.copies([plan_graph]) if t in NODE_KINDS)
    copied = open_store(StoreSettings(path=tmp_path / "copied.lbug"))
    copied.build(plan_graph)
    monkeypatch.setattr(load, "SMALL_ROWS", 30)  # some of each in one build
    kinds = {t: s.split()[0] for s, t, _ in load.copies([plan_graph]) if t in NODE_KINDS}
    assert set(kinds.values()) == {"COPY", "LOAD"}
    mixed = open_store(StoreSettings(path=tmp_path / "mixed.lbug"))
    mixed.build(plan_graph)
    assert created.counts() == copied.counts() == mixed.counts() == plan_graph.counts()
    assert canonical(created.read_graph()) == canonical(copied.read_graph()) == canonical(mixed.read_graph())
    for store in (created, copied, mixed):
        store.close()
    twice = PlanGraph(plan_graph.plan_id, dict(plan_graph.made_nodes), list(plan_graph.made_edges))
    monkeypatch.setattr(load, "SMALL_ROWS", 2048)
    node_copy = load.copies([twice])
    first = next(node_copy)
    table = pa.concat_tables([first[2], first[2]])  # the same uid twice: refused as a COPY would refuse it
    monkeypatch.setattr(load, "copies", lambda graphs, *rest: iter([(first[0], first[1], table)]))
    with pytest.raises(StoreError, match="unchanged"):
        open_store(StoreSettings(path=tmp_path / "twice.lbug")).build(twice)
    assert not (tmp_path / "twice.lbug").exists()


def test_a_plans_build_peaks_at_half_the_memory_of_copying_every_table(tmp_path: Path) -> None:
    """Shenyang's build in a fresh process, peak resident memory (VmHWM: getrusage's maxrss carries the forking
    parent's peak across exec): with its node tables created, against every table copied (the COPY's column
    chunks were most of the build's 470 MiB)."""
    script = ("import sys\n"
              "import kg.stores.ladybug_load as load\n"
              "from kg.ingest.seed import load_plan\n"
              "from kg.stores.base import StoreSettings, open_store\n"
              "if sys.argv[2] == 'copy':\n    load.SMALL_ROWS = 0\n"
              "open_store(StoreSettings(path=sys.argv[1])).build(load_plan())\n"
              "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n")  # this process's own peak
    peak = {mode: int(subprocess.run([sys.executable, "-c", script, str(tmp_path / f"{mode}.lbug"), mode],
                                     capture_output=True, text=True, check=True).stdout.split()[-1])
            for mode in ("create", "copy")}
    assert peak["create"] < 0.7 * peak["copy"], peak


def test_a_load_that_leaves_rows_out_fails_its_count_check_and_keeps_the_previous_graph(
        tmp_path: Path, plan_graph: PlanGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """The staged graph is counted against the graphs before it is swapped in: a table that went missing (here the
    dependencies between tasks are never copied) fails the build, saying how many nodes and edges it holds and how
    many it should."""
    import kg.stores.ladybug_load as load
    from kg.errors import StoreError

    store = open_store(StoreSettings(path=tmp_path / "plan.lbug"))
    store.build(plan_graph)
    before = canonical(store.read_graph())
    copies = load.copies

    def without_dependencies(graphs: list[PlanGraph], *rest: Any) -> Iterator[tuple[str, str, Any]]:
        for statement, target, table in copies(graphs, *rest):
            yield statement, target, table.slice(0, 0) if target == "DEPENDS_ON" else table

    monkeypatch.setattr(load, "copies", without_dependencies)
    counts = plan_graph.counts()
    nodes, edges = sum(counts["nodes"].values()), sum(counts["edges"].values())
    assert counts["edges"]["DEPENDS_ON"]
    with pytest.raises(StoreError, match=rf"the staged graph holds {nodes} nodes and "
                                         rf"{edges - counts['edges']['DEPENDS_ON']} edges, not {nodes} and {edges}"):
        store.build(plan_graph)
    assert canonical(store.read_graph()) == before
    store.close()


def test_readings_are_keyed_by_row_number_and_their_relations_found_by_uid(tmp_path: Path,
                                                                            plan_graph: PlanGraph) -> None:
    """Readings are never looked up by uid, so Ladybug keys them by an integer (no hash index of every uid); their
    READING_OF ends are given as those keys. Built from readings held as columns (the seed's) and from readings
    as nodes (a graph read back), the graph read back is the same, each reading still found by its uid."""
    import ladybug

    held = open_store(StoreSettings(path=tmp_path / "held.lbug"))
    held.build(plan_graph)
    again = held.read_graph()
    assert again.counts()["nodes"]["Reading"] == plan_graph.counts()["nodes"]["Reading"]
    assert not again.deferred  # read back: readings are nodes, made column by column like any other kind
    as_nodes = open_store(StoreSettings(path=tmp_path / "nodes.lbug"))
    as_nodes.build(again)
    assert canonical(as_nodes.read_graph()) == canonical(again) == canonical(held.read_graph())
    reading = next(n for n in again.nodes.values() if n.kind == "Reading")
    row = held.read("MATCH (r:Reading {uid: $uid})-[:READING_OF]->(i:Indicator) RETURN r.key AS key, i.id AS i",
                    {"uid": f"{again.plan_id}:{reading.id}"})
    assert row and isinstance(row[0]["key"], int) and row[0]["i"] == reading.props["indicator"]
    held.close()
    as_nodes.close()
    db = ladybug.Database(str(tmp_path / "held.lbug"), read_only=True)
    info = {r[1]: r[4] for r in _rows(ladybug.Connection(db).execute("CALL table_info('Reading') RETURN *"))}
    assert info["key"] is True and info["uid"] is False  # the primary key is the row number
    info = {r[1]: r[4] for r in _rows(ladybug.Connection(db).execute("CALL table_info('Task') RETURN *"))}
    assert info["uid"] is True  # what the named queries anchor on
    db.close()


def _rows(result: Any) -> list[list[Any]]:
    out = []
    while result.has_next():
        out.append(result.get_next())
    return out


def test_a_relation_naming_a_reading_the_graph_lacks_fails_the_build(tmp_path: Path, plan_graph: PlanGraph) -> None:
    from kg.errors import StoreError
    from kg.model import Edge

    store = open_store(StoreSettings(path=tmp_path / "plan.lbug"))
    store.build(plan_graph)
    graph = store.read_graph()
    before = canonical(graph)
    edge = next(e for e in graph.edges if e.kind == "READING_OF")
    graph.made_edges.append(Edge("READING_OF", edge.source + "-missing", edge.target, edge.provenance, {}))
    with pytest.raises(StoreError, match="READING_OF: 1 relations name a Reading the graph does not hold"):
        store.build(graph)
    assert canonical(store.read_graph()) == before
    store.close()
