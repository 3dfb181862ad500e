"""The review loop for an official 分工: `import` (document -> review file) and `apply` (review file -> seed/).

`import` matches each item to the plan's task (by its number where the document numbers items as the plan does,
otherwise by text similarity, with the score and the runner-up), resolves every unit name against the registry
and writes one row per (item, department, role) with an `accept` column. Nothing resolved or matched by a guess
goes in silently: an unresolved name is a row with `accept` = no and the nearest candidates.

`apply` writes what was accepted into `assignments.csv` as `official` rows (document title, date, verbatim
quote, deadline), items matching no task into `workitems.csv`, and the registry bodies they name into
`departments.csv`; the new seed is validated first and every file is replaced whole, or nothing is.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import UsageError, ValidationError
from kg.ingest.assign import AssignDocument, Item, read_assignments
from kg.ingest.names import fold, split_units
from kg.ingest.registry import COLUMNS as DEPARTMENT_COLUMNS
from kg.ingest.registry import Registry, plan_jurisdiction
from kg.model import PlanGraph

MATCH_THRESHOLD = 70.0  # below this the best task is not taken as the item's task: it becomes a WorkItem
NUMBERED_SHARE = 0.6  # the share of numbered items whose number is also their best text match
REVIEW_COLUMNS = ("item", "line", "item_text", "task", "task_name", "score", "runner_up", "runner_up_score",
                  "area", "written", "resolved", "resolved_name", "role", "how", "confidence", "nearest", "accept",
                  "deadline", "leader", "quote", "document", "date", "source_file")
ASSIGNMENT_COLUMNS = ("task", "lead", "supporting", "provenance", "rationale", "document", "date", "quote",
                      "deadline", "leader", "source_file")
WORK_ITEM_COLUMNS = ("id", "area", "name", "number", "provenance", "quote", "document", "date", "deadline", "leader",
                     "source_file", "rationale")
YES = {"yes", "y", "true", "1", "是", "x"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class TaskMatch:
    task: str | None  # T15, or None: the item becomes a work item
    score: float
    runner_up: str | None
    runner_up_score: float
    area: str  # the task's area, or the closest area for a work item
    how: str  # number | text | map | none


@dataclass
class ImportResult:
    document: AssignDocument
    rows: list[dict[str, Any]]
    numbered_as_plan: bool
    unresolved: list[str] = field(default_factory=list)
    work_items: int = 0


def _task_score(text: str, name: str) -> float:
    from rapidfuzz import fuzz

    if not text or not name:
        return 0.0
    return float(fuzz.partial_ratio(fold(name), fold(text)))


def match_tasks(items: list[Item], graph: PlanGraph, task_map: dict[int, str] | None = None
                ) -> tuple[list[TaskMatch], bool]:
    """Each item's task, and whether the document numbers its items as the plan numbers its tasks."""
    tasks = sorted(graph.of_kind("Task"), key=lambda n: n.props.get("number") or 0)
    area_of = {e.target: e.source for e in graph.edges if e.kind == "HAS_TASK"}
    scored: list[list[tuple[float, str]]] = []
    for item in items:
        ranked = sorted(((max(_task_score(item.text, t.name), 0.9 * _task_score(item.text, t.text or "")), t.id)
                         for t in tasks), key=lambda p: (-p[0], p[1]))
        scored.append(ranked)
    numbered = [(item, ranked) for item, ranked in zip(items, scored, strict=True) if item.number is not None]
    agree = sum(1 for item, ranked in numbered if ranked[0][1] == f"T{item.number}")
    numbered_as_plan = bool(numbered) and agree / len(numbered) >= NUMBERED_SHARE
    out = []
    for item, ranked in zip(items, scored, strict=True):
        by_id = {tid: s for s, tid in ranked}
        if task_map is not None and item.number in task_map:
            chosen, how = task_map[item.number] or None, "map"
        elif numbered_as_plan and item.number is not None and f"T{item.number}" in by_id:
            chosen, how = f"T{item.number}", "number"
        elif ranked and ranked[0][0] >= MATCH_THRESHOLD:
            chosen, how = ranked[0][1], "text"
        else:
            chosen, how = None, "none"
        others = [(s, t) for s, t in ranked if t != chosen]
        runner = others[0] if others else (0.0, None)
        area = area_of.get(chosen or "", "") or closest_area(item, graph)
        out.append(TaskMatch(chosen, by_id.get(chosen or "", 0.0), runner[1], runner[0], area, how))
    return out, numbered_as_plan


