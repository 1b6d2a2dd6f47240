"""Plots of a key: the loss against the step. The ticks are chosen once
(:func:`ticks`): whole steps on the x axis, and y tick labels with just enough
decimals to tell each from the next. LaTeX keys draw them with PGFPlots
(:func:`axis_options`, a Jinja filter of the ``.tex`` templates), Markdown keys as SVG
drawn with matplotlib (:func:`svg`; reproducible: no date, a fixed hash salt)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from ..key.model import Plot

#: At most this many ticks on an axis.
MAX_TICKS = 8


@dataclass(frozen=True)
class Ticks:
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
    from matplotlib.ticker import MaxNLocator

    xs = [p[0] for p in plot.points]
    ys = [p[1] for p in plot.points]
    x_at = MaxNLocator(nbins=MAX_TICKS - 1, steps=[1, 2, 5, 10], integer=True, min_n_ticks=1).tick_values(
        min(xs), max(xs))
    x = tuple(round(t) for t in x_at if min(xs) - 1e-9 <= t <= max(xs) + 1e-9)
    lo, hi = min(ys), max(ys)
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1e-300):  # a flat curve: a band around it
        lo, hi = lo - (abs(lo) * 0.05 or 1e-3), hi + (abs(hi) * 0.05 or 1e-3)
    y_at = list(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi))
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


def svg(plot: Plot) -> str:
    """The plot as an SVG document (text), with the ticks of :func:`ticks` (a minus
    sign, not a hyphen, in negative labels)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    t = ticks(plot)
    with matplotlib.rc_context({"svg.hashsalt": "nnsolve", "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        try:
            xs = [p[0] for p in plot.points]
            ys = [p[1] for p in plot.points]
            ax.plot(xs, ys, color="tab:blue", linewidth=1.8)
            ax.set_xlim(min(xs), max(max(xs), min(xs) + 1))
            ax.set_xticks(t.x, [f"{v:,}" for v in t.x])
            ax.set_ylim(t.y[0], t.y[-1])
            ax.set_yticks(t.y, [s.replace("-", "\u2212") for s in t.y_labels])
            ax.set_xlabel(plot.xlabel)
            ax.set_ylabel(plot.ylabel + (f" (×10{_superscript(t.exponent)})" if t.exponent else ""))
            ax.set_title(plot.title)
            ax.grid(True, alpha=0.3)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    return buf.getvalue()


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"))
