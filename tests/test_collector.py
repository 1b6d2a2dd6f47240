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
