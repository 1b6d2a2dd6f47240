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

Between runs, a :class:`Store` that the caller installs (:func:`use_store`; the command line
installs :mod:`solver.files.derivative_store`'s) keeps the canonical derivatives, encoded
node for node by :mod:`.shape_codec`, under the hash of the canonical term and symbol: a
later run of the same shapes decodes them instead of differentiating again.
"""

from __future__ import annotations

import hashlib
import json
from functools import cmp_to_key, lru_cache
from typing import Protocol

import sympy as sp

from .shape_codec import decode, encode, within_limits


class Store(Protocol):
    """Derivatives kept between runs: encoded derivatives (JSON text) by key (a hex digest)."""

    def get(self, key: str) -> str | None:
        """The text kept under ``key``, or ``None``."""

    def put(self, key: str, text: str) -> None:
        """Keep ``text`` under ``key``."""


_store: Store | None = None


def use_store(store: Store | None) -> Store | None:
    """Install ``store`` (``None``: keep nothing between runs); returns the one it replaces."""
    global _store
    before, _store = _store, store
    return before


def derivative(term: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """∂term/∂symbol, as ``sympy.diff(term, symbol)`` gives it.

    Args:
        term: a sympy expression of plain ``Symbol``s (any other kind of free symbol,
            e.g. a ``Dummy``, and it is differentiated as it is, uncached).
        symbol: one of the term's symbols.
    """
    symbols, names, code, written = _encoded(term)
    if symbol not in symbols:
        return sp.Integer(0)
    if names is None:
        return sp.diff(term, symbol)
    if code is None:  # a node the codec does not write: renamed as a tree
        return _by_renaming(term, symbol, list(names))
    back = {n: s for s, n in names.items()}
    text = f"[{written},{_compact(names[symbol])}]"  # _compact([code, names[symbol]])
    found = _known.get(text)
    if found is None and _store is not None:
        found = _kept(text)
    result = None if found is None else _named_back(found, back)
    if result is None:  # not known, or a damaged entry: sympy's, kept
        found = _differentiated(code, names[symbol], text)
        result = _named_back(found, back)
    if len(_known) >= _KNOW_AT_MOST:
        _known.clear()
    _known[text] = found
    return result


@lru_cache(maxsize=1024)
def _encoded(term: sp.Expr) -> tuple[frozenset, dict | None, list | None, str | None]:
    """A term's free symbols, its canonical names (``{Symbol: name}`` in sympy's order of
    the symbols; ``None`` when a symbol is not a plain ``Symbol``), its code under those names
    (``None`` where the codec does not write a node) and that code as compact JSON: once per
    term, which a tensor graph differentiates by many of its symbols (masked attention: 198
    derivatives of 18 terms)."""
    symbols = term.free_symbols
    if any(type(s) is not sp.Symbol for s in symbols):
        return symbols, None, None, None
    names = {s: f"_s{i:06d}" for i, s in enumerate(sorted(symbols, key=_ORDER))}
    code = encode(term, names)
    return symbols, names, code, None if code is None else _compact(code)


_ORDER = cmp_to_key(lambda a, b: a.compare(b))
_KNOW_AT_MOST = 4096
#: The canonical derivatives worked out in this process: encoded (:mod:`.shape_codec`),
#: or the sympy tree where the codec does not write one of its nodes; by canonical term.
_known: dict[str, list | sp.Expr] = {}


def _kept(text: str) -> list | None:
    """The derivative the store keeps for the canonical term ``text``, undecoded: ``None``
    unless the entry is whole (``{"key":…,"sum":…,"code":…}`` as written: the key it was
    written under and the hash of its code's text, so that an entry copied under another
    name, or changed on disk, is made again; the hash is checked on the text as read, before
    the code is parsed)."""
    key = _key(text)
    kept = _store.get(key)
    head = f'{{"key":"{key}","sum":"'  # as _differentiated writes an entry: compact JSON, in this order
    if kept is None or not kept.startswith(head) or kept[len(head) + 64:len(head) + 73] != '","code":' \
            or not kept.endswith("}"):
        return None
    written = kept[len(head) + 73:-1]  # the code's text, whose hash the entry's sum is
    if kept[len(head):len(head) + 64] != _key(written):
        return None
    try:
        code = json.loads(written)
    except (ValueError, RecursionError):  # not JSON
        return None
    return code if within_limits(code) else None


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _compact(data) -> str:
    return _COMPACT.encode(data)


#: ``json.dumps(data, separators=(",", ":"))``'s encoder, made once (dumps makes one a call).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _differentiated(code: list, by: str, text: str) -> list | sp.Expr:
    """sympy's derivative of the canonical term ``code`` by the canonical symbol ``by``:
    encoded (and kept in the store), or the canonical tree where the codec does not write it."""
    shape = decode(code, checked=True)
    symbol = next(s for s in shape.free_symbols if s.name == by)
    result = sp.diff(shape, symbol)
    found = encode(result)
    if found is None:
        return result
    if _store is not None:
        key = _key(text)
        written = _compact(found)  # the entry's text, as _kept reads it
        _store.put(key, f'{{"key":"{key}","sum":"{_key(written)}","code":{written}}}')
    return found


def _named_back(found: list | sp.Expr, back: dict[str, sp.Symbol]) -> sp.Expr | None:
    """A canonical derivative in the term's own symbols (``None``: ``found`` does not decode,
    or names a symbol the term does not have)."""
    if isinstance(found, list):  # this process's encoding, or an entry read and checked
        return decode(found, back, checked=True)
    return renamed(found, {s: back[s.name] for s in found.free_symbols}, {})


def _by_renaming(term: sp.Expr, symbol: sp.Symbol, ordered: list) -> sp.Expr:
    """∂term/∂symbol through the canonical term built by renaming, for a term the codec
    does not write (its derivatives kept in this process only)."""
    canonical = [_canonical(i, tuple(sorted(s.assumptions0.items()))) for i, s in enumerate(ordered)]
    there = dict(zip(ordered, canonical))
    result = _shape_derivative(renamed(term, there, {}), there[symbol])
    return renamed(result, dict(zip(canonical, ordered)), {})


@lru_cache(maxsize=4096)
def _canonical(index: int, assumptions: tuple) -> sp.Symbol:
    """The ``index``-th canonical symbol with these assumptions (the names sort as the
    indices do: zero-padded)."""
    return sp.Symbol(f"_s{index:06d}", **dict(assumptions))


@lru_cache(maxsize=4096)
def _shape_derivative(shape: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """sympy's derivative of a canonical term the codec does not write: once per shape in a
    process (the keys of one network's variants, other numbers, the same shapes)."""
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
