"""The Heaviside step, step(z) = 1 for z > 0 and 0 for z < 0; step(0) is the parameter
``step_at_zero`` (1 by default, the perceptron's usual choice; 0 for the other
convention; torch.heaviside(z, values) takes it as ``values``). Its derivative is 0 wherever
it exists and is taken as 0 at z = 0 too: PyTorch gives no gradient through a step
(torch.heaviside has no autograd formula; a comparison passes none back)."""

from __future__ import annotations

import sympy as sp

from ..jumps import Jump, Slope0
from ..params import Param
from .base import Activation


class StepPrime(Slope0):
    """step'(z) = 0 (for z ≠ 0; taken as 0 at z = 0 too)."""

    latex_name = r"\operatorname{step}'"
    numeric = staticmethod(lambda x: 0)


class Step(Jump):
    """step(z, s): 1 for z > 0, 0 for z < 0, s at z = 0. Derivative :class:`StepPrime`."""

    name, below, prime, param = "step", 0, StepPrime, "step_at_zero"
    why = "as PyTorch passes no gradient through a step"


ACTIVATION = Activation(
    "step", "step", lambda z, step_at_zero: Step(z, step_at_zero), r"\operatorname{step}", r"\operatorname{step}'",
    definition=r"\operatorname{step}(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}", define=Step.define,
    params=(Param("step_at_zero", r"s_0", sp.Integer(1), "0", "step: its value at z = 0 (default 1)",
                  low=sp.Integer(0), high=sp.Integer(1)),),
    source="Heaviside step (Rosenblatt 1958); torch.heaviside(z, values)", order=7)
