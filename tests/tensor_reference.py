"""An independent reference of the tensor operations of graph problems, forward and
backward, written from the textbook definitions with NumPy object arrays and without
any solver code (nor sympy).

Elements are :class:`fractions.Fraction` (exact) wherever the operation is rational;
a transcendental function (``exp``, ``log``, ``sigmoid``, ``softmax`` …) of a Fraction
gives a float64, and of an :class:`mpmath.mpf` an mpf at the working precision, so that
the same forward serves the exact comparison, the float comparison and high-precision
finite differences.

Every operation ``name`` has ``OPS[name] = (forward, backward)``:

* ``forward(*args, **kw) -> ndarray`` (a 0-d array for a scalar);
* ``backward(g, *args, **kw) -> tuple`` of ``∂(Σ out·g)/∂arg`` for each argument, the
  vector-Jacobian product with the upstream gradient ``g`` (shape of the output).

Conventions (PyTorch's): conv2d is a cross-correlation with zero padding, stride and
dilation, ``⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1`` cells along each axis; its input gradient
is the full convolution of the stride-dilated upstream gradient with the flipped
(dilated) kernel, its kernel gradient the correlation of the padded input with the
upstream gradient; max pooling (and ``max``/``min`` along an axis, and of several
tensors) sends the gradient to the first extremal element in row-major (argument)
order, the padding never chosen; average pooling divides by the kernel's area, padding
included (``count_include_pad=True``); ``var`` is the biased variance (÷ n); ``+ - * /``
broadcast as NumPy does and reduce the gradient back by summing.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np

ZERO = Fraction(0)


def array(nested) -> np.ndarray:
    """An object array of ``nested`` (a number gives a 0-d array)."""
    out = np.empty(np.shape(nested), dtype=object)
    out[...] = nested if np.ndim(nested) else np.array(nested, dtype=object)
    return out


def zeros(shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(ZERO)
    return out


def emap(fn, a: np.ndarray) -> np.ndarray:
    """``fn`` applied to every element (an object array, 0-d kept)."""
    a = np.asarray(a, dtype=object)
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = fn(a[idx])
    return out


# -- scalar functions: exact on Fractions where they can be, float64 or mpf otherwise -----

def _lib(x):
    return mpmath if isinstance(x, mpmath.mpf) else math


def _real(x):
    return x if isinstance(x, (float, mpmath.mpf)) else float(x)


def _exp(x):
    return _lib(x).exp(_real(x))


def _sigmoid(x):
    return 1 / (1 + _exp(-_real(x)))


def _phi(x):  # standard normal CDF
    x = _real(x)
    return (1 + _lib(x).erf(x / _lib(x).sqrt(2))) / 2


def _pdf(x):
    x = _real(x)
    return _lib(x).exp(-x * x / 2) / _lib(x).sqrt(2 * _lib(x).pi)


#: name → (f(x, *params), f'(x, *params)); derivatives at kinks as PyTorch takes them.
FUNCTIONS = {
    "relu": (lambda x: x if x > 0 else ZERO, lambda x: Fraction(1 if x > 0 else 0)),
    "leaky_relu": (lambda x, s: x if x > 0 else s * x, lambda x, s: Fraction(1) if x > 0 else s),
    "elu": (lambda x, a=Fraction(1): x if x > 0 else a * (_exp(x) - 1),
            lambda x, a=Fraction(1): Fraction(1) if x > 0 else a * _exp(x)),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (lambda x: _lib(_real(x)).tanh(_real(x)), lambda x: 1 - _lib(_real(x)).tanh(_real(x)) ** 2),
    "gelu": (lambda x: _real(x) * _phi(x), lambda x: _phi(x) + _real(x) * _pdf(x)),
    "silu": (lambda x: _real(x) * _sigmoid(x), lambda x: _sigmoid(x) * (1 + _real(x) * (1 - _sigmoid(x)))),
    "softplus": (lambda x: _lib(_real(x)).log(1 + _exp(x)), _sigmoid),
    "exp": (_exp, _exp),
    "log": (lambda x: _lib(_real(x)).log(_real(x)), lambda x: 1 / _real(x)),
    "sqrt": (lambda x: _lib(_real(x)).sqrt(_real(x)), lambda x: 1 / (2 * _lib(_real(x)).sqrt(_real(x)))),
    "abs": (abs, lambda x: Fraction((x > 0) - (x < 0))),
    "square": (lambda x: x * x, lambda x: 2 * x),
    "neg": (lambda x: -x, lambda x: Fraction(-1)),
}
FUNCTIONS["swish"] = FUNCTIONS["silu"]


def function_op(name: str, *params):
    """(forward, backward) of an elementwise function with its parameters."""
    f, df = FUNCTIONS[name]
    return (lambda a: emap(lambda x: f(x, *params), a),
            lambda g, a: (g * emap(lambda x: df(x, *params), a),))


def power_op(n: int):
    return (lambda a: emap(lambda x: x ** n, a), lambda g, a: (g * emap(lambda x: n * x ** (n - 1), a),))


# -- broadcasting arithmetic -------------------------------------------------------------

def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` summed back to ``shape``: over the axes broadcasting added, and over the
    axes where ``shape`` has size 1."""
    g = np.asarray(g, dtype=object)
    while g.ndim > len(shape):
        g = np.asarray(g.sum(axis=0), dtype=object)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return np.asarray(g, dtype=object).reshape(shape)


