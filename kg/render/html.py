"""The interactive view: one self-contained HTML file (vis-network from the pyvis package, inlined, and a subset
of a CJK font, inlined), with a legend, a title, plain-text tooltips, a search box and neighbourhood
highlighting. Nothing is fetched from the network; everything from the data is escaped."""

from __future__ import annotations

import base64
import functools
import html
import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from kg.render.views import KIND_STYLE, View, edge_style, label, legend, tooltip

FONT_FAMILY = "PlanKG CJK"
LABEL_INSIDE = {"box", "ellipse", "circle", "database"}  # vis-network shapes that draw the label on the fill
UI_TEXT = "搜索查找名称或代码图例节点关系方案原则目标领域任务指标部门牵头配合依赖贡献结构整理原文·→ 0123456789"


def _pyvis_asset(name: str) -> str:
    """vis-network as shipped inside the pyvis package (its own templates load it from a CDN instead)."""
    return (resources.files("pyvis") / "lib" / "vis-9.1.2" / name).read_text(encoding="utf-8")


def font_path() -> str:
    """Noto Sans SC, the Simplified Chinese cut (mainland glyph forms of 户 骨 值 述 辶), OFL 1.1, as shipped by
    the `pylopdf-fonts-zh-cn` package."""
    import pylopdf_fonts_zh_cn

    return str(pylopdf_fonts_zh_cn.sans_path())


@functools.lru_cache(maxsize=8)
def font_subset(chars: str) -> bytes:
    """The CJK font cut down to the characters on the page (a full CJK font is 16 MB; a plan needs ~150 kB)."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features, options.hinting, options.desubroutinize = [], False, True
    options.notdef_outline, options.name_IDs = True, ["*"]
    font = subset.load_font(font_path(), options, lazy=False)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        buf = io.BytesIO()
        subset.save_font(font, buf, options)
    finally:
        font.close()
    return buf.getvalue()


def script_json(data: Any) -> str:
    """JSON safe inside <script>: no `</script>`, no `<!--`, no line separators can end or bend the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def network_data(view: View) -> dict[str, Any]:
    """Nodes and edges through pyvis's Network (its model of a vis-network graph), with fixed positions."""
    from pyvis.network import Network

    net = Network(directed=True)
    G = view.graph
    for n, (x, y) in view.positions.items():
        data = G.nodes[n]
        colour, shape, _, _, _ = KIND_STYLE.get(str(data.get("kind")), KIND_STYLE["Task"])
        text = "\n".join(view.layout.boxes[n].lines) if n in view.layout.boxes else label(data)
        net.add_node(n, label=text, title=tooltip(data), shape=shape, color=colour, x=round(x, 1),
                     y=round(y, 1), kind=str(data.get("kind")), size=22 if n == view.focus else 14,
                     borderWidth=4 if n == view.focus else 1, name=str(data.get("name", "")),
                     name_en=str(data.get("name_en") or ""),
                     font={"color": "#ffffff"} if shape in LABEL_INSIDE else {"color": "#212121"})
    for u, v, kind in sorted(G.edges(data="kind"), key=lambda e: (e[2], e[0], e[1])):
        colour, width, dashed, zh, en = edge_style(kind)
        curve = {"type": "curvedCW", "roundness": 0.25} if kind == "DEPENDS_ON" else False  # off the task row
        net.add_edge(u, v, color=colour, width=width, dashes=dashed, title=f"{zh} {en}", kind=kind, smooth=curve)
    return {"nodes": net.nodes, "edges": net.edges}


def render_html(view: View, chars: str | None = None, back: str | None = None) -> str:
    """The page for a view; `chars` are characters to put in its font subset besides the page's own; `back` is
    the address of the index it belongs to (the meeting pack's), linked from its header."""
    data = network_data(view)
    kinds, edge_kinds = legend(view)
    payload = {
        "title": view.title, "plan": view.plan, "nodes": data["nodes"], "edges": data["edges"],
        "legend": {"kinds": [{"label": label, "colour": KIND_STYLE[k][0], "shape": KIND_STYLE[k][1]}
                             for k, label in kinds],
                   "edges": [{"label": label, "colour": edge_style(e)[0], "dashed": edge_style(e)[2]}
                             for e, label in edge_kinds]},
        "font": FONT_FAMILY,
    }
    # the page's own text always; `chars` adds more, so that pages sharing it share one cached subset
    text = json.dumps(payload, ensure_ascii=False) + (chars or "") + UI_TEXT
    font = base64.b64encode(font_subset("".join(sorted(set(text))))).decode("ascii")
    values = {"TITLE": html.escape(f"{view.title} · {view.plan}"), "HEADING": html.escape(view.title),
              "PLAN": html.escape(view.plan), "FONT": font,
              "BACK": f'<a class="back" href="{html.escape(back)}">← 会议材料 Meeting pack</a> · ' if back else "",
              "VIS_CSS": _pyvis_asset("vis-network.css"),
              "VIS_JS": _pyvis_asset("vis-network.min.js"), "DATA": script_json(payload)}
    # one pass: text coming from the data is never scanned again for markers
    return re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], TEMPLATE)


def write_html(view: View, output: Path, chars: str | None = None, back: str | None = None) -> None:
    from kg.output import write_atomic

    write_atomic(output, render_html(view, chars, back))  # bytes in UTF-8 whatever the platform's default


TEMPLATE = (Path(__file__).with_name("template.html")).read_text(encoding="utf-8")
