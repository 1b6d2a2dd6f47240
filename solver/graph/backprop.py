"""Forward values and reverse-mode accumulation of gradients on a :class:`Graph`.

Reverse accumulation (e.g. Baydin et al., *Automatic Differentiation in Machine
Learning: a Survey*, JMLR 2018, §3.2): visiting nodes from the loss back,
``∂L/∂n = Σ_{c ∈ children(n)} ∂L/∂c · ∂c/∂n``. Each local derivative ∂c/∂n is
derived once by sympy from c's expression, so the cost is linear in the number of
edges, and every upstream term is computed once and reused.
"""

from __future__ import annotations

import operator
from functools import lru_cache
from typing import NamedTuple

import msgspec
import sympy as sp

from ..core.numbers import normalize
from .exact_sums import NUMBERS, exact_product, exact_sum, in_order
from .model import Graph, plain_sum
from .residues import Recheck, cancelled
from .shapes import derivative, renamed


class Local(NamedTuple):
    """The local derivative ∂child/∂parent: its formula (in the graph's symbols) and value
    (a named tuple: 22,000 of them at 10k parameters)."""

    child: str
    parent: str
    formula: sp.Expr
    value: sp.Expr


class Gradients(msgspec.Struct, frozen=True):
    """Values and adjoints of a graph.

    Attributes:
        values: every node's value (exact ``Rational`` or 50-digit ``Float``).
        adjoint: ∂L/∂n for every node from which the loss is reached.
        local: the local derivatives along every edge into the loss's ancestry,
            keyed by (child, parent).
    """

    values: dict[str, sp.Expr]
    adjoint: dict[str, sp.Expr]
    local: dict[tuple[str, str], Local]


def forward(graph: Graph, overrides: dict[str, sp.Expr] | None = None) -> dict[str, sp.Expr]:
    """Every node's value, in graph order; a node of ``overrides`` takes that value instead
    of its own, and its children are computed from it (a student's wrong value, carried forward).

    Raises:
        ValueError: when a value is not a finite real number (log of a non-positive
            number, overflow).
    """
    overrides = overrides or {}
    values: dict[str, sp.Expr] = {}
    for n in graph.nodes:
        if n.key in overrides:
            values[n.key] = overrides[n.key]
        elif n.is_leaf:
            values[n.key] = n.value
        else:
            try:
                values[n.key] = evaluate(n.expr, values)
            except ValueError as exc:  # which node: the instructor's expression to look at
                raise NodeValueError(n.key, str(exc)) from None
    return values


class NodeValueError(ValueError):
    """A value (or a local derivative) of node ``node`` that is not a finite real number;
    ``detail`` says what, without the node's name."""

    def __init__(self, node: str, detail: str):
        super().__init__(f"{node}: {detail}")
        self.node, self.detail = node, detail


def evaluate(expr: sp.Expr, values: dict[str, sp.Expr], memo: dict | None = None) -> sp.Expr:
    """The value of ``expr`` (in the graph's symbols) at ``values``, computed bottom-up
    so that every intermediate is exact where it can be and checked for size (an
    ``exp(exp(exp(10)))`` stops at its inner overflow instead of running for ever).

    Args:
        memo: where given, the values of the functions and powers in ``expr`` already
            computed at these ``values`` (filled in here): a value is a function of the
            expression and ``values`` alone, so a softmax that appears in many local
            derivatives is computed once. Looked up by the node's identity first (as
            ``id(node)``, with the node kept beside its value), then, for a function or a
            power, by its form: a masked softmax built twice (in the graph and in a
            derivative) would otherwise be compared argument by argument at each of its
            hundreds of lookups. A sum or product is kept by identity only: the decoded
            derivatives share theirs (:mod:`.shape_codec`), and hashing a large sum to find
            it by its form costs more than adding it up again.

    Raises:
        ValueError: a value that is not finite or exceeds 1e300 in magnitude.
    """
    if expr.is_Symbol:
        return values[expr.name]
    if expr.is_Number:
        return normalize(expr)
    if memo is None:
        return _evaluate(expr, values, memo)
    seen = memo.get(id(expr))
    if seen is not None and seen[0] is expr:
        return seen[1]
    if expr.is_Function or expr.is_Pow:
        value = memo.get(expr)
        if value is None:
            value = memo[expr] = _evaluate(expr, values, memo)
    else:  # a sum or product: by identity only (a shared node of the decoded derivatives)
        value = _evaluate(expr, values, memo)
    memo[id(expr)] = (expr, value)
    return value


