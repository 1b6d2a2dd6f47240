"""No edge of a diagram runs through a node it does not join (solver.render.routing, graphs,
unrolled): checked on the drawn geometry (tests/edge_crossings.py: straight lines, curves
between ports, skip arcs) for every bundled problem's key and question paper, and for graphs
built to have the layouts that crossed: leaves stacked under a skip arc (skip-chain-l1), a leaf
on top of its column feeding the lowest stage of the next (graph-softplus-silu-elu, attention's
X to K), a leaf under the stages of its column feeding past the leaf under the next stage
(attention-masked's M to O), a GRU's r to n past z in their row and an LSTM's h to its last gate
under the cell state."""

from __future__ import annotations

from pathlib import Path

import pytest
from edge_crossings import edge_crossings

from solver.core.options import Options
from solver.key.solve import solve
from solver.pipeline import solve_file
from solver.problem.validation import validate
from solver.render.diagram import diagram
from solver.render.drawing import svg, tikz

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
#: A line closer than this (cm) to a drawn box looks as if it touched it.
MARGIN = 0.05


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
@pytest.mark.parametrize("sheet", ["key", "questions"])
def test_bundled_edges_cross_no_box(path, sheet):
    d = diagram(solve_file(path, Options()).figure, sheet)
    if d is None:
        pytest.skip("no diagram")
    assert edge_crossings(d, MARGIN) == []


def _graph(nodes: dict, inputs: dict, parameters: dict) -> dict:
    return {"title": "Crossings", "precision": 4,
            "graph": {"inputs": inputs, "parameters": parameters, "nodes": nodes, "output": list(nodes)[-1]},
            "questions": [{"id": "q1", "ask": ["forward", "gradients"], "gradients": list(parameters)}]}


GRAPHS = {
    # h skips ahead, so the leaves of its column stack below it: the lower one's edge passed the upper
    "stacked-under-an-arc": _graph({"a": "w0 * x + b0", "hidden": "relu(a)", "mixed": "weightone * hidden + biasone",
                                    "squashed": "sigmoid(mixed)", "out": "squashed + hidden"},
                                   {"x": 1.5}, {"w0": 0.5, "b0": 0.1, "weightone": -0.4, "biasone": 0.2}),
    # x is fed to both stages of the next column, the lower one under the other
    "top-leaf-to-the-lower-stage": _graph({"a": "w * x + b", "g": "silu(v * x)", "s": "softplus(a)",
                                           "e": "elu(a - g)", "r": "s + e - t", "L": "square(r)"},
                                          {"x": 1.5, "t": 0.25}, {"w": -0.4, "b": 0.2, "v": 0.9}),
    # m joins late: it sits under the stages of its column, and t under the stage it feeds
    "low-leaf-past-the-next-leaf": _graph({"p": "u * x", "q": "v * x", "k": "z * x", "o": "p + q + k + m",
                                           "L": "square(o - t)"},
                                          {"x": 1.0, "m": 0.5, "t": 0.2}, {"u": 0.3, "v": -0.2, "z": 0.4}),
}


@pytest.mark.parametrize("name", list(GRAPHS))
@pytest.mark.parametrize("sheet", ["key", "questions"])
def test_built_graphs_cross_no_box(name, sheet):
    d = diagram(solve(validate(GRAPHS[name], f"{name}.yaml"), name, Options()).figure, sheet)
    assert edge_crossings(d, MARGIN) == []


def _figure(stem: str):
    return solve_file(ROOT / "problems" / f"{stem}.yaml", Options()).figure


def test_an_edge_that_would_cross_leaves_by_another_point_of_its_box():
    """skip-chain-l1: b1 (under w1) to z1 leaves b1's right side near its top, clear of w1, and
    TikZ draws it from that point."""
    d = diagram(_figure("skip-chain-l1"), "key")
    edge = next(e for e in d.edges if (e.src, e.dst) == ("b1", "z1"))
    b1 = next(n for n in d.nodes if n.id == "b1")
    assert edge.start is not None and edge.end is None and edge.via is None
    assert edge.start[0] == pytest.approx(b1.x + b1.w / 2) and b1.y < edge.start[1] < b1.y + b1.h / 2
    assert rf"\draw[->] ({edge.start[0]:.3f}, {edge.start[1]:.3f}) -- (z1);" in tikz(d)


def test_leaves_go_in_the_order_of_the_stages_they_feed():
    """attention-masked: W_V over X over W_Q over W_K, as V over Q over K; every edge straight."""
    d = diagram(_figure("attention-masked"), "key")
    y = {n.id: n.y for n in d.nodes}
    assert y["W_V"] > y["X"] > y["W_Q"] > y["W_K"]
    assert y["V"] > y["Q"] > y["K"]
    assert not any(e.start or e.end or e.via for e in d.edges)


def test_a_column_moves_right_rather_than_an_edge_curving():
    """attention-masked: M (under K) to O (over T) cannot pass straight 0.7 cm apart: O's column
    is moved further right, 1.1 cm from K's, and the columns after it with it."""
    d = diagram(_figure("attention-masked"), "key")
    box = {n.id: n for n in d.nodes}
    gap = lambda a, b: (box[b].x - box[b].w / 2) - (box[a].x + box[a].w / 2)  # noqa: E731
    assert gap("X", "Q") == pytest.approx(0.7)
    assert gap("K", "O") == pytest.approx(1.1)
    assert gap("O", "L") == pytest.approx(0.7)


def test_a_gru_draws_r_to_n_as_a_curve_past_z():
    d = diagram(_figure("gru-sequence"), "key")
    curves = [(e.src, e.dst) for e in d.edges if e.via]
    assert curves == [("r_1", "n_1"), ("r_2", "n_2"), ("r_3", "n_3")]
    assert tikz(d).count(" .. controls ") == len(curves) + sum(e.bend for e in d.edges)
    assert svg(d).count('fill="none" stroke="#333"') == len(curves) + sum(e.bend for e in d.edges)


def test_an_lstm_spreads_its_rows_for_h_to_reach_the_gates():
    """lstm-two-steps: h_{t-1} cannot reach the last gate straight under c_t 1.6 cm apart."""
    d = diagram(_figure("lstm-two-steps"), "key")
    y = {n.id: n.y for n in d.nodes}
    assert y["c_1"] - y["i_1"] == pytest.approx(2.0)
    gru = diagram(_figure("gru-sequence"), "key")
    assert {n.id: n.y for n in gru.nodes}["h_1"] - {n.id: n.y for n in gru.nodes}["r_1"] == pytest.approx(1.6)
