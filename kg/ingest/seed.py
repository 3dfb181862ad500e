"""seed/ (the plan's text and the curated overlays) -> a validated `PlanGraph`.

All problems are collected and reported together as `file:line: what is wrong (what is valid)`; nothing is
written anywhere. Overlay rows that state what the plan itself says carry `provenance: seed` and a verbatim
quote, whose offsets are found here in the source; every other row is `curated` with a one-line rationale.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from kg.progress.corpus import Pending

from kg.errors import UsageError, ValidationError
from kg.ingest.parse import ParsedPlan, Span, parse_file
from kg.ingest.read import present, read_tables, read_yaml, yaml_value
from kg.model import (
    CADENCES,
    DEPARTMENT_KINDS,
    DEPENDENCY_KINDS,
    EDGE_KINDS,
    Node,
    PlanGraph,
    Provenance,
)

PLAN_NODE = "PLAN"  # the id of the Plan node inside its own plan
DEFAULT_SEED = Path(__file__).resolve().parents[2] / "seed"


@dataclass
class _Row:
    file: str  # as shown in messages: the path given plus the file name
    line: int
    data: dict[str, str]

    def at(self) -> str:
        return f"{self.file}:{self.line}"

    def get(self, key: str) -> str:
        return (self.data.get(key) or "").strip()


class _Problems(list[str]):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def _closest(word: str, candidates: list[str], n: int = 3) -> str:
    near = difflib.get_close_matches(word, candidates, n=n, cutoff=0.3)
    return ", ".join(near) if near else ", ".join(candidates[:n]) + ", ..."


def _read_csv(path: Path, shown: str, columns: tuple[str, ...], problems: _Problems,
              needs_rows: str | None = None) -> list[_Row]:
    """The rows of an overlay, each with the line it starts on. A row with more fields than the header is a
    problem, never cut; `needs_rows` says what rows a file must have when it holds only its header."""
    try:
        [table] = read_tables(path)
    except UsageError as e:
        problems.append(str(e).replace(str(path), shown, 1))
        return []
    header = table.rows[0] if table.rows else []
    missing = [c for c in columns if c not in header]
    if missing:
        problems.add(f"{shown}:1", f"missing column(s) {', '.join(missing)} (valid header: {','.join(columns)})")
        return []
    rows = []
    for line, cells in zip(table.row_numbers[1:], table.rows[1:], strict=True):
        if not any(cells):
            continue
        if len(cells) > len(header):
            extra = ",".join(cells[len(header):])
            problems.add(f"{shown}:{line}", f"{len(cells)} fields where the header has {len(header)}; "
                         f"{extra!r} would be lost (quote a field holding a comma: \"a, b\")")
            continue
        rows.append(_Row(shown, line, dict(zip(header, cells, strict=False))))
    if not rows and needs_rows and not missing:
        problems.add(f"{shown}:1", f"only a header, no rows ({needs_rows})")
    return rows


def _read_yaml_list(path: Path, shown: str, problems: _Problems) -> list[_Row]:
    try:
        root = read_yaml(path, shown)
    except UsageError as e:
        problems.append(str(e))
        return []
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        problems.add(f"{shown}:1", "expected a list of facts, one '- {kind: ..., source: ..., target: ...}' per line")
        return []
    rows = []
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.add(f"{shown}:{line}", "expected a mapping with kind, source, target, provenance")
            continue
        data = yaml_value(item)
        nested = [str(k) for k, v in data.items() if isinstance(v, dict | list)]
        if nested:
            problems.add(f"{shown}:{line}", f"{', '.join(nested)}: a list or mapping where a single value belongs")
            continue
        rows.append(_Row(shown, line, {str(k): "" if v is None else str(v) for k, v in data.items()}))
    return rows


class _Builder:
    def __init__(self, seed_dir: Path, plan: ParsedPlan, plan_id: str, shown_dir: str) -> None:
        self.dir, self.plan, self.shown_dir = seed_dir, plan, shown_dir
        self.graph = PlanGraph(plan_id)
        self.problems = _Problems()
        self.dept_names: dict[str, str] = {}  # name or alias -> department id
        self.notes: list[str] = []  # not problems: what a reader should know (a curated row superseded, ...)

    def shown(self, name: str) -> str:
        return f"{self.shown_dir}/{name}"

    def seed_prov(self, span: Span) -> Provenance:
        return Provenance.seed(span.quote, span.start, self.plan.source)

    def row_prov(self, row: _Row, file_name: str) -> Provenance | None:
        """The provenance a row declares; problems are recorded and None returned when it is not valid."""
        kind = row.get("provenance") or "curated"
        source = f"{file_name}:{row.line}"
        if kind == "curated":
            rationale = row.get("rationale")
            if not rationale:
                self.problems.add(row.at(), "a curated row needs a one-line rationale")
                return None
            return Provenance.curated(rationale, source)
        if kind == "seed":
            quote = row.get("quote")
            if not quote:
                self.problems.add(row.at(), "a seed row needs the verbatim quote from the plan")
                return None
            count = self.plan.text.count(quote)
            if count != 1:
                what = "not found verbatim in" if count == 0 else f"found {count} times in"
                self.problems.add(row.at(), f"quote {quote!r} {what} {self.plan.source} (valid: a passage that "
                                  "occurs exactly once)")
                return None
            return Provenance("seed", quote=quote, start=self.plan.text.index(quote),
                              end=self.plan.text.index(quote) + len(quote), source=self.plan.source,
                              rationale=row.get("rationale") or None)
        if kind == "official":
            quote, document = row.get("quote"), row.get("document")
            if not quote or not document:
                self.problems.add(row.at(), "an official row needs the verbatim quote and the document's title "
                                  "(columns quote, document; date if the document gives one)")
                return None
            origin = row.get("source_file")
            return Provenance.official(quote, document, row.get("date") or None,
                                       f"{file_name}:{row.line}" + (f" from {origin}" if origin else ""))
        self.problems.add(row.at(), f"provenance {kind!r} is not valid (valid: seed, official, curated)")
        return None

    # -- the parsed text --------------------------------------------------------------------------------
    def add_parsed(self, names_en: dict[str, str]) -> None:
        p, g = self.plan, self.graph
        title_at = p.text.find(p.title or "")
        title_prov = (Provenance.seed(p.title, title_at, p.source) if p.title and title_at >= 0
                      else Provenance.curated("the plan text has no title line", p.source))
        g.add(Node("Plan", PLAN_NODE, p.title or g.plan_id, title_prov, name_en=names_en.get(PLAN_NODE),
                   props={"title": p.title, "start_year": p.start_year, "end_year": p.end_year,
                          "guiding_ideology": p.ideology.quote if p.ideology else None}))
        for item in p.principles:
            node = g.add(Node("Principle", f"P{item.number}", item.name, self.seed_prov(item.span),
                              text=item.text, props={"number": item.number}))
            g.link("HAS_PRINCIPLE", PLAN_NODE, node.id, node.provenance)
        if p.goal:
            g.add(Node("OverallGoal", "GOAL", "总体目标", self.seed_prov(p.goal), text=p.goal.quote))
            g.link("HAS_GOAL", PLAN_NODE, "GOAL", self.seed_prov(p.goal))
        for target in p.targets:
            tid = f"G{target.number}"
            g.add(Node("Target", tid, target.name, self.seed_prov(target.span), text=target.text,
                       props={"number": target.number}))
            g.link("HAS_TARGET", "GOAL", tid, self.seed_prov(target.span))
            for k, ind in enumerate(target.indicators, start=1):
                iid = f"I{target.number}.{k}"
                props = {key: getattr(ind, key) for key in (
                    "metric", "indicator_kind", "value", "unit", "normalized_value", "normalized_unit", "comparator",
                    "comparator_zh", "baseline_year", "target_year", "reference")}
                g.add(Node("Indicator", iid, ind.metric, self.seed_prov(ind.span), text=ind.span.quote, props=props))
                g.link("MEASURED_BY", tid, iid, self.seed_prov(ind.span))
        for area in p.areas:
            aid = f"A{area.number}"
            g.add(Node("Area", aid, area.name, self.seed_prov(area.span), text=area.text,
                       props={"number": area.number, "focus": area.focus, "plus_one": area.plus_one,
                              "description": area.description}))
            g.link("HAS_AREA", PLAN_NODE, aid, self.seed_prov(area.span))
            for task in area.tasks:
                tid = f"T{task.number}"
                g.add(Node("Task", tid, task.name, self.seed_prov(task.span), text=task.text or None,
                           props={"number": task.number}))
                g.link("HAS_TASK", aid, tid, self.seed_prov(task.span))
        for measure in p.measures:
            mid = f"M{measure.number}"
            g.add(Node("Measure", mid, measure.name, self.seed_prov(measure.span), text=measure.text,
                       props={"number": measure.number}))
            g.link("HAS_MEASURE", PLAN_NODE, mid, self.seed_prov(measure.span))
        for node in g.nodes.values():
            if node.name_en is None:
                node.name_en = names_en.get(node.id)

    # -- overlays -------------------------------------------------------------------------------------------
    def names_en(self, file_name: str) -> dict[str, str]:
        rows = _read_csv(self.dir / file_name, self.shown(file_name), ("id", "name_en"), self.problems,
                         "valid: one row per entity of the plan, id,name_en")
        out: dict[str, str] = {}
        for row in rows:
            if row.get("id") in out:
                self.problems.add(row.at(), f"duplicate id {row.get('id')!r}")
            out[row.get("id")] = row.get("name_en")
        return out

    def check_names_en(self, names: dict[str, str], file_name: str) -> None:
        for node in self.graph.nodes.values():
            if node.kind != "Department" and not node.name_en:
                self.problems.add(self.shown(file_name), f"no English name for {node.id} {node.name} "
                                  f"(add a row '{node.id},<English name>')")
        unknown = sorted(set(names) - set(self.graph.nodes))
        if unknown:
            self.problems.add(self.shown(file_name), f"names for ids the plan does not have: {', '.join(unknown)}")

    def departments(self, file_name: str, jurisdiction: str) -> None:
        from kg.ingest.registry import parse_former
        from kg.model import LEVELS

        cols = ("id", "name", "name_en", "kind", "aliases", "provenance", "quote", "rationale")
        members: list[tuple[_Row, str, list[str]]] = []
        for row in _read_csv(self.dir / file_name, self.shown(file_name), cols, self.problems,
                             "valid: one row per department the assignments name"):
            did, name = row.get("id"), row.get("name")
            if not re.fullmatch(r"D-[a-z0-9-]+", did):
                self.problems.add(row.at(), f"department id {did!r} is not valid (valid: D- then lower-case words)")
                continue
            if did in self.graph.nodes:
                self.problems.add(row.at(), f"duplicate department id {did!r}")
                continue
            if row.get("kind") not in DEPARTMENT_KINDS:
                self.problems.add(row.at(), f"kind {row.get('kind')!r} is not valid "
                                  f"(valid: {', '.join(DEPARTMENT_KINDS)})")
            if not name or not row.get("name_en"):
                self.problems.add(row.at(), "a department needs both name and name_en")
            aliases = [a.strip() for a in row.get("aliases").split(";") if a.strip()]
            for label in [name, *aliases]:
                if label in self.dept_names and self.dept_names[label] != did:
                    self.problems.add(row.at(), f"name or alias {label!r} is already used by {self.dept_names[label]}")
                self.dept_names[label] = did
            level = row.get("level") or "市"
            if level not in LEVELS:
                self.problems.add(row.at(), f"level {level!r} is not valid (valid: {', '.join(LEVELS)})")
            try:
                former = [f"{old}@{year}" for old, year in parse_former(row.get("former_names"), row.at())]
            except ValidationError as e:
                self.problems.extend(e.problems)
                former = []
            for old in former:  # a former name is a name people still write
                label = old.rsplit("@", 1)[0]
                if label in self.dept_names and self.dept_names[label] != did:
                    self.problems.add(row.at(), f"former name {label!r} is already used by {self.dept_names[label]}")
                self.dept_names.setdefault(label, did)
            listed = [m.strip() for m in row.get("members").split(";") if m.strip()]
            if listed:
                members.append((row, did, listed))
            prov = self.row_prov(row, file_name)
            if prov is not None:
                self.graph.add(Node("Department", did, name, prov, name_en=row.get("name_en"),
                                    props={"department_kind": row.get("kind"), "aliases": aliases,
                                           "jurisdiction": row.get("jurisdiction") or jurisdiction, "level": level,
                                           "former_names": former}))
        for row, did, listed in members:
            prov = self.row_prov(row, file_name)
            for member in listed:
                node = self.graph.nodes.get(member)
                if node is None or node.kind != "Department":
                    self.problems.add(row.at(), f"member {member!r} of {did} is not a department in {file_name} "
                                      "(add its row; seed/registry/ has Shenyang's districts)")
                elif prov is not None:
                    self.graph.link("INCLUDES", did, member, prov)

    def department_list(self, row: _Row, cell: str) -> list[str]:
        """'市工业和信息化局、商务局' -> two ids: official lists elide the repeated 市 (kg/ingest/names.py);
        brackets and collectives such as 各区、县(市)政府 stay one name."""
        from kg.ingest.names import fold, split_units

        folded = {fold(k): v for k, v in self.dept_names.items()}
        ids = []
        for unit in split_units(cell):
            did = next((folded[fold(c)] for c in unit.candidates if fold(c) in folded), None)
            if did is None:
                did = folded.get(fold(unit.written).removeprefix("市"))
            if did is None:
                self.problems.add(row.at(), f"unknown department {unit.written!r} (closest: "
                                  f"{_closest(unit.written, sorted(self.dept_names))})")
            elif did not in ids:
                ids.append(did)
        return ids

    def task_id(self, row: _Row, cell: str, column: str, work_items: bool = False) -> str | None:
        tid = cell if cell.startswith(("T", "W")) else f"T{cell}"
        node = self.graph.nodes.get(tid)
        if node is None or node.kind not in (("Task", "WorkItem") if work_items else ("Task",)):
            count = len(self.graph.of_kind("Task"))
            self.problems.add(row.at(), f"{column}: unknown task {cell!r} (valid: 1 to {count}, or T1 to T{count})")
            return None
        return tid

    def work_items(self, file_name: str) -> None:
        """Items of an official 分工 document that match no task: kept as WorkItem nodes under their closest area."""
        path = self.dir / file_name
        if not present(path):
            return  # optional: written by `kg assign apply`
        cols = ("id", "area", "name", "provenance", "quote", "document")
        for row in _read_csv(path, self.shown(file_name), cols, self.problems):
            wid, area = row.get("id"), row.get("area")
            if not re.fullmatch(r"W\d+", wid) or wid in self.graph.nodes:
                self.problems.add(row.at(), f"work item id {wid!r} is not valid or is used twice (valid: W1, W2, ...)")
                continue
            area_node = self.graph.nodes.get(area)
            if area_node is None or area_node.kind != "Area":
                self.problems.add(row.at(), f"unknown area {area!r} (valid: A1 to A{len(self.graph.of_kind('Area'))})")
                continue
            prov = self.row_prov(row, file_name)
            if prov is None:
                continue
            self.graph.add(Node("WorkItem", wid, row.get("name"), prov, text=row.get("quote") or None,
                                props={"number": row.get("number") or None, "deadline": row.get("deadline") or None,
                                       "leader": row.get("leader") or None}))
            self.graph.link("HAS_WORK_ITEM", area, wid, prov)

    def assignments(self, file_name: str) -> None:
        """One curated row per task; any number of official rows (one per 分工 item). For a task and role that an
        official row names, the official departments replace the curated ones, which are noted as superseded."""
        rows = _read_csv(self.dir / file_name, self.shown(file_name),
                         ("task", "lead", "supporting", "provenance", "rationale"), self.problems,
                         "valid: one row per task naming its lead" if self.graph.of_kind("Task") else None)
        seen: dict[str, int] = {}
        # task -> role -> [(department ids, provenance, row)]
        found: dict[str, dict[str, list[tuple[list[str], Provenance, _Row]]]] = {}
        for row in rows:
            tid = self.task_id(row, row.get("task"), "task", work_items=True)
            prov = self.row_prov(row, file_name)
            if tid is None or prov is None:
                continue
            if prov.kind != "official":
                if tid in seen:
                    self.problems.add(row.at(), f"task {tid} is assigned again (first at line {seen[tid]}; "
                                      "only official rows may repeat a task)")
                    continue
                seen[tid] = row.line
            if not row.get("lead") and prov.kind != "official":
                self.problems.add(row.at(), f"task {tid} has no lead department (valid: a name from departments.csv)")
            leads = self.department_list(row, row.get("lead"))
            supporting = self.department_list(row, row.get("supporting"))
            for did in set(leads) & set(supporting):
                self.problems.add(row.at(), f"{did} is both lead and supporting for {tid}")
            roles = found.setdefault(tid, {})
            for role, ids in (("LEADS", leads), ("SUPPORTS", supporting)):
                if ids:
                    roles.setdefault(role, []).append((ids, prov, row))
        for tid, roles in found.items():
            official_leads = {d for ids, p, _ in roles.get("LEADS", []) if p.kind == "official" for d in ids}
            for role, entries in roles.items():
                has_official = any(p.kind == "official" for _, p, _ in entries)
                linked: set[str] = set()
                for ids, prov, row in entries:
                    if has_official and prov.kind != "official":
                        word = "lead" if role == "LEADS" else "supporting"
                        self.notes.append(f"{row.at()}: curated {word} of {tid} ({', '.join(ids)}) superseded by "
                                          f"the official document")
                        continue
                    for did in ids:
                        if did in linked or (role == "SUPPORTS" and did in official_leads):
                            continue
                        linked.add(did)
                        edge = self.graph.link(role, did, tid, prov)
                        for key in ("deadline", "leader"):
                            if row.get(key):
                                edge.props[key] = row.get(key)
        for task in self.graph.of_kind("Task"):
            if task.id not in seen and rows and not found.get(task.id, {}).get("LEADS"):
                self.problems.add(self.shown(file_name), f"task {task.id} {task.name} has no row, so no lead "
                                  f"(add '{task.id.removeprefix('T')},<lead department>,,curated,<why>')")

    def dependencies(self, file_name: str) -> None:
        rows = _read_csv(self.dir / file_name, self.shown(file_name),
                         ("task", "depends_on", "kind", "rationale"), self.problems)
        seen: dict[tuple[str, str], int] = {}
        for row in rows:
            tid = self.task_id(row, row.get("task"), "task")
            pre = self.task_id(row, row.get("depends_on"), "depends_on")
            prov = self.row_prov(row, file_name)
            kind = row.get("kind")
            if kind not in DEPENDENCY_KINDS:
                self.problems.add(row.at(), f"kind {kind!r} is not valid (valid: {', '.join(DEPENDENCY_KINDS)})")
                continue
            if tid is None or pre is None or prov is None:
                continue
            if tid == pre:
                self.problems.add(row.at(), f"task {tid} cannot depend on itself")
                continue
            if (tid, pre) in seen:
                self.problems.add(row.at(), f"duplicate dependency {tid} -> {pre} (first at line {seen[tid, pre]})")
                continue
            seen[tid, pre] = row.line
            self.graph.link("DEPENDS_ON", tid, pre, prov, dependency_kind=kind, reason=row.get("rationale"))
        self.check_cycles(file_name, seen)

    def check_cycles(self, file_name: str, seen: dict[tuple[str, str], int]) -> None:
        import networkx as nx

        g = nx.DiGraph(list(seen))
        for found in sorted(nx.simple_cycles(g), key=lambda c: (len(c), sorted(c))):
            first = found.index(min(found))
            cycle = found[first:] + found[:first]  # the same cycle prints the same way every run
            lines = sorted(seen[a, b] for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True))
            path = " -> ".join([*cycle, cycle[0]])
            self.problems.add(f"{self.shown(file_name)}:{lines[0]}",
                              f"dependency cycle {path} (lines {', '.join(map(str, lines))})")

    def contributions(self, file_name: str) -> None:
        rows = _read_csv(self.dir / file_name, self.shown(file_name),
                         ("task", "indicator", "metric", "rationale"), self.problems,
                         "valid: a contributing task for every indicator" if self.graph.of_kind("Indicator") else None)
        seen: set[tuple[str, str]] = set()
        for row in rows:
            tid = self.task_id(row, row.get("task"), "task")
            iid = row.get("indicator")
            node = self.graph.nodes.get(iid)
            prov = self.row_prov(row, file_name)
            if node is None or node.kind != "Indicator":
                valid = sorted(n.id for n in self.graph.of_kind("Indicator"))
                self.problems.add(row.at(), f"unknown indicator {iid!r} (closest: {_closest(iid, valid)})")
                continue
            if row.get("metric") and row.get("metric") != node.name:
                self.problems.add(row.at(), f"indicator {iid} is {node.name!r}, not {row.get('metric')!r} "
                                  "(the ids follow the plan's order; check the id)")
                continue
            if tid is None or prov is None:
                continue
            if (tid, iid) in seen:
                self.problems.add(row.at(), f"duplicate contribution {tid} -> {iid}")
                continue
            seen.add((tid, iid))
            self.graph.link("CONTRIBUTES_TO", tid, iid, prov)
        served = {iid for _, iid in seen}
        for ind in self.graph.of_kind("Indicator"):
            if ind.id not in served and rows:
                self.problems.add(self.shown(file_name), f"indicator {ind.id} {ind.name} has no contributing task "
                                  f"(add '<task>,{ind.id},{ind.name},<why>')")

    def links(self, file_name: str) -> None:
        rows = _read_csv(self.dir / file_name, self.shown(file_name),
                         ("kind", "source", "target", "rationale"), self.problems,
                         "valid: an ADVANCES row for every target" if self.graph.of_kind("Target") else None)
        allowed = {"GUIDES", "ADVANCES"}
        seen: set[tuple[Any, ...]] = set()
        for row in rows:
            kind = row.get("kind")
            if kind not in allowed:
                self.problems.add(row.at(), f"kind {kind!r} is not valid here (valid: {', '.join(sorted(allowed))})")
                continue
            self.typed_edge(row, file_name, kind, seen)
        for target in self.graph.of_kind("Target"):
            if rows and ("ADVANCES", target.id) not in {(k[0], k[2]) for k in seen}:
                self.problems.add(self.shown(file_name), f"target {target.id} {target.name} is advanced by no area")

    def typed_edge(self, row: _Row, file_name: str, kind: str, seen: set[tuple[Any, ...]],
                   **props: Any) -> None:
        """One overlay edge: endpoints exist and have the kinds the relation allows."""
        src = PLAN_NODE if row.get("source") == PLAN_NODE else row.get("source")
        dst = row.get("target")
        pairs = EDGE_KINDS[kind][0]
        prov = self.row_prov(row, file_name)
        for end, nid, index in (("source", src, 0), ("target", dst, 1)):
            kinds = sorted({p[index] for p in pairs})
            node = self.graph.nodes.get(nid)
            if node is None:
                pool = sorted(n.id for n in self.graph.nodes.values() if n.kind in kinds)
                self.problems.add(row.at(), f"{kind} {end} {nid!r} does not exist (closest: {_closest(nid, pool)})")
                return
            if node.kind not in kinds:
                self.problems.add(row.at(), f"{kind} {end} {nid} is a {node.kind} (valid: {', '.join(kinds)})")
                return
        key = (kind, src, dst, *sorted(props.items()))  # two cadences may join the same pair
        if key in seen:
            self.problems.add(row.at(), f"duplicate {kind} {src} -> {dst}")
            return
        seen.add(key)
        if prov is not None:
            self.graph.link(kind, src, dst, prov, **props)

    def safeguards(self, file_name: str) -> None:
        rows = _read_yaml_list(self.dir / file_name, self.shown(file_name), self.problems)
        allowed = {"ESTABLISHES", "OFFICE_IN", "REVIEWS", "SCHEDULES", "ASSIGNS_ROLE"}
        seen: set[tuple[Any, ...]] = set()
        for row in rows:
            kind = row.get("kind")
            if kind not in allowed:
                self.problems.add(row.at(), f"kind {kind!r} is not valid (valid: {', '.join(sorted(allowed))})")
                continue
            props = {k: row.get(k) for k in EDGE_KINDS[kind][1]}
            if "cadence" in props and props["cadence"] not in CADENCES:
                self.problems.add(row.at(), f"cadence {props['cadence']!r} is not valid (valid: {', '.join(CADENCES)})")
                continue
            for key, value in props.items():
                if not value:
                    self.problems.add(row.at(), f"{kind} needs {key}")
            self.typed_edge(row, file_name, kind, seen, **props)


OVERLAYS = ("names_en", "departments", "assignments", "dependencies", "contributions", "links", "safeguards")
# Files a seed folder may name besides: read by the plan-run modules (kg/progress), not graph overlays of their own.
OPTIONAL_OVERLAYS = ("milestones", "readings", "work_items")
_STR = "tag:yaml.org,2002:str"


def _plan_settings(seed_dir: Path, shown_dir: str) -> dict[str, Any]:
    """plan.yaml, every key checked for its type: `file:line: what (what is valid)`."""
    shown = f"{shown_dir}/plan.yaml"
    path = seed_dir / "plan.yaml"
    if not present(path):
        raise UsageError(f"{shown}: not found (a seed folder needs plan.yaml; see seed/ in the repository)")
    root = read_yaml(path, shown)
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1 if root is not None else 1
        raise UsageError(f"{shown}:{line}: expected a mapping with id, source, name_en and overlays")
    keys = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}

    def text(key: str, node: Any, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR or not node.value.strip():
            raise UsageError(f"{shown}:{node.start_mark.line + 1}: {key} must be {what}")
        return str(node.value).strip()

    for key in ("id", "source", "overlays"):
        if key not in keys:
            raise UsageError(f"{shown}:1: no {key!r} key (valid: id, source, name_en, jurisdiction, overlays)")
    settings: dict[str, Any] = {}
    settings["id"] = text("id", keys["id"][1], "a plan id: one word of letters, digits and - . _")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", settings["id"]):
        raise UsageError(f"{shown}:{keys['id'][1].start_mark.line + 1}: id {settings['id']!r} is not valid "
                         "(valid: letters, digits, - . _, e.g. shenyang-2023-2025)")
    settings["source"] = text("source", keys["source"][1], "a file name relative to plan.yaml")
    if (seed_dir / settings["source"]).is_dir():
        raise UsageError(f"{shown}:{keys['source'][1].start_mark.line + 1}: source {settings['source']!r} is a "
                         "folder (valid: the plan's text file, relative to plan.yaml)")
    if "name_en" in keys:
        settings["name_en"] = text("name_en", keys["name_en"][1], "the plan's English title")
    if "jurisdiction" in keys:  # whose plan it is: names resolve there first, departments belong there
        settings["jurisdiction"] = text("jurisdiction", keys["jurisdiction"][1],
                                        "the place whose plan it is, as written, e.g. 沈阳市")
    node = keys["overlays"][1]
    if not isinstance(node, yaml.MappingNode):
        raise UsageError(f"{shown}:{node.start_mark.line + 1}: overlays must be a mapping of "
                         f"{', '.join(OVERLAYS)} to file names")
    files = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    missing = [name for name in OVERLAYS if name not in files]
    if missing:
        raise UsageError(f"{shown}:{keys['overlays'][0].start_mark.line + 1}: overlays has no {', '.join(missing)} "
                         f"(valid: all of {', '.join(OVERLAYS)})")
    unknown = sorted(set(files) - set(OVERLAYS) - set(OPTIONAL_OVERLAYS))
    if unknown:
        raise UsageError(f"{shown}:{files[unknown[0]].start_mark.line + 1}: unknown overlay {unknown[0]!r} "
                         f"(valid: {', '.join(OVERLAYS + OPTIONAL_OVERLAYS)})")
    settings["overlays"] = {name: text(name, files[name], "a file name relative to plan.yaml")
                            for name in OVERLAYS + OPTIONAL_OVERLAYS if name in files}
    return settings


def load_plan(seed_dir: Path | None = None, source: Path | None = None, progress: bool = True) -> PlanGraph:
    """Parse the plan text and the overlays in `seed_dir` into a validated graph; raise on any problem. With
    `progress`, the seed's readings too, checked and assessed (see `begin_plans` for several seeds)."""
    seed_dir = seed_dir or DEFAULT_SEED
    shown_dir = str(seed_dir).rstrip("/")
    settings = _plan_settings(seed_dir, shown_dir)
    plan = parse_file(source or seed_dir / settings["source"])
    builder = _Builder(seed_dir, plan, str(settings["id"]), shown_dir)
    files = settings["overlays"]
    names = builder.names_en(files["names_en"])
    names[PLAN_NODE] = settings.get("name_en") or ""
    builder.add_parsed(names)
    builder.check_names_en(names, files["names_en"])
    from kg.ingest.registry import DEFAULT_JURISDICTION

    builder.departments(files["departments"], str(settings.get("jurisdiction") or DEFAULT_JURISDICTION))
    builder.work_items(files.get("work_items", "workitems.csv"))
    builder.assignments(files["assignments"])
    builder.dependencies(files["dependencies"])
    builder.contributions(files["contributions"])
    builder.links(files["links"])
    builder.safeguards(files["safeguards"])
    if builder.problems:
        raise ValidationError(list(builder.problems))
    builder.graph.notes = builder.notes
    if progress:
        from kg.progress.graph import add_progress

        add_progress(builder.graph, seed_dir, shown_dir)  # readings.csv, when the seed folder has one
    return builder.graph


