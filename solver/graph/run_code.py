"""A training run's formulas as Python functions (sympy's ``lambdify`` with mpmath's
printer): on mpmath numbers, or on Arb balls (:mod:`.balls`).

Rationals stay exact (each an :class:`~.exact.Fixed` constant made once); sympy's own
branching functions (``sign``, ``Heaviside``) are decided by
:func:`~solver.ops.functions.positive`, like the activations' kinks. On balls, an integer
power is a product (python-flint's ``**`` of a ball that holds 0 is not a number).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

import sympy as sp
from sympy.printing.pycode import MpmathPrinter

from ..ops.functions import numeric_functions, positive
from . import balls
from .exact import Exact, fixed
from .shapes import renamed


class _ExactPrinter(MpmathPrinter):
    """Rationals in the compiled expressions stay exact: each is a named constant
    (an :class:`Exact` made once), not ``mpf(1)/mpf(2)``."""

    known: frozenset = frozenset()

    def _print_Rational(self, e):
        name = constant_name(e)  # one the printer makes on its own (x/2) is built where used
        return name if name in self.known else f"Exact({e.p}, {e.q})"

    def _print_Heaviside(self, e):  # max/min's derivative: the tie decided by positive()
        h0 = self._print(e.args[1]) if len(e.args) > 1 else "Exact(1, 2)"
        return f"_heaviside({self._print(e.args[0])}, {h0})"


class _BallPrinter(_ExactPrinter):
    """On balls: ``x**n`` for an integer n as ``_power(x, n)`` (:func:`.balls.power`)."""

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Integer:
            return f"_power({self._print(expr.base)}, {int(expr.exp)})"
        return super()._print_Pow(expr, rational=rational)


def _sign(x):
    return 1 if positive(x) else -1 if positive(-x) else 0


def _heaviside(x, at_zero):
    return 1 if positive(x) else 0 if positive(-x) else at_zero


#: Branching functions of sympy's own, decided like the activations' kinks.
_BRANCHES = {"sign": _sign, "_heaviside": _heaviside, "Exact": Exact}


def constant_name(r: sp.Rational) -> str:
    """The name of a fraction's constant in compiled code (``_q1_4``, ``_qm3_2``)."""
    return f"_q{'m' if r.p < 0 else ''}{abs(r.p)}_{r.q}"


#: Compiled functions by shape: (the formula in canonical symbols, their order as
#: arguments, on balls). A graph repeats a few shapes (an XOR batch's 49 formulas are 9).
_SHAPES: dict = {}


def compiled_formula(expr: sp.Expr, args: list[str], on_balls: bool = False) -> tuple:
    """``expr`` as a Python function of the symbols named ``args`` (in that order), and ``args``.

    The symbols are renamed ``_a00000, _a00001, …`` in the order of their names (so sympy's
    printer orders terms as it would have), the tree rebuilt node for node without
    evaluating it (:func:`.shapes.renamed`), and the function compiled once per shape.

    Raises:
        balls.Unsupported: ``on_balls``, and the code calls a name that has no twin on balls.
    """
    rank = {a: i for i, a in enumerate(sorted(args))}
    params = tuple(f"_a{rank[a]:05d}" for a in args)
    shape = renamed(expr, {sp.Symbol(a, real=True): sp.Symbol(p, real=True) for a, p in zip(args, params)}, {})
    key = (shape, params, on_balls)
    fn = _SHAPES.get(key)
    if fn is None:
        if len(_SHAPES) > 4096:
            _SHAPES.clear()
        fn = _SHAPES[key] = _lambdified(shape, params, on_balls)
    return fn, args


def _lambdified(expr: sp.Expr, args: tuple, on_balls: bool):
    functions = numeric_functions()
    constants = {constant_name(r): fixed(Exact(int(r.p), int(r.q)))
                 for r in expr.atoms(sp.Rational) if not r.is_Integer}
    printer = (_BallPrinter if on_balls else _ExactPrinter)(
        {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
         "user_functions": {name: name for name in functions}})
    printer.known = frozenset(constants)
    modules = [balls.namespace(), constants] if on_balls else [functions, constants, _BRANCHES, "mpmath"]
    fn = sp.lambdify([sp.Symbol(a, real=True) for a in args], expr, modules=modules, printer=printer)
    if on_balls:
        balls.check(fn)
    return fn


#: The marker of a local derivative read as a parent's own value (``∂(w x)/∂x = w``).
NAME = object()


def kind(compiled: tuple, formula: sp.Expr) -> tuple:
    """How the run finds a local derivative: (value, None) for a constant (its function's one
    value: the same object or int at every call), (name, NAME) for a parent's own value
    (``∂(w x)/∂x = w``), else the compiled function and a reader of its arguments."""
    fn, args = compiled
    if not args:
        try:
            return fn(), None
        except (ArithmeticError, ValueError):  # raised where the run raises it, as before
            return fn, reader(args)
    if type(formula) is sp.Symbol and args == [formula.name]:
        return formula.name, NAME
    return fn, reader(args)


def reader(names: list) -> Callable:
    """A function of the values giving the arguments ``names`` in order, as a tuple."""
    if len(names) == 1:
        get = itemgetter(names[0])
        return lambda vals: (get(vals),)
    return itemgetter(*names) if names else lambda vals: ()
