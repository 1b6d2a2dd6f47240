"""A problem's LaTeX prose (a statement, a question's text) outside its math, in the
Markdown and HTML keys: the prose commands of the allow-list (``\\emph{word}``,
``\\textbf``, ``\\texttt``; :data:`~solver.core.latex_text.PROSE_STYLES`) as the page's own
emphasis, strong emphasis and code, and TeX's quotes (````word''``) as the characters they
print. Math is left as it is, for the page's MathJax (Markdown) or MathML (HTML)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..core.latex_text import PROSE_STYLES
from ..problem.text import math_spans

_STYLE = re.compile(r"\\(%s)\{([^{}]*)\}" % "|".join(PROSE_STYLES))
#: TeX's escaped specials, each the character it prints (in code, where no escape is read).
_ESCAPED = re.compile(r"\\([_%&#${}])")
#: Markdown's marks: emphasis, strong emphasis, code (a code span reads no escapes).
_MD = {"em": lambda t: f"*{t}*", "strong": lambda t: f"**{t}**", "code": lambda t: "`" + _ESCAPED.sub(r"\1", t) + "`",
       "": lambda t: t}
#: HTML's elements, for text already escaped.
_HTML = {"em": lambda t: f"<em>{t}</em>", "strong": lambda t: f"<strong>{t}</strong>",
         "code": lambda t: f"<code>{t}</code>", "": lambda t: t}


def styled(text: str, marks: dict[str, Callable[[str], str]]) -> str:
    """``text`` with each prose command as ``marks`` writes its kind of style, the innermost
    first (``\\textbf{a \\emph{b}}``)."""
    while "\\" in text:
        new = _STYLE.sub(lambda m: marks[PROSE_STYLES[m[1]]](m[2]), text)
        if new == text:
            break
        text = new
    return text


def typographic(text: str) -> str:
    """TeX's quotes, dashes and ties as the characters they print: ````a''`` is “a”, a lone
    ```a'`` is ‘a', ``---`` and ``--`` are — and –, ``~`` a no-break space."""
    text = text.replace("``", "\u201c").replace("''", "\u201d").replace("`", "\u2018")
    return text.replace("---", "\u2014").replace("--", "\u2013").replace("~", "\u00a0")


def md_prose(text: str) -> str:
    """A problem's prose for the Markdown key: outside math, the prose commands as Markdown's
    ``*…*``, ``**…**`` and code spans, TeX's quotes, dashes and ties as their characters."""
    if not text:
        return text or ""
    out, last = [], 0
    for a, b in math_spans(text):  # a formula's delimiters are in the prose around it, untouched
        out.append(_md_piece(text[last:a]) + text[a:b])
        last = b
    return "".join(out) + _md_piece(text[last:])


def _md_piece(text: str) -> str:
    return styled(typographic(text), _MD)


def html_styles(text: str) -> str:
    """Escaped HTML prose (:func:`~.html_math.tex_text`) with its prose commands as elements."""
    return styled(text, _HTML)
