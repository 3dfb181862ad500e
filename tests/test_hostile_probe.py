"""Found by hostile probes of the commands: two imports at once, formula cells in columns not checked before,
full-width periods, a device as the input file, a package that unpacks to gigabytes. Each case in real processes
where it is about races or memory."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from kg.cli import app
from tests.conftest import SEED, SOURCE

KG = str(Path(sys.executable).parent / "kg")
COLUMNS = ["indicator", "period", "value", "unit", "basis", "geo", "status", "source", "published", "quote", "light",
           "note"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("KG_DB", "KG_STORE", "KG_DEBUG", "KG_LANG")}


def _monthly() -> list[dict[str, str]]:
    from bench.run import monthly_readings, structure_only
    from kg.ingest.seed import load_plan

    rows, _ = monthly_readings(structure_only(load_plan(SEED)))
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_two_readings_imports_at_once_keep_both(seed_copy: Path, tmp_path: Path) -> None:
    """Each import reads the kept readings, checks its file against them and appends: at once, without a lock, one
    could overwrite the other's rows (seen in 1 of 5 runs). Now the second waits; three rounds of two."""
    rows = _monthly()
    for round_ in range(3):
        part = rows[round_ * 240:(round_ + 1) * 240]
        a = _write(tmp_path / f"a{round_}.csv", part[:120])
        b = _write(tmp_path / f"b{round_}.csv", part[120:])
        procs = [subprocess.Popen([KG, "progress", "readings", "import", "--seed", str(seed_copy), str(f)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
                 for f in (a, b)]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0 and "120 reading(s) added" in out, err
    with (seed_copy / "readings.csv").open(encoding="utf-8-sig", newline="") as f:
        kept = {(r["indicator"], r["period"]) for r in csv.DictReader(f)}
    assert {(r["indicator"], r["period"]) for r in rows[:720]} <= kept


def test_two_ledger_imports_at_once_take_different_versions(tmp_path: Path) -> None:
    """Two returned sheets for the same departments and month imported at once: each becomes its own version
    (without a lock both took the same number and one replaced the other)."""
    db = tmp_path / "plan.lbug"
    built = subprocess.run([KG, "build", "--seed", str(SEED), "--db", str(db)], capture_output=True, text=True,
                           env=_env(), timeout=300)
    assert built.returncode == 0, built.stderr
    text = (SEED / "examples" / "ledger-2025-06.csv").read_text(encoding="utf-8-sig")
    sheets = []
    for name in ("甲", "乙"):
        lines = text.splitlines()
        header = lines[0].split(",")
        at = header.index("下步计划")
        rows = list(csv.reader(lines))
        for row in rows[1:]:
            row[at] = f"{name}的下步计划"
        path = tmp_path / f"sheet-{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
        sheets.append(path)
    ledger = tmp_path / "ledger"
    for _ in range(2):
        procs = [subprocess.Popen([KG, "progress", "ledger", "import", "--ledger", str(ledger), "--db", str(db),
                                   str(sheet)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=_env()) for sheet in sheets]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
    files = sorted(p.name for p in ledger.rglob("*.csv"))
    departments = {name.split(".v")[0] for name in files}
    assert files == sorted(f"{d}.v{n}.csv" for d in departments for n in (1, 2, 3, 4))


def test_a_formula_in_geo_is_refused_by_both_checks(seed_copy: Path, tmp_path: Path) -> None:
    """geo was written into readings.csv unchecked; the column-wise and the row-by-row check refuse it alike."""
    rows = _monthly()[:3]
    rows[1] = {**rows[1], "geo": "=HYPERLINK(\"http://example.invalid\")"}
    clean = _write(tmp_path / "clean.csv", rows)  # well formed: the column-wise check sees it first
    ragged = tmp_path / "ragged.csv"  # a blank row: read row by row
    ragged.write_text(clean.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = (seed_copy / "readings.csv").read_bytes()
    for path in (clean, ragged):
        result = subprocess.run([KG, "progress", "readings", "import", "--seed", str(seed_copy), str(path)],
                                capture_output=True, text=True, env=_env(), timeout=300)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"{path}:3" in result.stderr and "geo starts with '='" in result.stderr, result.stderr
    assert (seed_copy / "readings.csv").read_bytes() == before


def test_the_open_sdg_export_quotes_every_formula_start(tmp_path: Path) -> None:
    from kg.ingest.seed import load_plan
    from kg.progress.opensdg import export_open_sdg
    from kg.progress.readings import Reading, parse_period

    graph = load_plan(SEED)
    period = parse_period("2024")
    assert period is not None
    readings = [Reading("I1.1", period, 5.0, "%", "yoy_growth", geo, "final", "example: made up", "2025-01-20")
                for geo in ("-cmd|' /C calc'!A0", "-2+3", "\tx", "沈阳市")]
    export_open_sdg(graph, readings, tmp_path)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "data").glob("*.csv")))
    cells = [cell for row in csv.reader(text.splitlines()) for cell in row]
    assert "'-cmd|' /C calc'!A0" in cells and "'-2+3" in cells and "'\tx" in cells  # 沈阳市: the headline, ''
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t") and c != "-"]


def test_full_width_periods_are_the_same_period(seed_copy: Path, tmp_path: Path) -> None:
    """２０２４ typed in a Chinese input method is 2024: a second final for it is refused, and it is kept in ASCII."""
    from kg.progress.readings import parse_period

    period = parse_period("２０２４－Ｑ２")
    assert period is not None and period.text == "2024-Q2" and period.end == "2024-06"
    assert parse_period("٢٠٢٤") is None  # other digits are not a period
    base = {"indicator": "I3.4", "value": "31", "unit": "%", "basis": "level", "status": "final",
            "source": "example: made up for a test", "published": "2025-02-01"}
    first = _write(tmp_path / "first.csv", [{**base, "period": "２０２４"}])
    result = subprocess.run([KG, "progress", "readings", "import", "--seed", str(seed_copy), str(first)],
                            capture_output=True, text=True, env=_env(), timeout=300)
    if result.returncode == 0:  # the seed has no final for I3.4 in 2024: the second one must be refused
        second = _write(tmp_path / "second.csv", [{**base, "period": "2024", "value": "35"}])
        again = subprocess.run([KG, "progress", "readings", "import", "--seed", str(seed_copy), str(second)],
                               capture_output=True, text=True, env=_env(), timeout=300)
        assert again.returncode == 2 and "final" in again.stderr, again.stderr
        kept = (seed_copy / "readings.csv").read_text(encoding="utf-8-sig")
        assert "２" not in kept and "I3.4,2024,31" in kept
    else:  # already a final for it in the seed: refused as a second final, not taken as another period
        assert result.returncode == 2 and "final" in result.stderr, result.stderr


def test_report_refuses_a_full_width_month(tmp_path: Path) -> None:
    db = tmp_path / "plan.lbug"
    built = subprocess.run([KG, "build", "--seed", str(SEED), "--db", str(db)], capture_output=True, text=True,
                           env=_env(), timeout=300)
    assert built.returncode == 0, built.stderr
    result = subprocess.run([KG, "report", "--period", "２０２５-０６", "-o", str(tmp_path / "b.docx"), "--seed",
                             str(SEED), "--db", str(db), "--ledger", str(tmp_path / "ledger")], capture_output=True,
                            text=True, env=_env(), cwd=tmp_path, timeout=300)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "is not valid (valid: YYYY-MM" in result.stderr and not (tmp_path / "b.docx").exists()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_the_readings_file_is_refused_without_reading_it_all(seed_copy: Path, device: str) -> None:
    result = subprocess.run(["bash", "-c", f"ulimit -v 4000000; exec {KG} progress readings import --seed "
                             f"{seed_copy} {device}"], capture_output=True, text=True, env=_env(), timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{device}: more than" in result.stderr and "too large" in result.stderr, result.stderr


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_a_package_that_unpacks_past_the_limit_is_refused_before_it_is_read(tmp_path: Path, suffix: str) -> None:
    """A 1.5 MB .docx unpacking to 900 MB took 4 GB and a minute; now the sizes its zip declares are checked first."""
    import zipfile

    from kg.ingest.read import MAX_UNPACKED

    bomb = tmp_path / f"bomb{suffix}"
    part = "word/document.xml" if suffix == ".docx" else "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z, z.open(part, "w", force_zip64=True) as f:
        chunk = b"<w:t>" + b" " * (1 << 20)
        for _ in range(MAX_UNPACKED // len(chunk) + 2):
            f.write(chunk)
    assert bomb.stat().st_size < MAX_UNPACKED // 100
    command = ["parse", str(bomb)] if suffix == ".docx" else ["assign", "import", str(bomb), "-o",
                                                               str(tmp_path / "review.csv")]
    result = subprocess.run(["bash", "-c", 'ulimit -v 3000000; exec "$@"', "kg", KG, *command], capture_output=True,
                            text=True, env=_env(), timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"{bomb}: unpacks to" in result.stderr and "too large" in result.stderr, result.stderr


def test_a_small_real_docx_still_reads(tmp_path: Path) -> None:
    import docx

    from kg.ingest.read import read_document

    document = docx.Document()
    document.add_paragraph("一、总体要求")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    assert "总体要求" in read_document(path).text


def _used(cypher: str) -> set[str]:
    """The $NAMEs a query uses, as `kg cypher` reads them from the guard's tokens."""
    from kg.guard import check_read_only

    return {t.text[1:].strip("`") for t in check_read_only(cypher) if t.kind == "param"}


@pytest.mark.parametrize(("cypher", "given", "message"), [
    ("RETURN $x AS x", set(), r"uses \$x but no -p x VALUE"),
    ("RETURN $n AS n", {"nn"}, r"uses \$n but no -p n VALUE"),
    ("RETURN $n AS n", {"n", "nn"}, r"-p nn: the query has no \$nn \(its parameters: \$n\)"),
    ("RETURN 1 AS one", {"y"}, r"-p y: the query has no \$y \(its parameters: none\)"),
    ("MATCH (t:Task {uid: $task_uid}) RETURN t.id", set(), r"uses \$task_uid but no -p task_uid VALUE"),
    ("MATCH (t:Task {plan: $plan}) RETURN t.id", {"task"}, r"-p task: the query has no \$task "),
])
def test_cypher_parameters_missing_or_unused_are_refused(cypher: str, given: set[str], message: str) -> None:
    """`kg cypher` ran with a $x nobody gave (null: no rows) or a mistyped -p (ignored: wrong rows), exit 0."""
    from kg.cli.query import check_params
    from kg.errors import UsageError

    with pytest.raises(UsageError, match=message):
        check_params(cypher, _used(cypher), given)


def test_cypher_parameters_filled_in_are_not_missing() -> None:
    """What the stores fill in (kg.stores.base.derived_params) is not missing: $plan, and $NAME_uid from -p NAME,
    which uses that -p."""
    from kg.cli.query import check_params

    cypher = "MATCH (t:Task {uid: $task_uid, plan: $plan}) WHERE t.number < $n RETURN t.id"
    assert _used(cypher) == {"plan", "task_uid", "n"}
    check_params(cypher, _used(cypher), {"task", "n"})
    check_params("RETURN 1 AS one", set(), set())


def test_numbers_are_read_as_published_and_nothing_else() -> None:
    """float() took 1,5 (commas dropped) as 15 and 1_000 as 1000; a ledger's 进度 5_0 as 50."""
    from hypothesis import given
    from hypothesis import strategies as st

    from kg.progress.readings import parse_number

    assert [parse_number(t) for t in ("1,234.5", "-3.2", "１２", ".5", "1e3")] == [1234.5, -3.2, 12.0, 0.5, 1000.0]
    assert [parse_number(t) for t in ("1,5", "1_000", "12,34", "nan", "inf", "1e309", "e5", "", "-")] == [None] * 9

    @given(st.text(alphabet="0123456789.,eE+-_ \u3000１", max_size=12))
    def never_raises(text: str) -> None:
        value = parse_number(text)
        if value is not None:
            assert "_" not in text and value == value

    @given(st.floats(allow_nan=False, allow_infinity=False))
    def plain_floats_read_back(x: float) -> None:
        assert parse_number(repr(x)) == x

    never_raises()
    plain_floats_read_back()


def test_a_misgrouped_number_is_refused_at_its_line(seed_copy: Path, tmp_path: Path) -> None:
    rows = _monthly()[:4]
    rows[2] = {**rows[2], "value": "1,5"}
    path = _write(tmp_path / "comma.csv", rows)
    result = subprocess.run([KG, "progress", "readings", "import", "--seed", str(seed_copy), str(path)],
                            capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode == 2 and f"{path}:4" in result.stderr and "'1,5' is not a number" in result.stderr


# -- third probe: nothing dropped unread, nothing empty, no date far off, no pipe that never ends ---------------------
runner = CliRunner()
LEDGER_EXAMPLE = SEED / "examples" / "ledger-2025-06.csv"


@pytest.fixture(scope="module")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("probe") / "plan.lbug"
    result = runner.invoke(app, ["build", "--seed", str(SEED), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def _import_readings(seed: Path, path: Path) -> Result:
    return runner.invoke(app, ["progress", "readings", "import", "--seed", str(seed), str(path)])


def _import_ledger(db: Path, ledger: Path, path: Path) -> Result:
    return runner.invoke(app, ["progress", "ledger", "import", "--db", str(db), "--ledger", str(ledger), str(path)])


def _refused(result: Result, *messages: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output, result.output
    for message in messages:
        assert message in result.stderr, result.stderr


def _lines_with(path: Path, text: str, change: Callable[[list[list[str]]], None]) -> Path:
    rows = list(csv.reader(io.StringIO(text)))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


READINGS_TEXT = ("indicator,period,value,unit,basis,geo,status,source,published\n"
                 "I3.4,2024,31,%,level,,final,example: made up for a test,2025-02-01\n"
                 "I3.4,2024-H1,30,%,level,,final,example: made up for a test,2024-08-01\n")
VALID_READINGS = "valid columns: indicator, period, value, unit, basis, geo, status, source, published, quote"


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: [r.append(c) for r, c in zip(rows, ["remark", "", "checked"], strict=True)],
     ":1: unknown column 'remark' (" + VALID_READINGS),
    (lambda rows: [r.append(c) for r, c in zip(rows, ["value", "", "35"], strict=True)],
     ":1: column 'value' appears 2 times (columns 3, 10; valid: each column once)"),
    (lambda rows: rows[2].append("35"), ":3: '35' in column 10, which has no header, would be lost"),
    (lambda rows: [r.append(c) for r, c in zip(rows, ["", "", "35"], strict=True)],
     ":3: '35' in column 10, which has no header, would be lost"),
], ids=["unknown", "twice", "past the header", "under an empty header"])
def test_a_column_readings_would_drop_is_refused(seed_copy: Path, tmp_path: Path,
                                                  change: Callable[[list[list[str]]], None], message: str) -> None:
    """An unknown column, a second column of one name (the first was read, the second dropped) and a value past
    the header were dropped without a word; now each is one error naming the line, and nothing is written."""
    before = (seed_copy / "readings.csv").read_bytes()
    path = _lines_with(tmp_path / "readings-new.csv", READINGS_TEXT, change)
    _refused(_import_readings(seed_copy, path), f"{path}{message}")
    assert (seed_copy / "readings.csv").read_bytes() == before
    unchanged = _lines_with(tmp_path / "readings-ok.csv", READINGS_TEXT, lambda rows: None)
    assert _import_readings(seed_copy, unchanged).exit_code == 0  # the same file as it was is taken


def test_an_unknown_column_in_the_seed_readings_fails_the_build(seed_copy: Path, tmp_path: Path) -> None:
    target = seed_copy / "readings.csv"
    _lines_with(target, target.read_text(encoding="utf-8-sig"), lambda rows: [r.append("x") for r in rows])
    result = runner.invoke(app, ["build", "--seed", str(seed_copy), "--db", str(tmp_path / "plan.lbug")])
    _refused(result, "readings.csv:1: unknown column 'x' (" + VALID_READINGS)


def test_open_sdg_rows_of_a_disaggregation_are_refused_and_headline_rows_read(seed_copy: Path,
                                                                              tmp_path: Path) -> None:
    """Open SDG files carry disaggregations (Sex, Age, any name): a row for women is not the city's figure, and was
    read as it. Rows with every disaggregation empty are the headline and are read."""
    path = tmp_path / "indicator_I3-4.csv"
    path.write_text("Year,Sex,Age,Units,GeoCode,Value\n2024,,,%,,31\n2024,female,,%,,29\n2024,,15-24,%,,12\n",
                    encoding="utf-8")
    _refused(_import_readings(seed_copy, path),
             f"{path}:3: Sex is 'female': only headline rows are read, not disaggregations (valid: Sex, Age empty)",
             f"{path}:4: Age is '15-24': only headline rows are read")
    path.write_text("Year,Sex,Age,Units,GeoCode,Value\n2024,,,%,,31\n", encoding="utf-8")
    result = _import_readings(seed_copy, path)
    assert result.exit_code == 0 and "1 reading(s) added" in result.stdout, result.output
    twice = tmp_path / "indicator_I3-5.csv"
    twice.write_text("Year,Units,GeoCode,Value,Value\n2024,%,,31,32\n", encoding="utf-8")
    _refused(_import_readings(seed_copy, twice), f"{twice}:1: column 'Value' appears 2 times")


VALID_LEDGER = "valid columns: 报告期, 任务编号, 任务名称"


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: [r.append("备注" if i == 0 else "已上报") for i, r in enumerate(rows)],
     ":1: unknown column '备注' (" + VALID_LEDGER),
    (lambda rows: [r.append(r[11]) for r in rows], ":1: column '状态' appears 2 times (columns 12, 19"),
    (lambda rows: rows[3].append("补充说明"), ":4: '补充说明' in column 19, which has no header, would be lost"),
], ids=["unknown", "twice", "past the header"])
def test_a_column_the_ledger_would_drop_is_refused(built_db: Path, tmp_path: Path,
                                                   change: Callable[[list[list[str]]], None], message: str) -> None:
    path = _lines_with(tmp_path / "returned.csv", LEDGER_EXAMPLE.read_text(encoding="utf-8-sig"), change)
    ledger = tmp_path / "ledger"
    _refused(_import_ledger(built_db, ledger, path), f"{path}{message}", "nothing imported")
    assert not ledger.exists()


def test_an_empty_readings_file_is_refused_like_an_empty_ledger(seed_copy: Path, built_db: Path,
                                                                tmp_path: Path) -> None:
    """A readings file with only its header (or nothing) imported nothing and said so with exit 0; an empty ledger
    was an error. Now both are, in the same words."""
    before = (seed_copy / "readings.csv").read_bytes()
    header_only = tmp_path / "header-only.csv"
    header_only.write_text(READINGS_TEXT.splitlines()[0] + "\n\n", encoding="utf-8")
    _refused(_import_readings(seed_copy, header_only), f"{header_only}:1: only a header, no rows: nothing to import")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    _refused(_import_readings(seed_copy, empty), f"{empty}:1: missing column(s) indicator, period, value")
    assert (seed_copy / "readings.csv").read_bytes() == before
    ledger = tmp_path / "ledger"
    _refused(_import_ledger(built_db, ledger, empty), f"{empty}:1: missing column(s) 报告期")
    ledger_header = tmp_path / "ledger-header.csv"
    ledger_header.write_text(LEDGER_EXAMPLE.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")
    _refused(_import_ledger(built_db, ledger, ledger_header),
             f"{ledger_header}:1: only a header, no rows: nothing to import")
    assert not ledger.exists()


def test_a_seed_readings_file_with_only_its_header_builds_without_readings(seed_copy: Path, tmp_path: Path) -> None:
    """A seed with no readings yet: readings.csv with its header and no rows builds, like a seed without the file;
    an import then appends under that header. The file emptied to nothing is refused."""
    target = seed_copy / "readings.csv"
    target.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    db = tmp_path / "plan.lbug"
    result = runner.invoke(app, ["build", "--seed", str(seed_copy), "--db", str(db)])
    assert result.exit_code == 0, result.output
    status = runner.invoke(app, ["progress", "status", "--db", str(db), "--format", "json"])
    assert status.exit_code == 0 and "no_data" in status.stdout and '"green"' not in status.stdout, status.output
    new = _lines_with(tmp_path / "new.csv", READINGS_TEXT, lambda rows: None)
    added = _import_readings(seed_copy, new)
    assert added.exit_code == 0 and "2 reading(s) added" in added.stdout, added.output
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("I3.4,2024,31,%")
    assert runner.invoke(app, ["build", "--seed", str(seed_copy), "--db", str(db)]).exit_code == 0
    target.write_bytes(b"")
    result = runner.invoke(app, ["build", "--seed", str(seed_copy), "--db", str(db)])
    _refused(result, "readings.csv:1: missing column(s) indicator, period")


def test_an_import_appends_under_the_seeds_own_header(seed_copy: Path, tmp_path: Path) -> None:
    """The import wrote its rows in its own column order under whatever header the seed's readings.csv had: under a
    header of fewer or reordered columns the values landed in the wrong columns. Now the file is rewritten under the
    full header when its own differs, every kept value in its column."""
    target = seed_copy / "readings.csv"
    order = ["source", "indicator", "period", "value", "unit", "basis", "status", "published"]
    target.write_text(",".join(order) + "\nexample: made up for a test,I3.4,2023,30,%,level,final,2024-02-01\n",
                      encoding="utf-8")
    new = _lines_with(tmp_path / "new.csv", READINGS_TEXT, lambda rows: None)
    added = _import_readings(seed_copy, new)
    assert added.exit_code == 0 and "2 reading(s) added" in added.stdout, added.output
    with target.open(encoding="utf-8-sig", newline="") as f:
        kept = [(r["indicator"], r["period"], r["value"], r["source"], r.get("geo")) for r in csv.DictReader(f)]
    assert kept == [("I3.4", "2023", "30", "example: made up for a test", ""),
                    ("I3.4", "2024", "31", "example: made up for a test", "沈阳市"),
                    ("I3.4", "2024-H1", "30", "example: made up for a test", "沈阳市")]
    result = runner.invoke(app, ["build", "--seed", str(seed_copy), "--db", str(tmp_path / "plan.lbug")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("change", "message"), [
    ({"填报日期": "2099-06-21"}, ":2: 填报日期 2099-06-21 lies far outside the plan (valid: 2022-01-01 to 2026-12-31, "
                                "the plan's years and one either side)"),
    ({"状态": "已完成", "进度(%)": "100", "完成日期": "1925-06-10"},
     ":2: 完成日期 1925-06-10 lies far outside the plan"),
], ids=["填报日期 2099", "完成日期 1925"])
def test_a_ledger_date_far_outside_the_plan_is_refused(built_db: Path, tmp_path: Path, change: dict[str, str],
                                                       message: str) -> None:
    """2099 as 填报日期 (a typo for 2025) was kept, and would have counted as a late report for ever."""
    def edit(rows: list[list[str]]) -> None:
        for column, value in change.items():
            rows[1][rows[0].index(column)] = value

    path = _lines_with(tmp_path / "returned.csv", LEDGER_EXAMPLE.read_text(encoding="utf-8-sig"), edit)
    ledger = tmp_path / "ledger"
    _refused(_import_ledger(built_db, ledger, path), f"{path}{message}", "nothing imported")
    assert not ledger.exists()
    late = _lines_with(tmp_path / "late.csv", LEDGER_EXAMPLE.read_text(encoding="utf-8-sig"),
                       lambda rows: rows[1].__setitem__(rows[0].index("填报日期"), "2026-01-05"))
    assert _import_ledger(built_db, ledger, late).exit_code == 0  # filed after the plan's last month: in the margin


def test_a_ledger_date_after_today_is_refused(built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 填报日期 or 完成日期 after today (inside the plan's years, so the check above lets it through) is a typo: a
    sheet is not filled in, nor a milestone reached, tomorrow. Today is fixed here at the example's latest date."""
    import kg.progress.ledger as ledger_module

    text = LEDGER_EXAMPLE.read_text(encoding="utf-8-sig")
    latest = max(date.fromisoformat(r[c]) for r in csv.DictReader(io.StringIO(text)) for c in ("填报日期", "完成日期")
                 if r.get(c))
    after = date.fromordinal(latest.toordinal() + 1)

    class Day(date):
        @classmethod
        def today(cls) -> Day:
            return cls(latest.year, latest.month, latest.day)

    monkeypatch.setattr(ledger_module, "date", Day)
    path = _lines_with(tmp_path / "returned.csv", text,
                       lambda rows: rows[1].__setitem__(rows[0].index("填报日期"), after.isoformat()))
    ledger = tmp_path / "ledger"
    _refused(_import_ledger(built_db, ledger, path), f"{path}:2: 填报日期 {after} is after today, {latest} "
             f"(valid: the day it happened, up to {latest})", "nothing imported")
    assert not ledger.exists()
    assert _import_ledger(built_db, ledger, LEDGER_EXAMPLE).exit_code == 0  # every date up to today: kept


@pytest.mark.parametrize("layout", ["clean", "with a blank row"])
def test_a_reading_published_after_today_is_refused(seed_copy: Path, tmp_path: Path, layout: str) -> None:
    """A published date of 2099 (a typo) was kept, and as the latest publication it decided which reading counts.
    Both checks refuse it: the column-wise one (a clean file) and the row-by-row one."""
    today = date.today()
    tomorrow = date.fromordinal(today.toordinal() + 1).isoformat()
    text = READINGS_TEXT.replace("2025-02-01", tomorrow) + ("\n" if layout != "clean" else "")
    before = (seed_copy / "readings.csv").read_bytes()
    path = tmp_path / "readings-new.csv"
    path.write_text(text, encoding="utf-8")
    _refused(_import_readings(seed_copy, path), f"{path}:2: published {tomorrow} is after today, {today} (valid: the "
             f"day it was published, up to {today})")
    assert (seed_copy / "readings.csv").read_bytes() == before
    path.write_text(READINGS_TEXT.replace("2025-02-01", today.isoformat()), encoding="utf-8")
    assert _import_readings(seed_copy, path).exit_code == 0  # published today: fine


@pytest.mark.parametrize("layout", ["clean", "with a blank row"])
def test_a_reading_published_before_its_period_began_is_refused(seed_copy: Path, tmp_path: Path, layout: str) -> None:
    """A figure for 2024-H1 published in 2023 is a typo in one of the two (nothing is known of a period before it
    begins); both checks refuse it, naming the first day of the period, and the day it begins is fine."""
    before = (seed_copy / "readings.csv").read_bytes()
    path = tmp_path / "readings-new.csv"
    path.write_text(READINGS_TEXT.replace("2024-08-01", "2023-12-31") + ("\n" if layout != "clean" else ""),
                    encoding="utf-8")
    _refused(_import_readings(seed_copy, path), f"{path}:3: published 2023-12-31 is before the period 2024-H1 begins "
             "(2024-01-01; valid: a date on or after it)")
    assert (seed_copy / "readings.csv").read_bytes() == before
    path.write_text(READINGS_TEXT.replace("2024-08-01", "2024-01-01"), encoding="utf-8")
    assert _import_readings(seed_copy, path).exit_code == 0


@pytest.mark.parametrize("layout", ["clean", "with a blank row"])
def test_a_full_width_published_date_is_kept_in_ascii(seed_copy: Path, tmp_path: Path, layout: str) -> None:
    """２０２５－０２－０１ typed in a Chinese input method was refused as not a date while the period beside it was
    read: both checks (column-wise for a clean file, row by row) read it as periods are read, and keep 2025-02-01.
    Other digits are still not a date, and a full-width date still meets the checks an ASCII one meets."""
    path = tmp_path / "readings-new.csv"
    extra = "\n" if layout != "clean" else ""
    before = (seed_copy / "readings.csv").read_bytes()
    for typed, message in [("٢٠٢٥-٠٢-٠١", "published '٢٠٢٥-٠٢-٠١' is not a date (valid: 2024-01-23)"),
                           ("２０２３－１２－３１", "published 2023-12-31 is before the period 2024 begins"),
                           ("２０９９－０１－０１", "published 2099-01-01 is after today")]:
        path.write_text(READINGS_TEXT.replace("2025-02-01", typed) + extra, encoding="utf-8")
        _refused(_import_readings(seed_copy, path), f"{path}:2: {message}")
        assert (seed_copy / "readings.csv").read_bytes() == before
    path.write_text(READINGS_TEXT.replace("2025-02-01", "２０２５－０２－０１").replace("2024-08-01", "２０２４-08-01")
                    + extra, encoding="utf-8")
    result = _import_readings(seed_copy, path)
    assert result.exit_code == 0, result.output
    kept = (seed_copy / "readings.csv").read_text(encoding="utf-8-sig")
    assert "I3.4,2024,31,%,level,沈阳市,final,example: made up for a test,2025-02-01" in kept, kept
    assert ",2024-08-01" in kept and "２" not in kept and "－" not in kept


def test_full_width_ledger_dates_are_read_and_other_digits_refused(built_db: Path, tmp_path: Path) -> None:
    """A 填报日期 of ２０２５－０６－２５ (full-width hyphens as well) was refused, while ２０２５-０６-２５ and
    ٢٠٢٥-٠٦-٢٥ (Arabic-Indic) were read as dates: now full-width forms are read and other digits refused."""
    from kg.progress.ledger import load

    text = LEDGER_EXAMPLE.read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    day = next(csv.DictReader(io.StringIO(text)))["填报日期"]
    wide = day.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    arabic = day.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    ledger = tmp_path / "ledger"
    bad = _lines_with(tmp_path / "arabic.csv", text, lambda rows: rows[1].__setitem__(header.index("填报日期"), arabic))
    _refused(_import_ledger(built_db, ledger, bad), f"{bad}:2: 填报日期 '{arabic}' is not a date (valid: YYYY-MM-DD)")
    assert not ledger.exists()
    good = _lines_with(tmp_path / "wide.csv", text, lambda rows: rows[1].__setitem__(header.index("填报日期"), wide))
    result = _import_ledger(built_db, ledger, good)
    assert result.exit_code == 0, result.output
    rows = load(ledger, "shenyang-2023-2025", "2025-06")
    assert date.fromisoformat(day) in {r.reported_on for r in rows}


def test_a_named_pipe_nobody_writes_to_is_given_up(seed_copy: Path, tmp_path: Path) -> None:
    """A FIFO as the readings file, with no writer, hung the import for ever in open(); now it waits PIPE_WAIT
    seconds for something to arrive, then says so, and nothing is written."""
    from kg.ingest.read import PIPE_WAIT

    fifo = tmp_path / "readings.csv"
    os.mkfifo(fifo)
    before = (seed_copy / "readings.csv").read_bytes()
    start = time.monotonic()
    result = subprocess.run([KG, "progress", "readings", "import", "--seed", str(seed_copy), str(fifo)],
                            capture_output=True, text=True, env=_env(), timeout=PIPE_WAIT + 50)
    assert PIPE_WAIT <= time.monotonic() - start < PIPE_WAIT + 50
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"{fifo}: nothing arrived on the pipe in {PIPE_WAIT:g} s" in result.stderr, result.stderr
    assert (seed_copy / "readings.csv").read_bytes() == before


def test_pipes_with_a_writer_are_read(seed_copy: Path, tmp_path: Path) -> None:
    """A named pipe whose writer comes a little later, and a process substitution, are read to their end."""
    fifo = tmp_path / "readings.csv"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["bash", "-c", 'sleep 1; printf "%s" "$1" > "$2"', "writer", READINGS_TEXT, str(fifo)])
    result = subprocess.run([KG, "progress", "readings", "import", "--seed", str(seed_copy), str(fifo)],
                            capture_output=True, text=True, env=_env(), timeout=120)
    writer.wait(timeout=60)
    assert result.returncode == 0 and "2 reading(s) added" in result.stdout, result.stderr
    piped = subprocess.run(["bash", "-c", 'exec "$1" parse <(cat "$2")', "kg", KG, str(SOURCE)],
                           capture_output=True, text=True, env=_env(), timeout=120)
    direct = subprocess.run([KG, "parse", str(SOURCE)], capture_output=True, text=True, env=_env(), timeout=120)
    assert piped.returncode == 0 and direct.returncode == 0, piped.stderr
    assert piped.stderr == direct.stderr and "placed" in piped.stderr  # the same summary: the whole text was read
    assert piped.stdout.split('"title"', 1)[1] == direct.stdout.split('"title"', 1)[1]  # all but the source name


def test_a_pipe_read_on_a_descriptor_above_1023(tmp_path: Path) -> None:
    """A process holding over a thousand files open still reads a pipe: select.select refused a descriptor above
    1023 (a ValueError, a traceback); the wait uses poll."""
    fifo = tmp_path / "plan.txt"
    os.mkfifo(fifo)
    script = ("import os, resource, sys\n"
              "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
              "resource.setrlimit(resource.RLIMIT_NOFILE, (min(2048, hard), hard))\n"
              "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]\n"
              "from kg.ingest.read import read_bytes\n"
              "print(len(read_bytes(__import__('pathlib').Path(sys.argv[1]))))\n")
    writer = subprocess.Popen(["bash", "-c", 'sleep 1; printf "abc" > "$1"', "writer", str(fifo)])
    result = subprocess.run([sys.executable, "-c", script, str(fifo)], capture_output=True, text=True, env=_env(),
                            timeout=60)
    writer.wait(timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "3", result.stderr


@pytest.mark.parametrize("argv", [
    ["owners", "\udcc9\udcf2\udcd1\udcf4"],  # 沈阳 typed in a terminal set to GBK
    ["cypher", "RETURN $x AS x", "-p", "x", "\udcff\udcfe"],
    ["cypher", "RETURN '\udcff' AS x"],
    ["query", "search", "-p", "text", "\udcc9\udcf2"],
])
def test_text_that_is_not_utf8_on_the_command_line_is_one_clear_error(argv: list[str], tmp_path: Path) -> None:
    """Bytes that are not UTF-8 in a name, a query or a -p value (a terminal set to GBK) reached Ladybug as lone
    surrogates: exit 1 with a C++ cast error. Now one line, exit 2, and GBK bytes read back as what was meant."""
    env = _env()
    db = tmp_path / "plan.lbug"
    assert subprocess.run([KG, "build", "--db", str(db)], capture_output=True, env=env, timeout=300).returncode == 0
    args = [os.fsencode(a) for a in [KG, *argv, "--db", str(db)]]
    result = subprocess.run(args, capture_output=True, env=env, timeout=120)
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "holds bytes that are not UTF-8 text" in err
    if argv[0] == "owners":
        assert "read as GB18030 they say '沈阳'" in err
