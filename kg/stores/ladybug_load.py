"""The tables a Ladybug load copies, and who makes them.

`copies` turns plan graphs into the Arrow tables of each COPY, in the order the engine needs them. Making them
is Python work the engine cannot share: its COPY takes Python's lock often enough that a converting thread and
the engine mostly take turns. So a large load makes its tables in a forked child process (`made_apart`), which
hands each one over as an Arrow file beside the staged database while the engine copies the one before; a small
one makes them in a thread (`ahead`), where a fork would cost more than it saves.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pickle
import shutil
import signal
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from kg.model import EDGE_KINDS, NODE_KINDS, OBSERVATION_KINDS, PlanGraph
from kg.stores.base import Late, edge_columns, edge_table, edges_by_kind, node_columns, node_table, nodes_by_kind

_ARROW = {"STRING": "string", "INT64": "int64", "DOUBLE": "float64", "BOOL": "bool"}
IN_PLAN = "IN_PLAN"
SWITCH_INTERVAL = 0.0002  # s: how long the converting thread may hold Python's lock while the engine waits
SMALL_ROWS = 2048  # node tables of fewer rows are created from their Arrow table, not copied (node_statement)
FORK_ROWS = 200_000  # loads of this many rows or more (see load_rows) make their tables in a child process
LEAD_BYTES = 1 << 30  # the most the child's files not yet copied may take on disk (one larger table at a time)
FORK_DISK = 4 * LEAD_BYTES  # the free disk beside the database a load needs to make its tables in a child
# Observations' (readings') primary key: a row number the load gives them. They are never looked up by uid (they
# are reached through their indicator), and a STRING key is a hash index of every uid: 720,000 readings copied in
# 1.9 s with one, 1.45 s with this, their READING_OF in 0.80 against 0.65 s (bench/README.md). uid stays a column.
KEY = "key"


def stored_columns(kind: str) -> dict[str, str]:
    """A kind's columns in Ladybug's node table: the model's (node_columns), and for an observation kind its
    integer key first."""
    columns = node_columns(kind)
    return {KEY: "INT64", **columns} if kind in OBSERVATION_KINDS else columns


def primary_key(kind: str) -> str:
    return KEY if kind in OBSERVATION_KINDS else "uid"


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return pa.list_(pa.string()) if kind == "STRING[]" else pa.type_for_alias(_ARROW[kind])


def arrow_table(data: dict[str, list[Any]], columns: dict[str, str]) -> Any:
    """An Arrow table typed by the model, from columns of values."""
    import pyarrow as pa

    return pa.Table.from_pydict(data, schema=pa.schema([(c, _arrow_type(t)) for c, t in columns.items()]))


def copies(graphs: list[PlanGraph], after: frozenset[str] = frozenset(), late: bool = False
           ) -> Iterator[tuple[str, str, Any]]:
    """Every statement a load runs (a COPY, or for a small node table its CREATEs: `node_statement`), in order,
    each with the table it fills (named in messages) and the Arrow table it reads: the plans' entities kind by
    kind, their relations kind by kind (pair by pair where a rel table has several FROM/TO pairs; the kinds come
    from the model, never from data), the IN_PLAN membership (whose `from` column is the node table's uid column
    itself), and last the observations (readings) with their relations. Tables are made one at a time, as they
    are asked for (making up to 8 ahead while the engine copied changed nothing measurable: the engine takes
    Python's lock often enough that the two mostly take turns).

    A load whose graphs are still being completed (readings imported beside it: `tables`' `late`) runs in two
    parts: first every kind but the node kinds `after` and the relations touching them, then (`late`) those."""
    import pyarrow as pa
    import pyarrow.compute as pc

    nodes_of, edges_of = nodes_by_kind(graphs), edges_by_kind(graphs)
    members: dict[str, tuple[Any, list[str | None]]] = {}
    held: dict[str, Any] = {}  # the observations' tables, made at once by their batches (`held_tables`)
    keyed: dict[str, Any] = {}  # each observation kind's uids, in the order of its keys (0, 1, ...)

    def node_copy(kind: str) -> tuple[str, str, Any]:
        if kind in OBSERVATION_KINDS and not held:
            held.update(held_tables(graphs, nodes_of, edges_of))
        if kind in held:
            table = typed(held.pop(kind), node_columns(kind))
        else:
            nodes = node_table(graphs, kind, by_kind=nodes_of, uid_prefixes=True)
            columns = node_columns(kind)
            prefixes = pa.array(nodes.pop("uid"), pa.string())
            table = arrow_table(nodes, {c: t for c, t in columns.items() if c != "uid"})
            table = table.add_column(0, "uid", _uids(prefixes, table.column("id")))
            if kind not in OBSERVATION_KINDS:
                members[kind] = (table.column("uid"), membership(graphs, nodes))
        if kind in OBSERVATION_KINDS:  # keyed by row number (KEY); their relations' ends are found by uid below
            keyed[kind] = table.column("uid")
            table = table.add_column(0, KEY, pa.array(range(table.num_rows), pa.int64()))
        return node_statement(kind, table), kind, table

    def by_key(kind: str, ends: tuple[str, str], table: Any) -> Any:
        """`table` with each observation end's uid replaced by that observation's KEY: its row number when the
        column is the node table's uid column itself (a reading's one relation, made beside it: compared, not
        hashed, 0.01 against 0.2-0.4 s for 720,000), else found by uid."""
        for number, (end, column) in enumerate(zip(ends, ("from", "to"), strict=True)):
            if end not in OBSERVATION_KINDS:
                continue
            if table.column(column).equals(keyed[end]):
                keys = pa.array(range(table.num_rows), pa.int64())
            else:
                keys = pc.index_in(table.column(column), value_set=keyed[end]).cast(pa.int64())
                if keys.null_count:
                    raise RuntimeError(f"{kind}: {keys.null_count:,} relations name a {end} the graph does not hold")
            table = table.set_column(number, column, keys)
        return table

    def edge_copies(kind: str, pairs: list[tuple[str, str]]) -> Iterator[tuple[str, str, Any]]:
        columns = {"from": "STRING", "to": "STRING", **edge_columns(kind)}
        if kind in held:
            assert len(pairs) == 1, (kind, pairs)
            yield f"COPY {kind} FROM $rows", kind, by_key(kind, pairs[0], typed(held.pop(kind), columns))
            return
        for pair in pairs if len(EDGE_KINDS[kind][0]) > 1 else [None]:  # a rel table of several pairs, pair by pair
            options = f" (from='{pair[0]}', to='{pair[1]}')" if pair else ""
            edges = edge_table(graphs, kind, pair=pair, by_kind=edges_of, uid_prefixes=True)
            prefixes = pa.array(edges.pop("prefix", []), pa.string())
            table = arrow_table(edges, columns)
            for end in ("from", "to"):  # the plan's prefix joined to each end's id, in Arrow
                table = table.set_column(table.schema.get_field_index(end), end, _uids(prefixes, table.column(end)))
            yield f"COPY {kind} FROM $rows{options}", kind, by_key(kind, pair or pairs[0], table)

    def part(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [pair for pair in pairs if any(end in after for end in pair) == late]

    def entities() -> Iterator[tuple[str, str, Any]]:
        for kind in NODE_KINDS:
            if kind not in OBSERVATION_KINDS and (kind in after) == late:
                yield node_copy(kind)
        for kind, (pairs, _) in EDGE_KINDS.items():
            if not observed(pairs) and part(pairs):
                yield from edge_copies(kind, part(pairs))
        for kind, (uids, roots) in members.items():
            if None in roots:  # a graph without a Plan node: only the nodes of plans that have one
                uids = pa.array([u for u, r in zip(uids.to_pylist(), roots, strict=True) if r is not None])
            yield (f"COPY {IN_PLAN} FROM $rows (from='{kind}', to='Plan')", f"{IN_PLAN} from {kind}",
                   pa.table({"from": uids, "to": pa.array([r for r in roots if r is not None], pa.string())}))

    def observations() -> Iterator[tuple[str, str, Any]]:
        for kind in NODE_KINDS:
            if kind in OBSERVATION_KINDS and (kind in after) == late:
                yield node_copy(kind)
        for kind, (pairs, _) in EDGE_KINDS.items():
            if observed(pairs) and part(pairs):
                yield from edge_copies(kind, part(pairs))

    yield from entities()
    yield from observations()


def held_tables(graphs: list[PlanGraph], nodes_of: list[dict[str, list[Any]]],
                edges_of: list[dict[str, list[Any]]]) -> dict[str, Any]:
    """The observations' node and edge tables keyed by kind, made at once by their deferred batches from every
    plan (a batch class with `tables`, as `kg.progress.graph.ReadingNodes`), when they hold every row of those
    kinds; else nothing, and the tables are made column by column like any other."""
    batches = [(batch, g.plan_id, g.plan_id) for g in graphs for batch in g.deferred]
    makers = {getattr(type(batch), "tables", None) for batch, _, _ in batches}
    if not batches or len(makers) != 1 or None in makers:
        return {}
    observed_edges = {kind for kind, (pairs, _) in EDGE_KINDS.items() if observed(pairs)}
    if any(kind in OBSERVATION_KINDS for groups in nodes_of for kind in groups) or any(
            kind in observed_edges for groups in edges_of for kind in groups):
        return {}  # some made already (a graph read back, or made by a reader of `nodes`)
    make = makers.pop()
    assert make is not None
    nodes, edges = make(batches)
    return {**nodes, **edges}


def typed(table: Any, columns: dict[str, str]) -> Any:
    """`table` in the model's columns and types (a column missing or out of order is a bug, raised here)."""
    import pyarrow as pa

    assert table.column_names == list(columns), (table.column_names, list(columns))
    return table.cast(pa.schema([(c, _arrow_type(t)) for c, t in columns.items()]))


def observed(pairs: list[tuple[str, str]]) -> bool:
    """Whether a relation kind with these (from, to) pairs touches an observation kind (readings): loaded last."""
    return any(end in OBSERVATION_KINDS for pair in pairs for end in pair)


def node_statement(kind: str, table: Any) -> str:
    """How the rows of a node table go in: a COPY, or for fewer than SMALL_ROWS rows a CREATE per row read from
    the same Arrow table. Each COPY into a node table holds ~18 MiB of column chunks however few its rows, and
    takes 15-25 ms: Shenyang's 14 node tables made its build's peak memory 455 MiB, 200 MiB without them, and
    below ~2,000 rows the CREATEs were 3-10x faster (bench/README.md). The column names come from the model."""
    if table.num_rows >= SMALL_ROWS:
        return f"COPY {kind} FROM $rows"
    columns = ", ".join(f"`{c}`: `{c}`" for c in table.column_names)
    return f"LOAD FROM $rows CREATE (:{kind} {{{columns}}})"


def _uids(prefixes: Any, ids: Any) -> Any:
    """`<prefix>:<id>` for each row, joined in Arrow."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(prefixes, ids, ":")


_SWITCHING = {"active": 0, "saved": 0.005}
_SWITCHING_LOCK = threading.Lock()


def _faster_switching(on: bool) -> None:
    """Python's switch interval at SWITCH_INTERVAL while any load runs, and back to what it was after the last
    one (two loads in one process may end in any order)."""
    with _SWITCHING_LOCK:
        if on:
            if _SWITCHING["active"] == 0:
                _SWITCHING["saved"] = sys.getswitchinterval()
                sys.setswitchinterval(SWITCH_INTERVAL)
            _SWITCHING["active"] += 1
        else:
            _SWITCHING["active"] -= 1
            if _SWITCHING["active"] == 0:
                sys.setswitchinterval(_SWITCHING["saved"])


def ahead(items: Iterator[Any]) -> Iterator[Any]:
    """`items`, each made in a thread while the caller works on the one before: while the engine copies one
    table the next is converted on the core the engine leaves idle (it used ~1.2 of the 2 cores in `make bench`).
    At most one item waits; an error raised making one is raised here.

    The engine's threads take Python's lock now and then while they copy, so the overlap is partial (at 1000
    plans with their readings the load is about the engine's COPY plus the conversion: bench/README.md); with
    the default 5 ms switch interval they queued behind the converting thread and the COPYs ran 40% slower. So
    while this runs the interval is 0.2 ms (measured in bench/README.md)."""
    import queue

    box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put((False, None))
        except BaseException as e:  # handed over to the caller's thread, raised there
            box.put((False, e))

    worker = threading.Thread(target=produce, name="kg-build-tables", daemon=True)
    _faster_switching(True)
    try:
        worker.start()
        while True:
            more, item = box.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        try:
            stop.set()
            while worker.is_alive():  # the caller stopped early: free a producer blocked on the full box
                with contextlib.suppress(queue.Empty):
                    box.get_nowait()
                worker.join(timeout=0.05)
        finally:  # a second Ctrl-C while waiting still puts the interval back
            _faster_switching(False)


def membership(graphs: list[PlanGraph], nodes: dict[str, list[Any]]) -> list[str | None]:
    """The `IN_PLAN` target of each row of one kind's node columns: the uid of its plan's Plan node, None for a
    node of a graph without a Plan node (it has no membership: a plan is known by its Plan node)."""
    firsts = ((g, next((n for n in g.made_nodes.values() if n.kind == "Plan"), None)) for g in graphs)  # no full scan
    roots = {g.plan_id: f"{g.plan_id}:{plan.id}" for g, plan in firsts if plan is not None}
    return [roots.get(plan) for plan in nodes["plan"]]


def tables(graphs: list[PlanGraph], folder: Path, rows: int, memory: int, late: Late | None = None
           ) -> Iterator[tuple[str, str, Any]]:
    """`copies(graphs)`, made in a forked child when it pays and is safe, else in a thread: a large load (`rows`
    at least FORK_ROWS), on Linux, with room for the child to copy every page of this process it touches (within
    `memory` bytes and what the machine has free) and for its files (FORK_DISK free beside `folder`, which must
    not exist).

    With `late` (readings still being imported into the graphs, in other processes), everything that does not
    wait for them is copied first, while they are imported; then `late.finish()` adds them (or raises why it
    could not), here, and their tables follow, made in a thread (bench/README.md: the engine copying the plans'
    structure while the readings are imported)."""
    after = late.kinds if late is not None else frozenset()
    if rows >= FORK_ROWS and sys.platform.startswith("linux") and _room_to_fork(folder.parent, memory):
        early: Iterator[tuple[str, str, Any]] = made_apart(graphs, folder, after)
    else:
        early = ahead(copies(graphs, after))
    return early if late is None else _then(early, late, graphs)


def _then(early: Iterator[tuple[str, str, Any]], late: Late, graphs: list[PlanGraph]
          ) -> Iterator[tuple[str, str, Any]]:
    yield from early
    late.finish()
    yield from ahead(copies(graphs, late.kinds, late=True))


def _room_to_fork(beside: Path, memory: int) -> bool:
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        resident = int(Path("/proc/self/statm").read_text().split()[1]) * page
        meminfo = Path("/proc/meminfo").read_text()
        free = int(meminfo.split("MemAvailable:", 1)[1].split()[0]) * 1024
        disk = shutil.disk_usage(beside).free
    except (OSError, IndexError, ValueError):
        return False
    return resident <= min(memory, free) and disk >= FORK_DISK


def made_apart(graphs: list[PlanGraph], folder: Path, after: frozenset[str] = frozenset()
               ) -> Generator[tuple[str, str, Any], None, None]:
    """`copies(graphs)`, each table made in a forked child process and read back here, mapped from the Arrow file
    the child wrote into `folder`, while the engine copies the table before it. The child sees the graphs as
    they are at the fork (the kernel shares their pages); its files not yet copied take at most LEAD_BYTES (it
    has to run well ahead: the readings' table, the largest, is made while the engine copies the structure),
    and it dies with this process. An error raised making a table is raised here; the folder is removed when
    the load ends, or, after a kill -9, by the next build with the staged database it sits beside. A fork that
    fails (no process left to the user) falls back to the thread. `after` is `copies`' (the kinds left out)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    folder.mkdir()
    said_r, said_w = os.pipe()  # the child says which table is ready, or what failed
    done_r, done_w = os.pipe()  # this process says which tables the engine has copied
    stopping = {signal.SIGINT, signal.SIGTERM}  # held off across the fork: both sides are in their try first
    held = signal.pthread_sigmask(signal.SIG_BLOCK, stopping)
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        for fd in (said_r, said_w, done_r, done_w):
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        yield from ahead(copies(graphs, after))
        return
    if pid == 0:  # the child: never returns
        try:
            os.close(said_r)
            os.close(done_w)
            for number in stopping:  # Ctrl-C or a TERM stops the child at once; the parent cleans up
                signal.signal(number, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            _make_apart(graphs, folder, parent, said_w, done_r, after)
        finally:
            os._exit(1)
    said = None
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(said_w)
        os.close(done_r)
        said = os.fdopen(said_r, "rb")
        for line in said:
            message = json.loads(line)
            if "error" in message:
                raise _error(message, folder)
            if message.get("end"):
                return
            path = folder / f"{message['table']}.arrow"
            source = pa.memory_map(str(path))
            table = ipc.open_file(source).read_all()
            yield message["statement"], message["target"], table
            del table
            source.close()
            path.unlink()
            with contextlib.suppress(BrokenPipeError):  # the child has written its last table and gone
                os.write(done_w, b".")
        raise RuntimeError("the process making the tables stopped before the last one (it was killed, perhaps "
                           "for want of memory)")
    finally:
        try:
            if said is not None:
                said.close()
            os.close(done_w)  # a child waiting for room sees the end and stops
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored by whoever started us: reaped already
                os.waitpid(pid, 0)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _make_apart(graphs: list[PlanGraph], folder: Path, parent: int, said: int, done: int,
                after: frozenset[str] = frozenset()) -> None:
    """The child's work: each table written as an Arrow file, then announced; any error sent over instead."""
    import traceback

    import pyarrow.ipc as ipc

    from kg.lock import die_with

    die_with(parent)
    # no descriptor of the parent's but the two pipes: above all not the writer lock (a flock, shared across a
    # fork), which a child outliving a killed build would hold; 0-2 too, the lock's own if they were closed
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd not in (said, done):
            os.dup2(null, fd)
    keep = sorted({said, done, 0, 1, 2})
    for low, high in zip(keep, [*keep[1:], os.sysconf("SC_OPEN_MAX")], strict=True):
        os.closerange(low + 1, high)
    waiting: deque[int] = deque()  # the sizes of the files written and not yet copied, oldest first
    try:
        for number, (statement, target, table) in enumerate(copies(graphs, after)):
            if not _room(waiting, table.nbytes, done):
                break  # the parent has gone
            path = folder / f"{number}.arrow"
            with ipc.new_file(str(path), table.schema) as writer:
                writer.write_table(table)
            _say(said, {"table": number, "statement": statement, "target": target})
        else:
            _say(said, {"end": True})
    except BaseException as e:  # handed over to the parent, raised there
        with contextlib.suppress(BaseException):
            _say(said, {"error": _pickled(e), "text": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    os._exit(0)  # nothing of the parent's (buffers, atexit, open stores) is run or flushed twice


def _room(waiting: deque[int], size: int, done: int) -> bool:
    """Wait until a file of `size` bytes fits beside those not yet copied (`waiting`, oldest first, each freed
    by a byte on `done`), then count it; False when the parent has gone."""
    while waiting and sum(waiting) + size > LEAD_BYTES:
        if not os.read(done, 1):
            return False
        waiting.popleft()
    waiting.append(size)
    return True


def _say(fd: int, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode() + b"\n"
    while data:
        data = data[os.write(fd, data):]


def _pickled(e: BaseException) -> str | None:
    try:
        return base64.b64encode(pickle.dumps(e)).decode("ascii")
    except Exception:  # an exception that does not pickle is sent as its text
        return None


def _error(message: dict[str, Any], folder: Path) -> BaseException:
    """The child's exception again (its own pickle, from the process this one forked), else its text; the
    child's traceback as a note. A file the child could not write says where (the disk beside the database)."""
    e: BaseException = RuntimeError(message["text"])
    if message["error"]:
        with contextlib.suppress(Exception):
            got = pickle.loads(base64.b64decode(message["error"]))
            if isinstance(got, BaseException):
                e = got
    if isinstance(e, OSError):  # the caller says the build failed and the previous graph is unchanged
        e = RuntimeError(f"writing the load's tables into {folder} failed: {e} (they need free space beside the "
                         "database while it is built)")
    e.add_note(f"in the process making the tables:\n{message.get('trace', '')}")
    return e
