"""A corpus of plans' progress (a province's cities, each plan with its readings file), imported across processes.

`add_progress_all` does for many plans what `kg.progress.graph.add_progress` does for one: read each plan's
readings file, check it against its plan, assess it by the published rules, and add to the plan's graph its
readings (held deferred) and its assessments. The plans are shared among forked processes, this one among them:
each hands back its plans' readings as one Arrow table in the stores' columns (a `HeldReadings` slice per plan,
which a Ladybug load copies as it is) and their assessments as nodes. With one process, or where there is no
fork, the plans are done here one after another. `Pending` begins the same work in the background, every share
in a child, for a store's load to copy the plans' structure meanwhile and take the readings when they are in.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from kg.model import OBSERVATION_KINDS, PlanGraph

# One process's share, handed back: its readings' table, each plan's number of readings, each plan's new
# assessment nodes and edges, and the seconds of each phase.
Share = tuple[Any, list[int], list[tuple[list[Any], list[Any]]], dict[str, float]]


def add_progress_all(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any],
                     computed_at: str | None = None, processes: int | None = None,
                     phases: dict[str, float] | None = None) -> None:
    """Each graph's readings from the file beside it in `paths`, checked, assessed and added as `add_progress`
    adds one plan's, over `processes` processes (by default one per core), this one among them. An error in a
    plan's file is raised here, the first plan's in corpus order, and then no graph has changed. `phases`
    receives the seconds of each phase (read, validate, assess, nodes) summed over the processes."""
    bounds = _bounds(graphs, paths, processes)
    if len(bounds) == 1 or not hasattr(os, "fork"):
        bounds = [(0, len(graphs))]
        shares = [_share(graphs, paths, rules, computed_at)]
    else:
        shares = _across(graphs, paths, rules, computed_at, bounds)
    _apply(graphs, bounds, shares, phases)


def _bounds(graphs: list[PlanGraph], paths: list[Path], processes: int | None) -> list[tuple[int, int]]:
    """The plans' shares among `processes` processes (by default one per core), as (first, past the last)."""
    assert len(graphs) == len(paths), (len(graphs), len(paths))
    count = max(1, min(processes or os.cpu_count() or 1, len(graphs)))
    return [(len(graphs) * i // count, len(graphs) * (i + 1) // count) for i in range(count)]


class Pending:
    """`add_progress_all` begun in forked processes, every share of it, while this process does other work (a
    Ladybug load copies the plans' structure meanwhile: kg.stores.ladybug_load.tables). `finish` waits for them
    and adds each plan's readings and assessments to its graph (all or none; the first plan's error in corpus
    order raised); `close` (or leaving a `with`) stops what still runs and removes their files (a killed
    builder's are removed by the next `Pending`: `_claim_folder`). It is what a store's `build_all` takes as
    `late`: `kinds` are the node kinds it adds (readings and assessments), `rows` at most how many rows they make
    (two per line of the files, three per assessment). Where there is no fork, or it fails, `finish` does the
    work itself."""

    kinds = frozenset({*OBSERVATION_KINDS, "Assessment"})

    def __init__(self, graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any],
                 computed_at: str | None = None, processes: int | None = None) -> None:
        self._args = (graphs, paths, rules, computed_at)
        self._bounds = _bounds(graphs, paths, processes)
        self.phases: dict[str, float] = {}
        self._done = False
        self._folder, self._held = _claim_folder()
        self._children: dict[int, tuple[int, Path]] = {}
        try:
            if hasattr(os, "fork"):  # else `finish` imports them all here
                _fork(graphs, paths, rules, computed_at, self._bounds, self._folder, range(len(self._bounds)),
                      self._children)
            # counted while the children begin (reading 1000 files' lines takes ~0.06 s)
            self.rows = 2 * sum(map(_lines, paths)) + 3 * sum(
                1 + sum(1 for n in g.made_nodes.values() if n.kind in ("Indicator", "Target")) for g in graphs)
        except BaseException:
            self.close()
            raise

    def finish(self) -> None:
        """Wait for every share and add them to the graphs (once; a second call does nothing)."""
        if self._done:
            return
        graphs, paths, rules, computed_at = self._args
        try:
            shares = _gather(graphs, paths, rules, computed_at, self._bounds, self._children)
            _apply(graphs, self._bounds, shares, self.phases)
        finally:
            self.close()
        self._done = True

    def close(self) -> None:
        _stop(self._children)
        shutil.rmtree(self._folder, ignore_errors=True)
        if self._held >= 0:
            os.close(self._held)  # the folder's lock, let go once the folder is gone
            self._held = -1

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


HELD = ".held"  # in an import's folder (kg-progress-*): locked while the process that made it, or a child, lives


def _claim_folder() -> tuple[Path, int]:
    """A new folder for an import's files in the temporary folder, and the descriptor holding its lock (the kernel
    lets go of it when the holders die, even by kill -9). First the folders whose lock nobody holds are removed:
    left by a builder that was killed (a TERM too: nothing catches it) with the readings' tables in them."""
    import fcntl

    for held in Path(tempfile.gettempdir()).glob(f"kg-progress-*/{HELD}"):
        try:
            fd = os.open(held, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # an import still running
        else:
            shutil.rmtree(held.parent, ignore_errors=True)
        finally:
            os.close(fd)
    folder = Path(tempfile.mkdtemp(prefix="kg-progress-"))
    try:
        fd, name = tempfile.mkstemp(dir=folder)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(name, folder / HELD)  # named only once locked: another import never finds it unlocked
        except BaseException:
            os.close(fd)
            raise
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, fd


def _lines(path: Path) -> int:
    """The lines of a regular file (what a load is sized by before the file is read); 0 for anything else, which
    the import reads or refuses itself, and for a file larger than it reads (not read through here to be refused
    there)."""
    from kg.ingest.read import MAX_BYTES

    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_BYTES:
            return 0
        count = 1
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                count += chunk.count(b"\n")
        return count
    except OSError:
        return 0


def _share(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any], computed_at: str | None) -> Share:
    """One process's plans, imported and assessed; the graphs are left as they were (this may be a child)."""
    from kg.ingest.read import read_tables
    from kg.progress.graph import ReadingNodes, add_assessments, reading_columns
    from kg.progress.readings import mark_counting, readings_from_tables
    from kg.progress.status import assess

    clock = time.perf_counter
    phases = {"read_s": 0.0, "validate_s": 0.0, "assess_s": 0.0, "nodes_s": 0.0}
    batches, sizes, assessed = [], [], []
    for graph, path in zip(graphs, paths, strict=True):
        t0 = clock()
        tables = read_tables(path)
        t1 = clock()
        readings = readings_from_tables(path, tables, graph)  # as `read_readings`, split to time each half
        t2 = clock()
        report = assess(graph, readings, rules)  # before the readings join the graph, as `add_progress` does
        t3 = clock()
        mark_counting(readings)
        scratch = PlanGraph(graph.plan_id, dict(graph.made_nodes), [])
        add_assessments(scratch, report, computed_at)  # onto a copy: only what it adds is handed back
        assessed.append(([n for key, n in scratch.made_nodes.items() if graph.made_nodes.get(key) is not n],
                         scratch.made_edges))
        batches.append(ReadingNodes(readings))
        sizes.append(len(readings))
        phases["read_s"] += t1 - t0
        phases["validate_s"] += t2 - t1
        phases["assess_s"] += t3 - t2
        phases["nodes_s"] += clock() - t3
    t = clock()
    table = reading_columns(batches)
    phases["nodes_s"] += clock() - t
    return table, sizes, assessed, phases


def _across(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any], computed_at: str | None,
            bounds: list[tuple[int, int]]) -> list[Share]:
    """Each share of `bounds` but the first made in a forked child, the first here, then each child's read back
    from the files it wrote. A share whose fork failed is made here too."""
    children: dict[int, tuple[int, Path]] = {}
    with tempfile.TemporaryDirectory(prefix="kg-progress-") as folder:
        try:
            _fork(graphs, paths, rules, computed_at, bounds, Path(folder), range(1, len(bounds)), children)
            return _gather(graphs, paths, rules, computed_at, bounds, children)
        finally:
            _stop(children)


