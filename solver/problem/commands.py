"""The LaTeX a problem's text may use (a statement, a question's text, a title): an
allow-list of the commands and environments an instructor writes in a neural-network
exercise, each one that the key's preamble typesets (``amsmath``, ``amssymb``; article and
exam class) and that MathJax's TeX input renders (its ``base`` and ``ams`` packages, which
Moodle's, Canvas's and PrairieLearn's MathJax load), since the exports hand that text to a
learning-management system's MathJax as it is. Everything else is refused when the file is
read: MathJax's links, styles and extensions (``\\href``, ``\\style``, ``\\bbox``,
``\\unicode``, ``\\require`` …), TeX's file, macro and catcode commands (``\\input``,
``\\write``, ``\\def``, ``\\catcode`` …), and any command neither knows, which would stop the
PDF. ``^^`` is refused too: TeX reads ``^^5c`` as a backslash, a command the scan would
not see.

Which mode a command belongs to (``\\alpha`` outside ``$…$``) is LaTeX's to say when the PDF
is built, not this list's. The prose commands (:data:`PROSE`) are for text outside math,
which the exports leave as it is (MathJax reads only math)."""

from __future__ import annotations

import re

from ..core.latex_text import PROSE_STYLES

#: Greek letters (the ones LaTeX has: no \omicron).
GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
    pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
    Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega""".split())

#: Math: fonts, fractions and roots, accents, big operators, named functions, delimiters
#: and their sizes, binary operators, relations, arrows, dots, spacing, symbols.
MATH = frozenset("""
    mathbf mathrm mathit mathsf mathtt mathcal mathbb mathfrak boldsymbol operatorname text mbox
    frac dfrac tfrac binom dbinom tbinom sqrt
    hat widehat bar overline tilde widetilde vec dot ddot check underline overbrace underbrace overset underset
    stackrel substack
    sum prod int lim limits nolimits
    exp log ln lg sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth
    max min arg sup inf det dim ker deg gcd Pr liminf limsup bmod pmod
    left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr
    langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert vert Vert lbrace rbrace backslash
    cdot times div pm mp ast star circ bullet odot otimes oplus ominus setminus cap cup wedge vee
    leq geq le ge leqslant geqslant neq ne approx sim simeq cong equiv propto ll gg in notin ni
    subset subseteq supset supseteq mid parallel perp triangleq not colon
    to gets rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow longrightarrow
    longleftarrow Longrightarrow mapsto implies iff uparrow downarrow
    ldots cdots vdots ddots dots
    quad qquad displaystyle textstyle phantom hline
    partial nabla infty forall exists emptyset varnothing prime ell top bot intercal neg lnot dagger checkmark
    begin end""".split()) | GREEK

#: Prose, outside math: emphasis and type styles (MathJax knows all but \\emph in math too).
PROSE = frozenset(PROSE_STYLES)

COMMANDS = MATH | PROSE

#: Placeholders, written in their place when the problem is read (``\\given{path}``, the value at
#: a path: :mod:`.placeholders`): they reach neither the PDF nor MathJax.
PLACEHOLDERS = frozenset({"given"})

#: Control symbols (a backslash and one character): spacing (``\\,`` ``\\;`` ``\\:`` ``\\!``, a
#: control space), escaped specials (``\\%`` ``\\$`` ``\\&`` ``\\_`` ``\\#`` ``\\{`` ``\\}``), ``\\|``
#: and ``\\\\``, a row (or line) break.
SYMBOLS = frozenset(",;:! \n\t%$&_#{}|\\")

#: The environments ``\\begin`` may open: math's arrays, matrices and alignments.
ENVIRONMENTS = ("matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix", "cases",
                "aligned", "gathered", "array")

#: MathJax's own commands, which act in a page: a link (``javascript:`` too), CSS, data
#: attributes, HTML, tooltips and toggles, extensions loaded, macros defined.
ACTIVE = frozenset("""href url style class cssId data require bbox unicode mmlToken texttip toggle html tooltip
    mathtip action color colorbox fcolorbox def newcommand renewcommand let""".split())

_ACTIVE_WHY = "the PDF has no links or styles, and a learning-management system's MathJax would act on it"
_WHY = ("problem text uses only the LaTeX math and text commands that both the PDF and the exports' MathJax "
        "typeset (the README lists them)")
#: Control symbols that have a better spelling, and what it is.
_INSTEAD = {"[": "write display math as $$…$$", "]": "write display math as $$…$$",
            "(": "write inline math as $…$", ")": "write inline math as $…$",
            "'": "write the accented letter itself (é)", '"': "write the accented letter itself (ö)",
            "`": "write the accented letter itself (è)", "^": "write the accented letter itself (ê)",
            "~": "write the accented letter itself (ñ)"}
#: A command: a backslash and its letters, or one other character (``\\\\`` is one), or nothing.
_COMMAND = re.compile(r"\\([A-Za-z]+|.|\Z)", re.S)
_ENVIRONMENT = re.compile(r"\s*\{([^{}]*)\}")


def _shown(name: str) -> str:
    return {"\n": "\\ and a line break", "\t": "\\ and a tab", "": "\\ at the end"}.get(name, "\\" + name)


def refused(text: str) -> str | None:
    """Why ``text`` cannot be problem text (the first command or environment not allowed,
    or ``^^``), or ``None``."""
    if "^^" in text:
        return ("the characters ^^ are not allowed: TeX reads ^^ and two hex digits as another character "
                "(^^5c is a backslash)")
    for m in _COMMAND.finditer(text):
        name = m.group(1)
        if name in ("begin", "end"):
            env = _ENVIRONMENT.match(text, m.end())
            if env is None or env.group(1) not in ENVIRONMENTS:
                shown = f"'{env.group(1)}'" if env else "with no name in braces"
                return (f"the environment {shown} (\\{name}) is not allowed: problem text uses only the math "
                        f"environments {', '.join(ENVIRONMENTS[:-1])} and {ENVIRONMENTS[-1]}")
        elif name not in COMMANDS and name not in PLACEHOLDERS and not (len(name) == 1 and name in SYMBOLS):
            if name in ACTIVE:
                return f"the command \\{name} is not allowed: {_ACTIVE_WHY}"
            if name in _INSTEAD:
                return f"the command {_shown(name)} is not allowed: {_INSTEAD[name]}"
            import difflib  # a misspelt command's hint, only on this error path

            close = difflib.get_close_matches(name, COMMANDS, n=1, cutoff=0.8) if len(name) > 2 else []
            hint = f" (did you mean \\{close[0]}?)" if close else ""
            return f"the command {_shown(name)} is not allowed{hint}: {_WHY}"
    return None
