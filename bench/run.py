"""plan-kg benchmarks, side by side in one run: start-up, build, named queries, views, scale against the engines'
own fastest load path, query latency as the corpus grows, peak memory, and a 5,000-node page in Chromium.

Numbers are reported, never asserted. Prints a table and writes bench/results/latest.json with the machine.
Neo4j: the server named by NEO4J_URI, else one started like the tests start it (skipped with the reason where
Java or Maven are missing). BENCH_SCALE chooses the corpus sizes (default 1,10,100,1000).
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import history  # noqa: E402
from kg.errors import KgError  # noqa: E402
from kg.ingest.seed import load_plan  # noqa: E402
from kg.model import NODE_KINDS, Edge, PlanGraph  # noqa: E402
from kg.queries import ask, load_queries  # noqa: E402
from kg.stores.base import StoreSettings, open_store  # noqa: E402
from tests.test_queries import ARGS  # noqa: E402  (the parameters the golden results use)

KG = str(Path(sys.executable).with_name("kg"))
RATIO_PAIRS = int(os.environ.get("BENCH_RATIO_PAIRS", "3"))  # Ladybug build / raw COPY pairs per corpus size


def timed(fn: Callable[[], object], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return {"median_s": statistics.median(times), "p95_s": times[min(len(times) - 1, int(len(times) * 0.95))],
            "min_s": times[0], "max_s": times[-1], "runs": runs}


def machine() -> dict[str, Any]:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": cpu, "memory_gib": round(mem, 1)}


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


def neo4j_env(settings: StoreSettings) -> dict[str, str]:
    return {**os.environ, "NEO4J_URI": settings.uri or "", "NEO4J_USERNAME": settings.user,
            "NEO4J_PASSWORD": settings.password or ""}


# -- the synthetic corpus ------------------------------------------------------------------------------------

def corpus(n: int, base: PlanGraph) -> list[PlanGraph]:
    """N plans of the Shenyang shape: distinct plan ids, and a seeded share of the curated edges (dependencies,
    supporting departments, contributions) rewired, so each plan's degrees vary like a real plan's would."""
    import networkx as nx

    rng = random.Random(2023)
    tasks = [n.id for n in base.of_kind("Task")]
    waits = nx.DiGraph((e.target, e.source) for e in base.edges if e.kind == "DEPENDS_ON")  # prerequisite first
    waits.add_nodes_from(tasks)
    rank = {t: i for i, t in enumerate(nx.lexicographical_topological_sort(waits))}
    departments = [n.id for n in base.of_kind("Department")]
    indicators = [n.id for n in base.of_kind("Indicator")]
    out = []
    for i in range(n):
        g = PlanGraph(f"syn-{i:04d}", dict(base.nodes), [])
        for e in base.edges:
            if e.kind == "DEPENDS_ON" and rng.random() < 0.3:
                a, b = sorted(rng.sample(tasks, 2), key=rank.__getitem__)
                e = Edge(e.kind, b, a, e.provenance, e.props)  # the later in the plan's own order waits: no cycles
            elif e.kind == "SUPPORTS" and rng.random() < 0.3:
                e = Edge(e.kind, rng.choice(departments), e.target, e.provenance, e.props)
            elif e.kind == "CONTRIBUTES_TO" and rng.random() < 0.3:
                e = Edge(e.kind, e.source, rng.choice(indicators), e.provenance, e.props)
            g.edges.append(e)
        out.append(g)
    return out


def raw_ladybug(path: Path, graphs: list[PlanGraph], split: dict[str, dict[str, float]] | None = None) -> float:
    """Ladybug's own fastest path for the same rows: DDL and COPY from the same Arrow tables into an empty
    database with the buffer pool the store gives the same load (the tables are built before the clock starts).
    `split`, when given, receives each table's seconds: `made` (making its Arrow table, one process, before the
    clock) and `copied` (its COPY), keyed by the table the COPY fills."""
    import ladybug

    from kg.stores.ladybug import build_pool, ddl, load_rows
    from kg.stores.ladybug_load import copies

    made = split.setdefault("made", {}) if split is not None else {}
    copied = split.setdefault("copied", {}) if split is not None else {}
    tables = []  # the same statements and tables as the store's load (IN_PLAN included)
    items = copies(graphs)
    while True:
        t = time.perf_counter()
        item = next(items, None)
        if item is None:
            break
        made[item[1]] = made.get(item[1], 0.0) + time.perf_counter() - t
        tables.append(item)
    t = time.perf_counter()
    pool = build_pool(load_rows(graphs), pool_mib())
    db = ladybug.Database(str(path), buffer_pool_size=pool)
    conn = ladybug.Connection(db)
    conn.execute("BEGIN TRANSACTION")  # the schema in one commit, each COPY in its own, as the store does
    for statement in ddl():
        conn.execute(statement)
    conn.execute("COMMIT")
    for statement, target, table in tables:
        if table.num_rows:
            started = time.perf_counter()
            conn.execute(statement, {"rows": table})
            copied[target] = copied.get(target, 0.0) + time.perf_counter() - started
    conn.close()
    db.close()
    return time.perf_counter() - t


def raw_neo4j(store: Any, graphs: list[PlanGraph]) -> float:
    """Neo4j's plain path for the same rows: batched UNWIND ... CREATE into an empty database (uid index kept)."""
    from kg.stores.neo4j import edge_params, node_params

    nodes = {kind: node_params(graphs, kind) for kind in NODE_KINDS}
    edges = edge_params(graphs)
    t = time.perf_counter()
    for kind, rows in nodes.items():
        for i in range(0, len(rows), 5000):
            store._write(lambda tx, b=rows[i:i + 5000], k=kind: tx.run(
                f"UNWIND $rows AS row CREATE (n:PlanNode:{k}) SET n = row", rows=b).consume())
    for kind, rows in edges.items():
        for i in range(0, len(rows), 5000):
            store._write(lambda tx, b=rows[i:i + 5000], k=kind: tx.run(
                "UNWIND $rows AS row MATCH (a:PlanNode {uid: row.src}) MATCH (b:PlanNode {uid: row.dst}) "
                f"CREATE (a)-[r:{k}]->(b) SET r = row.props", rows=b).consume())
    return time.perf_counter() - t


