"""The page in headless Chromium at 1920x1080: type of at least 20 px in the first view, the side panel, filters,
reset, "no match", focus that fades the rest, and a pack page that loads the pack's shared font and
vis-network and nothing else."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from kg.output import to_networkx
from kg.render.html import write_assets, write_html
from kg.render.views import build_view
from tests.browser import CANVAS_INK, screenshot

pytestmark = pytest.mark.browser
FULL_HD = (1920, 1080)


@pytest.fixture(scope="module")
def G(plan_graph):  # type: ignore[no-untyped-def]
    return to_networkx(plan_graph)


@pytest.mark.parametrize(("name", "entity"), [("overview", None), ("department", "D-drc"), ("department", "D-miit"),
                                              ("target", "G5"), ("impact", "T25"), ("area", "A3")])
def test_first_view_type_is_at_least_20_px(G, open_page, tmp_path: Path, name: str, entity: str | None) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, name, entity)
    path = tmp_path / "v.html"
    write_html(view, path)
    opened = open_page(path, size=FULL_HD)
    assert not opened.errors and not opened.refused
    assert opened.page.evaluate("window.planKg.labelPx()") >= 20
    assert opened.page.evaluate(CANVAS_INK) > 0.005


def test_side_panel_filters_reset_and_no_match(G, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, "target", "G3")
    path = tmp_path / "g3.html"
    write_html(view, path)
    opened = open_page(path, size=FULL_HD)
    page = opened.page
    page.evaluate("window.planKg.focus('T15')")
    at = page.evaluate("window.planKg.at('T15')")
    page.mouse.click(at["x"], at["y"])
    details = page.text_content("#details") or ""
    assert "加快发展数字经济" in details and "T15" in details
    assert "原文 (plan text): 15.加快发展数字经济" in details
    lead = [G.nodes[u]["name"] for u, _, k in G.in_edges("T15", data="kind") if k == "LEADS"]
    assert lead and all(name in details for name in lead) and "牵头 Lead" in details
    # focus fades what is not a neighbour
    neighbours = set(nx.Graph(view.graph).neighbors("T15"))
    other = next(n for n in view.graph if n not in neighbours and n != "T15")
    assert page.evaluate(f"window.planKg.faded('{other}')") is True
    assert not any(page.evaluate(f"window.planKg.faded('{n}')") for n in neighbours)
    screenshot(opened, "side-panel-T15")
    # filter by kind: departments hidden
    page.uncheck(".kind-filter[value=Department]")
    shown = set(page.evaluate("window.planKg.shown"))
    assert shown == {n for n in view.graph if view.graph.nodes[n]["kind"] != "Department"}
    # no match
    page.fill("#search", "无此任务zzz")
    assert page.is_visible(".nomatch") and "无匹配 no match" in (page.text_content("#results") or "")
    # reset: everything back
    page.click("#reset")
    assert set(page.evaluate("window.planKg.shown")) == set(view.graph)
    assert page.evaluate("window.planKg.highlighted") == [] and page.input_value("#search") == ""
    assert page.is_checked(".kind-filter[value=Department]")
    assert not opened.errors


def test_area_filter_keeps_the_areas_tasks(G, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, "department", "D-drc")
    path = tmp_path / "drc.html"
    write_html(view, path)
    page = open_page(path, size=FULL_HD).page
    page.select_option("#area-filter", "A3")
    shown = set(page.evaluate("window.planKg.shown"))
    tasks = {n for n in view.graph if view.graph.nodes[n]["kind"] == "Task"}
    a3 = {v for u, v, k in G.edges(data="kind") if u == "A3" and k == "HAS_TASK"}
    assert shown & tasks == tasks & a3 and shown & tasks


def test_pack_page_loads_only_the_shared_assets(G, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, "department", "D-commerce")
    texts = [v for _, d in G.nodes(data=True) for v in d.values() if isinstance(v, str)]
    chars = "".join(texts) + view.title + "…≥↓年均()←会议材料abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:"
    write_assets(tmp_path / "assets", chars)
    path = tmp_path / "department-D-commerce.html"
    write_html(view, path, chars, back="index.html", assets="assets")
    page_text = path.read_text(encoding="utf-8")
    assert len(page_text.encode("utf-8")) < 120_000  # no inlined font or vis-network
    opened = open_page(path, size=FULL_HD, allow=tmp_path)
    assert not opened.errors and not opened.failed
    assert sorted(u.rsplit("/", 1)[1] for u in opened.requests) == sorted(
        ["department-D-commerce.html", "plan-kg-sc.otf", "vis-network.css", "vis-network.min.js"])
    assert opened.page.evaluate('document.fonts.check(\'21px "PlanKG CJK"\', "市商务局")')
    assert opened.page.evaluate("window.planKg.drawnNodes()") == view.graph.number_of_nodes()
    assert opened.page.get_attribute("a.back", "href") == "index.html"


def test_readme_screenshots_are_made_by_their_command(chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from docs.make_screens import make_screens

    shots = make_screens(tmp_path, chromium)
    assert [p.name for p in shots] == ["screen-overview.png", "screen-department-drc.png", "screen-target-g3.png",
                                       "screen-pack-index.png"]
    for shot in shots:
        with Image.open(shot) as image:
            assert image.size == (1920, 1080)
            assert len(image.convert("L").getcolors(1 << 16) or []) > 20  # not a blank page
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/{p.name}" in readme for p in shots)


def test_a_departments_areas_collapse_and_expand(G, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The department's tasks are framed by area; collapsing an area (its button in the side panel, or a double
    click on its frame) hides that area's tasks and nothing else; expanding shows them again."""
    view = build_view(G, "department", "D-drc")
    path = tmp_path / "drc.html"
    write_html(view, path)
    opened = open_page(path, size=FULL_HD)
    page = opened.page
    everything = page.evaluate("window.planKg.shown")
    a3 = sorted(n for f in view.layout.frames if f.group == "A3" for n in f.members)
    assert a3 and set(a3) <= set(everything)
    assert page.locator("#groups-panel").is_visible()
    page.click('#groups button[data-group="A3"]')
    shown = page.evaluate("window.planKg.shown")
    assert sorted(set(everything) - set(shown)) == a3
    assert page.evaluate("window.planKg.collapsed()") == ["A3"]
    assert page.get_attribute('#groups button[data-group="A3"]', "aria-expanded") == "false"
    screenshot(opened, "department-drc-a3-collapsed")
    page.click('#groups button[data-group="A3"]')
    assert page.evaluate("window.planKg.shown") == everything
    # a double click on an area's frame collapses it, another expands it
    a1 = sorted(n for f in view.layout.frames if f.group == "A1" for n in f.members)
    at = page.evaluate("window.planKg.frameAt('A1')")
    page.mouse.dblclick(at["x"], at["y"])
    assert sorted(set(everything) - set(page.evaluate("window.planKg.shown"))) == a1
    page.mouse.dblclick(at["x"], at["y"])
    assert page.evaluate("window.planKg.shown") == everything
    # reset expands whatever is collapsed
    page.evaluate("window.planKg.collapse('A5')")
    assert page.evaluate("window.planKg.shown") != everything
    page.click("#reset")
    assert page.evaluate("window.planKg.shown") == everything and page.evaluate("window.planKg.collapsed()") == []
    assert not opened.errors


def test_views_without_frames_have_no_area_panel(G, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "g3.html"
    write_html(build_view(G, "target", "G3"), path)
    opened = open_page(path)
    assert not opened.page.locator("#groups-panel").is_visible() and not opened.errors
