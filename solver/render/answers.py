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
only when they apply: ``step`` (training: after how many steps), ``upstream: true`` (shown
on the way, not asked for: an upstream gradient; the loss and gradients before an asked
update; a training run's optimizer state; :data:`solver.key.model.ASKED_KINDS`), ``verified``. A tensor's answer (a
tensor graph problem, a convolutional network) has ``shape`` (a list), and its ``value``,
``exact`` and ``display`` are nested lists in that shape (``value[0][1][2]`` is element
(0, 1, 2), numbered from 0 as PyTorch indexes it; the key writes it Z_{123}, and grading and
the exports name it ``Z[1,2,3]``).
"""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cache
from operator import attrgetter
from typing import Callable

import msgspec
from msgspec.structs import fields

from ..key.model import Answer, Solution


@cache
def _names(kind: type) -> tuple[tuple[str, ...], Callable[[object], tuple]]:
    """The fields' names of a record (a msgspec Struct), and a getter of all their values at once."""
    names = tuple(f.name for f in fields(kind))
    get = attrgetter(*names)
    return names, get if len(names) > 1 else lambda a: (get(a),)  # a tuple even for one field


def _fields(a: Answer) -> dict:
    """An answer's fields in order, those that apply (not ``None``). Their values are text,
    numbers and nested lists, written as they are, not copied."""
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
    """The answers JSON text (stable key order, UTF-8, two-space indent, trailing newline):
    ``json.dumps(…, indent=2, ensure_ascii=False)``'s text. json writes it compact with its C
    encoder (it indents only in pure Python, a fifth of a warm key's time) and msgspec indents
    it, changing only the white space (tests/test_render_fast_paths.py compares the two)."""
    return indented(json.dumps(answers(solution), ensure_ascii=False, separators=(",", ":"))) + "\n"


def indented(compact: str) -> str:
    """Compact JSON text indented by two spaces, as ``json.dumps(indent=2)`` indents it."""
    return msgspec.json.format(compact, indent=2)
