"""The status rules on hand-made numbers: every threshold at and on each side, the Open SDG formulas against
worked examples written out here, and the roll-up."""

from __future__ import annotations

import math

import pytest

from kg.progress import rules as R

CFG = R.indicator_rules(R.load_rules())
SDG = CFG["open_sdg"]


# -- Open SDG: worked examples -------------------------------------------------------------------------------------

def test_open_sdg_worked_example_limited_progress() -> None:
    # y0 = 100 in 2022, yt = 110 in 2024, target 130 in 2025, more is better:
    #   CAGR     = (110/100)^(1/2) - 1 = 1.0488088 - 1 = 0.0488088
    #   CAGR_req = (130/100)^(1/3) - 1 = 1.0913929 - 1 = 0.0913929
    #   R        = 0.0488088 / 0.0913929 = 0.534055        -> 0 <= R < 0.60: limited_progress (red)
    #   score    = 4.1667 * 0.534055 - 2.5 = -0.274752
    v = R.open_sdg(100, 2022, 110, 2024, 130, 2025, +1, SDG)
    assert v.numbers["CAGR"] == pytest.approx(0.0488088, abs=1e-6)
    assert v.numbers["CAGR_req"] == pytest.approx(0.0913929, abs=1e-6)
    assert v.ratio == pytest.approx(0.534055, abs=1e-4)  # shown to 4 decimals
    assert (v.label, v.light, v.label_zh) == ("limited_progress", "red", "滞后")
    assert v.score == pytest.approx(-0.274751, abs=1e-4)
    assert "R = 0.53" in v.reason


def test_open_sdg_worked_example_on_track_and_achieved() -> None:
    # y0 = 50, yt = 60 after 2 years, target 66 after 3: CAGR = (1.2)^(1/2) - 1 = 0.0954451,
    # CAGR_req = (1.32)^(1/3) - 1 = 0.0969613, R = 0.984363 -> on_track; score = 7.1429*0.984363 - 4.2857 = 2.7455
    v = R.open_sdg(50, 2022, 60, 2024, 66, 2025, +1, SDG)
    assert v.ratio == pytest.approx(0.984363, abs=1e-4) and v.label == "on_track" and v.light == "green"
    assert v.score == pytest.approx(2.7455, abs=1e-3)
    met = R.open_sdg(50, 2022, 66, 2024, 66, 2025, +1, SDG)
    assert (met.label, met.light, met.score) == ("achieved", "green", 5.0)


def test_open_sdg_reduction_on_an_index() -> None:
    # 比2020年下降15%: baseline index 100 (2020), target 85 (2025), less is better (d = -1).
    # Index 93.12 in 2022 (-3% then -4%): CAGR = (0.9312)^(1/2) - 1 = -0.0350...; CAGR_req = (0.85)^(1/5) - 1 =
    # -0.0319851; R = -1 * -0.0350 / 0.0319851 = 1.0944 -> on_track.
    v = R.open_sdg(100, 2020, 93.12, 2022, 85, 2025, -1, SDG)
    assert v.numbers["CAGR"] == pytest.approx(math.sqrt(0.9312) - 1, abs=1e-6)
    assert v.numbers["CAGR_req"] == pytest.approx(0.85 ** 0.2 - 1, abs=1e-6)
    assert v.ratio == pytest.approx((1 - math.sqrt(0.9312)) / (1 - 0.85 ** 0.2), abs=1e-4)
    assert v.label == "on_track"
    worse = R.open_sdg(100, 2020, 101, 2022, 85, 2025, -1, SDG)  # the index rose: deterioration
    assert worse.label == "deterioration" and worse.light == "red" and worse.ratio is not None and worse.ratio < 0


@pytest.mark.parametrize(("ratio", "label"), [
    (0.96, "on_track"), (0.95, "on_track"), (0.9499, "acceleration_needed"),
    (0.61, "acceleration_needed"), (0.60, "acceleration_needed"), (0.5999, "limited_progress"),
    (0.01, "limited_progress"), (0.0, "limited_progress"), (-0.0001, "deterioration"),
])
def test_open_sdg_thresholds(ratio: float, label: str) -> None:
    assert R.open_sdg_label(ratio, SDG) == label


