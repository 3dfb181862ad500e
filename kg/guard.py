"""The read-only check for Cypher a user types, before it reaches a store: an allow-list on a real tokenisation.

The text is split into tokens by the lexical rules both engines share (Ladybug's Cypher.g4 and Neo4j's):
strings with backslash escapes, backtick names, `//` and `/* */` comments, numbers (so `1LOAD` is a number and
the keyword LOAD), names, parameters. Where the two engines' lexers disagree (Ladybug does not end a comment at
the `*/` of `**/`; a `//` comment ended by a lone carriage return is no comment to Ladybug) or a token is not
finished, the query is refused rather than guessed at. Then:

- one statement: after a `;` only blanks and comments may follow;
- every name in a clause position (the start, or right after a complete value or pattern) is a reading
  clause or an expression keyword of READ_KEYWORDS;
- every word that begins a writing clause or a command in either engine (WRITE_WORDS) is refused wherever it
  stands outside strings, comments and backticks, glued to digits or not;
- every function called is in FUNCTIONS, and CALL only names a procedure of PROCEDURES.

It is the first of two locks: the stores also run user Cypher read-only (Ladybug opens the file read-only,
Neo4j runs a READ transaction), so a write this check misses is still refused by the database, and the
stores bound every query by a row limit and a timeout.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kg.errors import QueryLimitError, ReadOnlyError

# Reading clauses and the keywords of expressions; the only names allowed where a clause can start.
READ_KEYWORDS = frozenset({
    "MATCH", "OPTIONAL", "WHERE", "WITH", "UNWIND", "RETURN", "ORDER", "BY", "SKIP", "LIMIT", "UNION", "ALL",
    "AND", "OR", "NOT", "XOR", "IN", "IS", "NULL", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "AS",
    "ASC", "ASCENDING", "DESC", "DESCENDING", "STARTS", "ENDS", "CONTAINS", "EXISTS", "COUNT", "COLLECT",
    "TRUE", "FALSE", "ANY", "NONE", "SINGLE", "SHORTEST", "TRAIL", "ACYCLIC", "YIELD", "CALL"})
# Words that begin a writing clause, a schema or administration command, a transaction, an extension, a file
# or network access in Ladybug (Cypher.g4: oC_Statement and oC_UpdatingClause) or Neo4j 5 (Cypher manual:
# clauses, administration). Refused anywhere outside strings, comments and backtick names.
WRITE_WORDS = frozenset({
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "RENAME", "COPY", "LOAD", "EXPORT",
    "IMPORT", "INSTALL", "UNINSTALL", "UPDATE", "FORCE", "ATTACH", "USE", "CHECKPOINT", "BEGIN", "COMMIT",
    "ROLLBACK", "TRANSACTION", "TRANSACTIONS", "FOREACH", "INSERT", "FINISH", "SHOW", "TERMINATE", "GRANT",
    "DENY", "REVOKE", "START", "STOP", "ENABLE", "DEALLOCATE", "REALLOCATE", "EXPLAIN", "PROFILE", "CYPHER",
    "PROJECT", "MACRO", "COMMENT", "PERIODIC"})
# Pure functions of both dialects (lower case; names are matched without regard to case).
FUNCTIONS = frozenset({
    "count", "collect", "sum", "min", "max", "avg", "stdev", "stdevp", "percentilecont", "percentiledisc",
    "size", "length", "nodes", "relationships", "rels", "labels", "label", "type", "id", "elementid",
    "properties", "keys", "coalesce", "nullif", "tostring", "tointeger", "tofloat", "toboolean", "to_string",
    "lower", "upper", "tolower", "toupper", "trim", "ltrim", "rtrim", "substring", "substr", "left", "right",
    "split", "replace", "reverse", "concat", "starts_with", "ends_with", "contains", "abs", "round", "floor",
    "ceil", "sqrt", "sign", "startnode", "endnode", "head", "last", "tail", "range", "exists", "any", "all",
    "none", "single", "reduce", "shortestpath", "allshortestpaths", "list_contains", "list_concat",
    "list_extract", "list_element", "list_sort", "list_reverse_sort", "list_distinct", "list_unique", "list_sum",
    "list_product", "list_to_string", "cast", "array_contains", "string_split", "lcase", "ucase", "prefix", "suffix"})
# Procedures that only describe the schema: Ladybug's show_tables/table_info, Neo4j's db.labels and kin.
PROCEDURES = frozenset({"show_tables", "table_info", "db.labels", "db.relationshiptypes", "db.propertykeys"})

# Line separators besides LF and CR: a // comment holding one is refused, since where it ends would decide
# whether a quote after it opens a string.
_LINE_ENDS = "\u2028\u2029\x85\x0b\x0c"
_ESCAPE = re.compile(r"\\(?:[\\'\"bfnrtBFNRT]|[uU][0-9A-Fa-f]{4})")
_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]+|0[oO][0-7]+|(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WRITE_RUN = re.compile(r"[A-Za-z_]+")


@dataclass(frozen=True)
class Token:
    kind: str  # word | name (backtick) | string | number | param | punct | space | comment | end
    text: str
    start: int

    @property
    def value(self) -> str:
        """A name as the engine reads it: backticks removed (a doubled backtick is one)."""
        return self.text[1:-1].replace("``", "`") if self.kind == "name" else self.text


def refuse(what: str, at: int) -> ReadOnlyError:
    return ReadOnlyError(f"refused: `kg cypher` only reads; at character {at + 1}: {what} (valid: one query "
                         "of MATCH, WHERE, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION and pure functions)")


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch.lower() <= "z") or (ord(ch) > 127 and (unicodedata.category(ch)[0] == "L" or
                                                                            unicodedata.category(ch) == "Nl"))


def _is_name_part(ch: str) -> bool:
    return _is_name_start(ch) or ch.isdecimal() or (ord(ch) > 127 and unicodedata.category(ch) in ("Mn", "Mc",
                                                                                                      "Nd", "Pc"))


def _block_comment_end(text: str, i: int) -> int:
    """Where a `/*` at i ends, in both engines, or -1. Neo4j ends it at the first `*/`; Ladybug's lexer reads a
    `*` and the character after it as a pair, so `**/` does not end it there. Where they differ, -1."""
    neo4j = text.find("*/", i + 2)
    j = i + 2
    ladybug = -1
    while j < len(text):
        if text[j] != "*":
            j += 1
        elif j + 1 < len(text) and text[j + 1] == "/":
            ladybug = j
            break
        else:
            j += 2
    return neo4j + 2 if neo4j != -1 and neo4j == ladybug else -1


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`; ReadOnlyError where a token is unfinished or the engines would read it apart."""
    if "\x00" in text:  # the C interface would end the text there
        raise refuse("a NUL character", text.index("\x00"))
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in "\u180e\u200b\ufeff":
            j = i + 1
            while j < n and (text[j].isspace() or text[j] in "\u180e\u200b\ufeff"):
                j += 1
            out.append(Token("space", text[i:j], i))
        elif text.startswith("//", i):
            j = i + 2
            while j < n and text[j] not in "\r\n":
                j += 1
            if j < n and text[j] == "\r" and text[j + 1:j + 2] != "\n":
                raise refuse("a // comment ended by a lone carriage return (Ladybug reads it as code)", i)
            if any(c in _LINE_ENDS for c in text[i:j]):
                raise refuse("a // comment holding another line separator (engines may end it there or not)", i)
            out.append(Token("comment", text[i:j], i))
        elif text.startswith("/*", i):
            j = _block_comment_end(text, i)
            if j == -1:
                raise refuse("a /* comment that is not closed, or that Ladybug and Neo4j end at different "
                             "places (Ladybug does not end it at the */ of **/)", i)
            out.append(Token("comment", text[i:j], i))
        elif ch in "'\"":
            j = i + 1
            while j < n and text[j] != ch:
                if text[j] == "\\":
                    m = _ESCAPE.match(text, j)
                    if not m:
                        raise refuse(f"an escape {text[j:j + 2]!r} in a string (valid: \\\\ \\' \\\" \\b \\f \\n "
                                     "\\r \\t \\uXXXX)", j)
                    j = m.end()
                else:
                    j += 1
            if j >= n:
                raise refuse("a string that is not closed", i)
            out.append(Token("string", text[i:j + 1], i))
            j += 1
        elif ch == "`":
            j = i
            while j < n and text[j] == "`":  # `a``b` is one name: a doubled backtick stands for one
                k = text.find("`", j + 1)
                if k == -1:
                    raise refuse("a `name` that is not closed", i)
                j = k + 1
            out.append(Token("name", text[i:j], i))
        elif text.startswith("..", i):
            j = i + 2
            out.append(Token("punct", "..", i))
        elif ch.isdecimal() or (ch == "." and i + 1 < n and text[i + 1].isdecimal() and
                                (not out or (out[-1].kind not in ("word", "name", "param", "number") and
                                 out[-1].text not in (")", "]", "}")))):
            m = _NUMBER.match(text, i)
            j = m.end() if m and m.end() > i else i + 1
            out.append(Token("number", text[i:j], i))
        elif ch == "$":
            j = i + 1
            if j < n and text[j] == "`":
                k = text.find("`", j + 1)
                if k == -1:
                    raise refuse("a $`parameter` that is not closed", i)
                j = k + 1
            else:
                while j < n and _is_name_part(text[j]):
                    j += 1
            out.append(Token("param", text[i:j], i))
        elif _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_part(text[j]):
                j += 1
            out.append(Token("word", text[i:j], i))
        else:
            j = i + 1
            out.append(Token("punct", ch, i))
        i = j
    return out


