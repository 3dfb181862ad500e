"""Query commands: the named queries and read-only user Cypher."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from kg.cli.common import (
    PARAMS_HELP,
    WITH_PARAMS,
    DbOpt,
    Format,
    FormatOpt,
    PlanOpt,
    StoreKind,
    StoreOpt,
    command,
    emit,
    opened,
    params_from,
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
) -> None:
    """Ask a named question. Entity parameters take a code (T15, 15), a Chinese or English name, or a unique part.

    Example: kg query departments_for_target -p target 结构调整
    """
    from kg.queries import ask

    given = params_from(ctx)
    with opened(store, db, plan) as graph_store:
        rows = ask(graph_store, name, given)
    emit(rows, fmt, name)


def _value(text: str) -> Any:
    """A -p value for user Cypher: a JSON number, list or boolean when it parses as one, otherwise the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | list | bool) else text


@command("cypher", context_settings=WITH_PARAMS, epilog=PARAMS_HELP)
def cypher_cmd(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Read-only Cypher; $plan is filled in, other values come from -p.")],
    store: StoreOpt = StoreKind.ladybug, db: DbOpt = DEFAULT_DB, plan: PlanOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Run your own read-only Cypher. Writes (CREATE, MERGE, SET, DELETE, REMOVE, COPY, LOAD CSV, ...) are refused.

    Values travel as parameters: write $name in the query and pass -p name VALUE.

    Example: kg cypher "MATCH (t:Task {plan: $plan}) WHERE t.number < $n RETURN t.id, t.name" -p n 4
    """
    from kg.guard import check_read_only

    given = {k: _value(v) for k, v in params_from(ctx).items()}
    check_read_only(text)
    with opened(store, db, plan) as graph_store:
        rows = graph_store.read(text, given)
    emit(rows, fmt)


