"""Where a network diagram's edge labels go: along each edge, as near its source as
they can sit without touching a node, a tag, another label or another edge (greedy,
edge by edge), so that every label reads as its own edge's. All lengths in centimetres."""

from __future__ import annotations

import msgspec

#: The clearance kept between two labels, and between a label and a node.
GAP, NODE_GAP = 0.05, 0.1


class Box(msgspec.Struct, frozen=True):
    """An axis-parallel rectangle: centre (x, y), width w, height h."""

    x: float
    y: float
    w: float
    h: float

    @property
    def x0(self) -> float:
        return self.x - self.w / 2

    @property
    def x1(self) -> float:
        return self.x + self.w / 2

    @property
    def y0(self) -> float:
        return self.y - self.h / 2

    @property
    def y1(self) -> float:
        return self.y + self.h / 2

    def meets(self, other: Box, gap: float = 0.0) -> bool:
        """Whether the two rectangles overlap, or come closer than ``gap``."""
        return (self.x0 < other.x1 + gap and other.x0 < self.x1 + gap
                and self.y0 < other.y1 + gap and other.y0 < self.y1 + gap)

    def meets_circle(self, x: float, y: float, r: float, gap: float = 0.0) -> bool:
        """Whether the rectangle overlaps the disc of radius ``r`` at (x, y)."""
        dx = max(self.x0 - x, 0.0, x - self.x1)
        dy = max(self.y0 - y, 0.0, y - self.y1)
        return dx * dx + dy * dy < (r + gap) ** 2


class Wanted(msgspec.Struct, frozen=True):
    """A label to place on the segment from ``a`` to ``b`` (centres of its nodes), of
    size ``w`` × ``h``."""

    a: tuple[float, float]
    b: tuple[float, float]
    w: float
    h: float


#: Where along an edge (0 = the source's centre, 1 = the target's) a label may sit,
#: in order of preference: near the source first.
STOPS = tuple(round(0.12 + 0.02 * i, 2) for i in range(39))


def place(wanted: list[Wanted], circles: list[tuple[float, float, float]], boxes: list[Box],
          segments: list[tuple[tuple[float, float], tuple[float, float]]]) -> list[tuple[float, Box]] | None:
    """Each label's position (fraction along its edge) and box, the nearest its source
    that is clear of the ``circles`` (x, y, r), the fixed ``boxes``, the labels placed
    before it and every other of the ``segments``; ``None`` when one has no such place.

    Each label's tries are checked only against what comes near the rectangle holding all
    of them (:func:`_near`); the rest cannot touch any try, so the places are the same as
    checking everything. Boxes are checked on their edges, each worked out once as
    :class:`Box` works it out (``x - w / 2``...)."""
    placed: list[tuple[float, Box]] = []
    edges = [_edges(b) for b in boxes]
    spans = [(s, e, min(s[0], e[0]), max(s[0], e[0]), min(s[1], e[1]), max(s[1], e[1]),
              max(abs(s[0]), abs(s[1]), abs(e[0]), abs(e[1]))) for s, e in segments]
    for want in wanted:
        first, last = _try(want, STOPS[0]), _try(want, STOPS[-1])  # a try's edges move monotonically with t
        hull = Hull(min(first.x0, last.x0), max(first.x1, last.x1), min(first.y0, last.y0), max(first.y1, last.y1))
        near_circles, sides, near_segments = _near(hull, circles, edges,
                                                   [sp for sp in spans if sp[0] != want.a or sp[1] != want.b])
        reach = [(cx, cy, (r + NODE_GAP) ** 2) for cx, cy, r in near_circles]
        lines = [(ax, ay, bx - ax, by - ay) for (ax, ay), (bx, by) in near_segments]
        (ax, ay), (bx, by), hw, hh = want.a, want.b, want.w / 2, want.h / 2
        for t in STOPS:
            x, y = ax + t * (bx - ax), ay + t * (by - ay)
            x0, x1, y0, y1 = x - hw, x + hw, y - hh, y + hh
            if _clear(x0, x1, y0, y1, reach, sides) and not any(
                    _crosses(x0, x1, y0, y1, *line) for line in lines):
                box = Box(x, y, want.w, want.h)
                placed.append((t, box))
                edges.append((x0, x1, y0, y1))
                break
        else:
            return None
    return placed


