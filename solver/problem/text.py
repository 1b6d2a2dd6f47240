"""Plain text that reaches LaTeX (a problem's or a question's title): the first
character that cannot be typeset, and the field type that refuses it with a one-line
error naming the character. The table is :mod:`solver.core.latex_text`'s, the one the
LaTeX output escapes by, so what validates is what compiles."""

from __future__ import annotations

from ..core.latex_text import describe, first_unsupported
from .conversion import CustomType, converter
from .fields import shown

_HINT = ("a title holds letters (accented Latin ones too), digits, punctuation, Greek letters and common "
         "math symbols, on one line")


def unsupported(text: str) -> str | None:
    """The first character of ``text`` that LaTeX cannot typeset (a line break included:
    a title is one line), or ``None``."""
    return first_unsupported(text)


def check_typesettable(text: str) -> str:
    """``text`` itself, or a ValueError naming its first character that cannot be typeset."""
    bad = unsupported(text)
    if bad is not None:
        raise ValueError(f"the character {describe(bad)} cannot be typeset; {_HINT}")
    return text


class TexText(CustomType):
    """A one-line text that LaTeX can typeset (the error names the field, as validation words it)."""


@converter(TexText, str)
def _tex_text(v) -> str:
    if not isinstance(v, str):
        raise ValueError(f"got {shown(v)}; input should be a valid string")
    return check_typesettable(str(v))
