"""Progress at scale: N plans x 20 indicators x 36 monthly readings, imported from the CSV files
`kg progress readings import` accepts, checked, assessed by the published rules and loaded into Ladybug, each
phase timed; then every status named query (cypher/progress/) timed through `ask` on the corpus's first plan.

The readings are synthetic (made-up example data: their source says so, and so does every output that shows
them). The pipeline is the product's own: what `kg build --seed A --seed B …` does with the seeds' readings.csv
files (`kg.progress.corpus.Pending`: per plan, read the file, check it against the plan (column by column, as a
well-formed file is), assess, and hand back the readings as Arrow rows and the Assessment nodes; the plans
shared among one forked process per core), begun before one `build_all` of the corpus into Ladybug, which copies
the plans' structure while they are imported and then the readings' table as it came back (staged COPY, counts
check, swap). The import is also timed alone, before it (`add_progress_all`, this process one of the two), for
its phases.
"""

from __future__ import annotations

import csv
import gc
import os
import shutil
import time
from pathlib import Path
from typing import Any

from kg.model import PlanGraph

# the build date the assessments carry: fixed, so two runs build the same graph
COMPUTED_AT = "2026-01-01"


def readings_files(folder: Path, graphs: list[PlanGraph], rows: list[dict[str, str]]) -> list[Path]:
    """One readings CSV per plan, in the columns `kg progress readings import` reads (written before the clock)."""
    from kg.progress.readings import COLUMNS

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for g in graphs:
        path = folder / f"readings-{g.plan_id}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n", restval="")
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


def import_and_assess(graphs: list[PlanGraph], paths: list[Path], rules: dict[str, Any],
                      phases: dict[str, float], processes: int | None = None) -> list[PlanGraph]:
    """Each plan with its readings and assessments, as `kg build --seed A --seed B …` makes them
    (`kg.progress.corpus.add_progress_all`: each plan's file read, checked and assessed as `add_progress` does one
    plan's, the plans shared among `processes` processes, by default one per core); the seconds of each phase
    (read, validate, assess, nodes), summed over the processes, are added to `phases`."""
    from kg.progress.corpus import add_progress_all

    out = [PlanGraph(g.plan_id, dict(g.made_nodes), list(g.made_edges)) for g in graphs]
    add_progress_all(out, paths, rules, COMPUTED_AT, processes=processes, phases=phases)
    return out


def _timed_finish(late: Any) -> dict[str, float]:
    """When (seconds from now) the load began to wait for the import (`began`: it had copied all it could) and
    when the readings were in (`ended`), filled as `late.finish` runs."""
    waits = {"began": 0.0, "ended": 0.0}
    start, finish = time.perf_counter(), late.finish

    def timed() -> None:
        waits["began"] = time.perf_counter() - start
        try:
            finish()
        finally:
            waits["ended"] = time.perf_counter() - start

    late.finish = timed
    return waits


