"""Plots of a key: the loss against the step. The ticks are chosen once
(:func:`ticks`): whole steps on the x axis, and y tick labels with just enough
decimals to tell each from the next. LaTeX keys draw them with PGFPlots
(:func:`axis_options`, a Jinja filter of the ``.tex`` templates), Markdown and HTML keys
as SVG drawn with leather (:func:`svg`: light, pure Python, the same bytes on every run).
The ticks are matplotlib's ``MaxNLocator``'s (:mod:`.ticks`)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

from ..key.model import Plot
from .ticks import tick_values

_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

#: At most this many ticks on an axis.
MAX_TICKS = 8


class Ticks(msgspec.Struct, frozen=True):
    """Where the ticks of a plot go: x ticks at whole steps, y ticks at round values
    with their labels (distinct, with the fewest decimals that tell them apart and show
    each tick exactly, in units of 10^exponent when the values are very small or large);
    the axes span the outer ticks."""

    x: tuple[int, ...]
    y: tuple[float, ...]
    y_labels: tuple[str, ...]
    exponent: int = 0  # the labels are the ticks over 10^exponent (very small or large values)


def ticks(plot: Plot) -> Ticks:
    """The ticks of ``plot``."""
    xs = [p[0] for p in plot.points]
    ys = [p[1] for p in plot.points]
    x_at = tick_values(min(xs), max(xs), nbins=MAX_TICKS - 1, steps=[1, 2, 5, 10], integer=True, min_n_ticks=1)
    x = tuple(round(t) for t in x_at if min(xs) - 1e-9 <= t <= max(xs) + 1e-9)
    lo, hi = min(ys), max(ys)
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1e-300):  # a flat curve: a band around it
        lo, hi = lo - (abs(lo) * 0.05 or 1e-3), hi + (abs(hi) * 0.05 or 1e-3)
    y_at = tick_values(lo, hi, nbins=5, steps=[1, 2, 2.5, 5, 10])
    while len(y_at) > 2 and y_at[1] <= lo:  # the outer ticks just cover the values
        y_at.pop(0)
    while len(y_at) > 2 and y_at[-2] >= hi:
        y_at.pop()
    top = max(abs(y_at[0]), abs(y_at[-1]))
    exponent = 0 if 1e-3 <= top < 1e5 else math.floor(math.log10(top))
    scaled = [t / 10 ** exponent for t in y_at]
    step = scaled[1] - scaled[0]
    for decimals in range(16):
        labels = [f"{t:.{decimals}f}" for t in scaled]
        if len(set(labels)) == len(labels) and all(abs(float(s) - t) < step * 1e-6 for s, t in zip(labels, scaled)):
            break
    return Ticks(x, tuple(float(f"{t:.12g}") for t in y_at), tuple(labels), exponent)


def axis_options(plot: Plot) -> str:
    """The PGFPlots ``axis`` options of ``plot``: its labels, its span, and the ticks
    of :func:`ticks` (y tick labels written out, so that they are exactly those)."""
    t = ticks(plot)
    xs = [p[0] for p in plot.points]
    ylabel = plot.ylabel + (rf" ($\times 10^{{{t.exponent}}}$)" if t.exponent else "")
    y_labels = ", ".join("{$" + s + "$}" for s in t.y_labels)
    y_at = ", ".join(f"{v:.12g}" for v in t.y)
    return (f"width=0.8\\textwidth, height=6cm, xlabel={{{plot.xlabel}}}, ylabel={{{ylabel}}},\n"
            f"  xmin={min(xs):g}, xmax={max(max(xs), min(xs) + 1):g}, xtick={{{', '.join(str(v) for v in t.x)}}},\n"
            f"  ymin={t.y[0]:.12g}, ymax={t.y[-1]:.12g}, ytick={{{y_at}}},\n"
            f"  yticklabels={{{y_labels}}},\n"
            f"  grid=major, scaled x ticks=false, scaled y ticks=false")


#: leather's theme for the keys' plots (its module-level settings, set while one is drawn)
THEME = dict(background_color="#ffffff", title_color="#222", title_font_family=_FONT, title_font_size=15,
             title_font_char_width=8, axis_title_color="#333", axis_title_font_family=_FONT,
             axis_title_font_size=13, axis_title_font_char_width=7, tick_color="#e4e4e4", zero_color="#999",
             label_color="#333", tick_font_family=_FONT, tick_font_size=12, tick_font_char_width=7)
LINE = "#1f77b4"  # the blue of matplotlib's first colour, which drew these curves before


@contextmanager
def _theme() -> Iterator[None]:
    from leather import theme

    before = {k: getattr(theme, k) for k in THEME}
    try:
        for k, v in THEME.items():
            setattr(theme, k, v)
        yield
    finally:
        for k, v in before.items():
            setattr(theme, k, v)


def _span(leather):
    """A linear leather scale over exactly its domain (``leather.Linear`` widens it to
    round values of its own ticker: the axes span the outer ticks of :func:`ticks`)."""
    from decimal import Decimal

    class Span(leather.Linear):
        def __init__(self, domain_min, domain_max):  # noqa: D107 - the axes take ticks(): leather's own
            # ticker is not built (it raised decimal.InvalidOperation on a diverging run's losses)
            lo, hi = Decimal(domain_min), Decimal(domain_max)
            self._data_min, self._data_max = (lo, hi) if lo < hi else (Decimal(0), Decimal(1))

        def project(self, value, range_min, range_max):
            pos = (Decimal(value) - self._data_min) / (self._data_max - self._data_min)
            return (Decimal(range_max) - Decimal(range_min)) * pos + Decimal(range_min)

    return Span


def svg(plot: Plot) -> str:
    """The plot as an SVG document (text), 640 × 360 pixels, with the ticks of
    :func:`ticks` (a minus sign, not a hyphen, in negative labels)."""
    import leather

    t = ticks(plot)
    xs = [p[0] for p in plot.points]
    labels = [s.replace("-", "\u2212") for s in t.y_labels]
    chart = leather.Chart(plot.title)
    chart.set_x_scale(_span(leather)(min(xs), max(max(xs), min(xs) + 1)))
    chart.set_y_scale(_span(leather)(t.y[0], t.y[-1]))
    chart.add_x_axis(ticks=list(t.x), tick_formatter=lambda v, i, n: f"{v:,}", name=plot.xlabel)
    chart.add_y_axis(ticks=list(t.y), tick_formatter=lambda v, i, n: labels[i],
                     name=plot.ylabel + (f" (×10{_superscript(t.exponent)})" if t.exponent else ""))
    chart.add_line([(float(x), float(y)) for x, y in plot.points], stroke_color=LINE, width=1.8)
    with _theme():
        return chart.to_svg(width=640, height=360)


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"))
