"""softplus(z) = ln(1 + eᶻ) (β = 1), with softplus'(z) = σ(z). Computed as ln(1 + eᶻ) for
every z: PyTorch's torch.nn.Softplus returns z itself above its threshold z = 20, a
difference below 2·10⁻⁹."""

from __future__ import annotations

import mpmath
import sympy as sp

from ...core.numbers import DIGITS
from ..functions import OpFunctionBase, applied, as_ball, is_number
from .base import Activation
from .sigmoid import Sigmoid


class Softplus(OpFunctionBase):
    """softplus(z) = ln(1 + eᶻ). Derivative: the sigmoid."""

    nargs = 1
    latex_name = r"\operatorname{softplus}"
    numeric = staticmethod(lambda x: mpmath.log1p(mpmath.exp(x)))
    on_balls = staticmethod(lambda x: as_ball(x).exp().log1p())

    @classmethod
    def eval(cls, z):
        if is_number(z):  # log1p: ln(1 + eᶻ) for very negative z without losing eᶻ to cancellation
            with mpmath.workdps(DIGITS + 15):
                return sp.Float(mpmath.log1p(mpmath.exp(mpmath.mpf(sp.Float(z, DIGITS + 25)))), DIGITS + 15)
        return None

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])

    @classmethod
    def expanded(cls, arg_latex: str, exact: bool) -> tuple[str, str]:
        return ("=" if exact else r"\approx", applied(r"\ln", rf"1 + e^{{{arg_latex}}}"))


ACTIVATION = Activation(
    "softplus", "softplus", lambda z: Softplus(z), r"\operatorname{softplus}", r"\sigma",
    definition=(r"\operatorname{softplus}(z) = \ln\left(1 + e^{z}\right),\quad "
                r"\operatorname{softplus}'(z) = \sigma(z) = \frac{1}{1 + e^{-z}}"),
    source="Dugas et al. (2001); torch.nn.Softplus (β = 1)")
