"""Where a network diagram's edge labels go: along each edge, as near its source as
they can sit without touching a node, a tag, another label or another edge (greedy,
edge by edge), so that every label reads as its own edge's. All lengths in centimetres."""

from __future__ import annotations

from dataclasses import dataclass

#: The clearance kept between two labels, and between a label and a node.
GAP, NODE_GAP = 0.05, 0.1


@dataclass(frozen=True)
class Box:
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

    def crosses(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the segment from ``a`` to ``b`` runs through the rectangle
        (Liang–Barsky clipping)."""
        (ax, ay), (bx, by) = a, b
        lo, hi = 0.0, 1.0
        for p, q in ((-(bx - ax), ax - self.x0), (bx - ax, self.x1 - ax),
                     (-(by - ay), ay - self.y0), (by - ay, self.y1 - ay)):
            if p == 0:
                if q < 0:
                    return False
                continue
            t = q / p
            if p < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
            if lo > hi:
                return False
        return True


@dataclass(frozen=True)
class Wanted:
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
    before it and every other of the ``segments``; ``None`` when one has no such place."""
    placed: list[tuple[float, Box]] = []
    for want in wanted:
        for t in STOPS:
            box = Box(want.a[0] + t * (want.b[0] - want.a[0]), want.a[1] + t * (want.b[1] - want.a[1]),
                      want.w, want.h)
            if (not any(box.meets_circle(cx, cy, r, NODE_GAP) for cx, cy, r in circles)
                    and not any(box.meets(other, GAP) for other in boxes)
                    and not any(box.meets(b, GAP) for _, b in placed)
                    and not any(box.crosses(s, e) for s, e in segments if (s, e) != (want.a, want.b))):
                placed.append((t, box))
                break
        else:
            return None
    return placed
