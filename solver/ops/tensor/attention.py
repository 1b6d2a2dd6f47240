"""Scaled dot-product attention as PyTorch computes it
(``torch.nn.functional.scaled_dot_product_attention``; Vaswani et al., *Attention is all you
need*, 2017, eq. 1).

``attention(Q, K, V)`` or ``attention(Q, K, V, M)``: Q is (…, L, d_k), K is (…, S, d_k), V is
(…, S, d_v), with the same leading (batch) axes; the output O is (…, L, d_v):

* scores ``S = Q Kᵀ / √d_k`` (d_k the last axis of Q), plus the mask M when one is given
  (M is L × S, or has the scores' whole shape);
* weights ``A = softmax(S)`` along the last axis (each row of S);
* output ``O = A V``.

The mask, as PyTorch's ``attn_mask``: by default a float mask, added to the scores; with
``boolean=1`` a 0/1 mask (PyTorch's boolean mask, 1 = True = takes part): a masked-out
entry (M = 0) gets weight exactly 0, ``A_rk = M_rk e^{S_rk} / Σ_j M_rj e^{S_rj}`` (the limit
of adding −∞), and the scores are not masked. Every row needs at least one entry kept.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from ..activations.softmax import Softmax
from ..functions import OpFunctionBase, is_number
from .base import (
    Keyword,
    STensor,
    TensorError,
    TensorOp,
    indices,
    product,
    shape_text,
    unevaluated_sum,
)


def root_of(d: int) -> sp.Expr:
    """√d_k, exact (the scores divide by it)."""
    return sp.Pow(sp.Integer(d), sp.Rational(1, 2), evaluate=False)


class MaskedSoftmax(OpFunctionBase):
    """Weight k (0-based) of a row under a 0/1 mask: ``MaskedSoftmax(s_1…s_n, m_1…m_n, k) =
    m_k e^{s_k} / Σ_j m_j e^{s_j}``; with every m_j = 1 the softmax itself.

    Its Jacobian in the scores is the softmax's, ∂A_k/∂s_j = A_k (δ_kj − A_j), so a masked-out
    weight (exactly 0) passes exactly 0 back; in the mask, ∂A_k/∂m_j = (δ_kj − A_k) e^{s_j} / Σ.
    """

    latex_name = r"\operatorname{softmax}"
    probabilities = True
    least_arguments = 3
    numeric = staticmethod(lambda *a: _numeric(a))

    @staticmethod
    def split(args) -> tuple[tuple, tuple, int]:
        """(scores, masks, k) of the arguments."""
        n = (len(args) - 1) // 2
        return args[:n], args[n:2 * n], int(args[-1])

    @classmethod
    def eval(cls, *args):
        if len(args) >= 3 and all(is_number(x) for x in args):
            scores, masks, k = cls.split(args)
            terms = [m * sp.exp(s) for m, s in zip(masks, scores) if m != 0]
            if not terms:
                raise ValueError("every entry of a row of the attention mask is 0")
            if len(terms) == 1 and masks[k] != 0:  # the only entry kept: weight exactly 1
                return sp.Integer(1)
            return masks[k] * sp.exp(scores[k]) / sp.Add(*terms)
        return None

    def component(self, j: int) -> MaskedSoftmax:
        return MaskedSoftmax(*self.args[:-1], sp.Integer(j))

    def fdiff(self, argindex=1):
        scores, masks, k = self.split(self.args)
        j, n = argindex - 1, len(scores)
        if j >= 2 * n:
            raise sp.ArgumentIndexError(self, argindex)
        if j < n:  # a score
            return self * (1 - self) if j == k else -self * self.component(j)
        j -= n
        total = sp.Add(*[m * sp.exp(s) for m, s in zip(masks, scores)])
        return ((1 if j == k else 0) - self) * sp.exp(scores[j]) / total

    def _latex(self, printer, exp=None):
        scores, masks, k = self.split(self.args)
        term = [rf"{printer._print(m)}\, e^{{{printer._print(s)}}}" for m, s in zip(masks, scores)]
        tex = rf"\frac{{{term[k]}}}{{{' + '.join(term)}}}"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex


def _numeric(args):
    scores, masks, k = MaskedSoftmax.split(args)
    return masks[k] * mpmath.exp(scores[k]) / mpmath.fsum(m * mpmath.exp(s) for m, s in zip(masks, scores))


def check_shapes(q: STensor, k: STensor, v: STensor, m: STensor | None) -> tuple[int, ...]:
    """The leading (batch) axes, when the shapes fit.

    Raises:
        TensorError: naming the operands whose shapes do not fit.
    """
    for t, name in ((q, "Q"), (k, "K"), (v, "V")):
        if t.ndim < 2:
            raise TensorError(f"attention(): {name} must be a matrix (or a batch of them), not shape "
                              f"{shape_text(t.shape)}")
    lead = q.shape[:-2]
    if k.shape[:-2] != lead or v.shape[:-2] != lead:
        raise TensorError(f"attention(): Q, K and V must have the same leading (batch) axes, not shapes "
                          f"{shape_text(q.shape)}, {shape_text(k.shape)} and {shape_text(v.shape)}")
    if k.shape[-1] != q.shape[-1]:
        raise TensorError(f"attention(): Q and K must have the same last axis (d_k), not shapes "
                          f"{shape_text(q.shape)} and {shape_text(k.shape)}")
    if v.shape[-2] != k.shape[-2]:
        raise TensorError(f"attention(): K and V must have one row per key, not shapes {shape_text(k.shape)} "
                          f"and {shape_text(v.shape)}")
    scores = lead + (q.shape[-2], k.shape[-2])
    if m is not None and m.shape not in (scores, scores[-2:]):
        raise TensorError(f"attention(): the mask must have the scores' shape {shape_text(scores)} (or "
                          f"{shape_text(scores[-2:])}), not {shape_text(m.shape)}")
    return lead


def stages(q: STensor, k: STensor, v: STensor, m: STensor | None = None,
           boolean: bool = False) -> tuple[STensor, STensor, STensor]:
    """(scores S, weights A, output O), each element an expression of the operands' elements.

    Raises:
        TensorError: shapes that do not fit (see :func:`check_shapes`).
    """
    lead = check_shapes(q, k, v, m)
    n_q, d = q.shape[-2:]
    n_k, d_v = v.shape[-2:]
    root = sp.Pow(root_of(d), -1, evaluate=False)

    def mask(b, i, j):
        return m[b + (i, j)] if m.ndim == len(lead) + 2 else m[(i, j)]

    scores, weights, out = [], [], []
    for b in indices(lead):
        rows = []
        for i in range(n_q):
            row = []
            for j in range(n_k):
                s = sp.Mul(unevaluated_sum([product(q[b + (i, x)], k[b + (j, x)]) for x in range(d)]), root,
                           evaluate=False)
                if m is not None and not boolean:
                    s = sp.Add(s, mask(b, i, j), evaluate=False)
                row.append(s)
            rows.append(row)
            scores += row
        for i, row in enumerate(rows):
            if boolean:
                masks = [mask(b, i, j) for j in range(n_k)]
                a = [MaskedSoftmax(*row, *masks, sp.Integer(j)) for j in range(n_k)]
            else:
                a = [Softmax(sp.Integer(j), *row) for j in range(n_k)]
            weights += a
            out += [unevaluated_sum([product(a[j], v[b + (j, y)]) for j in range(n_k)]) for y in range(d_v)]
    return (STensor(lead + (n_q, n_k), tuple(scores)), STensor(lead + (n_q, n_k), tuple(weights)),
            STensor(lead + (n_q, d_v), tuple(out)))


def _attention(args, kw) -> STensor:
    if kw["boolean"] not in (0, 1):
        raise TensorError(f"attention(): boolean must be 0 (a float mask, added) or 1 (a 0/1 mask), "
                          f"not {kw['boolean']}")
    if kw["boolean"] and len(args) < 4:
        raise TensorError("attention(): boolean=1 needs a mask, the fourth argument")
    return stages(*args[:3], args[3] if len(args) == 4 else None, bool(kw["boolean"]))[2]


def _latex(a, kw) -> str:
    return rf"\operatorname{{attention}}({', '.join(a)})"


ATTENTION = TensorOp(
    "attention", (3, 4), _attention, _latex, keywords=(Keyword("boolean", 0),),
    arg_names=("query", "key", "value", "mask"), zero_one=lambda kw: 3 if kw["boolean"] else None,
    source="torch.nn.functional.scaled_dot_product_attention",
    note=(r"Scaled dot-product attention, as PyTorch computes it: scores "
          r"$S = Q K^\top / \sqrt{d_k}$ with $d_k$ the last axis of $Q$, "
          r"weights $A = \operatorname{softmax}(S)$ along each row, output $O = A V$."))

#: The operations of this module called by name in expressions (found by :mod:`solver.ops.tensor`).
OPS: tuple[TensorOp, ...] = (ATTENTION,)
