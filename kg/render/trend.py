"""`kg viz trend INDICATOR`: an indicator's readings over time with its target line and the pace line (where it
should be on the path the rule measures against), as an image or a self-contained HTML page."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from kg.model import PlanGraph

LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "grey": "#9e9e9e"}
GEO_COLOURS = ["#1565c0", "#6d4c41", "#8e24aa", "#00897b"]


def _x(period: Any) -> float:
    """A period's end as a fractional year: 2024 -> 2025.0, 2024-06 -> 2024.5."""
    return float(period.year + period.end_month / 12)


def trend_figure(graph: PlanGraph, indicator: str, as_of: str | None = None) -> tuple[Any, str]:
    """The matplotlib figure of an indicator's trend and its title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kg.progress.graph import readings_from_graph
    from kg.progress.readings import DEFAULT_GEO, mark_counting
    from kg.progress.rules import load_rules
    from kg.progress.status import assess
    from kg.render.image import _font

    node = graph.nodes[indicator]
    readings = [r for r in readings_from_graph(graph) if r.indicator == indicator]
    mark_counting(readings)
    report = assess(graph, readings_from_graph(graph), load_rules(), as_of)
    status = next(s for s in report.indicators if s.code == indicator)
    unit = status.unit or str(node.props.get("unit") or "")
    growth = status.verdict.method in ("growth_rate", "relative")
    plan = graph.nodes.get("PLAN")
    start = int(plan.props.get("start_year") or 2023) if plan else 2023
    end = int(node.props.get("target_year") or (plan.props.get("end_year") if plan else 2025) or 2025)
    title = f"{indicator} {node.name}" + (f" ({node.name_en})" if node.name_en else "")
    family = _font()
    with plt.rc_context({"font.family": family, "svg.fonttype": "path", "svg.hashsalt": "plan-kg",
                         "pdf.fonttype": 42}):
        fig, ax = plt.subplots(figsize=(12.8, 7.2), dpi=100)
        geos = sorted({r.geo for r in readings}, key=lambda g: (g != DEFAULT_GEO, g))
        for colour, geo in zip(GEO_COLOURS, geos, strict=False):
            mine = sorted((r for r in readings if r.geo == geo), key=lambda r: (r.period.end, r.seq))
            points: list[tuple[Any, float]] = []
            for r in mine:
                value = r.value if growth else r.in_unit(unit)
                if value is not None and growth == (r.basis in ("yoy_growth", "avg_growth")):
                    points.append((r, float(value)))
            counted = [(r, v) for r, v in points if r.counts]
            if counted:
                ax.plot([_x(r.period) for r, _ in counted], [v for _, v in counted], "-", color=colour,
                        linewidth=2, label=f"读数 readings: {geo}")
            for r, v in points:
                filled = r.status != "preliminary"
                ax.plot(_x(r.period), v, "o" if r.counts else "x", color=colour, markersize=9,
                        markerfacecolor=colour if filled else "white", markeredgewidth=2)
        target = status.target_value
        if target is not None:
            ax.axhline(float(target), color="#37474f", linestyle="--", linewidth=1.5,
                       label=f"目标 target {target:g}{unit}")
        pace = _pace_line(status, end)
        if pace:
            ax.plot([p[0] for p in pace], [p[1] for p in pace], ":", color="#ef6c00", linewidth=2,
                    label="序时 pace (the path to the target)")
        ax.set_xlim(start - 0.1, end + 1.1)
        ticks = list(range(start, end + 2))  # x is a period's end: 2024.0 is the end of 2023
        ax.set_xticks(ticks, [f"{k - 1}年末\nend {k - 1}" for k in ticks])
        ax.set_ylabel(unit)
        light = status.verdict.light
        ax.set_title(f"{title}\n{light} {status.verdict.label_zh} {status.verdict.label}: {status.verdict.reason}",
                     color=LIGHT_COLOURS.get(light, "#000000"), fontsize=12, loc="left")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=10, title="○ preliminary  ● final/revised  × superseded")
        ax.grid(alpha=0.3)
        fig.tight_layout()
    return fig, title


def _pace_line(status: Any, end: int) -> list[tuple[float, float]]:
    """Where the indicator should be over time on the path its rule measures against."""
    v = status.verdict
    if v.method == "open_sdg" and "CAGR_req" in v.numbers:
        y0, t0, rate = float(v.numbers["y0"]), int(v.numbers["t0"]), float(v.numbers["CAGR_req"])
        return [(t0 + 1.0 + k, y0 * (1 + rate) ** k) for k in range(end - t0 + 1)]
    if v.method == "pace" and status.target_value is not None:
        months = float(v.numbers.get("of_months", 12))
        first = end + 1 - months / 12
        return [(first, 0.0), (end + 1.0, float(status.target_value))]
    return []  # a growth-rate or relative rule's pace is its target line


def write_trend(graph: PlanGraph, indicator: str, output: Path, as_of: str | None = None) -> None:
    """The chart as .png/.svg/.pdf, or .html: one page with the SVG inline, nothing fetched."""
    import io

    import matplotlib.pyplot as plt

    from kg.output import write_atomic

    fig, title = trend_figure(graph, indicator, as_of)
    suffix = output.suffix.lower().lstrip(".")
    buf = io.BytesIO()
    fig.savefig(buf, format="svg" if suffix == "html" else suffix)
    plt.close(fig)
    if suffix != "html":
        write_atomic(output, buf.getvalue())
        return
    svg = buf.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML prologue and doctype: the SVG sits inside the page
    page = ("<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n{svg}\n</body></html>\n")
    write_atomic(output, page)