# After one of these a name stands where a new clause or an operator keyword can start, never a value.
_VALUE_ENDS = {")", "]", "}"}
_VALUE_WORDS = {"NULL", "TRUE", "FALSE", "END"}
_STARTS = {"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN", "CALL"}


def _upper(word: str) -> str:
    return word.upper() if word.isascii() else word


# What the engine's parser is given at most (Ladybug, measured: 10,000 characters of `1+1+…` took 4 s to parse and
# 60,000 crashed the process; brackets 2,000 deep took 6.6 s and 5,000 crashed it, before any timeout applies).
MAX_CHARS = 8000
MAX_DEPTH = 100


def check_read_only(cypher: str) -> list[Token]:
    """Raise ReadOnlyError naming the first thing that is not one reading query; return the significant tokens.
    A text longer than MAX_CHARS or brackets deeper than MAX_DEPTH are refused first (QueryLimitError)."""
    if len(cypher) > MAX_CHARS:
        raise QueryLimitError(f"the query is {len(cypher)} characters long, too long for the engine's parser (at "
                              f"most {MAX_CHARS})")
    tokens = [t for t in tokenize(cypher) if t.kind not in ("space", "comment")]
    depth = 0
    for t in tokens:
        if t.text in ("(", "[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise QueryLimitError(f"at character {t.start + 1}: brackets nested more than {MAX_DEPTH} deep, too "
                                      f"deep for the engine's parser (at most {MAX_DEPTH})")
        elif t.text in (")", "]", "}"):
            depth -= 1
    if not tokens:
        raise refuse("the query is empty", 0)
    for t in tokens:  # strings, comments and backtick names are out: any write word left stands as code
        if t.kind in ("word", "param", "number"):
            for m in _WRITE_RUN.finditer(t.text):
                if m.group(0).upper() in WRITE_WORDS:
                    raise refuse(f"{m.group(0).upper()} is not a reading clause", t.start + m.start())
    semicolons = [k for k, t in enumerate(tokens) if t.text == ";"]
    if semicolons:
        if semicolons[0] != len(tokens) - 1:
            raise refuse("a second statement after ';'", tokens[semicolons[0]].start)
        tokens = tokens[:-1]
    if not tokens:  # `;` alone
        raise refuse("the query is empty", 0)
    first = tokens[0]
    if first.kind != "word" or _upper(first.text) not in _STARTS:
        raise refuse(f"a query starts with a reading clause, not {first.text!r}", first.start)
    skip_to = 0
    for k, t in enumerate(tokens):
        prev = tokens[k - 1] if k else None
        if k < skip_to or t.kind not in ("word", "name") or (prev is not None and prev.text in (".", ":", "$")):
            continue
        word = _upper(t.text) if t.kind == "word" else ""
        if word == "CALL":
            skip_to = _check_call(tokens, k)
            continue
        callee, after = _dotted(tokens, k)
        if after < len(tokens) and tokens[after].text == "(" and word not in READ_KEYWORDS:
            if callee.lower() not in FUNCTIONS:
                raise refuse(f"the function {callee} is not on the list of pure functions", t.start)
            continue
        if t.kind == "word" and word not in READ_KEYWORDS and prev is not None and _ends_value(prev):
            raise refuse(f"{t.text} is not a reading clause or an expression keyword", t.start)
    return tokens


