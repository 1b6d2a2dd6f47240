"""A skip connection's arc leaves the top of its box and arcs over the columns between
(solver.render.diagram, drawing): no arc runs through a box it does not join, in the bundled
graphs nor in graphs whose arc leaves a leaf stacked under another box, with long names
(a 16-letter name's box is 3.4 cm wide: the arc cannot rise clear of it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.core.options import Options
from solver.key.solve import solve
from solver.pipeline import solve_file
from solver.problem.validation import validate
from solver.render.diagram import diagram
from solver.render.drawing import _arc

ROOT = Path(__file__).resolve().parent.parent


def arc_crossings(d) -> list[str]:
    """Every (arc, box) where the drawn Bézier of a skip connection passes inside a box other
    than its ends' (sampled at 400 points)."""
    where = {n.id: n for n in d.nodes}
    found = []
    for e in (e for e in d.edges if e.bend):
        a, b = where[e.src], where[e.dst]
        h, ya, yb, third = _arc(e, where), a.y + a.h / 2, b.y + b.h / 2, (b.x - a.x) / 3
        xs, ys = (a.x, a.x + third, b.x - third, b.x), (ya, ya + h, yb + h, yb)
        weights = [((1 - u) ** 3, 3 * u * (1 - u) ** 2, 3 * u * u * (1 - u), u ** 3) for u in (i / 400 for i in range(1, 400))]
        points = [(sum(c * x for c, x in zip(w, xs)), sum(c * y for c, y in zip(w, ys))) for w in weights]
        found += [f"{e.src}->{e.dst} / {n.id}" for n in d.nodes if n.id not in (e.src, e.dst) and n.w
                  and any(abs(x - n.x) < n.w / 2 and abs(y - n.y) < n.h / 2 for x, y in points)]
    return found


def _graph(nodes: dict, parameters: dict) -> dict:
    return {"title": "Long names", "graph": {"inputs": {"inputactivations": 2}, "parameters": parameters,
                                             "nodes": nodes, "output": list(nodes)[-1]},
            "questions": [{"id": "q1", "ask": ["forward", "gradients"], "gradients": list(parameters)}]}


# the parameter a skip leaves shares the first column with the input: it goes on top of it
LEAF_COLUMN = _graph({"productofthetwos": "inputactivations * sharedweightparm",
                      "rectifiedproduct": "relu(productofthetwos)", "squaredrectified": "square(rectifiedproduct)",
                      "skipsumwithweigh": "squaredrectified + sharedweightparm"}, {"sharedweightparm": 0.5})
# the parameter a skip leaves shares a column with a stage: it goes above the stage
STAGE_COLUMN = _graph({"productofthetwos": "inputactivations * firstweightparam",
                       "rectifiedproduct": "relu(productofthetwos)",
                       "scaledrectifiedp": "rectifiedproduct * sharedweightparm",
                       "squaredrectified": "square(scaledrectifiedp)",
                       "skipsumwithweigh": "squaredrectified + sharedweightparm"},
                      {"firstweightparam": 0.5, "sharedweightparm": -0.3})


@pytest.mark.parametrize("data", [LEAF_COLUMN, STAGE_COLUMN], ids=["leaf-column", "stage-column"])
@pytest.mark.parametrize("sheet", ["key", "questions"])
def test_an_arc_leaving_a_leaf_crosses_no_box(data, sheet):
    d = diagram(solve(validate(data, "long.yaml"), "long", Options()).figure, sheet)
    assert any(e.bend for e in d.edges)
    assert arc_crossings(d) == []


def test_the_leaf_an_arc_leaves_is_on_top_of_its_column():
    d = diagram(solve(validate(STAGE_COLUMN, "long.yaml"), "long", Options()).figure, "key")
    y = {n.id: n.y for n in d.nodes}
    assert y["sharedweightparm"] > y["rectifiedproduct"] == 0.0


@pytest.mark.parametrize("path", sorted((ROOT / "problems").glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_arcs_cross_no_box(path):
    figure = solve_file(path, Options()).figure
    d = diagram(figure, "key")
    assert d is None or arc_crossings(d) == []
