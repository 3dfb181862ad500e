"""The interface every graph store implements, the rows both load, and the registry.

A store is handed its settings by the caller; it never reads the environment itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kg.errors import UsageError
from kg.model import (
    COMMON_NODE_PROPS,
    EDGE_KINDS,
    NODE_KINDS,
    PROVENANCE_OF_SOURCE,
    PROVENANCE_PROPS,
    Edge,
    Node,
    PlanGraph,
    Provenance,
)

DEFAULT_DB = Path(".kg") / "plan.lbug"
RE_UID_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)_uid\b")  # $task_uid: the uid of the entity $task names


class Rows(list[dict[str, Any]]):
    """A read's rows and its columns, as the query's RETURN names them: known even when no row came back (a CSV
    of no rows still has its header)."""

    def __init__(self, rows: list[dict[str, Any]] | None = None, columns: list[str] | None = None) -> None:
        super().__init__(rows or [])
        self.columns = list(columns or [])


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    """The columns of rows read from a store (Rows), or else the keys the rows have, in order."""
    return list(dict.fromkeys([*getattr(rows, "columns", []), *(k for row in rows for k in row)]))


@dataclass(frozen=True)
class StoreSettings:
    """How to reach a store. `password` is never printed: its repr is masked."""

    kind: str = "ladybug"
    path: Path = DEFAULT_DB  # ladybug
    uri: str | None = None  # neo4j
    user: str = "neo4j"
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    plan: str | None = None  # which plan to read in a store that holds several (neo4j); None: the only one
    wait: bool = False  # a build waits for another build of the same store to finish, instead of stopping
    timeout: float | None = None  # seconds a read may run before the store stops it; None: no limit
    buffer_pool_mib: int | None = None  # ladybug: the engine's page cache; None: sized to the data


    def secrets(self) -> list[str]:
        """What no message may show: the password, and a password written into the URI (as typed and decoded)."""
        from urllib.parse import unquote

        out = [self.password or ""]
        userinfo = _USERINFO.search(self.uri or "")
        if userinfo and ":" in userinfo.group(1):
            typed = userinfo.group(1).split(":", 1)[1]
            out += [typed, unquote(typed)]
        return [s for s in out if s]


_USERINFO = re.compile(r"(?<=://)([^/@\s]*)@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the user:password@ part of any URI and every given secret replaced by ***: the one place a
    store's message is cleaned before it becomes a KgError."""
    text = _USERINFO.sub("***@", text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class Late(Protocol):
    """What is still being added to the graphs a store loads (their readings, imported in other processes while
    the load begins: kg.progress.corpus.Pending): the node kinds it adds (the relations touching them come with
    them), at most how many rows it adds (for sizing the load before they are in), and `finish`, which waits for
    it and adds it to the graphs, or raises why it could not."""

    kinds: frozenset[str]
    rows: int

    def finish(self) -> None: ...


class GraphStore(Protocol):
    """A graph database holding plan graphs, answering read-only Cypher."""

    kind: str  # "ladybug" | "neo4j": which per-store query variant it runs

    def build(self, graph: PlanGraph) -> None:
        """Replace the plan's graph with `graph`, atomically: on failure the previous graph stays."""

    def build_all(self, graphs: list[PlanGraph], late: Late | None = None) -> None:
        """Replace several plans' graphs in one load (a corpus); each plan is replaced atomically. With `late`,
        what it adds to the graphs is in the load too (the load may begin before it is)."""

    def read(self, cypher: str, params: dict[str, Any] | None = None, max_rows: int | None = None
             ) -> list[dict[str, Any]]:
        """Run read-only Cypher; a write is refused by the database. With `max_rows`, rows after that many are
        never fetched; a read running past the settings' timeout is stopped (QueryLimitError)."""

    def counts(self) -> dict[str, dict[str, int]]:
        """{"nodes": {kind: n}, "edges": {kind: n}} for the plan."""

    def read_graph(self) -> PlanGraph:
        """The whole plan graph read back from the store."""

    def close(self) -> None: ...


def node_columns(kind: str) -> dict[str, str]:
    return {"uid": "STRING", **COMMON_NODE_PROPS, **NODE_KINDS[kind], **PROVENANCE_PROPS}


def edge_columns(kind: str) -> dict[str, str]:
    """An edge kind's stored columns: its properties and its provenance; of a provenance that is its source node's,
    only its kind (every edge says whether it is seed, official, curated or example)."""
    provenance = {"provenance": PROVENANCE_PROPS["provenance"]} if kind in PROVENANCE_OF_SOURCE else PROVENANCE_PROPS
    return {**EDGE_KINDS[kind][1], **provenance}


PROV_ATTRS = {"provenance": "kind", "quote": "quote", "quote_start": "start", "quote_end": "end",
               "rationale": "rationale", "source": "source", "document": "document", "document_date": "date"}


def node_table(graphs: list[PlanGraph], kind: str, plans: dict[str, str] | None = None,
               prefixes: dict[str, str] | None = None, by_kind: list[dict[str, list[Node]]] | None = None,
               uid_prefixes: bool = False) -> dict[str, list[Any]]:
    """Every column of the nodes of `kind`, column by column (None where empty): the one mapping from the model
    to what the stores load. `plans` overrides a graph's plan id and `prefixes` its uid prefix (by default the
    plan id), each keyed by the graph's own plan id. `by_kind` (from `nodes_by_kind`) saves a pass over every
    node per kind when all kinds are wanted (a plan with its readings holds hundreds of nodes per indicator).
    With `uid_prefixes`, the uid column holds each row's prefix alone, for the caller to join with the id column
    (Ladybug's load does it in Arrow: no string is made per row in Python)."""
    out: dict[str, list[Any]] = {c: [] for c in node_columns(kind)}
    for i, g in enumerate(graphs):
        plan = (plans or {}).get(g.plan_id, g.plan_id)
        prefix = (prefixes or {}).get(g.plan_id, plan)
        nodes = by_kind[i].get(kind, []) if by_kind is not None else g.of_kind(kind)
        out["uid"] += [prefix] * len(nodes) if uid_prefixes else [f"{prefix}:{n.id}" for n in nodes]
        out["id"] += [n.id for n in nodes]
        out["kind"] += [kind] * len(nodes)
        out["plan"] += [plan] * len(nodes)
        for column in ("name", "name_en", "text"):
            out[column] += [getattr(n, column) for n in nodes]
        for prop in NODE_KINDS[kind]:
            out[prop] += [n.props.get(prop) for n in nodes]
        for column, attr in PROV_ATTRS.items():
            out[column] += [getattr(n.provenance, attr) for n in nodes]
        for batch in g.deferred:  # held as columns already (see PlanGraph.defer): no object per row
            columns = batch.node_columns(kind)
            if not columns:
                continue
            ids = columns["id"]
            out["uid"] += [prefix] * len(ids) if uid_prefixes else [f"{prefix}:{i}" for i in ids]
            out["kind"] += [kind] * len(ids)
            out["plan"] += [plan] * len(ids)
            for column, values in columns.items():
                out[column] += values
    return out


def edge_table(graphs: list[PlanGraph], kind: str, prefixes: dict[str, str] | None = None,
               pair: tuple[str, str] | None = None, by_kind: list[dict[str, list[Edge]]] | None = None,
               uid_prefixes: bool = False) -> dict[str, list[Any]]:
    """Every column of the edges of `kind`: `from` and `to` uids (prefixed by the plan id, or its entry in
    `prefixes`), then every property column. With `pair`, only the edges between nodes of those two kinds.
    `by_kind` (from `edges_by_kind`) saves a pass over every edge per kind when all kinds are wanted. With
    `uid_prefixes`, `from` and `to` hold the ids alone and a `prefix` column each row's prefix (see node_table)."""
    out: dict[str, list[Any]] = {"from": [], "to": [], **{c: [] for c in edge_columns(kind)}}
    for i, g in enumerate(graphs):
        prefix = (prefixes or {}).get(g.plan_id, g.plan_id)
        edges = by_kind[i].get(kind, []) if by_kind is not None else [e for e in g.edges if e.kind == kind]
        if pair is not None:  # between made nodes: deferred edges are of kinds with one pair (checked below)
            made = g.made_nodes
            edges = [e for e in edges if (made[e.source].kind, made[e.target].kind) == pair]
        if uid_prefixes:
            out.setdefault("prefix", []).extend([prefix] * len(edges))
            out["from"] += [e.source for e in edges]
            out["to"] += [e.target for e in edges]
        else:
            out["from"] += [f"{prefix}:{e.source}" for e in edges]
            out["to"] += [f"{prefix}:{e.target}" for e in edges]
        for prop in EDGE_KINDS[kind][1]:
            out[prop] += [e.props.get(prop) for e in edges]
        for column, attr in PROV_ATTRS.items():
            if column in out:
                out[column] += [getattr(e.provenance, attr) for e in edges]
        for batch in g.deferred:
            columns = batch.edge_columns(kind)
            if not columns:
                continue
            assert len(EDGE_KINDS[kind][0]) == 1, kind  # Deferred: edges of kinds with one pair of ends
            if uid_prefixes:
                out.setdefault("prefix", []).extend([prefix] * len(columns["from"]))
                out["from"] += columns["from"]
                out["to"] += columns["to"]
            else:
                out["from"] += [f"{prefix}:{end}" for end in columns["from"]]
                out["to"] += [f"{prefix}:{end}" for end in columns["to"]]
            for column, values in columns.items():
                if column not in ("from", "to"):
                    out[column] += values
    return out


def nodes_by_kind(graphs: list[PlanGraph]) -> list[dict[str, list[Node]]]:
    """Each graph's nodes grouped by kind, in one pass: the nodes made so far (`node_table` adds the deferred)."""
    out: list[dict[str, list[Node]]] = []
    for g in graphs:
        groups: dict[str, list[Node]] = {}
        for n in g.made_nodes.values():
            groups.setdefault(n.kind, []).append(n)
        out.append(groups)
    return out


def edges_by_kind(graphs: list[PlanGraph]) -> list[dict[str, list[Edge]]]:
    """Each graph's edges grouped by kind, in one pass: the edges made so far (`edge_table` adds the deferred)."""
    out: list[dict[str, list[Edge]]] = []
    for g in graphs:
        groups: dict[str, list[Edge]] = {}
        for e in g.made_edges:
            groups.setdefault(e.kind, []).append(e)
        out.append(groups)
    return out


def table_rows(table: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Columns turned into one dict per row."""
    columns = list(table)
    return [dict(zip(columns, values, strict=True)) for values in zip(*table.values(), strict=True)]


def node_rows(graph: PlanGraph, kind: str, plan: str | None = None, uid_prefix: str | None = None
              ) -> list[dict[str, Any]]:
    """`node_table` of one graph as one dict per node."""
    return table_rows(node_table([graph], kind, {graph.plan_id: plan} if plan else None,
                                 {graph.plan_id: uid_prefix} if uid_prefix else None))


def edge_rows(graph: PlanGraph, kind: str, uid_prefix: str | None = None) -> list[dict[str, Any]]:
    """`edge_table` of one graph as one dict per edge."""
    return table_rows(edge_table([graph], kind, {graph.plan_id: uid_prefix} if uid_prefix else None))


def graph_from_rows(plan: str, nodes: list[tuple[str, dict[str, Any]]],
                    edges: list[tuple[str, dict[str, Any]]]) -> PlanGraph:
    """Rebuild a PlanGraph from rows read back out of a store (the inverse of node_rows/edge_rows)."""

    def prov(row: dict[str, Any]) -> Provenance:
        return Provenance(row["provenance"], quote=row.get("quote"), start=row.get("quote_start"),
                          end=row.get("quote_end"), rationale=row.get("rationale"), source=row.get("source"),
                          document=row.get("document"), date=row.get("document_date"))

    graph = PlanGraph(plan)
    for kind, row in nodes:
        props = {k: row.get(k) for k in NODE_KINDS[kind]}
        if kind == "Department":
            props["aliases"] = list(props.get("aliases") or [])
            props["former_names"] = list(props.get("former_names") or [])
        graph.add(Node(kind, row["id"], row["name"], prov(row), name_en=row.get("name_en"), text=row.get("text"),
                       props=props))
    for kind, row in edges:
        provenance = graph.nodes[row["src"]].provenance if kind in PROVENANCE_OF_SOURCE else prov(row)
        graph.edges.append(Edge(kind, row["src"], row["dst"], provenance,
                                {k: row.get(k) for k in EDGE_KINDS[kind][1]}))
    return graph


def derived_params(cypher: str, params: dict[str, Any], plan: str) -> dict[str, Any]:
    """`params` with `plan` and, for each `$NAME_uid` the text uses, NAME's uid in that plan: what a store adds
    before it runs a named query. The uid is a value like any other; nothing is formatted into the text."""
    out = {"plan": plan, **params} if re.search(r"\$plan\b", cypher) else dict(params)
    for name in RE_UID_USE.findall(cypher):
        if name in params and f"{name}_uid" not in params:
            out[f"{name}_uid"] = f"{plan}:{params[name]}"
    return out


def open_store(settings: StoreSettings) -> GraphStore:
    """The store named by `settings.kind`; drivers are imported only here, when needed."""
    if settings.kind == "ladybug":
        from kg.stores.ladybug import LadybugStore

        return LadybugStore(settings)
    if settings.kind == "neo4j":
        from kg.stores.neo4j import Neo4jStore

        return Neo4jStore(settings)
    raise UsageError(f"unknown store {settings.kind!r} (valid: {', '.join(STORES)})")


STORES = ("ladybug", "neo4j")
