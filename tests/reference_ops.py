"""Reference ("oracle") implementations of nnsolve's activations, losses and optimizers.

Written from the definitions (PyTorch's documentation, Kingma & Ba, CS231n), never
from the tool's code: nothing here imports ``solver`` or sympy. Every computation is
mpmath at ``DPS`` (60) significant digits or more (the caller's precision, if higher),
and every result is an ``mpf`` (or a list / dict of them).

Inputs may be ``mpf``, ``int``, ``float`` (taken exactly), :class:`fractions.Fraction`,
a decimal or fraction string ("0.1", "-3/4"), or anything with integer ``p`` / ``q``
(a sympy ``Rational``): see :func:`num`.

Activations (:data:`ACTIVATIONS`, name → :class:`RefActivation`), elementwise
``value(z, **params)`` and ``derivative(z, **params)``:

* ``relu`` max(0, z); ``leaky_relu`` z for z > 0, slope·z otherwise (``slope``
  required); ``sigmoid`` 1/(1 + e⁻ᶻ); ``tanh``; ``linear`` (alias ``identity``) z;
* ``gelu`` z·Φ(z) = z(1 + erf(z/√2))/2, the exact form (PyTorch's default
  ``approximate='none'``, not the tanh approximation);
* ``silu`` (alias ``swish``) z·σ(z);
* ``elu`` z for z > 0, α(eᶻ − 1) for z ≤ 0 (``alpha`` default 1);
* ``softplus`` ln(1 + eᶻ) exactly, β = 1 (PyTorch returns z itself once z > 20, its
  ``threshold``; this reference never does);
* ``step`` (Heaviside) 1 for z > 0, 0 for z < 0, ``step_at_zero`` (default 1) at 0;
  ``sign`` 1 for z > 0, −1 for z < 0, ``sign_at_zero`` (default 1) at 0; both
  derivatives 0 everywhere, taken as 0 at the jump;
* ``softmax`` is not elementwise (``elementwise=False``): :func:`softmax`,
  :func:`softmax_vjp` and :func:`softmax_jacobian`.

Conventions at the points where a derivative is not defined, as PyTorch's autograd
computes them (each checked against torch 2.13 in ``test_reference_ops.py``):
ReLU'(0) = 0 (torch's threshold_backward keeps the gradient only where z > 0);
LeakyReLU'(0) = slope (leaky_relu_backward: z > 0 ? g : g·slope);
ELU'(0) = α (elu_backward takes the z ≤ 0 branch, α·eᶻ, at 0); step'(0) = sign'(0) = 0
(torch.sign's backward is zeros; torch.heaviside has none, so a step passes no gradient).

Losses (:data:`LOSSES`, name → :class:`RefLoss`), for one example, ``value(o, y,
reduction=None, **params)`` and ``gradient(o, y, reduction=None, **params)`` = ∂L/∂o_k:

* ``sse`` Σ(o−y)²; ``half_sse`` ½Σ(o−y)²; ``mse`` (1/n)Σ(o−y)²;
* ``cross_entropy`` −Σ y ln p, where o = p are probabilities (PyTorch's
  CrossEntropyLoss takes logits instead);
* ``bce`` −[y ln p + (1−y) ln(1−p)] per output, averaged (``reduction`` "mean", the
  default) or summed ("sum") over the outputs (PyTorch clamps each log at −100);
* ``l1`` Σ|o−y| (default "sum") or its mean ("mean"), sgn(0) = 0;
* ``huber`` (``delta`` δ, default 1) per element ½r² if |r| < δ, else δ(|r| − ½δ),
  r = o − y; mean over the elements (default) or sum — PyTorch's HuberLoss. The
  derivative, r for |r| ≤ δ and δ·sgn(r) beyond, is continuous at |r| = δ;
* ``multiclass_hinge`` (``margin`` Δ, default 1) CS231n's multiclass SVM loss: y is
  one-hot with class c, L = Σ_{j≠c} max(0, s_j − s_c + Δ), not divided by the number
  of classes C (PyTorch's MultiMarginLoss is this divided by C). A hinge exactly at 0
  contributes no gradient (PyTorch's backward tests ``> 0``).

The reductions of ``sse``, ``half_sse``, ``mse``, ``cross_entropy`` and
``multiclass_hinge`` are part of their definitions: ``reduction`` is ignored there.

Optimizers (:data:`OPTIMIZERS`, name → callable; :func:`run`): a plain loop of
``steps`` updates from ``params`` (name → number) with ``grad_fn(params) -> {name:
gradient}``; it returns ``steps + 1`` snapshots (name → mpf), the first the starting
point. A name missing from the gradient is neither updated nor has its state advanced
(as PyTorch skips a parameter whose ``grad`` is None).

``states``, a list, receives each step's state (name → {state variable → mpf}) after it.
PyTorch's defaults; weight decay λ (``weight_decay``) is coupled, g ← g + λ w, except
AdamW's. From torch.optim's algorithm boxes and the papers:

* ``sgd`` (torch.optim.SGD): g ← g + λ w; without momentum w ← w − η g; with momentum
  μ the buffer b ← g on its first step (no dampening there), then b ← μ b + (1 − τ) g
  (``dampening`` τ); Nesterov (``nesterov=True``, Sutskever et al. 2013 in PyTorch's
  form) d = g + μ b and w ← w − η d, else w ← w − η b. Nesterov with μ = 0 or τ ≠ 0 is
  a ValueError, as PyTorch's;
* ``momentum``, PyTorch's form: v ← μ v + g, w ← w − η v, v₀ = 0 (``momentum`` μ,
  default 0.9 as nnsolve's; PyTorch's SGD has no momentum by default);
* ``adam``, Kingma & Ba 2015 Algorithm 1: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), w ← w − η m̂/(√v̂ + ε) (``beta1`` 0.9, ``beta2``
  0.999, ``epsilon`` 1e-8 by default, as PyTorch's); state m, v, mhat, vhat;
* ``adamw``, Loshchilov & Hutter 2019: w ← w(1 − η λ) first (λ 0.01 by default), then
  Adam's step on g itself;
* ``rmsprop`` (Hinton, lecture 6e; torch.optim.RMSprop, not centred): v ← α v +
  (1−α) g² (``alpha`` 0.99), then w ← w − η g/(√v + ε) (``epsilon`` 1e-8), or with
  ``momentum`` μ > 0 b ← μ b + g/(√v + ε), w ← w − η b;
* ``adagrad`` (Duchi et al. 2011; torch.optim.Adagrad, lr_decay 0, initial accumulator
  0): sum ← sum + g², w ← w − η g/(√sum + ε) (``epsilon`` 1e-10);
* ``adadelta`` (Zeiler 2012, Algorithm 1; torch.optim.Adadelta): v ← ρ v + (1−ρ) g²,
  delta = √(u + ε)/√(v + ε) · g (u before this step's update), u ← ρ u + (1−ρ) delta²,
  w ← w − η delta (``rho`` 0.9, ``epsilon`` 1e-6);
* ``adamax`` (Kingma & Ba 2015, §7.1; torch.optim.Adamax): m ← β₁m + (1−β₁)g,
  u ← max(β₂ u, |g| + ε), w ← w − η/(1−β₁ᵗ) · m/u (``beta1`` 0.9, ``beta2`` 0.999,
  ``epsilon`` 1e-8);
* ``nadam`` (Dozat 2016; torch.optim.NAdam; coupled decay, or with ``decoupled_weight_decay``
  w ← w(1 − η λ) first, as AdamW): mu = β₁(1 − ½ 0.96^(tψ)),
  munext the same at t + 1, prod = the product of every mu so far (mu_product, from 1),
  m and v as Adam's, mhat = munext m/(1 − prod munext) + (1 − mu) g/(1 − prod),
  vhat = v/(1−β₂ᵗ), w ← w − η mhat/(√vhat + ε) (``momentum_decay`` ψ 0.004, Adam's
  defaults otherwise).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from mpmath import mp, mpf

DPS = 60


def _precise(fn):
    """Run ``fn`` at DPS digits at least (more if the caller works at more)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mp.workdps(max(mp.dps, DPS)):
            return fn(*args, **kwargs)

    return wrapper


