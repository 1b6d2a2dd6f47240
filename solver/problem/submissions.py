"""Students' answers (``nnsolve grade``): a CSV file with the columns ``student``,
``question``, ``of``, ``answer`` and optionally ``variant`` and ``kind``.

``answer`` is a decimal (``-0.052``, ``1e-3``), a fraction (``3/4``), or for a vector or
matrix answer nested brackets (``[0.1, 0.2]``, ``[[0.1, 0.2], [0.3, 0.4]]``), graded element
by element. ``kind`` (``value``, ``loss``, ``gradient``, ``update``, …) says which of the
question's answers about ``of`` is meant; without it, the first answer of that ``of`` in the
key's order. ``variant`` picks a variant of a class key (``nnsolve variants``) when the
student column does not. A blank ``answer`` is no answer (marked missing, as if the row were
not there); an answer that is not a number (``0,5``, ``abc``) is the student's and is marked
wrong with the reason (``value`` ``None``, ``unreadable`` the reason). Every error names the
file and the row (``row 3``: the line of the CSV file, the header being row 1).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..core.errors import ProblemError
from ..core.numbers import parse_number
from .graded import Submitted, flat  # noqa: F401 - flat: read with the rows
from .loader import read_text

REQUIRED = ("student", "question", "of", "answer")
OPTIONAL = ("variant", "kind")
_TOKEN = re.compile(r"\s*(\[|\]|,|[^\[\],\s]+)")


def parse_answer(text: str):
    """A number, or nested bracketed lists of numbers, read exactly.

    Raises:
        ValueError: anything else (naming what could not be read).
    """
    s = text.strip()
    if not s:
        raise ValueError("the answer is empty")
    if not s.startswith("["):
        return parse_number(s)
    tokens = [t for t in _TOKEN.findall(s)]
    if "".join(tokens).replace(" ", "") != re.sub(r"\s+", "", s):
        raise ValueError(f"'{s}' is not a number or a bracketed list of numbers")
    value, rest = _nested(tokens, 0)
    if rest != len(tokens):
        raise ValueError(f"'{s}' has text after its closing bracket")
    _rectangular(value, s)
    return value


def _nested(tokens: list[str], i: int):
    if tokens[i] != "[":
        return parse_number(tokens[i]), i + 1
    items, i = [], i + 1
    while i < len(tokens) and tokens[i] != "]":
        item, i = _nested(tokens, i)
        items.append(item)
        if i < len(tokens) and tokens[i] == ",":
            i += 1
    if i >= len(tokens):
        raise ValueError("a bracket is not closed")
    if not items:
        raise ValueError("an empty list has no numbers")
    return items, i + 1


def _rectangular(value, text: str) -> None:
    if isinstance(value, list):
        kinds = {isinstance(v, list) for v in value}
        lengths = {len(v) for v in value if isinstance(v, list)}
        if len(kinds) > 1 or len(lengths) > 1:
            raise ValueError(f"'{text}' is not rectangular (rows of different lengths)")
        for v in value:
            _rectangular(v, text)


def read_submissions(path: Path) -> list[Submitted]:
    """Every row of a submissions CSV file; a row with too few or too many cells is kept with
    its ``error`` (its student, where its cell says, is left ungraded; the others are read).

    Raises:
        ProblemError: the file cannot be read, its header lacks a column or repeats or leaves
            one unnamed, a row's student, question or of is empty, or there are no answers.
    """
    file = str(path)
    text = read_text(path)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ProblemError(f"cannot read the header ({exc or 'no rows'})", file=file, field="row 1") from None
    col = _columns(header, file)
    out: list[Submitted] = []
    try:
        while True:
            number = reader.line_num + 1  # the line the row starts on
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                out.append(_misshapen(cells, header, col, number))
                continue
            get = {name: cells[i].strip() for name, i in col.items()}
            for name in ("student", "question", "of"):
                if not get[name]:
                    raise ProblemError(f"{name} is empty", file=file, field=f"row {number}")
            if not get["answer"]:
                continue  # a blank answer: not answered (marked missing), as a blank on paper
            try:
                value, unreadable = parse_answer(get["answer"]), ""
            except ValueError as exc:  # the student's own writing: marked wrong, the class still graded
                value, unreadable = None, str(exc)
            out.append(Submitted(number, get["student"], get["question"], get["of"], get["answer"], value,
                                 get.get("variant", ""), get.get("kind", ""), unreadable))
    except csv.Error as exc:
        raise ProblemError(f"malformed CSV ({exc})", file=file, field=f"row {reader.line_num}") from None
    if not out:
        raise ProblemError("the file has a header but no answers", file=file, field="(file)")
    return out


def _columns(header: list[str], file: str) -> dict[str, int]:
    """Each known column's index. Raises ProblemError: a required column missing, a column
    named twice or not named (no row could be read with it)."""
    for i, name in enumerate(header):
        if not name:
            raise ProblemError(f"column {i + 1} has no name (the header is {','.join(header)}; delete the empty "
                               "column or name it)", file=file, field="row 1")
        if name in header[:i]:
            raise ProblemError(f"the column {name!r} is named twice (columns {header.index(name) + 1} and {i + 1})",
                               file=file, field="row 1")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ProblemError(f"the header has no column {', '.join(missing)} (it needs student, question, of, "
                           "answer; variant and kind are optional)", file=file, field="row 1")
    return {name: header.index(name) for name in REQUIRED + OPTIONAL if name in header}


def _misshapen(cells: list[str], header: list[str], col: dict, number: int) -> Submitted:
    """A row of too few or too many cells, kept for its error; its student is its student cell
    (the columns before the student's are where they were), "" when it has none."""
    split = len(cells) > len(header) and any("[" in c and "]" not in c for c in cells)
    hint = (': a field with a comma, such as W1[1,2] or [0.1, 0.2], goes in double quotes ("W1[1,2]")'
            if split else "")
    i = col["student"]
    student = cells[i].strip() if i < len(cells) else ""
    return Submitted(number, student, "", "", "", None,
                     error=f"has {len(cells)} cells, the header has {len(header)}{hint}")
