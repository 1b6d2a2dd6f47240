"""GELU(z) = z Φ(z) = (z/2)(1 + erf(z/√2)), exact (PyTorch's default, approximate='none');
GELU'(z) = Φ(z) + z φ(z) (Hendrycks and Gimpel, *Gaussian Error Linear Units*, 2016)."""

from __future__ import annotations

import mpmath
import sympy as sp

from ..functions import OpFunctionBase, as_ball, gated, is_number
from .base import Activation


def _cdf(z):
    """Φ(z) = erfc(−z/√2)/2: no cancellation for very negative z, where 1 + erf(z/√2)
    would need thousands of digits to leave anything."""
    return sp.erfc(-z / sp.sqrt(2)) / 2


class GELU(OpFunctionBase):
    """GELU(z) = z Φ(z), Φ the standard normal distribution function. Derivative :class:`GELUPrime`."""

    nargs = 1
    latex_name = r"\operatorname{GELU}"
    numeric = staticmethod(lambda x: x * mpmath.erfc(-x / mpmath.sqrt(2)) / 2)
    on_balls = staticmethod(lambda x: x * (-as_ball(x) / as_ball(2).sqrt()).erfc() / 2)

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return z * _cdf(z)
        return None

    def fdiff(self, argindex=1):
        return GELUPrime(self.args[0])

    @classmethod
    def expanded(cls, arg_latex: str, exact: bool) -> tuple[str, str]:
        return ("=" if exact else r"\approx", gated(r"\Phi", arg_latex))


class GELUPrime(OpFunctionBase):
    """GELU'(z) = Φ(z) + z φ(z), φ the standard normal density."""

    nargs = 1
    latex_name = r"\operatorname{GELU}'"
    numeric = staticmethod(lambda x: mpmath.erfc(-x / mpmath.sqrt(2)) / 2
                           + x * mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi))
    on_balls = staticmethod(lambda x: (-as_ball(x) / as_ball(2).sqrt()).erfc() / 2
                            + x * as_ball(-x * x / 2).exp() / (2 * as_ball(1).pi()).sqrt())

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return _cdf(z) + z * sp.exp(-z ** 2 / 2) / sp.sqrt(2 * sp.pi)
        return None

    def fdiff(self, argindex=1):
        z = self.args[0]
        return sp.exp(-z ** 2 / 2) / sp.sqrt(2 * sp.pi) * (2 - z ** 2)


ACTIVATION = Activation(
    "gelu", "GELU", lambda z: GELU(z), r"\operatorname{GELU}", r"\operatorname{GELU}'",
    definition=(r"\operatorname{GELU}(z) = z\,\Phi(z) = \frac{z}{2}\left(1 + \operatorname{erf}"
                r"\frac{z}{\sqrt{2}}\right),\quad \operatorname{GELU}'(z) = \Phi(z) + z\,\varphi(z),\quad "
                r"\varphi(z) = \frac{e^{-z^2/2}}{\sqrt{2\pi}}"),
    source="Hendrycks and Gimpel (2016); torch.nn.GELU (exact, approximate='none')")
