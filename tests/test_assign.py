"""Importing an official 分工: every form F1–F5 read item by item, every name resolved or sent to review."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from kg.ingest.review import ImportResult, import_assignments
from tests import assign_docs as docs
from tests.conftest import SEED


def _txt(maker: Callable[[], str], encoding: str = "utf-8") -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / f"fengong-{maker.__name__}-{encoding}.txt"
        path.write_bytes(maker().encode(encoding))
        return path

    return write


FORMS: dict[str, Callable[[Path], Path]] = {
    "F1-labelled": _txt(docs.f1_text),
    "F1-gb18030": _txt(docs.f1_text, "gb18030"),
    "F1-utf8-bom": _txt(docs.f1_text, "utf-8-sig"),
    "F1-docx-paragraphs": lambda d: docs.write_text_docx(d / "fengong-f1.docx", docs.f1_text()),
    "F2-inline": _txt(docs.f2_text),
    "F3-inline-split": _txt(docs.f3_text),
    "F4-xlsx": lambda d: docs.write_xlsx(d / "fengong.xlsx"),
    "F4-csv": lambda d: docs.write_csv(d / "fengong.csv"),
    "F4-docx": lambda d: docs.write_docx(d / "fengong.docx"),
    "F5-flattened": _txt(docs.f5_text),
}


def _by_item(result: ImportResult) -> dict[int, list[dict[str, object]]]:
    out: dict[int, list[dict[str, object]]] = {}
    for row in result.rows:
        out.setdefault(int(str(row["item"])), []).append(row)
    return out


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ImportResult]:
    folder = tmp_path_factory.mktemp("fengong")
    return {form: import_assignments(write(folder), SEED) for form, write in FORMS.items()}


@pytest.mark.parametrize("form", list(FORMS))
def test_every_item_its_task_and_every_unit_right(imported: dict[str, ImportResult], form: str) -> None:
    result = imported[form]
    assert len(result.document.items) == len(docs.ITEMS) >= 15
    assert result.document.title == docs.TITLE
    assert result.document.date == docs.DATE
    rows = _by_item(result)
    inline_no_split = form.startswith("F2")
    for k, spec in enumerate(docs.ITEMS, start=1):
        item_rows = rows[k]
        assert {r["task"] for r in item_rows} == {spec.task or ""}, (form, k)
        leads = [r["resolved"] for r in item_rows if r["role"] == "lead" and r["resolved"]]
        responsible = [r["resolved"] for r in item_rows if r["role"] == "responsible" and r["resolved"]]
        if inline_no_split:  # F2 names no lead: everyone is responsible
            assert leads == [], (form, k)
            assert responsible == list(dict.fromkeys([*spec.leads, *spec.responsibles])), (form, k)
        else:
            assert leads == list(spec.leads), (form, k)
            assert responsible == list(spec.responsibles), (form, k)
        unresolved = [r for r in item_rows if r["role"] != "leader" and not r["resolved"]]
        assert [r["written"] for r in unresolved] == list(spec.unresolved), (form, k)
        for r in unresolved:  # in the review, not accepted, with the nearest candidates
            assert r["accept"] == "no" and r["how"] == "unresolved"
        if form.startswith(("F1", "F4", "F5")):
            assert [r["written"] for r in item_rows if r["role"] == "leader"] == ([spec.leader] if spec.leader else [])
            assert {r["deadline"] for r in item_rows} == {spec.deadline}, (form, k)


def test_the_work_items_keep_their_place(imported: dict[str, ImportResult]) -> None:
    result = imported["F1-labelled"]
    assert result.work_items == 2
    work_rows = [r for r in result.rows if r["task"] == ""]
    assert {r["task_name"] for r in work_rows} == {"(work item)"}
    assert all(str(r["area"]).startswith("A") for r in work_rows)


def test_a_district_body_never_resolves_to_the_citys(imported: dict[str, ImportResult]) -> None:
    row = next(r for r in imported["F1-labelled"].rows if r["written"] == "区农业农村局")
    assert row["resolved"] == ""
    assert "市农业农村局 (D-agriculture" in str(row["nearest"])
    assert "not the 区县 one written" in str(row["nearest"])


def test_numbered_as_the_plan_is_detected(tmp_path: Path) -> None:
    """A document numbering its items with the plan's task numbers is matched by number, even where its wording
    differs from the plan's."""
    lines = [docs.TITLE, docs.DATE]
    for spec in docs.ITEMS[:15]:
        assert spec.task is not None
        lines += [f"{spec.task[1:]}.{spec.text}", f"牵头单位:{spec.lead}"]
    lines += ["15.做好产业链招商和稳链补链工作", "牵头单位:市工业和信息化局"]  # T15 by number, not by text
    path = tmp_path / "numbered.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = import_assignments(path, SEED)
    assert result.numbered_as_plan
    assert result.rows[-1]["task"] == "T15"


def test_a_task_map_overrides_the_matching(tmp_path: Path) -> None:
    from kg.ingest.review import read_task_map

    doc = _txt(docs.f1_text)(tmp_path)
    mapping = tmp_path / "map.csv"
    mapping.write_text("item,task\n1,T1\n16,none\n17,T44\n", encoding="utf-8")
    result = import_assignments(doc, SEED, read_task_map(mapping))
    rows = _by_item(result)
    assert {r["task"] for r in rows[1]} == {"T1"}
    assert {r["task"] for r in rows[17]} == {"T44"}
    assert {r["task"] for r in rows[2]} == {"T3"}  # not in the map: matched by text


def test_review_cells_cannot_become_formulas() -> None:
    from kg.ingest.review import review_csv

    text = review_csv([{"item": 1, "item_text": "=HYPERLINK(\"x\")", "written": "+市商务局", "accept": "yes"}])
    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["item_text"] == "'=HYPERLINK(\"x\")" and row["written"] == "'+市商务局"
