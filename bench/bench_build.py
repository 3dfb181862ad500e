"""Build benchmark: `kg build` of the seed plan on each store, several runs, median and spread.

Neo4j: the server named by NEO4J_URI (with NEO4J_USERNAME / NEO4J_PASSWORD), else one started like the tests
start it (Java and Maven needed; skipped with the reason where they are missing).
Prints a table and writes bench/results/latest.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.seed import load_plan  # noqa: E402
from kg.stores.base import StoreSettings, open_store  # noqa: E402

RUNS = 5


def measure(fn: Callable[[], object], runs: int = RUNS) -> dict[str, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": runs}


@contextmanager
def neo4j_server() -> Iterator[StoreSettings | str]:
    if os.environ.get("NEO4J_URI"):
        yield StoreSettings(kind="neo4j", uri=os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USERNAME", "neo4j"),
                            password=os.environ.get("NEO4J_PASSWORD"), database=os.environ.get("NEO4J_DATABASE"))
        return
    import pytest

    from tests.neo4j_server import fixture

    gen = fixture.neo4j_settings.__wrapped__()  # type: ignore[attr-defined]
    try:
        settings = next(gen)
    except (pytest.skip.Exception, pytest.fail.Exception) as e:
        yield f"skipped: {e}"
        return
    try:
        yield settings
    finally:
        gen.close()


def main() -> None:
    graph = load_plan()
    results: dict[str, object] = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                                              "cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(StoreSettings(path=Path(tmp) / "plan.lbug"))
        results["build_ladybug"] = measure(lambda: store.build(graph))
        store.close()
    with neo4j_server() as settings:
        if isinstance(settings, str):
            results["build_neo4j"] = settings
        else:
            neo = open_store(settings)
            neo.build(graph)  # warm-up: schema and JIT
            results["build_neo4j"] = measure(lambda: neo.build(graph))
            neo.delete_plan(graph.plan_id)  # type: ignore[attr-defined]
            neo.close()
    print(f"{'benchmark':<16} {'median s':>9} {'min s':>8} {'max s':>8}")
    for name in ("build_ladybug", "build_neo4j"):
        r = results[name]
        if isinstance(r, dict):
            print(f"{name:<16} {r['median_s']:>9.3f} {r['min_s']:>8.3f} {r['max_s']:>8.3f}")
        else:
            print(f"{name:<16} {r}")
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