def _ends_value(t: Token) -> bool:
    if t.kind in ("string", "number", "param", "name"):
        return True
    if t.kind == "word":
        return _upper(t.text) not in READ_KEYWORDS or _upper(t.text) in _VALUE_WORDS
    return t.text in _VALUE_ENDS


def _dotted(tokens: list[Token], k: int) -> tuple[str, int]:
    """The dotted name starting at token k (`db.labels`, `apoc.load.json`) and the index after it."""
    parts = [tokens[k].value]
    j = k + 1
    while j + 1 < len(tokens) and tokens[j].text == "." and tokens[j + 1].kind in ("word", "name"):
        parts.append(tokens[j + 1].value)
        j += 2
    return ".".join(parts), j


def _check_call(tokens: list[Token], k: int) -> int:
    """Refuse a CALL of anything but PROCEDURES; the index of the `(` after the procedure's name."""
    if k + 1 >= len(tokens) or tokens[k + 1].kind not in ("word", "name"):
        raise refuse("CALL of a subquery or a setting; CALL only names one of the procedures that describe "
                     f"the schema ({', '.join(sorted(PROCEDURES))})", tokens[k].start)
    name, after = _dotted(tokens, k + 1)
    if name.lower() not in PROCEDURES or after >= len(tokens) or tokens[after].text != "(":
        raise refuse(f"CALL {name} is not one of the procedures that describe the schema "
                     f"({', '.join(sorted(PROCEDURES))})", tokens[k].start)
    return after


def final_return_without_limit(tokens: list[Token]) -> bool:
    """True when the query ends in one RETURN at the top level with no LIMIT after it and no UNION: then a
    LIMIT appended after its last token bounds the work the engine does, not only the rows fetched."""
    depth, last_return, union, limit = 0, -1, False, -1
    for k, t in enumerate(tokens):
        if t.text in ("(", "[", "{"):
            depth += 1
        elif t.text in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and t.kind == "word":
            word = _upper(t.text)
            if word == "RETURN":
                last_return = k
            elif word == "UNION":
                union = True
            elif word == "LIMIT":
                limit = k
    return last_return >= 0 and not union and limit < last_return


def with_row_limit(cypher: str, tokens: list[Token], rows: int) -> str:
    """`cypher` with `LIMIT rows` after its last token when `final_return_without_limit`; otherwise unchanged.
    `rows` is the tool's own whole number (--limit + 1), never text from the user."""
    if not final_return_without_limit(tokens):
        return cypher
    last = tokens[-1]
    end = last.start + len(last.text)
    return f"{cypher[:end]} LIMIT {int(rows)}{cypher[end:]}"
