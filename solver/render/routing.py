"""Edges that run clear of every node they do not join. A graph's edge is a straight line
between its nodes' centres, a skip connection an arc over the columns it spans, high enough to
clear every box between (:func:`arc_height`); a straight edge that would pass through or graze
another node's box (within :data:`TRIGGER`) is moved, the least that clears every box by
:data:`CLEARANCE` (:func:`route`): it leaves or enters its box at another point of the border
(a *port*: one end moved, else both), or else, where a straight line cannot pass, it curves
from a port to a port. Lengths in centimetres."""

from __future__ import annotations

from itertools import product
from math import hypot
from typing import Callable

from .boxes import RADIUS, DEdge, DNode

#: An edge closer than TRIGGER to a drawn box touches it; a moved edge keeps CLEARANCE.
TRIGGER, CLEARANCE = 0.05, 0.1
#: Ports keep INSET from a box's corners (rounded, 4 pt), STEP apart, SPREAD from other ends.
INSET, STEP, SPREAD = 0.15, 0.1, 0.25
#: Straight pieces a curve between ports is checked as.
PIECES = 24
#: How far (cm) a curve between ports runs square to each side before it turns.
REACH = (0.3, 0.8, 2.0)
#: The kinds drawn without a border: their boxes already hold 1.5 pt of padding.
UNDRAWN = ("tag", "dots")

Point = tuple[float, float]


def arc_height(e: DEdge, where: dict[str, DNode]) -> float:
    """How high (cm) above its ends a skip connection's curve is pulled: a cubic Bézier from
    the top of one box to the top of the other, its control points a third and two thirds
    of the way along at this height, so that at a fraction u of the way it stands 3u(1 − u)
    times this height above its ends. High enough that every box between its ends stays
    0.3 cm below it; at least 0.3 of its length (2.5 cm at most), 6 cm at the very most."""
    a, b = where[e.src], where[e.dst]
    lo, hi = sorted((a.x, b.x))
    span = (hi - lo) or 1.0
    base = max(a.y + a.h / 2, b.y + b.h / 2)
    height = min(0.3 * span, 2.5)
    for n in where.values():
        if n.id in (e.src, e.dst):
            continue
        half_w, half_h = (n.w / 2, n.h / 2) if n.w else (RADIUS, RADIUS)
        x0, x1 = max(n.x - half_w, lo), min(n.x + half_w, hi)
        clearance = n.y + half_h + 0.3 - base
        if x0 >= x1 or clearance <= 0:
            continue
        lift = min(3 * u * (1 - u) for u in ((x0 - lo) / span, (x1 - lo) / span))
        height = max(height, clearance / max(lift, 0.15))
    return min(height, 6.0)


Rect = tuple[float, float, float, float]  # x0, x1, y0, y1


def _rect(n: DNode, gap: float) -> Rect:
    """The node's box (a circle's square) grown by ``gap``, or by nothing for a kind drawn
    without a border (its box holds its padding already)."""
    hw, hh = (RADIUS, RADIUS) if n.kind in ("neuron", "input") else (0.15, 0.3) if n.kind == "dots" else (n.w / 2, n.h / 2)
    gap = 0.0 if n.kind in UNDRAWN else gap
    return n.x - hw - gap, n.x + hw + gap, n.y - hh - gap, n.y + hh + gap


def _hits(p: Point, q: Point, r: Rect) -> bool:
    """Whether the segment p–q meets the rectangle (touching counts: Liang–Barsky)."""
    lo, hi = 0.0, 1.0
    for d, near, far in ((q[0] - p[0], r[0] - p[0], r[1] - p[0]), (q[1] - p[1], r[2] - p[1], r[3] - p[1])):
        if d == 0:
            if near > 0 or far < 0:
                return False
            continue
        t0, t1 = (near / d, far / d) if d > 0 else (far / d, near / d)
        lo, hi = max(lo, t0), min(hi, t1)
        if lo > hi:
            return False
    return True


def _any_hit(path: list[Point], rects: list[Rect]) -> bool:
    """Whether the path meets any of the rectangles."""
    return any(_path_hits(path, r) for r in rects)


def _path_hits(path: list[Point], r: Rect) -> bool:
    """Whether the path meets the rectangle (its pieces wholly to one side of it skipped)."""
    x0, x1, y0, y1 = r
    p = path[0]
    for q in path[1:]:
        if not ((p[0] < x0 and q[0] < x0) or (p[0] > x1 and q[0] > x1) or (p[1] < y0 and q[1] < y0)
                or (p[1] > y1 and q[1] > y1)) and _hits(p, q, r):
            return True
        p = q
    return False


def _within(rects: list[Rect], x0: float, x1: float, y0: float, y1: float) -> list[Rect]:
    return [r for r in rects if r[0] <= x1 and x0 <= r[1] and r[2] <= y1 and y0 <= r[3]]


