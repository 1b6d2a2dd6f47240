"""The descriptor of a loss: everything the other stages read about it.

A loss is added by one module in this package defining ``LOSS`` (a :class:`Loss`); the
package finds it by itself (:mod:`solver.ops.losses`). Its builder writes the loss of
one example as an unevaluated sympy expression of the outputs and targets, so that the
key prints it as written (``(o_1 - y_1)^2 + (o_2 - y_2)^2``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import msgspec
import sympy as sp

from ..params import Param


class LossForm(msgspec.Struct, frozen=True):
    """A loss as the key shows it: its expression, a title and the general definition."""

    expr: sp.Expr
    title: str
    definition: str
    needs_probabilities: bool = False


class Loss(msgspec.Struct, frozen=True):
    """A loss function of one example's outputs and targets.

    Attributes:
        key: its name in problem files (``sse``).
        title: its name in prose (the builder may refine it, e.g. "averaged over the outputs").
        build: ``(outputs, targets, target_values, reduction, params) -> LossForm``: outputs
            and targets are sympy symbols (one per output), ``target_values`` their exact
            values, ``reduction`` one of :attr:`reductions`, ``params`` by name.
        reductions: the values ``reduction`` may take, the default first. A loss whose
            definition fixes its reduction (a sum) lists only that one.
        params: its parameters (a threshold, a margin), with defaults.
        needs_probabilities: its outputs must be probabilities (a softmax or sigmoid layer).
        softmax_shortcut: after a softmax, with targets summing to 1, ∂L/∂o = p − y.
        check_targets: ``(target values) -> message or None``: what its targets must be.
        source: where its definition comes from.
        order: where it stands in lists (the schema, the README); then by name.
    """

    key: str
    title: str
    build: Callable[..., LossForm]
    reductions: tuple[str, ...] = ("sum",)
    params: tuple[Param, ...] = ()
    needs_probabilities: bool = False
    softmax_shortcut: bool = False
    check_targets: Callable[[list], str | None] | None = None
    source: str = ""
    order: int = 100

    @property
    def default_reduction(self) -> str:
        return self.reductions[0]


def add(terms: list) -> sp.Expr:
    """The sum of ``terms`` as written (one term stays itself)."""
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def residual(o: sp.Symbol, y: sp.Symbol) -> sp.Expr:
    """``o - y``, unevaluated."""
    return sp.Add(o, sp.Mul(-1, y, evaluate=False), evaluate=False)


def scaled(factor: sp.Rational, expr: sp.Expr) -> sp.Expr:
    """``factor · expr``, unevaluated (``expr`` itself when the factor is 1)."""
    return expr if factor == 1 else sp.Mul(factor, expr, evaluate=False)


def squares(o: Sequence[sp.Symbol], y: Sequence[sp.Symbol]) -> list:
    """``(o_k - y_k)^2`` for every output."""
    return [sp.Pow(residual(a, b), 2, evaluate=False) for a, b in zip(o, y)]
