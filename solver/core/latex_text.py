"""Which characters of plain text (a title) LaTeX can typeset, and how.

The documents are compiled by pdflatex, which reads UTF-8, with the T1 font encoding
(``\\usepackage[T1]{fontenc}``, Latin Modern) and the kernel's TS1 symbols: so

- printable ASCII is typeset as itself, LaTeX's special characters escaped (:data:`SPECIAL`);
- the accented Latin letters, typographic punctuation and text symbols that LaTeX's
  ``t1enc.dfu``, ``ts1enc.dfu``, ``ot1enc.dfu`` and ``omsenc.dfu`` declare (:data:`TEXT_RANGES`)
  are left as they are, for LaTeX's UTF-8 input to map to the font;
- Greek letters and the common mathematical symbols are typeset as math (:data:`MATH`,
  ``\\ensuremath{\\sigma}``);
- anything else (emoji, other scripts, right-to-left text, control characters, a line
  break, combining marks that do not compose) cannot be typeset, and is refused where the
  text is read (``solver/problem/text.py``).

Text is read in Unicode's composed form (NFC) first, so that an ``e`` followed by a
combining acute accent is the ``é`` of the font.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

#: LaTeX's special characters in text.
SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
           "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}

#: The prose commands a problem's text may use outside math (\\emph{word}), and what each
#: marks in a page's own markup: emphasis, strong emphasis, code, or nothing (an upright or
#: sans-serif font, which a page's text already is).
PROSE_STYLES = {"emph": "em", "textit": "em", "textbf": "strong", "texttt": "code", "textrm": "", "textsf": ""}

#: Code point ranges (inclusive) beyond ASCII that LaTeX's UTF-8 input maps to the T1, TS1,
#: OT1 or OMS encodings (read from the .dfu files of TeX Live 2023; format characters left out).
TEXT_RANGES = (
    (0x00A0, 0x00AC), (0x00AE, 0x0125), (0x0128, 0x0137), (0x0139, 0x013E), (0x0141, 0x0148),
    (0x014A, 0x0165), (0x0168, 0x017E), (0x0192, 0x0192), (0x01C4, 0x01D4), (0x01E2, 0x01E3),
    (0x01E6, 0x01EB), (0x01F0, 0x01F0), (0x01F4, 0x01F5), (0x0218, 0x021B), (0x0232, 0x0233),
    (0x0237, 0x0237), (0x02C7, 0x02C7), (0x02D8, 0x02D9), (0x02DB, 0x02DB), (0x02DD, 0x02DD),
    (0x0E3F, 0x0E3F), (0x1E02, 0x1E03), (0x1E0D, 0x1E0D), (0x1E1E, 0x1E21), (0x1E25, 0x1E25),
    (0x1E30, 0x1E31), (0x1E37, 0x1E37), (0x1E43, 0x1E43), (0x1E45, 0x1E45), (0x1E47, 0x1E47),
    (0x1E5B, 0x1E5B), (0x1E63, 0x1E63), (0x1E6D, 0x1E6D), (0x1E8E, 0x1E91), (0x1E9E, 0x1E9E),
    (0x1EF2, 0x1EF3), (0x2010, 0x2016), (0x2018, 0x201A), (0x201C, 0x201E), (0x2020, 0x2022),
    (0x2030, 0x2031), (0x2039, 0x203B), (0x203D, 0x203D), (0x2044, 0x2044), (0x204E, 0x204E),
    (0x2052, 0x2052), (0x20A1, 0x20A1), (0x20A4, 0x20A4), (0x20A6, 0x20A6), (0x20A9, 0x20A9),
    (0x20AB, 0x20AC), (0x20B1, 0x20B1), (0x2103, 0x2103), (0x2116, 0x2117), (0x211E, 0x211E),
    (0x2120, 0x2120), (0x2122, 0x2122), (0x2126, 0x2127), (0x212E, 0x212E), (0x2190, 0x2193),
    (0x2329, 0x232A), (0x2422, 0x2423), (0x25E6, 0x25E6), (0x25EF, 0x25EF), (0x266A, 0x266A),
    (0x27E8, 0x27E9), (0x3008, 0x3009), (0xFB00, 0xFB06),
)

_GREEK_LOWER = ["alpha", "beta", "gamma", "delta", "varepsilon", "zeta", "eta", "theta", "iota", "kappa",
                "lambda", "mu", "nu", "xi", "o", "pi", "rho", "varsigma", "sigma", "tau", "upsilon",
                "varphi", "chi", "psi", "omega"]  # U+03B1 to U+03C9
_GREEK_UPPER = ["A", "B", "Gamma", "Delta", "E", "Z", "H", "Theta", "I", "K", "Lambda", "M", "N", "Xi",
                "O", "Pi", "P", None, "Sigma", "T", "Upsilon", "Phi", "X", "Psi", "Omega"]  # U+0391 to U+03A9

#: Characters typeset as math: each one's math-mode LaTeX (wrapped in ``\ensuremath``).
MATH: dict[str, str] = {
    **{chr(0x03B1 + i): (f"\\{n}" if len(n) > 1 else n) for i, n in enumerate(_GREEK_LOWER)},
    **{chr(0x0391 + i): (f"\\{n}" if len(n) > 1 else f"\\mathrm{{{n}}}")
       for i, n in enumerate(_GREEK_UPPER) if n},
    "\u03d1": r"\vartheta", "\u03d5": r"\phi", "\u03d6": r"\varpi", "\u03f0": r"\varkappa",
    "\u03f1": r"\varrho", "\u03f5": r"\epsilon", "\u03dd": r"\digamma",
    # arrows (← ↑ → ↓ are text symbols, in TEXT_RANGES)
    "↔": r"\leftrightarrow", "↦": r"\mapsto", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow",
    "⇔": r"\Leftrightarrow", "⟶": r"\longrightarrow", "⟵": r"\longleftarrow", "⟹": r"\Longrightarrow",
    "⟺": r"\Longleftrightarrow", "↗": r"\nearrow", "↘": r"\searrow", "↕": r"\updownarrow",
    # relations
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "≡": r"\equiv", "∼": r"\sim",
    "≃": r"\simeq", "≅": r"\cong", "∝": r"\propto", "≪": r"\ll", "≫": r"\gg", "≺": r"\prec",
    "≻": r"\succ", "⊥": r"\perp", "∥": r"\parallel", "∣": r"\mid", "≔": r":=", "≐": r"\doteq",
    "⩽": r"\leqslant", "⩾": r"\geqslant", "≲": r"\lesssim", "≳": r"\gtrsim",
    # sets and logic
    "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊃": r"\supset", "⊆": r"\subseteq",
    "⊇": r"\supseteq", "∪": r"\cup", "∩": r"\cap", "∅": r"\emptyset", "∀": r"\forall",
    "∃": r"\exists", "∄": r"\nexists", "∧": r"\wedge", "∨": r"\vee", "⊤": r"\top", "∖": r"\setminus",
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}",
    "∴": r"\therefore", "∵": r"\because",
    # operators
    "−": "-", "∓": r"\mp", "⋅": r"\cdot", "∙": r"\bullet", "∘": r"\circ", "∗": r"\ast",
    "⊕": r"\oplus", "⊗": r"\otimes", "⊙": r"\odot", "⊖": r"\ominus", "∑": r"\sum", "∏": r"\prod",
    "∫": r"\int", "∮": r"\oint", "∂": r"\partial", "∇": r"\nabla", "√": r"\surd", "∞": r"\infty",
    "′": r"{}^{\prime}", "″": r"{}^{\prime\prime}", "ℓ": r"\ell", "ℏ": r"\hbar", "∠": r"\angle",
    "△": r"\triangle", "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots", "⌈": r"\lceil", "⌉": r"\rceil",
    "⌊": r"\lfloor", "⌋": r"\rfloor", "∆": r"\Delta", "ℵ": r"\aleph",
}


def normalize(text: str) -> str:
    """The text in Unicode's composed form (NFC), as it is checked and typeset."""
    return unicodedata.normalize("NFC", str(text))


