"""The same views as images for slides and print: PNG and SVG at 1920x1080 (labels 21 px), PDF on A4 landscape
(labels 11 pt). Every node is a box in its kind's colour with its kind's shape at the left and its code and name
inside; edges are the layout's routes, ending at box borders; rows are named at the left. SVG keeps its text as
text in the named font (editable in PowerPoint or WPS) and carries that font's subset for its own characters, so
it looks the same on a PC without Chinese fonts."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.render.layout import LINE_H, MARKER_W, PAD, STAGE_H, STAGE_W
from kg.render.views import DISTANCE_FILLS, KIND_STYLE, LIGHTS, View, edge_style, legend

FORMATS = ("png", "svg", "pdf")
# per format: figure size in inches, one em of the label font in points, and where the legend goes
PAGES = {"png": ((19.2, 10.8), 15.2, "right"), "svg": ((19.2, 10.8), 15.2, "right"),
         "pdf": ((11.69, 8.27), 11.2, "bottom")}
DPI = 100
DIRECTED = {"DEPENDS_ON"}  # edges drawn with an arrowhead (at the task waited on)


@functools.cache  # registering the font again grows matplotlib's list and empties its lookup cache (each picture)
def _font() -> str:
    from matplotlib import font_manager

    from kg.render.html import font_path

    path = font_path()
    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


def _rc() -> Any:
    """Text stays text in SVG (in the named font), TrueType/OpenType outlines embedded in PDF; no dates."""
    return {"font.family": _font(), "svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "plan-kg",
            "path.simplify": False}


def draw(view: View, fmt: str = "png") -> Any:
    """The matplotlib Figure for a view (closed by the caller). Artists carry gids (`label:ID`, `box:ID`,
    `edge:U>V:KIND`) so that tests can measure what was drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    (fig_w, fig_h), em_pt, legend_at = PAGES[fmt]
    stage_w, stage_h = view.layout.stage
    if (stage_w, stage_h) != (STAGE_W, STAGE_H):  # a poster: the paper follows its stage, type stays 11.2 pt
        em_pt, legend_at = 11.2, "bottom"
        fig_w, fig_h = (stage_w + 7.0) * em_pt / 72, (stage_h + 11.0) * em_pt / 72
    em_in = em_pt / 72
    layout = view.layout
    with plt.rc_context(_rc()):
        fig = plt.figure(figsize=(fig_w, fig_h), dpi=DPI)
        left_in, top_in = 5.4 * em_in, 3.6 * em_in
        stage_w_in, stage_h_in = stage_w * em_in, stage_h * em_in
        ax = fig.add_axes((left_in / fig_w, 1 - (top_in + stage_h_in) / fig_h, stage_w_in / fig_w,
                           stage_h_in / fig_h))
        ax.set_axis_off()
        ax.set_xlim(0, stage_w)
        ax.set_ylim(stage_h, 0)  # ems, y down: the layout's own units, whatever the routes would autoscale to
        ax.set_autoscale_on(False)
        G = view.graph
        for route in layout.routes:
            colour, width, dashed, _, _ = edge_style(route.kind)
            xs, ys = zip(*route.points, strict=True)
            line = Line2D(xs, ys, color=colour, linewidth=width * em_pt / 15, linestyle="--" if dashed else "-",
                          zorder=1, alpha=0.85, solid_joinstyle="round")
            line.set_gid(f"edge:{route.source}>{route.target}:{route.kind}")
            ax.add_line(line)
            if route.kind in DIRECTED:
                (x1, y1), (x2, y2) = route.points[-2], route.points[-1]
                ax.add_patch(FancyArrowPatch((x1, y1), (x2, y2), arrowstyle="-|>", mutation_scale=em_pt * 1.1,
                                             color=colour, linewidth=0, zorder=1.5, shrinkA=0, shrinkB=0))
        area_colour = KIND_STYLE["Area"][0]
        for frame in layout.frames:  # a box per area around a department's tasks, labelled in its band
            patch = FancyBboxPatch((frame.x0, frame.y0), frame.x1 - frame.x0, frame.y1 - frame.y0,
                                   boxstyle="round,pad=0,rounding_size=0.4", facecolor=area_colour + "0d",
                                   edgecolor=area_colour, linewidth=1.2 * em_pt / 15, zorder=0.5)
            patch.set_gid(f"frame:{frame.group}")
            ax.add_patch(patch)
            lx0, ly0, _, ly1 = frame.label_box
            ax.text(lx0, (ly0 + ly1) / 2, frame.label, ha="left", va="center", fontsize=em_pt, color=area_colour,
                    zorder=4, gid=f"frame-label:{frame.group}")
        markers: dict[str, list[tuple[float, float, str]]] = {}  # the kind's shape, drawn once per shape below
        for n, box in layout.boxes.items():
            data = G.nodes[n]
            kind = str(data.get("kind"))
            colour, _, marker, _, _ = KIND_STYLE.get(kind, KIND_STYLE["Task"])
            light = LIGHTS.get(str(data.get("light")))
            focus = n == view.focus
            distance = data.get("view_distance")
            fill = (light[0] + "33" if light else DISTANCE_FILLS[min(int(distance), 3)] + "99"
                    if distance is not None else "white")
            patch = FancyBboxPatch((box.x - box.w / 2, box.y), box.w, box.h, boxstyle="round,pad=0,rounding_size=0.3",
                                   facecolor=fill,
                                   edgecolor=light[0] if light else colour,
                                   linewidth=(4.0 if light or focus else 1.6) * em_pt / 15,
                                   linestyle="--" if data.get("view_role") == "support" else "-", zorder=2)
            patch.set_gid(f"box:{n}")
            ax.add_patch(patch)
            markers.setdefault(marker, []).append((box.x - box.w / 2 + PAD + MARKER_W / 2 - 0.1, box.y + box.h / 2,
                                                   colour))
            text = ax.text(box.x - box.w / 2 + PAD + MARKER_W, box.y + box.h / 2, "\n".join(box.lines),
                           ha="left", va="center", fontsize=em_pt, linespacing=LINE_H / 1.2 * 0.98, zorder=4,
                           color="#212121")
            text.set_gid(f"label:{n}")
            if light:  # a symbol beside the colour, so the light reads in black-and-white print
                ax.text(box.x + box.w / 2, box.y, light[1], ha="center", va="center", fontsize=em_pt * 0.9,
                        zorder=5, color="white",
                        bbox={"boxstyle": "circle,pad=0.15", "fc": light[0], "ec": "#212121", "lw": 0.8},
                        gid=f"light:{n}")
        for marker, points in markers.items():  # one collection per shape: a scatter call per node was a tenth of
            xs, ys, colours = zip(*points, strict=True)  # the picture's time
            ax.scatter(xs, ys, s=(0.95 * em_pt) ** 2, c=list(colours), marker=marker, edgecolors="#212121",
                       linewidths=0.5, zorder=3)
        for name, top, bottom in layout.rows:  # rows named at the left, in the plan's words
            ax.text(-0.5, (top + bottom) / 2, name, ha="right", va="center", fontsize=em_pt, color="#424242",
                    clip_on=False, gid="row")
        title_pt = em_pt * 1.35
        fig.text(left_in / fig_w * 0.15, 1 - 1.2 * em_in / fig_h, view.title, ha="left", va="center",
                 fontsize=title_pt)
        note = f"plan-kg · {view.plan}"
        if layout.detail == 2:
            note += " · 节点只标代码，名称见页面 (codes only: names on the page)"
        note_artist = fig.text(left_in / fig_w * 0.15, 1 - 2.5 * em_in / fig_h, note, fontsize=em_pt * 0.8,
                               color="#616161", va="center")
        kinds, edge_kinds = legend(view)
        handles: list[Any] = [Line2D([], [], marker=KIND_STYLE[k][2], color=KIND_STYLE[k][0], markeredgecolor="#212121",
                          markeredgewidth=0.5, linestyle="", markersize=em_pt * 0.95, label=text) for k, text in kinds]
        handles += [Line2D([], [], color=edge_style(e)[0], linewidth=2.5,
                           linestyle="--" if edge_style(e)[2] else "-", label=text) for e, text in edge_kinds]
        if any(G.nodes[n].get("view_role") for n in G):  # a department's view: its role shown by the box
            from matplotlib.patches import Patch

            handles += [Patch(facecolor="white", edgecolor="#424242", linewidth=2, linestyle="-",
                              label="牵头 leads (solid box)"),
                        Patch(facecolor="white", edgecolor="#424242", linewidth=2, linestyle="--",
                              label="配合 supports (dashed box)")]
        if layout.frames:
            from matplotlib.patches import Patch

            handles.append(Patch(facecolor=area_colour + "0d", edgecolor=area_colour, linewidth=1.5,
                                 label="领域 tasks by area (frame)"))
        distances = sorted({int(G.nodes[n]["view_distance"]) for n in G if G.nodes[n].get("view_distance") is not None})
        if distances:
            from matplotlib.patches import Patch

            handles += [Patch(facecolor=DISTANCE_FILLS[min(d, 3)] + "99", edgecolor="#424242",
                              label=f"影响距离 {d} step{'s' if d != 1 else ''} from the slip") for d in distances]
        if any(G.nodes[n].get("light") for n in G):
            handles += [Line2D([], [], marker="o", color=c, linestyle="", markersize=em_pt * 0.9,
                               label=f"{s} {name}") for name, (c, s) in LIGHTS.items()]
        if legend_at == "right":
            fig.legend(handles=handles, loc="upper left",
                       bbox_to_anchor=((left_in + stage_w_in + 0.9 * em_in) / fig_w, 1 - top_in / fig_h),
                       title="图例 Legend", fontsize=em_pt, title_fontsize=em_pt, frameon=False)
        else:
            fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(left_in / fig_w, 0.0), ncol=4,
                       title=None, fontsize=em_pt, frameon=False, columnspacing=1.0, handletextpad=0.3,
                       borderaxespad=0.2)
        lacking = missing_glyphs("".join(t.get_text() for t in drawn_texts(fig)))
        if lacking:  # drawn as boxes: the picture says which characters, rather than leave a reader to guess
            note_artist.set_text(note + " · 字体缺字，显示为方框 no glyph in the font (drawn as boxes): "
                                 + " ".join(f"U+{ord(c):04X}" for c in lacking))
    return fig


