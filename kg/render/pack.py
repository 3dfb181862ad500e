"""The meeting pack: the overview, each target, area and department, and the impact of the most depended-on
tasks, as HTML and PNG, behind one index.html in sections, drawn in parallel processes."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import networkx as nx

from kg.errors import OutputError, UsageError
from kg.model import natural_key
from kg.output import ordinary_mode, writable_folder, write_atomic
from kg.render.html import write_assets, write_html
from kg.render.image import write_image
from kg.render.views import build_view


def write_pack(G: nx.MultiDiGraph, out: Path, extras: list[tuple[str, str, str | bytes]] | None = None,
               wait: bool = False, workers: int | None = None,
               views: list[tuple[str, str | None]] | None = None) -> list[tuple[str, str]]:
    """Write the pack into `out`; returns [(title, file stem)] of the views in the order of the index. `extras` are
    documents made elsewhere (title, file name, content), written into the pack and listed first on the index.

    The pack is written into a staging folder beside `out`, named with this process's id, and swapped into place
    in one step when complete: a failure leaves the previous pack (or none), never half of one. One writer at a
    time holds the lock on `out` (`wait` to wait for it); the staging folders of dead processes are removed
    first. Views are drawn in `workers` processes (default: the cores); `views` narrows the pack to some of
    pack_views(G) (the README's screenshots)."""
    import shutil
    import tempfile

    from kg.lock import writer_lock

    if out.is_symlink():  # the swap below would rename the link away; the folder it names is the pack's place
        out = Path(os.path.realpath(out))
    writable_folder(out.parent, out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; the meeting pack is a folder")
    with writer_lock(out, "kg pack", wait):
        remove_dead_staging(out)
        try:
            work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f"{_staging_prefix(out)}{os.getpid()}-"))
        except OSError as e:
            raise OutputError(f"{out}: cannot be written in {out.parent} ({e.strerror or e})") from None
        try:
            entries = _write_views(G, work, workers, views, extras or [])
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        ordinary_mode(work, 0o777)
        if out.exists() and _exchange(work, out):  # the staging folder now holds the previous pack
            shutil.rmtree(work, ignore_errors=True)
        elif out.exists():  # no exchange here: two renames, a moment without a pack
            old = work.with_name(work.name + ".old")
            out.rename(old)
            work.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out)
    return entries


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux's renameat2 RENAME_EXCHANGE), so that a process killed in the middle
    leaves one of them in place, never neither. False where the system or the file system cannot."""
    import sys

    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):  # a C library older than glibc 2.28, or another one without it
        return False
    at_fdcwd, rename_exchange = -100, 2
    return bool(libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0)


def _staging_prefix(out: Path) -> str:
    return f".{out.name}.staging-"


def remove_dead_staging(out: Path) -> list[Path]:
    """Remove the staging folders beside `out` whose process (the pid in the name) is no longer running."""
    import shutil

    from kg.lock import dead_leftovers

    removed = [folder for folder in dead_leftovers(out.parent, _staging_prefix(out)) if folder.is_dir()]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


DEPARTMENT_ORDER = "department_order"  # G.graph[DEPARTMENT_ORDER]: department ids in the registry's order
CRITICAL_IMPACTS = 5  # impact views for the tasks the plan leans on most


def pack_views(G: nx.MultiDiGraph) -> list[tuple[str, str | None]]:
    """The pack's views in the meeting's order: the overview; where the plan stands when the graph carries lights
    (kg/render/status.py); targets, areas in plan order; departments that lead, then those that only support (the
    districts among them), in the registry's order; the impact of the most depended-on tasks."""
    from kg.analysis import critical

    def of(kind: str) -> list[str]:
        return sorted((n for n, d in G.nodes(data=True) if d.get("kind") == kind), key=natural_key)

    from kg.render.status import status_views

    views: list[tuple[str, str | None]] = [("overview", None), *status_views(G)]
    views += [("target", n) for n in of("Target")] + [("area", n) for n in of("Area")]
    leads = {u for u, _, k in G.edges(data="kind") if k == "LEADS"}
    supports = {u for u, _, k in G.edges(data="kind") if k == "SUPPORTS"} - leads
    # the registry's order (departments.csv, then seed/registry/): a store gives its nodes back by id
    rank = {d: i for i, d in enumerate(G.graph.get(DEPARTMENT_ORDER, []))}
    departments = sorted((n for n in G if G.nodes[n].get("kind") == "Department"), key=lambda d: rank.get(d, len(rank)))
    views += [("department", d) for d in departments if d in leads]
    views += [("department", d) for d in departments if d in supports]
    views += [("impact", r["task"]) for r in critical(G)[:CRITICAL_IMPACTS] if r["dependents"] > 0]
    return views


