"""The department registry: every body a 分工 document may name, and how a written name resolves to one.

The registry is the seed's `departments.csv` (the bodies in the graph) plus `seed/registry/*.csv` (Shenyang's
other districts, its collectives, Liaoning's provincial departments), all in the same columns. A name resolves
by exact name, alias or former name, within the plan's jurisdiction first. A name whose own or inherited prefix
says 区 / 县 / 省 never resolves to a city body: `区农业农村局` is not `市农业农村局`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ValidationError
from kg.ingest.names import UnitName, fold
from kg.ingest.read import decode, read_bytes, read_yaml_value
from kg.model import DEPARTMENT_KINDS, LEVELS

DEFAULT_JURISDICTION = "沈阳市"  # whose plan a seed is when its plan.yaml does not say (`jurisdiction`)
COLUMNS = ("id", "name", "name_en", "kind", "aliases", "jurisdiction", "level", "former_names", "members",
           "provenance", "quote", "rationale", "document", "date")
REQUIRED = ("id", "name", "name_en", "kind", "aliases", "provenance", "quote", "rationale")


@dataclass
class Body:
    """One registry row."""

    id: str
    name: str
    name_en: str
    kind: str
    aliases: tuple[str, ...]
    jurisdiction: str
    level: str
    former_names: tuple[tuple[str, str], ...]  # (old name, year of the change)
    members: tuple[str, ...]
    row: dict[str, str]  # the row as read, to copy into departments.csv
    origin: str  # file:line

    @property
    def in_seed(self) -> bool:
        return self.origin.split(":")[0].endswith("departments.csv")


@dataclass
class Resolution:
    """What a written name resolved to (`body` None if nothing), how, and the nearest candidates otherwise."""

    unit: UnitName
    body: Body | None
    how: str  # exact | alias | former name (renamed YEAR) | unresolved
    confidence: float
    nearest: list[str] = field(default_factory=list)


def parse_former(cell: str, where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in (p.strip() for p in cell.split(";")):
        if not item:
            continue
        name, _, year = item.partition("@")
        if not name or not (year.isdigit() and len(year) == 4):
            raise ValidationError([f"{where}: former name {item!r} needs the year of the change "
                                   "(valid: 市大数据局@2024)"])
        out.append((name.strip(), year))
    return tuple(out)


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    text, _ = decode(read_bytes(path), path)
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError([f"{path}:1: missing column(s) {', '.join(missing)} (valid header: {','.join(COLUMNS)})"])
    rows = []
    for record in reader:
        data = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str) and isinstance(v, str)}
        if any(data.values()):
            rows.append((reader.line_num, data))
    return rows


class Registry:
    """Bodies by id, and every name, alias and former name folded -> ids."""

    def __init__(self, bodies: list[Body], jurisdiction: str) -> None:
        self.bodies = {b.id: b for b in bodies}
        self.jurisdiction = jurisdiction
        self.by_name: dict[str, list[Body]] = {}
        self.by_alias: dict[str, list[Body]] = {}
        self.by_former: dict[str, list[tuple[Body, str]]] = {}
        for b in bodies:
            self.by_name.setdefault(fold(b.name), []).append(b)
            for a in b.aliases:
                self.by_alias.setdefault(fold(a), []).append(b)
            for old, year in b.former_names:
                self.by_former.setdefault(fold(old), []).append((b, year))

    @classmethod
    def load(cls, seed_dir: Path, departments_file: str = "departments.csv", jurisdiction: str = DEFAULT_JURISDICTION
             ) -> Registry:
        """departments.csv, then every registry/*.csv; problems (duplicate ids, bad kinds, members that do not
        exist) are raised together."""
        files = [seed_dir / departments_file, *sorted((seed_dir / "registry").glob("*.csv"))]
        bodies: list[Body] = []
        problems: list[str] = []
        seen: dict[str, str] = {}
        seed_ids: set[str] = set()
        for path in files:
            for line, row in _read_rows(path):
                where = f"{path}:{line}"
                bid = row.get("id", "")
                if path != files[0] and bid in seed_ids:
                    continue  # `kg assign apply` copied it into departments.csv, which is what counts now
                if bid in seen:
                    problems.append(f"{where}: id {bid!r} is already used at {seen[bid]}")
                    continue
                seen[bid] = where
                if path == files[0]:
                    seed_ids.add(bid)
                if row.get("kind") not in DEPARTMENT_KINDS:
                    problems.append(f"{where}: kind {row.get('kind')!r} is not valid "
                                    f"(valid: {', '.join(DEPARTMENT_KINDS)})")
                level = row.get("level") or "市"
                if level not in LEVELS:
                    problems.append(f"{where}: level {level!r} is not valid (valid: {', '.join(LEVELS)})")
                try:
                    former = parse_former(row.get("former_names", ""), where)
                except ValidationError as e:
                    problems += e.problems
                    former = ()
                bodies.append(Body(
                    bid, row.get("name", ""), row.get("name_en", ""), row.get("kind", ""),
                    tuple(a.strip() for a in row.get("aliases", "").split(";") if a.strip()),
                    row.get("jurisdiction") or jurisdiction, level, former,
                    tuple(m.strip() for m in row.get("members", "").split(";") if m.strip()),
                    {c: row.get(c, "") for c in COLUMNS}, f"{path.name}:{line}"))
        for b in bodies:
            for m in b.members:
                if m not in seen:
                    problems.append(f"{b.origin}: member {m!r} of {b.name} is not in the registry")
        if problems:
            raise ValidationError(problems)
        return cls(bodies, jurisdiction)

    # -- resolving -----------------------------------------------------------------------------------------
    def _pick(self, found: list[Body]) -> Body | None:
        """Among bodies with the same name, the plan's own jurisdiction first; several elsewhere is ambiguous."""
        if len(found) == 1:
            return found[0]
        local = [b for b in found if b.jurisdiction == self.jurisdiction]
        return local[0] if len(local) == 1 else None

    @staticmethod
    def _allowed(unit: UnitName, body: Body) -> bool:
        """A name marked 区/县 or 省 (its own prefix or the one it inherits) never resolves to a body of another
        level: 区农业农村局 is not 市农业农村局."""
        if unit.level in (None, "市"):
            return True
        return body.level == unit.level or body.kind == "district_or_county"

    def resolve(self, unit: UnitName) -> Resolution:
        for candidate in unit.candidates:
            key = fold(candidate)
            variants = [key]
            if "(" in key:  # 市数据局(市营商局): the whole, then the name before the brackets, then inside them
                before, _, inside = key.partition("(")
                variants += [before, inside.rstrip(")")]
            for variant in variants:
                for table, how, confidence in ((self.by_name, "exact", 1.0), (self.by_alias, "alias", 0.95)):
                    body = self._pick(table.get(variant, []))
                    if body is not None and self._allowed(unit, body):
                        score = confidence if variant == key else 0.85
                        return Resolution(unit, body, how if variant == key else f"{how} (bracketed name)", score)
                formers = self.by_former.get(variant, [])
                body = self._pick([b for b, _ in formers])
                if body is not None and self._allowed(unit, body):
                    year = next(y for b, y in formers if b is body)
                    return Resolution(unit, body, f"former name (renamed {year})", 0.9)
        return Resolution(unit, None, "unresolved", 0.0, self.nearest(unit))

    def nearest(self, unit: UnitName, n: int = 3) -> list[str]:
        """The closest names in the registry, each saying which body and level it is."""
        from rapidfuzz import fuzz, process

        choices: dict[str, Body] = {}
        for b in self.bodies.values():
            for name in (b.name, *b.aliases):
                choices.setdefault(fold(name), b)
        wanted = fold(unit.candidates[0])
        out = []
        seen: set[str] = set()
        for name, score, _ in process.extract(wanted, list(choices), scorer=fuzz.ratio, limit=n * 3):
            body = choices[name]
            if body.id in seen or score < 40:
                continue
            seen.add(body.id)
            note = ""
            if unit.level and unit.level != "市" and body.level != unit.level:
                note = f"; a {body.level} body of {body.jurisdiction}, not the {unit.level} one written"
            out.append(f"{body.name} ({body.id}, {score:.0f}%{note})")
            if len(out) == n:
                break
        return out

    def expand(self, body_id: str) -> list[str]:
        """A body and, for a collective, every body it stands for (recursively), in order, each once."""
        out: list[str] = []

        def walk(bid: str) -> None:
            if bid in out:
                return
            out.append(bid)
            for m in self.bodies[bid].members:
                walk(m)

        walk(body_id)
        return out


def plan_jurisdiction(seed_dir: Path) -> str:
    settings = read_yaml_value(seed_dir / "plan.yaml")
    return str((settings if isinstance(settings, dict) else {}).get("jurisdiction") or DEFAULT_JURISDICTION)
