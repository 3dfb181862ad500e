"""The read-only guard for user Cypher: its tokenisation against both engines' lexical rules, its allow-lists,
and properties over generated queries (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import ReadOnlyError, UsageError
from kg.guard import (
    FUNCTIONS,
    PROCEDURES,
    WRITE_WORDS,
    check_read_only,
    final_return_without_limit,
    tokenize,
    with_row_limit,
)
from kg.queries import cypher_value, load_queries


def refused(cypher: str) -> str:
    with pytest.raises(ReadOnlyError) as e:
        check_read_only(cypher)
    return str(e.value)


def test_every_named_query_passes_the_guard() -> None:
    """The allow-lists cover what the project's own queries use, on both stores' variants."""
    for query in load_queries().values():
        for text in (query.text, *query.variants.values()):
            check_read_only(text)


@pytest.mark.parametrize(("cypher", "named"), [
    ("MATCH (n:Task) WHERE n.number=1LOAD FROM '/etc/passwd' (header=false) RETURN *", "LOAD"),  # issue 12.1
    ("MATCH (t:Task) WITH t SKIP 0DELETE t", "DELETE"),
    ("RETURN 0xADDLOAD", "LOAD"),  # a hex number ends where its digits end
    ("RETURN 1 /* **/ 'x */ LOAD FROM \"/etc/passwd\" RETURN *//'", "Ladybug does not end it"),  # issue 12.1
    ("RETURN 1 /* never closed", "not closed"),
    ("RETURN 1 // a lone carriage return\rDELETE", "lone carriage return"),
    # Ladybug ends a // comment only at a line feed: ending it at U+2028 would turn the quote into a string
    ("RETURN 1 // x\u2028'\nLOAD FROM \"/etc/passwd\" RETURN * //'", "another line separator"),
    ("RETURN 1 \x00 DELETE", "a NUL character"),
    ("RETURN 1; RETURN 2", "a second statement"),  # issue 12.1 and 12.4
    ("RETURN 1;;", "a second statement"),
    ("CALL READ_CSV_SERIAL('/etc/hostname') RETURN *", "CALL READ_CSV_SERIAL is not one of"),  # segfaulted
    ("CALL CURRENT_SETTING('home_directory') RETURN *", "CALL CURRENT_SETTING is not one of"),
    ("CALL threads=1", "CALL threads is not one of"),
    ("CALL { MATCH (n) RETURN n } RETURN 1", "CALL of a subquery"),
    ("COPY (MATCH (n) RETURN n) TO '/tmp/x.csv'", "COPY"),
    ("EXPORT DATABASE '/tmp/x'", "EXPORT"),
    ("INSTALL json FROM 'http://127.0.0.1:9/'", "INSTALL"),
    ("LOAD EXTENSION '/tmp/x.so'", "LOAD"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("RETURN apoc.text.join(['a'], ',')", "the function apoc.text.join"),
    ("RETURN `apoc.load.json`('x')", "the function apoc.load.json"),
    ("MATCH (n) RETURN n FOO", "FOO is not a reading clause"),
    ("RETURN '\\q'", "an escape"),
    ("RETURN 'never closed", "a string that is not closed"),
    ("RETURN `never closed", "not closed"),
    ("", "empty"),
    (" ; // only a semicolon", "empty"),  # found by hypothesis: was an IndexError
])
def test_the_guard_refuses_and_names_what(cypher: str, named: str) -> None:
    message = refused(cypher)
    assert named in message and message.startswith("refused: `kg cypher` only reads")


@pytest.mark.parametrize("cypher", [
    "MATCH (t:Task) WHERE t.name = 'DELETE in a string' RETURN t",
    "MATCH (t:Task) /* SET t.x = 1 */ RETURN t",
    "MATCH (t:Task) // CREATE (x)\nRETURN t",
    "MATCH (t:Task) RETURN t.`name` AS `LOAD`",
    "RETURN 1 /* ***/ AS x",  # both engines end this comment at the same */
    "RETURN 'a\\'b' AS s, \"c\\\"d\" AS t, '\\u4e2d' AS u",
    "CALL db.labels() YIELD label RETURN label",
    "CALL show_tables() RETURN *",
    "MATCH (t:Task) RETURN t;  // one statement, then a comment",
    "RETURN 1 AS x UNION ALL RETURN 2 AS x",
    "MATCH (t:任务) RETURN t.名称 AS 名称",
])
def test_the_guard_lets_reading_queries_through(cypher: str) -> None:
    check_read_only(cypher)


def test_numbers_end_where_the_engines_end_them() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("1LOAD 1.5e3x 0x1FZ .5a 1..3") if t.kind != "space"]
    assert kinds == [("number", "1"), ("word", "LOAD"), ("number", "1.5e3"), ("word", "x"), ("number", "0x1F"),
                     ("word", "Z"), ("number", ".5"), ("word", "a"), ("number", "1"), ("punct", ".."),
                     ("number", "3")]


def test_a_limit_is_appended_only_where_it_bounds_the_whole_query() -> None:
    def limited(cypher: str) -> str:
        return with_row_limit(cypher, check_read_only(cypher), 11)

    assert limited("MATCH (a), (b) RETURN a.id; // end") == "MATCH (a), (b) RETURN a.id LIMIT 11; // end"
    assert limited("MATCH (a) WITH a LIMIT 3 RETURN a") == "MATCH (a) WITH a LIMIT 3 RETURN a LIMIT 11"
    for unchanged in ("MATCH (a) RETURN a LIMIT 5", "RETURN 1 AS x UNION RETURN 2 AS x",
                      "MATCH (a) RETURN a ORDER BY a.id LIMIT $n"):
        assert limited(unchanged) == unchanged
    assert not final_return_without_limit(check_read_only("MATCH (a) WHERE EXISTS { MATCH (a)--() RETURN a } "
                                                          "RETURN a LIMIT 2"))


# -- properties over generated queries -------------------------------------------------------------------
READS = ["MATCH (t:Task)", "MATCH (t:Task) WHERE t.number = 1", "MATCH (t:Task) WITH t", "UNWIND [1, 2] AS t",
         "MATCH (t:Task) RETURN t", "OPTIONAL MATCH (t)-[r]->(u) WITH t, count(r) AS n", "RETURN 'a' AS t"]
# What may stand right before a word in code: nothing, blanks of both engines, digits, comments, strings, names.
GLUE = ["", " ", "\n", "\t", "\r\n", "\u3000", "\u2028", "\u00a0", "\u180e", "1", "0", "1.5", "1e3", "0x1",
        "/**/", "/* x */", "/* ** */", "// c\n", "'s'", '"s"', "`n`", "$p", ")", "]", "}", ",", "=", ";", "-",
        "名", "_"]
FORBIDDEN_CALLS = ["READ_CSV_SERIAL('/etc/hostname')", "CURRENT_SETTING('home_directory')",
                   "apoc.load.json('x')", "db.createLabel('x')", "dbms.killQueries(['x'])", "threads=1"]


def cases(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(READS), st.lists(st.sampled_from(GLUE), max_size=3),
       st.sampled_from(sorted(WRITE_WORDS)).flatmap(cases), st.text(max_size=20))
def test_a_write_word_in_code_is_always_refused(read: str, glue: list[str], word: str, tail: str) -> None:
    """A writing keyword, in any case, after any glue a lexer might not split on, is never accepted."""
    prefix = read + "".join(glue)
    if re.search(r"[^\W\d]\w*$", prefix) or prefix.endswith("0x1"):
        prefix += " "  # after a name (or a hex number) the word would only lengthen it, in the engines too
    with pytest.raises(ReadOnlyError):
        check_read_only(prefix + word + " " + tail)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(READS), st.lists(st.sampled_from(GLUE[:18]), max_size=2),
       st.sampled_from(FORBIDDEN_CALLS), st.sampled_from(["CALL ", "call ", "CaLl/**/", "CALL\n"]))
def test_a_call_off_the_list_is_always_refused(read: str, glue: list[str], call: str, keyword: str) -> None:
    with pytest.raises(ReadOnlyError):
        check_read_only(read + " " + "".join(glue) + keyword + call + " RETURN *")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_characters="'\\\x00"), max_size=40), st.sampled_from(sorted(WRITE_WORDS)))
def test_write_words_inside_strings_and_comments_are_only_text(text: str, word: str) -> None:
    """What is inside a string or a closed comment is never read as code."""
    check_read_only(f"MATCH (t:Task) WHERE t.name = '{text} {word}' RETURN t")
    if "*" not in text and "/" not in text:
        check_read_only(f"MATCH (t:Task) /* {text} {word} */ RETURN t")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_checked_without_crashing(text: str) -> None:
    """Arbitrary text (any unicode) is accepted or refused with ReadOnlyError, never another exception; and what
    is accepted holds no write word, called function or procedure outside the allow-lists."""
    try:
        tokens = check_read_only(text)
    except ReadOnlyError:
        return
    code = [t for t in tokens if t.kind in ("word", "param", "number")]
    assert not any(w.upper() in WRITE_WORDS for t in code for w in re.findall(r"[A-Za-z_]+", t.text))
    assert tokens[0].text.upper() in {"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN", "CALL"}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(), st.floats(), st.lists(st.integers(), max_size=4), st.text(max_size=10)))
def test_p_values_are_typed_and_bounded(value: object) -> None:
    import json

    text = json.dumps(value) if not isinstance(value, str) else value
    try:
        parsed = cypher_value("x", text)
    except UsageError as e:
        assert str(e).startswith("-p x: ")
        return
    for v in parsed if isinstance(parsed, list) else [parsed]:
        if isinstance(v, int):
            assert -2**63 <= v < 2**63


@pytest.mark.parametrize(("text", "message"), [
    ('[1,"a",null]', "a list holds values of one type"),  # issue 12.4: was a traceback
    ("[[1]]", "a list holds values of one type"),
    ("[" * 100000 + "]" * 100000, "nested too deep"),  # issue 12.4: was a RecursionError traceback
    (str(10**30), "does not fit a 64-bit integer"),  # issue 12.4: was an OverflowError traceback
    ("1e999", "not a finite number"),
])
def test_bad_p_values_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        cypher_value("x", text)


def test_the_allow_lists_are_short_and_hold_no_writer() -> None:
    assert not {p for p in PROCEDURES if any(w.lower() in p for w in ("create", "load", "csv", "setting"))}
    assert not FUNCTIONS & {w.lower() for w in WRITE_WORDS}
    assert len(PROCEDURES) <= 6



@pytest.mark.parametrize("unit", ["/*", "/* */", "/**", "'", "`", "a.", "//\n", "count(", "\\'", "*/ /*"])
def test_the_guard_is_linear_in_the_length_of_the_query(unit: str) -> None:
    """A `/\\*.*?\\*/` DOTALL search restarted at every unclosed `/*` is quadratic: on 100,000 characters that is
    about 5 * 10**9 steps (minutes). The tokenizer reads each character a bounded number of times: well under a
    second here, so the bound of 4 s (room for a shared machine) fails only on superlinear work."""
    import contextlib
    import time

    from kg.guard import tokenize

    cypher = f"MATCH (n) RETURN n {unit * (100_000 // len(unit))}"
    t = time.perf_counter()
    with contextlib.suppress(ReadOnlyError):
        list(tokenize(cypher))  # the guard itself refuses so long a text first (below)
    took = time.perf_counter() - t
    assert took < 4.0, f"{len(cypher)} characters took {took:.2f} s"


@pytest.mark.parametrize("cypher", [
    "RETURN " + "+".join(["1"] * 30_000),  # crashed Ladybug's parser (a segfault) after 112 s
    "RETURN " + "(" * 5_000 + "1" + ")" * 5_000,  # crashed it after 19 s
    "RETURN " + "[" * 101 + "]" * 101,
    "MATCH (n) WHERE n.id IN [" + "{a: " * 101 + "1" + "}" * 101 + "] RETURN n",
])
def test_text_the_engine_cannot_parse_is_refused_before_it_sees_it(cypher: str) -> None:
    from kg.errors import QueryLimitError
    from kg.guard import MAX_CHARS, MAX_DEPTH

    with pytest.raises(QueryLimitError, match=rf"at most ({MAX_CHARS}|{MAX_DEPTH})\)"):
        check_read_only(cypher)


def test_the_limits_leave_room_for_real_queries() -> None:
    from kg.guard import MAX_CHARS, MAX_DEPTH

    ids = ", ".join(f"'T{n}'" for n in range(1, 500))  # every task of a large plan named in a list
    check_read_only(f"MATCH (t:Task) WHERE t.id IN [{ids}] RETURN t.id")
    check_read_only("RETURN " + "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH)
    check_read_only("RETURN '" + "x" * (MAX_CHARS - 9) + "'")
