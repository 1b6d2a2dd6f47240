"""Sizes of text: how many characters wide a formula prints in an equation row
(:func:`formula_width`, by which :mod:`.text` breaks rows), and the sizes of the text a
diagram shows, with its LaTeX labels as runs for SVG.

The layout (:mod:`.diagram`) places labels by their boxes in centimetres; the widths
are estimates that err on the wide side for both drawings (Computer Modern in TikZ,
a serif font such as DejaVu Serif or Times in an SVG viewer), so the drawn text stays
inside the box the layout reserved for it."""

from __future__ import annotations

import re
from functools import lru_cache

#: One TeX point in centimetres.
PT = 2.54 / 72.27
#: Sizes in points: node names (TikZ ``\normalsize``), edge labels, tags and notes
#: (``\footnotesize``), as in both drawings.
NAME_PT, LABEL_PT = 10.0, 8.0
#: Sub- and superscripts, as a fraction of the size they sit in (TeX: 0.75; the SVG: 0.8).
SCRIPT = 0.8

_SYMBOLS = {r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\epsilon": "ε", r"\eta": "η",
            r"\theta": "θ", r"\lambda": "λ", r"\mu": "μ", r"\sigma": "σ", r"\tau": "τ", r"\phi": "φ",
            r"\psi": "ψ", r"\omega": "ω", r"\rho": "ρ", r"\kappa": "κ", r"\nu": "ν", r"\xi": "ξ",
            r"\zeta": "ζ", r"\chi": "χ", r"\pi": "π", r"\partial": "∂", r"\mid": "|", r"\times": "×",
            r"\to": "→", r"\,": " ", r"\;": " ", r"\vdots": "⋮", r"\cdot": "·", "$": ""}
# widths in em, the wider of Computer Modern and DejaVu Serif
_WIDE = {" ": 0.33, ".": 0.34, ",": 0.34, "(": 0.42, ")": 0.42, "|": 0.4, "=": 0.84, "+": 0.84, "−": 0.84,
         "×": 0.84, "→": 1.0, "⋮": 0.4, "·": 0.34, "∂": 0.6, "\u0302": 0.0}


def runs(latex: str, math: bool = True) -> list[tuple[str, str]]:
    """LaTeX labels as runs of (text, position): position "" (baseline), "sub" or "sup".
    Handles what names and values use: ``x_{1}``, ``W^{(1)}_{12}``, ``\\hat{y}``,
    ``\\mathit{xw}``, Greek letters, ``\\times 10^{-5}``. In ``math``, a hyphen is a
    minus sign (U+2212)."""
    s = latex
    s = re.sub(r"\\hat\{([^{}]*)\}", lambda m: m.group(1) + "\u0302", s)
    s = re.sub(r"\\(mathit|mathrm|text|operatorname)\{([^{}]*)\}", r"\2", s)
    for k, v in _SYMBOLS.items():
        s = s.replace(k, v)
    if math:
        s = s.replace("-", "\u2212")
    out: list[tuple[str, str]] = []
    i, base = 0, ""
    while i < len(s):
        c = s[i]
        if c in "_^" and i + 1 < len(s):
            pos = "sub" if c == "_" else "sup"
            if base:
                out.append((base, ""))
                base = ""
            if s[i + 1] == "{":
                depth, j = 1, i + 2
                while j < len(s) and depth:
                    depth += {"{": 1, "}": -1}.get(s[j], 0)
                    j += 1
                inner = s[i + 2:j - 1]
                i = j
            else:
                inner, i = s[i + 1], i + 2
            out.append((inner.replace("{", "").replace("}", ""), pos))
        else:
            if c not in "{}":
                base += c
            i += 1
    if base:
        out.append((base, ""))
    return out


def plain(latex: str) -> str:
    """The label's characters, without markup."""
    return "".join(t for t, _ in runs(latex))


def _char(c: str) -> float:
    if c in _WIDE:
        return _WIDE[c]
    if c.isdigit():
        return 0.64
    if c.isupper():
        return 0.82
    return 0.66


def em_width(latex: str, math: bool = True) -> float:
    """The label's width in em of its size (an overestimate)."""
    return sum(_char(c) * (SCRIPT if pos else 1.0) for text, pos in runs(latex, math) for c in text)


def size(latex: str, points: float, math: bool = True) -> tuple[float, float]:
    """Width and height in centimetres of a label set at ``points``, with 1.5 pt of
    padding on every side (the white box behind an edge label)."""
    parts = {pos for _, pos in runs(latex, math)}
    em = points * PT
    height = 1.15 + 0.3 * ("sup" in parts) + 0.25 * ("sub" in parts)
    pad = 2 * 1.5 * PT
    return em_width(latex, math) * em + pad, height * em + pad