def num(v: Any) -> mpf:
    """``v`` as an mpf at the working precision (a float is taken exactly, a string or a
    Fraction as the rational it writes)."""
    if isinstance(v, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(v, mpf):
        return v
    if isinstance(v, (int, float)):
        return mpf(v)
    if isinstance(v, Fraction):
        return mpf(v.numerator) / v.denominator
    if isinstance(v, str):
        s = v.strip()
        if "/" in s:
            return num(Fraction(s))
        return mpf(s)
    if hasattr(v, "p") and hasattr(v, "q"):  # sympy Rational / Integer
        return mpf(int(v.p)) / int(v.q)
    raise TypeError(f"not a number: {v!r}")


def _sigmoid(z: mpf) -> mpf:
    return 1 / (1 + mp.exp(-z))


def _Phi(z: mpf) -> mpf:
    """The standard normal CDF, (1 + erf(z/√2))/2, computed as erfc(−z/√2)/2 so that the
    far left tail keeps its digits."""
    return mp.erfc(-z / mp.sqrt(2)) / 2


def _phi(z: mpf) -> mpf:
    """The standard normal density, e^(−z²/2)/√(2π)."""
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


# --- activations ----------------------------------------------------------------------

@dataclass(frozen=True)
class RefActivation:
    """An activation: ``value`` and ``derivative`` (elementwise, ``(z, **params)``), or
    for softmax (``elementwise=False``) ``value(zs) -> list``, ``derivative(zs)`` its
    Jacobian (rows k: ∂p_k/∂z_j) and ``vjp(p, g)``. ``params`` maps each parameter's
    name to its default (``REQUIRED`` when it has none)."""

    name: str
    value: Callable
    derivative: Callable
    elementwise: bool = True
    params: dict = field(default_factory=dict)
    vjp: Callable | None = None


REQUIRED = object()


def _bind(name: str, spec: dict, given: dict) -> dict:
    """The parameters of ``name`` as mpf: ``given`` (None meaning "not given") over the
    defaults; an unknown or a missing required parameter is a TypeError."""
    given = {k: v for k, v in given.items() if v is not None}
    unknown = set(given) - set(spec)
    if unknown:
        raise TypeError(f"{name} takes no parameter {', '.join(sorted(unknown))}")
    out = {}
    for k, default in spec.items():
        if k in given:
            out[k] = num(given[k])
        elif default is REQUIRED:
            raise TypeError(f"{name} needs the parameter {k}")
        else:
            out[k] = num(default)
    return out


def _elementwise(name: str, value: Callable, derivative: Callable, **spec) -> RefActivation:
    @_precise
    def v(z, **params):
        return value(num(z), **_bind(name, spec, params))

    @_precise
    def d(z, **params):
        return derivative(num(z), **_bind(name, spec, params))

    v.__name__, d.__name__ = name, f"{name}_derivative"
    return RefActivation(name, v, d, True, dict(spec))


def _sig_d(z):
    s = _sigmoid(z)
    return s * (1 - s)


def _silu_d(z):
    s = _sigmoid(z)
    return s * (1 + z * (1 - s))


RELU = _elementwise(
    "relu", lambda z: z if z > 0 else mpf(0),
    lambda z: mpf(1) if z > 0 else mpf(0))  # ReLU'(0) = 0, as torch
LEAKY_RELU = _elementwise(
    "leaky_relu", lambda z, slope: z if z > 0 else slope * z,
    lambda z, slope: mpf(1) if z > 0 else slope, slope=REQUIRED)  # LeakyReLU'(0) = slope, as torch
SIGMOID = _elementwise("sigmoid", _sigmoid, _sig_d)
TANH = _elementwise("tanh", mp.tanh, lambda z: 1 - mp.tanh(z) ** 2)
LINEAR = _elementwise("linear", lambda z: +z, lambda z: mpf(1))
GELU = _elementwise("gelu", lambda z: z * _Phi(z), lambda z: _Phi(z) + z * _phi(z))
SILU = _elementwise("silu", lambda z: z * _sigmoid(z), _silu_d)
ELU = _elementwise(
    "elu", lambda z, alpha: z if z > 0 else alpha * mp.expm1(z),
    lambda z, alpha: mpf(1) if z > 0 else alpha * mp.exp(z), alpha=1)  # ELU'(0) = α, as torch
SOFTPLUS = _elementwise("softplus", lambda z: mp.log1p(mp.exp(z)), _sigmoid)
# Heaviside: 1 above 0, 0 below, ``step_at_zero`` at 0 (torch.heaviside(z, values)); sign: ±1,
# ``sign_at_zero`` at 0 (torch.sign gives 0 there). Both derivatives are 0 wherever they exist and
# are taken as 0 at the jump (torch.heaviside has no autograd formula; torch.sign's gradient is 0).
STEP = _elementwise(
    "step", lambda z, step_at_zero: mpf(1) if z > 0 else (step_at_zero if z == 0 else mpf(0)),
    lambda z, step_at_zero: mpf(0), step_at_zero=1)
SIGN = _elementwise(
    "sign", lambda z, sign_at_zero: mpf(1) if z > 0 else (sign_at_zero if z == 0 else mpf(-1)),
    lambda z, sign_at_zero: mpf(0), sign_at_zero=1)


@_precise
def softmax(zs: list) -> list:
    """p_k = e^{z_k} / Σ_j e^{z_j} (shifted by max z, which changes nothing)."""
    zs = [num(z) for z in zs]
    m = max(zs)
    e = [mp.exp(z - m) for z in zs]
    s = sum(e)
    return [v / s for v in e]


@_precise
def softmax_vjp(p: list, g: list) -> list:
    """Jᵀg for p = softmax(z): ∂p_k/∂z_j = p_k(δ_kj − p_j), so (Jᵀg)_j = p_j(g_j − Σ_k g_k p_k)."""
    p, g = [num(v) for v in p], [num(v) for v in g]
    s = sum(gk * pk for gk, pk in zip(g, p))
    return [pj * (gj - s) for pj, gj in zip(p, g)]


@_precise
def softmax_jacobian(zs: list) -> list:
    """Rows k, columns j: ∂p_k/∂z_j = p_k(δ_kj − p_j)."""
    p = softmax(zs)
    return [[pk * ((1 if k == j else 0) - pj) for j, pj in enumerate(p)] for k, pk in enumerate(p)]


SOFTMAX = RefActivation("softmax", softmax, softmax_jacobian, elementwise=False, vjp=softmax_vjp)

ACTIVATIONS: dict[str, RefActivation] = {
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "linear": LINEAR,
    "identity": LINEAR,
    "gelu": GELU,
    "silu": SILU,
    "swish": SILU,
    "elu": ELU,
    "softplus": SOFTPLUS,
    "step": STEP,
    "sign": SIGN,
    "softmax": SOFTMAX,
}

#: Where an elementwise activation's derivative jumps (finite differences are not
#: trusted within a small distance of these points).
KINKS: dict[str, tuple] = {"relu": (0,), "leaky_relu": (0,), "elu": (0,), "step": (0,), "sign": (0,)}


@_precise
def activate(name: str, zs: list, **params) -> list:
    """A layer's activations: ``softmax(zs)`` or the elementwise function of each z."""
    act = ACTIVATIONS[name]
    if not act.elementwise:
        return act.value(zs)
    return [act.value(z, **params) for z in zs]


@_precise
def activation_vjp(name: str, zs: list, g: list, **params) -> list:
    """∂L/∂z from ∂L/∂a = ``g`` through the activation at pre-activations ``zs``."""
    act = ACTIVATIONS[name]
    if not act.elementwise:
        return softmax_vjp(softmax(zs), g)
    return [num(d) * act.derivative(z, **params) for z, d in zip(zs, g)]


# --- losses ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RefLoss:
    """A loss of one example: ``value(o, y, reduction=None, **params)`` and
    ``gradient(o, y, reduction=None, **params)`` (∂L/∂o_k). ``reductions`` are the
    reductions it takes (the first is the default; empty: ``reduction`` is ignored);
    ``params`` each parameter's default."""

    name: str
    value: Callable
    gradient: Callable
    reductions: tuple = ()
    params: dict = field(default_factory=dict)


def _reduction(name: str, allowed: tuple, reduction: str | None) -> str | None:
    if not allowed:
        return None
    if reduction is None:
        return allowed[0]
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {allowed}, not {reduction!r}")
    return reduction


def _sgn(r: mpf) -> mpf:
    return mpf(1) if r > 0 else mpf(-1) if r < 0 else mpf(0)


def _one_hot_class(y: list) -> int:
    ones = [k for k, v in enumerate(y) if v == 1]
    if len(ones) != 1 or any(v != 0 for k, v in enumerate(y) if k != ones[0]):
        raise ValueError(f"multiclass_hinge needs a one-hot target (one 1, the rest 0), not {y!r}")
    return ones[0]


def _loss(name: str, value: Callable, gradient: Callable, reductions: tuple = (), **spec) -> RefLoss:
    def prepare(o, y, reduction, params):
        o, y = [num(v) for v in o], [num(v) for v in y]
        if len(o) != len(y) or not o:
            raise ValueError(f"{name}: {len(o)} outputs but {len(y)} targets")
        return o, y, _reduction(name, reductions, reduction), _bind(name, spec, params)

    @_precise
    def v(o, y, reduction=None, **params):
        o, y, red, p = prepare(o, y, reduction, params)
        return value(o, y, red, **p)

    @_precise
    def g(o, y, reduction=None, **params):
        o, y, red, p = prepare(o, y, reduction, params)
        return gradient(o, y, red, **p)

    v.__name__, g.__name__ = name, f"{name}_gradient"
    return RefLoss(name, v, g, reductions, dict(spec))


def _mean_or_sum(terms: list, red: str) -> mpf:
    s = sum(terms)
    return s / len(terms) if red == "mean" else s


def _scale(grads: list, red: str) -> list:
    return [d / len(grads) for d in grads] if red == "mean" else grads


def _huber(r, delta):
    return r * r / 2 if abs(r) < delta else delta * (abs(r) - delta / 2)


def _huber_d(r, delta):
    return r if abs(r) <= delta else delta * _sgn(r)


def _hinge_value(s, y, red, margin):
    c = _one_hot_class(y)
    return sum((max(mpf(0), s[j] - s[c] + margin) for j in range(len(s)) if j != c), mpf(0))


def _hinge_gradient(s, y, red, margin):
    c = _one_hot_class(y)
    g = [mpf(0)] * len(s)
    for j in range(len(s)):
        if j != c and s[j] - s[c] + margin > 0:  # strict: a hinge exactly at 0 is flat
            g[j] += 1
            g[c] -= 1
    return g


LOSSES: dict[str, RefLoss] = {
    "sse": _loss("sse", lambda o, y, r: sum((a - b) ** 2 for a, b in zip(o, y)),
                 lambda o, y, r: [2 * (a - b) for a, b in zip(o, y)]),
    "half_sse": _loss("half_sse", lambda o, y, r: sum((a - b) ** 2 for a, b in zip(o, y)) / 2,
                      lambda o, y, r: [a - b for a, b in zip(o, y)]),
    "mse": _loss("mse", lambda o, y, r: sum((a - b) ** 2 for a, b in zip(o, y)) / len(o),
                 lambda o, y, r: [2 * (a - b) / len(o) for a, b in zip(o, y)]),
    "cross_entropy": _loss("cross_entropy", lambda p, y, r: -sum(b * mp.log(a) for a, b in zip(p, y)),
                           lambda p, y, r: [-b / a for a, b in zip(p, y)]),
    "bce": _loss("bce",
                 lambda p, y, r: _mean_or_sum([-(b * mp.log(a) + (1 - b) * mp.log(1 - a))
                                               for a, b in zip(p, y)], r),
                 lambda p, y, r: _scale([-(b / a - (1 - b) / (1 - a)) for a, b in zip(p, y)], r),
                 ("mean", "sum")),
    "l1": _loss("l1", lambda o, y, r: _mean_or_sum([abs(a - b) for a, b in zip(o, y)], r),
                lambda o, y, r: _scale([_sgn(a - b) for a, b in zip(o, y)], r),  # sgn(0) = 0, as torch
                ("sum", "mean")),
    "huber": _loss("huber", lambda o, y, r, delta: _mean_or_sum([_huber(a - b, delta) for a, b in zip(o, y)], r),
                   lambda o, y, r, delta: _scale([_huber_d(a - b, delta) for a, b in zip(o, y)], r),
                   ("mean", "sum"), delta=1),
    "multiclass_hinge": _loss("multiclass_hinge", _hinge_value, _hinge_gradient, margin=1),
}


@_precise
def loss_kink_margins(kind: str, o: list, y: list, **params) -> list:
    """How far ``o`` is from each point where the loss's derivative (for huber: its
    second derivative) jumps: |r| for l1, ||r| − δ| for huber, |s_j − s_c + Δ| (j ≠ c)
    for multiclass_hinge; empty for the smooth losses. Finite differences are not
    trusted near 0."""
    o, y = [num(v) for v in o], [num(v) for v in y]
    if kind == "l1":
        return [abs(a - b) for a, b in zip(o, y)]
    if kind == "huber":
        d = _bind(kind, LOSSES[kind].params, params)["delta"]
        return [abs(abs(a - b) - d) for a, b in zip(o, y)]
    if kind == "multiclass_hinge":
        m = _bind(kind, LOSSES[kind].params, params)["margin"]
        c = _one_hot_class(y)
        return [abs(o[j] - o[c] + m) for j in range(len(o)) if j != c]
    return []


# --- optimizers -----------------------------------------------------------------------

def _hyper(kind: str, spec: dict, given: dict) -> dict:
    flags = {k for k, v in spec.items() if isinstance(v, bool)}
    out = _bind(kind, {k: v for k, v in spec.items() if k not in flags},
                {k: v for k, v in given.items() if k not in flags})
    for k in flags:
        value = given.get(k)
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{kind}: {k} is a boolean")
        out[k] = spec[k] if value is None else value
    return out


def _loop(kind: str, spec: dict, update: Callable, check: Callable = lambda h: None) -> Callable:
    @_precise
    def optimize(params: dict, grad_fn: Callable, steps: int, states: list | None = None, **hyper) -> list:
        h = _hyper(kind, spec, hyper)
        check(h)
        w = {k: num(v) for k, v in params.items()}
        state: dict = {k: {"t": 0} for k in w}
        snapshots = [dict(w)]
        for _ in range(steps):
            grads = grad_fn(dict(w))
            unknown = set(grads) - set(w)
            if unknown:
                raise KeyError(f"gradient of unknown parameters {sorted(unknown)}")
            for k, g in grads.items():  # a parameter without a gradient stays as it is
                st = state[k]
                st["t"] += 1
                w[k] = update(w[k], num(g), st, h)
            snapshots.append(dict(w))
            if states is not None:
                states.append({k: {n: v for n, v in st.items() if n != "t"} for k, st in state.items()})
        return snapshots

    optimize.__name__ = kind
    return optimize


def _coupled(w, g, h):
    """PyTorch's weight_decay of SGD, Adam, RMSprop, Adagrad: added to the gradient."""
    return g + h.get("weight_decay", 0) * w


def _sgd(w, g, st, h):
    g = _coupled(w, g, h)
    mu = h["momentum"]
    if mu == 0:
        return w - h["learning_rate"] * g
    if "buf" not in st:          # torch.optim.SGD: the buffer starts as the gradient (no dampening)
        st["buf"] = g
    else:
        st["buf"] = mu * st["buf"] + (1 - h["dampening"]) * g
    if h["nesterov"]:
        st["d"] = g + mu * st["buf"]
        return w - h["learning_rate"] * st["d"]
    return w - h["learning_rate"] * st["buf"]


def _sgd_check(h):
    if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")


def _momentum(w, g, st, h):
    st["v"] = h["momentum"] * st.get("v", mpf(0)) + g
    return w - h["learning_rate"] * st["v"]


def _adam(w, g, st, h, decoupled=False):
    t, b1, b2 = st["t"], h["beta1"], h["beta2"]
    if decoupled:
        w = w * (1 - h["learning_rate"] * h["weight_decay"])
    else:
        g = _coupled(w, g, h)
    st["m"] = b1 * st.get("m", mpf(0)) + (1 - b1) * g
    st["v"] = b2 * st.get("v", mpf(0)) + (1 - b2) * g * g
    st["mhat"] = st["m"] / (1 - b1 ** t)
    st["vhat"] = st["v"] / (1 - b2 ** t)
    return w - h["learning_rate"] * st["mhat"] / (mp.sqrt(st["vhat"]) + h["epsilon"])


def _rmsprop(w, g, st, h):
    g = _coupled(w, g, h)
    a = h["alpha"]
    st["v"] = a * st.get("v", mpf(0)) + (1 - a) * g * g
    avg = mp.sqrt(st["v"]) + h["epsilon"]
    if h["momentum"] > 0:
        st["buf"] = h["momentum"] * st.get("buf", mpf(0)) + g / avg
        return w - h["learning_rate"] * st["buf"]
    return w - h["learning_rate"] * g / avg


def _adagrad(w, g, st, h):
    g = _coupled(w, g, h)
    st["sum"] = st.get("sum", mpf(0)) + g * g
    return w - h["learning_rate"] * g / (mp.sqrt(st["sum"]) + h["epsilon"])


def _adadelta(w, g, st, h):
    g = _coupled(w, g, h)
    rho, eps = h["rho"], h["epsilon"]
    st["v"] = rho * st.get("v", mpf(0)) + (1 - rho) * g * g
    st["delta"] = mp.sqrt(st.get("u", mpf(0)) + eps) / mp.sqrt(st["v"] + eps) * g
    st["u"] = rho * st.get("u", mpf(0)) + (1 - rho) * st["delta"] * st["delta"]
    return w - h["learning_rate"] * st["delta"]


def _adamax(w, g, st, h):
    g = _coupled(w, g, h)
    b1 = h["beta1"]
    st["m"] = b1 * st.get("m", mpf(0)) + (1 - b1) * g
    st["u"] = max(h["beta2"] * st.get("u", mpf(0)), abs(g) + h["epsilon"])
    return w - h["learning_rate"] / (1 - b1 ** st["t"]) * st["m"] / st["u"]


def _nadam(w, g, st, h):
    if h["decoupled_weight_decay"]:  # torch: param.mul_(1 - lr * weight_decay), the gradient as it is
        w = w * (1 - h["learning_rate"] * h["weight_decay"])
    else:
        g = _coupled(w, g, h)
    t, b1, b2, psi = st["t"], h["beta1"], h["beta2"], h["momentum_decay"]
    st["mu"] = b1 * (1 - mpf("0.96") ** (t * psi) / 2)
    st["munext"] = b1 * (1 - mpf("0.96") ** ((t + 1) * psi) / 2)
    st["prod"] = st.get("prod", mpf(1)) * st["mu"]
    st["m"] = b1 * st.get("m", mpf(0)) + (1 - b1) * g
    st["v"] = b2 * st.get("v", mpf(0)) + (1 - b2) * g * g
    st["mhat"] = st["munext"] * st["m"] / (1 - st["prod"] * st["munext"]) + (1 - st["mu"]) * g / (1 - st["prod"])
    st["vhat"] = st["v"] / (1 - b2 ** t)
    return w - h["learning_rate"] * st["mhat"] / (mp.sqrt(st["vhat"]) + h["epsilon"])


_ADAM = {"learning_rate": REQUIRED, "beta1": "0.9", "beta2": "0.999", "epsilon": "1e-8"}

OPTIMIZERS: dict[str, Callable] = {
    "sgd": _loop("sgd", {"learning_rate": REQUIRED, "momentum": "0", "dampening": "0", "nesterov": False,
                         "weight_decay": "0"}, _sgd, _sgd_check),
    "momentum": _loop("momentum", {"learning_rate": REQUIRED, "momentum": "0.9"}, _momentum),
    "adam": _loop("adam", {**_ADAM, "weight_decay": "0"}, _adam),
    "adamw": _loop("adamw", {**_ADAM, "weight_decay": "0.01"}, lambda w, g, st, h: _adam(w, g, st, h, True)),
    "rmsprop": _loop("rmsprop", {"learning_rate": REQUIRED, "alpha": "0.99", "epsilon": "1e-8", "momentum": "0",
                                 "weight_decay": "0"}, _rmsprop),
    "adagrad": _loop("adagrad", {"learning_rate": REQUIRED, "epsilon": "1e-10", "weight_decay": "0"}, _adagrad),
    "adadelta": _loop("adadelta", {"learning_rate": REQUIRED, "rho": "0.9", "epsilon": "1e-6", "weight_decay": "0"},
                      _adadelta),
    "adamax": _loop("adamax", {**_ADAM, "weight_decay": "0"}, _adamax),
    "nadam": _loop("nadam", {**_ADAM, "weight_decay": "0", "momentum_decay": "0.004", "decoupled_weight_decay": False},
                   _nadam),
}


def run(kind: str, params: dict, grad_fn: Callable, steps: int, **hyper) -> list:
    """``steps`` updates of optimizer ``kind`` from ``params``; the ``steps + 1``
    snapshots (name → mpf), the starting point first."""
    if kind not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {kind!r}")
    return OPTIMIZERS[kind](params, grad_fn, steps, **hyper)
