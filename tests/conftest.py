"""Shared fixtures: a click runner for the CLI; mpmath's working precision put back after
every test, so that a test which sets it (``mp.dps = 40``) cannot change the ones after it."""

import mpmath
import pytest
from click.testing import CliRunner

import solver  # noqa: F401 - first, before sympy: sympy's integers as the command line has them


@pytest.fixture(autouse=True)
def _mpmath_precision_put_back():
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps


@pytest.fixture
def runner() -> CliRunner:
    """A CliRunner that keeps stderr apart from stdout (click 8.2+ always does;
    older versions need ``mix_stderr=False``)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()
