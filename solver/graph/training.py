"""Several steps of gradient descent on a graph, in 50-digit arithmetic.

The first step of a training question is derived in full, exactly, by the usual
solution steps; the run itself is compiled once (each node's expression and each
local derivative to a Python function, one per shape of formula: :mod:`.run_code`) and
iterated, so that a 1,000-step run takes a fraction of a second. A test checks the
compiled first step against the exact one.

Values stay exact fractions while their operands are exact and short (:mod:`.exact`), so
a branch at an exact kink is decided exactly; rounded values decide a branch only when
they are clearly on one side (:func:`~solver.ops.functions.positive`). Rounded values are
mpmath numbers, or Arb balls where every function of the graph is smooth (:mod:`.balls`:
the same numbers to within a few units of the 50th digit, several times faster). Each step
applies the optimizer's own update rule (:mod:`solver.ops.optimizers`: the same function
that derives the key's exact step); the functions of :mod:`solver.ops` run through their
numeric twins.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from typing import NamedTuple

import mpmath
import msgspec
import sympy as sp
from msgspec import field

from ..core.numbers import DIGITS
from ..ops.functions import AmbiguousBranch
from ..ops.optimizers import Optimizer
from . import balls
from .backprop import Gradients
from .exact import Exact, bounded, exact, fixed, sqrt
from .model import Graph
from .residues import rounding_only
from .run_code import NAME as _NAME
from .run_code import compiled_formula, kind, reader


class Settings(msgspec.Struct, frozen=True):
    """An optimizer and its hyper-parameters (exact numbers, by name, defaults filled in)."""

    optimizer: Optimizer
    hp: dict


class Snapshot(msgspec.Struct, frozen=True):
    """The loss and the parameters after ``step`` steps (step 0: before training), the
    gradient each parameter was moved by in that step and every value the step computed
    for it besides ``w`` (the optimizer's state, and m̂, v̂…), by parameter (empty at step 0)."""

    step: int
    loss: mpmath.mpf
    params: dict
    grads: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)


def _start(value):
    """A leaf's or hyper-parameter's value for the run: exact where it is rational, else a
    number of the working precision."""
    value = sp.sympify(value)
    return exact(value) if value.is_Rational else mpmath.mpf(sp.Float(value, DIGITS + 5))


class _Compiled:
    """The graph's forward pass and local derivatives as functions on mpmath numbers, or on
    Arb balls (``on_balls``: :mod:`.balls`; :class:`.balls.Unsupported` when a function of
    the graph has no twin on balls)."""

    def __init__(self, graph: Graph, grads: Gradients, on_balls: bool = False):
        self.graph, self.balls = graph, on_balls
        self.order = [n for n in graph.nodes if not n.is_leaf]
        formulas = {(c, p): _in_child(loc.formula, c, graph.by_key[c].expr) for (c, p), loc in grads.local.items()}
        if on_balls:  # the graph's functions first: a graph with a kink never imports flint
            balls.supported([n.expr for n in self.order] + list(formulas.values()))
            if not balls.available():
                raise balls.Unsupported("python-flint is not installed")
        forward_fns = {n.key: self._fn(n.expr, graph.parents[n.key]) for n in self.order}
        self.edges = list(grads.local)
        with balls.precision() if on_balls else nullcontext():  # a constant derivative is computed here
            self.plan = [(c, p, *self._local(formulas[(c, p)], grads.local[(c, p)].formula)) for c, p in self.edges]
        self.forward_plan = [(n.key, forward_fns[n.key][0], reader(forward_fns[n.key][1])) for n in self.order]

    def _fn(self, expr: sp.Expr, args) -> tuple:
        return compiled_formula(expr, list(args), self.balls)

    def _local(self, formula: sp.Expr, written: sp.Expr) -> tuple:
        """How the run finds a local derivative (:func:`.run_code.kind`): a parent's own value or a
        fraction (most of a dense network's edges: ∂(w x)/∂x = w, ∂(b + …)/∂b = 1) read off
        the formula, anything else compiled."""
        if type(formula) is sp.Symbol and formula == written:
            return formula.name, _NAME
        if formula.is_Rational:  # what its compiled function would return: an int, or the fraction's constant
            return (int(formula) if formula.is_Integer else fixed(Exact(int(formula.p), int(formula.q)))), None
        return kind(self._fn(formula, sorted({s.name for s in formula.free_symbols})), written)

    def plan_for(self, params) -> list:
        """The edges whose parent's ∂L/∂n a parameter of ``params`` needs: into a parameter
        or a node computed from one (not into an input or a target: an XOR batch's run
        skips a quarter of its edges). Each parameter's sum is over the same edges in the
        same order, so its gradient is the same number."""
        needed, parents = set(params), self.graph.parents
        for n in self.graph.nodes:  # graph order: a node after its parents, one pass over the edges
            if n.key not in needed and any(p in needed for p in parents[n.key]):
                needed.add(n.key)
        return [edge for edge in self.plan if edge[1] in needed]

    def terms(self, parent: str, vals: dict, adj: dict, plan: list) -> list:
        """The terms ∂L/∂c · ∂c/∂parent of ``parent``'s sum in :meth:`run`, again."""
        return [adj.get(c, _ZERO) * (fn if args is None else vals[fn] if args is _NAME else fn(*args(vals)))
                for c, p, fn, args in plan if p == parent]

    def run(self, values: dict, plan: list | None = None) -> tuple[dict, dict]:
        """Values of every node and ∂L/∂n of every node (of the nodes of ``plan``'s edges'
        parents, where given: see :meth:`plan_for`), from leaf values."""
        vals = dict(values)
        for key, fn, read in self.forward_plan:
            vals[key] = fn(*read(vals))
        adj = {self.graph.loss: _ONE}
        for child, parent, fn, args in self.plan if plan is None else plan:  # edges in reverse graph order of the child
            local = fn if args is None else vals[fn] if args is _NAME else fn(*args(vals))
            term, before = adj.get(child, _ZERO) * local, adj.get(parent)
            # 0 + term is term: an exact one's value, a rounded one's (already at the working
            # precision, mpf_add with 0 rounds it to itself) without the mixed-type addition
            adj[parent] = term if before is None else before + term
        return vals, adj


