"""The plots' tick values (solver/render/ticks.py) against matplotlib's own MaxNLocator:
the same floats, on the ranges of the bundled plots and on generated ones."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.render.ticks import tick_values

ticker = pytest.importorskip("matplotlib.ticker")

#: the two locators of solver/render/plots.py: x at whole steps, y at round values
LOCATORS = [dict(nbins=7, steps=[1, 2, 5, 10], integer=True, min_n_ticks=1),
            dict(nbins=5, steps=[1, 2, 2.5, 5, 10])]


def _theirs(vmin: float, vmax: float, params: dict) -> list[float]:
    return [float(t) for t in ticker.MaxNLocator(**params).tick_values(vmin, vmax)]


@pytest.mark.parametrize("params", LOCATORS)
@pytest.mark.parametrize("vmin, vmax", [
    (0, 3), (0, 1000), (1, 1), (0, 1), (0.0072, 0.2503), (0.2499, 0.2501), (-3.5, 12.25),
    (1e-9, 3e-9), (123456.0, 123456.5), (100.0, 100.0), (0.0, 0.0), (-1e-300, 1e-300),
    (5e5, 5e5 + 1), (0.1, 0.30000000000000004), (2, 1), (1e15, 1e15 + 3),
])
def test_the_same_floats_as_matplotlib(vmin, vmax, params):
    assert tick_values(vmin, vmax, **params) == _theirs(vmin, vmax, params)


def _finite(lo: float, hi: float):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(a=_finite(-1e6, 1e6), width=st.one_of(_finite(0, 1e-6), _finite(0, 10), _finite(0, 1e6)),
       which=st.sampled_from([0, 1]))
def test_generated_ranges(a, width, which):
    params = LOCATORS[which]
    b = a + width
    if params.get("integer"):  # x: whole steps, from 0 or 1
        a, b = float(math.floor(abs(a))), float(math.floor(abs(a)) + math.floor(width))
    assert tick_values(a, b, **params) == _theirs(a, b, params)


@settings(max_examples=200, deadline=None)
@given(scale=st.integers(-12, 12), lo=_finite(0, 1), width=_finite(1e-9, 1))
def test_generated_losses_at_every_scale(scale, lo, width):
    params = LOCATORS[1]
    a, b = lo * 10.0 ** scale, (lo + width) * 10.0 ** scale
    assert tick_values(a, b, **params) == _theirs(a, b, params)
