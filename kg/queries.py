"""cypher/ -> named queries: the file stem is the name, the folder the topic, the header the doc and params.

Header lines: `// purpose` first, then one `// param NAME: description` per parameter, or
`// param NAME (int): description` for a whole number (`(int 1..10)`: from 1 to 10). `$plan` is supplied by
the store and need not be declared; so is `$NAME_uid` for a declared NAME: the uid of the entity NAME names in
that plan (`<plan>:<id>`, see `derived_params`), which lets a query find it through the stores' uid index
rather than scan for `{plan, id}`. For a parameter that takes an entity of any kind (`source`, `dest`), a label
written `:$NAME_kind` is filled with that entity's kind, which name resolution already knows (`(a:$source_kind
{uid: $source_uid})` becomes `(a:Task {uid: ...})`): Ladybug finds a node by its primary key only in a named
table. The kind comes from the model's vocabulary, never from the caller's text; unknown (a query run without
name resolution), the label is left out, which matches the same node, only slower. The loader refuses duplicate
names and parameters used but not declared, or declared but not used.

Where a store's dialect truly differs, `cypher/<topic>/<store>/<name>.cypher` overrides the common text for
that store; it must declare the same parameters as the query it overrides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import QueryError, UsageError
from kg.stores.base import RE_UID_USE, Rows, columns_of

CYPHER_DIR = Path(__file__).resolve().parent.parent / "cypher"
IMPLICIT = {"plan"}
STORE_DIRS = ("ladybug", "neo4j")
RE_KIND_SLOT = re.compile(r":\$([A-Za-z_][A-Za-z0-9_]*)_kind\b")  # (a:$source_kind ...): the kind source names
RE_PARAM_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
RE_PARAM_DECL = re.compile(r"^//\s*param\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((int|text)(?:\s+(-?\d+)\.\.(-?\d+))?\))?"
                           r"\s*:\s*(.+)$")
INT64 = (-2**63, 2**63 - 1)  # what both stores hold in an integer

# A parameter named like a kind takes an entity of that kind; `kg query` resolves names to ids for it.
PARAM_KINDS = {"task": "Task", "target": "Target", "area": "Area", "indicator": "Indicator",
               "department": "Department", "other": "Department", "source": None, "dest": None}


@dataclass(frozen=True)
class Param:
    name: str
    doc: str
    type: str = "text"  # text | int
    low: int = INT64[0]  # an int's range, from `(int LOW..HIGH)` in the header
    high: int = INT64[1]

    @property
    def kind(self) -> str | None:
        """The entity kind this parameter names (None: any kind), or '' when it is not an entity."""
        return PARAM_KINDS.get(self.name, "")


@dataclass(frozen=True)
class Query:
    name: str
    topic: str
    doc: str
    params: dict[str, Param]
    text: str
    path: Path
    variants: dict[str, str] = field(default_factory=dict)  # store kind -> text

    def text_for(self, store: str) -> str:
        return self.variants.get(store, self.text)


def _parse(path: Path, root: Path) -> Query:
    raw = path.read_text(encoding="utf-8")
    lines = raw.splitlines()
    header = [line for line in lines if line.startswith("//")]
    body = "\n".join(line for line in lines if not line.startswith("//")).strip()
    where = path.relative_to(root.parent)
    if not header or RE_PARAM_DECL.match(header[0]):
        raise QueryError(f"{where}:1: a named query starts with '// <one line of purpose>'")
    params = {}
    for line in header[1:]:
        m = RE_PARAM_DECL.match(line)
        if m:
            low, high = (int(m.group(3)), int(m.group(4))) if m.group(3) else INT64
            params[m.group(1)] = Param(m.group(1), m.group(5).strip(), m.group(2) or "text", low, high)
    used = set(RE_PARAM_USE.findall(body)) - IMPLICIT
    for name in RE_UID_USE.findall(body):  # $task_uid uses task
        if name in params:
            used = (used - {f"{name}_uid"}) | {name}
    for name in RE_KIND_SLOT.findall(body):  # (a:$source_kind) uses source, which must take an entity of any kind
        if name not in params or params[name].kind is not None:
            raise QueryError(f"{where}: the label :${name}_kind needs a parameter {name} that takes an entity of "
                             f"any kind (valid: {', '.join(p for p, k in PARAM_KINDS.items() if k is None)})")
        used = (used - {f"{name}_kind"}) | {name}
    if used - set(params):
        raise QueryError(f"{where}: uses ${', $'.join(sorted(used - set(params)))} without declaring it "
                         "(add '// param NAME: what it is')")
    if set(params) - used:
        raise QueryError(f"{where}: declares {', '.join(sorted(set(params) - used))} but never uses it")
    if not body:
        raise QueryError(f"{where}: has a header but no Cypher")
    return Query(path.stem, path.parent.name, header[0].lstrip("/ ").strip(), params, body, path)


def load_queries(root: Path = CYPHER_DIR) -> dict[str, Query]:
    out: dict[str, Query] = {}
    for path in sorted(root.glob("*/*.cypher")):
        query = _parse(path, root)
        if query.name in out:
            raise QueryError(f"duplicate query name {query.name!r}: {out[query.name].path.relative_to(root.parent)} "
                             f"and {path.relative_to(root.parent)}")
        out[query.name] = query
    for path in sorted(root.glob("*/*/*.cypher")):
        where = path.relative_to(root.parent)
        store = path.parent.name
        if store not in STORE_DIRS:
            raise QueryError(f"{where}: a per-store variant lives in a folder named after a store "
                             f"({', '.join(STORE_DIRS)}), not {store!r}")
        variant = _parse(path, root)
        base = out.get(variant.name)
        if base is None or base.topic != path.parent.parent.name:
            raise QueryError(f"{where}: overrides no query (expected {path.parent.parent.name}/{path.name} beside it)")
        if variant.params != base.params:
            raise QueryError(f"{where}: declares other parameters than {base.path.relative_to(root.parent)}")
        base.variants[store] = variant.text
    return out


def bind(query: Query, given: dict[str, str]) -> dict[str, Any]:
    """Check the caller's parameters against the declaration and type them; values stay parameters, never text."""
    unknown = set(given) - set(query.params)
    missing = set(query.params) - set(given)
    if unknown or missing:
        expected = ", ".join(f"-p {p} VALUE" for p in query.params) or "no parameters"
        raise QueryError(f"query {query.name} takes {expected}" +
                         (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "") +
                         (f"; missing: {', '.join(sorted(missing))}" if missing else ""))
    out: dict[str, Any] = {}
    for name, value in given.items():
        param = query.params[name]
        if param.type == "int":
            valid = f"a whole number from {param.low} to {param.high}"
            try:
                number = int(value) if len(value) <= 40 else None  # int() of a huge text is slow
            except (TypeError, ValueError):
                number = None
            if number is None or not param.low <= number <= param.high:
                raise UsageError(f"query {query.name}: -p {name} takes {valid}, not {value[:40]!r}")
            out[name] = number
        else:
            out[name] = value
    return out


