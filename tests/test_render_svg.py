"""An SVG names its font and carries it: the subset of Noto Sans SC covering every character of its text, as an
@font-face in its <style>, so that it renders the same on a PC without Chinese fonts and its text stays text."""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kg.output import to_networkx
from kg.render.image import render_image
from kg.render.views import build_view

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def svg(plan_graph) -> str:  # type: ignore[no-untyped-def]
    return render_image(build_view(to_networkx(plan_graph), "department", "D-drc"), "svg").decode("utf-8")


def _embedded(svg: str) -> tuple[str, bytes]:
    style = "".join(el.text or "" for el in ET.fromstring(svg).iter(f"{SVG_NS}style"))
    face = re.search(r"@font-face \{ font-family: '([^']+)'; src: url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", style)
    assert face is not None, style[:200]
    return face.group(1), base64.b64decode(face.group(2))


def test_every_character_of_the_text_is_in_the_embedded_font(svg: str) -> None:
    from fontTools.ttLib import TTFont

    family, data = _embedded(svg)
    texts = ["".join(el.itertext()) for el in ET.fromstring(svg).iter(f"{SVG_NS}text")]
    chars = {c for t in texts for c in t if not c.isspace()}
    assert len(texts) > 50 and "发" in chars and "T" in chars  # the department's tasks and the legend
    with TTFont(io.BytesIO(data)) as font:
        assert str(font["name"].getDebugName(1)) == family == "Noto Sans SC"
        cmap = font.getBestCmap()
    assert sorted(c for c in chars if ord(c) not in cmap) == []
    # the text asks for the family the @font-face declares, and the subset is a subset (not the 16 MB font)
    assert all(f"font-family: '{family}'" in (el.get("style") or "") for el in ET.fromstring(svg).iter(f"{SVG_NS}text"))
    assert len(data) < 400_000


def test_the_check_sees_a_character_missing_from_the_font(svg: str) -> None:
    from fontTools.ttLib import TTFont

    _, data = _embedded(svg)
    with TTFont(io.BytesIO(data)) as font:
        assert ord("鬱") not in font.getBestCmap()  # not on the picture, so not in its subset


@pytest.mark.browser
def test_chromium_draws_the_svg_with_its_embedded_font(svg: str, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Opened alone in Chromium, the SVG's own @font-face loads and is used: without it the same text is drawn
    differently (in a system fallback font, or as missing-glyph boxes on a PC without Chinese fonts)."""
    import numpy as np
    from PIL import Image

    with_font = tmp_path / "with.svg"
    with_font.write_text(svg, encoding="utf-8")
    without = tmp_path / "without.svg"
    without.write_text(re.sub(r"@font-face \{[^}]*\}", "", svg), encoding="utf-8")
    shots = []
    for path in (with_font, without):
        opened = open_page(path, wait=False, size=(1400, 800))
        loaded = opened.page.evaluate("""async () => {
          const faces = await document.fonts.load("15px 'Noto Sans SC'", "发展改革");
          await document.fonts.ready;
          return faces.map(f => f.status);
        }""")
        assert not opened.errors and not opened.refused
        shots.append((loaded, Image.open(io.BytesIO(opened.page.screenshot())).convert("L")))
    (loaded_with, image_with), (loaded_without, image_without) = shots
    assert loaded_with == ["loaded"] and loaded_without == []
    changed = int((np.abs(np.asarray(image_with, dtype=int) - np.asarray(image_without, dtype=int)) > 64).sum())
    assert changed > 2000, changed  # the Chinese text is drawn with other glyphs
