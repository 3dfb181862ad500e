"""The plan's vocabulary: entities, relations and provenance, used by everything below.

A plan graph is a list of `Node`s and `Edge`s. Every node kind and edge kind is declared once here, with its
typed properties; the stores derive their schemas from these declarations and the JSON export writes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ProvenanceKind = Literal["seed", "official", "curated", "example"]
PROVENANCE_KINDS: tuple[ProvenanceKind, ...] = ("seed", "official", "curated", "example")


@dataclass(frozen=True)
class Provenance:
    """Where a fact comes from: the plan's own words (`seed`), a named official document other than the plan
    (`official`: its title, date and verbatim quote), a curator's judgement (`curated`), or made-up demo data
    (`example`, labelled as such wherever it is shown)."""

    kind: ProvenanceKind
    quote: str | None = None  # seed, official: the verbatim source text
    start: int | None = None  # seed: character offsets of `quote` in the source, end exclusive
    end: int | None = None
    rationale: str | None = None  # curated: one line on why
    source: str | None = None  # the file the fact was read from, with a line for overlays
    document: str | None = None  # official: the document's title (《...》 or its 文号)
    date: str | None = None  # official: the document's date as written (2023年3月1日)

    @staticmethod
    def seed(quote: str, start: int, source: str) -> Provenance:
        return Provenance("seed", quote=quote, start=start, end=start + len(quote), source=source)

    @staticmethod
    def curated(rationale: str, source: str) -> Provenance:
        return Provenance("curated", rationale=rationale, source=source)

    @staticmethod
    def official(quote: str, document: str, date: str | None, source: str) -> Provenance:
        return Provenance("official", quote=quote, document=document, date=date, source=source)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("quote", "start", "end", "rationale", "source", "document", "date"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def natural_key(code: str) -> tuple[tuple[int, int | str], ...]:
    """Sort codes the way people count: T2 before T10, I1.2 before I1.10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", code) if part)


# Property types understood by every store: STRING, INT64, DOUBLE, BOOL, STRING[].
PropType = Literal["STRING", "INT64", "DOUBLE", "BOOL", "STRING[]"]

# Properties every node has, besides its kind-specific ones.
COMMON_NODE_PROPS: dict[str, PropType] = {
    "id": "STRING",
    "kind": "STRING",  # the node's label, as a property: one query text can name it on every store
    "plan": "STRING",
    "name": "STRING",
    "name_en": "STRING",
    "text": "STRING",
}
PROVENANCE_PROPS: dict[str, PropType] = {
    "provenance": "STRING",
    "quote": "STRING",
    "quote_start": "INT64",  # `end` is a Cypher keyword, so the stores name the offsets this way
    "quote_end": "INT64",
    "rationale": "STRING",
    "source": "STRING",
    "document": "STRING",
    "document_date": "STRING",  # `date` is a type name in Cypher dialects
}

