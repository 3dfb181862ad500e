"""Task milestones (时间节点) from `seed/milestones.csv`: each task's dated deliverables, with provenance.

A row is `seed` when the plan itself stages the task (its verbatim quote is checked against the text, like other
overlays) or `curated` with a one-line rationale. Every task needs at least one milestone inside the plan period.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kg.errors import UsageError, ValidationError
from kg.model import PlanGraph, Provenance, natural_key

COLUMNS = ("task", "due", "deliverable", "provenance", "quote", "rationale")
DEFAULT_FILE = "milestones.csv"


@dataclass(frozen=True)
class Milestone:
    task: str  # T15
    due: date
    deliverable: str
    provenance: Provenance


def plan_years(graph: PlanGraph) -> tuple[int, int]:
    """The plan's first and last year, from its Plan node."""
    plan = next(iter(graph.of_kind("Plan")), None)
    start = plan.props.get("start_year") if plan else None
    end = plan.props.get("end_year") if plan else None
    if not isinstance(start, int) or not isinstance(end, int):
        raise UsageError(f"plan {graph.plan_id} has no start and end year (valid: a title that gives them, "
                         "e.g. 2023—2025年)")
    return start, end


def _seed_files(seed_dir: Path) -> tuple[Path, Path]:
    """(milestones.csv, the plan source text) as named by the seed folder's plan.yaml."""
    from kg.ingest.read import read_yaml_value

    path = seed_dir / "plan.yaml"
    settings = read_yaml_value(path)
    if not isinstance(settings, dict) or not settings.get("source"):
        raise UsageError(f"{path}:1: no {'source'!r} key (valid: id, source, name_en, jurisdiction, overlays)")
    overlays = settings.get("overlays") or {}
    overlays = overlays if isinstance(overlays, dict) else {}
    return seed_dir / str(overlays.get("milestones", DEFAULT_FILE)), seed_dir / str(settings["source"])


def load_milestones(seed_dir: Path, graph: PlanGraph) -> list[Milestone]:
    """Every milestone, validated against the graph and the plan text; all problems raised together."""
    from kg.ingest.read import decode, read_bytes

    path, source = _seed_files(seed_dir)
    shown = f"{str(seed_dir).rstrip('/')}/{path.name}"
    text, _ = decode(read_bytes(path), shown)
    plan_text, _ = decode(read_bytes(source), source)
    first, last = plan_years(graph)
    problems: list[str] = []
    out: list[Milestone] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError([f"{shown}:1: missing column(s) {', '.join(missing)} "
                               f"(valid header: {','.join(COLUMNS)})"])
    seen: set[tuple[str, date]] = set()
    for record in reader:
        where = f"{shown}:{reader.line_num}"
        row = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
        if not any(row.values()):
            continue
        cell = row["task"]
        tid = cell if cell.startswith("T") else f"T{cell}"
        node = graph.nodes.get(tid)
        if node is None or node.kind != "Task":
            problems.append(f"{where}: unknown task {cell!r} (valid: T1 to T{len(graph.of_kind('Task'))})")
            continue
        try:
            due = date.fromisoformat(row["due"])
        except ValueError:
            problems.append(f"{where}: due {row['due']!r} is not a date (valid: YYYY-MM-DD)")
            continue
        if not first <= due.year <= last:
            problems.append(f"{where}: due {due} is outside the plan ({first}-01-01 to {last}-12-31)")
            continue
        if not row["deliverable"]:
            problems.append(f"{where}: a milestone needs a deliverable")
            continue
        if (tid, due) in seen:
            problems.append(f"{where}: {tid} already has a milestone due {due}")
            continue
        seen.add((tid, due))
        kind = row["provenance"] or "curated"
        if kind == "seed":
            quote = row["quote"]
            count = plan_text.count(quote) if quote else 0
            if count != 1:
                what = "is missing" if not quote else ("not found verbatim in" if count == 0 else
                                                       f"found {count} times in")
                problems.append(f"{where}: quote {quote!r} {what} {source.name} (valid: a passage that occurs "
                                "exactly once)")
                continue
            start = plan_text.index(quote)
            prov = Provenance("seed", quote=quote, start=start, end=start + len(quote), source=f"{path.name}:"
                              f"{reader.line_num}", rationale=row["rationale"] or None)
        elif kind == "curated":
            if not row["rationale"]:
                problems.append(f"{where}: a curated milestone needs a one-line rationale")
                continue
            prov = Provenance.curated(row["rationale"], f"{path.name}:{reader.line_num}")
        else:
            problems.append(f"{where}: provenance {kind!r} is not valid (valid: seed, curated)")
            continue
        out.append(Milestone(tid, due, row["deliverable"], prov))
    without = sorted({t.id for t in graph.of_kind("Task")} - {m.task for m in out}, key=natural_key)
    if without and not problems:
        problems.append(f"{shown}: no milestone for {', '.join(without)} (add '<task>,<YYYY-MM-DD>,<deliverable>,"
                        "curated,,<why>')")
    if problems:
        raise ValidationError(problems)
    return sorted(out, key=lambda m: (natural_key(m.task), m.due))


def by_task(milestones: list[Milestone]) -> dict[str, list[Milestone]]:
    out: dict[str, list[Milestone]] = {}
    for m in milestones:
        out.setdefault(m.task, []).append(m)
    return out


def period_window(period: str) -> tuple[date, date]:
    """'2025-06' -> (2025-06-01, 2025-06-30)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", period, re.ASCII)
    if not match or not 1 <= int(match[2]) <= 12:
        raise UsageError(f"period {period!r} is not valid (valid: YYYY-MM, e.g. 2025-06)")
    year, month = int(match[1]), int(match[2])
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def check_period(period: str, graph: PlanGraph) -> str:
    """The period as given, if it is a month inside the plan; otherwise one clear error."""
    first, _ = period_window(period)
    start, end = plan_years(graph)
    if not start <= first.year <= end:
        raise UsageError(f"period {period} is outside the plan (valid: {start}-01 to {end}-12)")
    return period


def previous_period(period: str) -> str:
    first, _ = period_window(period)
    before = date.fromordinal(first.toordinal() - 1)
    return f"{before.year:04d}-{before.month:02d}"


def reporting_date(period: str, day: int) -> date:
    first, last = period_window(period)
    return first.replace(day=min(day, last.day))


def current_milestone(milestones: list[Milestone], period: str, day: int) -> tuple[Milestone | None, date | None]:
    """The milestone a period's row reports on and the first day of its window.

    It is the earliest milestone due after the previous period's reporting day, so one due on 31 December (after
    the December report) is judged in January's report. Its window starts the day after the milestone before it
    (None for a task's first milestone: from the plan's start).
    """
    since = reporting_date(previous_period(period), day)
    ordered = sorted(milestones, key=lambda m: m.due)
    for i, m in enumerate(ordered):
        if m.due > since:
            return m, (date.fromordinal(ordered[i - 1].due.toordinal() + 1) if i else None)
    return None, None
