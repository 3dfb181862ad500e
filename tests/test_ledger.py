"""The task ledger: milestones, the template (opened in LibreOffice), returned sheets (filled with openpyxl) imported
and turned into lights, every import rule's error, versions, and the 序时进度 rule."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kg.cli import app
from kg.progress.ledger import HEADERS, LedgerRow, load, safe_cell, save, template_rows, write_template
from kg.progress.milestones import current_milestone, load_milestones
from kg.progress.tasks import assess_tasks, load_rules, pace_light
from tests.conftest import SEED, SOURCE
from tests.office import convert

runner = CliRunner()
PLAN = "shenyang-2023-2025"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "plan.lbug"
    result = runner.invoke(app, ["build", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def milestones(plan_graph: Any) -> list[Any]:
    return load_milestones(SEED, plan_graph)


RULES = load_rules()


# -- the 序时进度 rule ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("progress", "elapsed", "light", "gap"), [
    (0.6, 0.5, "green", -10.0), (0.5, 0.5, "green", 0.0), (0.45, 0.5, "green", 5.0), (0.401, 0.5, "green", 9.9),
    (0.5, 0.6, "yellow", 10.0),  # 0.6 − 0.5 is 0.0999… in floating point; still 10 points
    (0.2, 0.5, "yellow", 30.0), (0.19, 0.5, "red", 31.0), (0.0, 1.0, "red", 100.0)])
def test_pace_light_thresholds(progress: float, elapsed: float, light: str, gap: float) -> None:
    assert pace_light(progress, elapsed) == (light, pytest.approx(gap))


@pytest.mark.parametrize(("done", "elapsed", "light"), [
    (0.5, 0.5, "green"), (0.41, 0.5, "green"), (0.5, 0.6, "yellow"),  # g = 0, 9, and 10 (0.6 − 0.5 in floats)
    (0.3, 0.6, "yellow"), (0.29, 0.6, "red"), (0.7, 0.6, "green")])  # g = 30 (0.3 × 100 is 30.000000000000004), 31
def test_pace_is_one_rule_for_tasks_and_indicators(done: float, elapsed: float, light: str) -> None:
    """At exactly each threshold, a task's 序时进度 and an indicator's within-year pace give the same light and gap."""
    from kg.progress import rules as R

    indicator = R.pace(done * 100, 100, elapsed * 12, R.indicator_rules(R.load_rules())["pace"])
    task_light, gap = pace_light(done, elapsed, RULES.watch_below, RULES.red_above)
    assert (task_light, indicator.light) == (light, light)
    assert gap == indicator.gap == round((elapsed - done) * 100, 2)


def test_task_rules_come_from_the_one_loader_of_rules_yaml() -> None:
    from kg.errors import UsageError
    from kg.progress import rules as R

    section = R.load_rules()["tasks"]
    assert load_rules(section) == load_rules() == RULES
    stricter = load_rules({**section, "pace": {"watch_below": 5, "red_above": 20}})
    assert pace_light(0.4, 0.5, stricter.watch_below, stricter.red_above) == ("yellow", 10.0)
    assert pace_light(0.4, 0.5, RULES.watch_below, RULES.red_above) == ("yellow", 10.0)
    assert pace_light(0.47, 0.5, stricter.watch_below, stricter.red_above)[0] == "green"
    assert pace_light(0.44, 0.5, stricter.watch_below, stricter.red_above)[0] == "yellow"
    with pytest.raises(UsageError, match=r"pace\.watch_below"):
        load_rules({**section, "pace": {}})


# -- milestones -----------------------------------------------------------------------------------------------------
def test_every_task_has_milestones_and_seed_quotes_are_verbatim(plan_graph: Any, milestones: list[Any]) -> None:
    text = SOURCE.read_text(encoding="utf-8")
    assert {m.task for m in milestones} == {t.id for t in plan_graph.of_kind("Task")}
    assert len(milestones) == 65 * 3
    for m in milestones:
        assert 2023 <= m.due.year <= 2025
        if m.provenance.kind == "seed":
            assert text[m.provenance.start:m.provenance.end] == m.provenance.quote
        else:
            assert m.provenance.kind == "curated" and m.provenance.rationale


def test_broken_milestones_fail_validate_with_every_line(seed_copy: Path) -> None:
    path = seed_copy / "milestones.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = "99,2023-12-31,x,curated,,why"  # unknown task
    lines[2] = "1,2024-13-31,x,curated,,why"  # not a date
    lines[3] = "1,2026-12-31,x,seed,三年行动方案(2023—2025年),"  # outside the plan
    lines[4] = "2,2023-12-31,x,curated,,"  # no rationale
    lines[5] = "2,2024-12-31,x,seed,不在方案里的话,"  # quote not in the text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--seed", str(seed_copy)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    err = result.stderr
    assert f"{seed_copy}/milestones.csv:2: unknown task '99'" in err
    assert f"{seed_copy}/milestones.csv:3: due '2024-13-31' is not a date (valid: YYYY-MM-DD)" in err
    assert f"{seed_copy}/milestones.csv:4: due 2026-12-31 is outside the plan" in err
    assert f"{seed_copy}/milestones.csv:5: a curated milestone needs a one-line rationale" in err
    assert f"{seed_copy}/milestones.csv:6: quote '不在方案里的话' not found verbatim" in err


def test_a_milestone_due_at_year_end_is_judged_in_january(milestones: list[Any]) -> None:
    t1 = [m for m in milestones if m.task == "T1"]
    assert current_milestone(t1, "2024-12", 28)[0].due == date(2024, 12, 31)
    assert current_milestone(t1, "2025-01", 28)[0].due == date(2024, 12, 31)
    m, start = current_milestone(t1, "2025-02", 28)
    assert (m.due, start) == (date(2025, 12, 31), date(2025, 1, 1))
    assert current_milestone(t1, "2023-06", 28)[1] is None  # the first milestone: from the plan's start


# -- the template ---------------------------------------------------------------------------------------------------
def test_template_opens_in_libreoffice_with_the_expected_rows(db: Path, tmp_path: Path, plan_graph: Any,
                                                              milestones: list[Any]) -> None:
    out = tmp_path / "台账-商务局.xlsx"
    result = runner.invoke(app, ["progress", "template", "--db", str(db), "--department", "商务局",
                                 "--period", "2025-06", "-o", str(out)])
    assert result.exit_code == 0, result.output
    expected = template_rows(plan_graph, milestones, "2025-06", "D-commerce", 28)
    assert len(expected) == 11 and "11 row(s) for 市商务局" in result.stdout
    # 76 = UTF-8: LibreOffice's CSV filter options are separator, quote, charset, first line
    converted = convert(out, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path)
    rows = list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == HEADERS
    body = [r for r in rows[1:] if any(r)]
    assert [r[:9] for r in body] == [[e[k] for k in ("period", "task", "task_name", "area", "leads", "supporting",
                                                      "department", "due", "deliverable")] for e in expected]
    assert all(r[6] == "市商务局" and r[7] == "2025-12-31" and not any(r[9:]) for r in body)


def test_template_workbook_has_checks_protection_and_a_hidden_id(plan_graph: Any, milestones: list[Any]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(write_template(plan_graph, milestones, "2025-06", None, RULES.statuses, 28)))
    sheet = book["台账"]
    assert sheet.max_row == 1 + len(template_rows(plan_graph, milestones, "2025-06", None, 28)) == 160
    assert sheet.freeze_panes == "D2" and sheet.protection.sheet
    assert sheet["B2"].protection.locked and not sheet["K2"].protection.locked
    checks = {dv.type: dv for dv in sheet.data_validations.dataValidation}
    assert checks["list"].formula1 == '"已完成,推进中,滞后,未启动"' and "L2:L160" in str(checks["list"].sqref)
    assert (checks["decimal"].formula1, checks["decimal"].formula2) == ("0", "100")
    assert sheet.column_dimensions["C"].width >= 2 * len("建设具有全国影响力的区域科技创新中心")
    meta = book["_meta"]
    assert meta.sheet_state == "hidden"
    assert {r[0].value: r[1].value for r in meta.iter_rows()}["plan"] == PLAN
    assert book["时间节点"].max_row == 1 + 195


def test_cells_cannot_become_formulas(plan_graph: Any, milestones: list[Any]) -> None:
    import copy

    from openpyxl import load_workbook

    graph = copy.deepcopy(plan_graph)
    graph.nodes["D-commerce"].name = "=HYPERLINK(\"http://x\",\"y\")"
    book = load_workbook(io.BytesIO(write_template(graph, milestones, "2025-06", "D-commerce", RULES.statuses, 28)))
    values = [c.value for row in book["台账"].iter_rows(min_row=2) for c in row if c.value]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert [safe_cell(x) for x in ("+1", "-1", "@a", "\tx", "\rx", "ok")] == ["'+1", "'-1", "'@a", "'\tx", "'\rx",
                                                                              "ok"]


# -- a filled copy comes back ---------------------------------------------------------------------------------------
def _fill(path: Path, answers: dict[str, tuple[Any, ...]]) -> None:
    """Fill rows by task code with (进度, 状态, 完成日期, 存在问题, 填报日期), as a department would in Excel."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book["台账"]
    col = {h: i + 1 for i, h in enumerate(HEADERS)}
    for r in range(2, sheet.max_row + 1):
        task = sheet.cell(r, col["任务编号"]).value
        if task in answers:
            progress, status, done_on, problems, reported_on = answers[task]
            for header, value in (("进度(%)", progress), ("状态", status), ("完成日期", done_on),
                                  ("存在问题", problems), ("下步计划", "下月调度"), ("填报人", "张三"),
                                  ("填报日期", reported_on), ("完成情况", "推进中")):
                sheet.cell(r, col[header]).value = value
    book.save(path)


