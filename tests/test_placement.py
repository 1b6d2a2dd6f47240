"""Label placement checks each label's tries only against what comes near them: the places
it picks are exactly those of checking every try against every circle, box, earlier label
and segment (the plain greedy search, written out here), for the bundled networks' diagrams,
generated networks from 1-1-1 to 6-6-4, and random scenes with labels, nodes and edges
that touch, graze and cross."""

from __future__ import annotations

import importlib
import random
from pathlib import Path

import pytest

from solver.pipeline import solve_file
from solver.render.placement import GAP, NODE_GAP, STOPS, Box, Wanted, place

ROOT = Path(__file__).resolve().parent.parent
diagram_module = importlib.import_module("solver.render.diagram")  # the package's name is its function


def plain_crosses(box, a, b) -> bool:
    """Whether the segment from ``a`` to ``b`` runs through ``box`` (Liang–Barsky clipping,
    written plainly: the check the placement's own clipping must agree with)."""
    (ax, ay), (bx, by) = a, b
    lo, hi = 0.0, 1.0
    for p, q in ((-(bx - ax), ax - box.x0), (bx - ax, box.x1 - ax),
                 (-(by - ay), ay - box.y0), (by - ay, box.y1 - ay)):
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


def plain_place(wanted, circles, boxes, segments):
    """Every try of every label against everything (the search without pruning)."""
    placed = []
    for want in wanted:
        for t in STOPS:
            box = Box(want.a[0] + t * (want.b[0] - want.a[0]), want.a[1] + t * (want.b[1] - want.a[1]),
                      want.w, want.h)
            if (not any(box.meets_circle(cx, cy, r, NODE_GAP) for cx, cy, r in circles)
                    and not any(box.meets(other, GAP) for other in boxes)
                    and not any(box.meets(b, GAP) for _, b in placed)
                    and not any(plain_crosses(box, s, e) for s, e in segments if (s, e) != (want.a, want.b))):
                placed.append((t, box))
                break
        else:
            return None
    return placed


@pytest.fixture
def compared(monkeypatch):
    """The diagram module's ``place``, checked against :func:`plain_place` on every call."""
    calls = []

    def both(wanted, circles, boxes, segments):
        got = place(wanted, circles, boxes, segments)
        assert got == plain_place(wanted, circles, boxes, segments)
        calls.append(got)
        return got

    monkeypatch.setattr(diagram_module, "place", both)
    return calls