def _binary(forward, grads):
    def back(g, a, b):
        da, db = grads(g, *np.broadcast_arrays(a, b))
        return unbroadcast(da, a.shape), unbroadcast(db, b.shape)
    return (lambda a, b: np.asarray(forward(a, b), dtype=object), back)


ARITHMETIC = {
    "+": _binary(lambda a, b: a + b, lambda g, a, b: (g, g)),
    "-": _binary(lambda a, b: a - b, lambda g, a, b: (g, -g)),
    "*": _binary(lambda a, b: a * b, lambda g, a, b: (g * b, g * a)),
    "/": _binary(lambda a, b: a / b, lambda g, a, b: (g / b, -g * a / (b * b))),
}


def _extremum_of(better):
    """Elementwise extremum of several tensors (broadcast); ties to the first argument."""
    def pick(args):
        shape = np.broadcast_shapes(*(a.shape for a in args))
        full = [np.broadcast_to(a, shape) for a in args]
        which = np.empty(shape, dtype=int)
        for idx in np.ndindex(shape):
            best = 0
            for k in range(1, len(full)):
                if better(full[k][idx], full[best][idx]):
                    best = k
            which[idx] = best
        return shape, full, which

    def forward(*args):
        shape, full, which = pick(args)
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(shape):
            out[idx] = full[which[idx]][idx]
        return out

    def backward(g, *args):
        shape, _, which = pick(args)
        grads = [zeros(shape) for _ in args]
        for idx in np.ndindex(shape):
            grads[which[idx]][idx] = g[idx]
        return tuple(unbroadcast(d, a.shape) for d, a in zip(grads, args))
    return forward, backward


# -- linear algebra and rearrangements ---------------------------------------------------

def _matmul(a, b):
    return np.asarray(np.dot(a, b), dtype=object)


def _matmul_back(g, a, b):
    g = np.asarray(g, dtype=object)
    if a.ndim == 2 and b.ndim == 2:
        return _matmul(g, b.T), _matmul(a.T, g)
    if a.ndim == 2:                       # (m×n)(n) = (m)
        return np.outer(g, b).astype(object), _matmul(a.T, g)
    if b.ndim == 2:                       # (n)(n×p) = (p)
        return _matmul(b, g), np.outer(a, g).astype(object)
    return g[()] * b, g[()] * a           # (n)·(n) = scalar


