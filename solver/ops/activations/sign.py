"""The sign function as an activation, sign(z) = 1 for z > 0 and −1 for z < 0; sign(0)
is the parameter ``sign_at_zero`` (1 by default, the perceptron's usual choice with ±1
targets; torch.sign gives 0). Its derivative is 0 wherever it exists and is taken as 0 at
z = 0 too, as torch.sign's gradient is 0 everywhere. Not the ``sgn`` of |u|'s derivative
(sgn(0) = 0), which the key writes differently."""

from __future__ import annotations

import sympy as sp

from ...core.numbers import written_latex
from ..functions import OpFunctionBase, is_number, positive
from ..params import Param
from .base import Activation


class Sign(OpFunctionBase):
    """sign(z, s): 1 for z > 0, −1 for z < 0, s at z = 0. Derivative :class:`SignPrime`."""

    nargs = 2
    latex_name = r"\operatorname{sign}"
    numeric = staticmethod(lambda x, s: 1 if positive(x) else (s if x == 0 else -1))
    kink_convention = r"\operatorname{sign}'(0) = 0"

    @classmethod
    def eval(cls, z, at_zero):
        if is_number(z):
            return sp.S.One if z > 0 else (at_zero if z == 0 else sp.S.NegativeOne)
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return SignPrime(self.args[0])

    def kink_note(self, arg_latex: str) -> str:
        return (f"The input of ${arg_latex}$ is 0, where the sign jumps: this key uses "
                rf"$\operatorname{{sign}}(0) = {written_latex(self.args[1])}$ (sign\_at\_zero) and takes "
                r"$\operatorname{sign}'(0) = 0$, as PyTorch's gradient of torch.sign is 0.")


class SignPrime(OpFunctionBase):
    """sign'(z) = 0 (for z ≠ 0; taken as 0 at z = 0 too)."""

    nargs = 1
    latex_name = r"\operatorname{sign}'"
    numeric = staticmethod(lambda x: 0)

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


def _define(values: dict) -> str:
    s = values["sign_at_zero"]
    if s == "1":
        cases = r"1 & z \ge 0 \\ -1 & z < 0"
    elif s == "-1":
        cases = r"1 & z > 0 \\ -1 & z \le 0"
    else:
        cases = rf"1 & z > 0 \\ {s} & z = 0 \\ -1 & z < 0"
    return (rf"\operatorname{{sign}}(z) = \begin{{cases}} {cases} \end{{cases}},\quad "
            r"\operatorname{sign}'(z) = 0\ (\text{taken as 0 at } z = 0)")


ACTIVATION = Activation(
    "sign", "sign", lambda z, sign_at_zero: Sign(z, sign_at_zero), r"\operatorname{sign}", r"\operatorname{sign}'",
    definition=r"\operatorname{sign}(z) = \begin{cases} 1 & z \ge 0 \\ -1 & z < 0 \end{cases}", define=_define,
    params=(Param("sign_at_zero", r"s_0", sp.Integer(1), "0", "sign: its value at z = 0 (default 1; torch.sign gives 0)",
                  low=sp.Integer(-1), high=sp.Integer(1)),),
    source="the perceptron's sign (Rosenblatt 1958); torch.sign (sign(0) = 0 there)", order=8)