NETWORKS = [p for p in sorted((ROOT / "problems").glob("*.yaml"))
            if "network:" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
def test_bundled_networks_place_labels_as_the_plain_search(path, compared):
    figure = solve_file(path).figure
    if figure is None or figure.kind != "network":
        pytest.skip("no network diagram")
    for values in (True, False):
        diagram_module.network_diagram(figure.graph, values)
    assert compared


@pytest.mark.parametrize("sizes", [(1, 1, 1), (2, 3, 1), (3, 3, 3), (4, 5, 2), (6, 6, 4), (2, 6, 6, 2)])
@pytest.mark.parametrize("bias", ["none", "shared", "each"])
def test_generated_networks_place_labels_as_the_plain_search(sizes, bias, compared, tmp_path):
    from test_diagram_layout import network_problem

    figure = solve_file(network_problem(tmp_path / "n.yaml", sizes, bias)).figure
    for values in (True, False):
        diagram_module.network_diagram(figure.graph, values)
    assert any(c is not None for c in compared)


def _scene(rng: random.Random):
    """Nodes on a small grid (so that labels graze them and each other), edges between
    them, some fixed boxes, and labels of assorted sizes on some edges."""
    step = rng.choice([0.5, 1.0, 1.6, 2.4])
    points = [(step * rng.randrange(5), step * rng.randrange(4) - 2.0) for _ in range(rng.randrange(2, 9))]
    points = list(dict.fromkeys(points))
    circles = [(x, y, rng.choice([0.2, 0.45])) for x, y in points]
    segments = [(a, b) for a in points for b in points if a != b and rng.random() < 0.4]
    boxes = [Box(rng.uniform(-1, 8), rng.uniform(-3, 3), rng.uniform(0.1, 1.5), rng.uniform(0.1, 0.8))
             for _ in range(rng.randrange(4))]
    wanted = [Wanted(a, b, rng.uniform(0.1, 1.8), rng.uniform(0.1, 0.6)) for a, b in segments
              if rng.random() < 0.7]
    for want in rng.sample(wanted, min(len(wanted), 2)):  # boxes just clear of, or just within GAP of, a try
        t = rng.choice(STOPS)
        near = Box(want.a[0] + t * (want.b[0] - want.a[0]), want.a[1] + t * (want.b[1] - want.a[1]), want.w, want.h)
        w, h, off = rng.uniform(0.05, 0.5), rng.uniform(0.05, 0.5), rng.uniform(0.0, 2 * GAP)
        side = rng.randrange(4)
        x = (near.x1 + off + w / 2, near.x0 - off - w / 2, near.x, near.x)[side]
        y = (near.y, near.y, near.y1 + off + h / 2, near.y0 - off - h / 2)[side]
        boxes.append(Box(x, y, w, h))
        r = rng.choice([0.02, 0.2, 0.45])  # and a circle just clear of it, or just within NODE_GAP
        off = r + rng.uniform(0.0, 2 * NODE_GAP)
        cx = (near.x1 + off, near.x0 - off, near.x + rng.uniform(-near.w, near.w))[side % 3]
        cy = (near.y + rng.uniform(-near.h, near.h), near.y1 + off, near.y0 - off)[rng.randrange(3) if side == 2 else 0]
        circles.append((cx, cy, r))
        u, v = rng.uniform(0.0, 0.02) * rng.choice([-1, 1]), rng.uniform(-1e-6, 1e-6)  # one grazing a corner
        reach = ((r + NODE_GAP) ** 2 - u * u) ** 0.5 + v
        cx = near.x1 + u if u > 0 else near.x0 + u
        cy = near.y1 + reach if side % 2 else near.y0 - reach
        if rng.random() < 0.5:  # or beside the corner rather than above or below it
            cx = near.x1 + reach if side % 2 else near.x0 - reach
            cy = near.y1 + u if u > 0 else near.y0 + u
        circles.append((cx, cy, r))
    return wanted, circles, boxes, segments


def test_random_scenes_place_labels_as_the_plain_search():
    rng = random.Random(19)
    found = missed = 0
    for _ in range(3000):
        scene = _scene(rng)
        got = place(*scene)
        assert got == plain_place(*scene)
        found, missed = found + (got is not None and bool(scene[0])), missed + (got is None)
    assert found > 200 and missed > 200  # both outcomes are exercised


def test_a_label_grazing_a_box_edge_is_placed_as_the_plain_search():
    # tries whose edges land exactly on a fixed box's, a circle's reach and a segment's end
    wanted = [Wanted((0.0, 0.0), (4.0, 0.0), 0.4, 0.2)]
    for edge in (0.68, 0.7, 0.72, 1.0, 1.05, 2.0):
        boxes = [Box(edge, 0.0, 0.4 - 2 * GAP, 0.2)]
        circles = [(edge + 0.3, 0.3, 0.1)]
        segments = [((edge, -1.0), (edge, 0.1 - 1e-12)), ((0.0, 0.0), (4.0, 0.0))]
        assert place(wanted, circles, boxes, segments) == plain_place(wanted, circles, boxes, segments)


@pytest.mark.parametrize("depth", [-0.06, -0.03, -1e-9, 0.0, 1e-9, 0.02, 0.049, 0.06])
@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_an_edge_ending_at_the_tries_rim_is_checked_as_the_plain_search(side, depth):
    # one label on a level edge; the only try left is the first (a box blocks the rest) or
    # the last (a box blocks the others); an edge from afar ends ``depth`` inside that try's side
    wanted = [Wanted((0.0, 0.0), (4.0, 0.0), 0.4, 0.2)]
    first, last = Box(0.48, 0.0, 0.4, 0.2), Box(3.52, 0.0, 0.4, 0.2)
    only_first, only_last = [Box(2.3, 0.0, 3.0, 0.2)], [Box(1.63, 0.0, 3.26, 0.2)]
    end = {"left": (first.x0 + depth, 0.05), "right": (last.x1 - depth, -0.05),
           "top": (0.5, first.y1 - depth), "bottom": (3.5, last.y0 + depth)}[side]
    far = {"left": (-3.0, 0.5), "right": (7.0, 0.3), "top": (0.4, 3.0), "bottom": (3.6, -3.0)}[side]
    boxes = only_first if side in ("left", "top") else only_last
    for segment in ((far, end), (end, far)):
        segments = [segment, ((0.0, 0.0), (4.0, 0.0))]
        assert place(wanted, [], boxes, segments) == plain_place(wanted, [], boxes, segments)
