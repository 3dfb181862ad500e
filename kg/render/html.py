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

from kg.model import natural_key
from kg.render.views import DISTANCE_FILLS, KIND_STYLE, LIGHTS, PX, View, edge_style, label, legend, tooltip

FONT_FAMILY = "PlanKG CJK"
UI_TEXT = ("搜索查找名称或代码图例节点关系方案原则目标领域任务指标部门牵头配合依赖贡献结构整理原文·→ 0123456789"
           "详情筛选全部类别重置无匹配所在视图会议材料←✓!×?分组折叠展开项双击▶▼…点击查看一个框的看")


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
    """Nodes and edges through pyvis's Network (its model of a vis-network graph), at the layout's positions, with
    what the page draws them with: the box, the kind's marker and colour, the label lines, the routed edge."""
    from pyvis.network import Network

    from kg.render.views import PX, indicator_target

    net = Network(directed=True)
    G = view.graph
    boxes = view.layout.boxes
    framed = {n: frame.group for frame in view.layout.frames for n in frame.members}
    for n in G:  # the plan's order (search results follow it)
        if n not in view.positions:
            continue
        x, y = view.positions[n]
        data = G.nodes[n]
        kind = str(data.get("kind"))
        colour, _, marker, zh, en = KIND_STYLE.get(kind, KIND_STYLE["Task"])
        box = boxes.get(n)
        lines = box.lines if box else label(data).split("\n")
        net.add_node(n, label="\n".join(lines), title=tooltip(data), shape="custom", color=colour,
                     x=round(x, 1), y=round(y, 1), kind=kind, kind_label=f"{zh} {en}", marker=marker, lines=lines,
                     w=round((box.w if box else 6.0) * PX, 1), h=round((box.h if box else 2.0) * PX, 1),
                     focus=n == view.focus, role=str(data.get("view_role") or ""),
                     distance=data.get("view_distance"),
                     light=str(data.get("light") or ""), light_reason=str(data.get("light_reason") or ""),
                     name=str(data.get("name", "")), name_en=str(data.get("name_en") or ""),
                     provenance=(f"原文 (plan text): {data.get('prov_quote', '')}" if data.get("prov_kind") == "seed"
                                 else f"整理 (curated): {data.get('prov_rationale', '')}"),
                     target=indicator_target(data) if kind == "Indicator" else "", frame=framed.get(n, ""),
                     details=view.details.get(n, {}))
    routes = {(r.source, r.target, r.kind): [[round(px * PX, 1), round(py * PX, 1)] for px, py in r.points]
              for r in view.layout.routes}
    for u, v, kind in sorted(G.edges(data="kind"), key=lambda e: (e[2], e[0], e[1])):
        colour, width, dashed, zh, en = edge_style(kind)
        net.add_edge(u, v, color=colour, width=width, dashes=dashed, title=f"{zh} {en}", kind=kind,
                     route=routes.get((u, v, kind), []), arrow=kind == "DEPENDS_ON")
    return {"nodes": net.nodes, "edges": net.edges}


CSP_ALONE = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; font-src data:; img-src data:"
# a page of the pack loads the pack's one copy of the font and of vis-network from its own folder, nothing else
CSP_SHARED = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
              "font-src 'self'; img-src data:")
FONT_FILE, VIS_FILE, VIS_CSS = "plan-kg-sc.otf", "vis-network.min.js", "vis-network.css"


def write_assets(folder: Path, chars: str) -> None:
    """The shared files of a pack's pages: one font subset covering `chars`, one vis-network."""
    from kg.output import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / FONT_FILE, font_subset("".join(sorted(set(chars + UI_TEXT)))))
    write_atomic(folder / VIS_FILE, _pyvis_asset(VIS_FILE))
    write_atomic(folder / VIS_CSS, _pyvis_asset(VIS_CSS))


def render_html(view: View, chars: str | None = None, back: str | None = None, assets: str | None = None,
                pack: list[str] | None = None) -> str:
    """The page for a view; `chars` are characters to put in its font subset besides the page's own; `back` is
    the address of the index it belongs to (the meeting pack's), linked from its header; `assets` the folder
    (relative to the page) whose font and vis-network the page loads instead of carrying its own copies (the
    caller writes them with write_assets, with `chars` covering the page); `pack` the stems of the pack's views,
    which the side panel links to."""
    data = network_data(view)
    kinds, edge_kinds = legend(view)
    areas = sorted({f.group for f in view.layout.frames}, key=natural_key)  # the side panel's order: the plan's
    payload = {
        "title": view.title, "plan": view.plan, "nodes": data["nodes"], "edges": data["edges"],
        "legend": {"kinds": [{"label": label, "colour": KIND_STYLE[k][0], "shape": KIND_STYLE[k][1],
                              "marker": KIND_STYLE[k][2], "kind": k} for k, label in kinds],
                   "edges": [{"label": label, "colour": edge_style(e)[0], "dashed": edge_style(e)[2]}
                             for e, label in edge_kinds]},
        "font": FONT_FAMILY, "px": PX, "back": back or "", "pack": pack or [],
        "rows": [[name, top * PX, bottom * PX] for name, top, bottom in view.layout.rows],
        "frames": [{"group": f.group, "label": f.label, "members": len(f.members), "order": areas.index(f.group),
                    "name": str(view.graph.nodes[f.group].get("name", "")) if f.group in view.graph else "",
                    "box": [round(c * PX, 1) for c in (f.x0, f.y0, f.x1, f.y1)],
                    "at": [round(f.label_box[0] * PX, 1), round((f.label_box[1] + f.label_box[3]) / 2 * PX, 1)]}
                   for f in view.layout.frames],
        "area_colour": KIND_STYLE["Area"][0],
        "lights": {k: [c, sym] for k, (c, sym) in LIGHTS.items()}, "distance_fills": list(DISTANCE_FILLS),
    }
    # the page's own text always; `chars` adds more, so that pages sharing it share one cached subset
    if assets:
        font_src = f'url("{html.escape(assets)}/{FONT_FILE}")'
        vis_script = f'<script src="{html.escape(assets)}/{VIS_FILE}"></script>'
    else:
        text = json.dumps(payload, ensure_ascii=False) + (chars or "") + UI_TEXT
        font_src = "url(data:font/otf;base64," + base64.b64encode(font_subset("".join(sorted(set(text))))).decode(
            "ascii") + ")"
        vis_script = "<script>" + _pyvis_asset(VIS_FILE) + "</script>"
    values = {"TITLE": html.escape(f"{view.title} · {view.plan}"), "HEADING": html.escape(view.title),
              "PLAN": html.escape(view.plan), "FONT_SRC": font_src, "VIS_SCRIPT": vis_script,
              "CSP": CSP_SHARED if assets else CSP_ALONE,
              "BACK": f'<a class="back" href="{html.escape(back)}">← 会议材料 Meeting pack</a> · ' if back else "",
              "VIS_CSS_INLINE": "" if assets else _pyvis_asset(VIS_CSS),
              "VIS_CSS_LINK": f'<link rel="stylesheet" href="{html.escape(assets)}/{VIS_CSS}">\n' if assets else "",
              "DATA": script_json(payload)}
    # one pass: text coming from the data is never scanned again for markers
    return re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], TEMPLATE)


def write_html(view: View, output: Path, chars: str | None = None, back: str | None = None,
               assets: str | None = None, pack: list[str] | None = None) -> None:
    from kg.output import write_atomic

    write_atomic(output, render_html(view, chars, back, assets, pack))  # bytes in UTF-8 whatever the platform's default


TEMPLATE = (Path(__file__).with_name("template.html")).read_text(encoding="utf-8")
