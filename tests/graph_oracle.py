"""An independent oracle for ``graph:`` problems, written without sympy or solver code.

Each node's expression string is read with Python's :mod:`ast` (``^`` means ``**``,
as in the problem files) and evaluated in mpmath at 60 significant digits; the
gradient of the output with respect to any input or parameter is a central finite
difference, also in mpmath. Besides the arithmetic, ``relu``, ``leaky_relu(x, slope)``,
``abs``, ``max``, ``min``, ``sigmoid``, ``tanh``, ``exp``, ``log``, ``sqrt`` and
``square``, it knows ``gelu(x)``, ``silu(x)`` (``swish(x)``), ``softplus(x)`` and
``elu(x)`` / ``elu(x, alpha)``, computed by :mod:`reference_ops`. While evaluating,
the oracle records how close the point is to a kink (the argument of relu /
leaky_relu / elu / abs, the difference of the arguments of max / min), so that a
caller can reject points where a derivative is not defined, and it raises
:class:`Reject` for values that leave a safe range (``exp`` of a large argument,
``log`` / ``sqrt`` of a non-positive number, division by something near zero).

Where a node's value is rational in the given numbers (no sigmoid, tanh, exp, log,
sqrt, gelu, silu, swish, softplus, nor elu of a non-positive number upstream), the
oracle also computes it exactly, in :class:`fractions.Fraction`, with forward-mode
dual numbers for the exact gradient: the solver promises exact values "while they
can" be exact, and this checks that promise.
"""

from __future__ import annotations

import ast
from fractions import Fraction

import mpmath
from mpmath import mp, mpf

from reference_ops import ACTIVATIONS as REF

DPS = 60
STEP = mpf("1e-20")  # central difference step: error ~ h^2 f''' + 10^-60 / h, far below 1e-25

# Bounds beyond which the oracle refuses a point rather than compare numbers that have
# lost their meaning (the caller turns Reject into hypothesis.assume(False)).
MAX_MAGNITUDE = mpf(10) ** 6
MAX_EXP_ARG = mpf(30)
MIN_DIVISOR = mpf("1e-6")


class Reject(Exception):
    """The point is unsuitable for comparison (overflow, a bad log / sqrt / division)."""


class NotRational(Exception):
    """The value involves a function whose result is not (in general) rational."""


def number(text) -> mpf:
    """A decimal or fraction, as written in a problem file, at the working precision."""
    f = Fraction(str(text).strip())
    with mp.workdps(DPS + 10):
        return mpf(f.numerator) / mpf(f.denominator)


def _sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


class _Evaluator:
    """Evaluates one parsed expression over ``env`` (name → mpf), tracking kinks."""

    def __init__(self, env: dict, kinks: list):
        self.env = env
        self.kinks = kinks

    def check(self, v):
        if not mpmath.isfinite(v) or abs(v) > MAX_MAGNITUDE:
            raise Reject(f"value out of range: {v}")
        return v

    def ev(self, node):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ValueError(f"not a number: {node.value!r}")
            return self.number_of(node)
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.UnaryOp):
            v = self.ev(node.operand)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
            raise ValueError(ast.dump(node))
        if isinstance(node, ast.BinOp):
            a, b = self.ev(node.left), self.ev(node.right)
            op = node.op
            if isinstance(op, ast.Add):
                return self.check(a + b)
            if isinstance(op, ast.Sub):
                return self.check(a - b)
            if isinstance(op, ast.Mult):
                return self.check(a * b)
            if isinstance(op, ast.Div):
                if abs(b) < MIN_DIVISOR:
                    raise Reject("division by (nearly) zero")
                return self.check(a / b)
            if isinstance(op, ast.Pow):
                if a < 0 and b != int(b):
                    raise Reject("negative base, fractional exponent")
                if a == 0 and b <= 0:
                    raise Reject("zero to a non-positive power")
                return self.check(a ** b)
            raise ValueError(ast.dump(node))
        if isinstance(node, ast.Call):
            name = node.func.id
            args = [self.ev(a) for a in node.args]
            if name == "relu":
                (x,) = args
                self.kinks.append(abs(x))
                return x if x > 0 else mpf(0)
            if name == "leaky_relu":
                x, slope = args
                self.kinks.append(abs(x))
                return x if x > 0 else slope * x
            if name == "abs":
                (x,) = args
                self.kinks.append(abs(x))
                return abs(x)
            if name in ("max", "min"):
                a, b = args
                self.kinks.append(abs(a - b))
                return (max if name == "max" else min)(a, b)
            if name == "sigmoid":
                return _sigmoid(args[0])
            if name == "tanh":
                return mpmath.tanh(args[0])
            if name == "exp":
                if args[0] > MAX_EXP_ARG:
                    raise Reject("exp of a large argument")
                return self.check(mpmath.exp(args[0]))
            if name == "log":
                if args[0] <= 0:
                    raise Reject("log of a non-positive number")
                return self.check(mpmath.log(args[0]))
            if name == "sqrt":
                if args[0] < 0:
                    raise Reject("sqrt of a negative number")
                return mpmath.sqrt(args[0])
            if name == "square":
                return self.check(args[0] ** 2)
            if name in ("gelu", "silu", "swish", "softplus"):
                (x,) = args
                return self.check(REF[name].value(x))
            if name == "elu":  # elu(x) or elu(x, alpha)
                x, alpha = (args[0], None) if len(args) == 1 else args
                self.kinks.append(abs(x))
                return self.check(REF["elu"].value(x, alpha=alpha))
            raise ValueError(f"unknown function {name}")
        raise ValueError(f"not allowed: {ast.dump(node)}")

    def number_of(self, node: ast.Constant):
        # Read the literal as written: 0.1 means 1/10 exactly.
        return number(_literal(node))