def _template(db: Path, tmp_path: Path, department: str = "商务局", period: str = "2025-06") -> Path:
    out = tmp_path / f"台账-{department}-{period}.xlsx"
    result = runner.invoke(app, ["progress", "template", "--db", str(db), "--department", department,
                                 "--period", period, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_filled_copy_imports_and_gives_the_expected_lights(db: Path, tmp_path: Path, plan_graph: Any,
                                                             milestones: list[Any]) -> None:
    # 市商务局 leads T3, T4, T10, T35, T37 and supports others; June's window is 2025-01-01..2025-12-31, so by
    # 30 June 181/365 = 49.6% of the time has passed.
    sheet = _template(db, tmp_path)
    _fill(sheet, {"T3": (100, "已完成", date(2025, 6, 10), None, date(2025, 6, 20)),
                  "T4": (45, "推进中", None, None, date(2025, 6, 20)),  # gap 4.6: green, watched
                  "T10": (30, "推进中", None, "外资项目落地慢", date(2025, 6, 20)),  # gap 19.6: yellow
                  "T35": (60, "滞后", None, None, "2025-06-30"),  # on pace, but reported 滞后 (and late): yellow
                  "T37": (10, "推进中", None, "招商项目储备不足", date(2025, 6, 21))})  # gap 39.6: red
    ledger = tmp_path / "ledger"
    result = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(ledger),
                                 str(sheet)])
    assert result.exit_code == 0, result.output
    assert "2025-06 市商务局: 5 row(s), version 1" in result.stdout
    assert "6 row(s) left blank (not reported)" in result.stdout
    rows = load(ledger, PLAN, "2025-06")
    assert {r.task for r in rows} == {"T3", "T4", "T10", "T35", "T37"} and {r.provenance for r in rows} == {"official"}
    status = assess_tasks(plan_graph, milestones, rows, "2025-06", RULES).by_task()
    got = {t: (status[t].light, status[t].label, status[t].watch) for t in ("T3", "T4", "T10", "T35", "T37")}
    assert got == {"T3": ("green", "按期完成", False), "T4": ("green", "关注", True), "T10": ("yellow", "滞后", False),
                   "T35": ("yellow", "自报滞后", False), "T37": ("red", "严重滞后", False)}
    assert status["T37"].gap == pytest.approx(39.6, abs=0.1) and status["T37"].problems == "招商项目储备不足"
    assert status["T1"].light == "grey" and status["T1"].missing == ["市发展改革委"]  # nobody else reported
    assert [(x.department, x.task) for x in assess_tasks(plan_graph, milestones, rows, "2025-06", RULES).late] == \
        [("D-commerce", "T35")]


