"""The sign function as an activation, sign(z) = 1 for z > 0 and −1 for z < 0; sign(0)
is the parameter ``sign_at_zero`` (1 by default, the perceptron's usual choice with ±1
targets; torch.sign gives 0). Its derivative is 0 wherever it exists and is taken as 0 at
z = 0 too, as torch.sign's gradient is 0 everywhere. Not the ``sgn`` of |u|'s derivative
(sgn(0) = 0), which the key writes differently."""

from __future__ import annotations

import sympy as sp

from ..jumps import Jump, Slope0
from ..params import Param
from .base import Activation


class SignPrime(Slope0):
    """sign'(z) = 0 (for z ≠ 0; taken as 0 at z = 0 too)."""

    latex_name = r"\operatorname{sign}'"
    numeric = staticmethod(lambda x: 0)


class Sign(Jump):
    """sign(z, s): 1 for z > 0, −1 for z < 0, s at z = 0. Derivative :class:`SignPrime`."""

    name, below, prime, param = "sign", -1, SignPrime, "sign_at_zero"
    why = "as PyTorch's gradient of torch.sign is 0"


ACTIVATION = Activation(
    "sign", "sign", lambda z, sign_at_zero: Sign(z, sign_at_zero), r"\operatorname{sign}", r"\operatorname{sign}'",
    definition=r"\operatorname{sign}(z) = \begin{cases} 1 & z \ge 0 \\ -1 & z < 0 \end{cases}", define=Sign.define,
    params=(Param("sign_at_zero", r"s_0", sp.Integer(1), "0", "sign: its value at z = 0 (default 1; torch.sign gives 0)",
                  low=sp.Integer(-1), high=sp.Integer(1)),),
    source="the perceptron's sign (Rosenblatt 1958); torch.sign (sign(0) = 0 there)", order=8)
