"""Shared fixtures: a click runner for the CLI."""

import pytest
from click.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    """A CliRunner that keeps stderr apart from stdout (click 8.2+ always does;
    older versions need ``mix_stderr=False``)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()
