"""Where every indicator, target and the plan stand: readings in, one rule per indicator kind, lights out.

`assess(graph, readings, rules, as_of)` is linear in the readings (one grouping pass, no store round-trips).
Its rows carry the numbers that decided each light, so a light can always be explained.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kg.model import PlanGraph
from kg.progress import rules as R
from kg.progress.readings import DEFAULT_GEO, Reading, counting, parse_period, parse_unit


@dataclass
class IndicatorStatus:
    code: str
    name: str
    target: str  # the Target it measures
    kind: str
    value: float | None  # the latest counted value the rule used, in `unit`
    unit: str
    target_value: float | None
    pace: float | None  # where the indicator should be now on the required path, in `unit` (None if no path)
    period: str  # the period of the reading the rule used
    verdict: R.Verdict

    @property
    def light(self) -> str:
        return self.verdict.light

    def row(self) -> dict[str, Any]:
        v = self.verdict
        return {"code": self.code, "name": self.name, "target": self.target, "period": self.period,
                "value": _round(self.value), "unit": self.unit, "target_value": _round(self.target_value),
                "pace": _round(self.pace, 2), "light": v.light, "label": v.label, "label_zh": v.label_zh,
                "method": v.method, "reason": v.reason, "score": v.score}


@dataclass
class RollUp:
    code: str
    name: str
    light: str
    label: str
    score: float | None
    reason: str
    indicators: int
    assessed: int

    @property
    def label_zh(self) -> str:
        return R.LABELS_ZH.get(self.label, self.label)

    def row(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "light": self.light, "label": self.label,
                "label_zh": self.label_zh, "score": self.score, "indicators": self.indicators,
                "assessed": self.assessed, "reason": self.reason}


@dataclass
class StatusReport:
    as_of: str  # YYYY-MM
    indicators: list[IndicatorStatus] = field(default_factory=list)
    targets: list[RollUp] = field(default_factory=list)
    plan: RollUp | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of,
                "indicators": [{**i.row(), "numbers": i.verdict.numbers, "thresholds": i.verdict.thresholds}
                               for i in self.indicators],
                "targets": [t.row() for t in self.targets], "plan": self.plan.row() if self.plan else None}


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def default_as_of(readings: list[Reading]) -> str:
    return max((r.period.end for r in readings), default="")


def assess(graph: PlanGraph, readings: list[Reading], rules: dict[str, Any], as_of: str | None = None,
           targets: set[str] | None = None) -> StatusReport:
    """Every indicator's status by its rule, with the targets and the plan rolled up (Open SDG series scores)."""
    cfg = R.indicator_rules(rules)
    if as_of is not None:
        period = parse_period(as_of)
        as_of = period.end if period else as_of
    as_of = as_of or default_as_of(readings)
    usable = [r for r in readings if r.period.end <= as_of] if as_of else []
    by_indicator: dict[str, list[Reading]] = defaultdict(list)
    for r in counting(usable):  # the caller's readings are left as they are
        by_indicator[r.indicator].append(r)
    owner = {e.target: e.source for e in graph.edges if e.kind == "MEASURED_BY"}
    plan = graph.nodes.get("PLAN")
    start_year = int(plan.props.get("start_year") or 0) if plan else 0
    report = StatusReport(as_of)
    in_step_ref = _in_step_reference(graph, cfg)
    for ind in sorted(graph.of_kind("Indicator"), key=lambda n: _natural(n.id)):
        target = owner.get(ind.id, "")
        if targets is not None and target not in targets:
            continue
        mine = sorted(by_indicator.get(ind.id, []), key=lambda r: r.period.end)
        refs = sorted(by_indicator.get(in_step_ref, []), key=lambda r: r.period.end) if in_step_ref else []
        status = _assess_one(ind, target, mine, refs, cfg, start_year, as_of)
        lights = cfg["score"]["lights"]  # rules that give lights, not R, score by the light
        if status.verdict.method != "open_sdg" and status.verdict.light in lights:
            status.verdict.score = float(lights[status.verdict.light])
        report.indicators.append(status)
    _roll_up(graph, report, cfg, targets)
    return report


def _natural(code: str) -> tuple[Any, ...]:
    from kg.model import natural_key

    return natural_key(code)


