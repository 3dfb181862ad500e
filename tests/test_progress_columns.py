"""Readings at scale: the column-wise check agrees with the row-by-row one (the reference) on generated files, good
and bad; readings held deferred count, load and read back as the nodes they stand for, without being made."""

from __future__ import annotations

import copy
import csv
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import ValidationError
from kg.ingest.read import read_tables
from kg.model import PlanGraph
from kg.progress.columns import readings_by_column
from kg.progress.readings import COLUMNS, rows_from_tables, validate

SRC = "沈阳市统计局 月度数据 https://example.org/monthly"
# cells as people type them: right, wrong, blank, padded, in another spelling
POOLS = {
    "indicator": ["I1.1", "I2.1", "I6.1", " I1.1 ", "i1.1", "I99", "", "地区生产总值增速"],
    "period": ["2023", "2024-06", "2024-Q2", "2025-H1", "2024-13", "2019", "2031", "", "2024/06"],
    "value": ["4", "6.5", "1,234.5", "-3.2", "1e3", "", "abc", "nan", "inf"],
    "unit": ["%", "亿元", "万亿元", "亿美元", "index", "kg", ""],
    "basis": ["", "level", "ytd", "yoy_growth", "avg_growth", "bogus"],
    "geo": ["", "沈阳", "沈阳市", "全国", "CN-LN"],
    "status": ["", "final", "preliminary", "revised", "draft"],
    "source": [SRC, SRC, "", "=HYPERLINK(1)"],
    "published": ["", "2024-07-20", "2024/07/20", "2099-07-20", "2024-02-30", "2023-03-01", "２０２４－０７－２０",
                  "٢٠٢٤-٠٧-٢٠", "２０２３－０３－０１"],
    "quote": ["", "同比增长4%", "+4"],
    "light": ["", "", "green", "blue"],
    "note": ["", "", "说明", "@x"],
}


@pytest.fixture(scope="module")
def structure() -> PlanGraph:
    """The plan without its seed readings: the generated ones are checked against it."""
    from kg.ingest.seed import load_plan

    g = load_plan()
    keep = {k: n for k, n in g.nodes.items() if n.kind not in ("Reading", "Assessment")}
    return PlanGraph(g.plan_id, keep, [e for e in g.edges if e.source in keep and e.target in keep])


def _both(path: Path, graph: PlanGraph) -> tuple[object, object]:
    """(column-wise result or None, row-by-row readings or the ValidationError it raised)."""
    tables = read_tables(path)
    filled = [t for t in tables if t.rows]
    fast = readings_by_column(path, filled[0], graph) if filled else None
    try:
        rows, wheres = rows_from_tables(path, tables)
        slow: object = validate(rows, wheres, graph)
    except ValidationError as e:
        slow = e
    return fast, slow


@st.composite
def files(draw: st.DrawFn, good: bool) -> tuple[list[str], list[list[str]]]:
    """A header (columns shuffled, optional ones left out, now and then one repeated or unknown) and its rows."""
    required = ["indicator", "period", "value", "unit", "basis", "status", "source"]
    optional = [c for c in COLUMNS if c not in required]
    header = required + draw(st.lists(st.sampled_from(optional), unique=True))
    header = draw(st.permutations(header))
    if not good and draw(st.booleans()):
        header = [*header, draw(st.sampled_from(["extra", header[0], "Year"]))]
    n = draw(st.integers(1, 30))
    rows = []
    for _ in range(n):
        # values every check accepts (growth in % of growth indicators, this plan's years) ...
        row = {"indicator": draw(st.sampled_from(["I1.1", "I2.1", " I1.1 "])),
               "period": draw(st.sampled_from(["2023", "2024", "2024-06", "2025-Q1"])),
               "value": draw(st.sampled_from(["4", "6.5", "-1.5", "1,234.5"])), "unit": "%",
               "basis": draw(st.sampled_from(["yoy_growth", "ytd", ""])) or "yoy_growth",
               "geo": draw(st.sampled_from(["", "沈阳", "全国"])),
               "status": draw(st.sampled_from(["preliminary", "revised", "final"])), "source": SRC,
               "published": draw(st.sampled_from(["", "2024-07-20", "２０２４－０７－２０"])), "quote": "", "light": "",
               "note": ""}
        if not good:  # ... and in a bad file, now and then one cell or every cell from the pools
            if draw(st.integers(0, 3)) == 0:
                column = draw(st.sampled_from(sorted(POOLS)))
                row[column] = draw(st.sampled_from(POOLS[column]))
            elif draw(st.integers(0, 9)) == 0:
                row = {c: draw(st.sampled_from(pool)) for c, pool in POOLS.items()}
        cells = [row.get(c, "") for c in header]
        if not good and draw(st.integers(0, 9)) == 0:
            cells = draw(st.sampled_from([cells[:-1], [*cells, "spare"], [""] * len(cells)]))
        rows.append(cells)
    return header, rows