def _in_child(formula: sp.Expr, child: str, expr: sp.Expr) -> sp.Expr:
    """A local derivative with the child's function, where it appears, read as the child's
    value (σ'(z) = σ(z)(1 − σ(z)) is ``c (1 - c)``): the run computed the same call on the
    same numbers for the child, so the value is the same, without a second ``exp``."""
    if isinstance(expr, sp.Function) and formula.has(expr):
        return formula.xreplace({expr: sp.Symbol(child, real=True)})
    return formula


_ZERO, _ONE = fixed(Exact(0)), fixed(Exact(1))  # made once (a Fraction is slow to make); exact at any precision
_NO_GRADIENT = Exact(0)  # a parameter the loss does not reach: kept in its snapshots, so a plain Exact

_LAST: list = []  # the last (graph, gradients, compiled run): one entry, not a growing cache


def _compiled(graph: Graph, grads: Gradients, on_balls: bool = True) -> _Compiled:
    """The compiled run of ``graph``, on balls where ``on_balls`` and the graph allow it: the
    last one when the same graph and gradients come again (the questions of a key that share
    their graph, one after the other)."""
    if _LAST and _LAST[0][0] is graph and _LAST[0][1] is grads and (on_balls or not _LAST[0][2].balls):
        return _LAST[0][2]
    compiled = None
    if on_balls:
        try:
            compiled = _Compiled(graph, grads, on_balls=True)
        except balls.Unsupported:
            pass
    compiled = compiled or _Compiled(graph, grads)
    _LAST[:] = [(graph, grads, compiled)]
    return compiled


def train(graph: Graph, grads: Gradients, params: list[str], opt: Settings, steps: int,
          record, full=None) -> list[Snapshot]:
    """Run ``steps`` steps of the optimizer ``opt`` on ``params`` (keys of the graph's parameters).

    Args:
        record: a function of the step number saying whether to keep a snapshot
            (step 0 and the last step are always kept).
        full: a function of the step number saying whether a kept snapshot holds the
            parameters, gradients and state besides the loss (a plot's points need the
            loss alone); by default every one does, and step 0 and the last always do.

    Returns:
        The kept snapshots, in step order.

    Raises:
        ValueError: a value stops being a finite number (the run diverged).
    """
    with mpmath.workdps(DIGITS):
        compiled = _compiled(graph, grads)
        if compiled.balls:
            try:
                with balls.precision():
                    return _steps(compiled, params, opt, steps, (record, full), _ON_BALLS)
            except balls.Undefined:  # a ball that is no number: mpmath's arithmetic decides
                compiled = _compiled(graph, grads, on_balls=False)
        return _steps(compiled, params, opt, steps, (record, full), _ON_MPMATH)