def _in_step_reference(graph: PlanGraph, cfg: dict[str, Any]) -> str | None:
    word = cfg.get("relative", {}).get("in_step_reference")
    found = [n.id for n in graph.of_kind("Indicator") if word and word in n.name]
    return found[0] if found else None


def _assess_one(ind: Any, target: str, mine: list[Reading], refs: list[Reading], cfg: dict[str, Any],
                start_year: int, as_of: str) -> IndicatorStatus:
    p = ind.props
    kind = p.get("indicator_kind") or "level"
    unit = p.get("unit") or ""
    target_value = p.get("value")
    method = cfg["methods"].get(kind, "open_sdg")
    status = IndicatorStatus(ind.id, ind.name, target, kind, None, unit, target_value, None, "",
                             R.no_data(f"no reading up to {as_of}" if as_of else "no readings"))
    city = [r for r in mine if r.geo == DEFAULT_GEO]
    if not mine:
        status.verdict = R.no_data(f"no reading up to {as_of}" if as_of else "no readings", method)
        return status
    if method == "qualitative":
        latest = city[-1] if city else mine[-1]
        status.period, status.verdict = latest.period.text, R.qualitative(latest.light, latest.note)
        return status
    if method == "relative":
        _relative(status, ind, mine, refs, cfg)
        return status
    if method == "growth_rate":
        _growth(status, city, cfg, start_year)
        return status
    base_year = int(p.get("baseline_year") or (start_year - 1))
    end_year = int(p.get("target_year") or 0)
    last = city[-1] if city else None
    if method == "pace" or (last is not None and last.basis == "ytd" and not last.period.annual
                            and last.period.year == end_year and kind != "reduction"):
        _pace(status, ind, city, cfg, start_year, end_year, kind)
        return status
    _open_sdg(status, ind, city, cfg, base_year, end_year, kind)
    return status


def _direction(ind: Any) -> int:
    return -1 if ind.props.get("indicator_kind") == "reduction" or ind.props.get("comparator") == "at_most" else 1


def _open_sdg(status: IndicatorStatus, ind: Any, city: list[Reading], cfg: dict[str, Any], base_year: int,
              end_year: int, kind: str) -> None:
    sdg = cfg["open_sdg"]
    if kind == "reduction":
        series = _reduction_index(city, base_year, float(sdg.get("reduction_index_base", 100)))
        status.unit = "index"
        status.target_value = float(sdg.get("reduction_index_base", 100)) - float(ind.props.get("value") or 0)
    else:
        series = {r.period.year: v for r in city if r.basis == "level" and r.period.annual
                  and (v := r.in_unit(status.unit)) is not None}
    if base_year not in series:
        status.verdict = R.no_data(f"no reading for the base year {base_year} (the plan does not state its "
                                   "baseline; a base-year reading supplies it)", "open_sdg")
        return
    later = [y for y in series if y > base_year]
    if not later or status.target_value is None:
        status.verdict = R.no_data(f"only the base year {base_year} has a reading", "open_sdg")
        return
    t = max(later)
    y0, yt, target = series[base_year], series[t], float(status.target_value)
    status.value, status.period = yt, str(t)
    status.verdict = R.open_sdg(y0, base_year, yt, t, target, end_year, _direction(ind), sdg)
    required = status.verdict.numbers.get("CAGR_req")
    if required is not None:
        status.pace = y0 * (1 + required) ** (t - base_year)


def _reduction_index(city: list[Reading], base_year: int, base: float) -> dict[int, float]:
    """The index (baseline year = base) of a reduction indicator: index levels as read, or year-on-year changes
    chained from the baseline year without a gap."""
    series = {r.period.year: float(r.value) for r in city if r.basis == "level" and r.period.annual
              and r.value is not None and parse_unit(r.unit) == ("index", 1.0)}
    if series:
        return series
    yoy = {r.period.year: float(r.value) for r in city
           if r.basis == "yoy_growth" and r.period.annual and r.value is not None}
    out, level, year = {base_year: base}, base, base_year + 1
    while year in yoy:
        level *= 1 + yoy[year] / 100
        out[year] = level
        year += 1
    return out


