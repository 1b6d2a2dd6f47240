"""A training run's arithmetic in Arb balls (python-flint), where the graph allows it.

Arb (F. Johansson, "Arb: efficient arbitrary-precision midpoint-radius interval
arithmetic", IEEE Transactions on Computers 66(8), 2017) holds a number as a midpoint
and a radius that bounds its rounding error. At a run's 50 digits one of its operations,
called from Python, costs about a fifth of mpmath's, and its ``exp`` an eighth.

A run uses balls only when no step decides a branch: every function the compiled graph
calls has a twin on balls (``on_balls`` of :class:`~solver.ops.functions.OpFunctionBase`:
sigmoid, softmax, softplus, SiLU, GELU; and ``exp``, ``log``, ``sqrt``, ``tanh``…
below). ReLU and every other function with a kink keep the mpmath run, whose branches
:func:`~solver.ops.functions.positive` decides. Exact fractions stay exact as in an mpmath
run (:mod:`.exact`: a ball meets one as the fraction's own rounding, ``Exact.ball``), so
a parameter whose gradient is exact stays exact. After each step the parameters and the
optimizer's state are cut to their midpoints (a ball's radius would otherwise grow with
the steps): the run computes what 50-digit floating point computes, as mpmath does, to
within a few units of the 50th digit, and its snapshots hand mpmath numbers on. A
gradient within the rounding of terms that cancel is an exact 0 first
(:func:`.residues.rounding_only`); a value the run reports that is not a finite number, or
is a ball around 0 (:func:`defined`), sends the run back to mpmath.
"""

from __future__ import annotations

import builtins
from contextlib import contextmanager
from functools import lru_cache

import mpmath
import sympy as sp

from ..ops.functions import as_ball, ball_functions, ball_type
from .exact import Exact, exact_root, forget_balls


class Unsupported(Exception):
    """The compiled graph calls a function that has no twin on balls (or python-flint is
    not installed)."""


class Undefined(Exception):
    """A ball the run reports is not a finite number (python-flint's answer to 1/0, log 0,
    the square root of a ball that holds 0, an overflow), or is within its rounding of 0:
    the run is done again with mpmath, whose own arithmetic and errors then decide."""


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether python-flint can be imported (it is a dependency; a platform without its
    wheel runs every training run with mpmath)."""
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True


def _mpf(*args):
    return as_ball(mpmath.mpf(*args))


#: What sympy's mpmath printer writes in a compiled formula, on balls.
_SYMPY_FUNCTIONS = {
    "exp": lambda x: as_ball(x).exp(),
    "log": lambda x: as_ball(x).log(),
    "sqrt": lambda x: as_ball(x).sqrt(),
    "tanh": lambda x: as_ball(x).tanh(),
    "erf": lambda x: as_ball(x).erf(),
    "erfc": lambda x: as_ball(x).erfc(),
    "expm1": lambda x: as_ball(x).expm1(),
    "log1p": lambda x: as_ball(x).log1p(),
    "mpf": _mpf,
}


def power(base, n: int):
    """``base ** n`` for an integer ``n``: exact for an exact base; for a ball, by
    multiplying (python-flint's ``**`` of a ball holding 0 is not a number, where x·x is)."""
    if not hasattr(base, "mid"):
        return base ** n
    out = base if n else as_ball(1)
    for _ in range(abs(n) - 1):
        out = out * base
    return out if n >= 0 else 1 / out


def namespace() -> dict:
    """The names a formula compiled for balls may call (lambdify's module)."""
    return {**_SYMPY_FUNCTIONS, **ball_functions(), "Exact": Exact, "_power": power}


_BRANCHING = (sp.Piecewise, sp.core.relational.Relational, sp.logic.boolalg.BooleanFunction)


def supported(exprs) -> None:
    """Raises :class:`Unsupported` unless every function in ``exprs`` (a graph's
    expressions and local derivatives) has a twin on balls and none of them holds a
    branch of its own (a ``Piecewise``, a comparison)."""
    names = set(_SYMPY_FUNCTIONS) | set(ball_functions())
    for expr in exprs:
        for node in sp.preorder_traversal(expr):
            if isinstance(node, _BRANCHING) or \
                    (isinstance(node, sp.Function) and type(node).__name__ not in names):
                raise Unsupported(type(node).__name__)


def check(fn) -> None:
    """Raises :class:`Unsupported` when the compiled ``fn`` calls a name that the
    namespace it was compiled with does not hold."""
    scope = fn.__globals__
    missing = [n for n in fn.__code__.co_names if n not in scope and not hasattr(builtins, n)]
    if missing:
        raise Unsupported(", ".join(missing))


@contextmanager
def precision():
    """flint's working precision set to mpmath's for the block (and restored after)."""
    from flint import ctx

    ball_type()  # exact numbers meet balls by their own from here (solver.graph.exact)
    forget_balls()
    before = ctx.prec
    ctx.prec = mpmath.mp.prec
    try:
        yield
    finally:
        ctx.prec = before


def sqrt(value):
    """The square root on balls: exact for the square of a fraction, as in an mpmath run."""
    root = exact_root(value)
    return as_ball(value).sqrt() if root is None else root


def settled(value):
    """A ball as its midpoint (a ball of radius 0); anything else as it is."""
    mid = getattr(value, "mid", None)
    return value if mid is None else mid()


def plain(value):
    """A ball as an mpmath number (its midpoint, at mpmath's precision); anything else as it is."""
    return mpmath.mp.make_mpf(value.mid()._mpf_) if hasattr(value, "mid") else value


def defined(value):
    """``value``, a number the run reports or decides on (a loss, a gradient, a kept
    parameter or state); raises :class:`Undefined` for a ball that is not a finite number
    (a run that fails, fails with mpmath's own error), or that holds 0 without being 0:
    whether such a value is 0, and its sign, are rounding's (a gradient that cancels by
    symmetry), and mpmath's run decides them as it always has."""
    if hasattr(value, "is_finite") and (not value.is_finite() or (value.rad() != 0 and value.contains(0))):
        raise Undefined
    return value
