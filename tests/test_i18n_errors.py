"""Every error message has its Chinese: read from the raise sites in kg/ (tests/message_sites.py), not only the
ones a test happens to trigger; the frames around an engine's own text are translated, the text kept; and the
session's check of the errors the tests met fails a run that met one without Chinese."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import i18n
from kg.cli import app
from tests.message_sites import message_sites
from tests.test_i18n import EXEMPT, english_left

WORD = re.compile(r"\b[a-z]{3,}\b")
FILE_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)+")  # plan.txt, no-such-plan.txt, readings.csv: names, not English
runner = CliRunner()


@pytest.fixture
def zh():  # type: ignore[no-untyped-def]
    i18n.set_language("zh")
    yield
    i18n.set_language(None)


@functools.cache
def kept_words() -> frozenset[str]:
    """English words the translations keep on purpose (file kinds, column and option names, values such as csv)."""
    cat = i18n.catalogue()
    return frozenset(w for msgid, msgstr in getattr(cat, "_catalog", {}).items() if msgid for w in WORD.findall(msgstr))


def untranslated(message: str, strict: bool = False) -> list[str]:
    """English left in the Chinese of `message` (the language set to zh): a run of three English words or more;
    with `strict`, any English word no translation keeps (for samples whose fields are codes: a real message's
    values, such as a department's English name or a function the user typed, are English too). The text of
    {raw} fields (an engine's message, what the user typed) is not looked at."""
    shown = FILE_NAME.sub(" ", i18n.translate(message, raw=False))
    left = english_left(shown)
    return left + [w for w in WORD.findall(EXEMPT.sub(" ", shown)) if w not in kept_words()] if strict else left


def test_the_raise_sites_are_found() -> None:
    sites = message_sites()
    files = {s.file for s in sites}
    assert len(sites) > 200, len(sites)  # a parser that stopped finding sites would pass everything below
    assert {"kg/progress/ledger.py", "kg/ingest/seed.py", "kg/cli/failure.py", "kg/stores/ladybug.py"} <= files
    ledger = [s for s in sites if s.file == "kg/progress/ledger.py"]
    assert any("is neither lead nor supporting unit of" in s.shape for s in ledger)


def test_every_message_shape_raised_in_kg_has_its_chinese(zh: None) -> None:
    missing = [f"{site}  <- {left}" for site in message_sites() if (left := untranslated(site.sample, strict=True))]
    assert not missing, "add templates to kg.po for:\n" + "\n".join(missing)


def test_the_check_would_see_a_message_without_chinese(zh: None) -> None:
    assert untranslated("seed/x.csv:3: the frobnicator is misaligned")
    assert untranslated("seed/x.csv:3: unknown gizmo 'x'", strict=True)  # two words: still English
    assert not untranslated("seed/x.csv:3: unknown department 'x' (closest: 市商务局)", strict=True)


@pytest.mark.parametrize(("message", "chinese"), [
    ("ledger/x.xlsx:台账:7: 任务编号 'T99' is not a task of the plan (valid: T1 to T72)",
     "ledger/x.xlsx:台账:7: 任务编号 'T99' 不是本规划的任务(有效: T1 至 T72)"),
    ("ledger/x.xlsx:台账:4: 市商务局 is neither lead nor supporting unit of T3 (valid: 市发展改革委, 市工业和信息化局)",
     "ledger/x.xlsx:台账:4: 市商务局 既不是 T3 的牵头单位,也不是配合单位(有效: 市发展改革委, 市工业和信息化局)"),
    ("readings.csv:5: basis 'stock' is not valid (valid: cumulative, annual, rate)",
     "readings.csv:5: 口径 'stock' 无效(有效: cumulative, annual, rate)"),
    ("Got unexpected extra argument(s) (a b) (see `kg stats --help`)", "多余的参数(a b)(见 `kg stats --help`)"),
    ("Ladybug: Binder exception: Table Foo does not exist.",
     "Ladybug 报错: Binder exception: Table Foo does not exist."),
    ("x.csv: cannot be read (Permission denied)", "x.csv: 无法读取(权限不够)"),
])
def test_messages_read_in_chinese(zh: None, message: str, chinese: str) -> None:
    assert i18n.translate(message) == chinese


def test_the_engine_text_is_kept_and_only_the_frame_is_checked(zh: None) -> None:
    message = "Ladybug: Binder exception: Variable m is not in scope."
    assert i18n.translate(message).endswith("Binder exception: Variable m is not in scope.")
    assert i18n.translate(message, raw=False) == "Ladybug 报错: …"
    assert untranslated(message) == []


def test_the_best_template_wins_over_a_shorter_one_that_also_matches(zh: None) -> None:
    # `{enc} text` matches any sentence ending in "text"; the template of the whole sentence is the one used
    message = "x.pdf: the PDF has no text layer (a scan); OCR it first or give the text"
    assert i18n.translate(message) == "x.pdf: 该 PDF 没有文字层(是扫描件);请先做 OCR 识别,或直接提供文本"


def test_a_cypher_error_from_the_engine_reads_in_chinese(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    from kg.stores.base import StoreSettings, open_store

    db = tmp_path / "plan.lbug"
    store = open_store(StoreSettings(kind="ladybug", path=db))
    store.build(plan_graph)
    store.close()
    result = runner.invoke(app, ["--lang", "zh", "cypher", "--db", str(db), "MATCH (n:Foo) RETURN n"])
    assert result.exit_code != 0
    assert "错误: Ladybug 报错: " in result.stderr and "Foo" in result.stderr, result.stderr


def test_probe_shows_an_error_without_chinese(zh) -> None:  # type: ignore[no-untyped-def]
    """Run by the test below in a session of its own: with KG_I18N_PROBE it shows an error that has no Chinese;
    without (so also in the ordinary session) one that has."""
    from kg.cli.failure import record

    if os.environ.get("KG_I18N_PROBE"):
        record("seed/x.csv:3: the frobnicator is misaligned")  # what `fail` logs before it prints an error
    else:
        assert i18n.translate("Broken pipe") != "Broken pipe"
        record("Broken pipe")


@pytest.mark.parametrize("probe", ["1", ""])
def test_a_session_that_met_an_error_without_chinese_fails(probe: str) -> None:
    here = "tests/test_i18n_errors.py::test_probe_shows_an_error_without_chinese"
    env = {**os.environ, "KG_I18N_PROBE": probe}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", here], env=env,
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=300)
    if probe:
        assert done.returncode == 1, done.stdout + done.stderr  # the test passed, the session did not
        assert "1 passed" in done.stdout
        assert "1 of 1 error messages shown in the tests have no Chinese" in done.stdout
        assert "  seed/x.csv:3: the frobnicator is misaligned" in done.stdout
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "have no Chinese" not in done.stdout
