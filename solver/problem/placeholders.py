"""``\\given{path}`` in a problem's text: the value at ``path`` written in its place, as the
Given section writes it (``0.1``, ``-0.3``, ``\\frac{1}{3}``; a vector, or the inputs by name,
``(0, 1)``), in math (a placeholder in prose gets its own ``$…$``; in a title, which is plain
text, the number as a file writes it). A statement can then say a value that ``randomize``
draws: each variant's paper says its own, and ``nnsolve solve`` the file's.

The title, the statement and each question's title and text are filled once validation has
built the problem, so every stage after it (the key, the papers, the exports) reads the
filled text. Only a path reads (names and [index], :data:`~.randomize.PATH_RE`, looked up in
the validated problem): nothing in the text is evaluated.
"""

from __future__ import annotations

import re

import sympy as sp
from msgspec.structs import replace

from ..core.errors import ProblemError
from ..core.numbers import written_latex
from .fields import quoted, written
from .randomize import PATH_RE, lookup
from .text import math_spans

#: ``\given{path}``, a command no backslash escapes (``\\given`` is a row break and a word); as
#: text, compiled (and kept in ``re``'s cache) when a text first holds ``\given{``.
GIVEN = r"(?<!\\)((?:\\\\)*)\\given\{([^{}]*)\}"


def texts(problem) -> list[tuple[str, str, bool]]:
    """(field, text, LaTeX or not) of every text a paper shows: the title, the statement, each
    question's title and text (a validated problem, or its plain data)."""
    get = (lambda o, k: o.get(k)) if isinstance(problem, dict) else getattr  # noqa: E731
    out = [("title", get(problem, "title"), False), ("statement", get(problem, "statement"), True)]
    for qi, q in enumerate(get(problem, "questions") or []):
        if isinstance(q, dict) or not isinstance(problem, dict):
            out += [(f"questions[{qi}].title", get(q, "title"), False), (f"questions[{qi}].text", get(q, "text"), True)]
    return [(field, text, latex) for field, text, latex in out if isinstance(text, str) and text]


def fill(problem, file: str | None = None):
    """``problem`` with each ``\\given{path}`` of its texts replaced by the value at the path
    (``problem`` itself when it has none).

    Raises:
        ProblemError: naming the field, a placeholder whose path leads nowhere or to what is not
            a number or a vector.
    """
    found = {field: _filled(text, problem, latex, field, file)
             for field, text, latex in texts(problem) if "\\given{" in text}
    if not found:
        return problem
    questions = [replace(q, **{k: found[f"questions[{qi}].{k}"] for k in ("title", "text")
                               if f"questions[{qi}].{k}" in found})
                 for qi, q in enumerate(problem.questions)]
    return replace(problem, questions=questions,
                   **{k: found[k] for k in ("title", "statement") if k in found})


def _filled(text: str, problem, latex: bool, field: str, file: str | None) -> str:
    spans = math_spans(text) if latex else []
    out, last = [], 0
    for m in re.finditer(GIVEN, text):
        shown = _shown(_value(problem, m.group(2).strip(), field, file), latex)
        inside = any(a <= m.start() < b for a, b in spans)
        out.append(text[last:m.start()] + m.group(1) + (f"${shown}$" if latex and not inside else shown))
        last = m.end()
    return "".join(out) + text[last:]


def _number(v) -> bool:
    return isinstance(v, sp.Rational) or (isinstance(v, int) and not isinstance(v, bool))


def _value(problem, path: str, field: str, file: str | None):
    def fail(message: str) -> ProblemError:
        return ProblemError(f"\\given{{{path}}}: {message}", file=file, field=field)

    if not re.fullmatch(PATH_RE, path):
        raise fail(f"{quoted(path)} is not a path into the problem (names and [index], for example "
                   "network.inputs.x1)")
    try:
        value = lookup(problem, path)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if value is None:
        raise fail(f"'{path}' is not given in the problem")
    if isinstance(value, dict):  # the inputs, by name: their values in order
        value = list(value.values())
    if not (_number(value) or isinstance(value, list) and all(map(_number, value))):
        matrix = isinstance(value, list) and isinstance(value[0], list)
        raise fail(f"'{path}' holds {'a matrix' if matrix else 'no number'}, not a number or a vector: name one "
                   "number" + (f" (for example {path}[0][0])" if matrix else ""))
    return value


def _shown(value, latex: bool) -> str:
    one = (lambda v: written_latex(v) if isinstance(v, sp.Rational) else str(v)) if latex else \
        (lambda v: written(v) if isinstance(v, sp.Rational) else str(v))
    return f"({', '.join(map(one, value))})" if isinstance(value, list) else one(value)
