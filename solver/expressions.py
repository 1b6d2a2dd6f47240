"""A small, whitelisted expression language for computational-graph problems.

Grammar (a subset of Python's expression syntax, read with :mod:`ast` and never
evaluated): numbers, names, ``+ - * / ^`` (``^`` and ``**`` are powers), parentheses,
unary minus, and the functions

    relu(x)  leaky_relu(x, slope)  sigmoid(x)  tanh(x)  exp(x)  log(x)
    abs(x)   max(a, b)  min(a, b)  square(x)  sqrt(x)

Anything else (attributes, subscripts, keywords, strings, lambdas, comparisons,
unknown functions or names) is rejected with :class:`ExpressionError`. Numbers are
read exactly from their source text (``0.1`` is 1/10). The result is a sympy
expression built unevaluated, so the key prints it as written.
"""

from __future__ import annotations

import ast
from typing import Callable

import sympy as sp

from .activations import LeakyReLU, ReLU, Sigmoid
from .numbers import parse_number

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_EXPONENT = 64


class ExpressionError(ValueError):
    """An expression outside the whitelisted grammar, or naming something unknown."""


FUNCTIONS: dict[str, tuple[int, Callable[..., sp.Expr]]] = {
    "relu": (1, lambda x: ReLU(x)),
    "sigmoid": (1, lambda x: Sigmoid(x)),
    "tanh": (1, lambda x: sp.tanh(x, evaluate=False)),
    "exp": (1, lambda x: sp.exp(x, evaluate=False)),
    "log": (1, lambda x: sp.log(x, evaluate=False)),
    "abs": (1, lambda x: sp.Abs(x, evaluate=False)),
    "square": (1, lambda x: sp.Pow(x, 2, evaluate=False)),
    "sqrt": (1, lambda x: sp.Pow(x, sp.Rational(1, 2), evaluate=False)),
    "max": (2, lambda a, b: sp.Max(a, b, evaluate=False)),
    "min": (2, lambda a, b: sp.Min(a, b, evaluate=False)),
    "leaky_relu": (2, None),  # handled apart: its slope must be a number
}


def parse_expression(text: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """Parse ``text`` into a sympy expression over ``symbols``.

    Args:
        text: the expression as written in the problem file.
        symbols: the names it may use, and their symbols.

    Returns:
        An unevaluated sympy expression.

    Raises:
        ExpressionError: for syntax outside the grammar, an unknown function or
            name, a wrong number of arguments, or an over-long expression.
    """
    if not isinstance(text, str):
        raise ExpressionError("an expression must be a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    source = text.replace("^", "**")
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
            count, make = FUNCTIONS[node.func.id]
            if len(node.args) != count:
                raise ExpressionError(f"{node.func.id}() takes {count} argument{'s' if count > 1 else ''}")
            args = [self.build(a, d) for a in node.args]
            if node.func.id == "leaky_relu":
                if not args[1].is_Number:
                    raise ExpressionError("leaky_relu(x, slope): the slope must be a number")
                return LeakyReLU(args[0], args[1])
            return make(*args)
        raise ExpressionError(f"'{ast.unparse(node)}' is not allowed (only numbers, names, + - * / ^ "
                              "and the listed functions)")


def _op_text(op: ast.operator) -> str:
    return {ast.Mod: "%", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<",
            ast.RShift: ">>", ast.MatMult: "@"}.get(type(op), type(op).__name__)
