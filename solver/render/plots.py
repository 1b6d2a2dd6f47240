"""Plots as SVG text, drawn with matplotlib (for Markdown keys; LaTeX keys draw the
same data with PGFPlots). The SVG is reproducible: no date, a fixed hash salt."""

from __future__ import annotations

import io

from ..key.model import Plot


def svg(plot: Plot) -> str:
    """The plot as an SVG document (text)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    with matplotlib.rc_context({"svg.hashsalt": "nnsolve", "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        try:
            xs = [p[0] for p in plot.points]
            ys = [p[1] for p in plot.points]
            ax.plot(xs, ys, color="tab:blue", linewidth=1.8)
            ax.set_xlabel(plot.xlabel)
            ax.set_ylabel(plot.ylabel)
            ax.set_title(plot.title)
            ax.grid(True, alpha=0.3)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    return buf.getvalue()
