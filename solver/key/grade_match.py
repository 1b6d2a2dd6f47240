"""Which answer of the key each submitted row is: by question, ``of`` (a vector or matrix
answer's elements ``W1[1,2]`` or a tensor's ``Q[1,1]``, numbered from 1 as the key writes
them, W₁₂ and Q₁₁; a vector's ``p1``, ``p2``) and ``kind`` (default: the first answer about
``of`` in the key's order among gradient, value, loss and update, else the first). A list
stands for its elements and must have the answer's shape; a number for a list, or a list of
another shape, is that student's wrong answer, with the reason."""

from __future__ import annotations

import re
from fractions import Fraction

from ..core.errors import ProblemError
from ..problem.fields import written
from ..problem.graded import Key, Submitted, flat

#: Which answer about ``of`` a row without ``kind`` gives: the update where the question updates
#: ``of`` (its gradient is the way there: "w1, 0.3119" on an update question is the new w₁),
#: else the first of these in the key's order.
PREFERRED = ("gradient", "value", "loss", "update")
_INDEX = re.compile(r"\[(\d+(?:,\d+)*)\]")


def label(kind: str, of: str) -> str:
    """How an answer is named in verdicts: ``dL/dh1``, ``o1``, ``L``, ``w3 (update)``."""
    return {"gradient": f"dL/d{of}", "update": f"{of} (update)"}.get(kind, of)


def _kinds(key: Key, question: str, of: str) -> list[str]:
    found = [a.kind for a in key.answers if a.question == question
             and (a.of == of or a.of.startswith(of + "[") or (a.of[len(of):].isdigit() and a.of.startswith(of)))]
    return list(dict.fromkeys(found))


def elements(names: set, question: str, kind: str, of: str) -> dict[tuple[int, ...], str]:
    """The key's elements of the list ``of`` (index from 1 → name): ``W1[2,1]``, else a
    vector's ``p2``; empty when ``of`` is one number or not a list of the key."""
    out, plain = {}, {}
    for q, k, name in names:
        if q != question or k != kind or not name.startswith(of):
            continue
        rest = name[len(of):]
        m = _INDEX.fullmatch(rest)
        if m:
            out[tuple(int(i) for i in m[1].split(","))] = name
        elif rest.isdigit():
            plain[(int(rest),)] = name
    return out or plain


def _size(shape: tuple[int, ...]) -> str:
    return " × ".join(map(str, shape))


def _list_shape(value) -> tuple[int, ...]:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _misfit(r: Submitted, of: str, grid: dict) -> str:
    """Why the row's number or list does not fit the key's answer ``of`` (``grid``: its elements)."""
    given = _list_shape(r.value)
    mine = f"a {_size(given)} list" if len(given) > 1 else f"a list of {given[0]}" if given else "one number"
    if not grid:
        return f"the wrong shape: {mine} where {of} is one number"
    shape = tuple(max(i[a] for i in grid) for a in range(len(next(iter(grid)))))
    theirs = f"a {_size(shape)} list" if len(shape) > 1 else f"a list of {shape[0]}"
    return f"the wrong shape: {mine} where {of} is {theirs}" + (" (give it in brackets)" if not given else "")


def match(key: Key, rows: list[Submitted], file: str, errors: list | None = None) -> dict:
    """(question, kind, of) → (the number as text, exact Fraction, "") for ``rows`` of one
    student; (the text, ``None``, why it is not right as written) for an answer that is not a
    number or not of the answer's shape.

    Raises:
        ProblemError: a row names a question, ``of`` or ``kind`` the key does not have, or
            repeats an answer; with ``errors`` given, each such row's error is appended to it
            instead, as (its row, the error), and the other rows are matched.
    """
    names = {(a.question, a.kind, a.of) for a in key.answers}
    out: dict = {}
    where: dict = {}
    questions = key.questions()
    for r in rows:
        try:
            _match_row(key, names, questions, r, file, out, where)
        except ProblemError as exc:
            if errors is None:
                raise
            errors.append((r.row, exc))
    return out


def _match_row(key: Key, names: set, questions: list, r: Submitted, file: str, out: dict, where: dict) -> None:
    """The answers ``r`` gives, added to ``out`` (``where``: the row of each)."""
    here = f"row {r.row}"
    if r.question not in questions:
        raise ProblemError(f"question '{r.question}' is not in the key {key.name} (it has "
                           f"{', '.join(questions) or 'no numeric answers'})", file=file, field=here)
    kinds = _kinds(key, r.question, r.of)
    if not kinds:
        m = _INDEX.search(r.of)
        hint = (" (elements are numbered from 1, as the key writes them: "
                f"{r.of[:m.start()]}[{','.join(str(int(i) + 1) for i in m[1].split(','))}])") \
            if m and "0" in m[1].split(",") else ""
        raise ProblemError(f"of: '{r.of}' is not an answer of question {r.question} in the key {key.name}{hint}",
                           file=file, field=here)
    if r.kind and r.kind not in kinds:
        raise ProblemError(f"kind: question {r.question} has no {r.kind} answer of {r.of} (it has "
                           f"{', '.join(kinds)})", file=file, field=here)
    kind = r.kind or ("update" if "update" in kinds else next((k for k in kinds if k in PREFERRED), kinds[0]))
    one = (r.question, kind, r.of) in names
    grid = {} if one else elements(names, r.question, kind, r.of)
    items = flat(r.value) if r.value is not None else []
    # one number for an answer of one number, however bracketed: P of shape 1 × 1 × 1 is
    # printed "P ≈ 0.2423" by the key, o₁ is one number whether or not in brackets
    single = len(items) == 1 and (one or len(grid) == 1)
    if r.value is None:
        why = f"not a number: {r.unreadable}"
    elif single:
        why = ""
    elif (items[0][0] != ()) if one else {tuple(i + 1 for i in idx) for idx, _ in items} != set(grid):
        why = _misfit(r, r.of, grid)
    else:
        why = ""
    if why:  # every answer it stands for is marked wrong, with the reason
        targets = [(of, None, r.text) for of in ([r.of] if one else grid.values())]
    elif single:  # as written when not bracketed
        targets = [(r.of if one else next(iter(grid.values())), items[0][1],
                    r.text if items[0][0] == () else written(items[0][1]))]
    else:
        targets = [(grid[tuple(i + 1 for i in idx)], v, written(v)) for idx, v in items]
    for of, value, text in targets:  # an answer given twice, readable or not, is the row's error
        k = (r.question, kind, of)
        if k in out:
            raise ProblemError(f"{kind} {of} of question {r.question} is answered twice (first in "
                               f"{where[k]})", file=file, field=here)
        out[k] = (text.strip(), None if value is None else Fraction(int(value.p), int(value.q)), why)
        where[k] = here