def _fork(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any], computed_at: str | None,
          bounds: list[tuple[int, int]], folder: Path, numbers: range, children: dict[int, tuple[int, Path]]
          ) -> None:
    """The shares `numbers` of `bounds`, each begun in a forked child writing into `folder`, entered into
    `children` ({pid: (share, file)}) as each is forked. A share whose fork failed (and those after it) is left
    to `_gather`."""
    parent = os.getpid()  # not the child's getppid(): the builder may be gone by the time the child asks
    for number in numbers:
        low, high = bounds[number]
        out = folder / f"share-{number}"
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            _child(graphs[low:high], paths[low:high], rules, computed_at, out, parent)  # never returns
        children[pid] = (number, out)


def _gather(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any], computed_at: str | None,
            bounds: list[tuple[int, int]], children: dict[int, tuple[int, Path]]) -> list[Share]:
    """Every share of `bounds`: those with no child made here, then each child's read back once it has ended
    (`children` loses each child it has waited for)."""
    shares: dict[int, Share] = {}
    forked = {number for number, _ in children.values()}
    for number, (low, high) in enumerate(bounds):
        if number not in forked:
            shares[number] = _share(graphs[low:high], paths[low:high], rules, computed_at)
    for pid, (number, out) in list(children.items()):
        _, status = os.waitpid(pid, 0)
        del children[pid]
        shares[number] = _read_back(out, status)
    return [shares[number] for number in range(len(bounds))]


