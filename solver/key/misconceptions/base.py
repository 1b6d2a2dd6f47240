"""The descriptor of a misconception: a slip of backprop homework, as another computation
of the answers. Each computes, from the key's graph and exact values, the answers a student
who makes that slip (and no other) would give; a wrong answer equal to one of them is named.

Most are written as another rule for some local derivatives (the same reverse accumulation
then carries the slip to every gradient and update) or as a factor on the loss (every
gradient scales with it).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import msgspec
import sympy as sp

from ...core.numbers import normalize
from ...graph.carried import LocalRule, backward_with
from ...graph.model import PARAMETER_KINDS, Graph

#: (kind, of) → the values the slip gives (possibly several, e.g. log₂ and log₁₀).
Slipped = dict[tuple[str, str], list[sp.Expr]]


class Context(msgspec.Struct, frozen=True):
    """What a slip is computed from: the question's graph, its exact values and adjoints, the
    learning rate of a plain gradient step (``None`` when the question has none), the loss's
    type and its reductions (over the outputs and over the batch)."""

    graph: Graph
    values: dict
    adjoint: dict
    eta: sp.Expr | None = None
    loss: str = ""
    reduction: str = ""
    batch: str = "mean"
    update_biases: bool = True

    @property
    def outputs(self) -> int:
        """How many outputs the loss compares with targets (per example)."""
        return sum(1 for n in self.graph.nodes if n.kind == "target" and n.key.partition("#")[2] in ("", "1"))


class Misconception(msgspec.Struct, frozen=True):
    """A slip: its ``key`` (its name in ``grading.misconceptions``), ``title`` (the one-line
    explanation the feedback gives), ``credit`` (the default share of the points), ``compute``
    (the answers it gives, :data:`Slipped`), ``order`` (the order they are tried in)."""

    key: str
    title: str
    compute: Callable[[Context], Slipped]
    credit: Fraction = Fraction(1, 2)
    order: int = 50


def _updates(ctx: Context, grads: dict, sign: int = -1) -> Slipped:
    if ctx.eta is None:
        return {}
    out: Slipped = {}
    for n in ctx.graph.nodes:
        if n.kind in PARAMETER_KINDS and n.key in grads and (ctx.update_biases or n.kind != "bias"):
            out[("update", n.key)] = [normalize(ctx.values[n.key] + sign * ctx.eta * grads[n.key])]
    return out


def by_rule(ctx: Context, rule: LocalRule) -> Slipped:
    """The gradients (and the updates) of reverse accumulation with ``rule`` for some local
    derivatives; only those that differ from the key's."""
    if ctx.graph.loss is None:
        return {}
    adj = backward_with(ctx.graph, ctx.values, rule=rule)
    grads = {k: v for k, v in adj.items() if k != ctx.graph.loss and v != ctx.adjoint.get(k)}
    out: Slipped = {("gradient", k): [v] for k, v in grads.items()}
    out.update(_updates(ctx, {k: adj[k] for k in grads}))
    return out


def by_factor(ctx: Context, *factors: sp.Expr, examples: bool = True) -> Slipped:
    """The loss, the gradients and the updates of the loss multiplied by each of ``factors``;
    with ``examples`` each example's loss of a batch (``L#2``) too (a slip in the loss of one
    example, not in the batch's reduction)."""
    if ctx.graph.loss is None:
        return {}
    out: Slipped = {}
    each = [n.key for n in ctx.graph.nodes if n.kind == "loss" and n.key != ctx.graph.loss] if examples else []
    for f in factors:
        if f == 1:
            continue
        for k in (ctx.graph.loss, *each):
            out.setdefault(("loss", k), []).append(normalize(ctx.values[k] * f))
        grads = {k: normalize(v * f) for k, v in ctx.adjoint.items() if k != ctx.graph.loss and v != 0}
        for k, v in grads.items():
            out.setdefault(("gradient", k), []).append(v)
        for k, v in _updates(ctx, grads).items():
            out.setdefault(k, []).extend(v)
    return out


def merge(*parts: Slipped) -> Slipped:
    """The answers of several computations of one slip together."""
    out: Slipped = {}
    for part in parts:
        for k, v in part.items():
            out.setdefault(k, []).extend(v)
    return out


def flipped_update(ctx: Context) -> Slipped:
    """w + η g: the step taken along the gradient."""
    grads = {k: v for k, v in ctx.adjoint.items() if v != 0}
    return _updates(ctx, grads, sign=+1)