NODE_KINDS: dict[str, dict[str, PropType]] = {
    "Plan": {"title": "STRING", "start_year": "INT64", "end_year": "INT64", "guiding_ideology": "STRING"},
    "Principle": {"number": "INT64"},
    "OverallGoal": {},
    "Target": {"number": "INT64"},
    "Indicator": {
        "metric": "STRING",
        "indicator_kind": "STRING",  # level | annual_growth | share | cumulative | reduction | relative | qualitative
        "value": "DOUBLE",  # as written (1 for 1万亿元, 15 for 15%)
        "unit": "STRING",  # as written (万亿元, %, 亿美元)
        "normalized_value": "DOUBLE",  # magnitudes resolved (1e12 for 1万亿元)
        "normalized_unit": "STRING",  # CNY | USD | percent | ...
        "comparator": "STRING",  # at_least | above | reach | strive | stable | below | in_step | lead
        "comparator_zh": "STRING",
        "baseline_year": "INT64",
        "target_year": "INT64",
        "reference": "STRING",  # relative indicators: what it is compared with
    },
    "Area": {"number": "INT64", "focus": "STRING", "plus_one": "BOOL", "description": "STRING"},
    "Task": {"number": "INT64"},
    "Measure": {"number": "INT64"},
    "Department": {
        "department_kind": "STRING",
        "aliases": "STRING[]",
        "jurisdiction": "STRING",  # the place whose body it is: 沈阳市, 铁西区, 辽宁省
        "level": "STRING",  # 省 | 市 | 区县
        "former_names": "STRING[]",  # 'old name@year of the change'
    },
    # A unit of a 分工 document that matches no task of the plan: kept, under the closest area.
    "WorkItem": {"number": "STRING", "deadline": "STRING", "leader": "STRING"},
    # Progress (kg/progress): a published figure for an indicator, and the status a published rule gives it.
    "Reading": {
        "indicator": "STRING",  # the indicator's id
        "period": "STRING",  # 2024, 2024-Q2, 2024-H1, 2024-06
        "period_end": "STRING",  # the period's last month, YYYY-MM
        "value": "DOUBLE",  # as published, in `unit`
        "unit": "STRING",
        "basis": "STRING",  # level | ytd | yoy_growth | avg_growth
        "geo": "STRING",  # the plan's city, or a reference (全国, 辽宁省)
        "status": "STRING",  # preliminary | final | revised
        "published": "STRING",  # YYYY-MM-DD
        "counts": "BOOL",  # the reading of its period that counts (latest final, else latest preliminary)
        "light": "STRING",  # qualitative indicators: the light the readings file gives
        "note": "STRING",
    },
    "Assessment": {
        "scope": "STRING",  # indicator | target | plan
        "subject": "STRING",  # the id of what is assessed
        "as_of": "STRING",  # YYYY-MM: readings up to this month
        "method": "STRING",  # open_sdg | pace | growth_rate | relative | qualitative | rollup | no_data
        "light": "STRING",  # green | yellow | red | grey
        "label": "STRING",  # the method's own label (on_track, acceleration_needed, watch, ...)
        "label_zh": "STRING",
        "reason": "STRING",  # one line: the numbers that decided it
        "score": "DOUBLE",  # Open SDG series score, -5..5
        "ratio": "DOUBLE",  # Open SDG R
        "gap": "DOUBLE",  # percentage points behind pace or target
        "inputs": "STRING",  # JSON: the readings and numbers used
        "thresholds": "STRING",  # JSON: the thresholds applied, with their source
        "computed_at": "STRING",
    },
}

DEPARTMENT_KINDS = (
    "party_committee_organ",
    "government_department",
    "peoples_congress",
    "cppcc",
    "mass_organisation",
    "district_or_county",
    "body",
    "supervision",
    "judicial_organ",
    "collective",  # 各区、县(市)政府, 市直有关部门: one node standing for several bodies
)
LEVELS = ("省", "市", "区县")

EDGE_KINDS: dict[str, tuple[list[tuple[str, str]], dict[str, PropType]]] = {
    # kind: ([(from kind, to kind), ...], properties)
    "HAS_PRINCIPLE": ([("Plan", "Principle")], {}),
    "HAS_GOAL": ([("Plan", "OverallGoal")], {}),
    "HAS_TARGET": ([("OverallGoal", "Target")], {}),
    "HAS_AREA": ([("Plan", "Area")], {}),
    "HAS_MEASURE": ([("Plan", "Measure")], {}),
    "GUIDES": ([("Principle", "Target")], {}),
    "MEASURED_BY": ([("Target", "Indicator")], {}),
    "ADVANCES": ([("Area", "Target")], {}),
    "HAS_TASK": ([("Area", "Task")], {}),
    "LEADS": ([("Department", "Task"), ("Department", "WorkItem")], {"deadline": "STRING", "leader": "STRING"}),
    "SUPPORTS": ([("Department", "Task"), ("Department", "WorkItem")], {"deadline": "STRING", "leader": "STRING"}),
    "HAS_WORK_ITEM": ([("Area", "WorkItem")], {}),
    "INCLUDES": ([("Department", "Department")], {}),  # a collective -> the bodies it stands for
    "DEPENDS_ON": ([("Task", "Task")], {"dependency_kind": "STRING", "reason": "STRING"}),
    "CONTRIBUTES_TO": ([("Task", "Indicator")], {}),
    # Safeguard-section facts: who is set up, where its office sits, who reviews how often, who plays what role.
    "ESTABLISHES": ([("Measure", "Department")], {}),
    "OFFICE_IN": ([("Department", "Department")], {}),
    "REVIEWS": ([("Department", "Plan")], {"cadence": "STRING", "activity": "STRING"}),
    "SCHEDULES": ([("Measure", "Plan")], {"cadence": "STRING", "activity": "STRING"}),
    "ASSIGNS_ROLE": ([("Measure", "Department")], {"role": "STRING"}),
    "READING_OF": ([("Reading", "Indicator")], {}),
    "ASSESSES": ([("Assessment", "Indicator"), ("Assessment", "Target"), ("Assessment", "Plan")], {}),
}

