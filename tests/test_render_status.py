"""Status lights and impact distance on the pictures: a light is a coloured ring and fill plus a symbol that
still reads in black-and-white print; an impact view is filled by distance from the slipped task."""

from __future__ import annotations

import pytest

from kg.output import to_networkx
from kg.render.html import network_data
from kg.render.image import draw
from kg.render.views import DISTANCE_FILLS, LIGHTS, build_view


@pytest.fixture(scope="module")
def G(plan_graph):  # type: ignore[no-untyped-def]
    return to_networkx(plan_graph)


def _drawn(view):  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    from kg.render.image import _rc

    with plt.rc_context(_rc()):
        fig = draw(view, "png")
        fig.canvas.draw()
        ax = fig.axes[0]
        lights = {t.get_gid()[6:]: t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("light:")}
        fills = {p.get_gid()[4:]: p.get_facecolor() for p in ax.patches if (p.get_gid() or "").startswith("box:")}
        edges = {p.get_gid()[4:]: p.get_edgecolor() for p in ax.patches if (p.get_gid() or "").startswith("box:")}
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        plt.close(fig)
    return lights, fills, edges, legend


def test_lights_are_drawn_with_a_symbol(G) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.colors import to_rgba

    H = G.copy()  # lights set on a copy, as the progress engine's annotate(G, report) would
    set_to = {"T15": "green", "T16": "yellow", "T18": "red", "I3.1": "grey"}
    for n, light in set_to.items():
        H.nodes[n]["light"], H.nodes[n]["light_reason"] = light, f"test reading for {n}"
    view = build_view(H, "target", "G3")
    lights, _, edges, legend = _drawn(view)
    assert lights == {n: LIGHTS[c][1] for n, c in set_to.items()}
    for n, light in set_to.items():
        assert edges[n] == pytest.approx(to_rgba(LIGHTS[light][0]))  # the ring in the light's colour
    assert {"✓ green", "! yellow", "× red", "? grey"} <= set(legend)
    page = {n["id"]: n for n in network_data(view)["nodes"]}
    assert page["T18"]["light"] == "red" and page["T18"]["light_reason"] == "test reading for T18"
    # without readings, nothing is lit
    assert _drawn(build_view(G, "target", "G3"))[0] == {}


def test_impact_view_is_filled_by_distance(G) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.colors import to_rgba

    from kg import analysis

    view = build_view(G, "impact", "T25")
    distance = {r["id"]: r["distance"] for r in analysis.impact(G, "T25")}
    _, fills, _, legend = _drawn(view)
    assert fills["T25"] == pytest.approx(to_rgba(DISTANCE_FILLS[0] + "99"))
    for n, fill in fills.items():
        assert fill == pytest.approx(to_rgba(DISTANCE_FILLS[min(distance[n], 3)] + "99")), n
    assert len({distance[n] for n in fills}) >= 3 and any("影响距离" in t for t in legend)


def test_matrix_heat_map_is_split_not_shrunk(G) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from PIL import Image

    from kg.analysis import ownership_matrix
    from kg.render.matrix import ROWS, matrix_pages, render_matrix

    pages = matrix_pages(G)
    rows = [r for page in pages for r in page["rows"]]
    assert rows == ownership_matrix(G)["rows"] and all(len(p["rows"]) <= ROWS for p in pages) and len(pages) >= 2
    with Image.open(BytesIO(render_matrix(pages[0], "shenyang"))) as image:
        assert image.size == (1920, 1080)


def test_the_meeting_pack_draws_the_lights_of_the_built_plan(tmp_path, monkeypatch, plan_graph) -> None:  # type: ignore[no-untyped-def]
    """`kg pack` hands the views a graph whose indicators and targets carry the lights assessed at build."""
    from typer.testing import CliRunner

    import kg.render.pack as pack
    from kg.cli import app
    from kg.stores.base import StoreSettings, open_store

    db = tmp_path / "plan.lbug"
    store = open_store(StoreSettings(kind="ladybug", path=db))
    store.build(plan_graph)
    store.close()
    seen = {}

    def capture(G, output, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.update({n: d.get("light") for n, d in G.nodes(data=True) if d.get("light")})
        return []

    monkeypatch.setattr(pack, "write_pack", capture)
    result = CliRunner().invoke(app, ["pack", "--db", str(db), "-o", str(tmp_path / "pack")])
    assert result.exit_code == 0, result.output
    indicators = {n.id for n in plan_graph.nodes.values() if n.kind == "Indicator"}
    assert indicators <= set(seen) and set(seen.values()) <= {"green", "yellow", "red", "grey"}
    assert seen["I6.2"] == "red"  # by the readings shipped in seed/readings.csv
