"""The department x target responsibility matrix as a heat-map picture for the pack: one row per department
(busiest first), one column per target, each cell `lead+supporting` task counts on a sequential blue scale.
At 21 px type a 1920x1080 picture holds ROWS departments; more are split over several pictures, never shrunk."""

from __future__ import annotations

import io
from typing import Any

import networkx as nx

ROWS = 26
EM_PT = 15.2  # the same 21 px type as the views


def matrix_pages(G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """The matrix cut into pictures of at most ROWS departments: [{"title", "columns", "rows"}]."""
    from kg.analysis import ownership_matrix

    m = ownership_matrix(G)
    chunks = [m["rows"][i:i + ROWS] for i in range(0, len(m["rows"]), ROWS)] or [[]]
    return [{"title": f"责任矩阵 Department × target ({i + 1}/{len(chunks)}): tasks led + supported",
             "columns": m["columns"], "rows": rows} for i, rows in enumerate(chunks)]


def render_matrix(page: dict[str, Any], plan: str, compact: bool = False) -> bytes:
    """One page of the matrix as a 1920x1080 PNG; `compact`: with a palette, rasterised once (the pack's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from kg.render.image import _rc

    columns, rows = page["columns"], page["rows"]
    values = np.array([[2 * r["cells"][c["id"]]["lead"] + r["cells"][c["id"]]["supporting"] for c in columns]
                       for r in rows] or [[0] * len(columns)], dtype=float)
    with plt.rc_context(_rc()):
        fig = plt.figure(figsize=(19.2, 10.8), dpi=100)
        ax = fig.add_axes((0.14, 0.03, 0.84, 0.80))
        ax.imshow(values, cmap="Blues", aspect="auto", vmin=0, vmax=max(float(values.max()), 1.0))
        ax.set_xticks(range(len(columns)), [c["id"] for c in columns], fontsize=EM_PT)
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=EM_PT)
        ax.tick_params(length=0)
        for i, r in enumerate(rows):
            for j, c in enumerate(columns):
                cell = r["cells"][c["id"]]
                if cell["lead"] or cell["supporting"]:
                    dark = values[i, j] > values.max() * 0.55
                    ax.text(j, i, f"{cell['lead']}+{cell['supporting']}", ha="center", va="center",
                            fontsize=EM_PT, color="white" if dark else "#212121", gid="cell")
        fig.text(0.01, 0.965, page["title"], fontsize=EM_PT * 1.35, va="center")
        fig.text(0.01, 0.925, f"plan-kg · {plan} · a cell: tasks the department leads + supports for the target; "
                              "darker = more (a lead counts twice)", fontsize=EM_PT * 0.8, color="#616161")
        if compact:
            from kg.render.raster import figure_png

            data = figure_png(fig)
        else:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", metadata={"Software": None}, dpi=100)
            data = buf.getvalue()
        plt.close(fig)
    return data