def _write(folder: Path, header: list[str], rows: list[list[str]]) -> Path:
    path = folder / "readings.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), good=st.booleans())
def test_column_wise_check_agrees_with_the_row_by_row_one(structure: PlanGraph, data: st.DataObject,
                                                          good: bool) -> None:
    """Whatever the file, the column-wise check either gives exactly the readings the row-by-row one gives (same
    values, defaults, aliases, order, file:line, revision numbers) or steps aside; it never accepts a file the
    reference refuses."""
    header, rows = data.draw(files(good))
    with tempfile.TemporaryDirectory() as folder:
        fast, slow = _both(_write(Path(folder), header, rows), structure)
    if fast is not None:
        assert not isinstance(slow, ValidationError), slow
        assert fast == slow
    if good and len(set(header)) == len(header):
        assert fast is not None or isinstance(slow, ValidationError)  # the common case takes the fast path


def test_column_wise_check_takes_the_common_file(structure: PlanGraph, tmp_path: Path) -> None:
    """A month's file in our columns takes the column-wise path, and a second final reading of one period, which
    only the row reader names with both lines, sends it back there."""
    rows = [["I1.1", f"2024-{m:02d}", "4.5", "%", "yoy_growth", "", "final", SRC, "2025-01-15", "", "", ""]
            for m in range(1, 13)]
    fast, slow = _both(_write(tmp_path, list(COLUMNS), rows), structure)
    assert fast is not None and fast == slow and len(fast) == 12
    assert fast[3].where.endswith("readings.csv:5") and fast[0].geo == "沈阳市"
    fast, slow = _both(_write(tmp_path, list(COLUMNS), [*rows, rows[0]]), structure)
    assert fast is None and isinstance(slow, ValidationError) and "second final" in str(slow)


# -- deferred readings ----------------------------------------------------------------------------------------------

def _with_readings(structure: PlanGraph, n: int = 200) -> PlanGraph:
    from kg.progress.graph import add_readings
    from kg.progress.readings import Reading, parse_period

    rng = random.Random(7)
    graph = PlanGraph(structure.plan_id, dict(structure.nodes), list(structure.edges))
    readings = []
    for i in range(n):
        period = parse_period(f"{rng.choice([2023, 2024, 2025])}-{rng.randint(1, 12):02d}")
        assert period is not None
        value = None if i % 17 == 0 else rng.uniform(-5, 20)
        readings.append(Reading(rng.choice(["I1.1", "I2.1", "I6.1"]), period, value, "%", "yoy_growth",
                                rng.choice(["沈阳市", "全国"]), rng.choice(["final", "preliminary", "revised"]),
                                SRC, rng.choice(["", "2024-07-20"]), rng.choice(["", "原文"]),
                                None if value is not None else "green", rng.choice([None, "说明"]), f"x.csv:{i}", i))
    add_readings(graph, readings)
    return graph


def test_deferred_readings_count_and_load_as_the_nodes_they_stand_for(structure: PlanGraph) -> None:
    """Counts, sizes and the stores' columns of a graph holding readings deferred equal those of the same graph
    with the readings made; asking for them leaves the graph deferred, asking for the nodes makes them."""
    from kg.model import EDGE_KINDS, NODE_KINDS
    from kg.stores.base import edge_table, edges_by_kind, node_table, nodes_by_kind

    deferred = _with_readings(structure)
    made = copy.deepcopy(deferred)
    made.make_deferred()
    assert deferred.deferred and not made.deferred
    assert deferred.counts() == made.counts() and deferred.size() == (len(made.nodes), len(made.edges))
    nodes_of, edges_of = nodes_by_kind([deferred]), edges_by_kind([deferred])
    for kind in NODE_KINDS:
        assert node_table([deferred], kind, by_kind=nodes_of) == node_table([made], kind), kind
    for kind, (pairs, _) in EDGE_KINDS.items():
        for pair in pairs if len(pairs) > 1 else [None]:
            assert edge_table([deferred], kind, pair=pair, by_kind=edges_of) == edge_table([made], kind, pair=pair)
    assert deferred.deferred  # the columns were given without making a node
    assert deferred.of_kind("Indicator") and deferred.deferred  # other kinds do not make them either
    assert len(deferred.of_kind("Reading")) == 200 and not deferred.deferred
    assert deferred.to_json() == made.to_json()


def test_ladybug_loads_deferred_readings_without_making_them(structure: PlanGraph, tmp_path: Path) -> None:
    """A Ladybug build takes the readings as columns (the graph stays deferred) and reads back exactly the graph
    with the readings made, each READING_OF edge with its reading's provenance."""
    from kg.stores.base import StoreSettings, open_store

    deferred = _with_readings(structure)
    made = copy.deepcopy(deferred)
    made.make_deferred()
    store = open_store(StoreSettings(path=tmp_path / "plan.lbug"))
    try:
        store.build(deferred)
        assert deferred.deferred
        back = store.read_graph()
    finally:
        store.close()
    assert back.to_json() == made.to_json()