def wipe_neo4j(store: Any) -> None:
    while store._write(lambda tx: tx.run("MATCH (n:PlanNode) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n")
                       .single()["n"]):
        pass


# -- the benchmarks ------------------------------------------------------------------------------------------

def bench_startup() -> dict[str, Any]:
    return timed(lambda: subprocess.run([KG, "--help"], capture_output=True, check=True), 10)


def bench_build(tmp: Path, neo: StoreSettings | str) -> dict[str, Any]:
    db = tmp / "build.lbug"
    out: dict[str, Any] = {"ladybug": timed(lambda: subprocess.run([KG, "build", "--db", str(db)],
                                                                  capture_output=True, check=True), 5)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([KG, "build", "--db", str(db)], capture_output=True, check=True)
    out["ladybug_peak_rss_mib"] = round(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, 1)
    # what that peak is spent on: the same steps one at a time in a fresh process
    out["memory"] = json.loads(subprocess.run([sys.executable, str(ROOT / "bench" / "memory.py")], capture_output=True,
                                              check=True, text=True).stdout)
    if isinstance(neo, str):
        out["neo4j"] = neo
    else:
        env = neo4j_env(neo)
        out["neo4j"] = timed(lambda: subprocess.run([KG, "build", "--store", "neo4j"], capture_output=True,
                                                    check=True, env=env), 5)
    return out


def bench_queries(tmp: Path, neo: StoreSettings | str, graph: PlanGraph) -> dict[str, Any]:
    stores: dict[str, Any] = {"ladybug": open_store(StoreSettings(path=tmp / "queries.lbug"))}
    if not isinstance(neo, str):
        stores["neo4j"] = open_store(neo)
    out: dict[str, Any] = {}
    for kind, store in stores.items():
        store.build(graph)
        queries = load_queries()
        for name in queries:
            ask(store, name, ARGS[name], queries)  # warm-up: plan cache, pages
            out.setdefault(name, {})[kind] = timed(lambda n=name, s=store, q=queries: ask(s, n, ARGS[n], q), 30)
        store.close()
    return out


VIEWS = [("overview", None), ("area", "A3"), ("department", "D-commerce"), ("target", "G3"), ("task", "T15"),
         ("impact", "T22")]


def bench_views(tmp: Path, graph: PlanGraph) -> dict[str, Any]:
    from kg.output import to_networkx
    from kg.render.html import render_html
    from kg.render.image import render_image
    from kg.render.layout import segment_crossings
    from kg.render.pack import pack_views
    from kg.render.views import build_view

    G = to_networkx(graph)
    render_html(build_view(G, "overview"))  # warm-up: the first font subset and matplotlib's font cache
    out: dict[str, Any] = {}
    for view, entity in VIEWS:
        out[f"{view} {entity or ''}".strip()] = {
            "html": timed(lambda v=view, e=entity: render_html(build_view(G, v, e)), 3),
            "png": timed(lambda v=view, e=entity: render_image(build_view(G, v, e), "png"), 3),
            "crossings": segment_crossings(build_view(G, view, entity).layout.routes)}
    # edge crossings of every view of the meeting pack, measured on the drawn routes
    per_view = {f"{v} {e or ''}".strip(): segment_crossings(build_view(G, v, e).layout.routes)
                for v, e in pack_views(G)}
    out["pack crossings"] = {"total": sum(per_view.values()), "per_view": per_view}
    out["pack"] = bench_pack(tmp)
    return out


def bench_pack(tmp: Path, runs: int = 3) -> dict[str, Any]:
    """`kg pack` as a person runs it (after `kg build`): wall and CPU seconds (the process and its workers), the
    pack's size, and the load average it ran under (the machine may be shared)."""
    db, out = tmp / "pack.lbug", tmp / "pack"
    subprocess.run([KG, "build", "--db", str(db)], capture_output=True, check=True)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([KG, "pack", "--db", str(db), "-o", str(out)], capture_output=True, check=True)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    files = [f for f in out.rglob("*") if f.is_file()]
    return {"wall_s": walls, "cpu_s": cpus, "files": len(files), "bytes": sum(f.stat().st_size for f in files),
            "views": len(list(out.glob("*.png"))), "load_average": os.getloadavg()[0]}


def query_ms(store: Any, name: str, queries: dict[str, Any], runs: int = 20) -> float:
    """A named query's median latency in ms through `ask` (name resolution included), after one warm-up."""
    ask(store, name, ARGS[name], queries)
    return timed(lambda: ask(store, name, ARGS[name], queries), runs)["median_s"] * 1e3


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_scale(tmp: Path, neo: StoreSettings | str, base: PlanGraph, sizes: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    queries = load_queries()
    if not isinstance(neo, str):  # a fresh server plans and compiles each statement on its first use, and ours ran
        warm = corpus(5, base)  # first: both paths load a small corpus once before either is timed
        neo_store: Any = open_store(neo)
        for load in (neo_store.build_all, lambda graphs: raw_neo4j(neo_store, graphs)):
            wipe_neo4j(neo_store)
            load(warm)
        wipe_neo4j(neo_store)
        neo_store.close()
    for n in sizes:
        graphs = corpus(n, base)
        row: dict[str, Any] = {"plans": n, "nodes": sum(g.size()[0] for g in graphs),
                               "edges": sum(g.size()[1] for g in graphs)}
        path = tmp / f"scale-{n}.lbug"
        store: Any = open_store(StoreSettings(path=path, plan="syn-0000", buffer_pool_mib=pool_mib()))
        # build and raw COPY alternate, RATIO_PAIRS times: on a shared 2-core machine one pair swung 1.2-1.4x
        builds: list[float] = []
        raws: list[float] = []
        t = time.perf_counter()
        try:
            for _ in range(RATIO_PAIRS):
                for p in tmp.glob(f"raw-{n}.lbug*"):
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
                t = time.perf_counter()
                store.build_all(graphs)
                builds.append(time.perf_counter() - t)
                row["ladybug_buffer_pool_mib"] = store._pool >> 20
                raws.append(raw_ladybug(tmp / f"raw-{n}.lbug", graphs))
        except (KgError, MemoryError, RuntimeError) as e:  # at the largest sizes: what fails first is the finding
            row["ladybug_error"] = f"{type(e).__name__} after {time.perf_counter() - t:.1f} s: {e}"
            row["ladybug_buffer_pool_mib"] = store._pool >> 20
            row["process_peak_rss_mib"] = peak_rss_mib()
            out[str(n)] = row
            print(f"  scale N={n}: {row}", flush=True)
            continue
        ratios = [b / r for b, r in zip(builds, raws, strict=True)]
        row["ladybug_build_s"], row["ladybug_raw_copy_s"] = statistics.median(builds), statistics.median(raws)
        row["ladybug_ratio"] = statistics.median(ratios)
        row["ladybug_ratios"] = [round(x, 3) for x in ratios]
        row["queries"] = {name: {"ladybug_ms": query_ms(store, name, queries)} for name in queries}
        store.close()
        row["process_peak_rss_mib"] = peak_rss_mib()
        shutil.rmtree(tmp / f"raw-{n}.lbug", ignore_errors=True)
        for p in tmp.glob(f"*-{n}.lbug*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
        if not isinstance(neo, str):
            neo_store = open_store(neo)
            wipe_neo4j(neo_store)
            t = time.perf_counter()
            neo_store.build_all(graphs)  # the product's path: staged loads, then one atomic swap per plan
            row["neo4j_build_s"] = time.perf_counter() - t
            neo_store._plan = "syn-0000"
            for name in queries:
                row["queries"][name]["neo4j_ms"] = query_ms(neo_store, name, queries)
            wipe_neo4j(neo_store)
            row["neo4j_raw_unwind_create_s"] = raw_neo4j(neo_store, graphs)
            row["neo4j_ratio"] = row["neo4j_build_s"] / row["neo4j_raw_unwind_create_s"]
            wipe_neo4j(neo_store)
            neo_store.close()
        out[str(n)] = row
        slowest = max(row["queries"].items(), key=lambda item: max(item[1].values()))
        print(f"  scale N={n}: " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                            for k, v in row.items() if k != "queries") +
              f", slowest query {slowest[0]} {slowest[1]}", flush=True)
    return out


def structure_only(base: PlanGraph) -> PlanGraph:
    """The plan without readings and assessments: what the scale corpus measures against."""
    keep = {k: n for k, n in base.nodes.items() if n.kind not in ("Reading", "Assessment")}
    return PlanGraph(base.plan_id, keep, [e for e in base.edges if e.source in keep and e.target in keep])


def monthly_readings(base: PlanGraph) -> tuple[list[dict[str, str]], list[str]]:
    """Synthetic readings (made-up example data, never shown as facts): 36 monthly readings, January 2023 to
    December 2025, for every indicator, with a basis and unit its kind accepts."""
    rows, wheres = [], []
    for ind in base.of_kind("Indicator"):
        kind = ind.props.get("indicator_kind")
        for k in range(36):
            year, month = 2023 + k // 12, k % 12 + 1
            row = {"indicator": ind.id, "period": f"{year}-{month:02d}", "status": "final",
                   "source": "example: bench/run.py synthetic readings", "published": f"{year}-{month:02d}-28"}
            if kind == "qualitative":
                row |= {"value": "", "unit": "", "basis": "level", "light": "green"}
            elif kind in ("annual_growth", "growth", "relative", "reduction"):
                row |= {"value": f"{4 + (k % 5) * 0.5:g}", "unit": "%", "basis": "yoy_growth"}
            else:
                target = float(ind.props.get("value") or 100)
                row |= {"value": f"{target * month / 12 * 0.9:g}", "unit": str(ind.props.get("unit")),
                        "basis": "ytd" if kind in ("level", "cumulative") else "level"}
            rows.append(row)
            wheres.append(f"synthetic:{len(rows) + 1}")
    return rows, wheres


def progress_at_scale(tmp: Path, base: PlanGraph, sizes: list[int]) -> dict[str, Any]:
    from bench.progress import bench_progress_at_scale

    return bench_progress_at_scale(tmp, base, sizes)


def bench_big_page(tmp: Path, base: PlanGraph) -> dict[str, Any]:
    """A 5,000-node page: how long it takes to write, and to become stable in headless Chromium."""
    import networkx as nx

    from kg.output import to_networkx
    from kg.render.html import write_html
    from kg.render.views import build_view

    executable = shutil.which("chromium")
    parts = [nx.relabel_nodes(to_networkx(g), lambda x, p=i: f"{x}@{p}") for i, g in enumerate(corpus(30, base))]
    G = nx.compose_all(parts)
    nodes = sorted(G)[:5000]
    G.graph["plan"] = "synthetic 5,000 nodes"
    out: dict[str, Any] = {}
    t = time.perf_counter()
    view = build_view(G, "query", ids=set(nodes))
    page = tmp / "big.html"
    write_html(view, page)
    out["nodes"], out["edges"] = view.graph.number_of_nodes(), view.graph.number_of_edges()
    out["write_s"] = time.perf_counter() - t
    if executable is None:
        out["stable_s"] = "skipped: no chromium on PATH"
        return out
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1600, "height": 900}, offline=True)
        pg = context.new_page()
        t = time.perf_counter()
        pg.goto(page.resolve().as_uri())
        pg.wait_for_function("window.planKg && window.planKg.ready", timeout=600_000)
        out["stable_s"] = time.perf_counter() - t
        browser.close()
    return out


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", action="store_true",
                        help="print the newest run beside the one before it of the same steps and sizes, and exit")
    parser.add_argument("--readme", action="store_true",
                        help="rewrite the README's benchmark block from bench/results/latest.json and exit")
    args = parser.parse_args()
    if args.compare:
        saved = history.runs()
        if len(saved) < 2:
            raise SystemExit(f"bench/results holds {len(saved)} run(s); `make bench` makes another")
        text, _ = history.compare(*history.pair(saved))
        print(text)
        return
    if args.readme:
        readme = ROOT / "README.md"
        latest = json.loads((history.RESULTS_DIR / history.LATEST).read_text(encoding="utf-8"))
        readme.write_text(history.replace_block(readme.read_text(encoding="utf-8"), readme_block(latest)),
                          encoding="utf-8")
        print(f"README.md: benchmark block rewritten from bench/results/latest.json (run {latest.get('started')})")
        return
    run_all()