class _Numbers(NamedTuple):
    """What a run does with its numbers, by kind (mpmath numbers or Arb balls): a leaf's
    rounded start value, a new parameter or state value kept for the next step, a value
    handed to a snapshot, the square root, the check of a loss or a kept value."""

    start: Callable
    kept: Callable
    shown: Callable
    sqrt: Callable
    defined: Callable


def _same(value):
    return value


_ON_MPMATH = _Numbers(_same, bounded, _same, sqrt, _same)
_ON_BALLS = _Numbers(lambda v: balls.as_ball(v) if isinstance(v, mpmath.mpf) else v,
                     lambda v: balls.settled(bounded(v)), balls.plain, balls.sqrt, balls.defined)


def _steps(compiled: _Compiled, params: list[str], opt: Settings, steps: int, kept_when: tuple,
           numbers: _Numbers) -> list:
    graph = compiled.graph
    record, full = kept_when
    plan = compiled.plan_for(params)
    trained = set(params)  # the other leaves and the hyper-parameters are constants of the run
    leaves = {n.key: numbers.start(_start(n.value) if n.key in trained else fixed(_start(n.value)))
              for n in graph.nodes if n.is_leaf}
    hp = {k: numbers.start(fixed(_start(v))) for k, v in opt.hp.items() if not isinstance(v, bool)}
    rule = opt.optimizer
    first, later = rule.compiled(opt.hp, True), rule.compiled(opt.hp, False)
    kept = [name for name, _ in rule.state]
    # With weight decay a parameter with no gradient still moves; without, a zero gradient on a
    # zero state moves no parameter (a unit at a kink stays exact), and no state where the rule
    # rests (Optimizer.rests: Adamax's u and NAdam's product of μ's move all the same).
    still = not opt.hp.get("weight_decay", 0)
    state: dict = {k: {} for k in params}
    moved: dict = {}
    out = []
    limit = mpmath.mpf(10) ** 300
    shown = numbers.shown
    for t in range(0, steps + 1):
        try:
            vals, adj = compiled.run(leaves, plan)
        except AmbiguousBranch as exc:
            raise ValueError(f"at step {t + 1}, {exc}; the run stops rather than guess") from None
        except (ZeroDivisionError, ValueError, OverflowError):
            raise ValueError(f"a value stopped being a finite number after {t} steps "
                             "(the run diverged; try a smaller learning rate)") from None
        loss = numbers.defined(vals[graph.loss])
        if not mpmath.isfinite(loss) or abs(loss) > limit or any(abs(leaves[k]) > limit for k in params):
            raise ValueError(f"the loss or a parameter left every sensible range after {t} steps "
                             "(the run diverged; try a smaller learning rate)")
        if t == 0 or t == steps or record(t):
            if t == 0 or t == steps or full is None or full(t):
                out.append(Snapshot(t, shown(loss), {k: shown(leaves[k]) for k in params},
                                    {k: shown(g) for k, (g, _) in moved.items()},
                                    {k: {n: shown(x) for n, x in v.items()} for k, (_, v) in moved.items()}))
            else:  # a plot's point
                out.append(Snapshot(t, shown(loss), {}))
        if t == steps:
            break
        step = first if t == 0 else later
        for k in params:
            g = adj.get(k, _NO_GRADIENT)
            if rounding_only(g, partial(compiled.terms, k, vals, adj, plan)):
                g = _ZERO  # terms that cancel, to within their rounding (see residues)
            g = numbers.defined(g)
            idle = still and balls.settled(g) == 0 and all(v == 0 for v in state[k].values())
            if idle and rule.rests:
                moved[k] = (g, {})  # nothing moves, and an exact parameter stays exact
                continue
            new = step(leaves[k], g, t + 1, hp, state[k], numbers.sqrt)
            w = new.pop("w")
            if not idle:  # idle, the parameter stays as it is, exact
                leaves[k] = numbers.defined(numbers.kept(w))
            new = {n: numbers.defined(numbers.kept(v)) for n, v in new.items()}
            state[k] = {n: new[n] for n in kept if n in new}
            new.pop("g", None)
            moved[k] = (g, new)
    return out
