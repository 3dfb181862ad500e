"""The meeting pack: the overview, each area and each lead department, as HTML and PNG, behind one index.html."""

from __future__ import annotations

import glob
import html
import os
import re
from pathlib import Path

import networkx as nx

from kg.errors import OutputError, UsageError
from kg.model import natural_key
from kg.output import ordinary_mode, writable_folder, write_atomic
from kg.render.html import write_html
from kg.render.image import write_image
from kg.render.views import build_view


def write_pack(G: nx.MultiDiGraph, out: Path, extras: list[tuple[str, str, str | bytes]] | None = None,
               wait: bool = False) -> list[tuple[str, str]]:
    """Write the pack into `out`; returns [(title, file stem)] of the views in the order of the index. `extras` are
    documents made elsewhere (title, file name, content), written into the pack and listed first on the index.

    The pack is written into a staging folder beside `out`, named with this process's id, and moved into place
    when complete: a failure leaves the previous pack (or none), never half of one. One writer at a time holds
    the lock on `out` (`wait` to wait for it); the staging folders of dead processes are removed first."""
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
            entries = _write_views(G, work, extras or [])
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        ordinary_mode(work, 0o777)
        if out.exists():
            old = work.with_name(work.name + ".old")
            out.rename(old)
            work.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out)
    return entries


def _staging_prefix(out: Path) -> str:
    return f".{out.name}.staging-"


def remove_dead_staging(out: Path) -> list[Path]:
    """Remove the staging folders beside `out` whose process (the pid in the name) is no longer running."""
    import shutil

    from kg.lock import alive

    removed = []
    prefix = _staging_prefix(out)
    for folder in out.parent.glob(f"{glob.escape(prefix)}*"):
        match = re.fullmatch(r"(\d+)-.*", folder.name[len(prefix):])
        if match and folder.is_dir() and not folder.is_symlink() and not alive(int(match.group(1))):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _write_views(G: nx.MultiDiGraph, out: Path, extras: list[tuple[str, str, str | bytes]]) -> list[tuple[str, str]]:
    views = [("overview", None)]
    views += [("area", n) for n in sorted((n for n, d in G.nodes(data=True) if d.get("kind") == "Area"),
                                          key=natural_key)]
    leads = {u for u, _, k in G.edges(data="kind") if k == "LEADS"}
    views += [("department", d) for d in sorted(leads, key=natural_key)]
    built = [(kind, entity, build_view(G, kind, entity)) for kind, entity in views]
    # one font subset serves every page: all the plan's text and every title
    texts = [v for _, d in G.nodes(data=True) for v in d.values() if isinstance(v, str)]
    chars = "".join(sorted(set("".join(texts) + "".join(view.title for _, _, view in built))))
    entries = []
    for kind, entity, view in built:
        stem = kind if entity is None else f"{kind}-{entity}"
        write_html(view, out / f"{stem}.html", chars)
        write_image(view, out / f"{stem}.png")
        entries.append((view.title, stem))
    rows = "\n".join(f'<li><a href="{html.escape(stem)}.html">{html.escape(title)}</a> · '
                     f'<a href="{html.escape(stem)}.png">PNG</a></li>' for title, stem in entries)
    for title, name, content in reversed(extras):
        write_atomic(out / name, content)
        rows = f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>\n' + rows
    plan = html.escape(str(G.graph.get("plan", "")))
    values = {"PLAN": plan, "ROWS": rows}
    write_atomic(out / "index.html", re.sub(r"@@([A-Z]+)@@", lambda m: values[m.group(1)], INDEX))
    return entries


INDEX = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>会议材料 Meeting pack · @@PLAN@@</title>
<style>body{font-family:sans-serif;margin:24px;line-height:1.6}</style></head>
<body><h1>会议材料 Meeting pack</h1><p>plan-kg · @@PLAN@@ · each view as an interactive page (works offline) and
as a 1920×1080 image for slides.</p>
<ul>
@@ROWS@@
</ul></body></html>
"""
