"""A sympy expression as JSON-able data and back, node for node, for the derivatives of
shapes kept between runs (:mod:`solver.graph.shapes`, :mod:`solver.files.derivative_store`).

An expression is a list of nodes in post-order, each child before its parent and the root
last; a subexpression shared in the tree is one node. A node is a list:

==================================  ======================================================
``["s", name, {assumption: bool}]``  a plain ``Symbol`` with its ``assumptions0``
``["q", p, q]``                      a rational number ``p/q`` (an integer when ``q`` is 1)
``["c", name]``                      the constant ``E`` or ``pi``
``["+", i, …]``, ``["*", i, …]``    a sum, a product: its terms as stored, by node index
``["^", i, j]``                      a power
``["f", "module:Class", i, …]``     a function of sympy's (``sympy.functions``) or of
                                     nnsolve's operations (``solver.ops``)
==================================  ======================================================

Decoding builds every node from its decoded arguments in their stored order without
evaluating it (as :func:`solver.graph.shapes.renamed` does), so the tree decoded is the tree
encoded, not merely an equal one; a function class is looked up among the modules already
imported, never imported, and must be a ``sympy.Function``. Nothing is evaluated from text:
the data names only the node kinds above. An expression with any other kind of node (a
float, a ``Dummy``, an unevaluated ``Derivative``, a relation…) is not encoded (``None``).
"""

from __future__ import annotations

import sys
from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef

from ..ops.functions import OpFunctionBase

#: The modules whose functions may be named: sympy's own functions and nnsolve's operations.
_MODULES = ("sympy.functions.", "solver.ops.")
_CONSTANTS = {"E": sp.E, "pi": sp.pi}
#: The most nodes, the deepest nesting, the largest tree (a shared node counted at each use)
#: and the widest integer (in bits) that a decoded expression may have: far beyond any
#: derivative of a problem's formula, and within what sympy can hash, compare and print.
MOST_NODES = 100_000
DEEPEST = 200
LARGEST_TREE = 10_000_000
WIDEST_BITS = 20_000


def encode(expr: sp.Basic, names: dict | None = None) -> list | None:
    """``expr`` as a list of nodes (see the module's docstring), or ``None`` when it holds a
    node of another kind; with ``names`` (``{Symbol: name}``, every symbol of ``expr``), each
    symbol written under its name there (its assumptions kept)."""
    nodes: list = []
    index: dict[int, int] = {}
    try:
        _encode(expr, nodes, index, names)
    except (_Unsupported, KeyError):  # KeyError: a symbol ``names`` does not name
        return None
    return nodes


class _Unsupported(Exception):
    pass


def _encode(expr: sp.Basic, nodes: list, index: dict[int, int], names: dict | None) -> int:
    at = index.get(id(expr))
    if at is not None:
        return at
    kind = type(expr)
    if kind is sp.Symbol:
        node = ["s", expr.name if names is None else names[expr], expr.assumptions0]
    elif isinstance(expr, sp.Rational):
        node = ["q", int(expr.p), int(expr.q)]
    elif expr is sp.E or expr is sp.pi:
        node = ["c", str(expr)]
    else:
        args = [_encode(a, nodes, index, names) for a in expr.args]
        if kind is sp.Add:
            node = ["+", *args]
        elif kind is sp.Mul:
            node = ["*", *args]
        elif kind is sp.Pow:
            node = ["^", *args]
        elif isinstance(expr, sp.Function) and not isinstance(expr, AppliedUndef) \
                and kind.__module__.startswith(_MODULES) and _function(_name(kind)) is kind:
            node = ["f", _name(kind), *args]
        else:
            raise _Unsupported
    nodes.append(node)
    index[id(expr)] = len(nodes) - 1
    return len(nodes) - 1


def _name(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def decode(nodes, symbols: dict | None = None, checked: bool = False) -> sp.Basic | None:
    """The expression ``nodes`` encode, or ``None`` when they are not a well-formed
    encoding within :func:`within_limits` (a cache entry damaged, or written by other code);
    with ``symbols`` (``{name: Symbol}``), each symbol node is the symbol of its name there,
    and a name not there makes the nodes not well-formed. ``checked``: the limits were
    checked already (nodes this process encoded, or read and checked once); checked nodes in
    given symbols share the nodes earlier decodes built (:func:`_decode_shared`)."""
    try:
        if not checked and not within_limits(nodes):
            return None
        if checked and symbols is not None:
            return _decode_shared(nodes, symbols)
        built: list[sp.Basic] = []
        for node in nodes:
            built.append(_decode(node, built, symbols, checked))
        return built[-1] if built else None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError, RecursionError):
        return None


def _decode_shared(nodes: list, symbols: dict) -> sp.Basic | None:
    """:func:`decode` of checked nodes in a graph's symbols, each node that a derivative
    decoded before in this process (the same kind of node of the same argument objects) being
    that one: the local derivatives of a tensor graph share most of their subexpressions (a
    masked attention's softmax row and its scores, in 198 derivatives), and a node built again
    is hashed again wherever it is looked up (:func:`~solver.graph.backprop.evaluate`'s memo,
    sympy's cache). sympy's expressions are immutable, so sharing one changes no tree."""
    if len(_SHARED) > MOST_SHARED:
        _SHARED.clear()
    built: list[sp.Basic] = []
    for node in nodes:
        tag = node[0]
        if tag == "s" or tag == "c" or tag == "q":
            built.append(_decode(node, built, symbols, True))
            continue
        args = _arguments(node, built, True)
        key = (node[1] if tag == "f" else tag, *map(id, args))  # a function's name holds a ":"
        found = _SHARED.get(key)
        if found is None:  # kept with its arguments, so that the ids in the key stay theirs
            found = _SHARED[key] = (_operation(tag, node, args), args)
        built.append(found[0])
    return built[-1] if built else None


