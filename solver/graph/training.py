"""Several steps of gradient descent on a graph, in 50-digit arithmetic.

The first step of a training question is derived in full, exactly, by the usual
solution steps; the run itself is compiled once (each node's expression and each
local derivative to an mpmath function) and iterated, so that a 1,000-step run
takes a fraction of a second. A test checks the compiled first step against the
exact one.

Each step applies the optimizer's own update rule (:mod:`solver.ops.optimizers`: the
same function that derives the key's exact step) to mpmath numbers; the functions of
:mod:`solver.ops` run through their numeric twins.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from ..core.numbers import DIGITS
from ..ops.functions import numeric_functions
from ..ops.optimizers import Optimizer
from .backprop import Gradients
from .model import Graph


@dataclass(frozen=True)
class Settings:
    """An optimizer and its hyper-parameters (exact numbers, by name, defaults filled in)."""

    optimizer: Optimizer
    hp: dict


@dataclass(frozen=True)
class Snapshot:
    """The loss and the parameters after ``step`` steps (step 0: before training)."""

    step: int
    loss: mpmath.mpf
    params: dict


class _Compiled:
    """The graph's forward pass and local derivatives as mpmath functions."""

    def __init__(self, graph: Graph, grads: Gradients):
        self.graph = graph
        self.order = [n for n in graph.nodes if not n.is_leaf]
        self.forward_fns = {n.key: self._fn(n.expr, graph.parents[n.key]) for n in self.order}
        self.local_fns = {}
        for (child, parent), loc in grads.local.items():
            args = sorted({s.name for s in loc.formula.free_symbols})
            self.local_fns[(child, parent)] = self._fn(loc.formula, args)
        self.edges = list(grads.local)

    @staticmethod
    def _fn(expr: sp.Expr, args) -> tuple:
        symbols = [sp.Symbol(a, real=True) for a in args]
        return (sp.lambdify(symbols, expr, modules=[numeric_functions(), "mpmath"]), list(args))

    def run(self, values: dict) -> tuple[dict, dict]:
        """Values of every node and ∂L/∂n of every node, from leaf values."""
        vals = dict(values)
        for n in self.order:
            fn, args = self.forward_fns[n.key]
            vals[n.key] = fn(*[vals[a] for a in args])
        adj = {self.graph.loss: mpmath.mpf(1)}
        for child, parent in self.edges:  # edges in reverse graph order of the child
            fn, args = self.local_fns[(child, parent)]
            adj[parent] = adj.get(parent, mpmath.mpf(0)) + adj.get(child, mpmath.mpf(0)) * fn(
                *[vals[a] for a in args])
        return vals, adj


def train(graph: Graph, grads: Gradients, params: list[str], opt: Settings, steps: int,
          record) -> list[Snapshot]:
    """Run ``steps`` steps of the optimizer ``opt`` on ``params`` (keys of the graph's parameters).

    Args:
        record: a function of the step number saying whether to keep a snapshot
            (step 0 and the last step are always kept).

    Returns:
        The kept snapshots, in step order.

    Raises:
        ValueError: a value stops being a finite number (the run diverged).
    """
    with mpmath.workdps(DIGITS):
        compiled = _Compiled(graph, grads)
        mp = lambda v: mpmath.mpf(sp.Float(v, DIGITS + 5)) if not isinstance(v, mpmath.mpf) else v  # noqa: E731
        leaves = {n.key: mp(n.value) for n in graph.nodes if n.is_leaf}
        hp = {k: mp(v) for k, v in opt.hp.items()}
        state: dict = {k: {} for k in params}
        out = []
        limit = mpmath.mpf(10) ** 300
        for t in range(0, steps + 1):
            try:
                vals, adj = compiled.run(leaves)
            except (ZeroDivisionError, ValueError, OverflowError):
                raise ValueError(f"a value stopped being a finite number after {t} steps "
                                 "(the run diverged; try a smaller learning rate)") from None
            loss = vals[graph.loss]
            if not mpmath.isfinite(loss) or abs(loss) > limit or any(abs(leaves[k]) > limit for k in params):
                raise ValueError(f"the loss or a parameter left every sensible range after {t} steps "
                                 "(the run diverged; try a smaller learning rate)")
            if t == 0 or t == steps or record(t):
                out.append(Snapshot(t, loss, {k: leaves[k] for k in params}))
            if t == steps:
                break
            for k in params:
                g = adj.get(k, mpmath.mpf(0))
                leaves[k], state[k] = opt.optimizer.step(leaves[k], g, state[k], t + 1, hp, mpmath.sqrt)
        return out
