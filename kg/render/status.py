"""The meeting pack's status section (状态 Status): where the plan stands, as views drawn like the others with each
node's light as a ring and a symbol. `indicators`: every target and its indicators, lit by the readings the plan was
built with (the Assessment nodes); `tasks`: the red and yellow tasks of a reporting month and their lead
departments, lit by the kept ledger (kg pack --period). Each picture says under its drawing what the lights mean and
which rules in kg/progress/rules.yaml set them; example data is marked in the title of the page and the picture."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import networkx as nx

from kg.model import natural_key
from kg.render.views import LIGHTS, View

STATUS_VIEWS = ("indicators", "tasks")
ANSWERS = {"indicators": "Where does each target stand: which of its indicators are on track, behind, or without "
                         "readings?",
           "tasks": "Which tasks are red or yellow this month, and which departments lead them?"}
EXAMPLE_MARK = "示例数据 / example data"  # the same words as kg.report.model.EXAMPLE_MARK (imported lazily there)
TASKS_KEY = "status_tasks"  # G.graph[TASKS_KEY]: the month's task lights, set by `with_task_lights`


def _of(G: nx.MultiDiGraph, *kinds: str) -> list[str]:
    return sorted((n for n, d in G.nodes(data=True) if d.get("kind") in kinds), key=natural_key)


def status_views(G: nx.MultiDiGraph) -> list[tuple[str, str]]:
    """The status views G can show: indicators when its targets or indicators carry lights (the plan was built
    with readings), tasks when a month's task lights were attached and some are red or yellow."""
    views = []
    if any(G.nodes[n].get("light") for n in _of(G, "Indicator", "Target")):
        views.append(("status", "indicators"))
    if _flagged(G):
        views.append(("status", "tasks"))
    return views


def with_task_lights(G: nx.MultiDiGraph, status: Any, rules: Any) -> nx.MultiDiGraph:
    """G with a month's task lights (kg.progress.tasks.TaskStatus) kept beside it for the status section. The
    tasks' own nodes are left unlit, so that no other view of the pack shows ledger data without its mark."""
    G.graph[TASKS_KEY] = {
        "period": status.period, "example": bool(status.example),
        "rules": {"watch_below": f"{rules.watch_below:g}", "red_above": f"{rules.red_above:g}",
                  "due_soon_days": f"{rules.due_soon_days:g}"},
        "tasks": {t.task: {"light": t.light, "label": t.label, "reason": t.reason, "example": t.example}
                  for t in status.tasks}}
    return G


def _flagged(G: nx.MultiDiGraph) -> list[str]:
    tasks = G.graph.get(TASKS_KEY, {}).get("tasks", {})
    return sorted((t for t, info in tasks.items() if info["light"] in ("red", "yellow") and t in G), key=natural_key)


def _as_of(G: nx.MultiDiGraph) -> str:
    return max((str(d.get("as_of")) for _, d in G.nodes(data=True) if d.get("kind") == "Assessment"
                and d.get("as_of")), default="")


def _example_readings(G: nx.MultiDiGraph) -> bool:
    return any(d.get("kind") == "Reading" and d.get("prov_kind") == "example" for _, d in G.nodes(data=True))


def select_status(G: nx.MultiDiGraph, which: str) -> tuple[set[str], str]:
    """The nodes a status view shows, and its title (with the example mark when example data lit it)."""
    if which == "indicators":
        as_of = _as_of(G)
        title = "状态 Status" + (f" as of {as_of}" if as_of else "") + ": targets and their indicators by light"
        mark = _example_readings(G)
        return set(_of(G, "Target", "Indicator")), title + (f" ({EXAMPLE_MARK})" if mark else "")
    if which == "tasks":
        info = G.graph.get(TASKS_KEY, {})
        tasks = _flagged(G)
        leads = {u for t in tasks for u, _, k in G.in_edges(t, data="kind") if k == "LEADS"}
        title = f"状态 Status {info.get('period', '')}: red and yellow tasks and who leads them"
        example = info.get("example") or any(info["tasks"][t]["example"] for t in tasks)
        return set(tasks) | leads, title + (f" ({EXAMPLE_MARK})" if example else "")
    raise ValueError(f"unknown status view {which!r} (valid: {', '.join(STATUS_VIEWS)})")


