"""The collector is paused inside collector_paused and left as it was after, also when the
block raises; a collector that was off stays off."""

from __future__ import annotations

import gc

import pytest

from solver.core.collector import collector_paused


def test_paused_inside_and_enabled_again_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_enabled_again_when_the_block_raises():
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("in the block")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_freeze_moves_what_the_block_made_to_the_permanent_generation():
    """As the CLI's imports use it: what is alive at the end is frozen, then collecting resumes;
    a collector that was off is neither frozen nor turned on."""
    gc.unfreeze()
    try:
        with collector_paused(freeze=True):
            made = [[i] for i in range(1000)]  # noqa: F841 - alive at the end of the block
        assert gc.isenabled() and gc.get_freeze_count() >= 1000
        gc.unfreeze()
        gc.disable()
        with collector_paused(freeze=True):
            pass
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        gc.enable()
