"""Build the :class:`~solver.graph.model.Graph` of a ``graph:`` problem: named stages,
each an expression (see :mod:`solver.problem.expressions`) over inputs, parameters and other
stages, in any order; the output node is the quantity differentiated."""

from __future__ import annotations

import sympy as sp

from ..core.errors import ProblemError
from ..core.names import latex_name, written_once
from ..problem.expressions import ExpressionError, parse_expression
from .model import Graph, Group, Node, sym


def build_graph_spec(problem, question, file: str | None = None) -> Graph:
    """The graph of ``problem.graph``.

    Raises:
        ProblemError: naming the node, for an expression outside the grammar, an
            unknown name, a name defined twice, a cycle, or an unknown output.
    """
    from .tensor_spec import (  # ops.tensor: not for a network's key
        build_tensor_graph,
        is_tensor_graph,
    )

    spec = problem.graph
    if is_tensor_graph(spec):
        return build_tensor_graph(problem, question, file, topological)
    leaves = {**{k: ("input", v) for k, v in spec.inputs.items()}}
    for k, v in spec.parameters.items():
        if k in leaves:
            raise ProblemError(f"'{k}' is defined twice (as an input and a parameter)", file=file,
                               field=f"graph.parameters.{k}")
        leaves[k] = ("parameter", v)
    for k in spec.nodes:
        if k in leaves:
            raise ProblemError(f"'{k}' is defined twice (as a node and as an input or parameter)",
                               file=file, field=f"graph.nodes.{k}")
    symbols = {k: sym(k) for k in [*leaves, *spec.nodes]}
    exprs: dict[str, sp.Expr] = {}
    for k, text in spec.nodes.items():
        try:
            exprs[k] = parse_expression(text, symbols)
        except ExpressionError as exc:
            raise ProblemError(str(exc), file=file, field=f"graph.nodes.{k}") from None
    if spec.output not in exprs:
        raise ProblemError(f"the output '{spec.output}' is not one of the nodes", file=file, field="graph.output")
    order = topological({k: [s.name for s in e.free_symbols if s.name in exprs] for k, e in exprs.items()}, file)
    nodes = [Node(k, kind, value=v) for k, (kind, v) in leaves.items()]
    nodes += [Node(k, "output" if k == spec.output else "stage", expr=exprs[k]) for k in order]
    latex = {n.key: latex_name(n.key) for n in nodes}
    fields = {k: f"graph.{kind}s.{k}" for k, (kind, _) in leaves.items()} | {k: f"graph.nodes.{k}" for k in exprs}
    written_once(latex, fields, file)
    return Graph(tuple(nodes), latex, spec.output, (Group("Stages", tuple(order)),))


def topological(deps: dict[str, list[str]], file: str | None) -> list[str]:
    """Stages in an order where every stage follows the stages it uses (``deps``: the
    stages each one reads), the order written where that already works.

    Raises:
        ProblemError: the stages form a cycle, naming one of its nodes.
    """
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(k: str, path: list[str]) -> None:
        if state.get(k) == 2:
            return
        if state.get(k) == 1:
            cycle = path[path.index(k):] + [k]
            raise ProblemError(f"the nodes form a cycle: {' -> '.join(cycle)}", file=file, field=f"graph.nodes.{k}")
        state[k] = 1
        for d in deps[k]:
            visit(d, path + [k])
        state[k] = 2
        done.append(k)

    for k in deps:
        visit(k, [])
    return done
