"""Whether a problem's numbers make a good exercise: the requirements of a ``randomize``
block (:mod:`solver.problem.randomize`) checked on the exact values of its graphs.

- ``no_kinks: ε``: every argument of a function with a kink (ReLU, leaky ReLU, ELU, a
  hinge, ``|u|``, Huber's ±δ) at least ε away from it (ε = 0: not exactly on it);
- ``no_ties``: no two arguments of a ``max``, ``min`` or max-pooling window reach its
  extremum together;
- ``no_dead_units``: every unit, hidden or output, passes a gradient (its activation's
  derivative is not 0) for at least one example: a dead output unit would make every
  gradient through it 0;
- ``no_saturation: p``: every sigmoid or softmax output strictly between 1 − p and p;
- a condition over the graph's named quantities (``abs(L) > 0.05``), in the grammar of
  graph expressions.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..ops.extremum import Extremum
from ..ops.functions import OpFunctionBase
from ..problem.expressions import ExpressionError, parse_condition
from .backprop import evaluate
from .model import Graph, sym

_COMPARE = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b}


def failed(graphs: list[tuple[Graph, dict]], requirements, first: bool = False) -> list[str]:
    """The requirements (as written) that the graphs' values do not meet, in order.

    Args:
        graphs: each numeric question's graph with every node's exact value.
        requirements: (name, number or None, as written), from
            :meth:`~solver.problem.randomize.Randomize.requirements`.
        first: stop at the first requirement not met (when only acceptance matters).

    Raises:
        ValueError: a condition that cannot be read or names no quantity of any graph.
    """
    out = []
    for name, number, text in requirements:
        check = {"no_kinks": _kinks, "no_ties": _ties, "no_dead_units": _dead,
                 "no_saturation": _saturated}.get(name)
        bad = _condition(graphs, text) if check is None else any(check(g, v, number) for g, v in graphs)
        if bad:
            out.append(text)
            if first:
                break
    return out


def _atoms(graph: Graph):
    for n in graph.nodes:
        if n.expr is not None:
            yield from sp.preorder_traversal(n.expr)


def _kinks(graph: Graph, values: dict, margin) -> bool:
    for a in _atoms(graph):
        points = a.kink_points() if isinstance(a, OpFunctionBase) else (a.args[0],) if isinstance(a, sp.Abs) else ()
        for p in points:
            v = evaluate(p, values)
            if v == 0 or abs(v) < margin:
                return True
    return False


def _ties(graph: Graph, values: dict, _) -> bool:
    return any(len(a.tied([evaluate(x, values) for x in a.args])) > 1 for a in _atoms(graph)
               if isinstance(a, Extremum))


def _dead(graph: Graph, values: dict, _) -> bool:
    alive: dict[str, bool] = {}
    for n in graph.nodes:
        if n.kind not in ("activation", "output") or n.expr is None or len(graph.parents[n.key]) != 1:
            continue
        slope = evaluate(_slope(n.expr, sym(graph.parents[n.key][0])), values)
        unit = n.key.split("#")[0]
        alive[unit] = alive.get(unit, False) or slope != 0
    return not all(alive.values())


@lru_cache(maxsize=4096)
def _slope(expr: sp.Expr, z: sp.Symbol) -> sp.Expr:
    """d expr / dz (the same expressions recur in every draw of a pool)."""
    return sp.diff(expr, z)


def _saturated(graph: Graph, values: dict, limit) -> bool:
    return any(n.expr is not None and getattr(n.expr.func, "probabilities", False)
               and not (1 - limit < values[n.key] < limit) for n in graph.nodes)


def _condition(graphs: list[tuple[Graph, dict]], text: str) -> bool:
    """True when the condition does not hold (read on the first graph that names all its
    quantities)."""
    error = None
    for graph, values in graphs:
        symbols = {n.key: sym(n.key) for n in graph.nodes}
        try:
            left, op, right = parse_condition(text, symbols)
        except ExpressionError as exc:
            error = exc
            continue
        return not _COMPARE[op](evaluate(left, values), evaluate(right, values))
    raise ValueError(f"the condition '{text}' cannot be checked: {error}")