# Edge kinds whose provenance is their source node's: a reading's edge to its indicator states nothing the reading
# does not. The stores keep it once, on the node (the edge keeps only its kind, official or example), and give it
# back to the edge when they read the graph.
PROVENANCE_OF_SOURCE = frozenset({"READING_OF"})
# Observations of the plan rather than its entities: reached through what they observe, never listed among the
# plan's entities (search, entities) nor given Ladybug's IN_PLAN access path (720,000 rows at 1000 plans).
OBSERVATION_KINDS = frozenset({"Reading"})

CADENCES = ("monthly", "quarterly", "half_yearly", "yearly")
DEPENDENCY_KINDS = ("enables", "input", "capacity", "policy", "market")

# The order of kinds from principle down to department and indicator: the levels of a hierarchical view.
KIND_LEVEL: dict[str, int] = {
    "Plan": 0,
    "Principle": 1,
    "OverallGoal": 1,
    "Measure": 1,
    "Target": 2,
    "Area": 3,
    "Task": 4,
    "WorkItem": 4,
    "Indicator": 5,
    "Department": 5,
    "Assessment": 6,
    "Reading": 6,
}


@dataclass
class Node:
    kind: str
    id: str
    name: str
    provenance: Provenance
    name_en: str | None = None
    text: str | None = None
    props: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, plan: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "plan": plan, "name": self.name}
        out["name_en"] = self.name_en
        if self.text is not None:
            out["text"] = self.text
        out.update({k: v for k, v in self.props.items() if v is not None})
        out["provenance"] = self.provenance.as_dict()
        return out


@dataclass
class Edge:
    kind: str
    source: str
    target: str
    provenance: Provenance
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.source, self.target)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "target": self.target, "kind": self.kind}
        out.update({k: v for k, v in self.props.items() if v is not None})
        out["provenance"] = self.provenance.as_dict()
        return out


class Deferred(Protocol):
    """Nodes and edges a graph holds but has not made yet (see `PlanGraph.defer`): counted, and given as columns to
    a store that loads columns, without a Python object per row; made when anything asks for the nodes."""

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """How many nodes and edges of each kind."""

    def make(self) -> tuple[list[Node], list[Edge]]:
        """The nodes and edges themselves."""

    def node_columns(self, kind: str) -> dict[str, list[Any]] | None:
        """The nodes of `kind` column by column, every column of `node_columns(kind)` but uid, kind and plan
        (None when it holds none)."""

    def edge_columns(self, kind: str) -> dict[str, list[Any]] | None:
        """The edges of `kind` (a kind with one pair of ends): `from` and `to` ids, then every stored column of the
        kind (None when none)."""


