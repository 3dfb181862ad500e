"""What Ladybug's recursive join costs as a file holds more plans: the same two anchors (task T15, department
D-commerce of the corpus's first plan) in files of 1, 100 and 1000 plans, three statements over the 15 relation
types of `path`, each on one thread, median of 30 through the Python API (no `ask`). Reports, never asserts.

    python bench/recursive.py            # BENCH_SCALE=1,100,1000 by default
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import corpus  # noqa: E402
from kg.ingest.seed import load_plan  # noqa: E402
from kg.queries import load_queries  # noqa: E402
from kg.stores.base import StoreSettings, open_store  # noqa: E402
from kg.stores.ladybug import read_pool  # noqa: E402

RELATIONS = ("HAS_TARGET|GUIDES|MEASURED_BY|ADVANCES|HAS_TASK|LEADS|SUPPORTS|DEPENDS_ON|CONTRIBUTES_TO|ESTABLISHES|"
             "OFFICE_IN|ASSIGNS_ROLE|HAS_WORK_ITEM|INCLUDES")
ANCHORS = "MATCH (a:Task {uid: $source_uid}), (b:Department {uid: $dest_uid}) "


def statements() -> dict[str, str]:
    shipped = load_queries()["path"].variants["ladybug"]
    return {
        "ALL SHORTEST, length only": ANCHORS + f"MATCH p = (a)-[:{RELATIONS}* ALL SHORTEST 1..12]-(b) "
                                              "RETURN length(p) AS n",
        "*1..3, no shortest-path search": ANCHORS + f"MATCH p = (a)-[:{RELATIONS}*1..3]-(b) RETURN length(p) AS n",
        "path as shipped": shipped.replace("$source_kind", "Task").replace("$dest_kind", "Department"),
    }


def median_ms(conn: object, cypher: str, params: dict[str, str], runs: int = 30) -> float:
    def once() -> None:
        result = conn.execute(cypher, params)  # type: ignore[attr-defined]
        while result.has_next():
            result.get_next()

    once()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main() -> None:
    import ladybug

    sizes = [int(x) for x in os.environ.get("BENCH_SCALE", "1,100,1000").split(",")]
    base = load_plan()
    params = {"source_uid": "syn-0000:T15", "dest_uid": "syn-0000:D-commerce"}
    rows: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"r{n}.lbug"
            open_store(StoreSettings(path=path)).build_all(corpus(n, base))
            db = ladybug.Database(str(path), read_only=True, buffer_pool_size=read_pool(path))
            conn = ladybug.Connection(db)
            conn.set_max_threads_for_exec(1)
            for name, cypher in statements().items():
                rows.setdefault(name, {})[n] = median_ms(conn, cypher, params)
            conn.close()
            db.close()
    print("| statement | " + " | ".join(f"N={n}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, per in rows.items():
        print(f"| {name} | " + " | ".join(f"{per[n]:.1f} ms" for n in sizes) + " |")


if __name__ == "__main__":
    main()
