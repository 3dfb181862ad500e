"""The official division of responsibility: `kg assign import` (a 分工 document -> a review file) and
`kg assign apply` (the accepted rows -> seed/, as `official` facts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.cli.common import SeedOpt, command, group, say, shown_path

assign_app = group("assign", "Import the official 分工 (who leads which task) from the document itself, review it, "
                             "apply it.")


@command("import", on=assign_app)
def import_cmd(
    document: Annotated[Path, typer.Argument(help="The 分工 document: .txt (UTF-8 or GB18030), .docx, .pdf, .xlsx or "
                                                  ".csv.", dir_okay=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The review file to write (CSV).", dir_okay=False)],
    plan_task_map: Annotated[str, typer.Option("--plan-task-map", help="auto (by number where the document numbers "
                                                                         "as the plan does, else by text), or a CSV "
                                                                         "item,task.")] = "auto",
    title: Annotated[str | None, typer.Option("--title", help="The document's title, if its header has none.")]
    = None,
    date: Annotated[str | None, typer.Option("--date", help="The document's date (2023年3月1日), if its header has "
                                                           "none.")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="A text file's encoding, if not UTF-8 or "
                                                                   "GB18030.")] = None,
    seed: SeedOpt = None,
) -> None:
    """Read a 分工 document and write a review file: one row per item, department and role, with the task it
    matched (and its score and runner-up), the department each name resolved to (or the nearest candidates), and
    an `accept` column for `kg assign apply`.

    Example: kg assign import fengong.docx -o review.csv
    """
    from kg.ingest.review import import_assignments, parse_task_map_option, review_csv
    from kg.ingest.seed import DEFAULT_SEED
    from kg.output import write_atomic

    result = import_assignments(document, seed or DEFAULT_SEED, parse_task_map_option(plan_task_map), title, date,
                                encoding)
    write_atomic(output, review_csv(result.rows))
    doc = result.document
    matched = len(doc.items) - result.work_items
    say(f"read {len(doc.items)} items ({doc.form}) from {shown_path(document.name)}: {doc.title}"
               + (f", {doc.date}" if doc.date else ""))
    say(f"tasks: {matched} matched " + ("by number (the document numbers items as the plan does)"
                                               if result.numbered_as_plan else "by text")
               + f", {result.work_items} kept as work items")
    names = sorted(set(result.unresolved))
    say(f"departments: {len(result.rows)} row(s), {len(result.unresolved)} name(s) unresolved"
               + (f" ({', '.join(names)}): fill `resolved` and set accept to yes, or leave them out" if names else ""))
    say(f"wrote {shown_path(output)}; review it, then: kg assign apply {shown_path(output)}")


@command("apply", on=assign_app)
def apply_cmd(
    review: Annotated[Path, typer.Argument(help="A review file from `kg assign import`.", dir_okay=False)],
    seed: SeedOpt = None,
) -> None:
    """Write the accepted rows of a review file into seed/ as `official` assignments (and work items, and the
    registry's departments they name). The new seed is validated first; nothing is written if it is not valid.
    Two applies into one seed at once take turns (the second waits).

    Example: kg assign apply review.csv
    """
    from kg.ingest.review import apply_review
    from kg.ingest.seed import DEFAULT_SEED

    seed_dir = seed or DEFAULT_SEED
    result = apply_review(review, seed_dir)
    say(f"applied {result.official_rows} official row(s) to {shown_path(seed_dir)}/assignments.csv, "
               f"{result.work_items} work item(s), {len(result.departments_added)} department(s) added from the "
               "registry")
    for note in result.superseded:
        say(f"superseded: {note}")
    for note in result.not_applied:
        say(f"not applied: {note}")
    say("run `kg build` to load it")