def begin_plans(seed_dirs: list[Path]) -> tuple[list[PlanGraph], Pending | None]:
    """Several seed folders' plans (a province's cities) for one store, each parsed and checked as `load_plan`
    does, and the import of their readings (read, checked and assessed over the cores: kg.progress.corpus)
    begun in other processes, not waited for (None when no seed has readings): a store's `build_all` finishes
    it (`late`) while it copies the plans' structure; the caller closes it. Two seeds of one plan id are
    refused: the second would replace the first in the store."""
    from kg.progress.corpus import Pending
    from kg.progress.graph import READINGS_FILE
    from kg.progress.rules import load_rules

    graphs: list[PlanGraph] = []
    seen: dict[str, str] = {}
    for seed_dir in seed_dirs:
        graph = load_plan(seed_dir, progress=False)
        if graph.plan_id in seen:
            raise UsageError(f"{seed_dir}/plan.yaml: plan id {graph.plan_id!r} is also the id of {seen[graph.plan_id]} "
                             "(valid: one seed folder a plan, each with its own id)")
        seen[graph.plan_id] = f"{str(seed_dir).rstrip('/')}/plan.yaml"
        graphs.append(graph)
    with_readings = [(g, d / READINGS_FILE) for g, d in zip(graphs, seed_dirs, strict=True)
                     if present(d / READINGS_FILE)]
    if not with_readings:
        return graphs, None
    rules = load_rules()
    return graphs, Pending([g for g, _ in with_readings], [p for _, p in with_readings], rules)


def iter_quotes(graph: PlanGraph) -> Iterator[Provenance]:
    """Every seed provenance in the graph, for checking quotes against the source."""
    for node in graph.nodes.values():
        if node.provenance.kind == "seed":
            yield node.provenance
    for edge in graph.edges:
        if edge.provenance.kind == "seed":
            yield edge.provenance