SECTIONS = {"documents": "通报与状态 Bulletin and status",
            "overview": "总览 Overview", "status": "状态 Status", "target": "目标 Targets", "area": "领域 Areas",
            "department": "部门 Departments", "matrix": "责任矩阵 Department × target matrix",
            "impact": "影响 Impact of the most depended-on tasks"}
ANSWERS = {"overview": "Which principles guide which targets, and which areas serve each target?",
           "target": "Who must deliver this target: its areas, tasks, departments and indicators?",
           "area": "Which tasks make up this area, and which departments lead or support them?",
           "department": "What is this department on the hook for: its tasks, their targets and indicators?",
           "impact": "If this task slips, which tasks, targets and indicators are at risk?"}

_G: nx.MultiDiGraph | None = None
_CHARS = ""
_STEMS: list[str] = []
MATRIX_COST = 60  # a matrix picture costs about as much to draw as a view of this many nodes


def _start_worker(G: nx.MultiDiGraph, chars: str, stems: list[str], parent: int | None = None) -> None:
    global _G, _CHARS, _STEMS
    _G, _CHARS, _STEMS = G, chars, stems
    if parent is not None:
        from kg.lock import die_with

        die_with(parent)


def _render_one(job: tuple[str, str | None, str]) -> tuple[str, str, bool]:
    """In a worker: build one view, write its page and its image (each drawn once); (title, stem, codes only)."""
    kind, entity, folder = job
    assert _G is not None
    stem = kind if entity is None else f"{kind}-{entity}"
    if kind == "status" and entity is not None:  # kg/render/status.py: its caption under the drawing
        from kg.render.status import status_view, write_status_image, write_status_page

        view = status_view(_G, entity)
        write_status_page(view, entity, Path(folder) / f"{stem}.html", _CHARS, _STEMS)
        write_status_image(view, entity, Path(folder) / f"{stem}.png")
        return view.title, stem, view.layout.detail == 2
    view = build_view(_G, kind, entity)
    write_html(view, Path(folder) / f"{stem}.html", _CHARS, back="index.html", assets="assets", pack=_STEMS)
    write_image(view, Path(folder) / f"{stem}.png", compact=True)
    return view.title, stem, view.layout.detail == 2


def _render_matrix(job: tuple[dict[str, Any], str, str]) -> None:
    """In a worker: one picture of the responsibility matrix."""
    from kg.render.matrix import render_matrix

    page, plan, path = job
    write_atomic(Path(path), render_matrix(page, plan, compact=True))


