"""Meeting visuals: what each view holds, the same picture every time, self-contained and escaped HTML, images
with Chinese, the meeting pack, and the pages opened in a real headless Chromium with the network blocked."""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.model import Edge, Node, PlanGraph, Provenance
from kg.output import to_networkx
from kg.render.html import render_html, write_html
from kg.render.image import render_image
from kg.render.pack import write_pack
from kg.render.views import build_view, force, hierarchical, select
from tests.browser import CANVAS_INK, screenshot

runner = CliRunner()
XSS = ['<img src=x onerror="window.__xss=1">', '</script><script>window.__xss=2</script>',
       '"><svg onload="window.__xss=3">']


@pytest.fixture(scope="module")
def G(plan_graph):  # type: ignore[no-untyped-def]
    return to_networkx(plan_graph)


def _hostile() -> nx.MultiDiGraph:
    """A tiny plan whose names try to run script in the page."""
    prov = Provenance("curated", rationale='</script><b onmouseover="window.__xss=4">x</b>')
    g = PlanGraph("xss-<plan>")
    g.add(Node("Task", "T1", "普通任务 ordinary task", prov, props={"number": 1}))
    for i, name in enumerate(XSS, start=1):
        g.add(Node("Department", f"D-{i}", name, prov, name_en=name))
        g.edges.append(Edge("LEADS" if i == 1 else "SUPPORTS", f"D-{i}", "T1", prov))
    return to_networkx(g)


# -- what the views hold --------------------------------------------------------------------------------------

def test_views_hold_what_they_say(G) -> None:  # type: ignore[no-untyped-def]
    overview, _ = select(G, "overview")
    assert {G.nodes[n]["kind"] for n in overview} == {"Principle", "OverallGoal", "Target", "Area"}
    assert len(overview) == 6 + 1 + 10 + 13
    area, title = select(G, "area", "A13")
    assert {"T62", "T63", "T64", "T65", "D-agriculture"} <= area and "A13" in title
    target, _ = select(G, "target", "G3")
    assert {"I3.1", "I3.2", "I3.3", "I3.4", "A3", "T15", "D-miit"} <= target
    dept, _ = select(G, "department", "D-commerce")
    assert {"T3", "T4", "T10", "T35"} <= dept and "G1" in dept
    task, _ = select(G, "task", "T15", depth=1)
    assert task == {"T15", "T25"}
    assert select(G, "task", "T15", depth=2)[0] == {"T15", "T25", "T26"} | set(nx.ancestors(
        nx.DiGraph((u, v) for u, v, k in G.edges(keys=True) if k == "DEPENDS_ON"), "T25")) & \
        select(G, "task", "T15", depth=2)[0]


def test_same_input_same_picture(G) -> None:  # type: ignore[no-untyped-def]
    sub = build_view(G, "target", "G3").graph
    assert hierarchical(sub).centres() == hierarchical(sub.copy()).centres()
    assert force(sub) == force(sub.copy())
    view = build_view(G, "area", "A3")
    assert render_html(view) == render_html(build_view(G, "area", "A3"))
    assert render_image(view, "png") == render_image(build_view(G, "area", "A3"), "png")
    assert render_image(view, "svg") == render_image(build_view(G, "area", "A3"), "svg")


def test_every_kind_has_one_look_and_lead_differs_from_supporting() -> None:
    from kg.model import NODE_KINDS
    from kg.render.views import EDGE_STYLE, KIND_STYLE

    assert set(KIND_STYLE) == set(NODE_KINDS)
    assert len({style[0] for style in KIND_STYLE.values()}) == len(KIND_STYLE)  # one colour per kind
    assert EDGE_STYLE["LEADS"][:3] != EDGE_STYLE["SUPPORTS"][:3] and EDGE_STYLE["SUPPORTS"][2]  # supporting dashed


# -- self-contained and safe ----------------------------------------------------------------------------------

