"""Naming entities the way people do: a code (`T15`, `15`), a Chinese or English name, or a unique part of one.

`resolve` is pure: it takes the candidates and the text and returns one id, or raises NotFoundError listing
what it could have meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kg.errors import NotFoundError

# The letter each numbered kind's codes start with: `15` as a task is T15, as a target G15.
CODE_PREFIX = {"Task": "T", "Target": "G", "Area": "A", "Principle": "P", "Measure": "M", "Indicator": "I"}
KIND_WORDS = {"Task": "task", "Target": "target", "Area": "area", "Principle": "principle", "Measure": "measure",
              "Indicator": "indicator", "Department": "department", None: "entity"}
MAX_LISTED = 8


@dataclass(frozen=True)
class Entity:
    kind: str
    id: str
    name: str
    name_en: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}" + (f" ({self.name_en})" if self.name_en else "")

    def names(self) -> list[str]:
        return [self.name, *self.aliases] + ([self.name_en] if self.name_en else [])


def entities_from_rows(rows: Iterable[dict[str, Any]]) -> list[Entity]:
    """Entities from the `entities` named query's rows (either store)."""
    return [Entity(r["kind"], r["id"], r["name"], r.get("name_en"), tuple(r.get("aliases") or ())) for r in rows]


def entities_from_graph(graph: Any, kind: str | None = None) -> list[Entity]:
    """Entities from a PlanGraph: all, or those of `kind` (a readings file names only indicators, once per plan
    of a corpus: made for every node, they were a twelfth of checking 720 readings)."""
    nodes = graph.nodes.values() if kind is None else graph.of_kind(kind)
    return [Entity(n.kind, n.id, n.name, n.name_en, tuple(n.props.get("aliases") or ())) for n in nodes]


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def resolve(entities: Iterable[Entity], text: str, kind: str | None = None) -> str:
    """The id of the one entity of `kind` (any kind if None) that `text` names; NotFoundError otherwise."""
    pool = [e for e in entities if kind is None or e.kind == kind]
    wanted = _fold(text)
    what = KIND_WORDS.get(kind, kind.lower() if kind else "entity")
    if not wanted:
        raise NotFoundError(f"an empty name does not name a {what}")
    by_id = {e.id.casefold(): e for e in pool}
    if wanted in by_id:
        return by_id[wanted].id
    if kind in CODE_PREFIX and re.fullmatch(r"\d+(\.\d+)?", wanted):
        code = (CODE_PREFIX[kind] + wanted).casefold()
        if code in by_id:
            return by_id[code].id
    for match in (lambda n: n == wanted, lambda n: wanted in n):
        found = [e for e in pool if any(match(_fold(n)) for n in e.names())]
        if len(found) == 1:
            return found[0].id
        if len(found) > 1:
            listed = "; ".join(e.label for e in found[:MAX_LISTED])
            more = f"; and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
            raise NotFoundError(f"{text!r} could be {len(found)} {what}s: {listed}{more} (give the code or more "
                                "of the name)")
    hint = _nearest(pool, wanted)
    raise NotFoundError(f"no {what} is called {text!r}" + (f"; did you mean {hint}?" if hint else
                                                          f" (try `kg query search -p text {text}`)"))


def _nearest(pool: list[Entity], wanted: str) -> str:
    """The candidates sharing most characters with the text: for Chinese names a better guess than edit distance."""
    def score(e: Entity) -> float:
        best = 0.0
        for n in e.names():
            folded = _fold(n)
            common = len(set(folded) & set(wanted))
            best = max(best, common / max(len(set(wanted)), 1))
        return best

    ranked = sorted(((score(e), e.id, e) for e in pool), key=lambda t: (-t[0], t[1]))
    close = [e for s, _, e in ranked[:3] if s >= 0.5]
    return "; ".join(e.label for e in close)
