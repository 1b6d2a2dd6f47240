"""Which edges of a laid-out diagram run through a node they do not join: a test helper, written
from the drawing's geometry (:mod:`solver.render.drawing`) rather than from the layout's code.

A straight edge is drawn on the line between its nodes' centres; a skip connection
(``bend``) is a cubic Bézier from the top of one box to the top of the other, flattened here
into short segments. A neuron or input is a circle of radius ``RADIUS``, an ellipsis a
0.3 × 0.6 cm box, every other node (stage, leaf, bias, tag) its box. An edge crosses a node
when some segment of it comes within ``margin`` cm of the node's shape (touching counts); of a
tag's or an ellipsis's box, drawn without a border, when it meets the box itself (which holds
1.5 pt of padding round the text). An edge drawn from or to a port (a point of its box's border)
must also leave that box from there, not run back through it."""

from __future__ import annotations

from solver.render.diagram import RADIUS
from solver.render.drawing import _arc

#: Segments a skip connection's curve is flattened into.
PIECES = 200


def _shape(n) -> tuple[str, float, float]:
    """("circle", r, r) or ("box", half width, half height) of a node."""
    if n.kind in ("neuron", "input"):
        return "circle", RADIUS, RADIUS
    if n.kind == "dots":
        return "box", 0.15, 0.3
    return "box", n.w / 2, n.h / 2


def _segment_meets_box(p, q, x0, x1, y0, y1) -> bool:
    """Whether the closed segment p–q meets the closed box [x0, x1] × [y0, y1] (Liang–Barsky)."""
    lo, hi = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for d, near, far in ((dx, x0 - p[0], x1 - p[0]), (dy, y0 - p[1], y1 - p[1])):
        if d == 0:
            if near > 0 or far < 0:
                return False
            continue
        t0, t1 = sorted((near / d, far / d))
        lo, hi = max(lo, t0), min(hi, t1)
        if lo > hi:
            return False
    return True


def _segment_meets_circle(p, q, cx, cy, r) -> bool:
    dx, dy = q[0] - p[0], q[1] - p[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((cx - p[0]) * dx + (cy - p[1]) * dy) / length2))
    x, y = p[0] + t * dx, p[1] + t * dy
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def edge_path(e, where) -> list[tuple[float, float]]:
    """The points of the drawn edge, in order: its two centres, or its flattened curve."""
    a, b = where[e.src], where[e.dst]
    if e.via:  # a curve from port to port
        xs, ys = zip(e.start, *e.via, e.end)
    elif not e.bend:  # from its port, or its centre (the part inside its own box is not drawn)
        return [e.start or (a.x, a.y), e.end or (b.x, b.y)]
    else:
        h, ya, yb, third = _arc(e, where), a.y + a.h / 2, b.y + b.h / 2, (b.x - a.x) / 3
        xs, ys = (a.x, a.x + third, b.x - third, b.x), (ya, ya + h, yb + h, yb)
    out = []
    for i in range(PIECES + 1):
        u = i / PIECES
        w = ((1 - u) ** 3, 3 * u * (1 - u) ** 2, 3 * u * u * (1 - u), u ** 3)
        out.append((sum(c * x for c, x in zip(w, xs)), sum(c * y for c, y in zip(w, ys))))
    return out


def edge_crossings(d, margin: float = 0.0) -> list[str]:
    """Every "src->dst / node" where the edge src->dst comes within ``margin`` of a node other
    than src and dst."""
    where = {n.id: n for n in d.nodes}
    found = []
    for e in d.edges:
        path = edge_path(e, where)
        for port, k in ((e.start, e.src), (e.end, e.dst)):  # a port is on its box's border, and the
            n = where[k]                                     # edge goes out of the box from it
            _, hw, hh = _shape(n)
            if port is not None:
                assert abs(abs(port[0] - n.x) - hw) < 1e-9 or abs(abs(port[1] - n.y) - hh) < 1e-9, (e, port)
                inside = (n.x - hw + 0.01, n.x + hw - 0.01, n.y - hh + 0.01, n.y + hh - 0.01)
                if any(_segment_meets_box(p, q, *inside) for p, q in zip(path, path[1:])):
                    found.append(f"{e.src}->{e.dst} / {k} (its own)")
        for n in d.nodes:
            if n.id in (e.src, e.dst):
                continue
            kind, hw, hh = _shape(n)
            gap = 0.0 if n.kind in ("tag", "dots") else margin
            if kind == "circle":
                hit = any(_segment_meets_circle(p, q, n.x, n.y, hw + gap) for p, q in zip(path, path[1:]))
            else:
                box = (n.x - hw - gap, n.x + hw + gap, n.y - hh - gap, n.y + hh + gap)
                hit = any(_segment_meets_box(p, q, *box) for p, q in zip(path, path[1:]))
            if hit:
                found.append(f"{e.src}->{e.dst} / {n.id}")
    return found
