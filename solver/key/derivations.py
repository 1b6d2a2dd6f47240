"""Symbolic derivations, each step checked by sympy.

A derivation is a chain ``lhs = line₁ = line₂ = …``. Every line is written for the
reader in general notation (LaTeX) and paired with a sympy expression of a concrete
instance (for example N = 4 classes, symbolic logits ``h₀…h₃`` and targets
``y₀…y₃``, class i = 1); consecutive lines must simplify to the same expression
(after the step's stated condition, such as Σ y = 1, is substituted). A step that
fails makes the derivation unverified, which the key says and the tests catch.

Adding a derivation: a function returning a :class:`Derivation`, registered in
:data:`DERIVATIONS`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable

import msgspec
import sympy as sp


class Step(msgspec.Struct, frozen=True):
    """One line: its LaTeX, the sympy expression it stands for, why it follows, and a
    substitution (a condition such as Σy = 1) applied when checking it."""

    latex: str
    expr: sp.Expr
    why: str = ""
    condition: dict | None = None


class Derivation(msgspec.Struct, frozen=True, dict=True):
    name: str
    title: str
    claim: str           # LaTeX of what is proved
    lhs: str             # LaTeX of the quantity derived
    steps: tuple[Step, ...]
    instance: str        # in words: the concrete instance sympy checks
    condition: str = ""  # in words: a condition the result needs (one-hot targets)

    def check(self) -> list[bool]:
        """For each step after the first, whether sympy finds it equal to the one before."""
        return list(self._checks)

    @cached_property
    def _checks(self) -> tuple[bool, ...]:
        # computed once per derivation: the simplify calls are nearly all of its cost
        out = []
        for prev, step in zip(self.steps, self.steps[1:]):
            a, b = prev.expr, step.expr
            if step.condition:
                a, b = a.subs(step.condition), b.subs(step.condition)
            out.append(_zero(a - b))
        return tuple(out)

    @property
    def verified(self) -> bool:
        return all(self._checks)


def _zero(d: sp.Expr) -> bool:
    """Whether sympy proves ``d`` identically zero: its expansion is 0, or the numerator of
    its terms over one common denominator expands to 0, or cancelling it as a rational
    function of its symbols and exponentials gives 0 (each a proof, cheapest first); only
    otherwise ``simplify``, which is slow and finds more."""
    e = sp.expand(d)
    if e == 0 or sp.expand(sp.fraction(sp.together(e))[0]) == 0 or sp.cancel(e) == 0:
        return True
    return sp.simplify(e) == 0 or sp.simplify(d).equals(0) is True


N = 4  # classes in the checked instance


def _softmax(h):
    s = sum(sp.exp(v) for v in h)
    return [sp.exp(v) / s for v in h]


def softmax_cross_entropy() -> Derivation:
    """∂L/∂h_i through the softmax Jacobian ∂P_j/∂h_i = P_j(δ_ij − P_i) (:func:`softmax_jacobian`)."""
    h = sp.symbols(f"h0:{N}", real=True)
    y = sp.symbols(f"y0:{N}", real=True)
    i = 1
    p = _softmax(h)
    L = -sum(y[j] * sp.log(p[j]) for j in range(N))
    one_hot = {y[N - 1]: 1 - sum(y[:N - 1])}
    delta = [1 if j == i else 0 for j in range(N)]
    steps = (
        Step(r"\frac{\partial}{\partial h_i}\Bigl(-\sum_j y_j \ln P_j\Bigr)", sp.diff(L, h[i]),
             "definition of the loss, with $P_j = P(y = j)$"),
        Step(r"-\sum_j \frac{y_j}{P_j} \frac{\partial P_j}{\partial h_i}",
             -sum(y[j] / p[j] * sp.diff(p[j], h[i]) for j in range(N)),
             r"the chain rule, $\partial \ln u/\partial u = 1/u$"),
        Step(r"-\sum_j \frac{y_j}{P_j} P_j (\delta_{ij} - P_i)",
             -sum(y[j] / p[j] * p[j] * (delta[j] - p[i]) for j in range(N)),
             r"the softmax Jacobian $\partial P_j/\partial h_i = P_j(\delta_{ij} - P_i)$"),
        Step(r"-\sum_j y_j (\delta_{ij} - P_i)", -sum(y[j] * (delta[j] - p[i]) for j in range(N)),
             r"$P_j$ cancels"),
        Step(r"-\Bigl(y_i - P_i \sum_j y_j\Bigr)", -(y[i] - p[i] * sum(y)),
             r"$\sum_j y_j \delta_{ij} = y_i$"),
        Step(r"P(y=i) - y_i", p[i] - y[i], r"$\sum_j y_j = 1$ for a one-hot target, and $P_i = P(y = i)$",
             one_hot),
    )
    return Derivation("softmax_ce", "Softmax and cross-entropy", r"\frac{\partial L}{\partial h_i} = P(y=i) - y_i",
                      r"\frac{\partial L}{\partial h_i}", steps,
                      f"N = {N} classes with symbolic logits and targets, i = {i}",
                      r"the target is one-hot ($y_j = 1$ for the true class, 0 otherwise), so $\sum_j y_j = 1$")


def softmax_jacobian() -> Derivation:
    h = sp.symbols(f"h0:{N}", real=True)
    s = sum(sp.exp(v) for v in h)
    p = _softmax(h)
    # checked for j = i (case δ = 1) and j ≠ i (δ = 0) at once: the sum of both cases
    pairs = [(1, 1), (2, 1)]
    def total(f):
        return sum(f(j, i) for j, i in pairs)
    delta = lambda j, i: 1 if j == i else 0  # noqa: E731
    steps = (
        Step(r"\frac{\partial}{\partial h_i} \frac{e^{h_j}}{\sum_k e^{h_k}}", total(lambda j, i: sp.diff(p[j], h[i])),
             "definition of the softmax"),
        Step(r"\frac{\delta_{ij} e^{h_j} \sum_k e^{h_k} - e^{h_j} e^{h_i}}{\bigl(\sum_k e^{h_k}\bigr)^2}",
             total(lambda j, i: (delta(j, i) * sp.exp(h[j]) * s - sp.exp(h[j]) * sp.exp(h[i])) / s ** 2),
             "the quotient rule"),
        Step(r"\delta_{ij} P_j - P_j P_i", total(lambda j, i: delta(j, i) * p[j] - p[j] * p[i]), "splitting the fraction"),
        Step(r"P_j(\delta_{ij} - P_i)", total(lambda j, i: p[j] * (delta(j, i) - p[i])), "factoring"),
    )
    return Derivation("softmax_jacobian", "The softmax Jacobian", r"\frac{\partial P_j}{\partial h_i} = P_j(\delta_{ij} - P_i)",
                      r"\frac{\partial P_j}{\partial h_i}", steps,
                      rf"$N = {N}$, the cases $j = i$ and $j \ne i$")


def sigmoid_derivative() -> Derivation:
    z = sp.Symbol("z", real=True)
    sig = 1 / (1 + sp.exp(-z))
    steps = (
        Step(r"\frac{d}{dz} \frac{1}{1 + e^{-z}}", sp.diff(sig, z), "definition"),
        Step(r"\frac{e^{-z}}{(1 + e^{-z})^2}", sp.exp(-z) / (1 + sp.exp(-z)) ** 2, "the chain rule"),
        Step(r"\frac{1}{1 + e^{-z}} \cdot \frac{e^{-z}}{1 + e^{-z}}", sig * sp.exp(-z) / (1 + sp.exp(-z)), "splitting"),
        Step(r"\sigma(z)\bigl(1 - \sigma(z)\bigr)", sig * (1 - sig), r"$\frac{e^{-z}}{1 + e^{-z}} = 1 - \sigma(z)$"),
    )
    return Derivation("sigmoid", "The sigmoid's derivative", r"\sigma'(z) = \sigma(z)(1 - \sigma(z))",
                      r"\sigma'(z)", steps, "symbolic z")


def tanh_derivative() -> Derivation:
    z = sp.Symbol("z", real=True)
    e, f = sp.exp(z), sp.exp(-z)
    t = (e - f) / (e + f)
    steps = (
        Step(r"\frac{d}{dz} \frac{e^z - e^{-z}}{e^z + e^{-z}}", sp.diff(t, z), "definition"),
        Step(r"\frac{(e^z + e^{-z})^2 - (e^z - e^{-z})^2}{(e^z + e^{-z})^2}", ((e + f) ** 2 - (e - f) ** 2) / (e + f) ** 2,
             "the quotient rule"),
        Step(r"1 - \tanh^2(z)", 1 - t ** 2, "splitting the fraction"),
    )
    return Derivation("tanh", "The tanh's derivative", r"\tanh'(z) = 1 - \tanh^2(z)", r"\tanh'(z)", steps, "symbolic z")


def bce_sigmoid() -> Derivation:
    z, y = sp.symbols("z y", real=True)
    p = 1 / (1 + sp.exp(-z))
    L = -(y * sp.log(p) + (1 - y) * sp.log(1 - p))
    steps = (
        Step(r"\frac{\partial}{\partial z}\Bigl(-\bigl[y \ln p + (1 - y) \ln(1 - p)\bigr]\Bigr)", sp.diff(L, z),
             r"definition, with $p = \sigma(z)$"),
        Step(r"\Bigl(-\frac{y}{p} + \frac{1 - y}{1 - p}\Bigr) \frac{\partial p}{\partial z}",
             (-y / p + (1 - y) / (1 - p)) * sp.diff(p, z), "the chain rule"),
        Step(r"\Bigl(-\frac{y}{p} + \frac{1 - y}{1 - p}\Bigr) p(1 - p)", (-y / p + (1 - y) / (1 - p)) * p * (1 - p),
             r"$\sigma' = \sigma(1 - \sigma)$"),
        Step(r"-y(1 - p) + (1 - y)p", -y * (1 - p) + (1 - y) * p, "multiplying out"),
        Step(r"p - y", p - y, "collecting terms"),
    )
    return Derivation("bce_sigmoid", "Binary cross-entropy after a sigmoid", r"\frac{\partial L}{\partial z} = p - y",
                      r"\frac{\partial L}{\partial z}", steps, "symbolic z and y")


def squared_error() -> Derivation:
    o, y = sp.symbols("o y", real=True)
    steps = (
        Step(r"\frac{\partial}{\partial o} \tfrac{1}{2}(o - y)^2", sp.diff((o - y) ** 2 / 2, o), "definition"),
        Step(r"\tfrac{1}{2} \cdot 2 (o - y)", sp.Rational(1, 2) * 2 * (o - y), "the power rule"),
        Step(r"o - y", o - y, r"the $\tfrac{1}{2}$ cancels the 2 (without it: $2(o - y)$)"),
    )
    return Derivation("squared_error", "The squared error's derivative",
                      r"\frac{\partial}{\partial o} \tfrac{1}{2}(o - y)^2 = o - y", r"\frac{\partial L}{\partial o}",
                      steps, "symbolic o and y")


DERIVATIONS: dict[str, Callable[[], Derivation]] = {
    "softmax_ce": softmax_cross_entropy,
    "softmax_jacobian": softmax_jacobian,
    "sigmoid": sigmoid_derivative,
    "tanh": tanh_derivative,
    "bce_sigmoid": bce_sigmoid,
    "squared_error": squared_error,
}
