"""The pieces every diagram is laid out with: nodes, edges, matrices beside the drawing, the
diagram itself (lengths in centimetres, labels LaTeX math), and a graph box's size."""

from __future__ import annotations

from functools import lru_cache

import msgspec

from .measure import LABEL_PT, NAME_PT, size
from .placement import Box

#: A neuron's radius (TikZ ``minimum size=9mm``).
RADIUS = 0.45


class DNode(msgspec.Struct, frozen=True):
    id: str
    label: str           # LaTeX math (without $)
    x: float
    y: float
    note: str = ""       # a second line (value, gradient), LaTeX math
    kind: str = "neuron"  # neuron, input, bias, dots, tag, stage, leaf
    w: float = 0.0       # the box's size (bias, tag, stage, leaf)
    h: float = 0.0


class DEdge(msgspec.Struct, frozen=True):
    src: str
    dst: str
    label: str = ""
    pos: float = 0.5      # where along the edge its label's centre sits (0 = source's centre)
    box: Box | None = None  # the label's box
    bend: bool = False     # a skip connection, arcing over the columns between
    start: tuple[float, float] | None = None  # where a straight edge leaves its source's box (its
    end: tuple[float, float] | None = None    # port), where it enters its target's; None: on the centre line
    via: tuple[tuple[float, float], tuple[float, float]] | None = None  # a curve's control points


class DMatrix(msgspec.Struct, frozen=True):
    """A weight matrix written beside the drawing: ``name = [rows]``, centred at (x, y)."""

    name: str
    rows: tuple[tuple[str, ...], ...]
    x: float
    y: float
    w: float
    h: float


class Diagram(msgspec.Struct, frozen=True):
    nodes: tuple[DNode, ...]
    edges: tuple[DEdge, ...]
    captions: tuple[tuple[float, float, str], ...] = ()  # (x, y, text) under the columns
    matrices: tuple[DMatrix, ...] = ()


def box_size(label: str, note: str) -> tuple[float, float]:
    """A graph node's box: its name at 10 pt over its note at 8 pt."""
    w = max(size(label, NAME_PT)[0], size(note, LABEL_PT)[0] if note else 0.0, 1.0) + 0.2
    return w, (0.95 if note else 0.6)


@lru_cache(maxsize=4096)
def label_size(label: str) -> tuple[float, float]:
    """An edge label's, bias's or tag's box (:func:`.measure.size` at ``LABEL_PT``), kept for
    the layouts tried and the keys after (the same names and values recur)."""
    return size(label, LABEL_PT)