def run(store: Any, query: Query, params: dict[str, Any], max_rows: int | None = None,
        kinds: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Run a named query on a store, with that store's variant where there is one; at most `max_rows` rows.
    `kinds`: the kind of the entity each parameter names, where known (fills `:$NAME_kind` labels)."""
    rows: list[dict[str, Any]] = store.read(with_kinds(query.text_for(store.kind), kinds or {}), params,
                                            max_rows=max_rows)
    return Rows([_in_order(row) for row in rows], columns_of(rows))


def with_kinds(text: str, kinds: dict[str, str]) -> str:
    """`text` with each `:$NAME_kind` label replaced by the kind NAME's entity has, or left out when that is not
    known. Only a kind of the model's vocabulary is ever written into the text."""
    from kg.model import NODE_KINDS

    def label(m: re.Match[str]) -> str:
        kind = kinds.get(m.group(1))
        return f":{kind}" if kind in NODE_KINDS else ""

    return RE_KIND_SLOT.sub(label, text)


PATH_COLUMNS = {"ids", "names", "relations"}  # lists that follow a path: their order is the answer


def _in_order(row: dict[str, Any]) -> dict[str, Any]:
    """collect() has no defined order, and the stores differ: a collected list is shown the way people count
    (T4 before T35), so an answer reads the same every time and on every store."""
    from kg.model import natural_key

    return {k: sorted(v, key=lambda x: natural_key(str(x))) if isinstance(v, list) and k not in PATH_COLUMNS else v
            for k, v in row.items()}


def entity_rows(store: Any, queries: dict[str, Query] | None = None, kind: str = "") -> list[dict[str, Any]]:
    """Every entity of the plan in the store (of one kind, if given), with its names: what name resolution
    searches."""
    query = (queries or load_queries())["entities"]
    return run(store, query, {"kind": kind})


def lookup(queries: dict[str, Query], name: str) -> Query:
    if name in queries:
        return queries[name]
    import difflib

    close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.5)
    raise QueryError(f"no named query {name!r}" + (f"; did you mean {', '.join(close)}?" if close else "") +
                     " (`kg queries` lists them)")


