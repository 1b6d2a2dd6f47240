"""LeakyReLU(z, α) = z for z > 0, α z otherwise; LeakyReLU'(0) = α, as PyTorch computes it."""

from __future__ import annotations

import sympy as sp

from ..functions import OpFunctionBase, is_number, positive
from ..params import Param
from .base import Activation


class LeakyReLU(OpFunctionBase):
    """LeakyReLU(z, α) = z for z > 0, α z otherwise. Derivative :class:`LeakyReLUPrime`."""

    nargs = 2
    latex_name = r"\operatorname{LeakyReLU}"
    numeric = staticmethod(lambda x, a: x if positive(x) else a * x)
    kink_convention = r"\operatorname{LeakyReLU}'(0) = \alpha"
    kink_parameter = 1  # α

    @classmethod
    def eval(cls, z, alpha):
        if is_number(z):
            return z if z > 0 else alpha * z
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return LeakyReLUPrime(*self.args)


class LeakyReLUPrime(OpFunctionBase):
    """LeakyReLU'(z, α): 1 for z > 0, α for z ≤ 0."""

    nargs = 2
    latex_name = r"\operatorname{LeakyReLU}'"
    numeric = staticmethod(lambda x, a: 1 if positive(x) else a)

    @classmethod
    def eval(cls, z, alpha):
        if is_number(z):
            return sp.S.One if z > 0 else alpha
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


def _define(values: dict) -> str:
    """The definition and derivative in the slope α, then α's value (``values["slope"]``,
    LaTeX): the kink's note (LeakyReLU'(0) = α) refers to it."""
    return (r"\operatorname{LeakyReLU}(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases},\quad "
            r"\operatorname{LeakyReLU}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases},\quad "
            r"\alpha = " + values["slope"])


ACTIVATION = Activation(
    "leaky_relu", "leaky ReLU", lambda z, slope: LeakyReLU(z, slope), r"\operatorname{LeakyReLU}",
    r"\operatorname{LeakyReLU}'", define=_define,
    params=(Param("slope", r"\alpha", None, "0.01", "negative slope α of leaky_relu", low=sp.Integer(0), high=sp.Integer(1)),),
    source="Maas et al. (2013); torch.nn.LeakyReLU", order=2)
