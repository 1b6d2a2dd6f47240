"""The logistic sigmoid σ(z) = 1 / (1 + e^{-z}), with σ'(z) = σ(z)(1 − σ(z))."""

from __future__ import annotations

import mpmath
import sympy as sp

from ..functions import OpFunctionBase, as_ball, is_number
from .base import Activation


class Sigmoid(OpFunctionBase):
    """σ(z) = 1 / (1 + e^{-z}); σ'(z) = σ(z)(1 − σ(z)), written in σ itself so that the
    key shows ``h(1 - h)``."""

    nargs = 1
    latex_name = r"\sigma"
    numeric = staticmethod(lambda x: 1 / (1 + mpmath.exp(-x)))
    on_balls = staticmethod(lambda x: 1 / (1 + as_ball(-x).exp()))
    probabilities = True

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return 1 / (1 + sp.exp(-z))
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    @classmethod
    def expanded(cls, arg_latex: str, exact: bool) -> tuple[str, str]:
        neg = arg_latex[1:] if arg_latex.startswith("-") else "-" + arg_latex
        return ("=" if exact else r"\approx", rf"\frac{{1}}{{1 + e^{{{neg}}}}}")


ACTIVATION = Activation(
    "sigmoid", "sigmoid", lambda z: Sigmoid(z), r"\sigma", r"\sigma'",
    definition=r"\sigma(z) = \frac{1}{1 + e^{-z}},\quad \sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
    source="torch.nn.Sigmoid", order=3)