def _warm_parent() -> None:
    """What every worker needs, imported and loaded once before the workers are forked from this process."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import PIL.PngImagePlugin  # noqa: F401

    import kg.analysis
    import kg.render.raster  # noqa: F401
    from kg.render.image import _font

    _font()


def _write_views(G: nx.MultiDiGraph, out: Path, workers: int | None = None,
                 only: list[tuple[str, str | None]] | None = None,
                 extras: list[tuple[str, str, str | bytes]] | None = None) -> list[tuple[str, str]]:
    import multiprocessing
    import string
    from concurrent.futures import Future, ProcessPoolExecutor

    from kg.render.html import UI_TEXT
    from kg.render.matrix import matrix_pages
    from kg.render.status import ANSWERS as STATUS_ANSWERS
    from kg.render.status import select_status, status_chars
    from kg.render.views import select

    views = pack_views(G) if only is None else only
    # one font subset serves every page (made once, while the workers draw): the plan's text, every title, what
    # labels add
    texts = [v for _, d in G.nodes(data=True) for v in d.values() if isinstance(v, str)] + [status_chars(G)]
    selected = [select_status(G, entity or "") if kind == "status" else select(G, kind, entity)
                for kind, entity in views]
    chars = "".join(sorted(set("".join(texts + [title for _, title in selected]) + "".join(SECTIONS.values())
                               + UI_TEXT + "…≥↓年均()←会议材料" + string.printable.strip())))
    stems = [kind if entity is None else f"{kind}-{entity}" for kind, entity in views]
    jobs = [(kind, entity, str(out)) for kind, entity in views]
    plan = str(G.graph.get("plan", ""))
    pages = matrix_pages(G) if only is None else []
    matrices = [(page, plan, str(out / f"matrix-{i}.png")) for i, page in enumerate(pages, start=1)]
    workers = workers or min(len(jobs), os.cpu_count() or 1, 4)
    if workers > 1:
        # forked workers start with matplotlib imported and the font registered; the largest views go first, so
        # that no worker is left drawing a big one alone at the end
        _warm_parent()
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        order = sorted(range(len(jobs)), key=lambda i: -len(selected[i][0]))
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                 initargs=(G, chars, stems, os.getpid())) as pool:
            try:
                futures: dict[int, Future[tuple[str, str, bool]]] = {}
                pictures: list[Future[None]] = []
                for i in order:
                    if matrices and len(selected[i][0]) < MATRIX_COST:
                        pictures += [pool.submit(_render_matrix, job) for job in matrices]
                        matrices = []
                    futures[i] = pool.submit(_render_one, jobs[i])
                pictures += [pool.submit(_render_matrix, job) for job in matrices]
                write_assets(out / "assets", chars)
                done = [futures[i].result() for i in range(len(jobs))]
                for picture in pictures:
                    picture.result()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
    else:
        write_assets(out / "assets", chars)
        _start_worker(G, chars, stems)
        done = [_render_one(job) for job in jobs]
        for job in matrices:
            _render_matrix(job)
    entries = [(title, stem) for title, stem, _ in done]
    sections: dict[str, list[str]] = {}
    for (kind, entity), (title, stem, codes_only) in zip(views, done, strict=True):
        note = " · codes only in the picture" if codes_only else ""
        answer = STATUS_ANSWERS[entity or ""] if kind == "status" else ANSWERS[kind]
        sections.setdefault(kind, []).append(
            f'<li><a href="{html.escape(stem)}.html"><img src="{html.escape(stem)}.png" alt="" loading="lazy" '
            f'width="320" height="180"></a><div><a href="{html.escape(stem)}.html">{html.escape(title)}</a>'
            f'<p>{html.escape(answer)}{note}</p><a href="{html.escape(stem)}.png">PNG 1920×1080</a></div></li>')
    if only is None:  # the responsibility matrix as heat-map pictures, after the departments
        rows = [f'<li><a href="matrix-{i}.png"><img src="matrix-{i}.png" alt="" loading="lazy" width="320" '
                f'height="180"></a><div><a href="matrix-{i}.png">{html.escape(page["title"])}</a>'
                f'<p>Who carries which target, and how heavily?</p></div></li>'
                for i, page in enumerate(pages, start=1)]
        ordered = list(sections.items())
        at = next((i for i, (k, _) in enumerate(ordered) if k == "impact"), len(ordered))
        sections = dict([*ordered[:at], ("matrix", rows), *ordered[at:]])
    if extras:  # documents made elsewhere (the bulletin, the status overview): first on the index
        for _, name, content in extras:
            write_atomic(out / name, content)
        sections = {"documents": [f'<li><div><a href="{html.escape(name)}">{html.escape(title)}</a></div></li>'
                                  for title, name, _ in extras], **sections}
    body = "\n".join(f'<section id="{kind}"><h2>{html.escape(SECTIONS[kind])}</h2><ul>\n' + "\n".join(rows)
                      + "\n</ul></section>" for kind, rows in sections.items())
    nav = " · ".join(f'<a href="#{kind}">{html.escape(SECTIONS[kind])}</a>' for kind in sections)
    values = {"PLAN": html.escape(plan), "ROWS": body, "NAV": nav}
    write_atomic(out / "index.html", re.sub(r"@@([A-Z]+)@@", lambda m: values[m.group(1)], INDEX))
    return entries


INDEX = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>会议材料 Meeting pack · @@PLAN@@</title>
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; font-src 'self'">
<style>
@font-face{font-family:"PlanKG CJK";src:url("assets/plan-kg-sc.otf") format("opentype")}
body{font-family:"PlanKG CJK",sans-serif;margin:24px;
line-height:1.5;font-size:20px;color:#212121}
h1{font-size:32px;margin:0 0 4px} h2{font-size:26px;border-bottom:2px solid #ddd;margin-top:32px}
nav{margin:8px 0 16px}
ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(640px,1fr));gap:16px}
li{display:flex;gap:12px;align-items:flex-start} li img{border:1px solid #ccc;flex:none}
li p{margin:4px 0;color:#424242;font-size:18px}
@media print{@page{size:A4 landscape;margin:12mm} body{margin:0;font-size:12pt} nav{display:none}
section{break-inside:avoid-page} li{break-inside:avoid} ul{grid-template-columns:1fr 1fr}}
</style></head>
<body><h1>会议材料 Meeting pack</h1><p>plan-kg · @@PLAN@@ · each view as an interactive page (works offline) and
as a 1920×1080 image for slides, in the plan's order.</p>
<nav>@@NAV@@</nav>
@@ROWS@@
</body></html>
"""