def _children_cpu() -> float:
    """CPU seconds of this process's finished children: a large load makes its tables in a forked child
    (kg/stores/ladybug_load.py), whose time `process_time` does not count."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def observed_tables() -> set[str]:
    """The tables a load fills with the readings: their node table and the relations that touch it."""
    from kg.model import EDGE_KINDS, OBSERVATION_KINDS
    from kg.stores.ladybug_load import observed

    return {*OBSERVATION_KINDS, *(kind for kind, (pairs, _) in EDGE_KINDS.items() if observed(pairs))}


def chain(import_assess_s: float, split: dict[str, dict[str, float]]) -> dict[str, float]:
    """The steps that must follow one another whatever runs beside them: the readings exist once the import has
    read, checked and assessed them (and made their Arrow columns, in its processes); the load's tables are
    finished from those (each plan's uids joined); the engine copies those tables. The sum is a floor for this
    data flow on any number of cores (`split` is `raw_ladybug`'s per-table seconds)."""
    tables = observed_tables()
    made = sum(v for k, v in split.get("made", {}).items() if k in tables)
    copied = sum(v for k, v in split.get("copied", {}).items() if k in tables)
    return {"readings_tables_made_s": round(made, 3), "readings_raw_copy_s": round(copied, 3),
            "chain_floor_s": round(import_assess_s + made + copied, 3)}


def status_queries() -> list[str]:
    """The named queries of the progress topic (cypher/progress/, with their Ladybug variants)."""
    from kg.queries import load_queries

    return sorted(name for name, q in load_queries().items() if q.topic == "progress")


def bench_progress_at_scale(tmp: Path, base: PlanGraph, sizes: list[int], runs: int = 20) -> dict[str, Any]:
    """For each N: the phases and their total, the Ladybug load, and every status query's median (ms)."""
    from bench.run import corpus, monthly_readings, pool_mib, query_ms, raw_ladybug, structure_only
    from kg.errors import KgError
    from kg.progress.corpus import Pending
    from kg.progress.rules import load_rules
    from kg.queries import load_queries
    from kg.stores.base import StoreSettings, open_store

    structure = structure_only(base)
    rows, _ = monthly_readings(structure)
    queries = load_queries()
    out: dict[str, Any] = {}
    for n in sizes:
        plans = corpus(n, structure)
        paths = readings_files(tmp / f"readings-{n}", plans, rows)
        phases = {"read_s": 0.0, "validate_s": 0.0, "assess_s": 0.0, "nodes_s": 0.0}
        collecting = gc.isenabled()
        gc.disable()  # as the store does around its load: millions of acyclic objects
        try:
            t, cpu, child_cpu = time.perf_counter(), time.process_time(), _children_cpu()
            rules = load_rules()  # the published rules, read as the build reads them
            graphs = import_and_assess(plans, paths, rules, phases)
            import_assess_s = time.perf_counter() - t
            import_assess_cpu_s = time.process_time() - cpu + _children_cpu() - child_cpu
        finally:
            if collecting:
                gc.enable()
        row: dict[str, Any] = {
            "plans": n, "indicators": n * len(structure.of_kind("Indicator")), "readings": n * len(rows),
            "nodes": sum(g.size()[0] for g in graphs), "edges": sum(g.size()[1] for g in graphs),
            **{k: round(v, 3) for k, v in phases.items()}, "import_assess_s": round(import_assess_s, 3),
            "import_assess_cpu_s": round(import_assess_cpu_s, 3)}
        del graphs  # the import alone, for its phases; the build below imports them again, as kg build does
        graphs = [PlanGraph(g.plan_id, dict(g.made_nodes), list(g.made_edges)) for g in plans]
        store: Any = open_store(StoreSettings(path=tmp / f"progress-{n}.lbug", plan=plans[0].plan_id,
                                              buffer_pool_mib=pool_mib()))
        gc.disable()
        t, cpu, child_cpu = time.perf_counter(), time.process_time(), _children_cpu()
        try:
            with Pending(graphs, paths, load_rules(), COMPUTED_AT) as late:
                waits = _timed_finish(late)
                store.build_all(graphs, late)
        except (KgError, MemoryError) as e:  # what fails first is the finding
            row["ladybug_error"] = f"{type(e).__name__} after {time.perf_counter() - t:.1f} s: {e}"
        else:
            total_s = time.perf_counter() - t
            row.update(total_s=round(total_s, 3), ladybug_load_s=round(total_s - waits["ended"] + waits["began"], 3),
                       ladybug_wait_s=round(waits["ended"] - waits["began"], 3),
                       structure_copied_s=round(waits["began"], 3),
                       ladybug_load_cpu_s=round(time.process_time() - cpu, 3),
                       ladybug_load_child_cpu_s=round(_children_cpu() - child_cpu, 3))
        finally:
            if collecting:
                gc.enable()
            # the engine's own fastest load of the same rows (the same COPYs from Arrow tables made beforehand)
            split: dict[str, dict[str, float]] = {}
            row["ladybug_raw_copy_s"] = round(raw_ladybug(tmp / f"progress-raw-{n}.lbug", graphs, split), 3)
            row.update(chain(import_assess_s, split))
            row["queries"] = {name: {"ladybug_ms": round(query_ms(store, name, queries, runs), 3)}
                              for name in status_queries()}
        row["ladybug_buffer_pool_mib"] = store._pool >> 20  # the pool the load had, whether it failed or not
        row["load_average"] = [round(x, 2) for x in os.getloadavg()]
        store.close()
        del graphs
        shutil.rmtree(tmp / f"readings-{n}", ignore_errors=True)
        for p in [*tmp.glob(f"progress-{n}.lbug*"), *tmp.glob(f"progress-raw-{n}.lbug*")]:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
        out[str(n)] = row
        print(f"  progress N={n}: " + ", ".join(f"{k}={v}" for k, v in row.items() if k != "queries") +
              ", queries " + ", ".join(f"{k} {v['ladybug_ms']:.2f} ms" for k, v in row.get("queries", {}).items()),
              flush=True)
    return out


def targets(progress: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The issue's progress targets at N=1000: (target, measured, verdict); a load that failed says so."""
    top = progress.get("1000", {})
    timings = {name: v["ladybug_ms"] for name, v in top.get("queries", {}).items()}
    slowest = max(timings.items(), key=lambda item: item[1]) if timings else ("-", None)
    load = f", load average {top['load_average'][0]:g}" if "load_average" in top else ""
    engine = (f" (the import begun with the load, which copied the plans' structure meanwhile, "
              f"{top['structure_copied_s']:.3g} s, then waited {top['ladybug_wait_s']:.3g} s for the readings; "
              f"Ladybug's raw COPY of the same rows alone {top['ladybug_raw_copy_s']:.3g} s)"
              if {"structure_copied_s", "ladybug_raw_copy_s"} <= set(top) else "")
    if "chain_floor_s" in top:
        engine += (f"; the steps that cannot overlap (import + assess, making the readings' tables "
                   f"{top['readings_tables_made_s']:.3g} s, the engine's COPY of them {top['readings_raw_copy_s']:.3g}"
                   f" s) sum to {top['chain_floor_s']:.3g} s")
    out = []
    for name, value, limit, unit, extra in (
            ("progress at scale: 1000 plans x 20 indicators x 36 readings read, validated, assessed and loaded into "
             "Ladybug under 10 s", top.get("total_s"), 10.0, "s", engine),
            ("the same, read, validated and assessed (before the load)", top.get("import_assess_s"), 10.0, "s", ""),
            (f"status queries under 10 ms median, N=1000, Ladybug (slowest: {slowest[0]})", slowest[1], 10.0, "ms",
             "")):
        if value is None:
            failed = top.get("ladybug_error")
            out.append((name, f"the load failed: {failed}" if failed and top else "not measured", "-"))
        else:
            verdict = "met" if value <= limit else f"missed by {value / limit - 1:.0%}"
            out.append((name, f"{value:.3g} {unit}{extra}{load}", verdict))
    return out


def progress_table(progress: dict[str, Any]) -> list[str]:
    """The report's rows: each phase per corpus size, then each status query's median."""
    from bench.run import figure, query_table

    lines = ["", "Progress at scale (synthetic example readings), seconds (wall; CPU in brackets). The import is "
             "timed alone (its phases), then again begun with the load as `kg build` does (total: the load copies "
             "the structure while the readings are imported, waits for them, then copies them; its CPU includes "
             "the import's processes):", "",
             "| plans | readings | read | validate | assess | nodes | import + assess | Ladybug load | raw COPY "
             "| total | of which cannot overlap | buffer pool MiB | load average |", "|" + "---|" * 13]
    for p in progress.values():
        child = f" + {p['ladybug_load_child_cpu_s']:.2f} in a child" if p.get("ladybug_load_child_cpu_s") else ""
        waited = f", waited {p['ladybug_wait_s']:.2f}" if "ladybug_wait_s" in p else ""
        load = p.get("ladybug_error") or (f"{figure(p, 'ladybug_load_s')} ({figure(p, 'ladybug_load_cpu_s')}{child})"
                                          f"{waited}")
        lines.append(f"| {p['plans']} | {p['readings']} | {p['read_s']:.2f} | {p['validate_s']:.2f} | "
                     f"{p['assess_s']:.2f} | {p['nodes_s']:.2f} | {p['import_assess_s']:.2f} "
                     f"({p['import_assess_cpu_s']:.2f}) | {load} | {figure(p, 'ladybug_raw_copy_s')} | "
                     f"{figure(p, 'total_s')} | {figure(p, 'chain_floor_s')} | "
                     f"{p.get('ladybug_buffer_pool_mib', '-')} | {p['load_average'][0]:g} |")
    return lines + query_table("Status query median, ms, Ladybug, on the corpus's first plan:", progress,
                               lambda v: figure(v, "ladybug_ms"))
