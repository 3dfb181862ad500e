"""Query commands: the named queries and read-only user Cypher."""

from __future__ import annotations

from typing import Annotated

import typer

from kg.cli.common import (
    DEFAULT_LIMIT,
    DEFAULT_TIMEOUT,
    PARAMS_HELP,
    WITH_PARAMS,
    DbOpt,
    Format,
    FormatOpt,
    LimitOpt,
    PlanOpt,
    StoreKind,
    StoreOpt,
    TimeoutOpt,
    command,
    emit,
    emit_limited,
    opened,
    params_from,
    valid_text,
)
from kg.stores.base import DEFAULT_DB


@command("queries")
def queries_cmd(fmt: FormatOpt = Format.table) -> None:
    """List the named queries: topic, name, purpose and parameters.

    Example: kg queries --format json
    """
    from kg.queries import load_queries

    rows = [{"topic": q.topic, "name": q.name, "purpose": q.doc,
             "parameters": [f"{p.name}: {p.doc}" for p in q.params.values()]}
            for q in sorted(load_queries().values(), key=lambda q: (q.topic, q.name))]
    emit(rows, fmt, "Named queries")


@command("query", context_settings=WITH_PARAMS, epilog=PARAMS_HELP)
def query_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A named query (see `kg queries`).")],
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table,
    limit: LimitOpt = DEFAULT_LIMIT, timeout: TimeoutOpt = DEFAULT_TIMEOUT,
) -> None:
    """Ask a named question. Entity parameters take a code (T15, 15), a Chinese or English name, or a unique part.

    Example: kg query departments_for_target -p target 结构调整
    """
    from kg.queries import ask

    given = params_from(ctx)
    with opened(store, db, plan, timeout) as graph_store:
        rows = ask(graph_store, name, given, max_rows=limit + 1)
    emit_limited(rows, limit, fmt, name)


@command("cypher", context_settings=WITH_PARAMS, epilog=PARAMS_HELP)
def cypher_cmd(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Read-only Cypher; $plan is filled in, other values come from -p.")],
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table,
    limit: LimitOpt = DEFAULT_LIMIT, timeout: TimeoutOpt = DEFAULT_TIMEOUT,
) -> None:
    """Run your own read-only Cypher: one query of MATCH, WHERE, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION
    and pure functions; anything else (CREATE, SET, COPY, LOAD, CALL of most procedures, ...) is refused.

    Values travel as parameters: write $name in the query and pass -p name VALUE.

    Example: kg cypher "MATCH (t:Task {plan: $plan}) WHERE t.number < $n RETURN t.id, t.name" -p n 4
    """
    from kg.guard import check_read_only, with_row_limit
    from kg.queries import cypher_value

    given = {k: cypher_value(k, v) for k, v in params_from(ctx).items()}
    tokens = check_read_only(valid_text("the query", text))
    check_params(text, {t.text[1:].strip("`") for t in tokens if t.kind == "param"}, set(given))
    with opened(store, db, plan, timeout) as graph_store:
        rows = graph_store.read(with_row_limit(text, tokens, limit + 1), given, max_rows=limit + 1)
    emit_limited(rows, limit, fmt)


def check_params(cypher: str, used: set[str], given: set[str]) -> None:
    """Every $NAME the query `cypher` uses has its -p NAME VALUE, and every -p names a $NAME of the query: a
    missing value would be null and a mistyped name ignored, each giving wrong rows without a word. What the store
    fills in is not missing, and a -p it fills $NAME_uid from is used: the rule is the stores' own
    (kg.stores.base.derived_params), not restated here."""
    from kg.errors import UsageError
    from kg.stores.base import RE_UID_USE, derived_params

    filled = set(derived_params(cypher, dict.fromkeys(given, ""), plan=""))
    missing = sorted(used - filled)
    if missing:
        raise UsageError(f"the query uses ${missing[0]} but no -p {missing[0]} VALUE was given (valid: -p NAME VALUE "
                         "for each $NAME it uses)")
    unused = sorted(given - used - set(RE_UID_USE.findall(cypher)))
    if unused:
        names = ", ".join(f"${name}" for name in sorted(used)) or "none"
        raise UsageError(f"-p {unused[0]}: the query has no ${unused[0]} (its parameters: {names})")