def test_milestone_rules_done_late_missed_and_due_soon(plan_graph: Any, milestones: list[Any]) -> None:
    def light(period: str, **row: Any) -> tuple[str, str]:
        data = {"progress": 50.0, "status": "推进中", "reported_on": date(2025, 1, 20), **row}
        ledger = [LedgerRow(period, "T3", "D-commerce", **data)]
        t = assess_tasks(plan_graph, milestones, ledger, period, RULES).by_task()["T3"]
        return t.light, t.label

    # January 2025 reports on the milestone due 2024-12-31
    assert light("2025-01", status="已完成", progress=100.0, done_on=date(2024, 12, 30)) == ("green", "按期完成")
    assert light("2025-01", status="已完成", progress=100.0, done_on=date(2025, 1, 8)) == ("yellow", "逾期完成")
    assert light("2025-01", progress=90.0) == ("red", "节点逾期")
    # December 2025: due 31 December, three days after the 28th: due soon, even on pace
    assert light("2025-12", progress=95.0, reported_on=date(2025, 12, 20)) == ("yellow", "临期")
    assert light("2025-11", progress=95.0, reported_on=date(2025, 11, 20)) == ("green", "正常")


# -- every import rule ----------------------------------------------------------------------------------------------
EXAMPLE = SEED / "examples" / "ledger-2025-06.csv"


