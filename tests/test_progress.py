"""Readings in, status out: validation with file:line, revisions, units, the seed's published figures in the
graph, `kg progress status` and `kg progress readings import`, and the lights beside owners and impact."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.errors import ValidationError
from kg.progress.graph import readings_from_graph
from kg.progress.readings import parse_period, parse_unit, read_readings
from kg.progress.rules import load_rules
from kg.progress.status import annotate, assess, node_lights

runner = CliRunner()
HEADER = "indicator,period,value,unit,basis,geo,status,source,published,quote,light,note\n"
SRC = "测试 https://example.org/test"


def _file(tmp_path: Path, *rows: str, name: str = "new.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _structure(plan_graph):  # type: ignore[no-untyped-def]
    """The plan without the seed's readings and assessments: hand-made readings are assessed on it."""
    from kg.model import PlanGraph

    keep = {k: n for k, n in plan_graph.nodes.items() if n.kind not in ("Reading", "Assessment")}
    return PlanGraph(plan_graph.plan_id, keep, [e for e in plan_graph.edges if e.source in keep and e.target in keep])


# -- periods and units ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "end"), [("2024", "2024-12"), ("2024-Q2", "2024-06"), ("2024-H1", "2024-06"),
                                           ("2024-06", "2024-06"), ("2025-Q4", "2025-12")])
def test_periods(text: str, end: str) -> None:
    period = parse_period(text)
    assert period is not None and period.end == end and period.annual == (text == "2024")


@pytest.mark.parametrize("text", ["2024-13", "2024-Q5", "24", "2024/06", "2024-H3", ""])
def test_not_periods(text: str) -> None:
    assert parse_period(text) is None


def test_units_convert_by_magnitude() -> None:
    assert parse_unit("亿元") == ("CNY", 1e8) and parse_unit("万亿元") == ("CNY", 1e12)
    assert parse_unit("%") == ("percent", 1.0) and parse_unit("亿美元") == ("USD", 1e8) and parse_unit("kg") is None


# -- bad readings: file:line, exit 2, nothing written -------------------------------------------------------------

BAD = [
    ("I99.9,2024,1,%,level,,final," + SRC + ",2025-01-01,,,", "unknown indicator"),
    ("I3.1,2024,9000,%,level,,final," + SRC + ",2025-01-01,,,", "unit % does not fit I3.1 measured in 万亿元"),
    ("I3.1,2030,9000,亿元,level,,final," + SRC + ",2031-01-01,,,", "period 2030 is outside the plan (valid: 2022 to"),
    ("I3.1,2024,about 9000,亿元,level,,final," + SRC + ",2025-01-01,,,", "value 'about 9000' is not a number"),
    ("I6.2,2023,4.5,%,yoy_growth,沈阳市,final," + SRC + ",2024-03-01,,,", "a second final reading for I6.2 2023"),
    ("I3.1,2024-13,9000,亿元,level,,final," + SRC + ",2025-01-01,,,", "period '2024-13' is not valid"),
    ("I3.1,2024,9000,亿元,stock,,final," + SRC + ",2025-01-01,,,", "basis 'stock' is not valid"),
    ("I6.2,2024,5,亿元,yoy_growth,,final," + SRC + ",2025-01-01,,,", "a yoy_growth reading is in %"),
    ("I3.1,2024,9000,亿元,level,,final,=HYPERLINK(\"x\"),2025-01-01,,,", "formula"),
]


@pytest.mark.parametrize(("row", "message"), BAD)
def test_bad_reading_is_refused_with_file_line_and_nothing_written(seed_copy: Path, tmp_path: Path, row: str,
                                                                    message: str) -> None:
    good = "I6.2,2023,4.5,%,yoy_growth,沈阳市,final," + SRC + ",2024-03-01,,,"
    rows = (good, row) if "second final" in message else (row,)
    path = _file(tmp_path, *rows)
    before = (seed_copy / "readings.csv").read_bytes()
    result = runner.invoke(app, ["progress", "readings", "import", str(path), "--seed", str(seed_copy)])
    assert result.exit_code == 2, result.output
    line = 3 if "second final" in message else 2
    assert f"{path}:{line}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert (seed_copy / "readings.csv").read_bytes() == before


def test_every_problem_of_a_file_is_listed_at_once(plan_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, BAD[0][0], BAD[1][0], BAD[3][0])
    with pytest.raises(ValidationError) as e:
        read_readings(path, plan_graph)
    assert [p.split(": ")[0] for p in e.value.problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]


