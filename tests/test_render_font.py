"""The font drawn in images and embedded in pages is the Simplified Chinese cut: 骨 述 边 (and 户 值) take the
mainland forms, not the Taiwan forms of Noto Sans CJK TC that the project used before."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from kg.render.html import font_path, render_html

MAINLAND = "户骨值述边"


def _family(font) -> str:  # type: ignore[no-untyped-def]
    return str(font["name"].getDebugName(1))


def _zhs_alternates(font) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """{character: glyph} for the characters of MAINLAND whose 'locl' feature for Simplified Chinese (ZHS)
    swaps the font's default glyph for another one: the font's own record of where the two forms differ."""
    gsub = font["GSUB"].table
    cmap = font.getBestCmap()
    hani = next(s for s in gsub.ScriptList.ScriptRecord if s.ScriptTag == "hani")
    zhs = next(ls for ls in hani.Script.LangSysRecord if ls.LangSysTag == "ZHS ")
    out: dict[str, str] = {}
    for index in zhs.LangSys.FeatureIndex:
        record = gsub.FeatureList.FeatureRecord[index]
        if record.FeatureTag != "locl":
            continue
        for lookup in record.Feature.LookupListIndex:
            for sub in gsub.LookupList.Lookup[lookup].SubTable:
                mapping = getattr(getattr(sub, "ExtSubTable", sub), "mapping", None) or {}
                out.update({c: mapping[cmap[ord(c)]] for c in MAINLAND if cmap[ord(c)] in mapping})
    return out


def _raster(path: str, glyph: str) -> np.ndarray:
    from fontTools.ttLib import TTFont
    from matplotlib.ft2font import FT2Font, LoadFlags

    with TTFont(path, lazy=True) as font:
        order = font.getGlyphOrder()
    face = FT2Font(path)
    face.set_size(48, 72)
    loaded = face.load_glyph(order.index(glyph), LoadFlags.NO_HINTING)
    image = np.zeros((80, 80), dtype=np.uint8)
    face.draw_glyph_to_bitmap(image, 10, 10, loaded)
    return image.astype(float) / 255


def test_the_font_is_the_simplified_chinese_cut() -> None:
    from fontTools.ttLib import TTFont

    with TTFont(font_path(), lazy=True) as font:
        assert _family(font) == "Noto Sans SC"
        assert all(ord(c) in font.getBestCmap() for c in MAINLAND + "沈阳市发展和改革委员会")


def test_mainland_forms_not_taiwan_forms() -> None:
    """Drawn side by side with the TC font's own default glyph and its ZHS alternate, each of our glyphs is the
    ZHS one (several times closer to it than to the Taiwan form)."""
    tc = pytest.importorskip("cvttf_NotoSansCJK_Regular")
    from fontTools.ttLib import TTFont

    tc_path = str(tc.get_TTF_path())
    with TTFont(tc_path, lazy=True) as taiwan:
        assert "TC" in _family(taiwan)
        alternates = _zhs_alternates(taiwan)
        taiwan_cmap = taiwan.getBestCmap()
    assert len(alternates) >= 3, alternates  # 骨 述 边 at least
    with TTFont(font_path(), lazy=True) as font:
        ours = font.getBestCmap()
    for char, mainland_glyph in alternates.items():
        drawn = _raster(font_path(), ours[ord(char)])
        to_mainland = np.abs(drawn - _raster(tc_path, mainland_glyph)).mean()
        to_taiwan = np.abs(drawn - _raster(tc_path, taiwan_cmap[ord(char)])).mean()
        assert to_mainland * 3 < to_taiwan, (char, to_mainland, to_taiwan)


def test_a_page_embeds_the_simplified_subset(plan_graph) -> None:  # type: ignore[no-untyped-def]
    from fontTools.ttLib import TTFont

    from kg.output import to_networkx
    from kg.render.views import build_view

    page = render_html(build_view(to_networkx(plan_graph), "target", "G3"))
    data = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1))  # type: ignore[union-attr]
    with TTFont(io.BytesIO(data)) as embedded:
        assert _family(embedded) == "Noto Sans SC"
    assert len(data) < 400_000


def test_the_pages_own_text_is_in_its_font_subset() -> None:
    """Every character the page template writes itself (headings, hints, buttons) is in the subset it embeds."""
    from kg.render.html import TEMPLATE, UI_TEXT

    assert sorted({c for c in TEMPLATE if ord(c) > 127} - set(UI_TEXT)) == []


def test_a_picture_says_which_characters_the_font_lacks() -> None:
    """𠮷 (U+20BB7) and an emoji are not in the bundled Noto Sans SC: matplotlib drew boxes and said nothing on the
    picture. The note under the title names them; characters it has (𬌗, 鿏, full-width punctuation) are not named,
    nor is an invisible zero-width joiner."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from kg.model import Edge, Node, PlanGraph, Provenance
    from kg.output import to_networkx
    from kg.render.image import draw
    from kg.render.views import build_view

    prov = Provenance("curated", rationale="probe")
    g = PlanGraph("glyphs")
    g.add(Node("Task", "T1", "吉\u200d𠮷祥（𬌗鿏）😀", prov, props={"number": 1}))
    g.add(Node("Department", "D-1", "市发展改革委", prov))
    g.edges.append(Edge("LEADS", "D-1", "T1", prov))
    fig = draw(build_view(to_networkx(g), "task", "T1"))
    texts = [t.get_text() for t in fig.findobj(Text)]
    plt.close(fig)
    note = next(t for t in texts if t.startswith("plan-kg · "))
    assert note.endswith("no glyph in the font (drawn as boxes): U+20BB7 U+1F600"), note


