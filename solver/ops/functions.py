"""The base of every function the key's math uses beyond sympy's own: each is a sympy
``Function`` that carries its LaTeX name, its numeric (mpmath) twin for training runs,
and where it is not differentiable, the convention used there.

Every subclass registers itself (:data:`OpFunctionBase.registry`, by class name), so the
LaTeX printer (``_print_OpFunctionBase``) and the compiled training run find it without a
table of their own: an activation or a loss adds its functions in its own module.
"""

from __future__ import annotations

from typing import Callable, ClassVar

import mpmath
import sympy as sp

from ..core.numbers import written_latex


def is_number(x) -> bool:
    """True for a number that can be compared (an exact Rational or a real Float)."""
    return bool(getattr(x, "is_number", False)) and x.is_comparable


def plain_product(expr) -> bool:
    """Whether ``expr`` is a product of plain symbols only (``w x``)."""
    return type(expr) is sp.Mul and all(type(f) is sp.Symbol for f in expr.args)


#: What makes an argument taller than a line: it gets ``\left( … \right)``.
_TALL = ("\\frac", "\\dfrac", "\\sum", "\\prod", "\\begin", "\\left", "\\sqrt", "\\int")


def gated(gate: str, arg: str) -> str:
    """``arg`` times ``gate`` applied to it, ``z\\,\\Phi(z)`` (GELU, SiLU), a negative factor in
    parentheses: ``(-0.5)\\,\\Phi(-0.5)``."""
    factor = f"({arg})" if arg.startswith("-") else arg
    return rf"{factor}\," + applied(gate, arg)


def applied(name: str, arg: str) -> str:
    """A function applied to an argument, in LaTeX: ``name(arg)`` with plain parentheses
    around a flat argument, ``\\left( … \\right)`` around a tall one, with ``\\mathopen{}``
    so that an operator name is not followed by a gap (``\\operatorname{ReLU}\\left(z\\right)``
    prints "ReLU (z)")."""
    if any(t in arg for t in _TALL):
        return rf"{name}\mathopen{{}}\left({arg}\right)\mathclose{{}}"
    return f"{name}({arg})"


class OpFunctionBase(sp.Function):
    """A function of the key's math.

    Class attributes (set by each subclass):
        latex_name: its name in LaTeX (``\\operatorname{ReLU}``); it prints as
            ``name\\left(z\\right)``, with only the first argument shown (the others,
            such as a slope, are parameters stated in the key's definitions).
        numeric: the same function on mpmath numbers (arguments as the sympy ones).
        on_balls: the same function on Arb balls (:func:`as_ball`), for a function that
            decides no branch; ``None`` (a training run through it uses mpmath) otherwise.
        kink_convention: LaTeX of the value used at a kink (``ReLU'(0) = 0``), or ``""``
            where the function has none.
        kink_parameter: the index of the argument the convention names (leaky ReLU's slope
            α, ``LeakyReLU'(0) = α``), whose value the kink's note gives; ``None`` otherwise.
        probabilities: True when its values are probabilities (sigmoid, softmax), so
            that a loss that needs probabilities may follow it.
    """

    registry: ClassVar[dict[str, type["OpFunctionBase"]]] = {}
    latex_name: ClassVar[str] = ""
    numeric: ClassVar[Callable | None] = None
    on_balls: ClassVar[Callable | None] = None
    kink_convention: ClassVar[str] = ""
    kink_parameter: ClassVar[int | None] = None
    probabilities: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OpFunctionBase.registry[cls.__name__] = cls

    def kink_points(self) -> tuple[sp.Expr, ...]:
        """Expressions of the arguments that are 0 exactly at a kink (``(z,)`` for ReLU)."""
        return (self.args[0],) if self.kink_convention else ()

    def kink_note(self, arg_latex: str) -> str:
        """The sentence the key prints when an argument sits exactly on a kink; a convention
        in a parameter (``LeakyReLU'(0) = \\alpha``) gets this call's value of it too."""
        p = self.kink_parameter
        value = rf" = {written_latex(self.args[p])}" if p is not None and self.args[p].is_Number else ""
        return (f"The input of ${arg_latex}$ is 0, where the activation has a kink; "
                f"this key uses ${self.kink_convention}{value}$, as PyTorch does.")

    @classmethod
    def expanded(cls, arg_latex: str, exact: bool) -> tuple[str, str] | None:
        """An extra step showing the function's formula at its argument's value
        (``σ(1.2) = 1/(1 + e^{-1.2})``): (relation, LaTeX), or ``None``."""
        return None


def numeric_functions() -> dict[str, Callable]:
    """Class name → mpmath implementation of every registered function (for lambdify)."""
    return {name: cls.numeric for name, cls in OpFunctionBase.registry.items() if cls.numeric is not None}


def ball_functions() -> dict[str, Callable]:
    """Class name → Arb implementation of every registered function that has one."""
    return {name: cls.on_balls for name, cls in OpFunctionBase.registry.items() if cls.on_balls is not None}


#: python-flint's ball type, once something has asked for a ball (``[None]`` before:
#: nothing is a ball, and flint is not imported).
ARB: list = [None]


def ball_type() -> type:
    """python-flint's ``arb`` (imported here, the first time: by a run that uses balls)."""
    if ARB[0] is None:
        from flint import arb

        ARB[0] = arb
    return ARB[0]


def as_ball(x):
    """``x`` as an Arb ball (python-flint's ``arb``, at flint's working precision): a ball as
    it is; an int, an exact fraction or an mpmath number (the last two hand themselves
    over as ``_mpf_``) rounded to one."""
    arb = ARB[0] or ball_type()
    return x if type(x) is arb else arb(x)


#: In a training run computed with 50-digit numbers, a value closer to a kink than this
#: (and not exactly on it) cannot be told from one on the kink: the branch is refused.
TIE = mpmath.mpf(10) ** -40


class AmbiguousBranch(ValueError):
    """A branch (a kink, a tie) that rounded arithmetic cannot decide."""


def positive(x) -> bool:
    """``x > 0``, decided exactly for exact numbers (ints, fractions, exact zeros); for a
    rounded mpmath number within :data:`TIE` of 0 but not 0, raises
    :class:`AmbiguousBranch` instead of guessing which side the exact value is on."""
    if isinstance(x, mpmath.mpf) and x != 0 and abs(x) < TIE:
        raise AmbiguousBranch(f"a value {mpmath.nstr(x, 3)} lies within 1e-40 of a kink, where 50-digit "
                              "arithmetic cannot tell on which side the exact value is")
    return x > 0
