"""The Heaviside step, step(z) = 1 for z > 0 and 0 for z < 0; step(0) is the parameter
``step_at_zero`` (1 by default, the perceptron's usual choice; 0 for the other
convention; torch.heaviside(z, values) takes it as ``values``). Its derivative is 0 wherever
it exists and is taken as 0 at z = 0 too: PyTorch gives no gradient through a step
(torch.heaviside has no autograd formula; a comparison passes none back)."""

from __future__ import annotations

import sympy as sp

from ...core.numbers import written_latex
from ..functions import OpFunctionBase, is_number, positive
from ..params import Param
from .base import Activation


class Step(OpFunctionBase):
    """step(z, s): 1 for z > 0, 0 for z < 0, s at z = 0. Derivative :class:`StepPrime`."""

    nargs = 2
    latex_name = r"\operatorname{step}"
    numeric = staticmethod(lambda x, s: 1 if positive(x) else (s if x == 0 else 0))
    kink_convention = r"\operatorname{step}'(0) = 0"

    @classmethod
    def eval(cls, z, at_zero):
        if is_number(z):
            return sp.S.One if z > 0 else (at_zero if z == 0 else sp.S.Zero)
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return StepPrime(self.args[0])

    def kink_note(self, arg_latex: str) -> str:
        return (f"The input of ${arg_latex}$ is 0, where the step jumps: this key uses "
                rf"$\operatorname{{step}}(0) = {written_latex(self.args[1])}$ (step\_at\_zero) and takes "
                r"$\operatorname{step}'(0) = 0$, as PyTorch passes no gradient through a step.")


class StepPrime(OpFunctionBase):
    """step'(z) = 0 (for z ≠ 0; taken as 0 at z = 0 too)."""

    nargs = 1
    latex_name = r"\operatorname{step}'"
    numeric = staticmethod(lambda x: 0)

    @classmethod
    def eval(cls, z):
        if is_number(z):
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


def _define(values: dict) -> str:
    s = values["step_at_zero"]
    if s == "1":
        cases = r"1 & z \ge 0 \\ 0 & z < 0"
    elif s == "0":
        cases = r"1 & z > 0 \\ 0 & z \le 0"
    else:
        cases = rf"1 & z > 0 \\ {s} & z = 0 \\ 0 & z < 0"
    return (rf"\operatorname{{step}}(z) = \begin{{cases}} {cases} \end{{cases}},\quad "
            r"\operatorname{step}'(z) = 0\ (\text{taken as 0 at } z = 0)")


ACTIVATION = Activation(
    "step", "step", lambda z, step_at_zero: Step(z, step_at_zero), r"\operatorname{step}", r"\operatorname{step}'",
    definition=r"\operatorname{step}(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}", define=_define,
    params=(Param("step_at_zero", r"s_0", sp.Integer(1), "0", "step: its value at z = 0 (default 1)",
                  low=sp.Integer(0), high=sp.Integer(1)),),
    source="Heaviside step (Rosenblatt 1958); torch.heaviside(z, values)", order=7)
