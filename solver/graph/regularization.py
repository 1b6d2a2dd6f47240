"""A weight penalty added to a network's data loss: ``loss.regularization``.

The penalty is a node of the graph, ``R``, over the weights (and the biases with
``include_biases``), and the loss becomes L = (data term) + R. Reverse accumulation then
gives every gradient as the data gradient plus the penalty's, ∂L/∂w = ∂L_data/∂w + ∂R/∂w,
and a training run, an update and the loss after it include the penalty by themselves.

- ``l2: λ`` adds (λ/2) Σ w², whose gradient is λ w: the same step as PyTorch's
  ``weight_decay=λ`` in ``torch.optim.SGD`` (d2l.ai §3.7, "Weight Decay").
- ``l1: λ`` adds λ Σ |w|, whose gradient is λ sgn(w) with sgn(0) = 0 (PyTorch's
  ``torch.sign`` and the subgradient autograd gives ``abs`` at 0).
"""

from __future__ import annotations

import msgspec
import sympy as sp

from ..core.numbers import written_latex
from .model import Node, sym

#: The penalty node's key in the graph and the answers.
PENALTY = "R"


class Penalty(msgspec.Struct, frozen=True):
    """The penalty of one question: its node, and what the key says of it.

    Attributes:
        node: the node ``R`` (kind ``penalty``).
        definition: LaTeX of its definition with λ's values (``R = \\frac{0.01}{2} \\sum w^2``).
        text: what it covers, in words ("the 8 weights; the biases are not penalised").
        terms: the penalised parameters' keys, in graph order.
        l2, l1: the coefficients λ (0 when not given).
    """

    node: Node
    definition: str
    text: str
    terms: tuple[str, ...]
    l2: sp.Rational = sp.Integer(0)
    l1: sp.Rational = sp.Integer(0)

    def gradient_latex(self, w: str) -> str:
        r"""∂R/∂w with λ's values: ``0.01\, w_{1}``, ``0.01 \operatorname{sgn}(w_{1})``
        (``w`` is the parameter's LaTeX name, or its shown value in parentheses)."""
        out = []
        if self.l2:
            out.append(rf"{_factor(self.l2)} {w}")
        if self.l1:
            out.append(rf"{_factor(self.l1)} \operatorname{{sgn}}{w if w.startswith('(') else f'({w})'}")
        return " + ".join(out) or "0"


def penalty(spec, nodes: list[Node]) -> Penalty | None:
    """The penalty that ``spec`` (a :class:`~solver.problem.schema.Regularization`, or
    ``None``) puts on the parameters among ``nodes``; ``None`` without one."""
    if spec is None:
        return None
    kinds = ("weight", "bias") if spec.include_biases else ("weight",)
    order = {n.key: i for i, n in enumerate(nodes)}
    keys = tuple(n.key for n in sorted((n for n in nodes if n.kind in kinds), key=lambda n: (
        n.layer or 0, n.kind != "weight", n.position or (0, 0), order[n.key])))
    parts, defs = [], []
    if spec.l2:
        squares = [sp.Pow(sym(k), 2, evaluate=False) for k in keys]
        parts.append(sp.Mul(spec.l2 / 2, _sum(squares), evaluate=False))
        defs.append(rf"\frac{{{written_latex(spec.l2)}}}{{2}} \sum w^2")
    if spec.l1:
        parts.append(sp.Mul(spec.l1, _sum([sp.Abs(sym(k), evaluate=False) for k in keys]), evaluate=False))
        defs.append(rf"{written_latex(spec.l1)} \sum \lvert w \rvert")
    if not parts:  # l2: 0 and l1: 0
        parts.append(sp.Integer(0))
        defs.append("0")
    expr = _sum(parts)
    what = "weights and biases" if spec.include_biases else "weights"
    text = (f"the {len(keys)} {what}" if len(keys) != 1 else f"the one {what[:-1]}")
    if not spec.include_biases:
        text += "; the biases are not penalised"
    grads = []
    if spec.l2:
        grads.append(r"$\lambda w$ for the L2 term (the step that torch.optim.SGD takes with "
                     r"weight decay $\lambda$)")
    if spec.l1:
        grads.append(r"$\lambda \operatorname{sgn}(w)$ for the L1 term, with $\operatorname{sgn}(0) = 0$ "
                     "(the subgradient PyTorch's autograd takes for $|w|$ at 0)")
    if grads:
        text += r". Its gradient $\partial R/\partial w$ is " + " and ".join(grads)
    return Penalty(Node(PENALTY, "penalty", expr=expr), f"R = {' + '.join(defs)}", text, keys,
                   spec.l2 or sp.Integer(0), spec.l1 or sp.Integer(0))


def with_penalty(loss: sp.Expr) -> sp.Expr:
    """The loss ``loss`` (the data term) plus the penalty's symbol, as written."""
    return sp.Add(loss, sym(PENALTY), evaluate=False)


def _factor(value: sp.Rational) -> str:
    shown = written_latex(value)
    return f"({shown})" if shown.startswith("-") or "e" in shown else shown


def _sum(terms: list) -> sp.Expr:
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)
