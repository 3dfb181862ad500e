"""The embedded default store: Ladybug (the maintained fork of Kùzu), one database file on disk.

A build writes a complete new database beside the current one with `COPY ... FROM` Arrow tables and swaps it
in only when it is complete, so a failed build leaves the previous graph intact. Queries open the file
read-only, so the database itself refuses writes.

Ladybug indexes only a table's primary key (`uid`, `<plan>:<id>`). A file may hold many plans (a province's
cities), so the named queries never filter a whole table by `plan`: one entity is found by its uid, and a whole
plan through `IN_PLAN`, a relation from each of the plan's nodes (its Plan node included) to its Plan node,
readings excepted (observations, reached through their indicator: see kg.model.OBSERVATION_KINDS). It is an
access path, not a fact of the plan: it is not in the model, and `read_graph` and `counts` leave it out.
"""

from __future__ import annotations

import gc
import glob
import os
import shutil
import stat
from pathlib import Path, PurePosixPath
from typing import Any

from kg.errors import NotFoundError, QueryError, QueryLimitError, ReadOnlyError, StoreError, UsageError
from kg.model import EDGE_KINDS, NODE_KINDS, OBSERVATION_KINDS, PlanGraph
from kg.stores import integrity
from kg.stores.base import (
    Late,
    Rows,
    StoreSettings,
    derived_params,
    edge_columns,
    graph_from_rows,
    node_columns,
)
from kg.stores.ladybug_load import IN_PLAN, primary_key, stored_columns, tables

BUFFER_POOL = 256 * 1024**2  # the least the store gives the engine (its default would take most of the machine's)
POOL_PER_ROW = 512  # bytes of buffer pool per row loaded (nodes, edges, IN_PLAN): measured, see bench/README.md
_SIDE_FILES = (".wal", ".lock", ".shadow", ".tmp")