def ask(store: Any, name: str, given: dict[str, str], queries: dict[str, Query] | None = None,
        max_rows: int | None = None) -> list[dict[str, Any]]:
    """Run a named query with the caller's parameters; parameters that name an entity accept codes and names."""
    from kg.resolve import entities_from_rows, resolve

    queries = queries or load_queries()
    query = lookup(queries, name)
    params = bind(query, given)
    entity_params = [p for p in query.params.values() if p.kind != ""]
    kinds: dict[str, str] = {}
    if entity_params:  # an exact id is looked up alone; anything else is resolved against every entity's names
        exact = {r["id"]: r["kind"] for r in store.read(ID_LOOKUP[store.kind], {
            "ids": sorted({str(params[p.name]) for p in entity_params})})}
        for p in entity_params:
            kind = exact.get(str(params[p.name]))
            if kind is not None and p.kind in (None, kind):
                kinds[p.name] = kind
        named = [p for p in entity_params if p.name not in kinds]
        if named:
            # only the kinds the parameters take (resolve looks at no other): a plan with its readings holds hundreds
            # of Reading and Assessment nodes that no parameter names, and fetching them was most of the query's time
            wanted = {p.kind for p in named}
            entities = [e for kind in ([""] if None in wanted else sorted(k for k in wanted if k))
                        for e in entities_from_rows(entity_rows(store, queries, kind))]
            for p in named:
                params[p.name] = resolve(entities, str(params[p.name]), p.kind)
                kinds[p.name] = next(e.kind for e in entities if e.id == params[p.name] and p.kind in (None, e.kind))
    return run(store, query, params, max_rows, kinds)


# The kinds of the entities (readings are observations: kg.model.OBSERVATION_KINDS; tests/test_queries.py checks
# every listing names each) whose ids are exactly these, in the plan: one index lookup each on Neo4j, the plan's
# nodes through IN_PLAN on Ladybug (a label-less uid lookup there scans every node table). `entities`, which name
# resolution needs for anything but an exact id, returns every entity of the plan with its names: ~10 ms on Neo4j.
ID_LOOKUP = {
    "neo4j": "UNWIND $ids AS id MATCH (n:PlanNode {uid: $plan + ':' + id}) WHERE n.kind <> 'Reading' "
             "RETURN n.id AS id, n.kind AS kind",
    "ladybug": "MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(n) WHERE n.id IN $ids AND n.kind <> 'Reading' "
               "RETURN n.id AS id, n.kind AS kind",
}


def cypher_value(name: str, text: str) -> Any:
    """A -p value for user Cypher: a JSON number, true/false, or a flat list of numbers, texts or true/false of
    one type; anything else is the text itself. Integers must fit the stores' 64 bits."""
    import json

    try:
        value = json.loads(text)
    except RecursionError:
        raise UsageError(f"-p {name}: a value nested too deep (valid: a number, true/false, a flat list, "
                         "or text)") from None
    except ValueError:
        return text
    if isinstance(value, list):
        kinds = {bool if isinstance(v, bool) else (int | float) if isinstance(v, int | float) else type(v)
                 for v in value}
        if not kinds <= {bool, int | float, str} or len(kinds) > 1:
            raise UsageError(f"-p {name}: a list holds values of one type, with no null and no nested list or "
                             "object (valid: [1, 2], [\"a\", \"b\"], [true, false])")
        for v in value:
            _check_number(name, v)
        return value
    if isinstance(value, int | float):
        _check_number(name, value)
        return value
    return text


def _check_number(name: str, value: Any) -> None:
    import math

    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        raise UsageError(f"-p {name}: {str(value)[:30]} does not fit a 64-bit integer (valid: {INT64[0]} to "
                         f"{INT64[1]})")
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"-p {name}: {value} is not a finite number")
