"""Functions that jump at 0 (the Heaviside step, the sign): f(z) = 1 for z > 0, ``below`` for
z < 0, and a parameter's value at z = 0; their derivative is 0 wherever it exists and is taken
as 0 at the jump, as PyTorch passes no gradient through them. :mod:`.activations.step` and
:mod:`.activations.sign` are the two."""

from __future__ import annotations

from typing import ClassVar

import sympy as sp

from ..core.numbers import written_latex
from .functions import OpFunctionBase, is_number, positive


class Slope0(OpFunctionBase):
    """The derivative of a jump function: 0 (for z ≠ 0; taken as 0 at z = 0 too). Each jump
    function has its own subclass, for its name in LaTeX (``\\operatorname{step}'``)."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        return sp.S.Zero if is_number(z) else None

    def fdiff(self, argindex=1):
        return sp.S.Zero


class Jump(OpFunctionBase):
    """``f(z, s)``: 1 for z > 0, :attr:`below` for z < 0, s at z = 0. Subclasses set ``name``
    (``step``), ``below``, ``prime`` (their :class:`Slope0`), ``param`` (the field naming s)
    and ``why`` (why the derivative is taken as 0, for the note at a jump)."""

    nargs = 2
    name: ClassVar[str] = ""
    below: ClassVar[int] = 0
    prime: ClassVar[type] = Slope0
    param: ClassVar[str] = ""
    why: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            cls.latex_name = rf"\operatorname{{{cls.name}}}"
            cls.kink_convention = rf"\operatorname{{{cls.name}}}'(0) = 0"
            cls.numeric = staticmethod(lambda x, s, low=cls.below: 1 if positive(x) else (s if x == 0 else low))

    @classmethod
    def eval(cls, z, at_zero):
        if is_number(z):
            return sp.S.One if z > 0 else (at_zero if z == 0 else sp.Integer(cls.below))
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return self.prime(self.args[0])

    def kink_note(self, arg_latex: str) -> str:
        n = self.name
        return (f"The input of ${arg_latex}$ is 0, where the {n} jumps: this key uses "
                rf"$\operatorname{{{n}}}(0) = {written_latex(self.args[1])}$ ({self.param.replace('_', chr(92) + '_')}) "
                rf"and takes $\operatorname{{{n}}}'(0) = 0$, {self.why}.")

    @classmethod
    def define(cls, values: dict) -> str:
        """The definition line with the value at 0 (``values``: LaTeX by parameter name)."""
        s, low = values[cls.param], str(cls.below)
        if s == "1":
            cases = rf"1 & z \ge 0 \\ {low} & z < 0"
        elif s == low:
            cases = rf"1 & z > 0 \\ {low} & z \le 0"
        else:
            cases = rf"1 & z > 0 \\ {s} & z = 0 \\ {low} & z < 0"
        return (rf"\operatorname{{{cls.name}}}(z) = \begin{{cases}} {cases} \end{{cases}},\quad "
                rf"\operatorname{{{cls.name}}}'(z) = 0\ (\text{{taken as 0 at }} z = 0)")