def _shape_of(size: int, shape) -> tuple[int, ...]:
    shape = list(shape)
    if -1 in shape:
        shape[shape.index(-1)] = size // math.prod(n for n in shape if n != -1)
    return tuple(shape)


def _flat_shape(a, start_dim=0):
    return (1,) if a.ndim == 0 else a.shape[:start_dim] + (math.prod(a.shape[start_dim:]),)


def _split(g, args, axis):
    cuts = np.cumsum([t.shape[axis] for t in args])[:-1]
    return tuple(np.split(g, cuts, axis=axis))


# -- reductions --------------------------------------------------------------------------

def _lanes(a, axis):
    """``a`` as lanes (rows) to reduce, and the shape left."""
    if axis is None:
        return a.reshape(1, -1), ()
    moved = np.moveaxis(a, axis, -1)
    return moved.reshape(-1, a.shape[axis]), moved.shape[:-1]


def _unlanes(lanes, a, axis):
    if axis is None:
        return lanes.reshape(a.shape)
    moved_shape = np.moveaxis(a, axis, -1).shape
    return np.moveaxis(lanes.reshape(moved_shape), -1, axis)


def _reduce(fn_lane, grad_lane):
    def forward(a, axis=None):
        lanes, rest = _lanes(a, axis)
        return array([fn_lane(list(row)) for row in lanes]).reshape(rest)

    def backward(g, a, axis=None):
        lanes, _ = _lanes(a, axis)
        gl = np.asarray(g, dtype=object).reshape(-1)
        out = np.empty(lanes.shape, dtype=object)
        for r, row in enumerate(lanes):
            out[r] = grad_lane(list(row), gl[r])
        return (_unlanes(out, a, axis),)
    return forward, backward


def _mean(xs):
    return sum(xs, ZERO) / len(xs)


def _var(xs):
    mu = _mean(xs)
    return sum(((x - mu) ** 2 for x in xs), ZERO) / len(xs)


def _var_grad(xs, g):
    mu = _mean(xs)
    return [g * 2 * (x - mu) / len(xs) for x in xs]


def _first(xs, better):
    best = 0
    for k in range(1, len(xs)):
        if better(xs[k], xs[best]):
            best = k
    return best


def _extremum_lane(better):
    return (lambda xs: xs[_first(xs, better)],
            lambda xs, g: [g if k == _first(xs, better) else ZERO for k in range(len(xs))])


def _softmax_lane(xs):
    top = max(_real(x) for x in xs)
    es = [_exp(_real(x) - top) for x in xs]
    total = sum(es)
    return [e / total for e in es]


def _softmax(a, axis=-1):
    lanes, _ = _lanes(a, axis % a.ndim)
    return _unlanes(array([_softmax_lane(list(row)) for row in lanes]), a, axis % a.ndim)


def _softmax_back(g, a, axis=-1):
    """∂L/∂o_j = Σ_k g_k p_k (δ_kj − p_j) = p_j (g_j − Σ_k g_k p_k)."""
    ax = axis % a.ndim
    p, _ = _lanes(_softmax(a, axis), ax)
    gl, _ = _lanes(np.asarray(g, dtype=object), ax)
    out = np.empty(p.shape, dtype=object)
    for r in range(p.shape[0]):
        dot = sum(gl[r][k] * p[r][k] for k in range(p.shape[1]))
        out[r] = [p[r][j] * (gl[r][j] - dot) for j in range(p.shape[1])]
    return (_unlanes(out, a, ax),)


# -- convolution and pooling -------------------------------------------------------------

