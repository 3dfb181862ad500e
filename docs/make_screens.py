"""The README's screenshots, made the way a reader sees them: a small meeting pack (overview, the densest
department, a target) opened in headless Chromium at 1920x1080, offline. Run: .venv/bin/python docs/make_screens.py
docs/ (tests/test_render_page.py runs it too)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

SHOTS = [("overview", None, "screen-overview"), ("department", "D-drc", "screen-department-drc"),
         ("target", "G3", "screen-target-g3")]


def make_screens(out: Path, browser: Any = None) -> list[Path]:
    """Write the screenshots into `out`; `browser` is a Playwright Chromium already running (the tests'), else one
    is started with the system's `chromium`."""
    from kg.ingest.seed import load_plan
    from kg.output import to_networkx
    from kg.progress.status import annotate_from_graph
    from kg.render.pack import write_pack

    G = annotate_from_graph(to_networkx(load_plan()))  # with the lights assessed at build, as `kg pack` draws
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pack = Path(tmp) / "pack"
        write_pack(G, pack, workers=1, views=[(kind, entity) for kind, entity, _ in SHOTS])
        if browser is not None:
            written = _shoot(browser, pack, out)
        else:
            from playwright.sync_api import sync_playwright

            executable = shutil.which("chromium") or shutil.which("chromium-browser")
            with sync_playwright() as p:
                started = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
                written = _shoot(started, pack, out)
                started.close()
    return written


def wait_ready(page: Any, timeout: float = 60.0) -> None:
    """Wait until the page says it is drawn (window.planKg.ready). Polled from here with evaluate(): Playwright's
    wait_for_function polls with a function compiled in the page, which the pages' Content-Security-Policy (no
    unsafe-eval) refuses whenever the first check comes too early, as it does on a loaded machine."""
    import time

    end = time.monotonic() + timeout
    while not page.evaluate("() => Boolean(window.planKg && window.planKg.ready)"):
        if time.monotonic() > end:
            raise TimeoutError(f"{page.url}: not drawn after {timeout:.0f} s")
        time.sleep(0.05)


def _shoot(browser: Any, pack: Path, out: Path) -> list[Path]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, offline=True)
    page = context.new_page()
    written = []
    for kind, entity, name in [*SHOTS, ("index", None, "screen-pack-index")]:
        stem = kind if entity is None else f"{kind}-{entity}"
        page.goto((pack / f"{stem}.html").as_uri())
        if kind != "index":
            wait_ready(page)
        else:
            page.wait_for_load_state("load")
        target = out / f"{name}.png"
        page.screenshot(path=str(target))
        written.append(target)
    context.close()
    return written


if __name__ == "__main__":
    for path in make_screens(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
