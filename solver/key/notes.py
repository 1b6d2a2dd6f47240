"""Notes on non-differentiable points hit exactly (decided on exact values): the
convention each function uses there (its descriptor's, as PyTorch computes it), and the
ties of ``max`` and ``min`` (the gradient to the first extremal argument)."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..core.numbers import Shown
from ..graph.backprop import evaluate
from ..ops.extremum import Extremum
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


#: sympy's own functions with a kink, and the note there, given the LaTeX of the argument.
_BUILTIN_KINKS = {
    sp.Abs: lambda u: (rf"$\left|{u}\right|$ has a kink at ${u} = 0$; this key uses $\operatorname{{sgn}}(0) = 0$, "
                       "as PyTorch does."),
}


def notes(w: QuestionWork, ties: bool = True) -> list[Block]:
    """A note for every function of :mod:`solver.ops` whose argument sits exactly on a
    kink, then for every ``|u|`` at its kink and every ``max`` or ``min`` whose extremum
    two arguments reach (a tie; not with ``ties=False``, where the key states them elsewhere)."""
    g = w.graph
    out = []
    marked = [(n, _marked(n.expr)) for n in g.nodes if n.expr is not None]
    for n, found in marked:
        for a in found:
            if isinstance(a, OpFunctionBase) and any(evaluate(p, w.values) == 0 for p in a.kink_points()):
                out.append(Block("note", "Non-differentiable point", a.kink_note(w.sb.tex(a))))
    for n, found in marked:
        for a in found:
            if isinstance(a, Extremum):
                text = tie_note(w, a) if ties else ""
            elif type(a) in _BUILTIN_KINKS and evaluate(a.args[0], w.values) == 0:
                text = _BUILTIN_KINKS[type(a)](w.sb.tex(a.args[0]))
            else:
                continue
            if text:
                out.append(Block("note", "Non-differentiable point", f"At ${g.latex[n.key]}$: {text}"))
    return out


@lru_cache(maxsize=4096)
def _marked(expr: sp.Expr) -> tuple:
    """The parts of ``expr`` that may sit on a kink (functions of :mod:`solver.ops`, ``max`` and
    ``min``, ``|u|``), in preorder: one traversal per formula (the same in every variant's key)."""
    return tuple(a for a in sp.preorder_traversal(expr)
                 if isinstance(a, (OpFunctionBase, Extremum)) or type(a) in _BUILTIN_KINKS)


def tie(w: QuestionWork, a: Extremum) -> tuple[list[str], Shown] | None:
    """The arguments of a ``max`` or ``min`` that reach its extremum at the question's values
    (exactly; LaTeX, in order) and their common value as shown, or ``None`` without a tie."""
    values = [evaluate(x, w.values) for x in a.args]
    tied = a.tied(values)
    if len(tied) < 2:
        return None
    return [w.sb.tex(a.args[i]) for i in tied], w.sb.show(values[tied[0]])


def tie_note(w: QuestionWork, a: Extremum) -> str:
    """The note for a ``max`` or ``min`` with a tie, naming the tied arguments and the one the
    gradient goes to; ``""`` without a tie."""
    found = tie(w, a)
    if found is None:
        return ""
    names, shown = found
    return a.tie_note(w.sb.tex(a), names, shown.relation, shown.latex)