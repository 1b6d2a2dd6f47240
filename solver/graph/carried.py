"""Recomputing a graph with a student's own numbers (error carried forward) and with a
slip in the chain rule (a misconception): the forward pass with chosen nodes' values
replaced, and reverse accumulation with chosen adjoints replaced and, optionally, another
rule for some local derivatives. Everything exact, as :mod:`.backprop` computes the key.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp
from msgspec.structs import replace

from ..core.numbers import normalize, parse_number
from ..ops.functions import OpFunctionBase
from .backprop import child_derivatives, evaluate, forward
from .model import Graph, sym

#: ``(child, parent, formula, values) -> value or None``: another rule for ∂child/∂parent
#: (``None``: the right one).
LocalRule = Callable[[str, str, sp.Expr, dict], sp.Expr | None]

#: The values an activation can take (by its sympy function's name): an answer outside is absurd.
RANGES = {"ReLU": (0, None), "Sigmoid": (0, 1), "Softmax": (0, 1), "Tanh": (-1, 1), "Softplus": (0, None),
          "Step": (0, 1), "Sign": (-1, 1)}


def with_given(graph: Graph, given: dict) -> Graph:
    """``graph`` with its leaves' values taken from an answers JSON's ``given`` (by name;
    a batch's ``x1#2`` from the list ``x1``; a tensor's elements from its nested lists);
    leaves the key does not name keep theirs."""
    flat: dict[str, str] = {}
    for t in graph.tensors:
        if t.key in given:
            flat.update(zip(t.elements, _flatten(given[t.key])))
    nodes = []
    for n in graph.nodes:
        if n.is_leaf:
            base, _, example = n.key.partition("#")
            text = flat.get(n.key, given.get(n.key))
            if text is None and isinstance(given.get(base), list) and example:
                items = given[base]
                text = items[int(example) - 1] if int(example) <= len(items) else None
            elif text is None and not isinstance(given.get(base), list):
                text = given.get(base) if example else None
            if isinstance(text, (str, int)):
                n = replace(n, value=parse_number(str(text)))
        nodes.append(n)
    return replace(graph, nodes=tuple(nodes))


def _flatten(v) -> list:
    return [x for item in v for x in _flatten(item)] if isinstance(v, list) else [v]


def forward_with(graph: Graph, overrides: dict[str, sp.Expr]) -> dict[str, sp.Expr]:
    """Every node's value in graph order, a node of ``overrides`` taking that value (its
    children are computed from it) instead of its own."""
    return forward(graph, overrides)


def backward_with(graph: Graph, values: dict[str, sp.Expr], overrides: dict[str, sp.Expr] | None = None,
                  rule: LocalRule | None = None, seed: sp.Expr = sp.Integer(1)) -> dict[str, sp.Expr]:
    """∂L/∂n for every node that reaches the loss, by reverse accumulation at ``values``:
    an adjoint of ``overrides`` replaces the computed one (its parents receive it), and
    ``rule`` may replace a local derivative. ``seed`` is ∂L/∂L (a slip that scales the loss
    scales every gradient)."""
    overrides = overrides or {}
    relevant = graph.relevant
    # an activation's derivative is read off its output (σ(1 − σ), 1 − tanh², p(δ − p)): the
    # student's own output when they wrote one, as they compute it
    outputs = {n.expr: n.symbol for n in graph.nodes if not n.is_leaf and _applied(n.expr)}
    adjoint: dict[str, sp.Expr] = {graph.loss: overrides.get(graph.loss, seed)}
    terms: dict[str, dict] = {}
    for n in reversed(graph.nodes):
        if n.key not in relevant or n.key == graph.loss:
            continue
        if n.key in overrides:
            adjoint[n.key] = overrides[n.key]
            continue
        total = sp.Integer(0)
        for c, formula in child_derivatives(graph, n, terms):
            local = rule(c, n.key, formula, values) if rule else None
            total += adjoint[c] * (evaluate(formula.xreplace(outputs), values) if local is None else local)
        adjoint[n.key] = normalize(total)
    return adjoint


def _applied(expr) -> bool:
    """An activation applied to its input: one of ours (``ReLU(z)``, ``Softmax(k, …)``) or
    sympy's own elementwise function of one argument (``tanh(z)``)."""
    return isinstance(expr, OpFunctionBase) or (isinstance(expr, sp.Function) and len(expr.args) == 1)


def function_of(graph: Graph, key: str) -> str:
    """The name of the activation function that computes ``key`` (``ReLU``, ``Tanh``), or ""."""
    node = graph.by_key.get(key)
    if node is None or node.is_leaf or not _applied(node.expr):
        return ""
    name = type(node.expr).__name__
    return name[0].upper() + name[1:]


def activation_edge(graph: Graph, child: str, parent: str) -> bool:
    """Whether ``child`` is an elementwise activation of ``parent`` (``h = ReLU(z)``, ``tanh(z)``)."""
    node = graph.by_key[child]
    return (not node.is_leaf and _applied(node.expr) and type(node.expr).__name__ != "Softmax"
            and node.expr.args[0] == sym(parent))


def softmax_index(graph: Graph, child: str) -> tuple[int, tuple] | None:
    """For a softmax output ``p_k``: (k, its logits' symbols); otherwise ``None``."""
    node = graph.by_key[child]
    if isinstance(node.expr, OpFunctionBase) and type(node.expr).__name__ == "Softmax":
        return int(node.expr.args[0]), node.expr.args[1:]
    return None


def absurd(graph: Graph, key: str, kind: str, value: sp.Expr) -> bool:
    """Whether ``value`` cannot be the ``kind`` answer of ``key`` whatever the earlier numbers:
    an activation outside its range (a sigmoid of 3, a negative ReLU), a negative loss."""
    if kind == "loss" or (kind == "value" and key in graph.by_key and graph.by_key[key].kind in ("loss", "penalty")):
        return value < 0
    if kind != "value":
        return False
    lo, hi = RANGES.get(function_of(graph, key), (None, None))
    return (lo is not None and value < lo) or (hi is not None and value > hi)