class PlanGraph:
    """A whole plan: its id, its nodes (by id) and its edges. What the stores load and the export writes.

    Observations in bulk (a plan's monthly readings: 720 of them per plan, 720,000 in a province's thousand plans)
    can be held deferred: `defer` keeps them as they are, `counts`, `size` and a columnar load see them as they
    are, and `nodes`, `edges` or `of_kind` of their kind make them first. `add`, `link`, `has` and `made_nodes`
    touch only the nodes made so far."""

    def __init__(self, plan_id: str, nodes: dict[str, Node] | None = None, edges: list[Edge] | None = None,
                 notes: list[str] | None = None) -> None:
        self.plan_id = plan_id
        self._nodes: dict[str, Node] = {} if nodes is None else nodes
        self._edges: list[Edge] = [] if edges is None else edges
        self.notes: list[str] = [] if notes is None else notes  # what loading found worth saying: superseded rows
        self.deferred: list[Deferred] = []

    def __repr__(self) -> str:
        nodes, edges = self.size()
        return f"PlanGraph({self.plan_id!r}, {nodes} nodes, {edges} edges)"

    @property
    def nodes(self) -> dict[str, Node]:
        self.make_deferred()
        return self._nodes

    @nodes.setter
    def nodes(self, value: dict[str, Node]) -> None:
        self.make_deferred()
        self._nodes = value

    @property
    def edges(self) -> list[Edge]:
        self.make_deferred()
        return self._edges

    @edges.setter
    def edges(self, value: list[Edge]) -> None:
        self.make_deferred()
        self._edges = value

    @property
    def made_nodes(self) -> dict[str, Node]:
        """The nodes made so far (the deferred ones left as they are)."""
        return self._nodes

    @property
    def made_edges(self) -> list[Edge]:
        return self._edges

    def defer(self, batch: Deferred) -> None:
        self.deferred.append(batch)

    def make_deferred(self) -> None:
        """Make the deferred nodes and edges (what a store that loads rows, or any reader of `nodes`, needs)."""
        while self.deferred:
            nodes, edges = self.deferred.pop(0).make()
            for node in nodes:
                self._nodes[node.id] = node
            self._edges.extend(edges)

    def add(self, node: Node) -> Node:
        self._nodes[node.id] = node
        return node

    def has(self, node_id: str) -> bool:
        """Whether a node of this id has been made (deferred ones are not looked at)."""
        return node_id in self._nodes

    def link(self, kind: str, source: str, target: str, provenance: Provenance, **props: Any) -> Edge:
        edge = Edge(kind, source, target, provenance, props)
        self._edges.append(edge)
        return edge

    def of_kind(self, kind: str) -> list[Node]:
        if any(batch.counts()[0].get(kind) for batch in self.deferred):
            self.make_deferred()
        return [n for n in self._nodes.values() if n.kind == kind]

    def size(self) -> tuple[int, int]:
        """How many nodes and edges, deferred ones included, without making them."""
        counts = self.counts()
        return sum(counts["nodes"].values()), sum(counts["edges"].values())

    def counts(self) -> dict[str, dict[str, int]]:
        nodes: dict[str, int] = {}
        edges: dict[str, int] = {}
        for n in self._nodes.values():
            nodes[n.kind] = nodes.get(n.kind, 0) + 1
        for e in self._edges:
            edges[e.kind] = edges.get(e.kind, 0) + 1
        for batch in self.deferred:
            more_nodes, more_edges = batch.counts()
            for kind, count in more_nodes.items():
                nodes[kind] = nodes.get(kind, 0) + count
            for kind, count in more_edges.items():
                edges[kind] = edges.get(kind, 0) + count
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}

    def to_json(self) -> dict[str, Any]:
        """The stable node-link export: {"plan", "nodes": [...], "edges": [...]}, in an order that does not depend
        on where the graph came from (nodes by kind level and id, edges by kind, source and target)."""
        nodes = sorted(self.nodes.values(), key=lambda n: (KIND_LEVEL.get(n.kind, 99), n.kind, natural_key(n.id)))
        edges = sorted(self.edges, key=lambda e: (e.kind, natural_key(e.source), natural_key(e.target),
                                                  json.dumps(e.as_dict(), ensure_ascii=False, sort_keys=True)))
        return {
            "plan": self.plan_id,
            "nodes": [n.as_dict(self.plan_id) for n in nodes],
            "edges": [e.as_dict() for e in edges],
        }
