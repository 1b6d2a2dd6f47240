"""ReLU(z) = max(0, z), with ReLU'(0) = 0 as PyTorch computes it.

The pattern every activation module follows: its sympy functions (value and
derivative, each an :class:`~solver.ops.functions.OpFunctionBase` with ``eval`` for exact
numbers, ``fdiff`` for its derivative and ``numeric`` for training runs), then
``ACTIVATION``, its descriptor.
"""

from __future__ import annotations

import sympy as sp

from ..functions import OpFunctionBase, is_number, positive
from .base import Activation


class ReLU(OpFunctionBase):
    """ReLU(z) = max(0, z). Derivative :class:`ReLUPrime`."""

    nargs = 1
    latex_name = r"\operatorname{ReLU}"
    numeric = staticmethod(lambda x: x if positive(x) else 0)
    kink_convention = r"\operatorname{ReLU}'(0) = 0"

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return z if z > 0 else sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return ReLUPrime(self.args[0])


class ReLUPrime(OpFunctionBase):
    """ReLU'(z): 1 for z > 0, 0 for z ≤ 0 (PyTorch's convention at z = 0)."""

    nargs = 1
    latex_name = r"\operatorname{ReLU}'"
    numeric = staticmethod(lambda x: 1 if positive(x) else 0)

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return sp.S.One if z > 0 else sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


ACTIVATION = Activation(
    "relu", "ReLU", lambda z: ReLU(z), r"\operatorname{ReLU}", r"\operatorname{ReLU}'",
    definition=(r"\operatorname{ReLU}(z) = \max(0, z),\quad "
                r"\operatorname{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}"),
    source="Nair and Hinton (2010); torch.nn.ReLU", order=1)