def closest_area(item: Item, graph: PlanGraph) -> str:
    """The area an item that matches no task belongs under: its section heading or its text against each area's
    name, description and task names."""
    best = (-1.0, "")
    for area in sorted(graph.of_kind("Area"), key=lambda n: n.props.get("number") or 0):
        tasks = " ".join(graph.nodes[e.target].name for e in graph.edges
                         if e.kind == "HAS_TASK" and e.source == area.id)
        haystack = " ".join(x for x in (area.name, area.props.get("description") or "", tasks) if x)
        score = max(_task_score(item.section, area.name) if item.section else 0.0,
                    _task_score(item.text, haystack) * 0.9)
        if score > best[0]:
            best = (score, area.id)
    return best[1]


def read_task_map(path: Path) -> dict[int, str]:
    """A CSV `item,task`: the item's number in the document -> T15 (or `none` for a work item)."""
    from kg.ingest.read import read_tables

    table = read_tables(path)[0]
    if not table.rows or [c.strip().lower() for c in table.rows[0][:2]] != ["item", "task"]:
        raise UsageError(f"{path}:1: a task map needs the header item,task (then rows like 3,T15 or 3,none)")
    out: dict[int, str] = {}
    for row, line in zip(table.rows[1:], table.row_numbers[1:], strict=True):
        if not any(row):
            continue
        item, task = ([*row, "", ""])[:2]
        task = task.strip()
        if not item.strip().isdigit() or not re.fullmatch(r"(T?\d+|none)", task, re.IGNORECASE):
            raise UsageError(f"{path}:{line}: {','.join(row)!r} is not valid (valid: 3,T15 or 3,15 or 3,none)")
        out[int(item)] = "" if task.lower() == "none" else (task if task.startswith("T") else f"T{task}")
    return out


