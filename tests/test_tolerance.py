"""The tolerance rules of grading (solver/core/tolerance.py), at both edges of each."""

from fractions import Fraction as F

import pytest

from solver.core.tolerance import Tolerance, accepts, bound, half_unit, padded, rounded
from solver.problem import validate

V = F("0.238764")  # displayed at 4 figures as 0.2388


@pytest.mark.parametrize("x, ok", [("0.2388", True), ("0.23875", True), ("0.23885", True),
                                   ("0.238749", False), ("0.238851", False), ("0.239", False)])
def test_default_accepts_whatever_rounds_to_the_display(x, ok):
    assert accepts(F(x), V, Tolerance(), "0.2388") is ok


@pytest.mark.parametrize("x, ok", [("0.239", True), ("0.240", True), ("0.238", True), ("0.2401", False),
                                   ("0.2379", False)])
def test_sigfigs_is_right_to_the_figures_with_one_unit_of_slack(x, ok):
    assert rounded(V, 3) == F("0.239")
    assert accepts(F(x), V, Tolerance("sigfigs", 3)) is ok


@pytest.mark.parametrize("tol, x, ok", [
    (Tolerance("absolute", F("0.005")), "0.243764", True), (Tolerance("absolute", F("0.005")), "0.243765", False),
    (Tolerance("absolute", F("0.005")), "0.233764", True), (Tolerance("absolute", F("0.005")), "0.233763", False),
    (Tolerance("relative", F("0.01")), str(V * F("1.01")), True),
    (Tolerance("relative", F("0.01")), str(V * F("1.01") + F(1, 10**12)), False),
    (Tolerance("relative", F("0.01")), str(V * F("0.99")), True),
])
def test_absolute_and_relative_edges(tol, x, ok):
    assert accepts(F(x), V, tol) is ok


def test_half_unit_of_the_last_digit():
    assert half_unit("0.2388") == F(1, 20000) and half_unit("12") == F(1, 2) and half_unit("1.5e-05") == F(1, 2 * 10**6)
    assert half_unit("557,057") == F(1, 2)


def test_grading_block_defaults_and_points():
    base = {"title": "t", "network": {"inputs": {"x1": 1}, "layers": [
        {"units": 1, "activation": "linear", "weights": [[0.5]], "bias": 0}]}, "loss": "sse", "target": [0],
        "questions": [{"id": "q", "ask": ["loss"]}]}
    g = validate({**base, "grading": {"points": {"default": 2, "L": 3, "update": 0.5}}}).grading
    assert g.rule() == Tolerance() and g.share_carried() == F(4, 5)
    assert (g.points_for("loss", "L"), g.points_for("update", "w1"), g.points_for("gradient", "w1")) == (3, F(1, 2), 2)
    g = validate({**base, "grading": {"tolerance": {"sigfigs": 3}, "carried_forward": 0.5}}).grading
    assert g.rule() == Tolerance("sigfigs", 3) and g.share_carried() == F(1, 2)


@pytest.mark.parametrize("value, shown, half", [
    (F(123476700, 10000), "1.235E+4", F(5)),       # 12,347.67: the unit is 10, not 1
    (F(31744), "3.174E+4", F(5)),                 # an exact count of 31,744 at 4 figures
    (F(557057), "5.571E+5", F(50)),
    (F(2388, 10000), "0.2388", F(1, 20000)),
    (F(1, 2), "0.5000", F(1, 20000)),
])
def test_a_display_rounded_to_tens_or_more_keeps_its_figures(value, shown, half):
    """At 4 significant figures 12,347.67 shows as 12,350: half a unit of its last figure is
    5, so the exact answer (and every number that rounds to 12,350) is accepted; read as the
    integer "12350", its tolerance was 0.5 and the exact answer was marked wrong (in grade and
    in every export)."""
    assert padded(value, 4) == shown
    assert bound(value, Tolerance(), shown) == half
    assert accepts(value, value, Tolerance(), shown)
