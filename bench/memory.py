"""What the peak memory of `kg build` (Shenyang, Ladybug) is spent on: the same steps as the command, one at a
time, with the process's resident memory after each. Run in a fresh process; prints one JSON list.

Python's own allocations are traced with tracemalloc (the graph, the columns); Arrow's and Ladybug's are native
and show only in the resident memory.
"""

from __future__ import annotations

import json
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    phases: list[dict[str, object]] = []
    last = rss_mib()

    def mark(phase: str, peak: bool = False) -> None:
        nonlocal last
        now = hwm_mib() if peak else rss_mib()
        phases.append({"phase": phase, "rss_mib": now, "added_mib": round(now - last, 1)})
        last = now

    phases.append({"phase": "Python started", "rss_mib": last, "added_mib": last})
    import kg.cli  # noqa: F401  (what `kg` imports before any command runs)

    mark("`kg` imported (typer, the CLI)")
    from kg.ingest.seed import load_plan

    tracemalloc.start()
    graph = load_plan()
    python_graph = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    mark(f"plan parsed and overlays read ({python_graph:.1f} MiB traced Python allocations)")
    import pyarrow  # noqa: F401

    mark("pyarrow imported (the COPY reads Arrow tables)")
    import ladybug  # noqa: F401

    mark("ladybug imported")
    from kg.stores.base import StoreSettings, open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(StoreSettings(path=Path(tmp) / "plan.lbug"))
        store.build(graph)
        mark(f"built: schema, small node tables created, the rest copied (the peak; Ladybug's buffer pool, sized "
             f"to the graph, is {store._pool // 2**20} MiB)", peak=True)  # type: ignore[attr-defined]
        store.close()
    mark("database closed")
    print(json.dumps(phases, ensure_ascii=False))


if __name__ == "__main__":
    main()
