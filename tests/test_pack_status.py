"""The meeting pack's status section: there when the graph carries lights (readings, a month's ledger), absent
without; the lights on its pictures are the ones `kg progress status` and the bulletin give; example ledger data is
marked on the page and the picture; the pack's departments come in the registry's order."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.output import to_networkx
from kg.progress.status import annotate_from_graph
from kg.render.pack import DEPARTMENT_ORDER, pack_views, write_pack
from kg.render.status import EXAMPLE_MARK, caption, status_view, status_views, with_task_lights
from kg.render.views import LIGHTS
from tests.conftest import SEED

runner = CliRunner()
EXAMPLES = [SEED / "examples" / "ledger-2025-05.csv", SEED / "examples" / "ledger-2025-06.csv"]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A built store (with the shipped readings) and the example ledger imported through the CLI; the graph read
    back from the store as `kg pack` reads it, and June's task lights."""
    from kg.cli.report import task_status_for
    from kg.stores.base import StoreSettings, open_store

    folder = tmp_path_factory.mktemp("pack-status")
    db, ledger = folder / "plan.lbug", folder / "ledger"
    assert runner.invoke(app, ["build", "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(ledger),
                                 *map(str, EXAMPLES)])
    assert result.exit_code == 0, result.output
    store = open_store(StoreSettings(kind="ladybug", path=db))
    try:
        graph = store.read_graph()
    finally:
        store.close()
    status, rules, _ = task_status_for(graph, "2025-06", ledger, SEED)
    return {"db": db, "ledger": ledger, "graph": graph, "status": status, "rules": rules}


def _drawn(view: Any) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    from kg.render.image import _rc, draw

    with plt.rc_context(_rc()):
        fig = draw(view, "png")
        ax = fig.axes[0]
        out = {"lights": {t.get_gid()[6:]: t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("light:")},
               "rings": {p.get_gid()[4:]: p.get_edgecolor() for p in ax.patches
                         if (p.get_gid() or "").startswith("box:")},
               "texts": [t.get_text() for t in fig.texts]}
        plt.close(fig)
    return out


def test_no_status_section_without_lights(plan_graph: Any) -> None:
    G = to_networkx(plan_graph)  # not annotated: no node carries a light
    assert status_views(G) == [] and not any(kind == "status" for kind, _ in pack_views(G))
    lit = annotate_from_graph(to_networkx(plan_graph))  # the shipped readings: indicators, no ledger
    assert status_views(lit) == [("status", "indicators")]
    assert pack_views(lit)[:2] == [("overview", None), ("status", "indicators")]


