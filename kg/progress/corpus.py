"""A corpus of plans' progress (a province's cities, each plan with its readings file), imported across processes.

`add_progress_all` does for many plans what `kg.progress.graph.add_progress` does for one: read each plan's
readings file, check it against its plan, assess it by the published rules, and add to the plan's graph its
readings (held deferred) and its assessments. The plans are shared among forked processes, this one among them:
each hands back its plans' readings as one Arrow table in the stores' columns (a `HeldReadings` slice per plan,
which a Ladybug load copies as it is) and their assessments as nodes. With one process, or where there is no
fork, the plans are done here one after another.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from kg.model import PlanGraph

# One process's share, handed back: its readings' table, each plan's number of readings, each plan's new
# assessment nodes and edges, and the seconds of each phase.
Share = tuple[Any, list[int], list[tuple[list[Any], list[Any]]], dict[str, float]]


def add_progress_all(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any],
                     computed_at: str | None = None, processes: int | None = None,
                     phases: dict[str, float] | None = None) -> None:
    """Each graph's readings from the file beside it in `paths`, checked, assessed and added as `add_progress`
    adds one plan's, over `processes` processes (by default one per core). An error in a plan's file is raised
    here, the first plan's in corpus order, and then no graph has changed. `phases` receives the seconds of each
    phase (read, validate, assess, nodes) summed over the processes."""
    assert len(graphs) == len(paths), (len(graphs), len(paths))
    count = max(1, min(processes or os.cpu_count() or 1, len(graphs)))
    bounds = [(len(graphs) * i // count, len(graphs) * (i + 1) // count) for i in range(count)]
    if count == 1 or not hasattr(os, "fork"):
        bounds = [(0, len(graphs))]
        shares = [_share(graphs, paths, rules, computed_at)]
    else:
        shares = _across(graphs, paths, rules, computed_at, bounds)
    _apply(graphs, bounds, shares, phases)


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
    shares: dict[int, Share] = {}
    with tempfile.TemporaryDirectory(prefix="kg-progress-") as folder:
        try:
            for number, (low, high) in enumerate(bounds[1:], start=1):
                out = Path(folder) / f"share-{number}"
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    _child(graphs[low:high], paths[low:high], rules, computed_at, out)  # never returns
                children[pid] = (number, out)
            forked = {number for number, _ in children.values()}
            for number, (low, high) in enumerate(bounds):
                if number not in forked:
                    shares[number] = _share(graphs[low:high], paths[low:high], rules, computed_at)
            for pid, (number, out) in list(children.items()):
                _, status = os.waitpid(pid, 0)
                del children[pid]
                shares[number] = _read_back(out, status)
        finally:
            for pid in children:  # an error or Ctrl-C here: no child is left running
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
    return [shares[number] for number in range(len(bounds))]


def _child(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any], computed_at: str | None,
           out: Path) -> None:
    """A child's work: its share written beside `out` (an Arrow file and a pickle), or the error it met."""
    code = 1
    try:
        import pyarrow.ipc as ipc

        from kg.lock import die_with

        die_with(os.getppid())
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the child at once; the parent cleans up
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
    with pa.OSFile(str(out.with_suffix(".arrow"))) as source:
        table = ipc.open_file(source).read_all()
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