@pytest.mark.parametrize("form", ["gb18030", "utf-8-sig crlf", "quoted newline", "padded cells"])
def test_column_wise_check_on_files_as_offices_save_them(structure: PlanGraph, tmp_path: Path, form: str) -> None:
    """GB18030 from a Chinese Excel, a BOM and CRLF, a note running over two lines, cells padded with spaces: the
    column-wise check reads the same readings as the row-by-row one, lines counted where each record starts."""
    rows = [["I1.1", f"2024-{m:02d}", "4.5", "%", "yoy_growth", "沈阳", "final", SRC, "2024-08-01", "", "",
             "第一行\n第二行" if form == "quoted newline" and m == 2 else ""] for m in range(1, 7)]
    if form == "padded cells":
        rows = [[f" {c} " if c else c for c in row] for row in rows]
    path = tmp_path / "readings.csv"
    encoding = {"gb18030": "gb18030", "utf-8-sig crlf": "utf-8-sig"}.get(form, "utf-8")
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n" if "crlf" in form else "\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    fast, slow = _both(path, structure)
    assert fast is not None and fast == slow and len(fast) == 6
    assert [r.where.rsplit(":", 1)[1] for r in fast] == (["2", "3", "5", "6", "7", "8"] if form == "quoted newline"
                                                         else ["2", "3", "4", "5", "6", "7"])
    assert all(r.geo == "沈阳市" and r.source == SRC for r in fast)


def test_a_reading_node_says_what_its_reading_says(structure: PlanGraph) -> None:
    """Each Reading node, made from the Arrow tables the readings are loaded from (kg.progress.graph.reading_tables),
    holds its reading's fields, and its provenance is the publication the reading names; written out here reading
    by reading, apart from the code that joins them in Arrow."""
    graph = _with_readings(structure)
    readings = list(graph.deferred[0].readings)  # type: ignore[attr-defined]
    graph.make_deferred()
    nodes = {n.id: n for n in graph.of_kind("Reading")}
    edges = {e.source: e for e in graph.edges if e.kind == "READING_OF"}
    assert len(nodes) == len(edges) == len(readings)
    for r in readings:
        node = nodes[f"R:{r.indicator}:{r.geo}:{r.period.text}:{r.basis}:{r.seq}"]
        assert node.name == f"{r.indicator} {r.geo} {r.period.text}"
        assert node.props == {"indicator": r.indicator, "period": r.period.text, "period_end": r.period.end,
                              "value": r.value, "unit": r.unit, "basis": r.basis, "geo": r.geo, "status": r.status,
                              "published": r.published or None, "counts": r.counts, "light": r.light,
                              "note": r.note}
        p = node.provenance
        quote = r.quote or (f"{r.value:g}{r.unit}" if r.value is not None else r.note or "")
        assert (p.kind, p.quote, p.source, p.document, p.date) == ("official", quote, r.source, r.source,
                                                                   r.published or None)
        assert (p.start, p.end, p.rationale, node.name_en, node.text) == (None, None, None, None, None)
        assert edges[node.id].target == r.indicator and edges[node.id].provenance == p


def test_ladybug_loads_several_plans_readings_at_once_as_row_by_row(structure: PlanGraph, tmp_path: Path) -> None:
    """Several plans' readings go into Ladybug as one table made at once by their batches; a corpus where one
    plan's readings are made already is loaded column by column instead. Both store the same rows, each reading
    and its edge under its own plan."""
    from kg.stores.base import StoreSettings, open_store

    def stored(path: Path, graphs: list[PlanGraph]) -> list[list[dict[str, object]]]:
        store = open_store(StoreSettings(path=path))
        try:
            store.build_all(graphs)
            return [store.read("MATCH (r:Reading) RETURN r.uid AS uid, r.plan AS plan, r.id AS id, r.quote AS q, "
                               "r.value AS value, r.counts AS counts ORDER BY r.uid"),
                    store.read("MATCH (r:Reading)-[e:READING_OF]->(i:Indicator) RETURN r.uid AS ruid, i.uid AS i, "
                               "i.plan AS plan, e.provenance AS p ORDER BY r.uid")]
        finally:
            store.close()

    first = _with_readings(structure, 120)
    second = _with_readings(structure, 80)
    second.plan_id = "pytest-second-plan"
    together = stored(tmp_path / "held.lbug", [first, second])
    assert first.deferred and second.deferred  # loaded from the batches, not made
    assert len(together[0]) == len(together[1]) == 200
    assert {(row["plan"], row["uid"].split(":", 1)[0]) for row in together[0]} == {  # type: ignore[union-attr]
        (first.plan_id, first.plan_id), (second.plan_id, second.plan_id)}
    assert all(row["ruid"].split(":", 1)[0] == row["plan"] and row["p"] == "official"  # type: ignore[union-attr]
               for row in together[1])
    second.make_deferred()
    assert stored(tmp_path / "mixed.lbug", [first, second]) == together
