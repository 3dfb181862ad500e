"""Plan commands: parse a text, validate the seed, build the store, count it, export it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kg.cli.common import (
    BufferPoolOpt,
    DbOpt,
    ExportFormat,
    Format,
    FormatOpt,
    PlanOpt,
    SeedOpt,
    SeedsOpt,
    StoreKind,
    StoreOpt,
    WaitOpt,
    command,
    emit,
    opened,
    say,
    shown_path,
)
from kg.stores.base import DEFAULT_DB


@command("parse")
def parse_cmd(
    source: Annotated[Path, typer.Argument(help="A plan: .txt (UTF-8 or GB18030), .docx or a text-layer .pdf.",
                                           dir_okay=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Write JSON here instead of stdout (- is stdout).")] = None,
    period: Annotated[str | None, typer.Option("--period", help="The plan period when the text does not say it, "
                                               "such as 2023-2025.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 2) on the first warning or unplaced line, "
                                         "as CI wants.")] = False,
    encoding: Annotated[str | None, typer.Option("--encoding", help="The text file's encoding (utf-8, gb18030, "
                                                 "gbk); recognised when not given.")] = None,
) -> None:
    """Parse a plan text into its parts, each with its verbatim quote and offsets.

    Prints a summary (placed lines, unplaced lines, warnings), then each warning and unplaced line with its
    line number: on stdout with -o, else on stderr beside the JSON. Exit 0 with warnings; --strict exits 2.

    Example: kg parse seed/source/shenyang-three-year-action-plan-2023-2025.txt -o parsed.json
    """
    from kg.ingest.parse import parse_file, parse_period
    from kg.output import parsed_to_json, write_atomic

    plan = parse_file(source, strict=strict, encoding=encoding,
                      period=parse_period(period) if period is not None else None)
    data = json.dumps(parsed_to_json(plan), ensure_ascii=False, indent=2) + "\n"
    how = f"{plan.encoding} text" if plan.extraction == "text" else f"text extracted from {plan.extraction}"
    report = [f"placed {plan.lines['placed']} lines, {len(plan.unplaced)} unplaced, {len(plan.warnings)} warnings "
              f"({how})"]
    report += [f"warning: {plan.source}:{w.line}: {w.message}" for w in plan.warnings]
    report += [f"unplaced: {plan.source}:{u.line}: {u.text}" for u in plan.unplaced]
    if output and str(output) != "-":
        write_atomic(output, data)
        say("\n".join([*report, f"wrote {shown_path(output)}"]))
    else:
        sys.stdout.write(data)
        say("\n".join(report), err=True)


@command("validate")
def validate_cmd(seed: SeedOpt = None) -> None:
    """Check the seed folder: every reference, quote, type, lead and cycle, and the milestones. Writes nothing.

    Example: kg validate --seed seed/
    """
    from kg.ingest.seed import DEFAULT_SEED, load_plan
    from kg.progress.milestones import load_milestones

    graph = load_plan(seed)
    milestones = load_milestones(seed or DEFAULT_SEED, graph)
    counts = graph.counts()
    say(f"ok: {sum(counts['nodes'].values())} nodes, {sum(counts['edges'].values())} edges, "
               f"{len(milestones)} milestones, plan {graph.plan_id}")
    for note in graph.notes:  # e.g. a curated lead that an official 分工 superseded
        say(f"note: {note}")



@command("build")
def build_cmd(seed: SeedsOpt = None, store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB,
              wait: WaitOpt = False, buffer_pool: BufferPoolOpt = None) -> None:
    """Parse the source, read the overlays, validate, and write the whole graph into the store.

    A rebuild is atomic: if it fails, the previous graph stays as it was. One build of a store file at a time:
    a second one stops, saying who is building, or waits with --wait. Ladybug's buffer pool is sized to the
    graph (at least 256 MiB, at most half the memory) unless --buffer-pool names a size. Several --seed
    folders (a province's cities) go into one store, each plan under its own id, their readings read over
    the cores; query one with --plan.

    Example: kg build --store ladybug --db .kg/plan.lbug
    """
    import contextlib
    import dataclasses

    from kg.cli.common import store_settings
    from kg.ingest.seed import begin_plans, load_plan
    from kg.stores.base import open_store

    if buffer_pool is not None:  # checked before the plan is parsed or the store locked
        from kg.errors import UsageError

        if store is not StoreKind.ladybug:
            raise UsageError("--buffer-pool sizes Ladybug's page cache; Neo4j's memory is set on its server "
                             "(valid: --store ladybug)")
        from kg.stores.ladybug import check_pool_mib

        check_pool_mib(buffer_pool)
    # several seeds: their readings are imported in other processes while the store copies the plans
    graphs, late = begin_plans(seed) if seed and len(seed) > 1 else ([load_plan(seed[0] if seed else None)], None)
    with late if late is not None else contextlib.nullcontext():
        target = open_store(dataclasses.replace(store_settings(store, db), wait=wait, buffer_pool_mib=buffer_pool))
        try:
            target.build_all(graphs, late)
        finally:
            target.close()
    where = db if store is StoreKind.ladybug else "Neo4j"
    for graph in graphs:
        counts = graph.counts()
        say(f"built {graph.plan_id} in {shown_path(where)}: {sum(counts['nodes'].values())} nodes, "
            f"{sum(counts['edges'].values())} edges")


@command("stats")
def stats_cmd(store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
              fmt: FormatOpt = Format.table) -> None:
    """Count each kind of node and edge in the store.

    Example: kg stats --store neo4j --format json
    """
    with opened(store, db, plan) as source:
        counts = source.counts()
    rows = [{"element": "node", "kind": k, "count": v} for k, v in counts["nodes"].items()]
    rows += [{"element": "edge", "kind": k, "count": v} for k, v in counts["edges"].items()]
    emit(rows, fmt, "Graph")


@command("export")
def export_cmd(
    output: Annotated[Path, typer.Option("-o", "--output",
                                         help="The file to write (a folder for csv; - for standard output).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json (node-link), graphml, gexf or csv.")]
    = ExportFormat.json,
    seed: Annotated[Path | None, typer.Option("--seed", file_okay=False,
                                              help="Export straight from a seed folder instead of the store.")] = None,
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None,
) -> None:
    """Export the whole graph from the store: node-link JSON (stable), GraphML, GEXF, or a folder of CSV files.

    Example: kg export --format graphml -o plan.graphml
    """
    from kg.output import export_graph

    if seed is not None:
        from kg.ingest.seed import load_plan

        graph = load_plan(seed)
    else:
        with opened(store, db, plan) as graph_store:
            graph = graph_store.read_graph()
    export_graph(graph, fmt.value, output)
    if str(output) != "-":
        say(f"wrote {shown_path(output)}")


