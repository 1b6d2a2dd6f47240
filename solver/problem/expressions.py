"""A small, whitelisted expression language for computational-graph problems.

Grammar (a subset of Python's expression syntax, read with :mod:`ast` and never
evaluated): numbers, names, ``+ - * / ^`` (``^`` and ``**`` are powers), parentheses,
unary minus, and the functions

    exp(x)  log(x)  abs(x)  max(a, b, …)  min(a, b, …)  square(x)  sqrt(x)

(``max`` and ``min`` of two or more arguments, their gradient going to the first maximal
or minimal argument at a tie, as PyTorch's ``torch.max(x, dim)`` does: see
:mod:`solver.ops.extremum`), and every activation that may appear in a graph
(:mod:`solver.ops.activations`), its parameters as numbers after the argument
(``leaky_relu(x, slope)``), optional where they have a default.

Anything else (attributes, subscripts, keywords, strings, lambdas, comparisons,
unknown functions or names) is rejected with :class:`ExpressionError`. Numbers are
read exactly from their source text (``0.1`` is 1/10). The result is a sympy
expression built unevaluated, so the key prints it as written.
"""

from __future__ import annotations

import ast
from typing import Callable

import sympy as sp

from ..core.numbers import parse_number
from ..ops.activations import ACTIVATIONS
from ..ops.extremum import MAX_ARGUMENTS, MaxOf, MinOf
from .fields import printable, written

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_EXPONENT = 64


class ExpressionError(ValueError):
    """An expression outside the whitelisted grammar, or naming something unknown."""


