"""The same views as images for slides (PNG, SVG, PDF): same positions, colours, shapes and legend as the HTML,
1920x1080, Chinese drawn with the CJK font that ships as a dependency (no missing-glyph boxes)."""

from __future__ import annotations

import io
from pathlib import Path

from kg.render.views import KIND_STYLE, View, edge_style, label, legend

FORMATS = ("png", "svg", "pdf")


def _font() -> str:
    from matplotlib import font_manager

    from kg.render.html import font_path

    path = font_path()
    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


def render_image(view: View, fmt: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    family = _font()
    with plt.rc_context({"font.family": family, "svg.fonttype": "path", "pdf.fonttype": 42,
                         "svg.hashsalt": "plan-kg", "path.simplify": False}):
        fig = plt.figure(figsize=(19.2, 10.8), dpi=100)
        ax = fig.add_axes((0.01, 0.02, 0.80, 0.88))
        ax.set_axis_off()
        pos = {n: (x, -y) for n, (x, y) in view.positions.items()}  # screen y grows downwards
        G = view.graph
        for edge_kind in sorted({k for _, _, k in G.edges(data="kind")}):
            colour, width, dashed, _, _ = edge_style(edge_kind)
            segments = [(pos[u], pos[v]) for u, v, k in G.edges(data="kind") if k == edge_kind]
            if edge_kind == "DEPENDS_ON" and view.name != "schema":
                # an arrow points at the task waited on; between tasks of one row it arcs above the row
                for start, end in segments:
                    bend = -0.3 if start[1] == end[1] else 0.0
                    ax.add_patch(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={bend}", arrowstyle="-|>",
                                                 mutation_scale=12, color=colour, linewidth=width * 0.6, zorder=1,
                                                 alpha=0.8))
                continue
            ax.add_collection(LineCollection(segments, colors=colour, linewidths=width * 0.6,
                                             linestyles="--" if dashed else "-", zorder=1, alpha=0.8))
        if view.name == "schema":  # the model picture names its relations, one label per pair of kinds
            pairs: dict[tuple[str, str], list[str]] = {}
            for u, v, k in G.edges(data="kind"):
                pairs.setdefault((min(u, v), max(u, v)), []).append(k)
            for (u, v), relations in pairs.items():
                (x1, y1), (x2, y2) = pos[u], pos[v]
                at, offset = ((x1 + x2) / 2, (y1 + y2) / 2), (0, 0)
                if u == v:  # a relation of a kind with itself: named beside the node
                    at, offset = pos[u], (0, 26)
                ax.annotate(" / ".join(relations), at, xytext=offset, textcoords="offset points", ha="center",
                            va="center", fontsize=11, color="#424242", zorder=3,
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "lw": 0})
        size = 9 if len(G) > 60 else 11
        for kind, (colour, _, marker, _, _) in KIND_STYLE.items():
            members = sorted(n for n in G if G.nodes[n].get("kind") == kind)
            if not members:
                continue
            xs, ys = zip(*(pos[n] for n in members), strict=True)
            ax.scatter(xs, ys, s=[320 if n == view.focus else 130 for n in members], c=colour, marker=marker,
                       zorder=2, edgecolors="#212121", linewidths=[2.5 if n == view.focus else 0.5 for n in members])
            for n in members:
                ax.annotate(label(G.nodes[n], width=7, lines=2), pos[n], xytext=(0, -13), textcoords="offset points",
                            ha="center", va="top",
                            fontsize=size, zorder=3)
        ax.autoscale_view()
        ax.margins(0.06)
        fig.suptitle(view.title, x=0.01, y=0.975, ha="left", fontsize=22)
        fig.text(0.01, 0.925, f"plan-kg · {view.plan}", fontsize=12, color="#616161")
        kinds, edge_kinds = legend(view)
        handles = [Line2D([], [], marker=KIND_STYLE[k][2], color=KIND_STYLE[k][0], linestyle="", markersize=11,
                          label=text) for k, text in kinds]
        handles += [Line2D([], [], color=edge_style(e)[0], linewidth=2.5,
                           linestyle="--" if edge_style(e)[2] else "-", label=text) for e, text in edge_kinds]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.82, 0.9), title="图例 Legend", fontsize=13,
                   title_fontsize=14, frameon=False)
        buf = io.BytesIO()
        metadata = {"Software": None} if fmt == "png" else ({"Date": None} if fmt == "svg" else
                                                             {"CreationDate": None})
        fig.savefig(buf, format=fmt, metadata=metadata)
        plt.close(fig)
    return buf.getvalue()


def write_image(view: View, output: Path) -> None:
    from kg.output import write_atomic

    write_atomic(output, render_image(view, output.suffix.lower().lstrip(".")))