def drawn_texts(artist: Any) -> Iterator[Any]:
    """Every Text under `artist` but the axes' tick labels, which a picture with its axes off does not draw (asking
    an axis for them makes its ticks: `findobj` spent 3 s of the pack's 33 s of CPU there)."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    for child in artist.get_children():
        if isinstance(child, Axis):
            continue
        if isinstance(child, Text):
            yield child
        yield from drawn_texts(child)


def missing_glyphs(text: str) -> list[str]:
    """The characters of `text` that the font has no glyph for, in order, once each (spaces and invisible format
    characters such as a zero-width joiner are not drawn and not listed)."""
    import unicodedata

    from matplotlib.font_manager import get_font

    from kg.render.html import font_path

    font = get_font(font_path())  # the face matplotlib draws with, loaded once: asked per character, no cmap read
    return [c for c in dict.fromkeys(text)
            if not font.get_char_index(ord(c)) and not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf")]


def render_image(view: View, fmt: str) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else ({"Date": None} if fmt == "svg" else {"CreationDate": None})
    with plt.rc_context(_rc()):
        fig = draw(view, fmt)
        fig.savefig(buf, format=fmt, metadata=metadata, dpi=DPI)
        plt.close(fig)
    return embed_font(buf.getvalue()) if fmt == "svg" else buf.getvalue()


def embed_font(svg: bytes) -> bytes:
    """The SVG with the subset of its font that covers every character of its <text> elements, as an @font-face
    (a base64 data: URI) in its <style>, under the family name the text already asks for."""
    import base64
    import xml.etree.ElementTree as ET

    from kg.render.html import font_subset

    root = ET.fromstring(svg)
    chars = "".join(sorted({c for el in root.iter("{http://www.w3.org/2000/svg}text") for c in "".join(el.itertext())}))
    family = _font()
    face = (f"@font-face {{ font-family: '{family}'; src: url(data:font/otf;base64,"
            + base64.b64encode(font_subset(chars)).decode("ascii") + ') format("opentype"); }\n')
    head, marker, tail = svg.partition(b'<style type="text/css">')
    if not marker:  # matplotlib always writes this <style>; refuse to write an SVG that silently lacks its font
        raise RuntimeError("matplotlib's SVG has no <style> element to carry the font")
    return head + marker + face.encode("ascii") + tail


def compact_png(png: bytes, colours: int = 96) -> bytes:
    """The PNG with a palette of `colours` (a pack of 70 pictures fits in an e-mail; text stays crisp)."""
    from PIL import Image

    from kg.render.raster import palette_png

    with Image.open(io.BytesIO(png)) as image:
        return palette_png(image.convert("RGB"), colours)


def write_image(view: View, output: Path, compact: bool = False) -> None:
    """The view as an image file; `compact`: a PNG with a palette, rasterised once (kg/render/raster.py)."""
    from kg.output import write_atomic

    fmt = output.suffix.lower().lstrip(".")
    if compact and fmt == "png":
        import matplotlib.pyplot as plt

        from kg.render.raster import figure_png

        with plt.rc_context(_rc()):
            fig = draw(view, fmt)
            data = figure_png(fig)
            plt.close(fig)
    else:
        data = render_image(view, fmt)
    write_atomic(output, data)
