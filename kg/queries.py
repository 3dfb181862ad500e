"""cypher/ -> named queries: the file stem is the name, the folder the topic, the header the doc and params.

Header lines: `// purpose` first, then one `// param NAME: description` per parameter. `$plan` is supplied
by the store and need not be declared. The loader refuses duplicate names and parameters used but not
declared, or declared but not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import QueryError

CYPHER_DIR = Path(__file__).resolve().parent.parent / "cypher"
IMPLICIT = {"plan"}
RE_PARAM_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
RE_PARAM_DECL = re.compile(r"^//\s*param\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)$")


@dataclass(frozen=True)
class Query:
    name: str
    topic: str
    doc: str
    params: dict[str, str]  # name -> description
    text: str
    path: Path


def _parse(path: Path, root: Path) -> Query:
    raw = path.read_text(encoding="utf-8")
    header = [line for line in raw.splitlines() if line.startswith("//")]
    body = "\n".join(line for line in raw.splitlines() if not line.startswith("//")).strip()
    where = path.relative_to(root.parent)
    if not header:
        raise QueryError(f"{where}:1: a named query starts with '// <one line of purpose>'")
    params = {}
    for line in header[1:]:
        m = RE_PARAM_DECL.match(line)
        if m:
            params[m.group(1)] = m.group(2).strip()
    used = set(RE_PARAM_USE.findall(body)) - IMPLICIT
    if used - set(params):
        raise QueryError(f"{where}: uses ${', $'.join(sorted(used - set(params)))} without declaring it "
                         "(add '// param NAME: what it is')")
    if set(params) - used:
        raise QueryError(f"{where}: declares {', '.join(sorted(set(params) - used))} but never uses it")
    return Query(path.stem, path.parent.name, header[0].lstrip("/ ").strip(), params, body, path)


def load_queries(root: Path = CYPHER_DIR) -> dict[str, Query]:
    out: dict[str, Query] = {}
    for path in sorted(root.glob("*/*.cypher")):
        query = _parse(path, root)
        if query.name in out:
            raise QueryError(f"duplicate query name {query.name!r}: {out[query.name].path.relative_to(root.parent)} "
                             f"and {path.relative_to(root.parent)}")
        out[query.name] = query
    return out


def bind(query: Query, given: dict[str, str]) -> dict[str, object]:
    """Check the caller's parameters against the declaration; values stay parameters, never text."""
    unknown = set(given) - set(query.params)
    missing = set(query.params) - set(given)
    if unknown or missing:
        expected = ", ".join(f"-p {p} VALUE" for p in query.params) or "no parameters"
        raise QueryError(f"query {query.name} takes {expected}" +
                         (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "") +
                         (f"; missing: {', '.join(sorted(missing))}" if missing else ""))
    return dict(given)