def _evaluate(expr: sp.Expr, values: dict[str, sp.Expr], memo: dict | None) -> sp.Expr:
    if isinstance(expr, sp.Piecewise):  # the first piece whose condition holds, decided exactly
        for piece, condition in expr.args:
            if _holds(condition, values):
                return evaluate(piece, values, memo)
        raise ValueError(f"no piece of {expr} applies")
    args = [evaluate(a, values, memo) for a in expr.args]
    if expr.is_Add or expr.is_Mul:
        if all(isinstance(a, sp.Rational) for a in args):
            return normalize(exact_sum(args) if expr.is_Add else exact_product(args))
        if all(isinstance(a, NUMBERS) for a in args):  # Add/Mul of numbers: their numbers, in order
            return normalize(in_order(args, operator.add, sp.S.Zero) if expr.is_Add
                             else in_order(args, operator.mul, sp.S.One))
    return normalize(expr.func(*args))


def _holds(condition, values: dict[str, sp.Expr]) -> bool:
    """Whether a condition of a ``Piecewise`` holds at ``values`` (comparisons of exact
    values; ``And``, ``Or``, ``Not`` of them)."""
    if condition in (sp.true, sp.false):
        return bool(condition)
    if isinstance(condition, sp.core.relational.Relational):
        return bool(condition.func(evaluate(condition.lhs, values), evaluate(condition.rhs, values)))
    return bool(condition.func(*[sp.true if _holds(c, values) else sp.false for c in condition.args]))


def _evaluated(expr: sp.Expr) -> sp.Expr:
    if expr.is_Atom:
        return expr
    return expr.func(*[_evaluated(a) for a in expr.args])


def _powers_evaluated(expr: sp.Expr) -> sp.Expr:
    """``expr`` with its powers rebuilt with evaluation. Expressions are built
    unevaluated to print as written, but sympy differentiates an unevaluated power by
    dividing by its base (d/dx (x/2)^2 = 2 (x^2/4)/x), undefined at 0."""
    powers = {p: _evaluated(p) for p in sp.preorder_traversal(expr) if p.is_Pow}
    return expr.xreplace(powers) if powers else expr


def _terms_by_symbol(expr: sp.Expr) -> dict:
    """For a sum, each symbol's terms (a neuron's ``w_j x_j`` each hold two symbols),
    so that ∂/∂s differentiates only the terms holding s: linear in the fan-in,
    where differentiating the whole sum for every parent would be quadratic."""
    if not expr.is_Add:
        return {s: [expr] for s in expr.free_symbols}
    out: dict = {}
    for term in expr.args:
        for s in term.free_symbols:
            out.setdefault(s, []).append(term)
    return out


def _split(expr: sp.Expr) -> dict:
    """:func:`_terms_by_symbol` of ``expr`` with its powers evaluated; a neuron's sum of
    symbols and products of symbols (no power in it) is split by reading its terms' factors."""
    if plain_sum(expr):
        out: dict = {}
        for term in expr.args:
            for s in (term,) if type(term) is sp.Symbol else dict.fromkeys(term.args):
                out.setdefault(s, []).append(term)
        return out
    return _terms_by_symbol(_powers_evaluated(expr))


def _derivative(terms: dict, symbol: sp.Symbol) -> sp.Expr:
    parts = [_product_rule(t, symbol) for t in terms.get(symbol, ())]
    return parts[0] if len(parts) == 1 else sp.Add(*parts)


