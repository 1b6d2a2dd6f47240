"""Dropout in the key: the given mask, one element worked (y = x m / (1 − p)), the result;
backward, δ passed through the same mask and scale, checked against the graph's adjoints
(see :mod:`.tensor_norm`, which shows batch and layer normalisation)."""

from __future__ import annotations

import sympy as sp

from ..core.errors import NNSolveError
from ..core.numbers import display, normalize
from ..graph.model import TensorInfo
from ..graph.tensor_spec import element_latex
from ..ops.tensor import indices
from .model import Block, Equation
from .question import QuestionWork
from .tensor_display import tensor_equations


#: How far apart, relative to the engine's value (or absolutely, below 1), two values agree.
_AGREE = sp.Float("1e-40", 60)


def agree(mine: sp.Expr, engine: sp.Expr, what: str) -> None:
    """Raise unless ``mine`` (exact) equals the engine's value (exact, or to 40 digits when rounded).

    Raises:
        NNSolveError: an internal error naming ``what`` and both values.
    """
    engine = sp.sympify(engine)
    if engine.is_Rational and sp.sympify(mine).is_Rational:
        ok = mine == engine
    else:  # the closed form to 60 digits (its rounding, 1e-60 of it, far inside the 1e-40 allowed)
        engine = sp.N(engine, 60)
        ok = abs(sp.N(mine, 60) - engine) <= _AGREE * max(1, abs(engine))
    if not ok:
        raise NNSolveError(f"internal error: the closed form of {what} gives {sp.N(mine, 20)} but the chain rule "
                           f"through the graph gives {sp.N(engine, 20)}")


def dropout_forward(w: QuestionWork, t: TensorInfo, title: str) -> Block:
    """The forward block of a dropout node ``t``: its mask, one kept element worked, the result."""
    tensors = {u.key: u for u in w.graph.tensors}
    x, mask = (tensors[a.name] for a in t.tree.args)
    p = t.tree.kwargs["p"]
    num = lambda v: display(normalize(v), w.digits).latex
    k = next((i for i, key in enumerate(mask.elements) if w.values[key] != 0), 0)
    idx = tuple(list(indices(t.shape))[k])
    xv, mv, yv = (w.values[u.elements[k]] for u in (x, mask, t))
    rel = "=" if display(normalize(yv), w.digits).exact else r"\approx"
    eqs = [*tensor_equations(mask.latex, mask, w.values.__getitem__, w.digits),
           Equation(element_latex(t.latex, t.shape, idx),
                    (("=", (rf"\frac{{{element_latex(x.latex, x.shape, idx)}\, {element_latex(mask.latex, mask.shape, idx)}}}"
                           rf"{{1 - p}}")),
                     ("=", rf"\frac{{({num(xv)})({num(mv)})}}{{1 - {num(p)}}}"), (rel, num(yv)))),
           *tensor_equations(t.latex, t, w.values.__getitem__, w.digits)]
    text = (rf"{t.tree.op.note} Here $p = {num(p)}$: the kept elements (mask 1) are scaled by "
            rf"$1/(1 - p) = {num(1 / (1 - p))}$, the dropped ones (mask 0) are 0.")
    return Block("stage", title, text, tuple(eqs))


def dropout_backward(w: QuestionWork, t: TensorInfo, u: TensorInfo, pos: int, adj, name):
    """(rule, equations) of δ of ``t``, the input of the dropout node ``u`` (``None`` for the mask).

    Raises:
        NNSolveError: the formula disagrees with the graph's adjoints.
    """
    if pos != 0:
        return None
    mask = next(x for x in w.graph.tensors if x.key == u.tree.args[1].name)
    p = u.tree.kwargs["p"]
    vals = [adj(k) * w.values[m] / (1 - p) for k, m in zip(u.elements, mask.elements)]
    for v, key in zip(vals, t.elements):
        agree(v, adj(key), t.key)
    num = lambda v: display(normalize(v), w.digits)
    k = next((i for i, key in enumerate(mask.elements) if w.values[key] != 0), 0)
    idx = tuple(list(indices(t.shape))[k])
    dy = adj(u.elements[k])
    d_el = element_latex(rf"\delta^{{{u.latex}}}", u.shape, idx)
    rel = "=" if num(vals[k]).exact else r"\approx"
    eq = Equation(name(t.elements[k]),
                  (("=", (rf"\frac{{{d_el}\, "
                         rf"{element_latex(mask.latex, mask.shape, idx)}}}{{1 - p}}")),
                   ("=" if num(dy).exact else r"\approx",
                    rf"\frac{{({num(dy).latex})({num(w.values[mask.elements[k]]).latex})}}{{1 - {num(p).latex}}}"),
                   (rel, num(vals[k]).latex)))
    rule = (rf"Dropout passes $\delta^{{{u.latex}}}$ through the same mask and scale: "
            rf"$\delta^{{{t.latex}}} = \delta^{{{u.latex}}} \odot {mask.latex} / (1 - p)$ (agrees with the chain rule "
            rf"through the graph).")
    return [rule], [eq]