def status_view(G: nx.MultiDiGraph, which: str) -> View:
    from kg.render.views import build_view

    nodes, title = select_status(G, which)
    H = G
    if which == "tasks":  # the month's lights on a copy, for this view only
        H = G.copy()
        for t, info in G.graph[TASKS_KEY]["tasks"].items():
            if t in nodes:
                H.nodes[t]["light"], H.nodes[t]["light_reason"] = info["light"], f"{info['label']}: {info['reason']}"
    view = build_view(H, "query", None, ids=nodes, title=title)
    view.name = "status"
    return view


def caption(view: View, which: str) -> str:
    """What the lights on this view mean and which rules set them, from the labels the view actually shows."""
    G = view.graph
    labels: dict[str, list[str]] = {light: [] for light in LIGHTS}
    for n in sorted(G, key=natural_key):
        light, reason = G.nodes[n].get("light"), str(G.nodes[n].get("light_reason", ""))
        label = reason.split(":", 1)[0].strip()
        if light in labels and label and label not in labels[light]:
            labels[light].append(label)
    shown = " · ".join(f"{LIGHTS[light][1]} {light}: {', '.join(found)}" for light, found in labels.items() if found)
    if which == "indicators":
        rule = INDICATOR_RULE
    else:
        r = {"red_above": "?", "watch_below": "?", "due_soon_days": "?", **G.graph.get(TASKS_KEY, {}).get("rules", {})}
        rule = TASK_RULE.format(**r)
    return f"{rule} Shown here: {shown}."


INDICATOR_RULE = ("Lights set by kg.progress.status with the rules in kg/progress/rules.yaml (indicators): each "
                  "indicator by its kind's method (Open SDG progress measure, 序时进度 pace, growth rate, or the "
                  "plan's 高于全国、全省 wording), a target by the mean Open SDG series score of its indicators; grey: "
                  "no readings.")
TASK_RULE = ("Lights set by kg.progress.tasks with the rules in kg/progress/rules.yaml (tasks), from the lead "
             "departments' 台账 rows: red a milestone missed or progress more than {red_above} points behind the time "
             "elapsed; yellow {watch_below}–{red_above} points behind, due within {due_soon_days} days, reported "
             "behind, or reached late.")


def status_chars(G: nx.MultiDiGraph) -> str:
    """Every character the status pages show beyond the plan's own text (their captions, the month's task labels
    and reasons), for the pack's shared font subset."""
    tasks = G.graph.get(TASKS_KEY, {}).get("tasks", {}).values()
    return "灯号 Lights" + INDICATOR_RULE + TASK_RULE + "".join(t["label"] + t["reason"] for t in tasks)


def write_status_image(view: View, which: str, output: Path) -> None:
    """The status view as the pack's PNG, its caption under the drawing."""
    import matplotlib.pyplot as plt

    from kg.output import write_atomic
    from kg.render.image import PAGES, _rc, draw
    from kg.render.raster import figure_png

    (_, fig_h), em_pt, _ = PAGES["png"]
    with plt.rc_context(_rc()):
        fig = draw(view, "png")
        lines = textwrap.wrap(caption(view, which), 190)
        fig.text(0.01, 0.6 * em_pt / 72 / fig_h, "\n".join(lines[:4]), fontsize=em_pt * 0.8, color="#424242",
                 va="bottom", gid="caption")
        data = figure_png(fig)
        plt.close(fig)
    write_atomic(output, data)


def write_status_page(view: View, which: str, output: Path, chars: str, stems: list[str]) -> None:
    """The status view as the pack's page, its caption in the side panel under the legend."""
    import html

    from kg.output import write_atomic
    from kg.render.html import render_html

    page = render_html(view, chars, back="index.html", assets="assets", pack=stems)
    note = (f'<h2>灯号 Lights</h2><p class="caption" style="margin:4px 0;line-height:1.4">'
            f'{html.escape(caption(view, which))}</p>')
    write_atomic(output, page.replace("</aside>", note + "</aside>", 1))