def test_html_is_self_contained_utf8_and_has_title_legend_tooltips(G, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "g3.html"
    write_html(build_view(G, "target", "G3"), out)
    page = out.read_bytes().decode("utf-8")
    assert '<meta charset="utf-8">' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//|@import", page, re.IGNORECASE)
    assert "default-src 'none'" in page  # the page may not fetch anything, even by mistake
    data = json.loads(re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', page,
                                re.DOTALL).group(1))  # type: ignore[union-attr]
    assert data["plan"] == "shenyang-2023-2025" and "G3" in data["title"]
    assert {k["label"] for k in data["legend"]["kinds"]} >= {"目标 Target", "重点任务 Key task", "责任部门 Department"}
    assert {e["label"] for e in data["legend"]["edges"]} >= {"牵头 leads", "配合 supports"}
    t15 = next(n for n in data["nodes"] if n["id"] == "T15")
    assert t15["title"].splitlines()[:3] == ["加快发展数字经济", "Accelerate the digital economy",
                                             "重点任务 Task · T15"]
    assert t15["title"].splitlines()[3] == "原文 (plan text): 15.加快发展数字经济"
    miit = next(n for n in data["nodes"] if n["id"] == "D-miit")
    assert miit["shape"] == "custom" and miit["marker"] == "p" and miit["lines"][0].startswith("市工业和信")


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    page = render_html(build_view(_hostile(), "query", ids={"T1", "D-1", "D-2", "D-3"}))
    assert "window.__xss=2" in page  # the names are there, as data
    assert page.count("</script>") == 3  # the data, vis-network and our code: nothing else closes a script
    assert "<img src=x" not in page and "<svg onload" not in page and "<b onmouseover" not in page
    assert "xss-&lt;plan&gt;" in page


# -- images ---------------------------------------------------------------------------------------------------

def test_png_is_1920x1080_with_chinese_glyphs(G) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from PIL import Image

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_image(build_view(G, "department", "D-commerce"), "png")
    assert not [w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]
    assert Image.open(BytesIO(png)).size == (1920, 1080)


def test_missing_glyphs_would_be_caught(G) -> None:  # type: ignore[no-untyped-def]
    """The check above can fail: drawn with a Latin-only font, the same names warn about missing glyphs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plt.figure()
        fig.text(0.1, 0.5, G.nodes["D-commerce"]["name"], family="DejaVu Sans")
        fig.canvas.draw()
        plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_formats(G, fmt: str) -> None:  # type: ignore[no-untyped-def]
    data = render_image(build_view(G, "overview"), fmt)
    assert data.startswith(b"<?xml" if fmt == "svg" else b"%PDF")


# -- the commands and the pack --------------------------------------------------------------------------------

def test_viz_command_writes_each_view(cli_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store
    for argv, nodes in ((["overview"], 30), (["area", "乡村"], None), (["task", "15", "--depth", "1"], 2),
                        (["impact", "T22"], None), (["target", "3", "--layout", "force"], None)):
        out = tmp_path / f"{argv[0]}.html"
        result = runner.invoke(app, ["viz", *argv, "-o", str(out), *args], env=env)
        assert result.exit_code == 0, result.output
        assert out.exists() and (nodes is None or f": {nodes} nodes" in result.stdout)
    out = tmp_path / "query.png"
    result = runner.invoke(app, ["viz", "query", "area_tasks", "-p", "area", "乡村", "-o", str(out), *args], env=env)
    assert result.exit_code == 0 and ": 4 nodes" in result.stdout and out.read_bytes()[:4] == b"\x89PNG"
    for argv in (["--query", "area_tasks", "-p", "area", "A13"], ["--query", "upstream", "-p", "task", "15", "-p",
                                                                   "depth", "2"]):
        result = runner.invoke(app, ["viz", "query", *argv, "-o", str(tmp_path / "q.html"), *args], env=env)
        assert result.exit_code == 0, result.output
        assert (": 4 nodes" if argv[1] == "area_tasks" else ": 2 nodes") in result.stdout


@pytest.mark.parametrize(("argv", "message"), [
    (["viz", "area", "-o", "x.html"], "the area view needs a area"),
    (["viz", "overview", "-o", "x.doc"], "x.doc: a view is written as .html, .png, .svg, .pdf or .pptx"),
    (["viz", "query", "-o", "x.html"], "the query view needs a query name"),
    (["viz", "department", "无此局", "-o", "x.html"], "no department is called '无此局'"),
])
def test_viz_usage_errors(tmp_path: Path, plan_graph, argv: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    from kg.stores.base import StoreSettings, open_store

    db = tmp_path / "plan.lbug"
    open_store(StoreSettings(path=db)).build(plan_graph)
    result = runner.invoke(app, [*argv, "--db", str(db)])
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert not (Path.cwd() / "x.html").exists()


def test_a_failed_pack_leaves_the_previous_one(G, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import kg.render.pack as pack

    out = tmp_path / "pack"
    out.mkdir()
    (out / "index.html").write_text("the previous pack", encoding="utf-8")
    calls = []

    def failing(view, path, compact=False) -> None:  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")

    monkeypatch.setattr(pack, "write_image", failing)
    with pytest.raises(OSError, match="disk full"):
        write_pack(G, out)
    assert (out / "index.html").read_text(encoding="utf-8") == "the previous pack"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".pack.writer.lock", "pack"]  # no half-written folder (the
    # lock file stays: removing it would race with the next writer)


def test_a_pack_stopped_in_its_swap_leaves_a_pack(G, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The new pack replaced the old one in two renames (the old one aside, the new one in): a process killed
    between them left no pack, and the next pack removed the old one as a dead process's staging. Now one
    exchange: whatever stops it, the folder is the old pack or the new one."""
    out = tmp_path / "pack"
    out.mkdir()
    (out / "index.html").write_text("the previous pack", encoding="utf-8")
    real = Path.rename

    def killed(self: Path, target: Path) -> Path:
        raise KeyboardInterrupt  # stands for a kill -9

    def killed_after_one(self: Path, target: Path) -> Path:
        monkeypatch.setattr(Path, "rename", killed)
        return real(self, target)

    monkeypatch.setattr(Path, "rename", killed_after_one)
    with contextlib.suppress(KeyboardInterrupt):
        write_pack(G, out, views=[("overview", None)], workers=1)
    assert (out / "index.html").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index == "the previous pack" or 'href="overview.html"' in index


