"""A lexical check that user-supplied Cypher only reads, before it reaches a store.

It is the first of two locks: the stores also run user Cypher read-only (Ladybug opens the file read-only,
Neo4j runs a READ transaction), so a write this check misses is still refused by the database.
"""

from __future__ import annotations

import re

from kg.errors import ReadOnlyError

# Clauses that change data or schema, in either dialect.
WRITE_CLAUSES = frozenset({"CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "COPY", "LOAD", "ALTER",
                           "INSTALL", "ATTACH", "EXPORT", "IMPORT", "FOREACH", "CHECKPOINT", "TERMINATE", "GRANT",
                           "DENY", "REVOKE"})
# Procedures known to write or to reach outside the graph (files, network).
WRITE_PROCEDURES = re.compile(r"\b(apoc\.(create|merge|refactor|periodic|load|import|export|cypher\.(runwrite|domit)|"
                              r"nodes\.delete|trigger|do|atomic|schema\.assert)|db\.create|dbms\.|gds\.[\w.]*"
                              r"(write|mutate))", re.IGNORECASE)
_LITERALS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)
_WORD = re.compile(r"(?<![\w.$])([A-Za-z_]+)\b")


def check_read_only(cypher: str) -> None:
    """Raise ReadOnlyError naming the first writing clause or procedure; strings and comments are ignored."""
    code = _LITERALS.sub(" ", cypher)
    for m in _WORD.finditer(code):
        if m.group(1).upper() in WRITE_CLAUSES:
            raise ReadOnlyError(f"refused: `kg cypher` only reads, and this query uses {m.group(1).upper()} "
                                "(write clauses: CREATE, MERGE, SET, DELETE, REMOVE, DROP, COPY, LOAD CSV, ...)")
    procedure = WRITE_PROCEDURES.search(code)
    if procedure:
        raise ReadOnlyError(f"refused: `kg cypher` only reads, and {procedure.group(0)} writes or reaches outside "
                            "the graph")