def _border(n: DNode, toward: Point) -> Point:
    """Where the line from a box's centre toward a point leaves it."""
    dx, dy = toward[0] - n.x, toward[1] - n.y
    t = min(n.w / 2 / abs(dx) if dx else float("inf"), n.h / 2 / abs(dy) if dy else float("inf"))
    return n.x + t * dx, n.y + t * dy


def _weights(pieces: int) -> list[tuple[float, float, float, float]]:
    return [((1 - u) ** 3, 3 * u * (1 - u) ** 2, 3 * u * u * (1 - u), u ** 3) for u in (i / pieces for i in range(pieces + 1))]


_BERNSTEIN = {PIECES: _weights(PIECES)}


def cubic(points: tuple[Point, Point, Point, Point], pieces: int = PIECES) -> list[Point]:
    """The cubic Bézier with these control points as ``pieces`` + 1 points."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    return [(a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)
            for a, b, c, d in _BERNSTEIN.get(pieces) or _weights(pieces)]


def _path(e: DEdge, where: dict[str, DNode]) -> list[Point]:
    a, b = where[e.src], where[e.dst]
    s, t = e.start or (a.x, a.y), e.end or (b.x, b.y)
    return cubic((s, *e.via, t)) if e.via else [s, t]


def crossings(nodes, edges, gap: float = TRIGGER) -> list[tuple[DEdge, str]]:
    """Every (edge, node) where a straight or curved edge comes within ``gap`` of the box (or
    circle) of a node it does not join (a skip connection's arc clears them by its height)."""
    where = {n.id: n for n in nodes}
    rects = [(n.id, _rect(n, gap)) for n in nodes]
    found = []
    for e in edges:
        if not e.bend:
            path = _path(e, where)
            found += [(e, k) for k, r in rects if k != e.src and k != e.dst and _path_hits(path, r)]
    return found


def _ports(n: DNode, step: float) -> list[tuple[Point, Point]]:
    """Points of a box's border an edge may leave or enter by, ``step`` apart and INSET from
    its corners, each with the outward direction of its side."""
    out: list[tuple[Point, Point]] = []
    for length, (nx, ny) in ((n.w, (0.0, -1.0)), (n.w, (0.0, 1.0)), (n.h, (-1.0, 0.0)), (n.h, (1.0, 0.0))):
        count = max(int((length - 2 * INSET) / step), 0) if n.w else -1
        for off in ((i - count / 2) * step for i in range(count + 1)):
            out.append(((n.x + nx * n.w / 2 + ny * off, n.y + ny * n.h / 2 + nx * off), (nx, ny)))
    return out


def _distance(p: Point, q: Point) -> float:
    return hypot(p[0] - q[0], p[1] - q[1])


def _ends(edges, skip: int, ids: tuple[str, ...], where: dict[str, DNode]) -> dict[str, list[Point]]:
    """Where each edge but the ``skip``-th meets the boxes ``ids`` (an arc at their tops): the
    ends a moved edge keeps SPREAD from (only its own two boxes')."""
    out: dict[str, list[Point]] = {k: [] for k in ids}
    for j, e in enumerate(edges):
        if j == skip or (e.src not in out and e.dst not in out):
            continue
        a, b = where[e.src], where[e.dst]
        if e.bend:
            p, q = (a.x, a.y + a.h / 2), (b.x, b.y + b.h / 2)
        else:
            p = e.start or _border(a, e.end or (b.x, b.y))
            q = e.end or _border(b, e.start or (a.x, a.y))
        if e.src in out:
            out[e.src].append(p)
        if e.dst in out:
            out[e.dst].append(q)
    return out


class _Detour:
    """The ways an edge from box ``a`` to box ``b`` may go round the ``others``' boxes: from
    the ports of each box clear of where ``ends`` already meet it (SPREAD apart)."""

    def __init__(self, a: DNode, b: DNode, others: list[DNode], ends: dict[str, list[Point]]):
        self.a, self.b, self.ends = a, b, ends
        # the others' boxes grown by CLEARANCE, and the insides of its own (a port is on the border)
        self.both = [_rect(n, CLEARANCE) for n in others] + [
            (n.x - n.w / 2 + 0.02, n.x + n.w / 2 - 0.02, n.y - n.h / 2 + 0.02, n.y + n.h / 2 - 0.02) for n in (a, b)]

    def free(self, n: DNode, step: float) -> list[tuple[Point, Point]]:
        ends = self.ends.get(n.id, [])
        return [(p, d) for p, d in _ports(n, step) if all(hypot(p[0] - o[0], p[1] - o[1]) >= SPREAD for o in ends)]

    def clear(self, path: list[Point], rects: list[Rect] | None = None) -> bool:
        """Whether the path stays out of both boxes (from their ports) and clear of the others
        (of ``rects`` among them: those that may meet it)."""
        return not _any_hit(path, self.both if rects is None else rects)

    def straight(self) -> DEdge | None:
        """A straight line with one port moved, the nearest its default first; else both."""
        a, b = self.a, self.b
        # every such line lies in the rectangle holding both boxes
        lo, hi = min(a.y - a.h / 2, b.y - b.h / 2), max(a.y + a.h / 2, b.y + b.h / 2)
        rects = _within(self.both, min(a.x - a.w / 2, b.x - b.w / 2), max(a.x + a.w / 2, b.x + b.w / 2), lo, hi)
        left, right = sorted((a, b), key=lambda n: n.x)
        if any(r[2] <= lo and hi <= r[3] and left.x + left.w / 2 < r[0] and r[1] < right.x - right.w / 2 for r in rects):
            return None  # a box between them as tall as both: every line from one to the other meets it
        ca, cb = (a.x, a.y), (b.x, b.y)
        da, db = _border(a, cb), _border(b, ca)
        singles = [(_distance(p, da), p, None) for p, _ in _facing(self.free(a, STEP), a, b)]
        singles += [(_distance(q, db), None, q) for q, _ in _facing(self.free(b, STEP), b, a)]
        pairs = lambda: [(_distance(p, da) + _distance(q, db), p, q)  # noqa: E731 (made only if needed)
                         for (p, _), (q, _) in product(_facing(self.free(a, 2 * STEP), a, b),
                                                       _facing(self.free(b, 2 * STEP), b, a))]
        for tries in (lambda: singles, pairs):
            for _, p, q in sorted(tries(), key=_first):
                # from a centre, the line's part inside its own box is not drawn: clip it there
                s, t = p or _border(a, q), q or _border(b, p)
                if self.clear([s, t], rects):
                    return DEdge(a.id, b.id, start=p, end=q)
        return None

    def curved(self) -> DEdge | None:
        """A curve from a port to a port, leaving and entering square to their sides, the
        shortest first (by the length of its control polygon)."""
        a, b = self.a, self.b
        curves = []
        for (p, dp), (q, dq) in product(_facing(self.free(a, 3 * STEP), a, b), _facing(self.free(b, 3 * STEP), b, a)):
            for k1, k2 in product(REACH, REACH):
                c1, c2 = (p[0] + k1 * dp[0], p[1] + k1 * dp[1]), (q[0] + k2 * dq[0], q[1] + k2 * dq[1])
                curves.append((hypot(c1[0] - p[0], c1[1] - p[1]) + hypot(c2[0] - c1[0], c2[1] - c1[1])
                               + hypot(q[0] - c2[0], q[1] - c2[1]), p, c1, c2, q))
        for _, p, c1, c2, q in sorted(curves, key=_first):
            xs, ys = (p[0], c1[0], c2[0], q[0]), (p[1], c1[1], c2[1], q[1])  # the curve lies in their hull
            if self.clear(cubic((p, c1, c2, q)), _within(self.both, min(xs), max(xs), min(ys), max(ys))):
                return DEdge(a.id, b.id, start=p, end=q, via=(c1, c2))
        return None


def _first(t: tuple) -> float:
    return t[0]


def _facing(ports: list[tuple[Point, Point]], n: DNode, other: DNode) -> list[tuple[Point, Point]]:
    """The ports on the sides of ``n`` that face ``other`` (or stand square to it)."""
    return [(p, d) for p, d in ports if d[0] * (other.x - n.x) + d[1] * (other.y - n.y) >= 0]


def route(nodes, edges, curves: Callable[[DEdge], bool] = lambda e: True) -> tuple[tuple[DEdge, ...], list[DEdge]]:
    """The edges, each straight one that comes within TRIGGER of a box it does not join moved
    the least that clears every box by CLEARANCE (:class:`_Detour`: straight, else curved where
    ``curves`` allows), in order, each clear of the ends of the edges before and after it; and
    the edges that could not be moved (left as they were)."""
    where, out, stuck = {n.id: n for n in nodes}, list(edges), []
    touching = {e for e, _ in crossings(nodes, edges)}
    for i, e in enumerate(out):
        if e not in touching:
            continue
        others = [n for n in nodes if n.id not in (e.src, e.dst)]
        way = _Detour(where[e.src], where[e.dst], others, _ends(out, i, (e.src, e.dst), where))
        moved = way.straight() or (way.curved() if curves(e) else None)
        if moved is None:
            stuck.append(e)
        else:
            out[i] = DEdge(e.src, e.dst, e.label, e.pos, e.box, start=moved.start, end=moved.end, via=moved.via)
    return tuple(out), stuck