def _product_rule(term: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """∂term/∂symbol: for the symbol itself 1, for a product holding it once as a plain
    factor the product of the other factors (what sympy's diff gives, without its general
    machinery: a convolution's or a matrix product's terms ``w x`` are most of a tensor
    graph's edges); anything else by sympy."""
    if type(term) is sp.Mul and len(term.args) == 2 and type(symbol) is sp.Symbol:  # w x: most edges
        a, b = term.args
        if type(a) is sp.Symbol and type(b) is sp.Symbol and a.name != b.name:  # two distinct symbols
            if a.name == symbol.name and a == symbol:
                return b
            if b.name == symbol.name and b == symbol:
                return a
    if term == symbol:
        return sp.Integer(1)
    if term.is_Mul:
        others = [f for f in term.args if f != symbol]
        if len(others) == len(term.args) - 1 and not any(symbol in f.free_symbols for f in others):
            return others[0] if len(others) == 1 else sp.Mul(*others)  # Mul(x) is x
    if isinstance(term, sp.Function) and term.args and term.args[0] == symbol \
            and all(a.is_Number for a in term.args[1:]) and symbol.assumptions0 == _ARG.assumptions0:
        # renamed, not xreplace: the formula is already as sympy builds it, and evaluating it again
        # (flattening its sums and products) builds the same tree
        return renamed(_function_derivative(term.func, term.args[1:]), {_ARG: symbol}, {})
    return _diff(term, symbol)


@lru_cache(maxsize=4096)
def _diff(term: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """sympy's derivative, once per shape of term (:mod:`.shapes`): a tensor graph repeats
    one formula in other symbols. Kept by term too: a formula does not depend on the values,
    so the keys of one network's variants (one process, other numbers) find it at once."""
    return derivative(term, symbol)


#: The argument of an activation whose derivative is worked out once (real, as a graph's symbols).
_ARG = sp.Symbol("_arg", real=True)


@lru_cache(maxsize=256)
def _function_derivative(func, numbers: tuple) -> sp.Expr:
    """d/du f(u, numbers…), by sympy, once per function and numbers (a sigmoid's costs 3 ms,
    192 times in a 10k network). In a formula of one symbol, a Mul's or Add's order of
    arguments does not depend on the symbol's name, so replacing ``u`` by a neuron's symbol
    gives what differentiating at that symbol gives. Through :func:`.shapes.derivative`, so
    that it is kept between runs too."""
    return derivative(func(_ARG, *numbers), _ARG)


def child_derivatives(graph: Graph, node, terms: dict):
    """(child, ∂child/∂node as a formula) for every child of ``node`` that reaches the loss;
    ``terms`` keeps each child's expression split by symbol, shared across one sweep."""
    for c in graph.children[node.key]:
        if c not in graph.relevant:
            continue
        if c not in terms:
            terms[c] = _split(graph.by_key[c].expr)
        yield c, _derivative(terms[c], node.symbol)


def backward(graph: Graph, values: dict[str, sp.Expr]) -> Gradients:
    """Reverse accumulation from the loss node.

    Raises:
        ValueError: when the graph has no loss.
    """
    if graph.loss is None:
        raise ValueError("the graph has no loss to differentiate")
    relevant = graph.relevant
    adjoint: dict[str, sp.Expr] = {graph.loss: sp.Integer(1)}
    local: dict[tuple[str, str], Local] = {}
    terms: dict[str, dict] = {}  # per child: symbol → the terms of its expression that hold it
    memo: dict = {}  # values of the functions in the local derivatives (see evaluate)
    recheck = None  # exact adjoints, made where a float sum cancels (see residues)
    for n in reversed(graph.nodes):
        if n.key not in relevant or n.key == graph.loss:
            continue
        products = []
        for c, formula in child_derivatives(graph, n, terms):
            try:
                value = evaluate(formula, values, memo)
            except ValueError as exc:
                raise NodeValueError(c, f"its derivative with respect to {n.key}: {exc}") from None
            local[(c, n.key)] = Local(c, n.key, formula, value)
            products.append((adjoint[c], value))
        total = adjoint[n.key] = normalize(_accumulated(products))
        if cancelled(total, products):
            recheck = recheck or Recheck(graph, local)
            adjoint[n.key] = recheck.adjoint(n.key, total)
    return Gradients(values, adjoint, local)


def _accumulated(products: list) -> sp.Expr:
    """Σ upstream · local, added in order; in integers when every factor is exact (the
    same ``Rational``), else by sympy (a ``Float``'s rounding depends on the order)."""
    if len(products) == 1 and isinstance(products[0][0], sp.Rational) and isinstance(products[0][1], sp.Rational):
        return exact_product(products[0])  # a weight's one product: the sum of one number is itself
    if all(isinstance(a, sp.Rational) and isinstance(b, sp.Rational) for a, b in products):
        return exact_sum([exact_product(pair) for pair in products])
    if len(products) == 1:  # 0 + x is x for a nonzero Float x: the same value and precision
        product = products[0][0] * products[0][1]
        if type(product) is sp.Float and product._mpf_[1]:
            return product
    total = sp.Integer(0)
    for a, b in products:
        total += a * b
    return total