STEPS = ("startup", "build", "queries", "views", "scale", "progress", "big_page")


def run_all() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_SCALE", "1,10,100,1000").split(",")]
    steps = os.environ.get("BENCH_STEPS", ",".join(STEPS)).split(",")
    if set(steps) - set(STEPS):
        raise SystemExit(f"BENCH_STEPS: unknown {', '.join(sorted(set(steps) - set(STEPS)))} "
                         f"(valid: {', '.join(STEPS)})")
    graph = load_plan()
    results: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
                               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "commit": history.commit(ROOT), "steps": steps, "scale_sizes": sizes,
                               "ladybug_buffer_pool_mib": pool_mib() or "sized to the data"}
    neo4j_wanted = os.environ.get("BENCH_NEO4J", "yes") != "skip"
    with tempfile.TemporaryDirectory() as tmp_name, (neo4j_server() if neo4j_wanted else skipped()) as neo:
        tmp = Path(tmp_name)
        bench: dict[str, Callable[[], Any]] = {
            "startup": bench_startup, "build": lambda: bench_build(tmp, neo),
            "queries": lambda: bench_queries(tmp, neo, graph), "views": lambda: bench_views(tmp, graph),
            "scale": lambda: bench_scale(tmp, neo, graph, sizes),
            "progress": lambda: progress_at_scale(tmp, graph, sizes), "big_page": lambda: bench_big_page(tmp, graph)}
        for name in steps:
            print(f"{name} ...", flush=True)
            results[name] = bench[name]()
        if not isinstance(neo, str) and "build" in steps:
            store: Any = open_store(neo)
            store.delete_plan(graph.plan_id)
            store.close()
    results["progress_at_scale"] = results.get("progress", PROGRESS_TODO)
    path = history.save(results)
    print(report(results))
    print(f"\nwritten: {path.relative_to(ROOT)} and bench/results/latest.json")