def _edges(b: Box) -> tuple[float, float, float, float]:
    """``b``'s x0, x1, y0, y1."""
    return b.x0, b.x1, b.y0, b.y1


def _crosses(x0: float, x1: float, y0: float, y1: float, ax: float, ay: float, dx: float, dy: float) -> bool:
    """Whether the segment from (ax, ay) to (ax + dx, ay + dy) runs through the box with
    these edges (Liang–Barsky clipping; tests/test_placement.py's plain search clips with
    ``max``/``min``, and these comparisons keep the same values)."""
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            if t > lo:
                lo = t
        elif t < hi:
            hi = t
        if lo > hi:
            return False
    return True


def _clear(x0: float, x1: float, y0: float, y1: float, reach: list[tuple[float, float, float]],
           sides: list[tuple[float, float, float, float]]) -> bool:
    """Whether the box with these edges is clear of every circle (x, y, (r + NODE_GAP)²) and
    box (x1 + GAP, x0, y1 + GAP, y0): :meth:`Box.meets_circle` and :meth:`Box.meets` written
    out on the edges, the same operations on the same numbers."""
    for cx, cy, r2 in reach:  # dx = max(x0 - cx, 0.0, cx - x1): at most one of them is positive
        dx = x0 - cx if x0 > cx else cx - x1 if cx > x1 else 0.0
        dy = y0 - cy if y0 > cy else cy - y1 if cy > y1 else 0.0
        if dx * dx + dy * dy < r2:
            return False
    x1g, y1g = x1 + GAP, y1 + GAP
    return not any(x0 < ox1 and ox0 < x1g and y0 < oy1 and oy0 < y1g for ox1, ox0, oy1, oy0 in sides)


def _try(want: Wanted, t: float) -> Box:
    """The label's box centred at ``t`` along its edge."""
    return Box(want.a[0] + t * (want.b[0] - want.a[0]), want.a[1] + t * (want.b[1] - want.a[1]), want.w, want.h)


class Hull(msgspec.Struct, frozen=True):
    """The edges of a rectangle holding every try of one label: each edge is the first or the
    last try's, since ``a + t * (b - a)`` rounds monotonically in ``t`` and so do the edges."""

    x0: float
    x1: float
    y0: float
    y1: float


def _near(hull: Hull, circles: list[tuple[float, float, float]], boxes: list[tuple[float, float, float, float]],
          segments: list[tuple]) -> tuple[list, list, list]:
    """The circles, boxes (given by their edges x0, x1, y0, y1; returned as :func:`_clear`
    takes them) and segments that may touch a box inside ``hull``: the others
    cannot, in floating point as well. A try's edges lie inside the hull's, and rounding is
    monotonic, so a circle or box :meth:`Box.meets_circle` or :meth:`Box.meets` no try
    unless it meets the hull by the same formula; a segment wholly beyond one side of the
    hull by more than a margin (a billionth of the coordinates' size, far above rounding)
    gives every try an empty Liang–Barsky interval."""
    near_circles = []
    for x, y, r in circles:
        dx, dy = max(hull.x0 - x, 0.0, x - hull.x1), max(hull.y0 - y, 0.0, y - hull.y1)
        if dx * dx + dy * dy < (r + NODE_GAP) ** 2:
            near_circles.append((x, y, r))
    sides = [(bx1 + GAP, bx0, by1 + GAP, by0) for bx0, bx1, by0, by1 in boxes
             if hull.x0 < bx1 + GAP and bx0 < hull.x1 + GAP and hull.y0 < by1 + GAP and by0 < hull.y1 + GAP]
    near_segments = []
    scale = max(abs(hull.x0), abs(hull.x1), abs(hull.y0), abs(hull.y1))
    for s, e, x_lo, x_hi, y_lo, y_hi, size in segments:  # (ends, their bounds, their largest coordinate)
        margin = 1e-9 * (1.0 + max(size, scale))
        if not (x_hi < hull.x0 - margin or x_lo > hull.x1 + margin
                or y_hi < hull.y0 - margin or y_lo > hull.y1 + margin):
            near_segments.append((s, e))
    return near_circles, sides, near_segments