def _safe(value: Any) -> str:
    """A cell that a spreadsheet cannot take for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _unsafe(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA) else text


def import_assignments(path: Path, seed_dir: Path, task_map: dict[int, str] | None = None, title: str | None = None,
                       date: str | None = None, encoding: str | None = None) -> ImportResult:
    """Read a 分工 document and build the review rows (nothing is written here)."""
    from kg.ingest.seed import load_plan

    graph = load_plan(seed_dir)
    registry = Registry.load(seed_dir, jurisdiction=plan_jurisdiction(seed_dir))
    known = {fold(n) for b in registry.bodies.values() for n in (b.name, *b.aliases)}
    document = read_assignments(path, encoding, is_unit=lambda name: fold(name) in known)
    document.title, document.date = title or document.title, date or document.date
    if not document.title:
        raise UsageError(f"{path}: no title found in the document's first lines (give --title, e.g. "
                         "--title '沈阳市全面振兴新突破三年行动重点任务分工方案')")
    tasks = {n.id: n for n in graph.of_kind("Task")}
    if task_map:
        unknown = sorted({t for t in task_map.values() if t and t not in tasks})
        if unknown:
            raise UsageError(f"task map: unknown task(s) {', '.join(unknown)} (valid: T1 to T{len(tasks)})")
    matches, numbered_as_plan = match_tasks(document.items, graph, task_map)
    result = ImportResult(document, [], numbered_as_plan)
    for item, match in zip(document.items, matches, strict=True):
        if match.task is None:
            result.work_items += 1
        base = {"item": item.number if item.number is not None else "", "line": item.line, "item_text": item.text,
                "task": match.task or "", "task_name": tasks[match.task].name if match.task else "(work item)",
                "score": round(match.score), "runner_up": match.runner_up or "",
                "runner_up_score": round(match.runner_up_score), "area": match.area, "deadline": item.deadline,
                "leader": item.leader, "quote": item.quote, "document": document.title, "date": document.date or "",
                "source_file": path.name}
        matched = match.task is not None or match.how in ("map", "none")
        for role, cell in (("lead", item.lead), ("responsible", item.responsible)):
            for unit in split_units(cell):
                found = registry.resolve(unit)
                if found.body is None:
                    result.unresolved.append(unit.written)
                result.rows.append({**base, "written": unit.written, "resolved": found.body.id if found.body else "",
                                    "resolved_name": found.body.name if found.body else "", "role": role,
                                    "how": found.how, "confidence": found.confidence,
                                    "nearest": "; ".join(found.nearest),
                                    "accept": "yes" if found.body is not None and matched else "no"})
        if item.leader:
            result.rows.append({**base, "written": item.leader, "resolved": "", "resolved_name": "", "role": "leader",
                                "how": "as written", "confidence": 1.0, "nearest": "", "accept": "yes"})
    return result


def review_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=REVIEW_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe(row.get(k)) for k in REVIEW_COLUMNS})
    return "\ufeff" + buf.getvalue()  # Excel reads the Chinese as UTF-8 with the byte-order mark


# -- apply ----------------------------------------------------------------------------------------------------------
@dataclass
class ApplyResult:
    official_rows: int = 0
    work_items: int = 0
    departments_added: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)  # accepted rows that could not be applied, and why


def _read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    from kg.ingest.read import decode, read_bytes

    text, _ = decode(read_bytes(path), path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), [dict(r) for r in reader]


def _write_csv(columns: tuple[str, ...] | list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c) or "" for c in columns})
    return buf.getvalue()


def apply_review(review: Path, seed_dir: Path) -> ApplyResult:
    """Write the accepted rows of a review file into the seed folder, whole or not at all. Two at once take turns."""
    from kg.lock import writer_lock

    columns, rows = _read_csv_rows(review)
    missing = [c for c in ("item", "line", "task", "resolved", "role", "accept", "quote", "document", "source_file",
                           "area", "item_text") if c not in columns]
    if missing:
        raise UsageError(f"{review}:1: not a review file from `kg assign import` (missing column(s) "
                         f"{', '.join(missing)})")
    jurisdiction = plan_jurisdiction(seed_dir)
    settings_files = _overlay_files(seed_dir)
    dept_path, assign_path, items_path = (seed_dir / settings_files[k] for k in ("departments", "assignments",
                                                                                  "work_items"))
    # one apply at a time, the others waiting (as the imports do): each reads the overlays, adds its document's rows
    # and writes them back, so two at once would each write back the files without the other's rows
    with writer_lock(assign_path, "kg assign apply", wait=True):
        return _apply(review, rows, seed_dir, jurisdiction, dept_path, assign_path, items_path)


def _apply(review: Path, rows: list[dict[str, str]], seed_dir: Path, jurisdiction: str, dept_path: Path,
           assign_path: Path, items_path: Path) -> ApplyResult:
    import shutil
    import tempfile

    from kg.ingest.read import present
    from kg.ingest.seed import load_plan
    from kg.output import write_atomic

    registry = Registry.load(seed_dir, jurisdiction=jurisdiction)
    dept_columns, departments = _read_csv_rows(dept_path)
    assign_columns, assignments = _read_csv_rows(assign_path)
    items_rows = _read_csv_rows(items_path)[1] if present(items_path) else []
    sources = {_unsafe(r["source_file"] or "") for r in rows}

    def from_this_document(r: dict[str, str]) -> bool:  # applying a document again replaces what it wrote before
        return r.get("provenance") == "official" and (r.get("source_file") or "").rsplit(":", 1)[0] in sources

    assignments = [r for r in assignments if not from_this_document(r)]
    items_rows = [r for r in items_rows if not from_this_document(r)]
    known = {r["id"] for r in departments}
    result = ApplyResult()
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for line, raw in enumerate(rows, start=2):
        row = {k: _unsafe(v or "") for k, v in raw.items() if k}
        if row["accept"].strip().lower() not in YES:
            continue
        key = (row["source_file"], row["line"])
        entry = grouped.setdefault(key, {"row": row, "lead": [], "responsible": [], "leader": "", "leader_line": 0})
        if row["role"] == "leader":
            entry["leader"], entry["leader_line"] = row.get("written", ""), line
            continue
        if row["role"] not in ("lead", "responsible"):
            raise UsageError(f"{review}:{line}: role {row['role']!r} is not valid (valid: lead, responsible, leader)")
        body = registry.bodies.get(row["resolved"].strip())
        if body is None:
            raise UsageError(f"{review}:{line}: accepted, but {row['resolved']!r} is no department id (give an id "
                             f"from departments.csv or seed/registry/, e.g. D-commerce, or set accept to no)")
        if body.id not in entry[row["role"]]:
            entry[row["role"]].append(body.id)
    next_work_item = 1 + max((int(r["id"][1:]) for r in items_rows if re.fullmatch(r"W\d+", r.get("id", ""))),
                             default=0)
    for entry in grouped.values():
        row = entry["row"]
        leads, responsible = entry["lead"], [d for d in entry["responsible"] if d not in entry["lead"]]
        if not leads and not responsible:  # only its leader accepted: an assignment needs a department
            item = row["item"] or row["item_text"][:20]
            result.not_applied.append(
                f"{review}:{entry['leader_line']}: item {item} names the leader {entry['leader']} but no accepted "
                f"department (valid: accept a lead or responsible row of item {item}, or set its leader row's accept "
                "to no)")
            continue
        for did in leads + responsible:
            for member in registry.expand(did):
                if member not in known:
                    departments.append(dict(registry.bodies[member].row))
                    known.add(member)
                    result.departments_added.append(member)
        task = row["task"].strip()
        common = {"provenance": "official", "document": row["document"], "date": row.get("date", ""),
                  "quote": row["quote"], "deadline": row.get("deadline", ""), "leader": entry["leader"],
                  "source_file": f"{row['source_file']}:{row['line']}"}
        if not task:
            task = f"W{next_work_item}"
            next_work_item += 1
            items_rows.append({"id": task, "area": row["area"], "name": row["item_text"], "number": row["item"],
                               **common})
            result.work_items += 1
        name = {b.id: b.name for b in registry.bodies.values()}
        assignments.append({"task": task.removeprefix("T"), "lead": "、".join(name[d] for d in leads),
                            "supporting": "、".join(name[d] for d in responsible), "rationale": "", **common})
        result.official_rows += 1
    new_assign_columns = list(dict.fromkeys([*assign_columns, *ASSIGNMENT_COLUMNS]))
    new_dept_columns = list(dict.fromkeys([*dept_columns, *DEPARTMENT_COLUMNS]))
    # Written in this order, each file whole: departments, then work items, then the assignments that refer to
    # both; a process killed between two files leaves a seed that is still valid, and applying again completes it.
    texts = {dept_path: _write_csv(new_dept_columns, departments)}
    if items_rows or present(items_path):
        texts[items_path] = _write_csv(WORK_ITEM_COLUMNS, items_rows)
    texts[assign_path] = _write_csv(new_assign_columns, assignments)
    with tempfile.TemporaryDirectory() as tmp:  # validate the new seed before touching the real one
        trial = Path(tmp) / "seed"
        shutil.copytree(seed_dir, trial)
        for path, text in texts.items():
            (trial / path.relative_to(seed_dir)).write_text(text, encoding="utf-8")
        try:
            graph = load_plan(trial)
        except ValidationError as e:
            raise UsageError(f"{review}: applying it would make the seed invalid; nothing was written:\n"
                             + "\n".join(e.problems)) from None
    for path, text in texts.items():
        write_atomic(path, text)
    result.superseded = [n.replace(str(trial), str(seed_dir)) for n in graph.notes]
    return result


def _overlay_files(seed_dir: Path) -> dict[str, str]:
    from kg.ingest.read import read_yaml_value

    settings = read_yaml_value(seed_dir / "plan.yaml")
    overlays = settings.get("overlays") if isinstance(settings, dict) else None
    files = dict(overlays) if isinstance(overlays, dict) else {}
    files.setdefault("work_items", "workitems.csv")
    if "departments" not in files or "assignments" not in files:
        raise UsageError(f"{seed_dir}/plan.yaml: overlays need departments and assignments")
    return {k: str(v) for k, v in files.items()}


def parse_task_map_option(value: str) -> dict[int, str] | None:
    return None if value == "auto" else read_task_map(Path(value))