def test_a_final_reading_already_in_the_seed_is_not_repeated(seed_copy: Path, tmp_path: Path) -> None:
    (seed_copy / "readings.csv").write_text(HEADER + "I6.2,2023,4.5,%,yoy_growth,沈阳市,final," + SRC + ",2024-03-01"
                                            ",,,\n", encoding="utf-8")
    path = _file(tmp_path, "I6.2,2023,4.6,%,yoy_growth,沈阳市,final," + SRC + ",2024-04-01,,,")
    result = runner.invoke(app, ["progress", "readings", "import", str(path), "--seed", str(seed_copy)])
    assert result.exit_code == 2 and f"{path}:2: a second final reading" in result.stderr
    assert "readings.csv:2" in result.stderr  # where the first one is


# -- import: appended, revisions kept -----------------------------------------------------------------------------

def test_import_appends_and_keeps_revisions(seed_copy: Path, tmp_path: Path) -> None:
    before = (seed_copy / "readings.csv").read_text(encoding="utf-8")
    path = _file(tmp_path,
                 "I3.1,2022,8000,亿元,level,,final," + SRC + ",2023-03-01,,,",
                 "I3.1,2024,8400,亿元,level,,preliminary," + SRC + ",2025-01-10,,,",
                 "I3.1,2024,8500,亿元,level,,final," + SRC + ",2025-03-01,,,",
                 "I3.1,2024,8550,亿元,level,,revised," + SRC + ",2025-09-01,,,")
    result = runner.invoke(app, ["progress", "readings", "import", str(path), "--seed", str(seed_copy)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 reading(s) added")
    after = (seed_copy / "readings.csv").read_text(encoding="utf-8")
    assert after.startswith(before) and after.count("\n") == before.count("\n") + 4
    again = runner.invoke(app, ["progress", "readings", "import", str(path), "--seed", str(seed_copy)])
    assert again.exit_code == 0 and again.stdout.startswith("0 reading(s) added")  # the same file twice: no copies

    from kg.ingest.seed import load_plan

    graph = load_plan(seed_copy)
    history = [n.props for n in graph.of_kind("Reading") if n.props["indicator"] == "I3.1"]
    assert sorted((p["period"], p["value"], p["status"], p["counts"]) for p in history) == [
        ("2022", 8000, "final", True), ("2024", 8400, "preliminary", False), ("2024", 8500, "final", False),
        ("2024", 8550, "revised", True)]
    status = next(s for s in assess(graph, readings_from_graph(graph), load_rules()).indicators if s.code == "I3.1")
    # 8550亿元 is 0.855万亿元; from 0.8 in 2022 towards 1 in 2025: CAGR = (0.855/0.8)^(1/2) - 1 = 3.38%,
    # CAGR_req = (1/0.8)^(1/3) - 1 = 7.72%, R = 0.438 -> limited_progress
    assert status.value == pytest.approx(0.855) and status.unit == "万亿元"
    assert status.verdict.label == "limited_progress" and status.verdict.ratio == pytest.approx(0.438, abs=1e-3)


def test_import_reads_xlsx_and_open_sdg_tidy_csv(seed_copy: Path, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["规模以上工业营业收入", "2025-06", 4800, "亿元", "ytd", "", "preliminary", SRC, "2025-07-20"])
    book.save(tmp_path / "r.xlsx")
    assert runner.invoke(app, ["progress", "readings", "import", str(tmp_path / "r.xlsx"), "--seed",
                               str(seed_copy)]).exit_code == 0
    tidy = tmp_path / "indicator_I7-3.csv"
    tidy.write_text("Year,Units,GeoCode,Value\n2023,%,,89.0\n2024,%,,90.4\n", encoding="utf-8")
    result = runner.invoke(app, ["progress", "readings", "import", str(tidy), "--seed", str(seed_copy)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((seed_copy / "readings.csv").read_text(encoding="utf-8").splitlines()))
    assert {(r["indicator"], r["period"], r["basis"]) for r in rows} >= {("I3.1", "2025-06", "ytd"),
                                                                         ("I7.3", "2023", "level")}


# -- status ---------------------------------------------------------------------------------------------------------

def test_pace_in_the_target_year_and_as_of(plan_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    graph = _structure(plan_graph)
    path = _file(tmp_path, "I3.1,2025-06,4800,亿元,ytd,,preliminary," + SRC + ",2025-07-20,,,",
                 "I3.1,2025-09,6300,亿元,ytd,,preliminary," + SRC + ",2025-10-20,,,")
    readings = read_readings(path, graph)
    june = next(s for s in assess(graph, readings, load_rules(), "2025-06").indicators if s.code == "I3.1")
    # 0.48万亿元 of 1 after 6 months: P = 0.48, tau = 0.5, g = 2 points -> green, watch
    assert (june.verdict.method, june.verdict.light, june.verdict.label) == ("pace", "green", "watch")
    assert june.verdict.gap == pytest.approx(2.0) and june.period == "2025-06"
    assert [r.counts for r in readings] == [False, False]  # assess leaves the caller's readings unchanged
    sept = next(s for s in assess(graph, readings, load_rules()).indicators if s.code == "I3.1")
    # 0.63 after 9 months: tau = 0.75, g = 12 points -> yellow
    assert (sept.verdict.light, sept.period) == ("yellow", "2025-09") and sept.verdict.gap == pytest.approx(12.0)


def test_growth_from_year_on_year_readings_and_rollup(plan_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    graph = _structure(plan_graph)
    path = _file(tmp_path, "I3.2,2023,13,%,yoy_growth,,final," + SRC + ",2024-03-01,,,",
                 "I3.2,2024,11.5,%,yoy_growth,,final," + SRC + ",2025-03-01,,,",
                 "I3.3,2022,30,%,level,,final," + SRC + ",2023-03-01,,,",
                 "I3.3,2024,36.5,%,level,,final," + SRC + ",2025-03-01,,,")
    report = assess(graph, read_readings(path, graph), load_rules())
    by = {s.code: s for s in report.indicators}
    # (1.13 * 1.115)^(1/2) - 1 = 1.122475 - 1 = 12.2475% a year against 12%: met
    assert by["I3.2"].value == pytest.approx(12.2475, abs=1e-3) and by["I3.2"].light == "green"
    assert by["I3.3"].verdict.label == "achieved"
    g3 = next(t for t in report.targets if t.code == "G3")
    # two indicators score 5 (green light, achieved), two have no data: mean 5 over 2 of 4, not achieved (two grey)
    assert (g3.light, g3.label, g3.score, g3.assessed, g3.indicators) == ("green", "on_track", 5.0, 2, 4)
    lights = node_lights(report)
    assert lights["I3.2"]["light"] == "green" and lights["G3"]["light"] == "green" and lights["I3.1"]["light"] == "grey"


def test_seed_figures_are_in_the_graph_with_their_sources(plan_graph) -> None:  # type: ignore[no-untyped-def]
    readings = plan_graph.of_kind("Reading")
    assert readings and all(r.provenance.kind == "official" and "http" in (r.provenance.source or "")
                            and r.provenance.quote for r in readings)
    with (Path(__file__).resolve().parent.parent / "seed" / "readings.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:  # the figure is in the sentence quoted from its source
        assert row["value"].rstrip("0").rstrip(".") in row["quote"], row
    assessed = {e.target for e in plan_graph.edges if e.kind == "ASSESSES"}
    assert {n.id for n in plan_graph.of_kind("Indicator")} | {n.id for n in plan_graph.of_kind("Target")} | {"PLAN"} \
        == assessed


def test_indicator_status_golden_agrees_with_assess(plan_graph) -> None:  # type: ignore[no-untyped-def]
    golden = json.loads((Path(__file__).resolve().parent / "golden" / "indicator_status.json").read_text("utf-8"))
    report = assess(plan_graph, readings_from_graph(plan_graph), load_rules())
    assert [(r["indicator"], r["light"], r["reason"]) for r in golden] == \
        [(s.code, s.light, s.verdict.reason) for s in report.indicators]
    red = json.loads((Path(__file__).resolve().parent / "golden" / "red_indicators_by_department.json")
                     .read_text("utf-8"))
    served = {e.target for e in plan_graph.edges if e.kind == "CONTRIBUTES_TO"
              and any(d.source == "D-commerce" and d.target == e.source for d in plan_graph.edges
                      if d.kind in ("LEADS", "SUPPORTS"))}
    assert {r["indicator"] for r in red} == {s.code for s in report.indicators if s.light == "red" and s.code in served}


def test_annotate_sets_light_attributes(plan_graph) -> None:  # type: ignore[no-untyped-def]
    from kg.output import to_networkx

    G = to_networkx(plan_graph)
    annotate(G, assess(plan_graph, readings_from_graph(plan_graph), load_rules()))
    assert G.nodes["I6.2"]["light"] == "red" and "points short" in G.nodes["I6.2"]["light_reason"]
    assert G.nodes["G6"]["light"] in ("green", "yellow", "red")


# -- the CLI --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("progress") / "plan.lbug"
    assert runner.invoke(app, ["build", "--db", str(db)]).exit_code == 0
    return db


def test_status_formats_and_target(built: Path) -> None:
    table = runner.invoke(app, ["progress", "status", "--db", str(built)])
    assert table.exit_code == 0 and "Indicator status as of 2024-12" in table.stdout and "Targets and the plan" in \
        table.stdout
    data = json.loads(runner.invoke(app, ["progress", "status", "--db", str(built), "-f", "json"]).stdout)
    assert len(data["indicators"]) == 20 and data["plan"]["code"] == "PLAN"
    assert {i["light"] for i in data["indicators"]} <= {"green", "yellow", "red", "grey"}
    rows = list(csv.DictReader(runner.invoke(app, ["progress", "status", "--db", str(built), "--target", "开放",
                                                   "-f", "csv"]).stdout.splitlines()))
    assert [r["code"] for r in rows] == ["I6.1", "I6.2", "I6.3", "G6"]
    early = json.loads(runner.invoke(app, ["progress", "status", "--db", str(built), "--as-of", "2022", "-f",
                                           "json"]).stdout)
    assert early["as_of"] == "2022-12" and all(i["light"] == "grey" for i in early["indicators"])


def test_status_refuses_a_bad_period(built: Path) -> None:
    result = runner.invoke(app, ["progress", "status", "--db", str(built), "--as-of", "June"])
    assert result.exit_code == 2 and result.stderr.startswith("Error: --as-of 'June' is not a period")


def test_owners_and_impact_show_lights(built: Path) -> None:
    owners = runner.invoke(app, ["owners", "I6.2", "--db", str(built)])
    assert owners.exit_code == 0 and "(light: red 滞后)" in owners.stdout
    rows = list(csv.DictReader(runner.invoke(app, ["impact", "4", "--db", str(built), "-f", "csv"]).stdout
                               .splitlines()))
    assert {r["id"]: r["light"] for r in rows if r["kind"] == "Indicator"}["I6.2"] == "red"
    assert all(r["light"] == "" for r in rows if r["kind"] in ("Task", "Department"))


def test_viz_trend_writes_images_and_a_self_contained_page(built: Path, tmp_path: Path) -> None:
    png, page = tmp_path / "t.png", tmp_path / "t.html"
    assert runner.invoke(app, ["viz", "trend", "I6.1", "--db", str(built), "-o", str(png)]).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    result = runner.invoke(app, ["viz", "trend", "实际利用外资", "--db", str(built), "-o", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and "default-src 'none'" in text and "<script" not in text and "http-equiv" in text
    assert "<title>I6.1 实际利用外资" in text
    missing = runner.invoke(app, ["viz", "trend", "--db", str(built), "-o", str(png)])
    assert missing.exit_code == 2 and "needs an indicator" in missing.stderr


def test_trend_title_is_escaped(plan_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from kg.render.trend import write_trend

    graph = _structure(plan_graph)  # a new node: the session's graph is not changed
    graph.nodes["I6.1"] = replace(graph.nodes["I6.1"], name="<img src=x onerror=alert(1)>")
    write_trend(graph, "I6.1", tmp_path / "t.html")
    text = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_open_sdg_export_reads_back(built: Path, tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    import yaml

    result = runner.invoke(app, ["progress", "export", "--format", "open-sdg", str(tmp_path / "sdg"), "--db",
                                 str(built)])
    assert result.exit_code == 0, result.output
    meta = yaml.safe_load((tmp_path / "sdg" / "meta" / "I1-1.md").read_text(encoding="utf-8").split("---")[1])
    assert meta["reporting_status"] == "complete" and meta["indicator_name"] == "地区生产总值增速"
    assert "reporting_status: notstarted" in (tmp_path / "sdg" / "meta" / "I3-1.md").read_text(encoding="utf-8")
    back = read_readings(tmp_path / "sdg" / "data" / "indicator_I1-1.csv", _structure(plan_graph))
    seeded = [n.props for n in plan_graph.of_kind("Reading") if n.props["indicator"] == "I1.1"]
    assert sorted((r.period.text, r.geo, r.value, r.status) for r in back) == \
        sorted((p["period"], p["geo"], p["value"], p["status"]) for p in seeded)
    bad = runner.invoke(app, ["progress", "export", "--format", "sdmx", str(tmp_path / "x"), "--db", str(built)])
    assert bad.exit_code == 2 and "valid: open-sdg" in bad.stderr


def test_view_tooltips_carry_the_light(plan_graph) -> None:  # type: ignore[no-untyped-def]
    from kg.output import to_networkx
    from kg.progress.status import annotate_from_graph
    from kg.render.views import tooltip

    G = annotate_from_graph(to_networkx(plan_graph))
    assert "进度 (status): red — limited_progress: 4.50% a year" in tooltip(G.nodes["I6.2"])
    assert "进度 (status)" not in tooltip(G.nodes["T15"])
