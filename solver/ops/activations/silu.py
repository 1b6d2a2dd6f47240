"""SiLU (also called swish) z σ(z), with SiLU'(z) = σ(z)(1 + z(1 − σ(z)))
(Elfwing et al. 2018; Ramachandran et al. 2017; torch.nn.SiLU)."""

from __future__ import annotations

import mpmath
import sympy as sp

from ..functions import OpFunctionBase, as_ball, gated, is_number
from .base import Activation


def _sigma(z):
    return 1 / (1 + sp.exp(-z))


class SiLU(OpFunctionBase):
    """SiLU(z) = z σ(z). Derivative :class:`SiLUPrime`."""

    nargs = 1
    latex_name = r"\operatorname{SiLU}"
    numeric = staticmethod(lambda x: x / (1 + mpmath.exp(-x)))
    on_balls = staticmethod(lambda x: x / (1 + as_ball(-x).exp()))

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return z * _sigma(z)
        return None

    def fdiff(self, argindex=1):
        return SiLUPrime(self.args[0])

    @classmethod
    def expanded(cls, arg_latex: str, exact: bool) -> tuple[str, str]:
        return ("=" if exact else r"\approx", gated(r"\sigma", arg_latex))


class SiLUPrime(OpFunctionBase):
    """SiLU'(z) = σ(z)(1 + z(1 − σ(z)))."""

    nargs = 1
    latex_name = r"\operatorname{SiLU}'"
    numeric = staticmethod(lambda x: (1 + x * (1 - 1 / (1 + mpmath.exp(-x)))) / (1 + mpmath.exp(-x)))
    on_balls = staticmethod(lambda x: (1 + x * (1 - 1 / (1 + as_ball(-x).exp()))) / (1 + as_ball(-x).exp()))

    @classmethod
    def eval(cls, z):
        if is_number(z):
            s = _sigma(z)
            return s * (1 + z * (1 - s))
        return None

    def fdiff(self, argindex=1):
        z = self.args[0]
        s = _sigma(z)
        return s * (1 - s) * (2 + z * (1 - 2 * s))


ACTIVATION = Activation(
    "silu", "SiLU", lambda z: SiLU(z), r"\operatorname{SiLU}", r"\operatorname{SiLU}'",
    definition=(r"\operatorname{SiLU}(z) = z\,\sigma(z),\quad "
                r"\operatorname{SiLU}'(z) = \sigma(z)\,\bigl(1 + z\,(1 - \sigma(z))\bigr),\quad "
                r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
    aliases=("swish",), source="Elfwing et al. (2018), Ramachandran et al. (2017); torch.nn.SiLU")
