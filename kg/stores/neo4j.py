"""Neo4j 5 / Aura / clusters through the official `neo4j` driver (py2neo is end-of-life and not used).

Every node carries the label `PlanNode`, its kind as a second label, its `plan` id and a `uid` unique across
plans. A build loads the new graph under a staging plan id in batched `UNWIND ... CREATE` write transactions,
checks that every edge found both ends, then in one transaction deletes the plan's old graph and renames the
staging graph: other plans and other data in the database are never touched, and a failed build leaves the
previous graph as it was.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable
from typing import Any

from kg.errors import KgError, NotFoundError, QueryError, QueryLimitError, ReadOnlyError, StoreError, UsageError
from kg.model import EDGE_KINDS, NODE_KINDS, Node, PlanGraph
from kg.stores.base import (
    PROV_ATTRS,
    Late,
    Rows,
    StoreSettings,
    derived_params,
    edge_columns,
    graph_from_rows,
    node_columns,
    nodes_by_kind,
    redact,
)

BATCH = 5000
DELETE_PLAN = "MATCH (n:PlanNode {plan: $plan}) DETACH DELETE n"
TIMEOUT_S = 5.0  # connect and acquire: an unreachable server is reported well within 10 seconds
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class Neo4jStore:
    kind = "neo4j"

    def __init__(self, settings: StoreSettings) -> None:
        if not settings.uri:
            raise UsageError("the neo4j store needs NEO4J_URI (for example neo4j://localhost:7687 or "
                             "neo4j+s://<id>.databases.neo4j.io for Aura)")
        self.settings = settings
        self.uri = settings.uri
        self.shown_uri = redact(settings.uri, settings.secrets())  # what messages show
        scheme = settings.uri.split("://", 1)[0].lower() if "://" in settings.uri else ""
        if scheme not in SCHEMES:
            raise UsageError(f"NEO4J_URI {self.shown_uri!r}: " + (f"the scheme {scheme!r} is not one the driver "
                             "speaks" if scheme else "no scheme") + f" (valid: {', '.join(SCHEMES)})")
        rest = settings.uri.split("://", 1)[1]
        if rest.split("?", 1)[0].rstrip("/").count("/"):
            raise UsageError(f"NEO4J_URI {self.shown_uri!r}: a path after the host is not used (valid: "
                             "scheme://host:port, NEO4J_DATABASE names the database)")
        if "@" in rest.split("/", 1)[0]:
            raise UsageError(f"NEO4J_URI {self.shown_uri!r} holds a user name or password: give them in "
                             "NEO4J_USERNAME and NEO4J_PASSWORD instead")
        self.database = settings.database or None
        self._driver: Any = None
        self._plan = settings.plan
        self._plan_checked = False  # a plan named in the settings is checked once against the database

    def _error(self, error: type[KgError], message: str) -> KgError:
        """`error(message)` with every secret of the settings redacted: every message of this store passes here."""
        return error(redact(message, self.settings.secrets()))

    def _fail(self, e: Exception) -> KgError:
        """A one-line error naming the URI and database, never the password."""
        from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable

        where = f"Neo4j at {self.shown_uri}" + (f" (database {self.database!r})" if self.database else "")
        code = getattr(e, "code", None) or ""
        if isinstance(e, AuthError):
            return self._error(StoreError, f"{where}: authentication failed for user {self.settings.user!r}; "
                                           "check NEO4J_USERNAME and NEO4J_PASSWORD")
        if isinstance(e, ServiceUnavailable):
            return self._error(StoreError, f"{where}: unreachable ({type(e).__name__}); is the server running?")
        if isinstance(e, ClientError) and "DatabaseNotFound" in code:
            return self._error(StoreError, f"{where}: no such database; check NEO4J_DATABASE")
        if "TransactionTimedOut" in code:
            return self._error(QueryLimitError, f"{where}: the query ran longer than {self.settings.timeout or 0:g} s "
                                                "and was stopped (a narrower query, or a larger --timeout)")
        if "OutOfMemory" in code or "MemoryPool" in code:
            return self._error(QueryLimitError, f"{where}: the query needs more memory than the server allows and "
                                                "was stopped (a narrower query, or a LIMIT)")
        first = str(getattr(e, "message", None) or e).splitlines()[0] if str(e) else type(e).__name__
        if isinstance(e, ClientError) and ".Statement." in code:  # the query text, not the server
            return self._error(QueryError, f"{where}: {first}")
        return self._error(StoreError, f"{where}: {first}")

    @property
    def driver(self) -> Any:
        if self._driver is None:
            import neo4j

            try:
                driver = neo4j.GraphDatabase.driver(
                    self.uri, auth=(self.settings.user, self.settings.password or ""),
                    connection_timeout=TIMEOUT_S, connection_acquisition_timeout=TIMEOUT_S,
                    max_transaction_retry_time=TIMEOUT_S)
                driver.verify_connectivity()
                # verify_connectivity does not check the database exists: ask it something
                driver.execute_query("RETURN 1", database_=self.database, routing_=neo4j.RoutingControl.READ)
            except Exception as e:
                if "driver" in locals():
                    driver.close()
                if isinstance(e, neo4j.exceptions.Neo4jError | neo4j.exceptions.DriverError | ValueError):
                    raise self._fail(e) from e
                raise
            self._driver = driver
        return self._driver

    # -- writing ----------------------------------------------------------------------------------------
    def _write(self, work: Callable[[Any], Any]) -> Any:
        import neo4j

        try:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(work)  # managed: transient errors are retried by the driver
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as e:
            raise self._fail(e) from e

    def ensure_schema(self) -> None:
        """The uid constraint and the plan index on PlanNode (a query over a whole plan names `:PlanNode`), and
        per kind an index on uid (the named queries find one entity by `(:Kind {uid: $x_uid})`). The per-kind
        (plan, id) indexes of earlier versions go: the queries no longer use them, and each index slows the load
        and the swap that renames a plan."""
        statements = ["CREATE CONSTRAINT plan_node_uid IF NOT EXISTS FOR (n:PlanNode) REQUIRE n.uid IS UNIQUE",
                      "CREATE INDEX plan_node_plan IF NOT EXISTS FOR (n:PlanNode) ON (n.plan)"]
        statements += [f"DROP INDEX plan_{kind.lower()}_{old} IF EXISTS"
                       for kind in NODE_KINDS for old in ("id", "plan")]
        statements += [f"CREATE INDEX plan_{kind.lower()}_uid IF NOT EXISTS FOR (n:{kind}) ON (n.uid)"
                       for kind in NODE_KINDS]
        def run(tx: Any, statement: str) -> None:
            tx.run(statement).consume()

        for statement in statements:
            self._write(functools.partial(run, statement=statement))

    def build(self, graph: PlanGraph) -> None:
        self.build_all([graph])

    def build_all(self, graphs: list[PlanGraph], late: Late | None = None) -> None:
        """Replace each plan's graph. All plans load under staging ids in large batches, then are swapped in: a
        plan being replaced in its own transaction, new plans several to a transaction. Every plan is replaced
        atomically, and a failure before the swaps changes none. What `late` adds is waited for first."""
        if late is not None:
            late.finish()
        for g in graphs:  # Neo4j takes rows: deferred nodes are made first
            g.make_deferred()
        self.ensure_schema()
        stagings = {g.plan_id: f"{g.plan_id}#staging-{uuid.uuid4().hex[:12]}" for g in graphs}
        # what a killed build of these plans left behind: invisible to reads, but it would hold uids we need
        self._write(lambda tx: tx.run("UNWIND $plans AS plan MATCH (n:PlanNode) WHERE n.plan STARTS WITH "
                                      "plan + '#staging-' DETACH DELETE n", plans=list(stagings)).consume())
        existing = {r["plan"] for r in self._read_raw(
            "UNWIND $plans AS plan MATCH (n:PlanNode {plan: plan}) RETURN DISTINCT plan", {"plans": list(stagings)})}
        # A plan not in the database yet loads with its final uids (they cannot collide), so its swap only
        # renames the plan; a plan being replaced loads with staging uids, renamed when the old graph goes.
        prefixes = {plan: staging if plan in existing else plan for plan, staging in stagings.items()}
        try:
            self._load(graphs, stagings, prefixes)
            for plan in existing:
                self._write(functools.partial(self._swap, plan=plan, staging=stagings[plan]))
            sizes = {g.plan_id: len(g.nodes) for g in graphs}
            for chunk in _chunks([p for p in stagings if p not in existing], sizes):
                self._write(functools.partial(self._publish, pairs=[{"plan": p, "staging": stagings[p]}
                                                                    for p in chunk]))
        except BaseException:
            for staging in stagings.values():
                self._delete_plan(staging)
            raise
        if len(graphs) == 1:
            self._plan = graphs[0].plan_id

    def _load(self, graphs: list[PlanGraph], stagings: dict[str, str], prefixes: dict[str, str]) -> None:
        # Labels and types are the model's kinds, never user input; every value travels as a parameter.
        # Staging uids are new (a fresh random suffix), so nodes are CREATEd; the uid constraint still guards them.
        # Each node batch returns its nodes' element ids, and the edges find their ends by element id (a direct
        # record lookup) rather than by two uid index seeks per edge. Properties are written as a map of the
        # model's columns in the CREATE itself: `SET n = row` after it made Neo4j plan an Eager (every row held
        # before the first write) for a read/set conflict, and set each node's properties after its labels.
        # An empty value is a null in that map, and Neo4j stores no property for it.
        def write_nodes(tx: Any, kind: str, batch: list[dict[str, Any]]) -> dict[str, str]:
            props = ", ".join(f"`{c}`: row.`{c}`" for c in node_columns(kind))
            record = tx.run(f"UNWIND $rows AS row CREATE (n:PlanNode:{kind} {{{props}}}) "
                            "RETURN collect(n.uid) AS uids, collect(elementId(n)) AS ids", rows=batch).single()
            return dict(zip(record["uids"], record["ids"], strict=True))

        def write_edges(tx: Any, kind: str, batch: list[dict[str, Any]]) -> int:
            props = ", ".join(f"`{c}`: row.props.`{c}`" for c in edge_columns(kind))
            return int(tx.run("UNWIND $rows AS row MATCH (a) WHERE elementId(a) = row.src "
                              "MATCH (b) WHERE elementId(b) = row.dst "
                              f"CREATE (a)-[r:{kind} {{{props}}}]->(b) RETURN count(r) AS n",
                              rows=batch).single()["n"])

        ids: dict[str, str] = {}
        nodes_of = nodes_by_kind(graphs)
        for kind in NODE_KINDS:
            for batch in _batches(node_params(graphs, kind, stagings, prefixes, nodes_of)):
                ids.update(self._write(functools.partial(write_nodes, kind=kind, batch=batch)))
        for kind, rows in edge_params(graphs, prefixes).items():
            missing = [row for row in rows if row["src"] not in ids or row["dst"] not in ids]
            if missing:
                raise self._dangling(kind, len(missing))
            for row in rows:  # these rows are this load's own
                row["src"], row["dst"] = ids[row["src"]], ids[row["dst"]]
            for batch in _batches(rows):
                made = self._write(functools.partial(write_edges, kind=kind, batch=batch))
                if made != len(batch):
                    raise self._dangling(kind, len(batch) - made)

    def _dangling(self, kind: str, n: int) -> KgError:
        return self._error(StoreError, f"building in Neo4j at {self.shown_uri} failed, the previous graph is "
                                       f"unchanged: {n} {kind} edge(s) name a node that does not exist")

    @staticmethod
    def _swap(tx: Any, plan: str, staging: str) -> None:
        """Replace a plan: its old graph goes, the staging graph takes its id and uids, in one transaction."""
        tx.run(DELETE_PLAN, plan=plan).consume()
        tx.run("MATCH (n:PlanNode {plan: $staging}) SET n.plan = $plan, n.uid = $plan + ':' + n.id",
               staging=staging, plan=plan).consume()

    @staticmethod
    def _publish(tx: Any, pairs: list[dict[str, str]]) -> None:
        """Make new plans visible: their nodes already carry the final uids, only the plan id changes."""
        tx.run("UNWIND $pairs AS pair MATCH (n:PlanNode {plan: pair.staging}) SET n.plan = pair.plan",
               pairs=pairs).consume()

    def _delete_plan(self, plan: str) -> None:
        with contextlib.suppress(StoreError):  # the original error is the one to report
            self.delete_plan(plan)

    def delete_plan(self, plan: str) -> None:
        self._write(lambda tx: tx.run(DELETE_PLAN, plan=plan).consume())

    # -- reading ----------------------------------------------------------------------------------------
    def plans(self) -> list[str]:
        """The plans the database holds (not the staging graphs of a build in progress)."""
        return [r["plan"] for r in self._read_raw(
            "MATCH (n:Plan:PlanNode) WHERE NOT n.plan CONTAINS '#staging-' RETURN n.plan AS plan ORDER BY plan", {})]

    def plan_id(self) -> str:
        if self._plan is None:
            plans = self.plans()
            if len(plans) != 1:
                raise self._error(UsageError, f"Neo4j at {self.shown_uri} holds {len(plans)} plans "
                                              f"({', '.join(plans) or 'none'}); name one with --plan" if plans else
                                  f"Neo4j at {self.shown_uri} holds no plan: run `kg build --store neo4j` first")
            self._plan = plans[0]
            self._plan_checked = True
        elif not self._plan_checked:
            plans = self.plans()
            if self._plan not in plans:
                raise self._error(NotFoundError, f"no plan {self._plan!r} in Neo4j at {self.shown_uri} "
                                                 f"(plans: {', '.join(plans) or 'none'})")
            self._plan_checked = True
        return self._plan

    def _read_raw(self, cypher: str, params: dict[str, Any], max_rows: int | None = None) -> list[dict[str, Any]]:
        import neo4j

        @neo4j.unit_of_work(timeout=self.settings.timeout)
        def work(tx: Any) -> Rows:
            result = tx.run(cypher, params)
            rows = Rows(columns=list(result.keys()))
            for record in result:  # records arrive in batches as they are read: stop at max_rows
                rows.append(record.data())
                if max_rows is not None and len(rows) >= max_rows:
                    break
            result.consume()  # the rest is discarded on the server, not fetched
            return rows

        try:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                rows: Rows = session.execute_read(work)
                return rows
        except neo4j.exceptions.ClientError as e:
            if "AccessMode" in (e.code or "") or "Writing in read access mode" in str(e):
                raise self._error(ReadOnlyError, "refused: Neo4j ran the query read-only and it tried to write "
                                                 f"({e.message})") from e
            raise self._fail(e) from e
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as e:
            raise self._fail(e) from e

    def read(self, cypher: str, params: dict[str, Any] | None = None, max_rows: int | None = None
             ) -> list[dict[str, Any]]:
        params = params or {}
        return self._read_raw(cypher, derived_params(cypher, params, params.get("plan") or self.plan_id()), max_rows)

    def counts(self) -> dict[str, dict[str, int]]:
        nodes = {r["kind"]: r["n"] for r in self.read(
            "MATCH (n:PlanNode {plan: $plan}) UNWIND [l IN labels(n) WHERE l <> 'PlanNode'] AS kind "
            "RETURN kind, count(*) AS n")}
        edges = {r["kind"]: r["n"] for r in self.read(
            "MATCH (a:PlanNode {plan: $plan})-[r]->(:PlanNode) RETURN type(r) AS kind, count(r) AS n")}
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}

    def read_graph(self) -> PlanGraph:
        nodes: list[tuple[str, dict[str, Any]]] = []
        edges: list[tuple[str, dict[str, Any]]] = []
        for kind in NODE_KINDS:
            cols = ", ".join(f"n.{c} AS {c}" for c in node_columns(kind))
            nodes += [(kind, row) for row in self.read(
                f"MATCH (n:{kind}:PlanNode {{plan: $plan}}) RETURN {cols} ORDER BY n.uid")]
        for kind in EDGE_KINDS:
            cols = "".join(f", r.{c} AS {c}" for c in edge_columns(kind))
            edges += [(kind, row) for row in self.read(
                f"MATCH (a:PlanNode {{plan: $plan}})-[r:{kind}]->(b) RETURN a.id AS src, b.id AS dst{cols}")]
        return graph_from_rows(self.plan_id(), nodes, edges)

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None


_PROV = tuple(PROV_ATTRS.items())


def _set_present(row: dict[str, Any], props: tuple[str, ...], values: dict[str, Any], provenance: Any,
                 columns: tuple[tuple[str, str], ...] = _PROV) -> None:
    """Into `row`: the entity's properties `props` and the provenance `columns` its kind stores (column,
    attribute), the empty ones left out (Neo4j stores no null)."""
    for p in props:
        v = values.get(p)
        if v is not None:
            row[p] = v
    for column, attr in columns:
        v = getattr(provenance, attr)
        if v is not None:
            row[column] = v


def node_params(graphs: list[PlanGraph], kind: str, plans: dict[str, str] | None = None,
                prefixes: dict[str, str] | None = None, by_kind: list[dict[str, list[Node]]] | None = None
                ) -> list[dict[str, Any]]:
    """Rows for `UNWIND $rows ... SET n = row`: `node_table`'s columns and values, empty ones left out (Neo4j
    stores no null), built a row at a time (the column lists and a second pass cost 5 s at 1000 plans).
    `by_kind` (from `nodes_by_kind`) saves a pass over every node per kind, as for `node_table`.
    tests/test_stores.py checks the rows equal `node_table`'s."""
    props = tuple(NODE_KINDS[kind])
    out: list[dict[str, Any]] = []
    for i, g in enumerate(graphs):
        plan = (plans or {}).get(g.plan_id, g.plan_id)
        prefix = (prefixes or {}).get(g.plan_id, plan)
        for n in (by_kind[i].get(kind, []) if by_kind is not None else g.of_kind(kind)):
            row = {"uid": f"{prefix}:{n.id}", "id": n.id, "kind": kind, "plan": plan}
            for column, v in (("name", n.name), ("name_en", n.name_en), ("text", n.text)):
                if v is not None:
                    row[column] = v
            _set_present(row, props, n.props, n.provenance)
            out.append(row)
    return out