#: The nodes :func:`_decode_shared` built, by kind and argument ids (at most
#: :data:`MOST_SHARED`, then forgotten).
_SHARED: dict[tuple, tuple] = {}
MOST_SHARED = 20_000


def within_limits(nodes) -> bool:
    """Whether ``nodes`` (as read, unchecked) is a list of at most :data:`MOST_NODES` nodes
    whose arguments come before them, nested at most :data:`DEEPEST` deep and of at most
    :data:`LARGEST_TREE` nodes once expanded (a shared node counted at each use)."""
    if not isinstance(nodes, list) or len(nodes) > MOST_NODES:
        return False
    depth: list[int] = []
    size: list[int] = []
    try:
        for node in nodes:
            tag = node[0]
            if tag == "f":
                children = node[2:]
            elif tag == "+" or tag == "*" or tag == "^":
                children = node[1:]
            else:  # a leaf: one deep, one node (most nodes; no generators made for them)
                depth.append(1)
                size.append(1)
                continue
            known, deepest, total = len(depth), 0, 1
            for i in children:
                if type(i) is not int or not 0 <= i < known:
                    return False
                if depth[i] > deepest:
                    deepest = depth[i]
                total += size[i]
            if deepest >= DEEPEST or total > LARGEST_TREE:
                return False
            depth.append(deepest + 1)
            size.append(total)
    except (TypeError, IndexError, KeyError):
        return False
    return True


def _decode(node: list, built: list, symbols: dict | None, checked: bool = False) -> sp.Basic:
    tag = node[0]
    if tag == "s":
        if symbols is not None:
            return symbols[node[1]]
        name, assumptions = node[1], node[2]
        if not isinstance(name, str) or not all(type(v) is bool for v in assumptions.values()):
            raise ValueError(node)
        return sp.Symbol(name, **assumptions)
    if tag == "q":
        p, q = node[1], node[2]
        if type(p) is not int or type(q) is not int or q <= 0 or max(abs(p), q).bit_length() > WIDEST_BITS:
            raise ValueError(node)
        return sp.Rational(p, q)
    if tag == "c":
        return _CONSTANTS[node[1]]
    return _operation(tag, node, _arguments(node, built, checked))


def _arguments(node: list, built: list, checked: bool) -> tuple:
    """The decoded arguments of a sum, product, power or function ``node``."""
    first = 2 if node[0] == "f" else 1
    if checked:  # within_limits saw that every argument is an int naming an earlier node
        return tuple(map(built.__getitem__, node[first:]))
    return tuple(built[_index(i, len(built))] for i in node[first:])


def _operation(tag: str, node: list, args: tuple) -> sp.Basic:
    """The sum, product, power or function ``node`` of its decoded ``args``."""
    if tag in ("+", "*") and len(args) >= 2:
        return (sp.Add if tag == "+" else sp.Mul)._from_args(args)
    if tag == "^" and len(args) == 2:
        return sp.Pow(*args, evaluate=False)
    if tag == "f":
        kind = _function(node[1])
        if kind is None or not _arity(kind, len(args)):
            raise ValueError(node)
        return kind(*args, evaluate=False)
    raise ValueError(node)


def _index(i, size: int) -> int:
    if type(i) is not int or not 0 <= i < size:
        raise IndexError(i)
    return i


@lru_cache(maxsize=1024)
def _arity(kind: type, count: int) -> bool:
    """Whether ``kind`` takes ``count`` arguments (one at least; its ``nargs``, a sympy set,
    asked once)."""
    return count >= max(1, getattr(kind, "least_arguments", None) or 1) and count in kind.nargs


#: The function classes found by :func:`_function`, by name (a name not found is looked up
#: again: its module may be imported later).
_FOUND: dict[str, type] = {}


def _function(name) -> type | None:
    """The function class ``module:Class`` names: a sympy ``Function`` defined at the top of
    a module of :data:`_MODULES` that is imported already (one of nnsolve's must be its
    operations' registered class of that name)."""
    found = _FOUND.get(name) if isinstance(name, str) else None
    if found is not None:
        return found
    if not isinstance(name, str) or ":" not in name:
        return None
    module, _, qualname = name.partition(":")
    if not module.startswith(_MODULES) or module not in sys.modules or not qualname.isidentifier():
        return None
    kind = getattr(sys.modules[module], qualname, None)
    if not (isinstance(kind, type) and issubclass(kind, sp.Function)) or issubclass(kind, AppliedUndef) \
            or kind.__module__ != module or kind.__qualname__ != qualname:
        return None
    if module.startswith("solver.") and OpFunctionBase.registry.get(qualname) is not kind:
        return None
    _FOUND[name] = kind
    return kind