def _stop(children: dict[int, tuple[int, Path]]) -> None:
    """No child left running (an error or Ctrl-C before they were all waited for)."""
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        del children[pid]


def _child(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any], computed_at: str | None,
           out: Path, parent: int) -> None:
    """A child's work: its share written beside `out` (an Arrow file and a pickle), or the error it met; it ends
    with `parent` (the process that forked it), at once if that has ended already."""
    code = 1
    try:
        import pyarrow.ipc as ipc

        from kg.lock import die_with

        die_with(parent)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the child at once; the parent cleans up
        gc.disable()  # hundreds of thousands of acyclic objects made, and the child ends when they are written
        table, sizes, assessed, phases = _share(graphs, paths, rules, computed_at)
        with ipc.new_file(str(out.with_suffix(".arrow")), table.schema) as writer:
            writer.write_table(table)
        out.with_suffix(".pickle").write_bytes(pickle.dumps((sizes, assessed, phases), pickle.HIGHEST_PROTOCOL))
        code = 0
    except BaseException as e:  # handed over to the parent, raised there
        with contextlib.suppress(BaseException):
            out.with_suffix(".error").write_bytes(_pickled(e))
    finally:
        os._exit(code)  # nothing of the parent's (buffers, atexit, open stores) is run or flushed twice


def _pickled(e: BaseException) -> bytes:
    try:
        return pickle.dumps(e, pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle is sent as its text
        return pickle.dumps(RuntimeError(f"{type(e).__name__}: {e}"))


def _read_back(out: Path, status: int) -> Share:
    """A child's share from its files; its error raised; a child that died without either says so."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    error = out.with_suffix(".error")
    if error.exists():
        raise pickle.loads(error.read_bytes())
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not out.with_suffix(".pickle").exists():
        raise RuntimeError("a process importing readings stopped before it finished (it was killed, perhaps for "
                           "want of memory); no graph was changed")
    # mapped, not read: the pages stay the file's (removed with its folder, the mapping keeps them)
    table = ipc.open_file(pa.memory_map(str(out.with_suffix(".arrow")))).read_all()
    sizes, assessed, phases = pickle.loads(out.with_suffix(".pickle").read_bytes())
    return table, sizes, assessed, phases


def _apply(graphs: list[PlanGraph], bounds: list[tuple[int, int]], shares: list[Share],
           phases: dict[str, float] | None) -> None:
    """Each share's readings and assessments into its graphs, once every share is in (all or none)."""
    from kg.progress.graph import HeldReadings

    for (low, high), (table, sizes, assessed, times) in zip(bounds, shares, strict=True):
        offset = 0
        for graph, size, (nodes, edges) in zip(graphs[low:high], sizes, assessed, strict=True):
            graph.defer(HeldReadings(table, offset, size))
            offset += size
            for node in nodes:
                graph.add(node)
            graph.made_edges.extend(edges)
        if phases is not None:
            for name, seconds in times.items():
                phases[name] = phases.get(name, 0.0) + seconds