def _pace(status: IndicatorStatus, ind: Any, city: list[Reading], cfg: dict[str, Any], start_year: int,
          end_year: int, kind: str) -> None:
    if status.target_value is None:
        status.verdict = R.no_data("no numeric target", "pace")
        return
    target = float(status.target_value)
    flows = [r for r in city if r.basis in ("ytd", "level") and r.in_unit(status.unit) is not None]
    if not flows:
        status.verdict = R.no_data(f"no year-to-date reading in {status.unit}", "pace")
        return
    latest = flows[-1]
    value = float(latest.in_unit(status.unit) or 0)
    if kind == "cumulative":  # three-year cumulative: full years before plus this year to date, against the plan
        earlier = {r.period.year: float(r.in_unit(status.unit) or 0) for r in flows
                   if r.period.annual and start_year <= r.period.year < latest.period.year}
        value += sum(earlier.values())
        months = (latest.period.year - start_year) * 12 + latest.period.end_month
        total = (end_year - start_year + 1) * 12
    else:
        months, total = latest.period.end_month, 12
    status.value, status.period = value, latest.period.text
    status.pace = target * months / total
    status.verdict = R.pace(value, target, months, cfg["pace"], total)


def _growth(status: IndicatorStatus, city: list[Reading], cfg: dict[str, Any], start_year: int) -> None:
    if status.target_value is None:
        status.verdict = R.no_data("no numeric target rate", "growth_rate")
        return
    status.unit = "%"
    base = start_year - 1
    annual = [r for r in city if r.period.annual and r.value is not None]
    avg = [r for r in annual if r.basis == "avg_growth"]
    yoy = {r.period.year: float(r.value) for r in annual if r.basis == "yoy_growth" and r.value is not None}
    levels = {r.period.year: float(r.value) for r in annual if r.basis == "level" and r.value is not None}
    chain = []
    year = base + 1
    while year in yoy:
        chain.append(yoy[year])
        year += 1
    candidates: list[tuple[int, float, str]] = []
    if avg:
        candidates.append((avg[-1].period.year, float(avg[-1].value or 0), avg[-1].period.text))
    if chain:
        candidates.append((base + len(chain), R.average_growth(chain), str(base + len(chain))))
    later = [y for y in levels if y > base]
    if base in levels and later and levels[base] > 0:
        t = max(later)
        candidates.append((t, R.cagr(levels[base], levels[t], t - base) * 100, str(t)))
    if not candidates:
        status.verdict = R.no_data(f"no growth reading for a full year since {base} (nor levels for {base} and a "
                                   "later year)", "growth_rate")
        return
    year_used, achieved, period = max(candidates, key=lambda c: c[0])
    status.value, status.period = round(achieved, 4), period
    status.pace = float(status.target_value)
    status.verdict = R.growth_rate(achieved, float(status.target_value), cfg["growth_rate"], year_used - base)


def _relative(status: IndicatorStatus, ind: Any, mine: list[Reading], refs: list[Reading],
              cfg: dict[str, Any]) -> None:
    rel = cfg["relative"]
    status.unit = "%"
    city = [r for r in mine if r.geo == DEFAULT_GEO and r.basis == "yoy_growth" and r.value is not None]
    if not city:
        status.verdict = R.no_data("no growth reading for the city", "relative")
        return
    references = list(rel["references"])
    if ind.props.get("comparator") != "in_step":  # the latest period every reference geography has a reading for
        compared = [r for r in city if all(any(o.geo == geo and o.period == r.period and o.basis == "yoy_growth"
                                                   for o in mine) for geo in references)]
        city = compared or city
    latest = city[-1]
    status.value, status.period = float(latest.value or 0), latest.period.text
    if ind.props.get("comparator") == "in_step":
        ref = [r for r in refs if r.geo == DEFAULT_GEO and r.basis == "yoy_growth" and r.period == latest.period]
        if not ref:
            status.verdict = R.no_data(f"{latest.period.text}: no economic-growth reading to compare with", "relative")
            return
        status.pace = float(ref[-1].value or 0)
        status.verdict = R.in_step(status.value, status.pace, latest.period.text, float(rel["in_step_tolerance_pp"]))
        return
    by_geo = {r.geo: float(r.value) for r in mine if r.period == latest.period and r.basis == "yoy_growth"
              and r.value is not None}
    status.verdict = R.relative(status.value, {geo: by_geo.get(geo) for geo in references},
                                latest.period.text)