def _literal(node: ast.Constant) -> str:
    return getattr(node, "text", None) or repr(node.value)


class Dual:
    """An exact value with its derivative along one direction (forward mode)."""

    __slots__ = ("v", "d")

    def __init__(self, v, d=0):
        self.v, self.d = Fraction(v), Fraction(d)

    def __add__(self, o):
        return Dual(self.v + o.v, self.d + o.d)

    def __sub__(self, o):
        return Dual(self.v - o.v, self.d - o.d)

    def __mul__(self, o):
        return Dual(self.v * o.v, self.d * o.v + self.v * o.d)

    def __truediv__(self, o):
        if o.v == 0:
            raise Reject("division by zero")
        return Dual(self.v / o.v, (self.d * o.v - self.v * o.d) / (o.v * o.v))

    def __neg__(self):
        return Dual(-self.v, -self.d)

    def power(self, n: "Dual"):
        if n.d != 0 or n.v.denominator != 1:
            raise NotRational("a non-integer exponent")
        k = int(n.v)
        if self.v == 0 and k <= 0:
            raise Reject("zero to a non-positive power")
        if k == 0:
            return Dual(1, 0)
        return Dual(self.v ** k, k * self.v ** (k - 1) * self.d)


class _ExactEvaluator:
    """Evaluates an expression in exact rationals with one directional derivative;
    raises :class:`NotRational` for sigmoid, tanh, exp, log, sqrt, gelu, silu, swish,
    softplus, and elu of a non-positive number (its exp branch)."""

    def __init__(self, env: dict):
        self.env = env

    def ev(self, node) -> Dual:
        if isinstance(node, ast.Constant):
            return Dual(Fraction(_literal(node)))
        if isinstance(node, ast.Name):
            value = self.env[node.id]
            if value is None:
                raise NotRational(node.id)
            return value
        if isinstance(node, ast.UnaryOp):
            v = self.ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = self.ev(node.left), self.ev(node.right)
            op = node.op
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.Div):
                return a / b
            if isinstance(op, ast.Pow):
                return a.power(b)
            raise ValueError(ast.dump(node))
        if isinstance(node, ast.Call):
            name = node.func.id
            if name in ("sigmoid", "tanh", "exp", "log", "sqrt", "gelu", "silu", "swish", "softplus"):
                raise NotRational(name)
            args = [self.ev(a) for a in node.args]
            if name == "relu":
                (x,) = args
                return x if x.v > 0 else Dual(0, 0)
            if name == "leaky_relu":
                x, slope = args
                return x if x.v > 0 else slope * x
            if name == "abs":
                (x,) = args
                return x if x.v > 0 else -x
            if name == "max":
                a, b = args
                return a if a.v > b.v else b
            if name == "min":
                a, b = args
                return a if a.v < b.v else b
            if name == "square":
                return args[0] * args[0]
            if name == "elu":  # z for z > 0; α(eᶻ − 1) otherwise, not rational in general
                x = args[0]
                if x.v > 0:
                    return x
                raise NotRational("elu of a non-positive number")
            raise ValueError(f"unknown function {name}")
        raise ValueError(f"not allowed: {ast.dump(node)}")