def cgroup_limit_files(proc: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")) -> list[Path]:
    """The memory-limit files that bound this process: its own cgroup's and each parent's (v2 `memory.max`, v1
    `memory.limit_in_bytes`), then the roots'. A limit set on the process's own cgroup (a container, a systemd
    unit's MemoryMax=, a job's sub-cgroup) is seen; a file that does not exist is skipped by the reader."""
    out: list[Path] = []
    try:
        lines = proc.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3 or not parts[2].startswith("/"):
            continue
        if parts[0] == "0" and parts[1] == "":  # cgroup v2: 0::/path
            base, name = root, "memory.max"
        elif "memory" in parts[1].split(","):  # cgroup v1: N:memory:/path
            base, name = root / "memory", "memory.limit_in_bytes"
        else:
            continue
        here = PurePosixPath(parts[2])
        for folder in [here, *here.parents]:
            out.append(base.joinpath(*folder.parts[1:]) / name)
    return list(dict.fromkeys([*out, root / "memory.max", root / "memory" / "memory.limit_in_bytes"]))  # roots once


def memory_cap(limits: list[Path] | tuple[Path, ...] | None = None) -> int:
    """Half the memory this process may use: the machine's, or the lowest cgroup limit above it (see
    `cgroup_limit_files`). The most a sized buffer pool takes without being asked."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in cgroup_limit_files() if limits is None else limits:
        try:
            text = limit.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit():  # "max": no limit
            memory = min(memory, int(text))
    return memory // 2


LEAST_POOL_MIB = BUFFER_POOL >> 20  # a smaller pool fails even a plan of a few hundred nodes (128 MiB did)


def check_pool_mib(chosen_mib: int) -> None:
    """Refuse a chosen buffer pool outside what a build can use: under the least one or over the memory."""
    total = 2 * memory_cap() >> 20
    if not LEAST_POOL_MIB <= chosen_mib <= total:  # over: the engine said "out of memory", as if the file were bad
        raise UsageError(f"--buffer-pool {chosen_mib} MiB: outside what a build can use, {total} MiB of memory "
                         f"for this process (valid: {LEAST_POOL_MIB} to {total})")


def load_rows(graphs: list[PlanGraph], counts: list[dict[str, dict[str, int]]] | None = None) -> int:
    """The rows a load of `graphs` copies: every node, its IN_PLAN row (observations have none), every edge (what
    `build_pool` sizes by); `counts` are the graphs' own `counts()` when known."""
    rows = 0
    for c in counts if counts is not None else [g.counts() for g in graphs]:
        rows += sum(c["edges"].values()) + sum(n * (1 if kind in OBSERVATION_KINDS else 2)
                                               for kind, n in c["nodes"].items())
    return rows


def build_pool(rows: int, chosen_mib: int | None = None) -> int:
    """The buffer pool for loading `rows` rows: the one chosen, else sized to the data. A COPY keeps the pages of
    the table it fills in the pool until the table is written, so 256 MiB ran out at ~2M rows."""
    if chosen_mib:
        check_pool_mib(chosen_mib)
        return chosen_mib * 2**20
    return max(BUFFER_POOL, min(memory_cap(), rows * POOL_PER_ROW))


def read_pool(path: Path, chosen_mib: int | None = None) -> int:
    """The buffer pool for reading a database file: the one chosen, else room for the whole file twice over."""
    if chosen_mib:
        return chosen_mib * 2**20
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if 2 * size <= BUFFER_POOL:  # a plan's file: the cgroup files need not be read on every open
        return BUFFER_POOL
    return max(BUFFER_POOL, min(memory_cap(), 2 * size))


def _remove_side_files(path: Path) -> None:
    """The .wal/.lock files beside a database: a log left beside another database must never be replayed."""
    for side in _SIDE_FILES:
        path.with_name(path.name + side).unlink(missing_ok=True)


def _remove_db(path: Path) -> None:
    _remove_side_files(path)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _staged_counts(conn: Any) -> dict[str, int]:
    nodes = sum(conn.execute(f"MATCH (n:{kind}) RETURN count(n)").get_next()[0] for kind in NODE_KINDS)
    edges = sum(conn.execute(f"MATCH ()-[r:{kind}]->() RETURN count(r)").get_next()[0] for kind in EDGE_KINDS)
    return {"nodes": nodes, "edges": edges}


def ddl() -> list[str]:
    """The schema, derived from the model: one node table per kind, one rel table per edge kind."""
    out = []
    for kind in NODE_KINDS:
        cols = ", ".join(f"{c} {t}" for c, t in stored_columns(kind).items())
        out.append(f"CREATE NODE TABLE {kind}({cols}, PRIMARY KEY ({primary_key(kind)}))")
    for kind, (pairs, _) in EDGE_KINDS.items():
        ends = ", ".join(f"FROM {a} TO {b}" for a, b in pairs)
        cols = "".join(f", {c} {t}" for c, t in edge_columns(kind).items())
        out.append(f"CREATE REL TABLE {kind}({ends}{cols})")
    members = ", ".join(f"FROM {kind} TO Plan" for kind in NODE_KINDS if kind not in OBSERVATION_KINDS)
    out.append(f"CREATE REL TABLE {IN_PLAN}({members})")
    return out


class LadybugStore:
    kind = "ladybug"

    def __init__(self, settings: StoreSettings) -> None:
        self.path = Path(settings.path)
        self._db: Any = None
        self._conn: Any = None
        self._chosen_plan = settings.plan
        self._wait = settings.wait
        self._timeout = settings.timeout
        self._plan: str | None = settings.plan  # a file usually holds one plan: then looked up once per open
        self._plan_checked = False  # a plan named in the settings is checked once against the file
        self._pool_mib = settings.buffer_pool_mib
        self._pool = BUFFER_POOL  # the pool of the database open now (named in messages)

    # -- writing ----------------------------------------------------------------------------------------
    def build(self, graph: PlanGraph) -> None:
        self.build_all([graph])

    def build_all(self, graphs: list[PlanGraph], late: Late | None = None) -> None:
        """Write several plans into one file in one atomic build (the benchmarks' corpus; `kg build` writes one).

        One writer at a time holds the lock beside the file (`settings.wait` waits for it). The graph is staged
        under a name unique to this process, its counts are checked, and only then is it swapped in, with its
        size, mtime and SHA-256 recorded beside it (see kg/stores/integrity.py). With `late` (the plans' readings
        being imported meanwhile), the rest is copied first and what it adds last (kg.stores.ladybug_load.tables);
        an error it raises fails the build like any other."""
        from kg.lock import writer_lock
        from kg.output import writable_folder

        self.close()
        if self.path.is_symlink():  # the swap would replace the link itself and leave the file it names stale
            self.path = Path(os.path.realpath(self.path))
        writable_folder(self.path.parent, self.path)
        if self.path.is_dir():
            raise UsageError(f"{self.path}: is a folder (valid: a database file name, e.g. .kg/plan.lbug)")
        try:
            mode: int | None = self.path.stat().st_mode
        except OSError:
            mode = None  # missing (made below), or unreadable: the staging and the swap say why
        if mode is not None and not stat.S_ISREG(mode):  # a FIFO, a socket, /dev/null: never replaced
            raise UsageError(f"{self.path}: exists and is not a regular file, it is not replaced "
                             "(valid: a database file name, e.g. .kg/plan.lbug)")
        with writer_lock(self.path, "kg build", self._wait):
            for leftover in self.path.parent.glob(f"{glob.escape(self.path.name)}.new*"):
                _remove_db(leftover)  # staged by a build that was killed: the lock says none is running
            staging = self.path.with_name(f"{self.path.name}.new-{os.getpid()}")
            try:
                self._stage(staging, graphs, late)
            except BaseException:
                _remove_db(staging)
                raise
            integrity.record(self.path, integrity.measure(staging))  # before the swap: see integrity.record
            _remove_side_files(self.path)  # the old database's log must not be replayed onto the new one
            os.replace(staging, self.path)
            wal = staging.with_name(staging.name + ".wal")
            if wal.exists():
                os.replace(wal, self.path.with_name(self.path.name + ".wal"))
            _remove_side_files(staging)

    def _stage(self, staging: Path, graphs: list[PlanGraph], late: Late | None = None) -> None:
        """Write the graphs into a new database at `staging` and check what it holds."""
        import ladybug

        counts = [g.counts() for g in graphs]  # one pass over every node (what the staged graph must hold)
        rows = load_rows(graphs, counts) + (late.rows if late is not None else 0)
        self._pool = build_pool(rows, self._pool_mib)
        try:
            db = ladybug.Database(str(staging), buffer_pool_size=self._pool)
            conn = ladybug.Connection(db)
        except RuntimeError as e:
            raise StoreError(f"building {self.path} failed, the previous graph is unchanged: {e}") from e
        collecting = gc.isenabled()
        gc.disable()  # the columns are millions of acyclic objects: the cyclic collector would walk them over and over
        try:
            # the schema in one transaction (a commit per statement was a tenth of a small plan's build); each COPY
            # commits on its own: one transaction around them all holds every table in memory until the end
            conn.execute("BEGIN TRANSACTION")
            for statement in ddl():
                conn.execute(statement)
            conn.execute("COMMIT")
            made = tables(graphs, staging.with_name(staging.name + ".tables"), rows, memory_cap() - self._pool, late)
            for statement, target, table in made:
                if table.num_rows:
                    try:
                        conn.execute(statement, {"rows": table})
                    except RuntimeError as e:
                        raise RuntimeError(f"copying {table.num_rows:,} rows into {target}: {e}") from e
            got = _staged_counts(conn)
            if late is not None:  # what it added is in the graphs now
                counts = [g.counts() for g in graphs]
        except RuntimeError as e:
            if "Buffer manager exception" in str(e):
                raise StoreError(f"building {self.path} failed, the previous graph is unchanged: {e} (the buffer "
                                 f"pool was {self._pool >> 20} MiB: give kg build --buffer-pool a larger size in "
                                 "MiB)") from e
            raise StoreError(f"building {self.path} failed, the previous graph is unchanged: {e}") from e
        finally:
            if collecting:
                gc.enable()
            conn.close()
            db.close()
        expected = {element: sum(n for c in counts for n in c[element].values()) for element in ("nodes", "edges")}
        if got != expected:
            raise StoreError(f"building {self.path} failed, the previous graph is unchanged: the staged graph holds "
                             f"{got['nodes']} nodes and {got['edges']} edges, not {expected['nodes']} and "
                             f"{expected['edges']}")

    # -- reading ----------------------------------------------------------------------------------------
    def _connection(self) -> Any:
        if self._conn is None:
            import ladybug

            if not self.path.exists():
                raise UsageError(f"no graph at {self.path}: run `kg build` first")
            integrity.check(self.path)
            if self.path.is_file() and self.path.stat().st_size == 0:
                raise UsageError(f"no graph in {self.path} (the file is empty): run `kg build`")
            try:
                self._pool = read_pool(self.path, self._pool_mib)
                self._db = ladybug.Database(str(self.path), read_only=True, buffer_pool_size=self._pool)
                self._conn = ladybug.Connection(self._db)
            except RuntimeError as e:
                leftovers = [s for s in _SIDE_FILES if self.path.with_name(self.path.name + s).exists()]
                hint = (f" ({', '.join(leftovers)} files left by a process that was killed)" if leftovers else "")
                raise StoreError(f"cannot open the graph at {self.path}{hint}: {e}; run `kg build` to rebuild it")\
                    from e
            tables = {r["name"] for r in self._execute(self._conn, "CALL show_tables() RETURN name", {})}
            if "Plan" not in tables:
                self.close()
                raise UsageError(f"no graph in {self.path}: run `kg build`")
            # one thread per read: the named queries touch one plan's few hundred rows, and handing them to the
            # engine's pool cost more than it saved (N=1000: impact 8.7 -> 4.5 ms, target_tree 6.1 -> 3.3 ms)
            self._conn.set_max_threads_for_exec(1)
            if self._timeout:
                self._conn.set_query_timeout(max(1, round(self._timeout * 1000)))
        return self._conn

    def plans(self) -> list[str]:
        """The plans the file holds."""
        return [r["plan"] for r in self._execute(self._connection(), "MATCH (p:Plan) RETURN p.plan AS plan "
                                                 "ORDER BY plan", {})]

    def read(self, cypher: str, params: dict[str, Any] | None = None, max_rows: int | None = None
             ) -> list[dict[str, Any]]:
        conn = self._connection()
        params = dict(params or {})
        if self._plan is not None and self._plan == self._chosen_plan and not self._plan_checked:
            plans = self.plans()
            if self._plan not in plans:
                raise NotFoundError(f"no plan {self._plan!r} in {self.path} (plans: {', '.join(plans) or 'none'})")
            self._plan_checked = True
        if "$plan" in cypher or "_uid" in cypher:  # a file usually holds one plan: queries still name it
            params = derived_params(cypher, params, params.get("plan") or self._plan_id(conn))
        return self._execute(conn, cypher, params, max_rows, self._timeout)

    def _plan_id(self, conn: Any) -> str:
        if self._plan is None:
            plans = [r["plan"] for r in self._execute(conn, "MATCH (p:Plan) RETURN p.plan AS plan ORDER BY plan", {})]
            if len(plans) != 1:
                raise UsageError(f"{self.path} holds {len(plans)} plans ({', '.join(plans[:5])}"
                                 f"{', ...' if len(plans) > 5 else ''}); name one with --plan" if plans else
                                 f"{self.path} holds no plan: run `kg build` first")
            self._plan = plans[0]
        return self._plan

    def _execute(self, conn: Any, cypher: str, params: dict[str, Any], max_rows: int | None = None,
                 timeout: float | None = None) -> list[dict[str, Any]]:
        """Run one statement, fetching at most `max_rows` rows: the result is read row by row, never whole."""
        rows = Rows()
        try:
            result = conn.execute(cypher, params)
            if isinstance(result, list):  # several statements: the check in kg.guard lets none through
                for r in result:
                    r.close()
                raise UsageError("one statement at a time: the query holds several (separated by ';')")
            try:
                columns = rows.columns = result.get_column_names()
                while (max_rows is None or len(rows) < max_rows) and result.has_next():
                    rows.append(dict(zip(columns, result.get_next(), strict=True)))
            finally:
                result.close()
        except RuntimeError as e:
            message = str(e).splitlines()[0] if str(e) else type(e).__name__
            if "read-only" in message or "read only" in message:
                raise ReadOnlyError(f"refused: the graph is opened read-only ({message})") from e
            if message.startswith("Interrupted"):
                raise QueryLimitError(f"the query ran longer than {timeout or 0:g} s and was stopped (a narrower "
                                      "query, or a larger --timeout)") from e
            if "Buffer manager exception" in message:
                raise QueryLimitError(f"the query needs more than the {self._pool >> 20} MiB the store may use "
                                      "and was stopped (a narrower query, or a LIMIT)") from e
            if message.startswith(("Parser exception", "Binder exception")):  # the query text, not the store
                raise QueryError(f"Ladybug: {message}") from e
            raise StoreError(f"Ladybug: {message}") from e
        return rows

    def counts(self) -> dict[str, dict[str, int]]:
        nodes, edges = {}, {}
        for kind in NODE_KINDS:
            n = self.read(f"MATCH (n:{kind}) WHERE n.plan = $plan RETURN count(n) AS n")[0]["n"]
            if n:
                nodes[kind] = n
        for kind in EDGE_KINDS:
            n = self.read(f"MATCH (a)-[r:{kind}]->() WHERE a.plan = $plan RETURN count(r) AS n")[0]["n"]
            if n:
                edges[kind] = n
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}

    def read_graph(self) -> PlanGraph:
        nodes: list[tuple[str, dict[str, Any]]] = []
        edges: list[tuple[str, dict[str, Any]]] = []
        plan = None
        for kind in NODE_KINDS:
            cols = ", ".join(f"n.{c} AS {c}" for c in node_columns(kind))
            for row in self.read(f"MATCH (n:{kind}) WHERE n.plan = $plan RETURN {cols} ORDER BY n.uid"):
                plan = row["plan"]
                nodes.append((kind, row))
        for kind in EDGE_KINDS:
            cols = "".join(f", r.{c} AS {c}" for c in edge_columns(kind))
            for row in self.read(f"MATCH (a)-[r:{kind}]->(b) WHERE a.plan = $plan "
                                 f"RETURN a.id AS src, b.id AS dst{cols}"):
                edges.append((kind, row))
        return graph_from_rows(plan or "", nodes, edges)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._db.close()
        self._conn = self._db = None
        self._plan = self._chosen_plan
        self._plan_checked = False