_ARRAY = re.compile(r"\\begin\{array\}\{[a-z]*\}(.*?)\\end\{array\}", re.S)
_TEXT = re.compile(r"\\(?:text|mathrm|operatorname|mathit)\{([^{}]*)\}")
_FRACTION = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_SPACE = re.compile(r"\\(?:left|right|textstyle|displaystyle|[Bb]igg?[lr]?|mathopen|mathclose)\b|\\[,;:!]|\{\}")
_COMMAND = re.compile(r"\\[A-Za-z]+")
_DROPPED = re.compile(r"[{}^_\s]")


def _widest_row(m: re.Match) -> str:
    return "x" * max(formula_width(r) for r in m.group(1).split("\\\\"))


def _longer_part(m: re.Match) -> str:
    return max(m.group(1), m.group(2), key=len)


@lru_cache(maxsize=1 << 12)
def _measured(tex: str) -> tuple[int, int, bool]:
    """``tex`` rewritten as :func:`formula_width` describes, measured: (characters other than
    braces, ``^``, ``_`` and white space; spaces; closed). Closed: no rewriting could reach
    past the end of ``tex`` into a text after it (each is one pass of a pattern that holds a
    space only inside braces, or inside a matrix: closed when no matrix is left open and,
    before each pass that acts inside braces, the last brace closes)."""
    closed = True
    if "\\begin{array}" in tex:
        tex = _ARRAY.sub(_widest_row, tex)
        closed = "\\begin{array}" not in tex
    if "\\" in tex:
        tex = tex.replace("\\qquad", "xxxx").replace("\\quad", "xx")
    if "&" in tex:
        tex = tex.replace("&", " ")
    closed = closed and tex.rfind("{") <= tex.rfind("}")
    if "\\" in tex:
        if "t{" in tex or "m{" in tex or "e{" in tex:  # \text{, \mathrm{, \operatorname{, \mathit{
            tex = _TEXT.sub(r"\1", tex)
        for _ in range(3):  # nested fractions, innermost first (a pass that changes nothing ends it)
            closed = closed and tex.rfind("{") <= tex.rfind("}")
            if "frac{" not in tex:
                break
            tex, n = _FRACTION.subn(_longer_part, tex)
            if not n:
                break
        tex = _COMMAND.sub("x", _SPACE.sub("", tex))
    elif "{}" in tex:
        tex = tex.replace("{}", "")
    return len(_DROPPED.sub("", tex)), tex.count(" "), closed


#: Every digit as ``0``: no measure here tells one digit from another (each is one character,
#: a word character to ``\b``; no pattern names a digit), so formulas that differ only in
#: their numbers and indices (``w_{138} x_{18}``, ``w_{712} x_{22}``) share one measuring.
#: (Translated as UTF-8 bytes, several times faster than ``str.translate``: no byte of a
#: character beyond ASCII is an ASCII digit.)
_ZEROS = bytes.maketrans(b"123456789", b"000000000")


def _zeros(tex: str) -> str:
    """``tex`` with every digit 1-9 as ``0``."""
    try:
        return tex.encode().translate(_ZEROS).decode()
    except UnicodeEncodeError:  # a lone surrogate
        return tex.encode("utf-8", "surrogatepass").translate(_ZEROS).decode("utf-8", "surrogatepass")


def formula_width(tex: str) -> int:
    """Roughly how many characters wide the LaTeX formula ``tex`` prints: a command counts as
    one character, a matrix as its widest row, a fraction as its longer part, sub- and
    superscripts in full (an over-estimate: rows are broken a little early rather than late)."""
    chars, spaces, _ = _measured(_zeros(tex))
    return chars + spaces // 2


def formula_extent(tex: str, cap: int) -> tuple[int, int, bool]:
    """:func:`_measured`, but found word by word (at single spaces outside braces), and only
    up to ``cap``: (``cap`` + 1, 0, False) for a formula wider than that. A formula whose
    words (but the last) are closed measures as the sum of its words and the spaces between
    them, so the words of long sums (terms, signs, numbers), which recur, are measured once,
    and a long sum only as far as it matters. Measured with its digits as ``0`` (:data:`_ZEROS`)."""
    return _extent(_zeros(tex), cap)


@lru_cache(maxsize=1 << 12)
def _extent(tex: str, cap: int) -> tuple[int, int, bool]:
    """:func:`formula_extent` of a formula whose digits are all ``0``."""
    if " " not in tex or "\\begin{array}" in tex:
        return _measured(tex)
    chars, spaces, closed, word, depth = 0, -1, True, [], 0
    for piece in tex.split(" "):
        if depth or "{" in piece:
            word.append(piece)
            depth += piece.count("{") - piece.count("}")
            if depth > 0:
                continue
            piece, word, depth = " ".join(word), [], 0
        if not closed:
            return _measured(tex)
        n, s, closed = _measured(piece)
        chars, spaces = chars + n, spaces + s + 1
        if closed and chars + spaces // 2 > cap:  # a lower bound of the whole
            return cap + 1, 0, False
    if word:
        if not closed:
            return _measured(tex)
        n, s, closed = _measured(" ".join(word))
        chars, spaces = chars + n, spaces + s + 1
    return chars, spaces, closed
