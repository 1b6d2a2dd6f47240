"""Normalisation and dropout as PyTorch computes them in training mode.

* ``batchnorm(X, gamma, beta, eps=1e-5)``: X is N × C (or N × C × H × W); each channel c is
  normalised over the batch (and the spatial axes) with its batch mean μ_c and biased
  variance σ²_c, ``y = γ_c (x − μ_c) / √(σ²_c + ε) + β_c`` (``torch.nn.BatchNorm1d/2d`` in
  training mode, Ioffe and Szegedy 2015);
* ``layernorm(X, gamma, beta, eps=1e-5)``: the same over the last axis of each row, γ and β
  of that axis's size (``torch.nn.LayerNorm``, Ba et al. 2016);
* ``dropout(X, M, p=0.5)``: with the given mask M of 0s and 1s, inverted scaling
  ``y = x m / (1 − p)`` (``torch.nn.functional.dropout`` in training mode).
"""

from __future__ import annotations

import sympy as sp

from .base import (
    Keyword,
    STensor,
    TensorError,
    TensorOp,
    indices,
    shape_text,
    unevaluated_sum,
)


def _normalised(xs: list[sp.Expr], eps: sp.Expr) -> list[sp.Expr]:
    """(x − μ)/√(σ² + ε) for each of ``xs``, μ and σ² (biased) written out over ``xs``."""
    n = len(xs)
    mu = sp.Mul(sp.Rational(1, n), unevaluated_sum(xs), evaluate=False)
    centred = [sp.Add(x, sp.Mul(-1, mu, evaluate=False), evaluate=False) for x in xs]
    var = sp.Mul(sp.Rational(1, n), unevaluated_sum([sp.Pow(c, 2, evaluate=False) for c in centred]), evaluate=False)
    root = sp.Pow(sp.Add(var, eps, evaluate=False), sp.Rational(-1, 2), evaluate=False)
    return [sp.Mul(c, root, evaluate=False) for c in centred]


def _affine(x: sp.Expr, gamma: sp.Expr, beta: sp.Expr) -> sp.Expr:
    return sp.Add(sp.Mul(gamma, x, evaluate=False), beta, evaluate=False)


def _per_channel(t: STensor, size: int, name: str, what: str) -> None:
    if t.shape != (size,):
        raise TensorError(f"{name}(): {what} must have one value per channel ({size}), not shape {shape_text(t.shape)}")


def _batchnorm(args, kw) -> STensor:
    x, gamma, beta = args
    if x.ndim not in (2, 4):
        raise TensorError(f"batchnorm(): the input must be N × C or N × C × H × W, not shape {shape_text(x.shape)}")
    c = x.shape[1]
    for t, what in ((gamma, "gamma"), (beta, "beta")):
        _per_channel(t, c, "batchnorm", what)
    if x.size // c < 2:
        raise TensorError("batchnorm(): a channel needs at least two values to normalise over (a batch of one)")
    data = list(x.data)
    stride = x.strides()
    for ch in range(c):
        where = [i for i in indices(x.shape) if i[1] == ch]
        flat = [sum(a * s for a, s in zip(i, stride)) for i in where]
        for k, v in zip(flat, _normalised([x.data[k] for k in flat], kw["eps"])):
            data[k] = _affine(v, gamma[(ch,)], beta[(ch,)])
    return STensor(x.shape, tuple(data))


def _layernorm(args, kw) -> STensor:
    x, gamma, beta = args
    if x.ndim < 1:
        raise TensorError("layernorm(): the input must have at least one axis")
    d = x.shape[-1]
    for t, what in ((gamma, "gamma"), (beta, "beta")):
        if t.shape != (d,):
            raise TensorError(f"layernorm(): {what} must have one value per feature of the last axis ({d}), "
                              f"not shape {shape_text(t.shape)}")
    data = []
    for r in range(x.size // d):
        row = _normalised(list(x.data[r * d:(r + 1) * d]), kw["eps"])
        data += [_affine(v, gamma[(j,)], beta[(j,)]) for j, v in enumerate(row)]
    return STensor(x.shape, tuple(data))


def _dropout(args, kw) -> STensor:
    x, m = args
    if m.shape != x.shape:
        raise TensorError(f"dropout(): the mask must have the input's shape {shape_text(x.shape)}, "
                          f"not {shape_text(m.shape)}")
    p = kw["p"]
    if not 0 <= p < 1:
        raise TensorError(f"dropout(): p must be at least 0 and less than 1 (got {p})")
    scale = 1 / (1 - p)
    return STensor(x.shape, tuple(sp.Mul(scale, a, b, evaluate=False) for a, b in zip(x.data, m.data)))


_EPS = Keyword("eps", sp.Rational(1, 100000), "number")
BATCHNORM = TensorOp(
    "batchnorm", (3, 3), _batchnorm, lambda a, kw: rf"\operatorname{{BN}}_{{{a[1]}, {a[2]}}}({a[0]})",
    keywords=(_EPS,), source="torch.nn.BatchNorm1d",
    note=(r"Batch normalisation in training mode: each channel's batch mean $\mu$ and biased variance "
          r"$\sigma^2$, $y = \gamma (x - \mu)/\sqrt{\sigma^2 + \varepsilon} + \beta$."))
LAYERNORM = TensorOp(
    "layernorm", (3, 3), _layernorm, lambda a, kw: rf"\operatorname{{LN}}_{{{a[1]}, {a[2]}}}({a[0]})",
    keywords=(_EPS,), source="torch.nn.LayerNorm",
    note=(r"Layer normalisation over the last axis of each row: its mean $\mu$ and biased variance "
          r"$\sigma^2$, $y = \gamma (x - \mu)/\sqrt{\sigma^2 + \varepsilon} + \beta$."))
DROPOUT = TensorOp(
    "dropout", (2, 2), _dropout, lambda a, kw: rf"\operatorname{{dropout}}({a[0]}, {a[1]})",
    keywords=(Keyword("p", sp.Rational(1, 2), "number"),), source="torch.nn.functional.dropout",
    zero_one=lambda kw: 1,
    note=r"Dropout with the given mask $m$ and inverted scaling: $y = x\, m / (1 - p)$.")

#: The operations of this module called by name in expressions (found by :mod:`solver.ops.tensor`).
OPS: tuple[TensorOp, ...] = (BATCHNORM, LAYERNORM, DROPOUT)