def test_indicator_lights_on_the_picture_are_kg_progress_status(example: dict[str, Any]) -> None:
    from matplotlib.colors import to_rgba

    result = runner.invoke(app, ["progress", "status", "--db", str(example["db"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = {r["code"]: r["light"] for r in report["indicators"] + report["targets"]}
    assert len(expected) == 30 and {"red", "green", "grey"} <= set(expected.values())
    G = annotate_from_graph(to_networkx(example["graph"]))
    view = status_view(G, "indicators")
    drawn = _drawn(view)
    assert drawn["lights"] == {code: LIGHTS[light][1] for code, light in expected.items()}
    for code, light in expected.items():
        assert drawn["rings"][code] == pytest.approx(to_rgba(LIGHTS[light][0])), code
    assert report["as_of"] in view.title and EXAMPLE_MARK not in view.title  # official readings, not examples
    text = caption(view, "indicators")
    assert "kg/progress/rules.yaml" in text and "× red: limited_progress" in text


def test_task_lights_from_the_example_ledger_are_marked_as_example(example: dict[str, Any]) -> None:
    G = with_task_lights(annotate_from_graph(to_networkx(example["graph"])), example["status"], example["rules"])
    assert status_views(G) == [("status", "indicators"), ("status", "tasks")]
    flagged = {t.task: t.light for t in example["status"].tasks if t.light in ("red", "yellow")}
    assert [t for t, light in flagged.items() if light == "red"] == ["T22", "T45"]  # as the bulletin's red list
    view = status_view(G, "tasks")
    drawn = _drawn(view)
    assert drawn["lights"] == {t: LIGHTS[light][1] for t, light in flagged.items()}
    leads = {u for t in flagged for u, _, k in G.in_edges(t, data="kind") if k == "LEADS"}
    assert set(view.graph) == set(flagged) | leads
    assert EXAMPLE_MARK in view.title and any(EXAMPLE_MARK in t for t in drawn["texts"])
    # the month's lights stay in the status view: the pack's other views show no ledger data
    assert not any(G.nodes[t].get("light") for t in flagged)
    assert "30 points behind" in caption(view, "tasks")


def test_the_pack_has_a_status_section_with_pictures_and_pages(example: dict[str, Any], tmp_path: Path) -> None:
    G = with_task_lights(annotate_from_graph(to_networkx(example["graph"])), example["status"], example["rules"])
    out = tmp_path / "pack"
    write_pack(G, out, views=[("overview", None), ("status", "indicators"), ("status", "tasks")], workers=1)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index('id="overview"') < index.index('id="status"')
    for stem in ("status-indicators", "status-tasks"):
        assert f'href="{stem}.html"' in index and (out / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
    page = (out / "status-tasks.html").read_text(encoding="utf-8")
    assert EXAMPLE_MARK in page and 'class="caption"' in page and "kg/progress/rules.yaml" in page
    assert EXAMPLE_MARK not in (out / "status-indicators.html").read_text(encoding="utf-8")
    # the pack's one font subset draws every character of the status pages: data, titles and captions
    from fontTools.ttLib import TTFont

    font = TTFont(out / "assets" / "plan-kg-sc.otf")
    covered = {chr(c) for c in font.getBestCmap()}
    font.close()
    for stem in ("status-indicators", "status-tasks"):
        text = (out / f"{stem}.html").read_text(encoding="utf-8")
        shown = text[text.index('<script type="application/json"'):] + text[text.index("<aside>"):]
        assert {c for c in shown if ord(c) > 0x7F and c.isprintable() and not c.isspace()} - covered == set(), stem


def test_pack_departments_come_in_the_registry_order(example: dict[str, Any]) -> None:
    """The store gives departments back by id; the pack lists them as departments.csv does (then the registry)."""
    order = _registry()
    G: nx.MultiDiGraph = to_networkx(example["graph"])
    G.graph[DEPARTMENT_ORDER] = order
    leads = {u for u, _, k in G.edges(data="kind") if k == "LEADS"}
    supports = {u for u, _, k in G.edges(data="kind") if k == "SUPPORTS"} - leads
    got = [d for kind, d in pack_views(G) if kind == "department"]
    assert got == [d for d in order if d in leads] + [d for d in order if d in supports]
    assert got[:3] != sorted(got)[:3]  # not by id


def test_kg_pack_reads_the_registry_order(example: dict[str, Any], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.render.pack as pack

    seen: list[str] = []

    def capture(G, output, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(d for kind, d in pack_views(G) if kind == "department" and d)
        return []

    monkeypatch.setattr(pack, "write_pack", capture)
    result = runner.invoke(app, ["pack", "--db", str(example["db"]), "-o", str(tmp_path / "pack")])
    assert result.exit_code == 0, result.output
    G = to_networkx(example["graph"])
    leads = {u for u, _, k in G.edges(data="kind") if k == "LEADS"}
    supports = {u for u, _, k in G.edges(data="kind") if k == "SUPPORTS"} - leads
    order = _registry()
    assert seen == [d for d in order if d in leads] + [d for d in order if d in supports] and len(seen) > 30


def _registry() -> list[str]:
    with (SEED / "departments.csv").open(encoding="utf-8") as f:
        return [row["id"] for row in csv.DictReader(f)]