def latex_char(char: str) -> str | None:
    """The LaTeX of one (composed) character in text, or ``None`` where it cannot be typeset."""
    if char in SPECIAL:
        return SPECIAL[char]
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return char
    if char in MATH:
        return f"\\ensuremath{{{MATH[char]}}}"
    if any(lo <= code <= hi for lo, hi in TEXT_RANGES):
        return char
    return None


#: Pairs the T1 fonts set as one glyph (``--`` an en dash, ``<<`` a guillemet, ``,,`` a low
#: quote, ``!``` an inverted !): plain text written so is typeset as written, ``-{}-``.
LIGATURES = frozenset({"--", "``", "''", "<<", ">>", ",,", "!`", "?`"})


def text_latex(text: str, missing: Callable[[str], str]) -> str:
    """Plain text as LaTeX, character by character (:func:`latex_char`), a ligature's pair kept
    apart; ``missing`` gives what to write for a character that cannot be typeset."""
    out, before = [], ""
    for c in normalize(text):
        if before + c in LIGATURES:
            out.append("{}")
        tex = latex_char(c)
        out.append(tex if tex is not None else missing(c))
        before = c
    return "".join(out)


def first_unsupported(text: str) -> str | None:
    """The first character of ``text`` (composed) that LaTeX cannot typeset, or ``None``."""
    return next((c for c in normalize(text) if latex_char(c) is None), None)


def describe(char: str) -> str:
    """``U+1F600 (😀)``; a character that would not print as itself on one line (a control
    or format character, a line break, right-to-left, a combining mark) by its name."""
    code = f"U+{ord(char):04X}"
    if char in "\n\r\u2028\u2029\x0b\x0c\x85":
        return f"{code} (a line break)"
    if char == "\t":
        return f"{code} (a tab)"
    category = unicodedata.category(char)
    if category[0] in "CZM" and char != " " or unicodedata.bidirectional(char) in ("R", "AL", "AN"):
        name = unicodedata.name(char, "")
        return f"{code} ({name.lower()})" if name else f"{code} (a control character)"
    return f"{code} ({char})"
