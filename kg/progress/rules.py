"""The status rules, one plain function per published method, thresholds from one YAML file (rules.yaml).

Each rule takes numbers and returns a `Verdict`: a light (green, yellow, red, grey), the method's own label in
English and Chinese, a one-line reason and the numbers that decided it, so a light can always be explained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import UsageError

RULES_FILE = Path(__file__).resolve().parent / "rules.yaml"
LIGHTS = ("green", "yellow", "red", "grey")
# Numbers are compared with a threshold after rounding to this many decimals, so that decimal inputs lying on a
# threshold land on it (0.5 - 0.2 is 0.30000000000000004 in binary floating point).
PRECISION = 9

# Open SDG progress statuses and the municipal labels beside them.
LABELS_ZH = {
    "achieved": "达标",
    "on_track": "序时推进",
    "acceleration_needed": "需加快",
    "limited_progress": "滞后",
    "deterioration": "倒退",
    "watch": "序时推进（关注）",
    "no_data": "无数据",
    "above_both": "高于全国、全省",
    "above_one": "高于其一",
    "above_neither": "均未高于",
    "in_step": "同步",
    "not_in_step": "未同步",
    "given": "按报送",
}
OPEN_SDG_LIGHT = {"achieved": "green", "on_track": "green", "acceleration_needed": "yellow",
                  "limited_progress": "red", "deterioration": "red"}


@dataclass
class Verdict:
    method: str
    light: str
    label: str
    reason: str
    score: float | None = None  # Open SDG series score, -5..5
    ratio: float | None = None  # Open SDG R
    gap: float | None = None  # percentage points
    numbers: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)

    @property
    def label_zh(self) -> str:
        return LABELS_ZH.get(self.label, self.label)


def no_data(reason: str, method: str = "no_data") -> Verdict:
    return Verdict(method, "grey", "no_data", reason)


def load_rules(path: Path | None = None) -> dict[str, Any]:
    """The whole rules file as a mapping (sections `indicators:`, `tasks:`, ...); a bad file is a UsageError."""
    import yaml

    path = path or RULES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise UsageError(f"{path}: rules file not found") from e
    except yaml.YAMLError as e:
        raise UsageError(f"{path}: not valid YAML ({e})") from e
    if not isinstance(data, dict):
        raise UsageError(f"{path}:1: a rules file is a mapping of sections (valid: indicators:, tasks:)")
    return data


def indicator_rules(rules: dict[str, Any]) -> dict[str, Any]:
    section = rules.get("indicators")
    if not isinstance(section, dict):
        raise UsageError("rules: no `indicators:` section (valid: see kg/progress/rules.yaml)")
    return section


# -- Open SDG ---------------------------------------------------------------------------------------------------

def cagr(y0: float, yt: float, years: float) -> float:
    """Compound annual growth rate from y0 to yt over `years`."""
    return float((yt / y0) ** (1 / years)) - 1


def series_score(ratio: float | None, achieved: bool = False) -> float:
    """The Open SDG series score of a ratio R: 5 if achieved, else the two linear pieces, clipped to [-5, 5]."""
    if achieved:
        return 5.0
    assert ratio is not None
    if ratio >= 0.6:
        return min(7.1429 * ratio - 4.2857, 5.0)
    return max(4.1667 * ratio - 2.5, -5.0)


def open_sdg(y0: float, t0: int, yt: float, t: int, target: float, year_target: int, direction: int,
             cfg: dict[str, Any]) -> Verdict:
    """The Open SDG progress measure for a level with an end-of-plan target; direction +1 more is better, -1 less."""
    thresholds = {k: cfg[k] for k in ("on_track", "acceleration_needed", "limited_progress")}
    numbers: dict[str, Any] = {"y0": y0, "t0": t0, "yt": yt, "t": t, "yT": target, "T": year_target,
                               "d": direction}
    met = yt >= target if direction > 0 else yt <= target
    if met:
        return Verdict("open_sdg", "green", "achieved", f"{_n(yt)} has reached the target {_n(target)}",
                       score=5.0, numbers=numbers, thresholds=thresholds)
    if y0 <= 0 or yt <= 0 or target <= 0:
        return no_data(f"Open SDG needs positive values (y0={_n(y0)}, yt={_n(yt)}, target={_n(target)})",
                       "open_sdg")
    if t <= t0:
        return no_data(f"only the base year {t0} has a reading; progress needs a later year", "open_sdg")
    growth = cagr(y0, yt, t - t0)
    required = cagr(y0, target, year_target - t0)
    if required == 0:
        return no_data("the target equals the baseline: no growth is required", "open_sdg")
    ratio = round(direction * growth / abs(required), PRECISION)
    numbers.update(CAGR=round(growth, 6), CAGR_req=round(required, 6), R=round(ratio, 4))
    label = open_sdg_label(ratio, cfg)
    reason = (f"R = {ratio:.2f} (CAGR {growth:+.2%} a year since {t0} against {required:+.2%} needed to reach "
              f"{_n(target)} by {year_target})")
    return Verdict("open_sdg", OPEN_SDG_LIGHT[label], label, reason, score=round(series_score(ratio), 4),
                   ratio=round(ratio, 4), numbers=numbers, thresholds=thresholds)


def open_sdg_label(ratio: float, cfg: dict[str, Any]) -> str:
    """R >= 0.95 on_track; 0.60 <= R < 0.95 acceleration_needed; 0 <= R < 0.60 limited_progress; else
    deterioration (thresholds from the rules file)."""
    if ratio >= cfg["on_track"]:
        return "on_track"
    if ratio >= cfg["acceleration_needed"]:
        return "acceleration_needed"
    if ratio >= cfg["limited_progress"]:
        return "limited_progress"
    return "deterioration"


# -- 序时进度 ----------------------------------------------------------------------------------------------------

def pace(ytd: float, annual_target: float, months: float, cfg: dict[str, Any], total_months: float = 12) -> Verdict:
    """Within-year flow against its target: P = ytd/target, tau = months/total, gap g = (tau - P) x 100 points."""
    preset_name = cfg.get("preset", "municipal")
    preset = cfg["presets"][preset_name]
    share = ytd / annual_target
    tau = months / total_months
    gap = round((tau - share) * 100, PRECISION)
    numbers = {"ytd": ytd, "target": annual_target, "P": round(share, 4), "tau": round(tau, 4),
               "g": round(gap, 2), "months": months, "of_months": total_months}
    thresholds = {"preset": preset_name, **preset}
    lead = f"{share:.1%} of the target after {tau:.1%} of the time"
    if share >= 1:
        return Verdict("pace", "green", "achieved", f"{lead}: target reached", score=5.0, gap=round(gap, 2),
                       numbers=numbers, thresholds=thresholds)
    if "ratio_red" in preset:  # the 50%-of-pace preset
        ratio = round(share / tau, PRECISION) if tau else math.inf
        numbers["P/tau"] = round(ratio, 4)
        if ratio >= preset["ratio_yellow"]:
            light, label = "green", "on_track"
        elif ratio >= preset["ratio_red"]:
            light, label = "yellow", "acceleration_needed"
        else:
            light, label = "red", "limited_progress"
        reason = f"{lead}: P/tau = {ratio:.2f}"
    else:
        if gap <= preset["watch"]:
            light, label = "green", "on_track"
        elif gap < preset["yellow"]:
            light, label = "green", "watch"
        elif gap <= preset["red"]:
            light, label = "yellow", "acceleration_needed"
        else:
            light, label = "red", "limited_progress"
        reason = f"{lead}: {gap:.1f} points behind pace" if gap > 0 else f"{lead}: ahead of pace"
    return Verdict("pace", light, label, reason, score=light_score(light), gap=round(gap, 2), numbers=numbers,
                   thresholds=thresholds)


# -- growth-rate targets -----------------------------------------------------------------------------------------

def growth_rate(achieved: float, target: float, cfg: dict[str, Any], years: int | None = None) -> Verdict:
    """Average annual growth achieved so far (%) against a target rate (%): met green, short by <= tolerance
    yellow, else red."""
    tolerance = float(cfg["tolerance_pp"])
    gap = round(target - achieved, PRECISION)
    numbers: dict[str, Any] = {"achieved": achieved, "target": target, "gap_pp": round(gap, 2)}
    if years is not None:
        numbers["years"] = years
    since = f" over {years} year(s)" if years else ""
    if gap <= 0:
        light, label, reason = "green", "on_track", f"{achieved:.2f}% a year{since}, target {target:g}%: met"
    elif gap <= tolerance:
        light, label = "yellow", "acceleration_needed"
        reason = f"{achieved:.2f}% a year{since}, target {target:g}%: {gap:.2f} points short (tolerance {tolerance:g})"
    else:
        light, label = "red", "limited_progress"
        reason = f"{achieved:.2f}% a year{since}, target {target:g}%: {gap:.2f} points short (tolerance {tolerance:g})"
    return Verdict("growth_rate", light, label, reason, score=light_score(light), gap=round(max(gap, 0), 2),
                   numbers=numbers, thresholds={"tolerance_pp": tolerance})


def average_growth(yoy: list[float]) -> float:
    """The average annual growth (%) of consecutive year-on-year growth rates (%): their geometric mean."""
    product = 1.0
    for g in yoy:
        product *= 1 + g / 100
    return (float(product ** (1 / len(yoy))) - 1) * 100


# -- relative indicators -----------------------------------------------------------------------------------------

def relative(value: float, references: dict[str, float | None], period: str) -> Verdict:
    """Above every reference geography green, above some yellow, above none red; a missing reference: grey."""
    missing = [geo for geo, v in references.items() if v is None]
    numbers: dict[str, Any] = {"value": value, **references, "period": period}
    if missing:
        return no_data(f"{period}: no reading for {', '.join(missing)} to compare with", "relative")
    above = [geo for geo, v in references.items() if v is not None and value > v]
    shown = ", ".join(f"{geo} {v:g}%" for geo, v in references.items())
    reason = f"{period}: {value:g}% against {shown}"
    if len(above) == len(references):
        return Verdict("relative", "green", "above_both", reason, score=light_score("green"), numbers=numbers)
    if above:
        return Verdict("relative", "yellow", "above_one", reason + f" (above {', '.join(above)} only)",
                       score=light_score("yellow"), numbers=numbers)
    return Verdict("relative", "red", "above_neither", reason, score=light_score("red"), numbers=numbers)


def in_step(value: float, reference: float, period: str, tolerance: float) -> Verdict:
    """与经济增长同步: at least the reference growth green, within `tolerance` points below yellow, else red."""
    gap = round(reference - value, PRECISION)
    numbers = {"value": value, "reference": reference, "gap_pp": round(gap, 2), "period": period}
    reason = f"{period}: {value:g}% against economic growth {reference:g}%"
    if gap <= 0:
        return Verdict("relative", "green", "in_step", reason, score=light_score("green"), numbers=numbers)
    light = "yellow" if gap <= tolerance else "red"
    return Verdict("relative", light, "not_in_step", reason + f" ({gap:.2f} points below)", score=light_score(light),
                   gap=round(gap, 2), numbers=numbers, thresholds={"in_step_tolerance_pp": tolerance})


# -- qualitative and scores -----------------------------------------------------------------------------------------

def qualitative(light: str | None, note: str | None) -> Verdict:
    if not light:
        return no_data("a qualitative indicator: no light given in the readings", "qualitative")
    return Verdict("qualitative", light, "given", note or "light given in the readings file",
                   score=light_score(light))


_LIGHT_SCORES = {"green": 5.0, "yellow": 0.0, "red": -5.0}


def light_score(light: str) -> float | None:
    return _LIGHT_SCORES.get(light)


def band(score: float, bands: dict[str, float]) -> str:
    """The status of a mean series score: on_track, acceleration_needed, limited_progress or deterioration."""
    for label in ("on_track", "acceleration_needed", "limited_progress"):
        if score >= bands[label]:
            return label
    return "deterioration"


def _n(x: float) -> str:
    return f"{x:,.6g}"