def test_pack_links_overview_areas_and_lead_departments(G, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    entries = write_pack(G, tmp_path / "pack")
    index = (tmp_path / "pack" / "index.html").read_text(encoding="utf-8")
    owners = {u for u, _, k in G.edges(keys=True) if k in ("LEADS", "SUPPORTS")}
    stems = [stem for _, stem in entries]
    assert stems[0] == "overview" and len(stems) == 1 + 10 + 13 + len(owners) + 5  # and 5 impacts
    assert 'href="matrix-1.png"' in index and (tmp_path / "pack" / "matrix-1.png").read_bytes()[:4] == b"\x89PNG"
    assert index.index('id="department"') < index.index('id="matrix"') < index.index('id="impact"')
    for stem in stems:
        assert f'href="{stem}.html"' in index and f'href="{stem}.png"' in index
        assert (tmp_path / "pack" / f"{stem}.html").stat().st_size > 0
        assert (tmp_path / "pack" / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"


# -- in a real browser ----------------------------------------------------------------------------------------

BROWSER_VIEWS = [("overview", None), ("area", "A3"), ("department", "D-commerce"), ("target", "G3"),
                 ("task", "T15"), ("impact", "T22")]


@pytest.mark.browser
@pytest.mark.parametrize(("name", "entity"), BROWSER_VIEWS)
def test_view_in_headless_chromium(G, open_page, tmp_path: Path, name: str, entity: str | None) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, name, entity)
    path = tmp_path / f"{name}.html"
    write_html(view, path)
    opened = open_page(path)
    page = opened.page
    assert opened.requests == [path.resolve().as_uri()] and not opened.refused and not opened.failed
    assert not opened.errors
    assert page.evaluate("window.planKg.drawnNodes()") == view.graph.number_of_nodes()
    assert page.evaluate("window.planKg.drawnEdges()") == view.graph.number_of_edges()
    assert page.evaluate(CANVAS_INK) > 0.005  # something was drawn
    assert page.text_content("#title") == view.title
    screenshot(opened, f"{name}-{entity or 'plan'}")


@pytest.mark.browser
def test_search_finds_and_focuses_a_node_and_click_highlights_neighbours(G, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = build_view(G, "department", "D-commerce")
    path = tmp_path / "dept.html"
    write_html(view, path)
    page = open_page(path).page
    page.fill("#search", "进出口")
    assert "T4 综合施策扩大进出口" in page.locator("#results button").all_text_contents()
    page.press("#search", "Enter")
    focused = page.evaluate("window.planKg.focused")
    assert focused == "T4"
    neighbours = set(nx.Graph(view.graph).neighbors("T4")) | {"T4"}
    assert set(page.evaluate("window.planKg.highlighted")) == neighbours
    page.evaluate("window.planKg.focus('T10')")  # bring a task into view, then click it
    at = page.evaluate("window.planKg.at('T10')")
    page.mouse.click(at["x"], at["y"])
    assert set(page.evaluate("window.planKg.highlighted")) == set(nx.Graph(view.graph).neighbors("T10")) | {"T10"}


@pytest.mark.browser
def test_hostile_names_run_nothing_in_the_browser(open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "hostile.html"
    write_html(build_view(_hostile(), "query", ids={"T1", "D-1", "D-2", "D-3"}), path)
    opened = open_page(path, size=(1920, 1080))  # the whole view on screen at full type size
    page = opened.page
    page.fill("#search", "<img")
    for node in ("D-1", "D-2", "D-3"):  # hover each hostile node: its tooltip shows, as text only
        at = page.evaluate(f"window.planKg.at('{node}')")
        page.mouse.move(at["x"], at["y"])
        page.wait_for_selector("div.vis-tooltip", state="visible")
        tooltip = page.evaluate("(() => { const t = document.querySelector('div.vis-tooltip'); "
                                "return {text: t.textContent, tags: [...t.children].map(c => c.tagName)}; })()")
        # text set as innerText: the only elements are the <br>s its line breaks become
        assert XSS[int(node[-1]) - 1] in tooltip["text"] and set(tooltip["tags"]) == {"BR"}
        page.mouse.move(5, 5)
    assert page.evaluate("window.__xss") is None
    assert not opened.dialogs and opened.refused == []  # <img src=x> would have asked for "x"
    assert page.locator("#results button").all_text_contents() == [f"D-1 {XSS[0]}"]  # shown as text
    assert page.evaluate("window.planKg.drawnNodes()") == 4
    screenshot(opened, "hostile-names")


def test_hierarchical_rows_follow_the_plan_and_the_dependencies(G) -> None:  # type: ignore[no-untyped-def]
    overview = build_view(G, "overview")
    y = {n: p[1] for n, p in overview.positions.items()}
    assert y["P1"] < y["G1"] < y["A1"]  # principle above target above area
    task = build_view(G, "task", "T15", depth=2)
    y = {n: p[1] for n, p in task.positions.items()}
    assert y["T26"] < y["T25"] < y["T15"]  # what is waited on sits above what waits on it
    # an area sits under the target it advances: the overview's ADVANCES edges run (nearly) straight down
    x = {n: p[0] for n, p in overview.positions.items()}
    advances = [(u, v) for u, v, k in overview.graph.edges(keys=True) if k == "ADVANCES"]
    straight = sum(1 for u, v in advances if abs(x[u] - x[v]) < 250)
    assert straight >= len(advances) // 2


def test_same_picture_in_another_process(tmp_path: Path) -> None:
    """Python salts string hashes per process: nothing in a view may depend on set order."""
    import os
    import subprocess
    import sys

    script = ("import sys; from kg.ingest.seed import load_plan; from kg.output import to_networkx; "
              "from kg.render.views import build_view; from kg.render.image import render_image; "
              "from kg.render.html import render_html; G = to_networkx(load_plan()); "
              "v = build_view(G, 'department', 'D-commerce', layout='force'); "
              "open(sys.argv[1] + '.png', 'wb').write(render_image(v, 'png')); "
              "open(sys.argv[1] + '.html', 'w', encoding='utf-8').write(render_html(v))")
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / seed)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
    assert (tmp_path / "1.png").read_bytes() == (tmp_path / "2.png").read_bytes()
    assert (tmp_path / "1.html").read_bytes() == (tmp_path / "2.html").read_bytes()


def _page_text_missing_from_font(page: str, folder: Path | None = None) -> set[str]:
    """The characters of a page's data (names, title, legend, tooltips) that its font (embedded, or the pack's
    shared file in `folder`) cannot draw."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    shared = re.search(r'url\("([^"]+\.otf)"\)', page)
    if shared and folder is not None:
        font = TTFont(io.BytesIO((folder / shared.group(1)).read_bytes()))
    else:
        font = TTFont(io.BytesIO(base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1))))  # type: ignore[union-attr]
    covered = {chr(c) for c in font.getBestCmap()}
    font.close()
    data = re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', page, re.DOTALL).group(1)  # type: ignore[union-attr]
    text = json.dumps(json.loads(data), ensure_ascii=False)
    return {c for c in text if ord(c) > 0x7F} - covered  # ASCII falls back to any font


def test_every_page_of_the_pack_can_draw_its_own_text(G, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_pack(G, tmp_path / "pack")
    pack = tmp_path / "pack"
    for page in sorted(pack.glob("*.html")):
        if page.name != "index.html":
            assert _page_text_missing_from_font(page.read_text(encoding="utf-8"), pack) == set(), page.name
    assert _page_text_missing_from_font(render_html(build_view(G, "impact", "T22"))) == set()


def test_a_pack_into_a_symlinked_folder_keeps_the_link(G, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The swap renamed the link away and put a real folder in its place, leaving a `.old` link behind."""
    import kg.render.pack as pack

    monkeypatch.setattr(pack, "write_image", lambda view, path, *a, **k: path.write_bytes(b"png"))
    monkeypatch.setattr(pack, "write_html", lambda view, path, *a, **k: path.write_text("page", encoding="utf-8"))
    real = tmp_path / "packs" / "2026-11"
    real.mkdir(parents=True)
    (real / "index.html").write_text("the previous pack", encoding="utf-8")
    link = tmp_path / "pack"
    link.symlink_to(real)
    write_pack(G, link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "index.html").read_text(encoding="utf-8") != "the previous pack"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack", "packs"]
    assert sorted(p.name for p in real.parent.iterdir()) == [".2026-11.writer.lock", "2026-11"]


def test_a_view_of_thousands_of_nodes_is_laid_out_as_a_grid_in_its_rows() -> None:
    """Past LARGE nodes the layered layout (a dummy vertex for every row an edge crosses) took minutes (5,000 nodes:
    over 100 s); such a view is a grid of codes in its rows: every node placed on the stage, rows kept in order."""
    from kg.render.views import LARGE, STAGE_H, STAGE_W

    G = nx.MultiDiGraph()
    tasks = [f"T{i}" for i in range(LARGE)]
    for t in tasks:
        G.add_node(t, kind="Task", id=t, name=f"任务{t}")
    for d in range(LARGE // 20):
        G.add_node(f"D{d}", kind="Department", id=f"D{d}", name=f"部门{d}")
        for t in tasks[d::LARGE // 20]:
            G.add_edge(f"D{d}", t, key="LEADS", kind="LEADS")
    layout = hierarchical(G)
    assert set(layout.boxes) == set(G)
    assert layout.detail == 2  # codes only
    for box in layout.boxes.values():
        assert -1 <= box.x <= STAGE_W + 1 and -1 <= box.y <= STAGE_H + 1
    task_rows = {layout.boxes[t].y for t in tasks}
    department_rows = {layout.boxes[n].y for n in G if n.startswith("D")}
    assert max(task_rows) < min(department_rows)  # tasks above their departments, as in every view
    assert len({(b.x, b.y) for b in layout.boxes.values()}) == len(G)  # no two nodes on one spot
    assert len(layout.routes) == G.number_of_edges()
