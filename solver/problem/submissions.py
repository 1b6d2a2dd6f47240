"""Students' answers (``nnsolve grade``): a CSV file with the columns ``student``,
``question``, ``of``, ``answer`` and optionally ``variant`` and ``kind``.

``answer`` is a decimal (``-0.052``, ``1e-3``), a fraction (``3/4``), or for a vector or
matrix answer nested brackets (``[0.1, 0.2]``, ``[[0.1, 0.2], [0.3, 0.4]]``), graded element
by element. ``kind`` (``value``, ``loss``, ``gradient``, ``update``, …) says which of the
question's answers about ``of`` is meant; without it, the first answer of that ``of`` in the
key's order. ``variant`` picks a variant of a class key (``nnsolve variants``) when the
student column does not. A blank ``answer`` is no answer (marked missing; a row of its
student's all the same, so that a student who answered nothing is graded); an answer that is not a number (``0,5``, ``abc``) is the student's and is marked
wrong with the reason (``value`` ``None``, ``unreadable`` the reason). Every error names the
file and the row (``row 3``: the line of the CSV file, the header being row 1).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

from ..core.errors import ProblemError
from ..core.numbers import parse_number
from .graded import Submitted, flat  # noqa: F401 - flat: read with the rows
from .loader import read_text

REQUIRED = ("student", "question", "of", "answer")
OPTIONAL = ("variant", "kind")
_TOKEN = re.compile(r"\s*(\[|\]|,|[^\[\],\s]+)")
#: A decimal with a comma for its point (``0,5``, ``-1,25``).
_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+")
#: The deepest nesting of brackets an answer may have.
MAX_DEPTH = 8
#: The longest answer shown as written (a longer one is shown cut, with its length).
MAX_SHOWN = 1000


def parse_answer(text: str):
    """A number, or nested bracketed lists of numbers, read exactly.

    Raises:
        ValueError: anything else (naming what could not be read).
    """
    s = text.strip()
    if not s:
        raise ValueError("the answer is empty")
    if _COMMA.fullmatch(s):
        raise ValueError(f"'{s}' has a decimal comma: write {s.replace(',', '.')} (a list goes in brackets, "
                         f"[{s.replace(',', ', ')}])")
    if not s.startswith("["):
        return parse_number(s)
    depth = _depth(s)
    if depth > MAX_DEPTH:
        raise ValueError(f"its brackets nest {depth} deep; an answer has at most {MAX_DEPTH} (a tensor's dimensions)")
    tokens = [t for t in _TOKEN.findall(s)]
    if "".join(tokens).replace(" ", "") != re.sub(r"\s+", "", s):
        raise ValueError(f"'{s}' is not a number or a bracketed list of numbers")
    value, rest = _nested(tokens, 0)
    if rest != len(tokens):
        raise ValueError(f"'{s}' has text after its closing bracket")
    _rectangular(value, s)
    return value


def _depth(s: str) -> int:
    """How deep ``s``'s brackets nest (read one level at a time, not recursively)."""
    depth = deepest = 0
    for ch in s:
        depth += (ch == "[") - (ch == "]")
        deepest = max(deepest, depth)
    return deepest


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
    """Every row of a submissions CSV file; a row that cannot be read as a row (too few or too
    many cells, no student, question or of, a double quote not closed) is kept with its
    ``error`` (its student, where its cell says, is left ungraded; the others are read). A row
    with a blank answer is kept with the text "" (its student is graded, that answer missing).

    Raises:
        ProblemError: the file cannot be read, its header lacks a column or repeats or leaves
            one unnamed, or no row gives an answer.
    """
    file = str(path)
    text = read_text(path).lstrip("\ufeff")  # Excel's "CSV UTF-8" starts with a byte-order mark
    header = [h.strip().lower() for h in next(_records(text), (1, [], ""))[1]]
    col = _columns(header, file)
    out: list[Submitted] = []
    try:
        rows = list(_records(text, col["answer"]))[1:]
    except csv.Error as exc:  # not seen with these settings; one line if it is
        raise ProblemError(f"malformed CSV ({exc})", file=file, field="(file)") from None
    for number, cells, broken in rows:
        if not any(c.strip() for c in cells):
            continue
        if broken or len(cells) != len(header):
            out.append(_misshapen(cells, header, col, number, broken))
            continue
        get = {name: cells[i].strip() for name, i in col.items()}
        empty = [name for name in ("student", "question", "of") if not get[name]]
        if not get["answer"]:  # a blank answer: not answered (marked missing), as a blank on paper
            if get["student"]:
                out.append(Submitted(number, get["student"], get["question"], get["of"], "", None,
                                     get.get("variant", ""), get.get("kind", "")))
            continue
        if empty:
            out.append(Submitted(number, get["student"], "", "", "", None, error=f"{' and '.join(empty)} "
                                 f"{'is' if len(empty) == 1 else 'are'} empty"))
            continue
        try:
            value, unreadable = parse_answer(get["answer"]), ""
        except ValueError as exc:  # the student's own writing: marked wrong, the class still graded
            value, unreadable = None, str(exc)
        out.append(Submitted(number, get["student"], get["question"], get["of"], _shown(get["answer"]), value,
                             get.get("variant", ""), get.get("kind", ""), unreadable))
    if not any(r.text or r.error for r in out):
        raise ProblemError("the file has a header but no answers", file=file, field="(file)")
    return out