@pytest.mark.parametrize("wanted", [0.95, 0.60])
def test_open_sdg_threshold_reached_through_the_formula(wanted: float) -> None:
    """yt chosen so that R is exactly a threshold lands on it, not a hair below."""
    required = 1.3 ** (1 / 3) - 1
    yt = 100 * (1 + wanted * required) ** 2
    v = R.open_sdg(100, 2022, yt, 2024, 130, 2025, +1, SDG)
    assert v.ratio == pytest.approx(wanted, abs=1e-9)
    assert v.label == ("on_track" if wanted == 0.95 else "acceleration_needed")


def test_open_sdg_without_a_later_year_is_no_data() -> None:
    v = R.open_sdg(100, 2022, 100, 2022, 130, 2025, +1, SDG)
    assert (v.light, v.label) == ("grey", "no_data")


@pytest.mark.parametrize(("ratio", "score"), [
    (1.3, 5.0), (2.0, 5.0), (0.95, 2.5), (0.6, 0.0), (0.3, -1.25), (0.0, -2.5), (-0.6, -5.0), (-2.0, -5.0),
])
def test_series_score_worked_examples(ratio: float, score: float) -> None:
    # 7.1429*1.3 - 4.2857 = 5.0001 -> capped at 5; 7.1429*0.95 - 4.2857 = 2.5001; 7.1429*0.6 - 4.2857 = 0.00004;
    # 4.1667*0.3 - 2.5 = -1.25; 4.1667*0 - 2.5 = -2.5; 4.1667*-0.6 - 2.5 = -5.00002 -> capped at -5
    assert R.series_score(ratio) == pytest.approx(score, abs=1e-3)
    assert R.series_score(None, achieved=True) == 5.0


@pytest.mark.parametrize(("score", "label"), [
    (5.0, "on_track"), (2.5, "on_track"), (2.49, "acceleration_needed"), (0.0, "acceleration_needed"),
    (-0.01, "limited_progress"), (-2.5, "limited_progress"), (-2.51, "deterioration"), (-5.0, "deterioration"),
])
def test_roll_up_bands(score: float, label: str) -> None:
    assert R.band(score, CFG["score"]["bands"]) == label


# -- 序时进度 -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ytd", "light", "label", "gap"), [
    (55, "green", "on_track", -5.0),  # ahead of pace
    (50, "green", "on_track", 0.0),  # g = 0: exactly on pace
    (49.9, "green", "watch", 0.1),  # 0 < g < 10
    (40.1, "green", "watch", 9.9),
    (40, "yellow", "acceleration_needed", 10.0),  # g = 10
    (20, "yellow", "acceleration_needed", 30.0),  # g = 30
    (19.9, "red", "limited_progress", 30.1),  # g > 30
    (100, "green", "achieved", -50.0),
])
def test_pace_municipal_thresholds(ytd: float, light: str, label: str, gap: float) -> None:
    # annual target 100, June (6 of 12 months): tau = 0.5, P = ytd/100, g = (0.5 - P) x 100
    v = R.pace(ytd, 100, 6, CFG["pace"])
    assert (v.light, v.label) == (light, label)
    assert v.gap == pytest.approx(gap, abs=1e-9) and v.numbers["tau"] == 0.5


@pytest.mark.parametrize(("ytd", "light"), [(50, "green"), (49.9, "yellow"), (25, "yellow"), (24.9, "red")])
def test_pace_half_pace_preset(ytd: float, light: str) -> None:
    # P/tau >= 1 green; 0.5 <= P/tau < 1 yellow; below red. tau = 0.5: P/tau = ytd/50
    cfg = {**CFG["pace"], "preset": "half_pace"}
    assert R.pace(ytd, 100, 6, cfg).light == light


