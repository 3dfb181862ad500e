"""The parser on a corpus of plan texts written for the tests (tests/corpus/plans/, see its README.md).

Each text has its expected reading beside it (NAME.json), generated once and checked by hand. Every text also
passes the line accounting (each line placed, boilerplate or unplaced) and the verbatim-quote check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from kg.ingest.parse import ParsedPlan, Span, parse_file, parse_text
from tests.conftest import SOURCE

CORPUS = Path(__file__).parent / "corpus" / "plans"
TEXTS = sorted(CORPUS.glob("*.txt"))


def _indicator(i: Any) -> dict[str, Any]:
    keys = ("metric", "indicator_kind", "value", "value_max", "unit", "normalized_value", "normalized_unit",
            "comparator", "comparator_zh", "reference", "baseline_year", "target_year")
    out = {k: getattr(i, k) for k in keys if getattr(i, k) is not None}
    out["quote"] = i.span.quote
    return out


def summary(plan: ParsedPlan) -> dict[str, Any]:
    """What a reader checks: every name, indicator, warning and unplaced line, without the offsets."""
    return {
        "title": plan.title,
        "period": [plan.start_year, plan.end_year],
        "period_from": plan.period_from,
        "notice": sorted(plan.notice),
        "ideology": plan.ideology.quote if plan.ideology else None,
        "principles": [p.name for p in plan.principles],
        "goal": plan.goal.quote if plan.goal else None,
        "goal_indicators": [_indicator(i) for i in plan.goal_indicators],
        "targets": [{"name": t.name, **({"region": t.region} if t.region else {}),
                     "indicators": [_indicator(i) for i in t.indicators]} for t in plan.targets],
        "areas": [{"name": a.name, **({"focus": a.focus} if a.focus else {}),
                   **({"description": a.description} if a.description else {}),
                   "tasks": [[t.number, t.written_number, t.name] if t.written_number else [t.number, t.name]
                             for t in a.tasks]} for a in plan.areas],
        "measures": [m.name for m in plan.measures],
        "warnings": [[w.line, w.message] for w in plan.warnings],
        "unplaced": [[u.line, u.text] for u in plan.unplaced],
        "lines": plan.lines,
    }


def spans(plan: ParsedPlan) -> list[Span]:
    out = [s for s in (plan.goal, plan.ideology) if s is not None]
    out += plan.credits + plan.front_matter + list(plan.notice.values())
    out += [s for spans in plan.intros.values() for s in spans]
    for items in (plan.principles, plan.targets, plan.measures, plan.areas, plan.tasks):
        out += [i.span for i in items]
        out += [i.description_span for i in items if i.description_span is not None]
    out += [i.span for i in [*plan.indicators, *plan.goal_indicators]]
    return out


def line_count(text: str) -> int:
    """Lines as an editor numbers them: a final line without its newline counts."""
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


@pytest.mark.parametrize("path", TEXTS, ids=[p.stem for p in TEXTS])
def test_corpus_text_reads_as_expected(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert summary(parse_file(path, strict=False)) == expected


def test_the_corpus_is_large_enough() -> None:
    assert len(TEXTS) >= 12
    assert all(p.with_suffix(".json").exists() for p in TEXTS)


@pytest.mark.parametrize("path", [*TEXTS, SOURCE], ids=[*(p.stem for p in TEXTS), "shenyang"])
def test_every_line_is_placed_boilerplate_or_unplaced(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    plan = parse_file(path, strict=False)
    counts = plan.lines
    assert counts["placed"] + counts["boilerplate"] + counts["unplaced"] == counts["total"] == line_count(text)
    whole = {u.line for u in plan.unplaced if u.whole_line}
    assert not any("no rule read this line" in u.reason for u in plan.unplaced)  # every line met a rule
    assert counts["unplaced"] == len(whole)
    lines = text.split("\n")
    for u in plan.unplaced:  # each unplaced entry is the text of its own line, verbatim
        assert text[u.start:u.start + len(u.text)] == u.text
        assert u.text in lines[u.line - 1]
    blank = sum(1 for line in lines[:counts["total"]] if not line.strip())
    assert counts["boilerplate"] >= blank


@pytest.mark.parametrize("path", [*TEXTS, SOURCE], ids=[*(p.stem for p in TEXTS), "shenyang"])
def test_every_quote_is_verbatim_at_its_offsets_and_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    plan = parse_file(path, strict=False)
    lines = text.split("\n")
    for span in spans(plan):
        assert text[span.start:span.end] == span.quote
        assert lines[span.line - 1].strip() and span.quote.split("\n")[0] in lines[span.line - 1]


def write() -> None:
    for path in TEXTS:
        data = summary(parse_file(path, strict=False))
        path.with_suffix(".json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.with_suffix('.json')}")


if __name__ == "__main__" and "--write" in sys.argv:
    write()


CORPUS_LINES = sorted({line for p in [*TEXTS, SOURCE] for line in p.read_text(encoding="utf-8").split("\n")})


def test_any_mix_of_plan_lines_is_accounted_for_line_by_line() -> None:
    """Lines of every text, shuffled, cut and mixed with noise: never a crash, every line in exactly one place."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = list("一二三、（）()。，,;：:——《》1234567890%年到达以上亿元万家个") + list("在上实现新突破是坚持 \r")
    noise = st.text(alphabet=st.sampled_from(alphabet), max_size=40)
    line = st.one_of(st.sampled_from(CORPUS_LINES), noise,
                     st.sampled_from(CORPUS_LINES).map(lambda s: s[: len(s) // 2]))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(line, min_size=1, max_size=40), st.booleans())
    def check(lines: list[str], crlf: bool) -> None:
        text = ("\r\n" if crlf else "\n").join(lines)
        if not text.strip():
            return
        plan = parse_text(text, "mix.txt")
        counts = plan.lines
        assert counts["placed"] + counts["boilerplate"] + counts["unplaced"] == counts["total"] == line_count(text)
        for span in spans(plan):
            assert text[span.start:span.end] == span.quote
        for u in plan.unplaced:
            assert text[u.start:u.start + len(u.text)] == u.text
            assert "no rule read this line" not in u.reason

    check()