def checked_text(text, what: str = "the expression") -> str:
    """``text`` if it may be parsed: a string of at most :data:`MAX_LENGTH` ASCII characters
    (Python's parser would read ``ｘ`` or ``ℯxp`` as ``x`` and ``exp``, and overflows its
    stack on a few thousand ``-`` before a length checked after it).

    Raises:
        ExpressionError: not a string, too long, or a character that is not ASCII.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"{what} must be a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{what} is longer than {MAX_LENGTH} characters")
    if not text.isascii():
        bad = next(ch for ch in text if not ch.isascii())
        raise ExpressionError(f"{what} has a character that is not ASCII (U+{ord(bad):04X}): names and "
                              "operators are ASCII letters, digits and symbols")
    return text


#: The other functions: name → ((least, most) arguments, builder).
_BUILTINS: dict[str, tuple[tuple[int, int], Callable[..., sp.Expr]]] = {
    "exp": ((1, 1), lambda x: sp.exp(x, evaluate=False)),
    "log": ((1, 1), lambda x: sp.log(x, evaluate=False)),
    "abs": ((1, 1), lambda x: sp.Abs(x, evaluate=False)),
    "square": ((1, 1), lambda x: sp.Pow(x, 2, evaluate=False)),
    "sqrt": ((1, 1), lambda x: sp.Pow(x, sp.Rational(1, 2), evaluate=False)),
    "max": ((2, MAX_ARGUMENTS), lambda *args: MaxOf(*args, evaluate=False)),
    "min": ((2, MAX_ARGUMENTS), lambda *args: MinOf(*args, evaluate=False)),
}
#: The activations a graph may use, by name (aliases included).
_ACTIVATIONS = {name: act for name, act in ACTIVATIONS.items() if act.in_graph() is not None}
#: Every function name of the grammar.
FUNCTIONS: frozenset[str] = frozenset(_BUILTINS) | frozenset(_ACTIVATIONS)


def parse_expression(text: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """Parse ``text`` into a sympy expression over ``symbols``.

    Args:
        text: the expression as written in the problem file.
        symbols: the names it may use, and their symbols.

    Returns:
        An unevaluated sympy expression.

    Raises:
        ExpressionError: for syntax outside the grammar, an unknown function or
            name, a wrong number of arguments, an activation's parameter out of its
            range, or an over-long expression; its message on one line (control and
            bidi characters of the text escaped).
    """
    try:
        return _parse(text, symbols)
    except ExpressionError as exc:
        raise ExpressionError(printable(exc)) from None


def _parse(text: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    source = checked_text(text).replace("^", "**")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse '{' '.join(text.split())}' ({exc.msg})") from None
    return _Builder(source.strip(), symbols).build(tree.body, 0)


class _Builder:
    def __init__(self, source: str, symbols: dict[str, sp.Symbol]):
        self.source = source
        self.symbols = symbols

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ExpressionError("the expression is nested too deeply")
        d = depth + 1
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExpressionError(f"{node.value!r} is not allowed here (only numbers and names)")
            text = ast.get_source_segment(self.source, node) or repr(node.value)
            try:
                return parse_number(text)
            except ValueError as exc:
                raise ExpressionError(str(exc)) from None
        if isinstance(node, ast.Name):
            if node.id not in self.symbols:
                raise ExpressionError(f"unknown name '{node.id}'")
            return self.symbols[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.build(node.operand, d)
            if isinstance(node.op, ast.UAdd):
                return inner
            return -inner if inner.is_Number else sp.Mul(-1, inner, evaluate=False)
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left, d), self.build(node.right, d)
            op = node.op
            if isinstance(op, ast.Add):
                return sp.Add(left, right, evaluate=False)
            if isinstance(op, ast.Sub):
                neg = -right if right.is_Number else sp.Mul(-1, right, evaluate=False)
                return sp.Add(left, neg, evaluate=False)
            if isinstance(op, ast.Mult):
                return sp.Mul(left, right, evaluate=False)
            if isinstance(op, ast.Div):
                if right.is_Number and right == 0:
                    raise ExpressionError("division by zero")
                return sp.Mul(left, sp.Pow(right, -1, evaluate=False), evaluate=False)
            if isinstance(op, ast.Pow):
                if not right.is_Number:
                    raise ExpressionError("an exponent must be a number")
                if abs(right) > MAX_EXPONENT:
                    raise ExpressionError(f"an exponent may be at most {MAX_EXPONENT} in size")
                return sp.Pow(left, right, evaluate=False)
            raise ExpressionError(f"the operator '{_op_text(op)}' is not allowed (use + - * / ^)")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                known = ", ".join(sorted(FUNCTIONS))
                raise ExpressionError(f"unknown function '{name}' (known: {known})")
            if node.keywords:
                raise ExpressionError(f"{node.func.id}() takes no keyword arguments")
            if node.func.id in _ACTIVATIONS:
                return self.activation(node, d)
            (least, most), make = _BUILTINS[node.func.id]
            if not least <= len(node.args) <= most:
                raise ExpressionError(f"{node.func.id}() takes {_count_text(least, most)} "
                                      f"(got {len(node.args)})")
            return make(*[self.build(a, d) for a in node.args])
        raise ExpressionError(f"'{ast.unparse(node)}' is not allowed (only numbers, names, + - * / ^ "
                              "and the listed functions)")


    def activation(self, node: ast.Call, depth: int) -> sp.Expr:
        """``name(x, p1, …)``: an activation, its parameters numbers (defaults where omitted)."""
        name = node.func.id
        act = _ACTIVATIONS[name]
        least = 1 + sum(p.required for p in act.params)
        most = 1 + len(act.params)
        if not least <= len(node.args) <= most:
            raise ExpressionError(activation_arity(name, act.params, len(node.args)))
        args = [self.build(a, depth) for a in node.args]
        params = {}
        for p, value in zip(act.params, args[1:]):
            if not value.is_Number:
                raise ExpressionError(f"{name}(x, {p.name}): the {p.name} must be a number")
            if not p.allows(value):
                raise ExpressionError(f"{name}(x, {p.name}): the {p.name} {p.range_text()} (got {written(value)})")
            params[p.name] = value
        for p in act.params[len(args) - 1:]:
            params[p.name] = p.default
        return act.in_graph()(args[0], **params)


def activation_arity(name: str, params, got: int) -> str:
    """The message for an activation called with ``got`` arguments where its argument and its
    ``params`` (:class:`~solver.ops.params.Param`) are wanted: ``leaky_relu(x, slope) takes 2
    arguments (got 1); slope is required, e.g. leaky_relu(x, 0.01)``."""
    least = 1 + sum(p.required for p in params)
    signature = ", ".join(["x", *(p.name for p in params)])
    text = f"{name}({signature}) takes {_count_text(least, 1 + len(params))} (got {got})"
    required = [p for p in params if p.required]
    if got < least and required:
        example = ", ".join(["x", *(p.example for p in required)])
        names = " and ".join(p.name for p in required)
        text += f"; {names} {'is' if len(required) == 1 else 'are'} required, e.g. {name}({example})"
    return text


def _count_text(least: int, most: int) -> str:
    """``1 argument``, ``at least 2 arguments``, ``2 to 3 arguments``."""
    if least == most:
        return f"{least} argument{'s' if least > 1 else ''}"
    return f"at least {least} arguments" if most >= MAX_ARGUMENTS else f"{least} to {most} arguments"


def _op_text(op: ast.operator) -> str:
    return {ast.Mod: "%", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<",
            ast.RShift: ">>", ast.MatMult: "@"}.get(type(op), type(op).__name__)


#: The comparisons a condition may use (``abs(L) > 0.05``).
COMPARISONS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def parse_condition(text: str, symbols: dict[str, sp.Symbol]) -> tuple[sp.Expr, str, sp.Expr]:
    """A condition ``left OP right`` (OP one of ``< <= > >=``), each side an expression of
    the grammar: (left, OP, right).

    Raises:
        ExpressionError: not one comparison of two expressions of the grammar.
    """
    source = checked_text(text, "the condition").replace("^", "**").strip()
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(printable(f"cannot parse '{' '.join(text.split())}' ({exc.msg})")) from None
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1 and type(tree.ops[0]) in COMPARISONS):
        raise ExpressionError(printable(f"'{text}' is not a condition: compare two expressions with "
                                        "<, <=, > or >= (for example abs(L) > 0.05)"))
    sides = [ast.get_source_segment(source, side) for side in (tree.left, tree.comparators[0])]
    left, right = (parse_expression(s.replace("**", "^"), symbols) for s in sides)
    return left, COMPARISONS[type(tree.ops[0])], right