def test_pace_over_a_three_year_cumulative() -> None:
    # 实际利用外资三年累计50亿美元: 12.1 after the first 12 of 36 months: P = 0.242, tau = 1/3, g = 9.13 -> watch
    v = R.pace(12.1, 50, 12, CFG["pace"], total_months=36)
    assert v.numbers["g"] == pytest.approx(9.13, abs=0.005) and (v.light, v.label) == ("green", "watch")


# -- growth-rate targets -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("achieved", "light"), [
    (7.5, "green"), (7.0, "green"), (6.99, "yellow"), (6.0, "yellow"), (5.99, "red"), (-1.0, "red"),
])
def test_growth_rate_against_target_with_tolerance(achieved: float, light: str) -> None:
    v = R.growth_rate(achieved, 7.0, CFG["growth_rate"])  # target 7%, tolerance 1 point
    assert v.light == light
    assert v.numbers["gap_pp"] == pytest.approx(7.0 - achieved)


def test_average_growth_is_the_geometric_mean() -> None:
    # 10% then 12%: (1.10 * 1.12)^(1/2) - 1 = 1.109955 - 1 = 10.9955%
    assert R.average_growth([10, 12]) == pytest.approx(10.9955, abs=1e-4)
    assert R.average_growth([4.5]) == pytest.approx(4.5)


# -- relative and qualitative --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "light", "label"), [
    (6.0, "green", "above_both"), (5.25, "yellow", "above_one"), (5.2, "red", "above_neither"),
    (5.0, "red", "above_neither"),
])
def test_relative_against_the_nation_and_the_province(value: float, light: str, label: str) -> None:
    v = R.relative(value, {"全国": 5.2, "辽宁省": 5.3}, "2023")
    assert (v.light, v.label) == (light, label)


def test_relative_without_a_reference_is_no_data() -> None:
    v = R.relative(6.0, {"全国": 5.2, "辽宁省": None}, "2024")
    assert v.light == "grey" and "辽宁省" in v.reason


@pytest.mark.parametrize(("value", "light"), [(5.5, "green"), (5.2, "green"), (4.2, "yellow"), (4.19, "red")])
def test_in_step_with_economic_growth(value: float, light: str) -> None:
    assert R.in_step(value, 5.2, "2024", 1.0).light == light


def test_qualitative_light_given_or_no_data() -> None:
    assert R.qualitative("yellow", "评估中").light == "yellow"
    assert R.qualitative(None, None).label == "no_data"


def test_rules_file_names_a_source_for_every_rule() -> None:
    for section in ("open_sdg", "pace", "growth_rate", "relative", "score"):
        assert CFG[section]["source"].strip()


def test_a_bad_rules_file_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kg.errors import UsageError

    bad = tmp_path / "rules.yaml"
    bad.write_text("indicators: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not valid YAML"):
        R.load_rules(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(UsageError, match="mapping of sections"):
        R.load_rules(bad)


# -- properties ------------------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.integers(2022, 2025), st.sampled_from(["", "-Q1", "-Q2", "-Q3", "-Q4", "-H1", "-H2"] +
                                                 [f"-{m:02d}" for m in range(1, 13)]))
def test_a_period_ends_in_its_own_year_and_reads_back(year: int, part: str) -> None:
    from kg.progress.readings import parse_period

    period = parse_period(f"{year}{part}")
    assert period is not None and period.year == year and 1 <= period.end_month <= 12
    assert parse_period(period.text) == period and period.end.startswith(str(year))


@settings(max_examples=200, deadline=None)
@given(st.floats(0.01, 1e6), st.floats(0.01, 1e6), st.integers(1, 5))
def test_open_sdg_ratio_sign_follows_the_direction_of_change(y0: float, yt: float, years: int) -> None:
    target = y0 * 2  # more is better, growth required
    v = R.open_sdg(y0, 2022, yt, 2022 + years, target, 2022 + years + 1, +1, SDG)
    if yt >= target:
        assert v.label == "achieved"
    elif yt > y0 * 1.001:  # clearly up (a change within rounding of zero may land on R = 0)
        assert v.ratio is not None and v.ratio > 0 and v.label != "deterioration"
    elif yt < y0 * 0.999:  # clearly down
        assert v.label == "deterioration" and v.light == "red"
