"""Writing results: rows as table/JSON/CSV, the graph as JSON/GraphML/GEXF/CSV, files written atomically."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kg.errors import UsageError
from kg.model import PlanGraph
from kg.parse import ParsedPlan


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def render_rows(rows: list[dict[str, Any]], fmt: str, title: str | None = None) -> str:
    rows = [{k: _clean(v) for k, v in row.items()} for row in rows]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
        return buf.getvalue()
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    buf = io.StringIO()
    Console(file=buf, width=max(100, min(200, 20 * len(columns))), force_terminal=False).print(table)
    return buf.getvalue() + f"{len(rows)} row(s)\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(_cell(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a failure leaves nothing half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parsed_to_json(plan: ParsedPlan) -> dict[str, Any]:
    data = asdict(plan)
    data.pop("text")
    return data


def _flat(props: dict[str, Any]) -> dict[str, Any]:
    """GraphML and GEXF take scalars only: lists joined, provenance spread into prov_* keys, None dropped."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key == "provenance":
            out.update({f"prov_{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            out[key] = ";".join(map(str, value))
        elif value is not None:
            out[key] = value
    return out


def to_networkx(graph: PlanGraph) -> Any:
    import networkx as nx

    data = graph.to_json()
    g = nx.MultiDiGraph(plan=graph.plan_id)
    for node in data["nodes"]:
        g.add_node(node["id"], **_flat(node))
    for edge in data["edges"]:
        attrs = _flat({k: v for k, v in edge.items() if k not in ("source", "target")})
        g.add_edge(edge["source"], edge["target"], key=f"{edge['kind']}", **attrs)
    return g


def export_graph(graph: PlanGraph, fmt: str, output: Path) -> None:
    if fmt == "json":
        write_atomic(output, json.dumps(graph.to_json(), ensure_ascii=False, indent=2) + "\n")
    elif fmt in ("graphml", "gexf"):
        import networkx as nx

        g = to_networkx(graph)
        buf = io.BytesIO()
        (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(g, buf, encoding="utf-8")
        write_atomic(output, buf.getvalue())
    elif fmt == "csv":
        data = graph.to_json()
        nodes = [_flat(n) for n in data["nodes"]]
        edges = [_flat(e) for e in data["edges"]]
        write_atomic(output / "nodes.csv", "\ufeff" + render_rows(nodes, "csv"))  # BOM: Excel reads UTF-8
        write_atomic(output / "edges.csv", "\ufeff" + render_rows(edges, "csv"))
    else:
        raise UsageError(f"unknown export format {fmt!r} (valid: json, graphml, gexf, csv)")