def edge_params(graphs: list[PlanGraph], prefixes: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows for `UNWIND $rows ... MATCH` the two ends by uid, `SET r = row.props`, per edge kind, in one pass over
    the edges (a pass per kind cost 19 passes). tests/test_stores.py checks the rows equal `edge_table`'s."""
    props = {kind: tuple(columns) for kind, (_, columns) in EDGE_KINDS.items()}
    prov = {kind: tuple((c, a) for c, a in _PROV if c in edge_columns(kind)) for kind in EDGE_KINDS}
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in EDGE_KINDS}
    for g in graphs:
        prefix = (prefixes or {}).get(g.plan_id, g.plan_id)
        for e in g.edges:
            row: dict[str, Any] = {}
            _set_present(row, props[e.kind], e.props, e.provenance, prov[e.kind])
            out[e.kind].append({"src": f"{prefix}:{e.source}", "dst": f"{prefix}:{e.target}", "props": row})
    return out


def _batches(rows: list[Any]) -> list[list[Any]]:
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


def _chunks(plans: list[str], sizes: dict[str, int]) -> list[list[str]]:
    """Plans grouped so that each group holds about BATCH nodes (a large plan forms a group of its own)."""
    out: list[list[str]] = []
    total = BATCH
    for plan in plans:
        if total + sizes[plan] > BATCH:
            out.append([])
            total = 0
        out[-1].append(plan)
        total += sizes[plan]
    return out
