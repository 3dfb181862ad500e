"""seed/ (the plan's text and the curated overlays) -> a validated `PlanGraph`.

All problems are collected and reported together as `file:line: what is wrong (what is valid)`; nothing is
written anywhere. Overlay rows that state what the plan itself says carry `provenance: seed` and a verbatim
quote, whose offsets are found here in the source; every other row is `curated` with a one-line rationale.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg.errors import UsageError, ValidationError
from kg.ingest.parse import ParsedPlan, Span, parse_file
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


def _read_csv(path: Path, shown: str, columns: tuple[str, ...], problems: _Problems) -> list[_Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except FileNotFoundError:
        problems.add(shown, "file not found")
        return []
    except UnicodeDecodeError as e:
        problems.add(shown, f"not UTF-8 ({e.reason}); save it from Excel as 'CSV UTF-8'")
        return []
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        problems.add(f"{shown}:1", f"missing column(s) {', '.join(missing)} (valid header: {','.join(columns)})")
        return []
    rows = []
    for record in reader:
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue
        rows.append(_Row(shown, reader.line_num, {k: v for k, v in record.items() if isinstance(k, str)}))
    return rows


def _read_yaml_list(path: Path, shown: str, problems: _Problems) -> list[_Row]:
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except FileNotFoundError:
        problems.add(shown, "file not found")
        return []
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problems.add(f"{shown}:{mark.line + 1 if mark else 1}", f"not valid YAML ({getattr(e, 'problem', e)})")
        return []
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        problems.add(f"{shown}:1", "expected a list of facts, one '- {kind: ..., source: ..., target: ...}' per line")
        return []
    rows = []
    for item in root.value:
        data = yaml.SafeLoader("").construct_document(item)
        line = item.start_mark.line + 1
        if not isinstance(data, dict):
            problems.add(f"{shown}:{line}", "expected a mapping with kind, source, target, provenance")
            continue
        rows.append(_Row(shown, line, {str(k): "" if v is None else str(v) for k, v in data.items()}))
    return rows


class _Builder:
    def __init__(self, seed_dir: Path, plan: ParsedPlan, plan_id: str, shown_dir: str) -> None:
        self.dir, self.plan, self.shown_dir = seed_dir, plan, shown_dir
        self.graph = PlanGraph(plan_id)
        self.problems = _Problems()
        self.dept_names: dict[str, str] = {}  # name or alias -> department id

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
        self.problems.add(row.at(), f"provenance {kind!r} is not valid (valid: seed, curated)")
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
        rows = _read_csv(self.dir / file_name, self.shown(file_name), ("id", "name_en"), self.problems)
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

    def departments(self, file_name: str) -> None:
        cols = ("id", "name", "name_en", "kind", "aliases", "provenance", "quote", "rationale")
        for row in _read_csv(self.dir / file_name, self.shown(file_name), cols, self.problems):
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
            prov = self.row_prov(row, file_name)
            if prov is not None:
                self.graph.add(Node("Department", did, name, prov, name_en=row.get("name_en"),
                                    props={"department_kind": row.get("kind"), "aliases": aliases}))

    def department_list(self, row: _Row, cell: str) -> list[str]:
        """'市工业和信息化局、商务局' -> two ids: official lists elide the repeated 市; aliases cover it."""
        ids = []
        for label in (part.strip() for part in re.split(r"[、;；,，]", cell)):
            if not label:
                continue
            did = self.dept_names.get(label) or self.dept_names.get(label.removeprefix("市"))
            if did is None:
                self.problems.add(row.at(), f"unknown department {label!r} (closest: "
                                  f"{_closest(label, sorted(self.dept_names))})")
            else:
                ids.append(did)
        return ids

    def task_id(self, row: _Row, cell: str, column: str) -> str | None:
        tid = cell if cell.startswith("T") else f"T{cell}"
        node = self.graph.nodes.get(tid)
        if node is None or node.kind != "Task":
            count = len(self.graph.of_kind("Task"))
            self.problems.add(row.at(), f"{column}: unknown task {cell!r} (valid: 1 to {count}, or T1 to T{count})")
            return None
        return tid

    def assignments(self, file_name: str) -> None:
        rows = _read_csv(self.dir / file_name, self.shown(file_name),
                         ("task", "lead", "supporting", "provenance", "rationale"), self.problems)
        seen: dict[str, int] = {}
        for row in rows:
            tid = self.task_id(row, row.get("task"), "task")
            prov = self.row_prov(row, file_name)
            if tid is None or prov is None:
                continue
            if tid in seen:
                self.problems.add(row.at(), f"task {tid} is assigned again (first at line {seen[tid]})")
                continue
            seen[tid] = row.line
            leads = self.department_list(row, row.get("lead"))
            if not row.get("lead"):
                self.problems.add(row.at(), f"task {tid} has no lead department (valid: a name from departments.csv)")
            supporting = self.department_list(row, row.get("supporting"))
            for did in set(leads) & set(supporting):
                self.problems.add(row.at(), f"{did} is both lead and supporting for {tid}")
            for did in leads:
                self.graph.link("LEADS", did, tid, prov)
            for did in supporting:
                self.graph.link("SUPPORTS", did, tid, prov)
        for task in self.graph.of_kind("Task"):
            if task.id not in seen and rows:
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
                         ("task", "indicator", "metric", "rationale"), self.problems)
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
                         ("kind", "source", "target", "rationale"), self.problems)
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


def _plan_settings(seed_dir: Path, shown_dir: str) -> dict[str, Any]:
    path = seed_dir / "plan.yaml"
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise UsageError(f"{shown_dir}/plan.yaml: not found (a seed folder needs plan.yaml; see seed/ in the "
                         "repository)") from e
    except yaml.YAMLError as e:
        raise UsageError(f"{shown_dir}/plan.yaml: not valid YAML ({e})") from e
    if not isinstance(settings, dict) or not {"id", "source", "overlays"} <= set(settings):
        raise UsageError(f"{shown_dir}/plan.yaml: needs id, source and overlays")
    return settings


def load_plan(seed_dir: Path | None = None, source: Path | None = None) -> PlanGraph:
    """Parse the plan text and the overlays in `seed_dir` into a validated graph; raise on any problem."""
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
    builder.departments(files["departments"])
    builder.assignments(files["assignments"])
    builder.dependencies(files["dependencies"])
    builder.contributions(files["contributions"])
    builder.links(files["links"])
    builder.safeguards(files["safeguards"])
    if builder.problems:
        raise ValidationError(list(builder.problems))
    from kg.progress.graph import add_progress

    add_progress(builder.graph, seed_dir, shown_dir)  # readings.csv, when the seed folder has one
    return builder.graph


def iter_quotes(graph: PlanGraph) -> Iterator[Provenance]:
    """Every seed provenance in the graph, for checking quotes against the source."""
    for node in graph.nodes.values():
        if node.provenance.kind == "seed":
            yield node.provenance
    for edge in graph.edges:
        if edge.provenance.kind == "seed":
            yield edge.provenance