def test_the_texts_checked_for_glyphs_are_every_text_drawn(plan_graph) -> None:  # type: ignore[no-untyped-def]
    """The check walks the figure without the axes' tick labels (asking for them makes ticks, 3 s of a pack):
    what it skips is only those, which a picture with its axes off does not draw."""
    import matplotlib.pyplot as plt
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    from kg.output import to_networkx
    from kg.render.image import draw, drawn_texts
    from kg.render.views import build_view

    fig = draw(build_view(to_networkx(plan_graph), "overview", None))
    walked = [id(t) for t in drawn_texts(fig)]
    ticks = {id(t) for ax in fig.axes for axis in ax.findobj(Axis) for t in axis.findobj(Text)}
    every = [id(t) for t in fig.findobj(Text)]
    plt.close(fig)
    assert len(walked) > 20 and not set(walked) & ticks
    assert sorted(walked) == sorted(i for i in every if i not in ticks)
    assert all(not ax.axison for ax in fig.axes)


def test_the_font_subset_is_cut_once_per_set_of_characters() -> None:
    """Cutting the CJK font to a page's characters takes ~0.4 s: a second page of the same characters reuses the
    cut (a decorator moved onto the wrong function once made every page pay it)."""
    from kg.render.html import font_subset
    from kg.render.image import missing_glyphs

    font_subset.cache_clear()
    first = font_subset("沈阳市振兴")
    assert font_subset("沈阳市振兴") is first and font_subset.cache_info().hits == 1
    assert missing_glyphs("沈阳 𠮷\u200d") == ["𠮷"]  # not in the bundled font; a joiner is not drawn


def test_a_pictures_png_holds_the_pixels_agg_drew(plan_graph) -> None:  # type: ignore[no-untyped-def]
    """The pack's PNG is cut to a palette from the canvas's own buffer: the same picture as the drawn pixels
    copied out through NumPy and cut the same way, byte for byte, at the canvas's size."""
    import io

    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from kg.output import to_networkx
    from kg.render.image import draw
    from kg.render.raster import figure_png, palette_png
    from kg.render.views import build_view

    fig = draw(build_view(to_networkx(plan_graph), "overview", None))
    png = figure_png(fig)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    pixels = np.asarray(canvas.buffer_rgba())[:, :, :3]
    plt.close(fig)
    assert png == palette_png(Image.fromarray(pixels, "RGB"))
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "P" and image.size == (pixels.shape[1], pixels.shape[0])