def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1 (PyTorch's Conv2d and MaxPool2d documentation)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _batch(x):
    return (x, True) if x.ndim == 4 else (x[None], False)


def _unbatch(y, batched):
    return y if batched else y[0]


def _pad(x, p):
    """Zero padding of the last two axes."""
    n, c, h, w = x.shape
    out = zeros((n, c, h + 2 * p, w + 2 * p))
    out[:, :, p:p + h, p:p + w] = x
    return out


def _dilate(a, d):
    """``d − 1`` zeros between neighbours along the last two axes."""
    *lead, h, w = a.shape
    out = zeros((*lead, (h - 1) * d + 1, (w - 1) * d + 1))
    out[..., ::d, ::d] = a
    return out


def conv2d(x, k, b=None, stride=1, padding=0, dilation=1):
    """Z[n,o,p,q] = b[o] + Σ_{c,i,j} K[o,c,i,j] · Xpad[n,c, pS + iD, qS + jD]."""
    xb, batched = _batch(x)
    n, _, h, w = xb.shape
    o, _, kh, kw = k.shape
    s, d = stride, dilation
    ho, wo = out_size(h, kh, s, padding, d), out_size(w, kw, s, padding, d)
    xp = _pad(xb, padding)
    out = zeros((n, o, ho, wo))
    for ni, oi, pi, qi in np.ndindex(n, o, ho, wo):
        window = xp[ni, :, pi * s:pi * s + d * (kh - 1) + 1:d, qi * s:qi * s + d * (kw - 1) + 1:d]
        out[ni, oi, pi, qi] = (window * k[oi]).sum() + (b[oi] if b is not None else ZERO)
    return _unbatch(out, batched)


def conv2d_backward(g, x, k, b=None, stride=1, padding=0, dilation=1):
    """∂L/∂b[o] = Σ g[n,o,·,·]; ∂L/∂K[o,c,i,j] = Σ_{n,p,q} g[n,o,p,q] Xpad[n,c, iD + pS, jD + qS]
    (the padded input correlated with the upstream gradient); ∂L/∂X is the full
    convolution of the upstream gradient, dilated by the stride, with the kernel dilated
    by D and flipped, cropped by the padding (rows the windows never reached get 0)."""
    xb, batched = _batch(x)
    gb = _batch(np.asarray(g, dtype=object))[0]
    n, c, h, w = xb.shape
    o, _, kh, kw = k.shape
    s, d, p = stride, dilation, padding
    ho, wo = gb.shape[2:]
    xp = _pad(xb, p)
    dk = zeros(k.shape)
    for oi, ci, i, j in np.ndindex(o, c, kh, kw):
        rows = xp[:, ci, i * d:i * d + s * (ho - 1) + 1:s, j * d:j * d + s * (wo - 1) + 1:s]
        dk[oi, ci, i, j] = (rows * gb[:, oi]).sum()
    gd = _dilate(gb, s)                                   # n × o × ((ho−1)S+1) × ((wo−1)S+1)
    kd = _dilate(k, d)[:, :, ::-1, ::-1]                  # o × c × (D(kh−1)+1) × …, flipped
    eh, ew = kd.shape[2:]
    full = zeros((n, o, gd.shape[2] + 2 * (eh - 1), gd.shape[3] + 2 * (ew - 1)))
    full[:, :, eh - 1:eh - 1 + gd.shape[2], ew - 1:ew - 1 + gd.shape[3]] = gd
    dxp = zeros(xp.shape)
    for ni, ci in np.ndindex(n, c):
        for r, t in np.ndindex(gd.shape[2] + eh - 1, gd.shape[3] + ew - 1):
            dxp[ni, ci, r, t] = (full[ni, :, r:r + eh, t:t + ew] * kd[:, ci]).sum()
    dx = dxp[:, :, p:p + h, p:p + w]
    grads = [_unbatch(dx, batched), dk]
    if b is not None:
        grads.append(array([gb[:, oi].sum() for oi in range(o)]))
    return tuple(grads)


def _windows(x, kernel, stride, padding):
    """For each output cell (n, c, p, q): its window's positions in the input, row-major,
    the padding left out."""
    n, c, h, w = x.shape
    s = stride or kernel
    ho, wo = out_size(h, kernel, s, padding), out_size(w, kernel, s, padding)
    cells = {}
    for ni, ci, pi, qi in np.ndindex(n, c, ho, wo):
        cells[ni, ci, pi, qi] = [(ni, ci, pi * s + i - padding, qi * s + j - padding)
                                 for i in range(kernel) for j in range(kernel)
                                 if 0 <= pi * s + i - padding < h and 0 <= qi * s + j - padding < w]
    return (n, c, ho, wo), cells


def _first_max(x, window):
    best = window[0]
    for pos in window[1:]:
        if x[pos] > x[best]:
            best = pos
    return best


def maxpool2d(x, kernel=2, stride=None, padding=0):
    xb, batched = _batch(x)
    shape, cells = _windows(xb, kernel, stride, padding)
    out = zeros(shape)
    for cell, window in cells.items():
        out[cell] = xb[_first_max(xb, window)]
    return _unbatch(out, batched)


def maxpool2d_backward(g, x, kernel=2, stride=None, padding=0):
    """Each window's upstream gradient to its first maximum (row-major); overlapping
    windows add up."""
    xb, batched = _batch(x)
    gb = _batch(np.asarray(g, dtype=object))[0]
    _, cells = _windows(xb, kernel, stride, padding)
    dx = zeros(xb.shape)
    for cell, window in cells.items():
        pos = _first_max(xb, window)
        dx[pos] = dx[pos] + gb[cell]
    return (_unbatch(dx, batched),)


def avgpool2d(x, kernel=2, stride=None, padding=0):
    xb, batched = _batch(x)
    shape, cells = _windows(xb, kernel, stride, padding)
    out = zeros(shape)
    for cell, window in cells.items():
        out[cell] = sum((xb[pos] for pos in window), ZERO) / (kernel * kernel)
    return _unbatch(out, batched)


def avgpool2d_backward(g, x, kernel=2, stride=None, padding=0):
    """Each window's upstream gradient over k² to each of its (non-padding) elements."""
    xb, batched = _batch(x)
    gb = _batch(np.asarray(g, dtype=object))[0]
    _, cells = _windows(xb, kernel, stride, padding)
    dx = zeros(xb.shape)
    for cell, window in cells.items():
        for pos in window:
            dx[pos] = dx[pos] + gb[cell] / (kernel * kernel)
    return (_unbatch(dx, batched),)


# -- the table -----------------------------------------------------------------------------

def _greater(a, b):
    return a > b


def _less(a, b):
    return a < b


OPS = {
    **ARITHMETIC,
    "@": (_matmul, _matmul_back),
    "transpose": (lambda a: a.T if a.ndim == 2 else a, lambda g, a: (np.asarray(g).T if a.ndim == 2 else g,)),
    "reshape": (lambda a, shape: a.reshape(_shape_of(a.size, shape)),
                lambda g, a, shape: (np.asarray(g, dtype=object).reshape(a.shape),)),
    "flatten": (lambda a, start_dim=0: a.reshape(_flat_shape(a, start_dim)),
                lambda g, a, start_dim=0: (np.asarray(g, dtype=object).reshape(a.shape),)),
    "concat": (lambda *args, axis=0: np.concatenate(args, axis=axis),
               lambda g, *args, axis=0: _split(g, args, axis)),
    "sum": _reduce(lambda xs: sum(xs, ZERO), lambda xs, g: [g] * len(xs)),
    "mean": _reduce(_mean, lambda xs, g: [g / len(xs)] * len(xs)),
    "var": _reduce(_var, _var_grad),
    "max_axis": _reduce(*_extremum_lane(_greater)),
    "min_axis": _reduce(*_extremum_lane(_less)),
    "max": _extremum_of(_greater),
    "min": _extremum_of(_less),
    "softmax": (_softmax, _softmax_back),
    "conv2d": (conv2d, conv2d_backward),
    "maxpool2d": (maxpool2d, maxpool2d_backward),
    "avgpool2d": (avgpool2d, avgpool2d_backward),
}
