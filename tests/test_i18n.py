"""The Chinese interface: the catalogue is complete, every help text and error reads in Chinese, the language
follows the locale, Chinese words are accepted as option values, and tables fit the terminal without cutting."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from rich.cells import cell_len
from typer.testing import CliRunner

from kg import i18n
from kg.cli import app
from kg.cli.common import command_paths
from kg.cli.translated import help_messages

runner = CliRunner()
PO = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "kg.po"
# An English sentence: three or more lowercase words in a row (codes, options and Cypher keywords are not).
ENGLISH = re.compile(r"\b[a-z]{2,}(?:[ -][a-z]{2,}){2,}\b")
# quoted text, paths, command lines, and an entity's English name in brackets beside its Chinese one
EXEMPT = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\S*/\S*|kg [^\n]*|--[\w-]+|(?<=[\u4e00-\u9fff”]) \([^()]*\)")


def english_left(text: str) -> list[str]:
    return ENGLISH.findall(EXEMPT.sub(" ", text))


@pytest.fixture(autouse=True)
def _neutral_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("KG_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_the_catalogue_translates_every_help_text_and_holds_nothing_stale() -> None:
    with PO.open("rb") as fh:
        catalogue = read_po(fh, locale="zh_CN")
    entries = {m.id: m for m in catalogue if m.id}
    wanted = help_messages()
    missing = [m for m in wanted if m not in entries]
    assert not missing, f"run `python -m kg.cli.catalogue` and translate: {missing[:5]}"
    empty = [m.id for m in entries.values() if not m.string]
    assert not empty, f"untranslated: {empty[:5]}"
    stale = [m.id for m in entries.values() if "help" in m.auto_comments and m.id not in wanted]
    assert not stale, f"no longer used: {stale[:5]}"
    for msgid, entry in entries.items():  # a template's fields survive translation
        assert sorted(re.findall(r"\{\w*\}", msgid)) == sorted(re.findall(r"\{\w*\}", entry.string)), msgid


@pytest.mark.parametrize("path", [*command_paths(), []], ids=lambda p: " ".join(p) or "kg")
def test_every_help_is_chinese_with_lang_zh(path: list[str]) -> None:
    zh = runner.invoke(app, ["--lang", "zh", *path, "--help"])
    en = runner.invoke(app, [*path, "--help"])
    assert zh.exit_code == 0 and en.exit_code == 0
    assert english_left(zh.output) == [], zh.output
    assert "用法" in zh.output and "Usage" not in zh.output
    assert "Usage:" in en.output and "Show this message and exit." in en.output


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANGUAGE": "zh_CN:en", "LANG": "C"}, "zh"), ({"KG_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
    ({"KG_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"), ({"LC_ALL": "C", "LANG": "C"}, "en"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
])
def test_the_language_follows_the_locale(env: dict[str, str], lang: str) -> None:
    result = runner.invoke(app, ["validate"], env=env)
    assert result.exit_code == 0
    assert result.output.startswith("通过" if lang == "zh" else "ok:"), result.output


def test_lang_option_wins_over_the_environment_and_does_not_stick() -> None:
    assert runner.invoke(app, ["--lang", "en", "validate"], env={"LANG": "zh_CN.UTF-8"}).output.startswith("ok:")
    assert runner.invoke(app, ["--lang", "zh", "validate"]).output.startswith("通过")
    assert runner.invoke(app, ["validate"]).output.startswith("ok:")  # the next command is English again


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plan_graph) -> Path:  # type: ignore[no-untyped-def]
    from kg.stores.base import StoreSettings, open_store

    db = tmp_path / "plan.lbug"
    store = open_store(StoreSettings(kind="ladybug", path=db))
    store.build(plan_graph)
    store.close()
    monkeypatch.setenv("KG_DB", str(db))
    return db


BAD = [
    ["owners", "不存在的部门"], ["deps", "T999"], ["impact"], ["stats", "--format", "xml"],
    ["deps", "15", "--depth", "0"], ["nosuch"], ["deps", "15", "--nope"], ["query", "no_such_query"],
    ["query", "upstream", "-p", "task"], ["query", "upstream", "-p", "task", "15", "-p", "task", "16"],
    ["query", "upstream", "-p", "task", "15", "-p", "depth", "x"],
    ["viz", "overview", "-o", "x.txt"], ["viz", "query"], ["viz", "area"], ["matrix", "-o", "m.pdf"],
    ["cypher", "MATCH (n) DETACH DELETE n"], ["parse", "/nonexistent/plan.txt"], ["validate", "--seed", "/nonexistent"],
    ["impact", "建设"],
]


@pytest.mark.parametrize("argv", BAD, ids=" ".join)
def test_errors_read_in_chinese(built: Path, argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    en = runner.invoke(app, argv)
    zh = runner.invoke(app, ["--lang", "zh", *argv])
    assert en.exit_code == zh.exit_code and zh.exit_code in (1, 2)
    assert "Traceback" not in zh.output
    message = zh.stderr.strip().splitlines()[-1]
    assert message.startswith("错误: "), zh.stderr
    assert english_left(zh.stderr) == [], zh.stderr
    assert en.stderr.strip().splitlines()[-1].startswith("Error: ")


def test_chinese_words_are_accepted_where_a_choice_takes_english(built: Path) -> None:
    zh = runner.invoke(app, ["stats", "--format", "表格"])
    assert zh.exit_code == 0 and zh.output == runner.invoke(app, ["stats", "--format", "table"]).output
    assert i18n.english_word("牵头") == "lead" and i18n.english_word("配合") == "supporting"
    assert i18n.english_word("红") == "red" and i18n.english_word("黄") == "yellow"
    assert i18n.english_word("市商务局") == "市商务局"


def test_json_and_csv_keep_english_keys_in_chinese(built: Path) -> None:
    zh = runner.invoke(app, ["--lang", "zh", "owners", "结构调整", "--format", "json"])
    en = runner.invoke(app, ["owners", "结构调整", "--format", "json"])
    assert zh.output == en.output and set(json.loads(zh.output)[0]) >= {"department", "role", "via"}
    assert runner.invoke(app, ["--lang", "zh", "gaps", "--format", "csv"]).output.startswith("gap,id,name,detail")


BOX = set("┏━┳┓┃┡╇┩│└┴┘─┼┠┨┯┷┌┐├┤┬ \n…")


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("argv", [["owners", "结构调整"], ["gaps"], ["impact", "15"], ["critical", "--top", "5"]],
                         ids=" ".join)
def test_tables_fit_the_terminal_and_cut_nothing(built: Path, columns: int, lang: str, argv: list[str]) -> None:
    result = runner.invoke(app, ["--lang", lang, *argv], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= columns, "\n".join(lines)
    rows = json.loads(runner.invoke(app, ["--lang", lang, *argv, "--format", "json"]).stdout)
    i18n.set_language(lang)
    try:
        shown = i18n.table_rows(rows) if lang == "zh" else rows
    finally:
        i18n.set_language(None)
    wanted = Counter(ch for row in shown for v in row.values() if v is not None
                     for ch in ("、".join(map(str, v)) if isinstance(v, list) else
                                 str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                     if ch not in BOX)
    printed = Counter(ch for ch in result.stdout if ch not in BOX)
    assert not wanted - printed, f"cut: {wanted - printed}"


def test_periods_in_chinese() -> None:
    assert [i18n.period_zh(p) for p in ("2025-06", "2024-Q2", "2024-H1", "2025", "x")] == [
        "2025年6月", "2024年第二季度", "2024年上半年", "2025年", "x"]
