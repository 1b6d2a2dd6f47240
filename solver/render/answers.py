"""The answers JSON: the contract autograders read.

Shape (more keys may be added, none removed)::

    {"problem": stem, "title": ..., "variant": code (a per-student variant only),
     "given": {name: exact text, or lists of them (a batch, a tensor)},
     "questions": [{"id", "title", "points" (when the problem gives them),
                    "answers": [{"kind", "of", "latex", "exact", "value", "display", ...}]}]}

Kinds: ``value`` (a node's value), ``loss``, ``gradient`` (∂L/∂of), ``update`` (a parameter
after the update; after each epoch for a learning rule), ``penalty`` (a weight penalty R),
``value_after`` and ``loss_after`` (after the update), ``state`` (an optimizer's state
variable, ``of`` such as ``m_w1``), ``mistakes`` and ``converged`` (a learning rule's mistakes
per epoch, the epoch without mistakes or 0); ``count`` (``of``: a layer name or ``total``), ``shape`` (``value``: the
shape as a list, ``display`` its LaTeX such as ``16 \times 32 \times 32``), ``derivation``
(``of``: its name, ``verified``: whether sympy checked every step). Optional keys, present
only when they apply: ``step`` (training: after how many steps), ``upstream: true`` (an
intermediate gradient shown on the way, not asked for), ``verified``. A tensor's answer (a
tensor graph problem, a convolutional network) has ``shape`` (a list), and its ``value``,
``exact`` and ``display`` are nested lists in that shape (``value[0][1][2]`` is element
(0, 1, 2), numbered from 0 as PyTorch indexes it).
"""

from __future__ import annotations

import json
from dataclasses import fields
from fractions import Fraction
from functools import cache, lru_cache
from itertools import chain
from operator import attrgetter
from typing import Callable

from ..key.model import Answer, Solution


@cache
def _names(kind: type) -> tuple[tuple[str, ...], Callable[[object], tuple]]:
    """The fields' names of a dataclass, and a getter of all their values at once."""
    names = tuple(f.name for f in fields(kind))
    get = attrgetter(*names)
    return names, get if len(names) > 1 else lambda a: (get(a),)  # a tuple even for one field


def _fields(a: Answer) -> dict:
    """An answer's fields in order, those that apply (not ``None``). Their values are text,
    numbers and nested lists, written as they are (no copy, as :func:`dataclasses.asdict` makes)."""
    names, values = _names(type(a))
    return {name: v for name, v in zip(names, values(a)) if v is not None}


def answers(solution: Solution) -> dict:
    """The answers of ``solution`` as plain data."""
    return {
        "problem": solution.stem,
        "title": solution.title,
        **({"variant": solution.variant} if solution.variant else {}),
        "given": dict(solution.given_values),
        "questions": [
            {"id": sec.id, "title": sec.title, **({"points": float(Fraction(sec.points))} if sec.points else {}),
             "answers": [_fields(a) for a in sec.answers]}
            for sec in solution.sections
        ],
    }


def answers_json(solution: Solution) -> str:
    """The answers JSON text (stable key order, UTF-8, trailing newline): what
    ``json.dumps(..., indent=2, ensure_ascii=False)`` writes, byte for byte."""
    data = answers(solution)
    try:
        return _indented(data, 0) + "\n"
    except _NotPlain:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class _NotPlain(Exception):
    """A mapping with a key other than a string: left to :func:`json.dumps` whole."""


#: The types ``json`` writes as one token (exactly these: a subclass goes the general way).
_SCALARS = frozenset({str, float, int, bool, type(None)})


@lru_cache(maxsize=None)
def _flat(level: int) -> json.JSONEncoder:
    """An encoder writing a container of scalars whose items stand at indent ``level``: the
    items separated by ``,`` and a new line indented as ``indent=2`` does. Without ``indent``
    json uses its C encoder, many times faster than the Python one ``indent`` runs."""
    return json.JSONEncoder(ensure_ascii=False, separators=(",\n" + "  " * level, ": "))


def _records(rows: list, level: int) -> str | None:
    """A list (at indent ``level``) of mappings of scalars, such as a question's answers, in
    one call of the C encoder, or ``None`` if ``rows`` is not such a list. Written with the
    separator of the mappings' items, the list's own separators are the only ones after a
    ``}`` and before a ``{`` (a scalar never ends in ``}``, a key begins with ``"``), and a
    new line stands only in a separator (in a string it is written ``\\n``): each one is
    given its new lines and indents in one replacement."""
    if not (set(map(type, rows)) == {dict} and all(rows) and set(map(type, chain.from_iterable(rows))) == {str}
            and set(map(type, chain.from_iterable(map(dict.values, rows)))) <= _SCALARS):
        return None
    item, field = "\n" + "  " * (level + 1), "\n" + "  " * (level + 2)
    text = _flat(level + 2).encode(rows)
    body = text[2:-2].replace("}," + field + "{", item + "}," + item + "{" + field)
    return "[" + item + "{" + field + body + item + "}" + "\n" + "  " * level + "]"


def _indented(o, level: int) -> str:
    """``o`` as ``json.dumps(o, indent=2, ensure_ascii=False)`` writes it at indent ``level``:
    each container that holds only scalars (a row of numbers), or only mappings of scalars
    (:func:`_records`), in one call of the C encoder, whose separator carries the new line
    and indent; other containers item by item."""
    if isinstance(o, dict):
        if any(not isinstance(k, str) for k in o):
            raise _NotPlain
        values, opening, closing = o.values(), "{", "}"
    elif isinstance(o, (list, tuple)):
        values, opening, closing = o, "[", "]"
    else:
        return _flat(level).encode(o)
    if not o:
        return opening + closing
    inner, outer = "\n" + "  " * (level + 1), "\n" + "  " * level
    if all(type(v) in _SCALARS for v in values):
        return opening + inner + _flat(level + 1).encode(o)[1:-1] + outer + closing
    if opening == "[":
        records = _records(o, level) if type(o) is list else None
        if records is not None:
            return records
        items = [_indented(v, level + 1) for v in o]
    else:
        items = [_flat(0).encode(k) + ": " + _indented(v, level + 1) for k, v in o.items()]
    return opening + inner + ("," + inner).join(items) + outer + closing
