"""The kinds' colours stay apart for the common colour-vision deficiencies: each colour is passed through the
simulation matrices of Machado, Oliveira and Fernandes (2009, severity 1.0, linear RGB) and every pair of the
kinds a data view shows must stay at least 15 CIELAB units (ΔE*ab 1976) apart. The palette before this change
(task green next to department teal) came out at 7.7 for tritanopia and 11.5 for protanopia."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kg.render.views import KIND_STYLE

SIMULATE = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
    "normal vision": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
}
DATA_KINDS = ("Principle", "OverallGoal", "Target", "Area", "Task", "Indicator", "Department")
OLD = {"Principle": "#8e24aa", "OverallGoal": "#b71c1c", "Target": "#e53935", "Area": "#1e88e5", "Task": "#43a047",
       "Indicator": "#fb8c00", "Department": "#00897b"}


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(palette: dict[str, str], vision: str) -> tuple[float, str, str]:
    m = np.array(SIMULATE[vision])
    seen = {k: _lab(np.clip(m @ _linear(c), 0, 1)) for k, c in palette.items()}
    return min((float(np.linalg.norm(seen[a] - seen[b])), a, b) for a, b in itertools.combinations(palette, 2))


@pytest.mark.parametrize("vision", sorted(SIMULATE))
def test_kind_colours_stay_apart(vision: str) -> None:
    palette = {k: KIND_STYLE[k][0] for k in DATA_KINDS}
    distance, a, b = closest_pair(palette, vision)
    assert distance >= 15, f"{a} and {b} are {distance:.1f} apart for {vision}"


def test_the_check_catches_the_old_palette() -> None:
    assert closest_pair(OLD, "tritanopia")[0] < 15


def test_each_kind_has_its_own_marker_too() -> None:
    """Colour is never the only cue: the data kinds also differ by shape, in the page and in the image."""
    assert len({KIND_STYLE[k][2] for k in DATA_KINDS}) == len(DATA_KINDS)
