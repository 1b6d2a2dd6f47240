"""Activation functions as sympy ``Function`` classes, each with its derivative.

Adding an activation: write a ``Function`` subclass with ``eval`` (numeric values)
and ``fdiff`` (its derivative, itself a ``Function`` or an expression of the
function, so that ``h(1 - h)`` appears for the sigmoid), give it a LaTeX form in
:mod:`solver.printing`, and register it in :data:`ACTIVATIONS`.

Conventions (stated in the key when a kink is hit):
ReLU'(0) = 0 and LeakyReLU'(0) = α, as PyTorch computes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp


def _number(x) -> bool:
    return bool(getattr(x, "is_number", False)) and x.is_comparable


class ReLU(sp.Function):
    """ReLU(z) = max(0, z). Derivative :class:`ReLUPrime`."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        if _number(z):
            return z if z > 0 else sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return ReLUPrime(self.args[0])


class ReLUPrime(sp.Function):
    """ReLU'(z): 1 for z > 0, 0 for z ≤ 0 (PyTorch's convention at z = 0)."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        if _number(z):
            return sp.S.One if z > 0 else sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


class LeakyReLU(sp.Function):
    """LeakyReLU(z, α) = z for z > 0, α z otherwise. Derivative :class:`LeakyReLUPrime`."""

    nargs = 2

    @classmethod
    def eval(cls, z, alpha):
        if _number(z):
            return z if z > 0 else alpha * z
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return LeakyReLUPrime(*self.args)


class LeakyReLUPrime(sp.Function):
    """LeakyReLU'(z, α): 1 for z > 0, α for z ≤ 0."""

    nargs = 2

    @classmethod
    def eval(cls, z, alpha):
        if _number(z):
            return sp.S.One if z > 0 else alpha
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


class Sigmoid(sp.Function):
    """σ(z) = 1 / (1 + e^{-z}); σ'(z) = σ(z)(1 − σ(z))."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        if _number(z):
            return 1 / (1 + sp.exp(-z))
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)


class Softmax(sp.Function):
    """Component k (0-based) of softmax over the remaining arguments.

    ``Softmax(k, o_1, …, o_n) = e^{o_{k+1}} / Σ_j e^{o_j}``; its Jacobian is
    ∂S_k/∂o_j = S_k (δ_kj − S_j) (e.g. Goodfellow et al., *Deep Learning*, §6.2.2.3).
    """

    @classmethod
    def eval(cls, k, *logits):
        if logits and all(_number(o) for o in logits):
            return sp.exp(logits[int(k)]) / sp.Add(*[sp.exp(o) for o in logits])
        return None

    @property
    def index(self) -> int:
        return int(self.args[0])

    @property
    def logits(self) -> tuple:
        return self.args[1:]

    def component(self, j: int) -> "Softmax":
        return Softmax(sp.Integer(j), *self.logits)

    def fdiff(self, argindex=1):
        if argindex == 1:
            raise sp.ArgumentIndexError(self, argindex)
        j = argindex - 2
        if j == self.index:
            return self * (1 - self)
        return -self * self.component(j)


@dataclass(frozen=True)
class Activation:
    """An activation as a layer uses it.

    Attributes:
        key: the name in problem files (``relu``).
        title: the name in the key (``ReLU``).
        apply: builds the activation of one pre-activation symbol (``None`` for softmax,
            which acts on the whole layer, and for identity, which adds no node).
        definition: a LaTeX line defining it, printed once in the key.
    """

    key: str
    title: str
    apply: Callable[..., sp.Expr] | None
    definition: str
    elementwise: bool = True


def leaky_definition(slope_latex: str) -> str:
    """The definition line of leaky ReLU for a given slope (as LaTeX)."""
    return (r"\operatorname{LeakyReLU}(z) = \begin{cases} z & z > 0 \\ "
            + slope_latex + r"\, z & z \le 0 \end{cases}")


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", "ReLU", lambda z, **_: ReLU(z),
                       r"\operatorname{ReLU}(z) = \max(0, z),\quad "
                       r"\operatorname{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}"),
    "leaky_relu": Activation("leaky_relu", "leaky ReLU",
                             lambda z, slope, **_: LeakyReLU(z, slope), ""),
    "sigmoid": Activation("sigmoid", "sigmoid", lambda z, **_: Sigmoid(z),
                          r"\sigma(z) = \frac{1}{1 + e^{-z}},\quad \sigma'(z) = \sigma(z)\,(1 - \sigma(z))"),
    "tanh": Activation("tanh", "tanh", lambda z, **_: sp.tanh(z),
                       r"\tanh'(z) = 1 - \tanh^2(z)"),
    "linear": Activation("linear", "linear", None, ""),
    "softmax": Activation("softmax", "softmax", None,
                          r"\operatorname{softmax}(o)_k = \frac{e^{o_k}}{\sum_j e^{o_j}},\quad "
                          r"\frac{\partial p_k}{\partial o_j} = p_k(\delta_{kj} - p_j)",
                          elementwise=False),
}
ACTIVATIONS["identity"] = ACTIVATIONS["linear"]

