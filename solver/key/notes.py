"""Notes on non-differentiable points hit exactly (decided on exact values): the
convention each function uses there (its descriptor's, as PyTorch computes it)."""

from __future__ import annotations

import sympy as sp

from ..graph.backprop import evaluate
from ..ops.functions import OpFunctionBase
from ..ops.latex import in_softmax_names
from ..ops.losses.cross_entropy import SHORTCUT_CHAIN
from .model import Block
from .question import QuestionWork


def softmax_ce_note(names: tuple[str, str], then: str = "") -> str:
    """Why ∂L/∂o_j = p_j − y_j for a softmax followed by cross-entropy with targets summing
    to 1, through the softmax Jacobian, in the network's names for the logits and
    probabilities (``names``, see :func:`solver.ops.latex.in_softmax_names`); ``then`` (in
    the generic letters too) goes on the sentence."""
    return in_softmax_names(
        r"With $p = \operatorname{softmax}(o)$ and $L = -\sum_k y_k \ln p_k$ where $\sum_k y_k = 1$: "
        rf"${SHORTCUT_CHAIN} = p_j \sum_k y_k - y_j = p_j - y_j$" + (then or "."), *names)


#: sympy's own functions with a kink or a tie, and the convention there.
_BUILTIN_KINKS = {
    sp.Abs: r"$|u|$ has a kink at $u = 0$; this key uses $\operatorname{sgn}(0) = 0$, as PyTorch does.",
    sp.Max: r"$\max$ has a tie; this key splits the gradient equally between the tied arguments "
            r"($H(0) = \tfrac{1}{2}$), as PyTorch's maximum does.",
    sp.Min: r"$\min$ has a tie; this key splits the gradient equally between the tied arguments "
            r"($H(0) = \tfrac{1}{2}$), as PyTorch's minimum does.",
}


def notes(w: QuestionWork) -> list[Block]:
    """A note for every function of :mod:`solver.ops` whose argument sits exactly on a
    kink, then for every ``|u|``, ``max`` or ``min`` at its kink or tie."""
    g = w.graph
    out = []
    for n in g.nodes:
        if n.expr is None:
            continue
        for a in sp.preorder_traversal(n.expr):
            if isinstance(a, OpFunctionBase) and any(evaluate(p, w.values) == 0 for p in a.kink_points()):
                out.append(Block("note", "Non-differentiable point", a.kink_note(w.sb.tex(a))))
    for n in g.nodes:
        if n.expr is None:
            continue
        for a in sp.preorder_traversal(n.expr):
            if type(a) in _BUILTIN_KINKS:
                point = a.args[0] if isinstance(a, sp.Abs) else a.args[0] - a.args[1]
                if evaluate(point, w.values) == 0:
                    out.append(Block("note", "Non-differentiable point",
                                     f"At ${g.latex[n.key]}$: " + _BUILTIN_KINKS[type(a)]))
    return out