def pool_mib() -> int | None:
    """Ladybug's buffer pool for the corpus builds, as `kg build --buffer-pool` takes it (BENCH_BUFFER_POOL_MIB);
    None: the store sizes it to the data."""
    return int(os.environ["BENCH_BUFFER_POOL_MIB"]) if os.environ.get("BENCH_BUFFER_POOL_MIB") else None


# A run without the `progress` step: the progress target is reported as not measured.
PROGRESS_TODO = ("not measured in this run (BENCH_STEPS without progress): 1000 plans x 20 indicators x 36 monthly "
                 "readings, imported and assessed under 10 s, status queries under 10 ms")


@contextmanager
def skipped() -> Iterator[str]:
    yield "skipped: BENCH_NEO4J=skip"


def targets(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The issue's targets, each met or missed (and by how much), or not measured in this run."""
    def check(name: str, value: float | None, limit: float, unit: str) -> tuple[str, str, str]:
        if value is None:
            return name, "not measured", "-"
        verdict = "met" if value <= limit else f"missed by {value / limit - 1:.0%}"
        return name, f"{value:.3g} {unit}", verdict

    out = []
    scale = r.get("scale", {})
    for n in ("1", "1000"):
        for store in ("ladybug", "neo4j"):
            timings = {name: v[f"{store}_ms"] for name, v in scale.get(n, {}).get("queries", {}).items()
                       if f"{store}_ms" in v}
            slowest = max(timings.items(), key=lambda item: item[1]) if timings else ("-", None)
            out.append(check(f"every named query under 10 ms median, N={n}, {STORE_NAMES[store]} "
                             f"(slowest: {slowest[0]})", slowest[1], 10.0, "ms"))
    top = scale.get("1000", {})
    pairs = len(top.get("ladybug_ratios", [])) or RATIO_PAIRS
    out.append(check(f"N=1000 Ladybug build within 1.3x of raw COPY (median of {pairs} alternating pairs)",
                     top.get("ladybug_ratio"), 1.3, "x"))
    out.append(check("N=1000 Neo4j build within 1.2x of raw UNWIND CREATE", top.get("neo4j_ratio"), 1.2, "x"))
    from bench.progress import targets as progress_targets

    out += progress_targets(r.get("progress", {}))
    if "startup" in r:
        out.append(check("`kg --help` under 0.3 s", r["startup"]["median_s"], 0.3, "s"))
    return out


STORE_NAMES = {"ladybug": "Ladybug", "neo4j": "Neo4j"}


def ms(r: Any) -> str:
    return f"{r['median_s'] * 1e3:.1f} (p95 {r['p95_s'] * 1e3:.1f})" if isinstance(r, dict) else str(r)


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [f"machine: {m['cpus']} CPUs, {m['cpu']}, {m['memory_gib']} GiB; run {r.get('started') or r['date']}, "
             f"commit {r.get('commit', 'unknown')}"]
    if "startup" in r or "build" in r or "queries" in r:
        lines += ["", "| measure | Ladybug | Neo4j |", "|---|---|---|"]
    if "startup" in r:
        lines.append(f"| `kg --help`, ms | {ms(r['startup'])} | |")
    if "build" in r:
        lines += [f"| `kg build` Shenyang, ms | {ms(r['build']['ladybug'])} | {ms(r['build']['neo4j'])} |",
                  f"| `kg build` peak memory, MiB | {r['build']['ladybug_peak_rss_mib']} | |"]
    for name, by_store in r.get("queries", {}).items():
        lines.append(f"| query `{name}`, ms | {ms(by_store['ladybug'])} | {ms(by_store.get('neo4j', '-'))} |")
    if "memory" in r.get("build", {}):
        lines += ["", "Peak memory of `kg build` (Shenyang, Ladybug), what it is spent on:", "",
                  "| phase | resident MiB after | added MiB |", "|---|---|---|"]
        lines += [f"| {phase['phase']} | {phase['rss_mib']} | {phase['added_mib']} |"
                  for phase in r["build"]["memory"]]
    if "views" in r:
        lines += ["", "| view | HTML, ms | PNG, ms |", "|---|---|---|"]
        lines += [f"| {name} | {ms(v['html'])} | {ms(v['png'])} |" for name, v in r["views"].items()
                  if name not in ("pack crossings", "pack")]
        pack = r["views"].get("pack")
        if pack:
            lines += ["", f"`kg pack` Shenyang: {pack['views']} pictures, {pack['files']} files, "
                          f"{pack['bytes'] / 1e6:.1f} MB; wall " + ", ".join(f"{w:.1f}" for w in pack["wall_s"])
                      + " s (CPU " + ", ".join(f"{c:.1f}" for c in pack["cpu_s"]) + " s; target under 10 s wall), "
                      f"load average {pack['load_average']:.1f}"]
        crossings = r["views"].get("pack crossings", {})
        if crossings:
            lines += ["", f"Edge crossings over the pack's {len(crossings.get('per_view', {}))} views: "
                          f"{crossings.get('total')} (densest: " + ", ".join(
                              f"{k} {n}" for k, n in sorted(crossings.get("per_view", {}).items(),
                                                             key=lambda t: -t[1])[:3]) + ")"]
    if "scale" in r:
        lines += scale_tables(r["scale"])
    if "progress" in r:
        from bench.progress import progress_table

        lines += progress_table(r["progress"])
    lines += ["", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {verdict} |" for name, value, verdict in targets(r)]
    if "big_page" in r:
        big = r["big_page"]
        stable = f"{big['stable_s']:.2f} s" if isinstance(big["stable_s"], float) else big["stable_s"]
        lines += ["", f"5,000-node page ({big['nodes']} nodes, {big['edges']} edges): written in "
                  f"{big['write_s']:.2f} s, stable in headless Chromium in {stable}"]
    return "\n".join(lines)


def figure(row: dict[str, Any], key: str, fmt: str = ".2f") -> str:
    """A row's figure formatted, or "-" where the run has none."""
    return format(row[key], fmt) if key in row else "-"


def query_table(title: str, rows: dict[str, dict[str, Any]], cell: Callable[[dict[str, Any]], str]) -> list[str]:
    """One line per named query, one column per corpus size that timed queries; `cell` formats a query's timings
    at one size (an empty dict where that size lacks the query)."""
    sizes = [n for n, row in rows.items() if "queries" in row]
    if not sizes:
        return []
    lines = ["", title, "", "| query | " + " | ".join(f"N={n}" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for name in rows[sizes[0]]["queries"]:
        lines.append(f"| `{name}` | " + " | ".join(cell(rows[n]["queries"].get(name, {})) for n in sizes) + " |")
    return lines


def scale_tables(scale: dict[str, Any]) -> list[str]:
    """The corpus sizes side by side: loads against the engines' own paths, then every query's median."""
    lines = ["", "| plans | nodes | edges | Ladybug build s | raw COPY s | ratio | Neo4j build s "
             "| raw UNWIND CREATE s | ratio | peak memory of the bench process so far, MiB |", "|" + "---|" * 10]
    for row in scale.values():
        lines.append(f"| {row['plans']} | {row['nodes']} | {row['edges']} | {figure(row, 'ladybug_build_s')} | "
                     f"{figure(row, 'ladybug_raw_copy_s')} | {figure(row, 'ladybug_ratio')} | "
                     f"{figure(row, 'neo4j_build_s')} | {figure(row, 'neo4j_raw_unwind_create_s')} | "
                     f"{figure(row, 'neo4j_ratio')} | {figure(row, 'process_peak_rss_mib', '.0f')} |")
    return lines + query_table(
        "Named query median, ms, on the corpus's first plan as the corpus grows (Ladybug / Neo4j):", scale,
        lambda v: " / ".join(figure(v, k, ".1f") for k in ("ladybug_ms", "neo4j_ms")))


def readme_block(r: dict[str, Any]) -> str:
    """The README's benchmark section body: where the numbers come from, then the report."""
    return (f"Generated by `python bench/run.py --readme` from `bench/results/latest.json` "
            f"(run {r.get('started') or r['date']}, commit {r.get('commit', 'unknown')}). Times are the median, "
            "with the 95th percentile in brackets where shown.\n\n" + report(r))


if __name__ == "__main__":
    main()
