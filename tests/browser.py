"""Headless Chromium for the visuals tests, driven through Playwright with the system's `chromium` (no browser
download). Every request that is not the page's own file is recorded and refused, and the context is offline.
Without Chromium the tests skip with the reason; with CI=true they fail instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from docs.make_screens import wait_ready

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "screens"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@dataclass
class Opened:
    page: Any
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    refused: list[str] = field(default_factory=list)  # asked for and refused: anything but the page itself
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _unavailable("no `chromium` on PATH (Debian: apt-get install chromium; .ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e .[dev])")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium):  # type: ignore[no-untyped-def]
    """open_page(path) -> Opened, with the page loaded from file:// and the drawing finished."""
    contexts = []

    def open_(path: Path, wait: bool = True, size: tuple[int, int] = (1600, 900), allow: Path | None = None) -> Opened:
        """`allow`: a folder whose files the page may load too (a pack page's shared assets)."""
        context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, offline=True)
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        own = path.resolve().as_uri()

        def route(r: Any) -> None:
            url = r.request.url
            opened.requests.append(url)
            if url == own or (allow is not None and url.startswith(allow.resolve().as_uri() + "/")):
                r.continue_()
            else:
                opened.refused.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda r: opened.failed.append(r.url))
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.goto(own)
        if wait:
            wait_ready(page)
        return opened

    yield open_
    for context in contexts:
        context.close()


def screenshot(opened: Opened, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    opened.page.screenshot(path=str(path))
    return path


CANVAS_INK = """() => {
  const canvas = document.querySelector('#graph canvas');
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) { ink++; }
  }
  return ink / (canvas.width * canvas.height);
}"""
