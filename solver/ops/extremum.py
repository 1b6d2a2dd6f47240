"""``max(a, b, …)`` and ``min(a, b, …)`` of two or more arguments, differentiated by the
first-extremum rule: ∂max/∂a_i is 1 when a_i is the first argument (left to right) equal
to the maximum and 0 otherwise (the same for min), decided on exact values.

At a tie this is what PyTorch's reduction along a dimension does: ``torch.max(input, dim)``
returns the index of the first maximal element and its backward routes the whole
gradient there, as ``max_pool2d`` does (checked against torch 2.13 in
``tests/test_extremum.py``). It is not what ``torch.maximum(a, b)``, ``torch.amax`` or a
``torch.max(input)`` without ``dim`` do: they split a tie evenly.

The derivative is a product of indicators (Iverson brackets: ``𝕀[P]`` is 1 when P holds
and 0 otherwise), strict against the arguments before the one differentiated and not
against those after. For ``max(a, b, c)``:

    ∂/∂a = 𝕀[a ≥ max(b, c)],   ∂/∂b = 𝕀[b > a] 𝕀[b ≥ c],   ∂/∂c = 𝕀[c > max(a, b)].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import sympy as sp

from .functions import _TALL, OpFunctionBase, applied, is_number, positive

#: The most arguments ``max`` or ``min`` takes (an expression is at most 500 characters).
MAX_ARGUMENTS = 256



def _counted(args) -> None:
    """Two to :data:`MAX_ARGUMENTS` arguments. Checked here rather than by sympy's ``nargs``,
    which rebuilds a set of every allowed count each time a function is built (a max-pooling
    of a 32 × 32 image builds thousands)."""
    if not 2 <= len(args) <= MAX_ARGUMENTS:
        raise TypeError(f"takes 2 to {MAX_ARGUMENTS} arguments ({len(args)} given)")


def _powered(tex: str, exp) -> str:
    return tex if exp is None else rf"{tex}^{{{exp}}}"


# -- the indicators of the derivatives ----------------------------------------------------

class Indicator(OpFunctionBase):
    """``𝕀[x ⋈ every other]`` for the comparison ⋈ of the subclass, printed
    ``\\mathbb{I}[x > a]`` (``\\mathbb{I}[x > \\max(a, b)]`` for several others). Its
    arguments are (x, others…), two or more; it is piecewise constant, its derivative 0.

    Class attributes:
        relation: LaTeX of the comparison (``>``, ``\\ge``, ``<``, ``\\le``).
        reduce: the LaTeX name several others are written in (``\\max``, ``\\min``).
        holds: whether ``x ⋈ other`` for two numbers: exactly for exact numbers; for
            rounded ones :func:`~solver.ops.functions.positive` decides, and raises
            :class:`~solver.ops.functions.AmbiguousBranch` within 1e-40 of a tie.
    """

    least_arguments: ClassVar[int] = 2
    relation: ClassVar[str] = ""
    reduce: ClassVar[str] = ""
    holds: ClassVar[Callable[..., bool]]

    @classmethod
    def eval(cls, x, *others):
        _counted((x, *others))
        if is_number(x) and all(is_number(o) for o in others):
            return sp.S.One if all(cls.holds(x, o) for o in others) else sp.S.Zero
        return None

    @classmethod
    def on_numbers(cls, x, *others) -> int:
        """1 or 0 on numbers (the training run's twin)."""
        return 1 if all(cls.holds(x, o) for o in others) else 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.numeric = staticmethod(lambda *args: cls.on_numbers(*args))  # each indicator's numeric twin

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _latex(self, printer, exp=None):
        x, others = self.args[0], self.args[1:]
        side = ", ".join(printer._print(o) for o in others)
        if len(others) > 1:
            side = applied(self.reduce, side)
        inner = rf"{printer._print(x)} {self.relation} {side}"
        if any(t in inner for t in _TALL):
            return _powered(rf"\mathbb{{I}}\mathopen{{}}\left[{inner}\right]\mathclose{{}}", exp)
        return _powered(rf"\mathbb{{I}}[{inner}]", exp)


# The strict indicator of each pair sorts before the other (sympy orders a product's
# factors by name), so that a product reads 𝕀[b > a] 𝕀[b ≥ c]: earlier arguments first.

class Above(Indicator):
    """𝕀[x > every other]."""

    relation, reduce = ">", r"\max"
    holds = staticmethod(lambda x, o: positive(x - o))


class AboveOrAt(Indicator):
    """𝕀[x ≥ every other]."""

    relation, reduce = r"\ge", r"\max"
    holds = staticmethod(lambda x, o: not positive(o - x))


class Below(Indicator):
    """𝕀[x < every other]."""

    relation, reduce = "<", r"\min"
    holds = staticmethod(lambda x, o: positive(o - x))


class BelowOrAt(Indicator):
    """𝕀[x ≤ every other]."""

    relation, reduce = r"\le", r"\min"
    holds = staticmethod(lambda x, o: not positive(x - o))


# -- max and min --------------------------------------------------------------------------

class Extremum(OpFunctionBase):
    """The largest (:class:`MaxOf`) or smallest (:class:`MinOf`) of two or more
    arguments, printed ``\\max(a, b, c)``; built with fewer than two or more than
    :data:`MAX_ARGUMENTS` arguments, sympy raises ``TypeError``.

    Class attributes:
        latex_name: ``\\max`` or ``\\min``.
        word, noun: "maximal" and "maximum", or "minimal" and "minimum".
        strict, loose: the indicators of the derivative against the arguments before
            (strict) and after (loose) the one differentiated.
    """

    least_arguments: ClassVar[int] = 2
    word: ClassVar[str] = ""
    noun: ClassVar[str] = ""
    strict: ClassVar[type[Indicator]]
    loose: ClassVar[type[Indicator]]

    @classmethod
    def first(cls, values) -> int:
        """The index of the first extremal one of ``values`` (exact numbers)."""
        best = 0
        for i, v in enumerate(values):
            if cls.strict.holds(v, values[best]):
                best = i
        return best

    @classmethod
    def eval(cls, *args):
        _counted(args)
        if all(is_number(a) for a in args):
            return args[cls.first(args)]
        return None

    def fdiff(self, argindex=1):
        """∂/∂a_i = strict(a_i, a_1 … a_{i-1}) · loose(a_i, a_{i+1} …), a factor left
        out where no argument is on its side: 1 exactly for the first extremal argument."""
        i = argindex - 1
        x, before, after = self.args[i], self.args[:i], self.args[i + 1:]
        return sp.Mul(*([self.strict(x, *before)] if before else []), *([self.loose(x, *after)] if after else []))

    def tied(self, values) -> list[int]:
        """The indices of the arguments equal to the extremum, given their ``values``
        (exact numbers): more than one is a tie."""
        top = values[self.first(values)]
        return [i for i, v in enumerate(values) if v == top]

    def tie_note(self, latex: str, tied: list[str], relation: str, value: str) -> str:
        """The key's sentence for a tie: ``latex`` is this function as printed, ``tied``
        the tied arguments (LaTeX, in order), ``value`` their common value as shown and
        ``relation`` (``=`` or ``\\approx``) the sign before it."""
        names = [t for t in dict.fromkeys(tied) if t != value]  # a number tied is its value
        said = " = ".join(names) + f" {relation} {value}" if names else value
        return (f"${latex}$ has a tie at its {self.noun}, ${said}$: the gradient goes to the first "
                f"{self.word} argument, ${tied[0]}$ (1 for it, 0 for the others), as PyTorch's "
                f"{self.latex_name[1:]}(input, dim) does.")

    @classmethod
    def rule(cls) -> str:
        """The derivative on two arguments, for the key's definition of the indicators."""
        n, s, l = cls.latex_name, cls.strict.relation, cls.loose.relation
        return (rf"$\partial {n}(a, b)/\partial a = \mathbb{{I}}[a {l} b]$ and "
                rf"$\partial {n}(a, b)/\partial b = \mathbb{{I}}[b {s} a]$")

    def _latex(self, printer, exp=None):
        return _powered(applied(self.latex_name, ", ".join(printer._print(a) for a in self.args)), exp)


class MaxOf(Extremum):
    """max(a, b, …); ∂/∂a_i = 1 for the first maximal argument, 0 for the others."""

    latex_name, word, noun = r"\max", "maximal", "maximum"
    strict, loose = Above, AboveOrAt
    numeric = staticmethod(lambda *args: max(args))  # a tie decides no value


class MinOf(Extremum):
    """min(a, b, …); ∂/∂a_i = 1 for the first minimal argument, 0 for the others."""

    latex_name, word, noun = r"\min", "minimal", "minimum"
    strict, loose = Below, BelowOrAt
    numeric = staticmethod(lambda *args: min(args))


def derivative_definition(indicators) -> str:
    """What ``𝕀[P]`` means and how ``max`` or ``min`` is differentiated with it, ties
    included, for the :class:`Indicator` classes ``indicators`` that a key's derivatives
    use; ``""`` for none."""
    used = [k for k in (MaxOf, MinOf) if {k.strict, k.loose} & set(indicators)]
    if not used:
        return ""
    words = " or ".join(k.word for k in used)
    torch = " and ".join(f"{k.latex_name[1:]}(input, dim)" for k in used)
    return (r"$\mathbb{I}[P]$ is 1 if $P$ holds and 0 otherwise: " + "; ".join(k.rule() for k in used)
            + f". The derivative is 1 with respect to the first {words} argument and 0 with respect to the "
            f"others, so at a tie the whole gradient goes to the first of the tied arguments, as PyTorch's "
            f"{torch} {'do' if len(used) > 1 else 'does'}.")
