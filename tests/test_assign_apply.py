"""`kg assign import` + `apply` through the CLI: the official 分工 changes who owns what; bad documents write
nothing."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from tests import assign_docs as docs

runner = CliRunner()


def _digest(folder: Path) -> dict[str, str]:  # the writer lock's file (who applies now) is no part of the seed
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(".writer.lock")}


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def imported(tmp_path: Path, seed_copy: Path) -> tuple[Path, Path]:
    doc = tmp_path / "fengong.txt"
    doc.write_text(docs.f1_text(), encoding="utf-8")
    review = tmp_path / "review.csv"
    out = _invoke("assign", "import", str(doc), "-o", str(review), "--seed", str(seed_copy))
    assert "read 17 items (F1 labelled) from fengong.txt: " + docs.TITLE in out
    assert "15 matched by text, 2 kept as work items" in out
    assert "4 name(s) unresolved" in out
    return review, seed_copy


def test_apply_changes_owners_and_gaps(imported: tuple[Path, Path], tmp_path: Path) -> None:
    review, seed = imported
    db = tmp_path / "plan.lbug"
    _invoke("build", "--seed", str(seed), "--db", str(db))
    gaps_before = _csv(_invoke("gaps", "--db", str(db), "-f", "csv"))
    owners_before = _csv(_invoke("owners", "结构调整", "--db", str(db), "-f", "csv"))

    out = _invoke("assign", "apply", str(review), "--seed", str(seed))
    assert "applied 17 official row(s)" in out and "2 work item(s)" in out
    assert "superseded: " in out and "curated lead of T9" in out
    validated = _invoke("validate", "--seed", str(seed))
    assert validated.startswith("ok: ") and "note: " in validated and "superseded by the official document" in validated
    _invoke("build", "--seed", str(seed), "--db", str(db))
    gaps_after = _csv(_invoke("gaps", "--db", str(db), "-f", "csv"))
    owners_after = _csv(_invoke("owners", "结构调整", "--db", str(db), "-f", "csv"))

    several = {(g["gap"], g["id"]) for g in gaps_after} - {(g["gap"], g["id"]) for g in gaps_before}
    assert several == {("several_leads", "T9"), ("several_leads", "T25")}  # the document names two leads for each
    t9 = next(g for g in gaps_after if g["id"] == "T9")
    assert t9["detail"] == "led by 市发展改革委, 市工业和信息化局"
    assert not any(o.get("name") == "浑南区" for o in owners_before)
    assert any(o.get("name") == "浑南区" for o in owners_after)  # T13 names 浑南区 as responsible

    rows = list(csv.DictReader((seed / "assignments.csv").read_text(encoding="utf-8").splitlines()))
    official = [r for r in rows if r["provenance"] == "official"]
    assert len(official) == 17
    t2 = next(r for r in official if r["task"] == "2")
    assert t2["document"] == docs.TITLE and t2["date"] == docs.DATE and t2["deadline"] == "2025年底前"
    assert t2["leader"] == "市政府分管副市长" and t2["source_file"].startswith("fengong.txt:")
    assert t2["quote"].startswith("1.全力以赴扩大有效投资") and "牵头单位:市发展改革委" in t2["quote"]
    assert "各区、县(市)政府及开发区管委会" in t2["supporting"]
    curated_t9 = next(r for r in rows if r["task"] == "9" and r["provenance"] == "curated")
    assert curated_t9["lead"] == "市工业和信息化局"  # kept, reported as superseded
    items = list(csv.DictReader((seed / "workitems.csv").read_text(encoding="utf-8").splitlines()))
    assert [w["id"] for w in items] == ["W1", "W2"]
    assert items[0]["name"].startswith("建立重点任务月调度季通报机制")

    stats = {(r["element"], r["kind"]): int(r["count"]) for r in _csv(_invoke("stats", "--db", str(db), "-f", "csv"))}
    assert stats["node", "WorkItem"] == 2
    assert stats["edge", "INCLUDES"] >= 13  # 各区、县(市)政府 stands for the 13 districts and counties

    before = _digest(seed)
    _invoke("assign", "apply", str(review), "--seed", str(seed))  # the same document again replaces, not adds
    assert _digest(seed) == before


def test_an_accepted_row_needs_a_department(imported: tuple[Path, Path]) -> None:
    review, seed = imported
    rows = _csv(review.read_text(encoding="utf-8-sig"))
    for row in rows:
        if row["written"] == "体育局":
            row["accept"] = "yes"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    review.write_text(buf.getvalue(), encoding="utf-8")
    before = _digest(seed)
    result = runner.invoke(app, ["assign", "apply", str(review), "--seed", str(seed)])
    assert result.exit_code == 2
    assert "accepted, but '' is no department id" in result.stderr
    assert "Traceback" not in result.output
    assert _digest(seed) == before


def test_a_reviewer_can_resolve_a_name(imported: tuple[Path, Path]) -> None:
    """The review loop: fill `resolved` with an id, set accept to yes, apply."""
    review, seed = imported
    rows = _csv(review.read_text(encoding="utf-8-sig"))
    for row in rows:
        if row["written"] == "市政府办公室":
            row["resolved"], row["accept"] = "D-hq", "yes"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    review.write_text(buf.getvalue(), encoding="utf-8")
    _invoke("assign", "apply", str(review), "--seed", str(seed))
    assignments = (seed / "assignments.csv").read_text(encoding="utf-8")
    assert "W1,市委办公室、市全面振兴新突破三年行动指挥部,各成员单位,official" in assignments


def test_a_leader_without_an_accepted_department_is_reported_not_dropped(tmp_path: Path, seed_copy: Path) -> None:
    """An item whose only unit does not resolve (accept no) keeps its 牵头领导 row (accept yes): apply skipped the
    item without a word. It says which item and line was not applied, and why."""
    doc = tmp_path / "leader.txt"
    doc.write_text("\n".join([docs.TITLE, docs.DATE, f"1.{docs.ITEMS[0].text}。", "牵头领导:市政府分管副市长",
                              "牵头单位:市体育局", f"2.{docs.ITEMS[1].text}。", "牵头单位:市商务局"]), encoding="utf-8")
    review = tmp_path / "review.csv"
    _invoke("assign", "import", str(doc), "-o", str(review), "--seed", str(seed_copy))
    rows = _csv(review.read_text(encoding="utf-8-sig"))
    leader_line = 2 + next(k for k, r in enumerate(rows) if r["role"] == "leader")
    assert [(r["role"], r["accept"]) for r in rows if r["item"] == "1"] == [("lead", "no"), ("leader", "yes")]
    out = _invoke("assign", "apply", str(review), "--seed", str(seed_copy))
    assert "applied 1 official row(s)" in out
    assert (f"not applied: {review}:{leader_line}: item 1 names the leader 市政府分管副市长 but no accepted "
            "department (valid: accept a lead or responsible row of item 1, or set its leader row's accept to no)") \
        in out.splitlines()


BAD = {
    "no units": ("plain.txt", "沈阳市某某工作方案\n一、总体要求\n1.做好各项工作。\n".encode(), "no units found"),
    "table without columns": ("table.csv", "编号,名称,备注\n1,甲,乙\n".encode(), "no table with the expected columns"),
    "unreadable workbook": ("broken.xlsx", b"PK\x03\x04 not really a workbook", "not a readable .xlsx workbook"),
    "unreadable docx": ("broken.docx", b"\x00\x01garbage", "not a readable .docx file"),
    "not text": ("binary.txt", b"\xff\xfe\x00\x00\xc3\x28\x81", "not valid"),
    "no title": ("untitled.txt", "1.加快发展数字经济\n牵头单位:市工业和信息化局\n".encode(), "no title found"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_documents_one_error_exit_2_nothing_written(tmp_path: Path, seed_copy: Path, case: str) -> None:
    name, data, message = BAD[case]
    doc = tmp_path / name
    doc.write_bytes(data)
    review = tmp_path / "review.csv"
    before = _digest(seed_copy)
    result = runner.invoke(app, ["assign", "import", str(doc), "-o", str(review), "--seed", str(seed_copy)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not review.exists()
    assert _digest(seed_copy) == before


def test_apply_refuses_a_file_that_is_not_a_review(tmp_path: Path, seed_copy: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("task,lead\n1,市商务局\n", encoding="utf-8")
    before = _digest(seed_copy)
    result = runner.invoke(app, ["assign", "apply", str(other), "--seed", str(seed_copy)])
    assert result.exit_code == 2 and "not a review file" in result.stderr
    assert _digest(seed_copy) == before


@pytest.fixture
def applied_graph(imported: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    from kg.ingest.seed import load_plan

    review, seed = imported
    _invoke("assign", "apply", str(review), "--seed", str(seed))
    return load_plan(seed)


def test_an_applied_graph_reads_back_from_every_store(store, applied_graph) -> None:  # type: ignore[no-untyped-def]
    """Work items, official provenance, collectives: the same graph back from Ladybug and from Neo4j."""
    import json

    def canonical(graph):  # type: ignore[no-untyped-def]
        data = graph.to_json()
        return (sorted(json.dumps(n, sort_keys=True, ensure_ascii=False) for n in data["nodes"]),
                sorted(json.dumps(e, sort_keys=True, ensure_ascii=False) for e in data["edges"]))

    store.build(applied_graph)
    assert store.counts() == applied_graph.counts()
    assert canonical(store.read_graph()) == canonical(applied_graph)
    rows = store.read("MATCH (d:Department)-[r:LEADS]->(w:WorkItem) RETURN d.id AS lead, w.id AS item, "
                      "r.provenance AS provenance, r.document AS document, r.document_date AS date, "
                      "r.deadline AS deadline ORDER BY item")
    assert rows == [{"lead": "D-cpc-office", "item": "W1", "provenance": "official", "document": docs.TITLE,
                     "date": docs.DATE, "deadline": "2023年6月底"},
                    {"lead": "D-drc", "item": "W2", "provenance": "official", "document": docs.TITLE,
                     "date": docs.DATE, "deadline": None}]


def test_official_facts_say_their_document(applied_graph) -> None:  # type: ignore[no-untyped-def]
    from kg.output import to_networkx
    from kg.render.views import tooltip

    G = to_networkx(applied_graph)
    text = tooltip(G.nodes["W1"])
    assert f"文件 (official): {docs.TITLE} {docs.DATE}: " in text and "建立重点任务月调度季通报机制" in text
    lead = next(e for e in applied_graph.edges if e.kind == "LEADS" and e.target == "T2")
    assert lead.provenance.kind == "official" and lead.props["leader"] == "市政府分管副市长"
    assert lead.provenance.source is not None and " from fengong.txt:" in lead.provenance.source
    assert any("curated lead of T9" in n for n in applied_graph.notes)


def test_a_crash_between_files_leaves_a_valid_seed(imported: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    """Fault injection: the write of assignments.csv fails after departments.csv and workitems.csv were replaced;
    the seed still validates, and applying again completes the job."""
    import kg.output
    from kg.ingest.review import apply_review
    from kg.ingest.seed import load_plan

    review, seed = imported
    real = kg.output.write_atomic

    def failing(path: Path, data: str | bytes) -> None:
        if path.name == "assignments.csv":
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(kg.output, "write_atomic", failing)
    with pytest.raises(OSError):
        apply_review(review, seed)
    assert (seed / "workitems.csv").exists()
    assert "official" not in (seed / "assignments.csv").read_text(encoding="utf-8")
    load_plan(seed)  # still valid: the new departments and work items stand on their own
    monkeypatch.setattr(kg.output, "write_atomic", real)
    apply_review(review, seed)
    assert len([e for e in load_plan(seed).edges if e.provenance.kind == "official" and e.kind == "LEADS"]) >= 17