def _shown(answer: str) -> str:
    """An answer as grades.csv and the feedback show it: cut at :data:`MAX_SHOWN` characters
    (no number is that long), so that no cell breaks a reader of grades.csv (Python's csv
    module refuses one over 131,072 characters)."""
    return answer if len(answer) <= MAX_SHOWN else f"{answer[:MAX_SHOWN - 40]}… ({len(answer):,} characters)"


def _records(text: str, answer: int | None = None):
    """(the line the record starts on, its cells, why it is broken or "") for each record of
    ``text`` (``answer``: the answer's column). A record over several lines is a cell in double
    quotes holding line breaks: a matrix answer may (``"[[1, 2],⏎[3, 4]]"``), but any other cell
    holding one, or an answer that is then not a number, is a double quote left open that
    swallowed the rows after it; that record is its first line instead, kept as broken, and
    reading goes on from the next line (the rows it swallowed are read)."""
    lines = io.StringIO(text, newline="").readlines()  # \n, \r\n, \r: csv reads the line ends
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # a long cell is the student's answer, not a broken file
    try:
        pos = 0
        while pos < len(lines):
            reader, seen, restart = csv.reader(itertools.islice(lines, pos, None)), 0, None
            for cells in reader:
                first, last = pos + seen + 1, pos + reader.line_num
                seen = reader.line_num
                if last > first and answer is not None and not _one_row(cells, answer):
                    restart = first
                    yield first, next(csv.reader([lines[first - 1]])), (
                        f"a double quote is not closed (the row runs on to line {last}; the lines after it "
                        "are read as rows)")
                    break
                yield first, cells, ""
            if restart is None:
                return
            pos = restart
    finally:
        csv.field_size_limit(limit)


def _one_row(cells: list[str], answer: int) -> bool:
    """Whether a record over several lines is one row: a line break only in its answer, which reads."""
    if any("\n" in c or "\r" in c for i, c in enumerate(cells) if i != answer) or answer >= len(cells):
        return False
    try:
        parse_answer(cells[answer])
    except ValueError:
        return False
    return True


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


def _misshapen(cells: list[str], header: list[str], col: dict, number: int, broken: str = "") -> Submitted:
    """A row of too few or too many cells (or ``broken``), kept for its error; its student is
    its student cell (the columns before the student's are where they were), "" when it has none."""
    split = len(cells) > len(header) and any("[" in c and "]" not in c for c in cells)
    hint = (': a field with a comma, such as W1[1,2] or [0.1, 0.2], goes in double quotes ("W1[1,2]")'
            if split else "")
    a = col["answer"]
    both = ",".join(cells[a:a + 2]).strip()
    if len(cells) == len(header) + 1 and _COMMA.fullmatch(both):
        hint = f": the decimal comma of {both} split the answer in two (write {both.replace(',', '.')})"
    i = col["student"]
    student = cells[i].strip() if i < len(cells) else ""
    return Submitted(number, student, "", "", "", None,
                     error=broken or f"has {len(cells)} cells, the header has {len(header)}{hint}")