def _csv_with(tmp_path: Path, change: dict[str, str], row: int = 0, drop: str | None = None) -> Path:
    """The example June ledger with one cell of data row `row` changed (or a column dropped)."""
    reader = csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8")))
    rows = list(reader)
    rows[row].update(change)
    fields = [f for f in reader.fieldnames or [] if f != drop]
    out = tmp_path / "returned.csv"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


@pytest.mark.parametrize(("change", "message"), [
    ({"任务编号": "T99"}, "returned.csv:2: 任务编号 'T99' is not a task of the plan (valid: T1 to T65)"),
    ({"填报单位": "市卫生健康委"}, "returned.csv:2: 市卫生健康委 is neither lead nor supporting unit of T1 (valid: "
                                   "市发展改革委、市商务局、市科技局、市交通运输局)"),
    ({"填报单位": "市无此局"}, "returned.csv:2: 填报单位 '市无此局' is not a known department"),
    ({"进度(%)": "120"}, "returned.csv:2: 进度(%) '120' is not a number from 0 to 100 (valid: 0 to 100)"),
    ({"进度(%)": "过半"}, "returned.csv:2: 进度(%) '过半' is not a number from 0 to 100"),
    ({"状态": "进行中"}, "returned.csv:2: 状态 '进行中' is not valid (valid: 已完成, 推进中, 滞后, 未启动)"),
    ({"报告期": "2026-01"}, "returned.csv:2: period 2026-01 is outside the plan (valid: 2023-01 to 2025-12)"),
    ({"报告期": "2025-13"}, "returned.csv:2: period '2025-13' is not valid (valid: YYYY-MM, e.g. 2025-06)"),
    ({"填报日期": "六月底"}, "returned.csv:2: 填报日期 '六月底' is not a date (valid: YYYY-MM-DD)"),
    ({"状态": "已完成", "进度(%)": "100", "完成日期": ""}, "returned.csv:2: 状态 已完成 needs 完成日期"),
    ({"provenance": "guess"}, "returned.csv:2: provenance 'guess' is not valid (valid: official, example)"),
])
def test_each_import_rule_is_one_error_exit_2_and_nothing_kept(db: Path, tmp_path: Path, change: dict[str, str],
                                                               message: str) -> None:
    path = _csv_with(tmp_path, change)
    ledger = tmp_path / "ledger"
    result = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(ledger), str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and "nothing imported" in result.stderr
    assert f"{path.parent}/{message}" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not ledger.exists()  # nothing kept, not even the valid rows


def test_duplicate_rows_name_both_places(db: Path, tmp_path: Path) -> None:
    path = _csv_with(tmp_path, {"任务编号": "T1", "填报单位": "市发展改革委"}, row=1)
    result = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(tmp_path / "l"),
                                 str(path)])
    assert result.exit_code == 2
    assert f"{path}:3: T1 of 市发展改革委 for 2025-06 is given twice (first at {path}:2)" in result.stderr


def test_missing_column_and_wrong_plan_workbook(db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = _csv_with(tmp_path, {}, drop="状态")
    result = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(tmp_path / "l"),
                                 str(path)])
    assert result.exit_code == 2 and f"{path}:1: missing column(s) 状态" in result.stderr
    sheet = _template(db, tmp_path)
    book = load_workbook(sheet)
    book["_meta"]["B1"] = "another-plan"
    book.save(sheet)
    result = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(tmp_path / "l"),
                                 str(sheet)])
    assert result.exit_code == 2
    assert f"{sheet}:_meta:1: the workbook is for plan 'another-plan' (valid: {PLAN})" in result.stderr
    assert not (tmp_path / "l").exists()