def _roll_up(graph: PlanGraph, report: StatusReport, cfg: dict[str, Any], targets: set[str] | None) -> None:
    bands = cfg["score"]["bands"]
    by_target: dict[str, list[IndicatorStatus]] = defaultdict(list)
    for s in report.indicators:
        by_target[s.target].append(s)
    for t in sorted(graph.of_kind("Target"), key=lambda n: _natural(n.id)):
        if targets is not None and t.id not in targets:
            continue
        report.targets.append(_roll(t.id, t.name, by_target.get(t.id, []), bands))
    if targets is None:
        report.plan = _roll("PLAN", graph.nodes["PLAN"].name if "PLAN" in graph.nodes else graph.plan_id,
                            report.indicators, bands)


def _roll(code: str, name: str, items: list[IndicatorStatus], bands: dict[str, float]) -> RollUp:
    assessed = [s for s in items if s.light != "grey" and s.verdict.score is not None]
    if not items:
        return RollUp(code, name, "grey", "no_data", None, "no indicator measures it", 0, 0)
    if not assessed:
        return RollUp(code, name, "grey", "no_data", None, f"none of its {len(items)} indicator(s) has data",
                      len(items), 0)
    mean = sum(float(s.verdict.score or 0) for s in assessed) / len(assessed)
    if len(assessed) == len(items) and all(s.verdict.label == "achieved" for s in items):
        label = "achieved"
    else:
        label = R.band(mean, bands)
    light = R.OPEN_SDG_LIGHT[label]
    counts: dict[str, int] = defaultdict(int)
    for s in items:
        counts[s.light] += 1
    shown = ", ".join(f"{n} {light_}" for light_, n in sorted(counts.items()))
    reason = f"mean series score {mean:.2f} over {len(assessed)} of {len(items)} indicator(s) ({shown})"
    return RollUp(code, name, light, label, round(mean, 4), reason, len(items), len(assessed))


def node_lights(report: StatusReport) -> dict[str, dict[str, str]]:
    """node id -> {"light", "label", "reason"} for every indicator, target and the plan, for the views."""
    out: dict[str, dict[str, str]] = {}
    for s in report.indicators:
        out[s.code] = {"light": s.light, "label": s.verdict.label, "reason": s.verdict.reason}
    for t in report.targets + ([report.plan] if report.plan else []):
        out[t.code] = {"light": t.light, "label": t.label, "reason": t.reason}
    return out


def annotate(G: Any, report: StatusReport) -> Any:
    """Set `light` and `light_reason` on the Indicator and Target nodes (and the plan) of a networkx graph."""
    for node, info in node_lights(report).items():
        if node in G:
            G.nodes[node]["light"] = info["light"]
            G.nodes[node]["light_reason"] = f"{info['label']}: {info['reason']}"
    return G


def lights_from_graph(G: Any) -> dict[str, dict[str, str]]:
    """node id -> light info, read from the Assessment nodes a built graph carries (empty when it has none)."""
    out: dict[str, dict[str, str]] = {}
    for node, data in G.nodes(data=True):
        if data.get("kind") != "Assessment":
            continue
        for _, subject in G.out_edges(node):
            out[subject] = {"light": data.get("light", "grey"), "label": data.get("label", ""),
                            "reason": data.get("reason", "")}
    return out


def annotate_from_graph(G: Any) -> Any:
    """`annotate`, from the Assessment nodes already in the graph (what the store holds)."""
    for node, info in lights_from_graph(G).items():
        G.nodes[node]["light"] = info["light"]
        G.nodes[node]["light_reason"] = f"{info['label']}: {info['reason']}"
    return G


def with_lights(G: Any, rows: list[dict[str, Any]], key: str = "id") -> list[dict[str, Any]]:
    """Rows with a `light` column beside each item that has one, when the graph carries assessments."""
    lights = lights_from_graph(G)
    if not lights:
        return rows
    from kg.stores.base import Rows, columns_of

    return Rows([{**row, "light": lights.get(str(row.get(key)), {}).get("light", "")} for row in rows],
                [*columns_of(rows), "light"])


def light_note(G: Any, node: str) -> str:
    """' (light: red 滞后)' for a node that has an assessment, else ''."""
    info = lights_from_graph(G).get(node)
    if not info:
        return ""
    return f" (light: {info['light']} {R.LABELS_ZH.get(info['label'], info['label'])})"
