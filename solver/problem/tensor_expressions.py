"""The expression grammar of tensor graph problems, read with :mod:`ast` and never
evaluated.

Beyond the scalar grammar (:mod:`.expressions`): ``@`` (matrix product), elementwise
``+ - * /`` with broadcasting, ``^`` with a number exponent, and the functions of
:mod:`solver.ops.tensor` (``conv2d(X, K, b, stride=1, padding=1)``, ``sum(A, axis=0)``,
``reshape(A, [2, 3])``, ``max(A, B)`` …). Keyword arguments take literal values only: a
whole number, a negative one for an axis, a list of whole numbers for a shape.

The result is a tree (:class:`Ref`, :class:`Const`, :class:`Apply`) that the graph stage
applies to tensors of symbols.
"""


import ast

import msgspec
import sympy as sp

from ..core.numbers import parse_number
from ..ops.activations import ACTIVATIONS
from ..ops.tensor import (
    EXTREMA,
    NAMED,
    OPERATORS,
    TensorOp,
    elementwise_function,
    function_names,
)
from ..ops.tensor.linalg import superscriptable
from .expressions import MAX_DEPTH, ExpressionError, activation_arity, checked_text
from .fields import printable, written

#: Function names that only tensor expressions have: a graph using one is a tensor graph.
TENSOR_ONLY = frozenset(NAMED)


class Ref(msgspec.Struct, frozen=True):
    """A name of the graph (an input, a parameter, a node)."""

    name: str


class Const(msgspec.Struct, frozen=True):
    """A number written in the expression (exact)."""

    value: sp.Expr


class Apply(msgspec.Struct, frozen=True):
    """An operation applied to arguments, with its keyword arguments' values."""

    op: TensorOp
    args: tuple
    kw: tuple[tuple[str, object], ...] = ()

    @property
    def kwargs(self) -> dict:
        return dict(self.kw)


def parse_tensor_expression(text: str, names: set[str]):
    """Parse ``text`` into a tree over ``names``.

    Raises:
        ExpressionError: syntax outside the grammar, an unknown function or name, a wrong
            number of arguments, a keyword the function does not take or a value it does
            not accept; its message on one line.
    """
    source = checked_text(text).replace("^", "**").strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(printable(f"cannot parse '{' '.join(text.split())}' ({exc.msg})")) from None
    try:
        return _Reader(source, names).read(tree.body, 0)
    except ExpressionError as exc:
        raise ExpressionError(printable(exc)) from None


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@"}


