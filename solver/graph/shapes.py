"""sympy's derivative of a term, worked out once per *shape* of term.

A tensor graph repeats one formula many times over in other symbols: the masked
attention of a 3×3 score matrix differentiates ``V[j,k]·MaskedSoftmax(row i)`` by each
``Q[i,·]``, ``K[·,·]`` and ``M[i,·]`` for every row ``i`` and every ``V``, 198 derivatives
of 33 shapes, each costing sympy 2–20 ms. Here a term's symbols are renamed to
``_s0, _s1, …`` in sympy's own order of them (:meth:`sympy.core.basic.Basic.compare`),
with their assumptions kept; the derivative of that canonical term is cached, and named
back. The renaming keeps each symbol's place in sympy's ordering of the arguments of a
sum or product, and its assumptions, so sympy takes the same steps on the canonical term
as on the term itself; both renamings rebuild the tree without evaluating it again,
argument for argument, so the derivative named back is, node for node, the one
``sympy.diff`` gives (``tests/test_shapes.py`` checks this on every bundled problem's
graph and on generated ones).
"""

from __future__ import annotations

from functools import cmp_to_key, lru_cache

import sympy as sp


def derivative(term: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """∂term/∂symbol, as ``sympy.diff(term, symbol)`` gives it.

    Args:
        term: a sympy expression of plain ``Symbol``s (any other kind of free symbol,
            e.g. a ``Dummy``, and it is differentiated as it is, uncached).
        symbol: one of the term's symbols.
    """
    symbols = term.free_symbols
    if symbol not in symbols:
        return sp.Integer(0)
    if any(type(s) is not sp.Symbol for s in symbols):
        return sp.diff(term, symbol)
    ordered = sorted(symbols, key=_ORDER)
    canonical = [_canonical(i, tuple(sorted(s.assumptions0.items()))) for i, s in enumerate(ordered)]
    there = dict(zip(ordered, canonical))
    shape = renamed(term, there, {})
    result = _shape_derivative(shape, there[symbol])
    return renamed(result, dict(zip(canonical, ordered)), {})


_ORDER = cmp_to_key(lambda a, b: a.compare(b))


@lru_cache(maxsize=4096)
def _canonical(index: int, assumptions: tuple) -> sp.Symbol:
    """The ``index``-th canonical symbol with these assumptions (the names sort as the
    indices do: zero-padded)."""
    return sp.Symbol(f"_s{index:06d}", **dict(assumptions))


@lru_cache(maxsize=4096)
def _shape_derivative(shape: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """sympy's derivative of a canonical term: once per shape in a process (the keys of
    one network's variants, other numbers, the same shapes)."""
    return sp.diff(shape, symbol)


def renamed(expr: sp.Basic, mapping: dict, done: dict) -> sp.Basic:
    """``expr`` with its symbols renamed by ``mapping``, every node rebuilt from its
    renamed arguments in their order without evaluating (``done``: the nodes already
    renamed, by ``id``, which ``expr`` keeps alive)."""
    if not expr.args:
        return mapping.get(expr, expr)
    out = done.get(id(expr))  # by identity: a shared subexpression is one object, and hashing
    if out is None:           # a large expression to find it again costs more than renaming it
        args = tuple(renamed(a, mapping, done) for a in expr.args)
        out = _rebuilt(expr, args)
        done[id(expr)] = out
    return out


def _rebuilt(expr: sp.Basic, args: tuple) -> sp.Basic:
    if isinstance(expr, (sp.Add, sp.Mul)):
        return expr.func._from_args(args, expr.is_commutative)
    if isinstance(expr, (sp.Pow, sp.Function)):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)
