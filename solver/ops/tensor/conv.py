"""2-D convolution and pooling as CNNs compute them (PyTorch's ``Conv2d``, ``MaxPool2d``,
``AvgPool2d``).

``conv2d`` is a cross-correlation (the kernel is not flipped): with input X of shape
C × H × W (a batch N × C × H × W), kernel K of shape O × C × k_h × k_w and bias b of O,

    Z[o, p, q] = b[o] + Σ_{c, i, j} K[o, c, i, j] · X[c, pS + iD − P, qS + jD − P],

the input padded with zeros (terms on the padding are 0 and are left out). Along each
axis the output has ⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1 cells (PyTorch's Conv2d
documentation). Max pooling takes each window's maximum (ties: the first maximal
element in row-major order, as PyTorch's CPU kernel does); average pooling divides
each window's sum by the kernel's area, padding included (``count_include_pad=True``).
"""

from __future__ import annotations

import sympy as sp

from ..extremum import MaxOf
from .base import (
    Keyword,
    STensor,
    TensorError,
    TensorOp,
    product,
    shape_text,
    unevaluated_sum,
)


def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _batched(x: STensor, op: str) -> tuple[int | None, int, int, int]:
    """(N or None, C, H, W) of a 3- or 4-axis input."""
    if x.ndim == 3:
        return (None, *x.shape)
    if x.ndim == 4:
        return x.shape
    raise TensorError(f"{op}(): the input must be channels × height × width (or a batch of them), "
                      f"not shape {shape_text(x.shape)}")


def _window(op: str, h: int, w: int, k: tuple[int, int], s: int, p: int, d: int) -> tuple[int, int]:
    ho, wo = out_size(h, k[0], s, p, d), out_size(w, k[1], s, p, d)
    if ho < 1 or wo < 1:
        raise TensorError(f"{op}(): the window ({k[0]}×{k[1]}, dilation {d}) is larger than the padded "
                          f"input ({h + 2 * p}×{w + 2 * p})")
    return ho, wo


def _conv2d(args, kw) -> STensor:
    x, k = args[0], args[1]
    b = args[2] if len(args) > 2 else None
    s, p, d = kw["stride"], kw["padding"], kw["dilation"]
    n, c, h, w = _batched(x, "conv2d")
    if k.ndim != 4:
        raise TensorError(f"conv2d(): the kernel must be out-channels × in-channels × height × width, "
                          f"not shape {shape_text(k.shape)}")
    o, kc, kh, kwd = k.shape
    if kc != c:
        raise TensorError(f"conv2d(): the kernel has {kc} input channels but the input has {c}")
    if b is not None and b.shape != (o,):
        raise TensorError(f"conv2d(): the bias must have one value per output channel ({o}), "
                          f"not shape {shape_text(b.shape)}")
    ho, wo = _window("conv2d", h, w, (kh, kwd), s, p, d)
    data = []
    for ni in range(n or 1):
        lead = (ni,) if n is not None else ()
        for oi in range(o):
            for pi in range(ho):
                for qi in range(wo):
                    terms = []
                    for ci in range(c):
                        for i in range(kh):
                            for j in range(kwd):
                                r, col = pi * s + i * d - p, qi * s + j * d - p
                                if 0 <= r < h and 0 <= col < w:
                                    terms.append(product(k[(oi, ci, i, j)], x[lead + (ci, r, col)]))
                    if b is not None:
                        terms.append(b[(oi,)])
                    data.append(unevaluated_sum(terms))
    return STensor(lead_shape(n) + (o, ho, wo), tuple(data))


def lead_shape(n: int | None) -> tuple[int, ...]:
    return (n,) if n is not None else ()


def pool_windows(x: STensor, kw: dict, op: str) -> tuple[tuple[int, ...], list[list[sp.Expr]]]:
    """The output shape of a pooling, and each output cell's window (its elements in the
    input, row-major, the padding left out), output cells row-major.

    Raises:
        TensorError: a padding over half the kernel (PyTorch refuses it), a window
            larger than the input.
    """
    k, s, p = kw["kernel"], kw["stride"] or kw["kernel"], kw["padding"]
    if 2 * p > k:
        raise TensorError(f"{op}(): the padding ({p}) may be at most half the kernel ({k})")
    n, c, h, w = _batched(x, op)
    ho, wo = _window(op, h, w, (k, k), s, p, 1)
    windows = []
    for ni in range(n or 1):
        lead = (ni,) if n is not None else ()
        for ci in range(c):
            for pi in range(ho):
                for qi in range(wo):
                    windows.append([x[lead + (ci, pi * s + i - p, qi * s + j - p)]
                                    for i in range(k) for j in range(k)
                                    if 0 <= pi * s + i - p < h and 0 <= qi * s + j - p < w])
    return lead_shape(n) + (c, ho, wo), windows


def _maxpool2d(args, kw) -> STensor:
    shape, windows = pool_windows(args[0], kw, "maxpool2d")
    return STensor(shape, tuple(MaxOf(*win) if len(win) > 1 else win[0] for win in windows))


def _avgpool2d(args, kw) -> STensor:
    shape, windows = pool_windows(args[0], kw, "avgpool2d")
    area = sp.Rational(1, kw["kernel"] ** 2)
    return STensor(shape, tuple(sp.Mul(area, unevaluated_sum(win), evaluate=False) for win in windows))


def _settings(kw: dict, names: tuple[str, ...]) -> str:
    return ", ".join(f"{n}={kw[n]}" for n in names if kw.get(n) is not None)


CONV2D = TensorOp(
    "conv2d", (2, 3), _conv2d,
    lambda a, kw: rf"\operatorname{{conv2d}}({', '.join(a)})",
    keywords=(Keyword("stride", 1, least=1), Keyword("padding", 0), Keyword("dilation", 1, least=1)),
    cells="sum", source="torch.nn.functional.conv2d",
    note=("A convolution as CNNs compute it (PyTorch's conv2d): a cross-correlation, the kernel not flipped; "
          "the input is padded with zeros, and products with the padding (zero) are left out."))
def _pool(name: str, apply, latex: str, note: str) -> TensorOp:
    return TensorOp(name, (1, 1), apply, lambda a, kw: rf"\operatorname{{{latex}}}({a[0]})",
                    keywords=(Keyword("kernel", 2, least=1, stated=True), Keyword("stride", None, least=1),
                              Keyword("padding", 0)),
                    cells="window", source=f"torch.nn.functional.{name.replace('pool2d', '_pool2d')}", note=note)


MAXPOOL2D = _pool("maxpool2d", _maxpool2d, "maxpool", (
    "Max pooling takes each window's maximum; its gradient goes to the position of the maximum. "
    "At a tie it goes to the first maximal element in row-major order, as PyTorch does."))
AVGPOOL2D = _pool("avgpool2d", _avgpool2d, "avgpool", (
    "Average pooling takes each window's mean, dividing by the kernel's area (padding included, "
    "PyTorch's count\\_include\\_pad=True); its gradient spreads the upstream gradient evenly over the window."))


def settings_text(op: TensorOp, kw: dict) -> str:
    """``stride=1, padding=1`` as the key states them (a pooling's stride by default its kernel)."""
    if "kernel" in kw and kw.get("stride") is None:
        kw = {**kw, "stride": kw["kernel"]}
    return _settings(kw, tuple(k.name for k in op.keywords))

#: The operations of this module called by name in expressions (found by :mod:`solver.ops.tensor`).
OPS: tuple[TensorOp, ...] = (CONV2D, MAXPOOL2D, AVGPOOL2D,)