class _Reader:
    def __init__(self, source: str, names: set[str]):
        self.source, self.names = source, names

    def read(self, node: ast.AST, depth: int):
        if depth > MAX_DEPTH:
            raise ExpressionError("the expression is nested too deeply")
        d = depth + 1
        if isinstance(node, ast.Constant):
            return Const(self.number(node))
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise ExpressionError(f"unknown name '{node.id}'")
            return Ref(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.read(node.operand, d)
            if isinstance(node.op, ast.UAdd):
                return inner
            return Const(-inner.value) if isinstance(inner, Const) else Apply(OPERATORS["neg"], (inner,))
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                base, exponent = self.read(node.left, d), self.read(node.right, d)
                if not isinstance(exponent, Const) or not exponent.value.is_Integer or not 1 <= exponent.value <= 64:
                    raise ExpressionError("an exponent must be a whole number from 1 to 64")
                return Apply(_power(int(exponent.value)), (base,))
            symbol = _BINARY.get(type(node.op))
            if symbol is None:
                raise ExpressionError(f"the operator '{ast.unparse(node)}' is not allowed (use + - * / @ ^)")
            return Apply(OPERATORS[symbol], (self.read(node.left, d), self.read(node.right, d)))
        if isinstance(node, ast.Call):
            return self.call(node, d)
        raise ExpressionError(f"'{ast.unparse(node)}' is not allowed (only numbers, names, + - * / @ ^ "
                              "and the listed functions)")

    def number(self, node: ast.Constant) -> sp.Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"{node.value!r} is not allowed here (only numbers and names)")
        try:
            return parse_number(ast.get_source_segment(self.source, node) or repr(node.value))
        except ValueError as exc:
            raise ExpressionError(str(exc)) from None

    def call(self, node: ast.Call, depth: int):
        known = function_names()
        if not isinstance(node.func, ast.Name) or node.func.id not in known:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExpressionError(f"unknown function '{name}' (known: {', '.join(sorted(known))})")
        name = node.func.id
        if name in EXTREMA:
            op = EXTREMA[name][0] if len(node.args) == 1 else EXTREMA[name][1]
        elif name in NAMED:
            op = NAMED[name]
        else:
            return self.function(node, depth)
        args = tuple(self.read(a, depth) for a in node.args)
        for kw in node.keywords:  # a positional argument passed by its name (mask=M), in its place
            if kw.arg in op.arg_names:
                at = op.arg_names.index(kw.arg)
                if at != len(args):
                    raise ExpressionError(f"{name}(): '{kw.arg}' is given twice" if at < len(args) else
                                          f"{name}(): '{kw.arg}=' comes after {at} arguments; give them first")
                args += (self.read(kw.value, depth),)
        least, most = op.arity
        if len(args) < least or (most is not None and len(args) > most):
            raise ExpressionError(f"{name}() takes {op.arity_text()}")
        return Apply(op, args, self.keywords(node, op))

    def keywords(self, node: ast.Call, op: TensorOp) -> tuple:
        given = {}
        allowed = {k.name: k for k in op.keywords}
        for kw in node.keywords:
            if kw.arg in op.arg_names:
                continue  # an argument, read by call()
            if kw.arg not in allowed:
                takes = ", ".join(allowed) or "none"
                raise ExpressionError(f"{node.func.id}() has no keyword '{kw.arg}' (it takes: {takes})")
            given[kw.arg] = self.literal(kw.value, allowed[kw.arg], node.func.id)
        return tuple((k.name, given.get(k.name, k.default)) for k in op.keywords)

    def literal(self, value: ast.AST, spec, fn: str):
        where = f"{fn}({spec.name}=…)"
        if spec.kind == "number":  # a decimal, read exactly from its text (1e-5 is 1/100000)
            number = self.read(value, 0)
            if not isinstance(number, Const):
                raise ExpressionError(f"{where}: the value must be written as a number")
            return number.value
        try:
            literal = ast.literal_eval(value)  # literals only: numbers, lists; never a name or a call
        except ValueError:
            raise ExpressionError(f"{where}: the value must be written as a number or a list of numbers") from None
        if spec.kind == "shape":
            if not isinstance(literal, list) or not literal or not all(
                    isinstance(n, int) and not isinstance(n, bool) and (n >= 1 or n == -1) for n in literal):
                raise ExpressionError(f"{where}: a shape is a list of whole numbers (one may be -1)")
            return tuple(literal)
        if not isinstance(literal, int) or isinstance(literal, bool):
            raise ExpressionError(f"{where}: expected a whole number, got {ast.unparse(value)}")
        if spec.kind == "axis":
            return literal
        if literal < spec.least or literal > 64:
            raise ExpressionError(f"{where}: must be a whole number from {spec.least} to 64")
        return literal

    def function(self, node: ast.Call, depth: int) -> Apply:
        """An elementwise function; an activation's parameters are numbers after the argument."""
        name = node.func.id
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments")
        act = ACTIVATIONS.get(name)
        params = act.params if act is not None else ()
        least = 1 + sum(p.required for p in params)
        if not least <= len(node.args) <= 1 + len(params):
            raise ExpressionError(activation_arity(name, params, len(node.args)))
        values = {}
        for p, arg in zip(params, node.args[1:]):
            value = self.read(arg, depth)
            if not isinstance(value, Const):
                raise ExpressionError(f"{name}(x, {p.name}): the {p.name} must be a number")
            if not p.allows(value.value):
                raise ExpressionError(f"{name}(x, {p.name}): the {p.name} {p.range_text()} "
                                      f"(got {written(value.value)})")
            values[p.name] = value.value
        for p in params[len(node.args) - 1:]:
            values[p.name] = p.default
        return Apply(elementwise_function(name, values), (self.read(node.args[0], depth),))


def _power(n: int) -> TensorOp:
    """``A^n``, elementwise."""
    return TensorOp(f"pow{n}", (1, 1), lambda args, kw: args[0].map(lambda x: sp.Pow(x, n, evaluate=False)),
                    lambda a, kw: f"{superscriptable(a[0])}^{{{n}}}")


def uses_tensor_functions(text: str) -> bool:
    """Whether ``text`` calls a function only tensor expressions have, or uses ``@`` or a
    keyword argument (read from its syntax, without evaluating it)."""
    try:
        tree = ast.parse(checked_text(text).replace("^", "**"), mode="eval")
    except (SyntaxError, ExpressionError):  # the expression's own parse says why
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (node.keywords or (isinstance(node.func, ast.Name)
                                                             and node.func.id in TENSOR_ONLY)):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return True
    return False
