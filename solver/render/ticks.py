"""Tick values of a plot axis: matplotlib's ``MaxNLocator.tick_values``, in plain floats.

The keys' loss curves have always had their ticks chosen by matplotlib's
``MaxNLocator`` (``matplotlib/ticker.py``, 3.7–3.11: ``scale_range``, ``_Edge_integer``,
``MaxNLocator._raw_ticks`` and ``tick_values``; ``matplotlib/transforms.py``:
``_nonsingular``), for a two-dimensional axis, ``axes.autolimit_mode: data``, no
``prune`` and no ``symmetric``. Importing matplotlib costs a key with a plot about
0.2 s (numpy and matplotlib's set-up) for a computation of a few microseconds, so this
module does the same float operations in the same order, without numpy: the ticks are
the same floats, and the keys' PGFPlots axes the same bytes. ``tests/test_ticks.py``
checks it against matplotlib's own ``MaxNLocator`` (a test dependency) on the
bundled plots and on generated ranges.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence


def _nonsingular(vmin: float, vmax: float, expander: float, tiny: float) -> tuple[float, float]:
    """``matplotlib.transforms._nonsingular`` (``increasing=True``)."""
    if not (math.isfinite(vmin) and math.isfinite(vmax)):
        return -expander, expander
    if vmax < vmin:
        vmin, vmax = vmax, vmin
    vmin, vmax = float(vmin), float(vmax)
    maxabsvalue = max(abs(vmin), abs(vmax))
    if maxabsvalue < (1e6 / tiny) * sys.float_info.min:
        return -expander, expander
    if vmax - vmin <= maxabsvalue * tiny:
        if vmax == 0 and vmin == 0:
            return -expander, expander
        vmin -= expander * abs(vmin)
        vmax += expander * abs(vmax)
    return vmin, vmax


def _scale_range(vmin: float, vmax: float, n: int, threshold: float = 100) -> tuple[float, float]:
    """``matplotlib.ticker.scale_range``: the power of ten of a bin, and an offset."""
    dv = abs(vmax - vmin)
    meanv = (vmax + vmin) / 2
    offset = 0.0 if abs(meanv) / dv < threshold else math.copysign(10 ** (math.log10(abs(meanv)) // 1), meanv)
    return 10 ** (math.log10(dv / n) // 1), offset


class _Edge:
    """``matplotlib.ticker._Edge_integer``: multiples of ``step`` with float slop."""

    def __init__(self, step: float, offset: float) -> None:
        self.step, self._offset = step, abs(offset)

    def _closeto(self, ms: float, edge: float) -> bool:
        if self._offset > 0:
            tol = min(0.4999, max(1e-10, 10 ** (math.log10(self._offset / self.step) - 12)))
        else:
            tol = 1e-10
        return abs(ms - edge) < tol

    def le(self, x: float) -> float:
        d, m = divmod(x, self.step)
        return d + 1 if self._closeto(m / self.step, 1) else d

    def ge(self, x: float) -> float:
        d, m = divmod(x, self.step)
        return d if self._closeto(m / self.step, 0) else d + 1


def _extended(steps: Sequence[float]) -> list[float]:
    """``MaxNLocator._validate_steps`` then ``_staircase``: the steps, a decade below and one above."""
    s = list(steps)
    if s[0] != 1:
        s = [1, *s]
    if s[-1] != 10:
        s = [*s, 10]
    return [0.1 * v for v in s[:-1]] + [float(v) for v in s] + [float(10 * s[1])]


def tick_values(vmin: float, vmax: float, nbins: int, steps: Sequence[float], integer: bool = False,
                min_n_ticks: int = 2) -> list[float]:
    """The ticks ``MaxNLocator(nbins=nbins, steps=steps, integer=integer,
    min_n_ticks=min_n_ticks).tick_values(vmin, vmax)`` gives: at most ``nbins + 1`` evenly
    spaced round values within [vmin, vmax] (one more beyond each end where the
    multiples of the step need it).

    Args:
        steps: increasing multiples in [1, 10] a tick spacing may be (times a power of 10).
        integer: only whole spacings, when ``min_n_ticks`` whole values fit.
    """
    min_n_ticks = max(1, min_n_ticks)
    vmin, vmax = _nonsingular(vmin, vmax, expander=1e-13, tiny=1e-14)
    scale, offset = _scale_range(vmin, vmax, nbins)
    lo, hi = vmin - offset, vmax - offset
    candidates = [s * scale for s in _extended(steps)]
    if integer:
        candidates = [s for s in candidates if s < 1 or abs(s - round(s)) < 0.001]
    raw_step = (hi - lo) / nbins
    large = [i for i, s in enumerate(candidates) if s >= raw_step]
    istep = large[0] if large else len(candidates) - 1
    ticks: list[float] = []
    for step in reversed(candidates[:istep + 1]):
        if integer and math.floor(hi) - math.ceil(lo) >= min_n_ticks - 1:
            step = max(1, step)
        best_vmin = (lo // step) * step
        edge = _Edge(step, offset)
        low, high = edge.le(lo - best_vmin), edge.ge(hi - best_vmin)
        ticks = [(low + k) * step + best_vmin for k in range(int(high - low) + 1)]
        if sum(lo <= t <= hi for t in ticks) >= min_n_ticks:
            break
    return [t + offset for t in ticks]
