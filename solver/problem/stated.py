"""The numbers a problem's text states, for the check that no variant's paper says in its
statement what its own Given section contradicts (:mod:`solver.key.stated_check`): each
``name = number`` (``x_1 = 1``, ``b^{(1)} = 0.1``, ``x1=1``, ``(x_1, x_2) = (1, 2)``,
``x = (1, 2)``), each tuple of numbers (``(0, 1)``, ``[0, 1]^T``, a one-row or one-column
``pmatrix``), and each decimal that is not a whole number, in math or in prose. Whole numbers
alone (``a 2-2-2 network``, ``1 hidden layer``, ``class 2``) are not read: they count things.

Read by regular expressions, the numbers by :func:`~solver.core.numbers.parse_number`
(exact: ``0.10`` is 1/10); nothing in the text is evaluated.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import sympy as sp

from ..core.numbers import parse_number
from .placeholders import GIVEN
from .text import math_spans

_NUM = r"-?(?:\\[dt]?frac\s*\{\s*\d+\s*\}\s*\{\s*\d+\s*\}|\d+(?:\{,\}\d{3})*(?:\.\d+)?(?:/\d+)?|\.\d+)"
#: A number standing alone: not a subscript's, a word's or a longer number's digits, no unit after it.
_ALONE = r"(?<![\w.^_])" + _NUM + r"(?![\w.]*\d)(?![A-Za-z_])"
_TUPLE = rf"[(\[]\s*{_NUM}(?:\s*,\s*{_NUM})+\s*[)\]]"
_MATRIX = r"\\begin\{(?P<env>[pbvBV]?matrix)\}(?P<cells>[\s\S]*?)\\end\{(?P=env)\}"
_WRAPPED = (r"\\(?:mathbf|boldsymbol|bm|mathrm|mathit|mathsf|vec|hat|bar|tilde|widehat|overline|dot|operatorname)"
            r"\s*\{[^{}]*\}")
_SCRIPT = r"\s*[_^]\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z0-9]|\\[A-Za-z]+)"
_NAME = rf"(?<![\w\\])(?:{_WRAPPED}|\\[A-Za-z]+|[A-Za-z]+\d*)(?:{_SCRIPT})*(?:\[\d+(?:,\s*\d+)?\])?"
_ASSIGN = re.compile(rf"(?P<lhs>\(\s*{_NAME}(?:\s*,\s*{_NAME})+\s*\)|{_NAME})\s*(?::=|=|\\coloneqq)\s*"
                     rf"(?P<rhs>{_TUPLE}|{_MATRIX}|{_NUM})")
_BARE_TUPLE = re.compile(rf"(?<![\w}}])(?:{_TUPLE}|{_MATRIX})")
_BARE = re.compile(_ALONE)
_SPLIT_NAMES = re.compile(rf"{_NAME}")
#: Before a tuple that is an interval, not a value: ``\in [0, 1]``, ``in $(0, 1)$``, ``range [-1, 1]``.
_INTERVAL = re.compile(r"(?:\\in|\b(?:in|interval|range|between|within|on))\s*(?:\$\s*)?$")
#: What the text's layout is made of, blanked before reading: ``\left``, thin spaces, the lengths
#: and options of spacing and box commands (``\hspace{0.5em}``, ``\\[2pt]``, ``\scalebox{0.8}``).
_LAYOUT = re.compile(r"\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])|\\[,;:!]|~|"
                     r"\\(?:[hv]space\*?|scalebox|resizebox|rotatebox|raisebox|rule|kern|[hv]skip|includegraphics"
                     r"|setlength|addtolength|linespread)\s*(?:\[[^\]]*\]\s*|\{[^{}]*\}\s*)*|(?<=\\\\)\s*\[[^\]]*\]")
#: After a number in math, what makes it a term of a formula rather than a value stated.
_GOES_ON_MATH = re.compile(r"\s*(?:[A-Za-z0-9_^*/+\-(]|\\(?!(?:quad|qquad|text|mbox|mathrm|end|to|rightarrow|"
                           r"mapsto|\\|[ ,;:!]|\$)(?![A-Za-z])))")
_GOES_ON_PROSE = re.compile(r"\s*[*/+\-^]")


class Stated(NamedTuple):
    """A number or tuple the text states: where, as written, the names on its left (none for
    a bare number or tuple) and the exact values."""

    start: int
    source: str
    names: tuple[str, ...]
    values: tuple[sp.Rational, ...]


def stated(text: str) -> list[Stated]:
    """What ``text`` states, in the order written."""
    plain = _plain(text)
    math = bytearray(len(plain) + 1)  # 1 where LaTeX reads math
    for a, b in math_spans(plain):
        math[a:b] = b"\1" * (b - a)
    taken = bytearray(len(plain) + 1)  # 1 where a value already read stands
    found: list[Stated] = []
    for m in _ASSIGN.finditer(plain):
        lhs, rhs = m.group("lhs"), m.group("rhs")
        values = _values(rhs)
        if values is None or _continues(plain, m.end(), math[m.start("rhs")], rhs) \
                or (math[m.start()] and _part_of(plain[max(0, m.start() - 40):m.start()])):
            continue
        names = tuple(n.group() for n in _SPLIT_NAMES.finditer(lhs)) if lhs.startswith("(") else (lhs,)
        found.append(Stated(m.start(), _source(text, m.start(), m.end()), names, values))
        taken[m.start("rhs"):m.end()] = b"\1" * (m.end() - m.start("rhs"))
    for m in _BARE_TUPLE.finditer(plain):
        values = _values(m.group())
        if not taken[m.start()] and values is not None and not _INTERVAL.search(plain[max(0, m.start() - 20):m.start()]):
            found.append(Stated(m.start(), _source(text, m.start(), m.end()), (), values))
            taken[m.start():m.end()] = b"\1" * (m.end() - m.start())
    for m in _BARE.finditer(plain):
        if not taken[m.start()] and "." in m.group():
            values = _values(m.group())
            if values is not None and not values[0].is_integer:
                found.append(Stated(m.start(), _source(text, m.start(), m.end()), (), values))
    return sorted(found, key=lambda s: s.start)


def _plain(text: str) -> str:
    """``text`` with its placeholders and layout blanked (the same length, so that a position
    is the same in both) and a typographic minus made ``-``."""
    blank = lambda m: " " * len(m.group())  # noqa: E731
    return _LAYOUT.sub(blank, re.sub(GIVEN, blank, text)).replace("\u2212", "-")


def _continues(plain: str, end: int, math: bool, rhs: str) -> bool:
    """Whether the number ending at ``end`` goes on into a formula (``z = 0.5 x``)."""
    if rhs.startswith(("(", "[", "\\begin")):  # a tuple: ``(1, 2)^T`` is still the tuple
        return False
    return bool((_GOES_ON_MATH if math else _GOES_ON_PROSE).match(plain, end))


def _part_of(before: str) -> bool:
    """Whether a name after ``before`` (in math) is a term of a formula (``w_1 x_1 + b = 0.1``),
    not the name of the value stated."""
    tail = before.rstrip()
    if re.search(r"\\(?:cdot|times)$", tail):
        return True
    if not tail or re.search(r"\\[A-Za-z]+$", tail):  # after \quad, \text, …
        return False
    return tail[-1].isalnum() or tail[-1] in "+-*/^_)"


def _values(text: str) -> tuple[sp.Rational, ...] | None:
    """The exact numbers of a number, a tuple or a one-row or one-column matrix; ``None`` when
    it is none of these."""
    m = re.fullmatch(_MATRIX, text)
    if m:
        rows = [[c.strip() for c in r.split("&")] for r in re.split(r"\\\\", m.group("cells")) if r.strip()]
        if not rows or (len(rows) > 1 and any(len(r) > 1 for r in rows)):
            return None
        cells = [c for r in rows for c in r]
    elif text[:1] in "([":
        cells = [c.strip() for c in text[1:-1].split(",")]
    else:
        cells = [text]
    try:
        return tuple(_number(c) for c in cells)
    except ValueError:
        return None


def _number(text: str) -> sp.Rational:
    m = re.fullmatch(r"(-?)\\[dt]?frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}", text)
    if m:
        return parse_number(f"{m.group(1)}{m.group(2)}/{m.group(3)}")
    if not re.fullmatch(_NUM, text):
        raise ValueError(text)
    return parse_number(text.replace("{,}", ""))


def _source(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())
