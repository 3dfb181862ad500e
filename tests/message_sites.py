"""The places in kg/ where a message for the user is written, read from the source (not run): every string or
f-string given to `raise SomethingError(...)`, added to a list of problems (`problems.append(...)`,
`problems.add(where, ...)`), given to `warn(...)` or `fail(...)`. Each becomes a sample message, its {fields}
filled with neutral codes, so a test can check that the catalogue translates every message shape a user can
meet, including the ones no test happens to trigger.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KG = Path(__file__).resolve().parent.parent / "kg"
PROBLEM_LISTS = {"problems", "items", "errors"}  # lists whose items are shown one per line under a count
SAMPLE = "Q{}"  # a field's value: uppercase and a digit, so it reads as a code, never as an English word


@dataclass(frozen=True)
class Site:
    file: str
    line: int
    sample: str  # the message with each {field} filled with a code (Q1, Q2, ...)
    shape: str  # the message with each field shown as {}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.shape}"


def _variants(node: ast.expr) -> list[tuple[str, str]]:
    """(sample, shape) of each message an expression can make: a literal, an f-string, `a + b` of them, or
    `a if x else b`; nothing for anything else (a name, a call)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [(a + c, b + d) for a, b in _variants(node.left) for c, d in _variants(node.right)]
    if isinstance(node, ast.IfExp):
        return _variants(node.body) + _variants(node.orelse)
    one = _text(node)
    return [one] if one else []


def _text(node: ast.expr) -> tuple[str, str] | None:
    """(sample, shape) of a string literal or f-string; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    sample, shape, n = [], [], 0
    for part in node.values:
        if isinstance(part, ast.Constant):
            sample.append(str(part.value))
            shape.append(str(part.value))
        else:
            n += 1
            value = SAMPLE.format(n)
            quoted = isinstance(part, ast.FormattedValue) and part.conversion == ord("r")
            sample.append(f"'{value}'" if quoted else value)
            shape.append("{}")
    return "".join(sample), "".join(shape)


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _receiver(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Attribute):
        r = f.value
        return r.attr if isinstance(r, ast.Attribute) else r.id if isinstance(r, ast.Name) else ""
    return ""


def _messages(call: ast.Call) -> Iterator[tuple[ast.expr, bool]]:
    """The message arguments of a call that shows one, with whether a `where: ` is put before it."""
    name = _callee(call)
    for arg in call.args:  # a `valid: ...` hint handed to a reader, shown in brackets after its complaint
        for hint in (arg.body, arg.orelse) if isinstance(arg, ast.IfExp) else (arg,):
            if isinstance(hint, ast.Constant) and isinstance(hint.value, str) and hint.value.startswith("valid: "):
                yield ast.Constant(hint.value.removeprefix("valid: "), lineno=arg.lineno), False
    if name == "_error" and len(call.args) == 2:  # the Neo4j store's errors: _error(StoreError, message)
        yield call.args[1], False
    elif name.endswith("Error") or name == "refuse":
        if name == "ParseError" and len(call.args) == 3:
            yield call.args[2], True
            return
        for arg in call.args:
            if isinstance(arg, (ast.List, ast.Tuple)):
                yield from ((item, False) for item in arg.elts)
            else:
                yield arg, False
    elif name == "append" and _receiver(call) in PROBLEM_LISTS and call.args:
        yield call.args[0], False
    elif len(call.args) == 2 and (name == "warn" or (name == "add" and _receiver(call) in PROBLEM_LISTS)):
        yield call.args[1], True
    elif name == "fail" and call.args:
        yield call.args[0], False
    elif name == "Unplaced" and len(call.args) >= 4:  # a line the parser could not place, and why
        yield call.args[3], True
    elif name in ("unplaced", "skip") and len(call.args) == 2:
        yield call.args[1], True


def _described(tree: ast.AST) -> Iterator[tuple[ast.expr, bool]]:
    """The messages functions return to be shown: `describe` (kg/cli/failure.py) for the libraries' failures
    (`return message, code`), and the `..._problem` helpers whose answer becomes a problem line."""
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name == "describe":
            for node in ast.walk(fn):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and node.value.elts:
                    yield node.value.elts[0], False
        elif isinstance(fn, ast.FunctionDef) and fn.name.endswith("_problem"):
            for node in ast.walk(fn):
                if isinstance(node, ast.Return) and node.value is not None:
                    yield node.value, True


def message_sites(root: Path = KG) -> list[Site]:
    sites = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module):
                found = list(_described(node))
            elif isinstance(node, ast.Call):
                found = list(_messages(node))
            else:
                continue
            for arg, prefixed in found:
                for sample, shape in _variants(arg):
                    if not shape.strip() or not any(c.isalpha() for c in shape):
                        continue
                    if prefixed:
                        sample, shape = f"Q0:1: {sample}", f"{{}}: {shape}"
                    sites.append(Site(str(path.relative_to(root.parent)), arg.lineno, sample, shape))
    return sites


if __name__ == "__main__":  # python -m tests.message_sites: the sites whose message has no Chinese
    from kg import i18n
    from tests.test_i18n import english_left

    i18n.set_language("zh")
    for site in message_sites():
        left = english_left(i18n.translate(site.sample))
        if left:
            print(site, "  <-", left)
