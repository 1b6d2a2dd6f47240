"""Text that reaches LaTeX (a title; a statement, a question's text): the first character
that cannot be typeset, and the field types that refuse it with a one-line error naming
the character. The table is :mod:`solver.core.latex_text`'s, the one the
LaTeX output escapes by, so what validates is what compiles. The field types refuse too a
LaTeX command or environment not on the allow-list of :mod:`.commands`, naming it."""

from __future__ import annotations

import re

from ..core.latex_text import describe, first_unsupported
from .commands import refused
from .conversion import CustomType, converter
from .fields import shown

_HINT = ("a title holds letters (accented Latin ones too), digits, punctuation, Greek letters and common "
         "math symbols, on one line")


def unsupported(text: str) -> str | None:
    """The first character of ``text`` that LaTeX cannot typeset (a line break included:
    a title is one line), or ``None``."""
    return first_unsupported(text)


def check_typesettable(text: str, hint: str = _HINT) -> str:
    """``text`` itself, or a ValueError naming its first character that cannot be typeset
    (``hint`` says what the field holds)."""
    bad = unsupported(text)
    if bad is not None:
        raise ValueError(f"the character {describe(bad)} cannot be typeset; {hint}")
    return text


class TexText(CustomType):
    """A one-line text that LaTeX can typeset (the error names the field, as validation words it)."""


@converter(TexText, str)
def _tex_text(v) -> str:
    if not isinstance(v, str):
        raise ValueError(f"got {shown(v)}; input should be a valid string")
    return _check_commands(check_typesettable(str(v)))  # a title is in the exports' text too


class TexProse(CustomType):
    """LaTeX prose of one or more lines (a statement, a question's text), whose characters LaTeX
    can typeset: a control character, a lone surrogate or an emoji is refused when the file is
    read, not by pdflatex (or by the writer, for a surrogate) once the key is made."""


_PROSE_HINT = ("a statement or a question's text holds letters (accented Latin ones too), digits, punctuation, Greek letters, "
               "common math symbols and LaTeX, on lines of their own")


def _check_commands(v: str) -> str:
    """``v`` itself, or a ValueError naming its first LaTeX command (or environment) that is
    not on the allow-list of :mod:`.commands`."""
    why = refused(v)
    if why:
        raise ValueError(why)
    return v


@converter(TexProse, str)
def _tex_prose(v) -> str:
    if not isinstance(v, str):
        raise ValueError(f"got {shown(v)}; input should be a valid string")
    check_typesettable(v.replace("\r\n", "\n").replace("\n", " ").replace("\t", " "), _PROSE_HINT)  # lines allowed
    _check_commands(v)
    why = loose_special(v)
    if why:
        raise ValueError(why)
    return v


#: TeX's special characters that prose outside math cannot hold as they are: what each does
#: there, and what to write instead.
_LOOSE = {
    "%": "starts a LaTeX comment, which hides the rest of the line in the PDF: write \\% for a percent sign",
    "&": "stops the PDF (it separates the columns of an array): write \\& for an ampersand",
    "#": "stops the PDF (it is a macro's parameter): write \\# for a number sign",
    "_": "outside $…$ stops the PDF: put the formula between $…$ ($x_1$), or write \\_ for an underscore",
    "^": "outside $…$ stops the PDF: put the formula between $…$ ($x^2$)",
}


def loose_special(text: str) -> str | None:
    """Why ``text`` (LaTeX prose) cannot be typeset as written: its first ``% & # _ ^`` outside
    math that no backslash escapes (``\\given{path}``'s path aside), or ``None``."""
    if not any(c in text for c in _LOOSE):
        return None
    spans = math_spans(text)
    for m in re.finditer(r"\\given\{[^{}]*\}|\\.|[%&#_^]", text, re.S):
        c = m.group()
        if c in _LOOSE and not any(a <= m.start() < b for a, b in spans):
            near = text[max(0, m.start() - 12):m.end() + 12].replace("\n", " ").strip()
            return f"the character {c} in '{near}' {_LOOSE[c]}"
    return None


#: What opens or closes math in LaTeX prose: ``$``, ``$$``, ``\(``, ``\)``, ``\[``, ``\]``; an
#: escaped ``\$`` and a row break ``\\`` (before ``[2pt]``) are neither. As text: compiled (and
#: kept in ``re``'s cache) when first used, not by every run that imports this module.
_MATH_TOKEN = r"\\\\|\\\$|\$\$|\$|\\\(|\\\)|\\\[|\\\]"


def math_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each stretch of ``text`` that LaTeX reads as math (their
    delimiters left out); a formula left open runs to the end."""
    spans, start = [], None
    for m in re.finditer(_MATH_TOKEN, text):
        token = m.group()
        if token in ("\\\\", "\\$"):
            continue
        if start is None and token in ("$", "$$", "\\(", "\\["):
            start, closer = m.end(), {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}[token]
        elif start is not None and token == closer:
            spans.append((start, m.start()))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans
