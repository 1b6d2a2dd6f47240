"""ELU(z) = z for z > 0, α(eᶻ − 1) for z ≤ 0 (Clevert et al. 2016; torch.nn.ELU, α = 1 by
default); ELU'(0) = α, as PyTorch computes it (its z ≤ 0 branch)."""

from __future__ import annotations

import mpmath
import sympy as sp

from ..functions import OpFunctionBase, is_number, positive
from ..params import Param
from .base import Activation


class ELU(OpFunctionBase):
    """ELU(z, α). Derivative :class:`ELUPrime`."""

    nargs = 2
    latex_name = r"\operatorname{ELU}"
    numeric = staticmethod(lambda x, a: x if positive(x) else a * mpmath.expm1(x))
    kink_convention = r"\operatorname{ELU}'(0) = \alpha"
    kink_parameter = 1  # α

    @classmethod
    def eval(cls, z, alpha):
        if is_number(z):
            return z if z > 0 else alpha * (sp.exp(z) - 1)
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return ELUPrime(*self.args)


class ELUPrime(OpFunctionBase):
    """ELU'(z, α): 1 for z > 0, α eᶻ for z ≤ 0."""

    nargs = 2
    latex_name = r"\operatorname{ELU}'"
    numeric = staticmethod(lambda x, a: 1 if positive(x) else a * mpmath.exp(x))

    @classmethod
    def eval(cls, z, alpha):
        if is_number(z):
            return sp.S.One if z > 0 else alpha * sp.exp(z)
        return None

    def fdiff(self, argindex=1):
        z, alpha = self.args
        return sp.Piecewise((sp.S.Zero, z > 0), (alpha * sp.exp(z), True))


def _define(values: dict) -> str:
    """The definition and derivative in α, then α's value (``values["alpha"]``, LaTeX): the
    kink's note (ELU'(0) = α) refers to it."""
    return (r"\operatorname{ELU}(z) = \begin{cases} z & z > 0 \\ \alpha\,(e^{z} - 1) & z \le 0 \end{cases},\quad "
            r"\operatorname{ELU}'(z) = \begin{cases} 1 & z > 0 \\ \alpha\, e^{z} & z \le 0 \end{cases},\quad "
            r"\alpha = " + values["alpha"])


ACTIVATION = Activation(
    "elu", "ELU", lambda z, alpha: ELU(z, alpha), r"\operatorname{ELU}", r"\operatorname{ELU}'",
    definition=(r"\operatorname{ELU}(z) = \begin{cases} z & z > 0 \\ \alpha\,(e^{z} - 1) & z \le 0 \end{cases}"),
    define=_define, params=(Param("alpha", r"\alpha", sp.Integer(1), "1", "α of elu (default 1)",
                                      low=sp.Integer(0)),),
    source="Clevert et al. (2016); torch.nn.ELU")
