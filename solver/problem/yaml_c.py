"""libyaml (PyYAML's C extension) for reading problem files: the same documents as
PyYAML's pure-Python scanner, parser and composer give, four to six times faster (a
10,000-parameter network's file in 0.1 s rather than 0.4 s). :mod:`.loader` reads with it
first and, for anything that is refused, again with PyYAML, whose messages it reports."""

from __future__ import annotations

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:  # libyaml, where PyYAML was built with it
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML alone
    CParser = None


def with_libyaml(loader: type) -> type | None:
    """``loader`` (a loader class on PyYAML's SafeLoader) with libyaml's scanner, parser
    and composer; its resolvers and constructors are ``loader``'s. ``None`` without libyaml."""
    if CParser is None:
        return None

    class Fast(CParser, loader):
        def __init__(self, stream):
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    Fast.__name__ = Fast.__qualname__ = f"{loader.__name__}C"
    return Fast


def composed(node: yaml.Node) -> int:
    """How many nodes PyYAML's composer composes for this document (its ``compose_node``
    calls): every reference to a node, a use of an alias as one, each node's contents once."""
    count, seen, todo = 0, set(), [node]
    while todo:
        n = todo.pop()
        count += 1
        if id(n) not in seen:
            seen.add(id(n))
            if isinstance(n, yaml.MappingNode):
                todo += [x for pair in n.value for x in pair]
            elif isinstance(n, yaml.SequenceNode):
                todo += n.value
    return count
