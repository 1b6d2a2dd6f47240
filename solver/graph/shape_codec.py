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

import sympy as sp
from sympy.core.function import AppliedUndef

#: The modules whose functions may be named: sympy's own functions and nnsolve's operations.
_MODULES = ("sympy.functions.", "solver.ops.")
_CONSTANTS = {"E": sp.E, "pi": sp.pi}


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


def decode(nodes, symbols: dict | None = None) -> sp.Basic | None:
    """The expression ``nodes`` encode, or ``None`` when they are not a well-formed
    encoding (a cache entry damaged, or written by other code); with ``symbols``
    (``{name: Symbol}``), each symbol node is the symbol of its name there, and a name not
    there makes the nodes not well-formed."""
    try:
        built: list[sp.Basic] = []
        for node in nodes:
            built.append(_decode(node, built, symbols))
        return built[-1] if built else None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError):
        return None


def _decode(node: list, built: list, symbols: dict | None) -> sp.Basic:
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
        if type(p) is not int or type(q) is not int or q <= 0:
            raise ValueError(node)
        return sp.Rational(p, q)
    if tag == "c":
        return _CONSTANTS[node[1]]
    first = 2 if tag == "f" else 1
    args = tuple(built[_index(i, len(built))] for i in node[first:])
    if tag in ("+", "*") and len(args) >= 2:
        return (sp.Add if tag == "+" else sp.Mul)._from_args(args)
    if tag == "^" and len(args) == 2:
        return sp.Pow(*args, evaluate=False)
    if tag == "f":
        kind = _function(node[1])
        if kind is None:
            raise ValueError(node)
        return kind(*args, evaluate=False)
    raise ValueError(node)


def _index(i, size: int) -> int:
    if type(i) is not int or not 0 <= i < size:
        raise IndexError(i)
    return i


def _function(name) -> type | None:
    """The function class ``module:Class`` names, if that module is imported already and is
    one of :data:`_MODULES`, and the class is a sympy ``Function``."""
    if not isinstance(name, str) or ":" not in name:
        return None
    module, _, qualname = name.partition(":")
    if not module.startswith(_MODULES) or module not in sys.modules:
        return None
    kind = sys.modules[module]
    for part in qualname.split("."):
        kind = getattr(kind, part, None)
    if isinstance(kind, type) and issubclass(kind, sp.Function) and not issubclass(kind, AppliedUndef):
        return kind
    return None