def test_a_returned_sheet_replaces_the_department_and_keeps_earlier_versions(db: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    first = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(ledger),
                                str(EXAMPLE)])
    assert first.exit_code == 0, first.output
    again = _csv_with(tmp_path, {"进度(%)": "12", "存在问题": "=1+1"})  # row 0 is T1 of 市发展改革委
    second = runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(ledger),
                                 str(again)])
    assert second.exit_code == 0, second.output
    assert "2025-06 市发展改革委: " in second.stdout and ", version 2, replaces version 1" in second.stdout
    folder = ledger / PLAN / "2025-06"
    assert (folder / "D-drc.v1.csv").exists() and (folder / "D-drc.v2.csv").exists()
    rows = {(r.task, r.department): r for r in load(ledger, PLAN, "2025-06")}
    assert rows["T1", "D-drc"].progress == 12 and rows["T1", "D-drc"].problems == "=1+1"
    assert "'=1+1" in (folder / "D-drc.v2.csv").read_text(encoding="utf-8-sig")  # kept formula-safe
    returned = csv.DictReader(io.StringIO(again.read_text(encoding="utf-8")))
    assert sum(1 for r in rows.values() if r.department == "D-drc") == \
        sum(1 for r in returned if r["填报单位"] == "市发展改革委")


def test_save_leaves_nothing_when_a_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.output

    rows = [LedgerRow("2025-06", "T1", "D-drc", 50, "推进中", date(2025, 6, 20)),
            LedgerRow("2025-06", "T3", "D-commerce", 50, "推进中", date(2025, 6, 20))]
    real, calls = kg.output.write_atomic, []

    def failing(path: Path, data: Any) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(kg.output, "write_atomic", failing)
    with pytest.raises(OSError):
        save(rows, tmp_path, PLAN)
    assert len(calls) == 2 and not list((tmp_path / PLAN / "2025-06").iterdir())


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "台账.csv"], "台账.csv: the template is a workbook (valid: a name ending in .xlsx)"),
    (["--department", "无此局", "-o", "t.xlsx"], "无此局"),
    (["--department", "市委办公室", "-o", "t.xlsx"], "市委办公室 has no task to report on"),
    (["--period", "2022-12", "-o", "t.xlsx"], "period 2022-12 is outside the plan (valid: 2023-01 to 2025-12)"),
])
def test_template_refuses_bad_options(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                      message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["progress", "template", "--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr and "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_any_reported_text_round_trips_through_the_kept_ledger(tmp_path: Path, text: str) -> None:
    """What a department types comes back unchanged, and the kept file never holds a cell a spreadsheet would run."""
    import shutil

    folder = tmp_path / "ledger"
    shutil.rmtree(folder, ignore_errors=True)
    row = LedgerRow("2025-06", "T1", "D-drc", 12.5, "推进中", date(2025, 6, 20), problems=text, next_steps=text,
                    reporter=text)
    save([row], folder, PLAN)
    (back,) = load(folder, PLAN, "2025-06")
    assert (back.problems, back.next_steps, back.reporter) == (text, text, text)
    kept = (folder / PLAN / "2025-06" / "D-drc.v1.csv").read_text(encoding="utf-8-sig")
    for record in csv.DictReader(io.StringIO(kept, newline="")):
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in record.values())


def test_a_kept_ledger_file_damaged_into_another_encoding_is_one_error(tmp_path: Path) -> None:
    """The import keeps each sheet as UTF-8; a kept file whose bytes are not UTF-8 (saved over in GBK, or damaged)
    is refused naming the file and the byte, not a traceback."""
    from kg.errors import UsageError

    folder = tmp_path / "ledger"
    save([LedgerRow("2025-06", "T1", "D-drc", 12.5, "推进中", date(2025, 6, 20), problems="进展顺利")], folder, PLAN)
    kept = folder / PLAN / "2025-06" / "D-drc.v1.csv"
    kept.write_bytes(kept.read_text(encoding="utf-8-sig").encode("gbk"))
    with pytest.raises(UsageError, match=r"D-drc\.v1\.csv: damaged ledger file \(byte \d+ is not UTF-8\); import "):
        load(folder, PLAN, "2025-06")