def parse(text: str) -> ast.AST:
    """The expression's ast (``^`` read as ``**``); each number literal keeps its
    source text (``.text``) so that it is read exactly as written."""
    source = text.replace("^", "**").strip()
    tree = ast.parse(source, mode="eval").body
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            node.text = ast.get_source_segment(source, node)
    return tree


def _names(tree: ast.AST) -> set[str]:
    """The names an expression uses (not the functions it calls)."""
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}


class GraphOracle:
    """The values and gradients of a graph problem's ``graph`` mapping (plain data:
    ``inputs``, ``parameters``, ``nodes`` name → expression, ``output``)."""

    def __init__(self, graph: dict):
        raw = {**graph.get("inputs", {}), **graph.get("parameters", {})}
        # str() of a YAML float is its shortest repr, which is how it was written.
        self._leaf_fraction = {k: Fraction(str(v).strip()) for k, v in raw.items()}
        self.leaves = {k: number(v) for k, v in raw.items()}
        self.trees = {k: parse(v) for k, v in graph["nodes"].items()}
        self.output = graph["output"]
        self.deps = {k: sorted(_names(t) & set(self.trees)) for k, t in self.trees.items()}

    def evaluate(self, overrides: dict | None = None) -> tuple[dict, list]:
        """Every node's value (name → mpf) and the kink margins met on the way."""
        with mp.workdps(DPS):
            env = {k: +v for k, v in self.leaves.items()}
            env.update(overrides or {})
            kinks: list = []
            done: set = set()

            def visit(k, stack=()):
                if k in done:
                    return
                if k in stack:
                    raise ValueError(f"cycle through {k}")
                for d in self.deps[k]:
                    visit(d, stack + (k,))
                env[k] = _Evaluator(env, kinks).ev(self.trees[k])
                done.add(k)

            for k in self.trees:
                visit(k)
            return {k: env[k] for k in self.trees}, kinks

    def values(self) -> dict:
        return self.evaluate()[0]

    def min_kink_margin(self):
        kinks = self.evaluate()[1]
        return min(kinks) if kinks else mpf("inf")

    def gradient(self, name: str) -> mpf:
        """∂ output / ∂ name by a central difference at 60 digits."""
        with mp.workdps(DPS):
            x = self.leaves[name]
            up = self.evaluate({name: x + STEP})[0][self.output]
            down = self.evaluate({name: x - STEP})[0][self.output]
            return (up - down) / (2 * STEP)

    def gradients(self, names) -> dict:
        return {n: self.gradient(n) for n in names}

    # --- exact rationals, where the graph stays rational ------------------------------

    def _exact(self, wrt: str | None) -> dict:
        env: dict = {k: Dual(v, 1 if k == wrt else 0) for k, v in self._leaf_fraction.items()}
        done: set = set()

        def visit(k):
            if k in done:
                return
            for d in self.deps[k]:
                visit(d)
            try:
                env[k] = _ExactEvaluator(env).ev(self.trees[k])
            except NotRational:
                env[k] = None
            done.add(k)

        for k in self.trees:
            visit(k)
        return {k: env[k] for k in self.trees}

    def exact_values(self) -> dict:
        """Node → its exact value (a Fraction), or None where sigmoid, tanh, exp, log,
        sqrt, gelu, silu, swish, softplus or elu's exp branch enters (directly or
        upstream)."""
        return {k: (d.v if d is not None else None) for k, d in self._exact(None).items()}

    def exact_gradient(self, name: str):
        """∂ output / ∂ name as an exact Fraction (forward mode), or None when the
        output is not rational in the graph's values."""
        out = self._exact(name)[self.output]
        return out.d if out is not None else None
