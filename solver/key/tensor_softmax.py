"""Backward through a softmax by rows, as its Jacobian–vector product.

With weights A = softmax(S) along an axis and the upstream gradient δ^A, each lane r (a row
for ``axis=1``) gives, from ∂A_{rk}/∂S_{rj} = A_{rk}(δ_{kj} − A_{rj}) (Goodfellow et al.,
*Deep Learning*, §6.2.2.3):

    s_r = Σ_k δ^A_{rk} A_{rk},    δ^S_r = A_r ⊙ (δ^A_r − s_r).

The key shows both lines for each lane with numbers. Also here: a local derivative such as
√3 Q₁₁/3 written as Q₁₁/√3 in a worked element (:func:`local_latex`).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..core.numbers import Shown, display
from ..graph.model import TensorInfo
from ..graph.tensor_spec import element_latex
from ..ops.latex import bmatrix
from ..ops.tensor import indices
from ..problem.tensor_expressions import Apply, Ref
from .model import Equation
from .question import QuestionWork

#: Up to this many lanes (rows) the key works out each one; beyond, the first ones and the matrix.
LANES = 6

#: How δ passes through a softmax, stated by the key (the rule of ``("softmax", 0)``).
ROW_RULES = {
    ("softmax", 0): (r"Through the softmax along its axis, by its Jacobian–vector product: from "
                     r"$\partial {u}_{{rk}} / \partial {t}_{{rj}} = {u}_{{rk}}(\delta_{{kj}} - {u}_{{rj}})$, "
                     r"for each row $r$, $s_r = \sum_k \delta^{{{u}}}_{{rk}} {u}_{{rk}}$ and "
                     r"$\delta^{{{t}}}_{{r}} = {u}_{{r}} \odot (\delta^{{{u}}}_{{r}} - s_r)$."),
}


def lane_label(shape: tuple[int, ...], axis: int, rest: tuple[int, ...]) -> str:
    """``{1,:}`` for row 1 of a matrix along axis 1, ``{:,2}`` along axis 0, ``""`` for a vector."""
    if len(shape) == 1:
        return ""
    it = iter(rest)
    return "{" + ",".join(":" if a == axis else str(next(it) + 1) for a in range(len(shape))) + "}"


def _factor(s: Shown) -> str:
    return f"({s.latex})"


def _row(cells: list[Shown]) -> str:
    return bmatrix([[c.latex for c in cells]])


def jvp_rows(names: tuple[str, str, str], shape: tuple[int, ...], axis: int,
             weights: Callable[[tuple], sp.Expr], upstream: Callable[[tuple], sp.Expr],
             element: Callable[[str, tuple], str], digits: int) -> tuple[list[Equation], dict[tuple, sp.Expr]]:
    """The per-lane JVP lines and δ^S by index.

    Args:
        names: LaTeX of the scores S, the weights A and the upstream gradient δ^A (``\\delta^{A}``).
        shape, axis: the weights' shape and the softmax's axis (≥ 0).
        weights, upstream: A and δ^A at an index (exact values).
        element: ``element(base, index)``, the LaTeX of an element (``A_{12}``).
        digits: significant figures shown.
    """
    s_name, a_name, d_name = names
    rest_shape = shape[:axis] + shape[axis + 1:]
    eqs, out = [], {}
    for n, rest in enumerate(indices(rest_shape)):
        lane = [rest[:axis] + (k,) + rest[axis:] for k in range(shape[axis])]
        a = [weights(i) for i in lane]
        d = [upstream(i) for i in lane]
        s = sum((x * y for x, y in zip(a, d)), sp.Integer(0))
        grads = [x * (y - s) for x, y in zip(a, d)]
        out.update(zip(lane, grads))
        if n >= LANES:
            continue
        label = lane_label(shape, axis, rest)
        sub = "_{" + ",".join(str(r + 1) for r in rest) + "}" if rest else ""
        shown_a, shown_d, shown_s = [display(x, digits) for x in a], [display(x, digits) for x in d], display(s, digits)
        exact = all(x.exact for x in shown_a + shown_d)
        terms = " + ".join(f"{element(d_name, i)} {element(a_name, i)}" for i in lane)
        nums = " + ".join(f"{_factor(y)}{_factor(x)}" for x, y in zip(shown_a, shown_d))
        eqs.append(Equation(f"s{sub}", (("=", terms), ("=" if exact else r"\approx", nums),
                                         (shown_s.relation, shown_s.latex))))
        def head(base: str, label: str = label) -> str:
            return f"{base}_{label}" if label else base
        minus = f" - {shown_s.latex}" if not shown_s.latex.startswith("-") else f" + {shown_s.latex[1:]}"
        result = [display(g, digits) for g in grads]
        eqs.append(Equation(
            head(rf"\delta^{{{s_name}}}"),
            (("=", rf"{head(a_name)} \odot \left({head(d_name)} - s{sub}\right)"),
             ("=" if exact and shown_s.exact else r"\approx",
              rf"{_row(shown_a)} \odot \left({_row(shown_d)}{minus}\right)"),
             ("=" if all(r.exact for r in result) else r"\approx", _row(result)))))
    if len(list(indices(rest_shape))) > LANES:
        # in the values' column: as a left-hand side it widened that column, and every row of
        # the block (a score matrix's gradient) began further right, 123 pt past the margin
        eqs.append(Equation("", (("", r"\text{(the other rows likewise)}"),)))
    return eqs, out


def softmax_reader(t: TensorInfo, readers: list[TensorInfo]) -> TensorInfo | None:
    """The one tensor that reads ``t`` and is ``softmax(t, axis=…)`` of it directly, or ``None``."""
    if len(readers) != 1:
        return None
    tree = readers[0].tree
    ok = isinstance(tree, Apply) and tree.op.name == "softmax" and tree.args == (Ref(t.key),)
    return readers[0] if ok and t.shape else None


def softmax_equations(w: QuestionWork, t: TensorInfo, readers: list[TensorInfo], deltas: dict) -> list[Equation]:
    """The per-row JVP lines of δ^t when ``t``'s only reader is a softmax of it; else []."""
    u = softmax_reader(t, readers)
    if u is None:
        return []
    axis = u.tree.kwargs["axis"] % len(t.shape)
    where = dict(zip(indices(u.shape), u.elements))
    eqs, _ = jvp_rows(
        (t.latex, u.latex, rf"\delta^{{{u.latex}}}"), u.shape, axis,
        lambda i: w.values[where[i]], lambda i: w.grads.adjoint.get(where[i], sp.Integer(0)),
        lambda base, i: element_latex(base, u.shape, i), w.digits)
    return eqs


def local_latex(tex: Callable[[sp.Expr], str], formula: sp.Expr) -> str:
    """A local derivative in LaTeX, a product with a coefficient c√n equal to ±1/√m written
    ``\\frac{X}{\\sqrt{m}}`` (``Q_{11}/√3``, not ``\\frac{1}{3} Q_{11} \\sqrt{3}``); else ``tex(formula)``."""
    if not formula.is_Mul:
        return tex(formula)
    coeff, rest = formula.as_coeff_Mul()
    roots = [f for f in sp.Mul.make_args(rest) if f.is_Pow and f.base.is_Integer and f.exp == sp.Rational(1, 2)]
    if not coeff.is_Rational or len(roots) != 1:
        return tex(formula)
    root = roots[0]
    square = coeff ** 2 * root.base
    if not (1 / square).is_Integer:
        return tex(formula)
    others = sp.Mul(*[f for f in sp.Mul.make_args(rest) if f != root])
    sign = "-" if coeff < 0 else ""
    return rf"{sign}\frac{{{tex(others)}}}{{\sqrt{{{1 / square}}}}}"
