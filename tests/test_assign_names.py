"""Unit lists the way officials write them, and the registry that resolves them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import ValidationError
from kg.ingest.names import fold, split_units
from kg.ingest.registry import Registry
from tests.conftest import SEED


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(SEED)


@pytest.mark.parametrize(("cell", "written"), [
    ("市工业和信息化局、商务局、财政局等有关部门", ["市工业和信息化局", "商务局", "财政局"]),
    ("市财政局等有关部门,各区、县(市)政府及开发区管委会", ["市财政局", "各区、县(市)政府及开发区管委会"]),
    ("市数据局(市营商局)、发展改革委等按职责分工负责", ["市数据局(市营商局)", "发展改革委"]),
    ("省(中)直有关单位按职责分工负责", ["省(中)直有关单位"]),
    ("各区、县（市）政府", ["各区、县（市）政府"]),
    ("市发展改革委;市商务局", ["市发展改革委", "市商务局"]),
    ("—", []),
    ("", []),
    # a cell's lines (a .docx cell's paragraphs, an .xlsx cell's Alt+Enter lines) are separate names
    ("市发展改革委\n市工业和信息化局", ["市发展改革委", "市工业和信息化局"]),
    ("市发展改革委\r\n工业和信息化局\n\n商务局", ["市发展改革委", "工业和信息化局", "商务局"]),
    ("市财政局、\n自然资源局", ["市财政局", "自然资源局"]),
    ("市发展改革委\n等有关部门", ["市发展改革委"]),  # a trailer on a line of its own is no name
    ("市商务局\n牵头", ["市商务局"]),
    ("市数据局\n(市营商局)", ["市数据局(市营商局)"]),  # a bracket on the next line belongs to the name
    ("市 商务局", ["市商务局"]),  # a space is no break
])
def test_split_units(cell: str, written: list[str]) -> None:
    assert [u.written for u in split_units(cell)] == written


@pytest.mark.parametrize(("cell", "expected"), [
    ("市工业和信息化局、商务局、财政局", ["D-miit", "D-commerce", "D-finance"]),
    ("市委组织部、宣传部", ["D-organization", "D-publicity"]),
    ("市委组织部、人力资源社会保障局", ["D-organization", "D-hrss"]),
    ("市科技局、铁西区", ["D-science", "D-tiexi"]),
    ("各区、县(市)政府", ["D-districts"]),
    ("各区、县（市）人民政府", ["D-districts"]),
    ("市直有关部门", ["D-city-departments"]),
    ("市数据局(市营商局)", ["D-data"]),
    ("省发展改革委、省数据局(省营商局)等牵头", ["D-ln-drc", "D-ln-data"]),
    ("辽宁银保监局", ["D-ln-nfra"]),  # a former name, renamed in 2023
    ("区农业农村局、市场监管局", [None, None]),  # district bodies: never the city's
    ("市发展改革委、区农业农村局、市场监管局", ["D-drc", None, None]),
])
def test_resolve(registry: Registry, cell: str, expected: list[str | None]) -> None:
    found = [registry.resolve(u) for u in split_units(cell)]
    assert [r.body.id if r.body else None for r in found] == expected


def test_a_former_name_says_when(registry: Registry) -> None:
    found = registry.resolve(split_units("辽宁银保监局")[0])
    assert found.how == "former name (renamed 2023)" and found.confidence < 1


def test_collectives_know_their_members(registry: Registry) -> None:
    members = registry.expand("D-districts")
    assert len(members) == 14 and {"D-tiexi", "D-heping", "D-faku", "D-xinmin"} <= set(members)
    assert registry.bodies["D-districts"].kind == "collective"


def test_every_registry_row_says_where_it_comes_from(registry: Registry) -> None:
    for body in registry.bodies.values():
        row = body.row
        if body.in_seed:
            continue
        if row["provenance"] == "official":
            assert row["quote"] and row["document"] and row["date"], body.id
        else:
            assert row["provenance"] == "curated" and row["rationale"], body.id


def test_a_former_name_needs_its_year(tmp_path: Path) -> None:
    import shutil

    seed = tmp_path / "seed"
    shutil.copytree(SEED, seed)
    path = seed / "registry" / "liaoning.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("辽宁银保监局@2023", "辽宁银保监局"), encoding="utf-8")
    with pytest.raises(ValidationError, match="needs the year of the change"):
        Registry.load(seed)


NAMES = ["市发展改革委", "市商务局", "市数据局(市营商局)", "各区、县(市)政府", "市直有关部门", "铁西区", "市委组织部",
         "省(中)直有关单位"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True),
       st.sampled_from(["、", ",", ";", "，", "\n", "\r\n", "、\n"]),
       st.sampled_from(["", "等", "等有关部门", "等按职责分工负责", "\n等有关部门"]))
def test_whole_names_survive_any_list(names: list[str], separator: str, trailer: str) -> None:
    """A list of full names, any separator, any trailer: the same names back, brackets and collectives whole."""
    units = split_units(separator.join(names) + trailer)
    assert [fold(u.written) for u in units] == [fold(n) for n in names]


def test_a_provincial_document_resolves_against_the_provinces_registry(tmp_path: Path, registry: Registry) -> None:
    """Items numbered 一、二、… with the split inline, as the province publishes them; made-up items, real names."""
    from kg.ingest.assign import read_assignments

    text = "\n".join([
        "2026年省重点工作分工方案(示例)",
        "一、推动重点项目加快建设。〔省发展改革委、省财政厅等牵头,省(中)直有关单位按职责分工负责〕",
        "二、提升政务数据共享水平。(省数据局(省营商局)牵头,省委金融办、人民银行辽宁省分行等按职责分工负责)",
        "十二、做好金融风险防范。(辽宁银保监局、省委金融办等按职责分工负责)",
        "二十一、支持沈抚示范区建设。(省沈抚示范区管委会牵头,各市人民政府按职责分工负责)",
    ])
    path = tmp_path / "province.txt"
    path.write_text(text, encoding="gb18030")
    doc = read_assignments(path)
    assert doc.form == "F2/F3 inline" and [i.number for i in doc.items] == [1, 2, 12, 21]

    def ids(cell: str) -> list[str | None]:
        return [(r.body.id if r.body else None) for r in (registry.resolve(u) for u in split_units(cell))]

    assert [ids(i.lead) for i in doc.items] == [["D-ln-drc", "D-ln-finance"], ["D-ln-data"], [], ["D-ln-shenfu"]]
    assert [ids(i.responsible) for i in doc.items] == [["D-ln-direct-units"], ["D-ln-party-finance", "D-ln-pboc"],
                                                      ["D-ln-nfra", "D-ln-party-finance"], ["D-ln-cities"]]
