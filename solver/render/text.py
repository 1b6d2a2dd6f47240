"""Text helpers of the templates: how an equation breaks into aligned rows (Python
decides, the templates only place the strings). Escaping plain text belongs to each
format (:mod:`.formats`)."""

from __future__ import annotations

import re

from ..key.model import Equation

_WIDTH = 64


_ARRAY = re.compile(r"\\begin\{array\}\{[a-z]*\}(.*?)\\end\{array\}", re.S)
_TEXT = re.compile(r"\\(?:text|mathrm|operatorname|mathit)\{([^{}]*)\}")
_FRACTION = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_SPACE = re.compile(r"\\(?:left|right|textstyle|displaystyle|[Bb]igg?[lr]?|mathopen|mathclose)\b|\\[,;:!]|\{\}")
_COMMAND = re.compile(r"\\[A-Za-z]+")


def _visual_length(tex: str) -> int:
    """Roughly how many characters wide ``tex`` prints: a command counts as one character,
    a matrix as its widest row, a fraction as its longer part, sub- and superscripts in full
    (an over-estimate: rows are broken a little early rather than late)."""
    tex = _ARRAY.sub(lambda m: "x" * max(_visual_length(r) for r in m.group(1).split("\\\\")), tex)
    tex = tex.replace("\\qquad", "xxxx").replace("\\quad", "xx").replace("&", " ")
    tex = _TEXT.sub(lambda m: m.group(1), tex)
    for _ in range(3):  # nested fractions, innermost first
        tex = _FRACTION.sub(lambda m: max(m.group(1), m.group(2), key=len), tex)
    tex = _SPACE.sub("", tex)
    tex = _COMMAND.sub("x", tex)
    return len(re.sub(r"[{}^_\s]", "", tex)) + tex.count(" ") // 2


def math_rows(eq: Equation, width: int = _WIDTH) -> list[tuple[str, str, str]]:
    """Break an equation into aligned rows ``(lhs, relation, rhs)``.

    Parts stay on the first row while it is shorter than ``width`` visible characters."""
    rows: list[tuple[str, str, str]] = []
    lhs, rel, cur = eq.lhs, None, ""
    length = _visual_length(eq.lhs)
    for r, tex in eq.parts:
        piece_len = _visual_length(tex) + 3
        if rel is None:
            rel, cur, length = r, tex, length + piece_len
            continue
        tagged = "&&" in tex or "&&" in cur  # a step with its tag column stands on a row of its own
        if length + piece_len > width or (r == "+" and rel == "+") or tagged:
            rows.append((lhs, rel, cur))
            lhs, rel, cur, length = "", r, tex, _visual_length(eq.lhs) + piece_len
        else:
            cur += f" {r} {tex}"
            length += piece_len
    rows.append((lhs, rel or "", cur))
    return rows


def _delimiter(tex: str, i: int) -> int:
    """+1 at an opening ``{``, ``(`` or ``\\left``, -1 at a closing one, else 0 (the
    delimiter after ``\\left``/``\\right`` counts with it, not again)."""
    for word, step in (("\\left", 1), ("\\right", -1)):
        if tex.startswith(word, i) and not tex[i + len(word):i + len(word) + 1].isalpha():
            return step
    if tex[i] in "()" and tex[max(0, i - 6):i].endswith(("\\left", "\\right")):
        return 0
    return {"{": 1, "}": -1, "(": 1, ")": -1}.get(tex[i], 0)


_SUM = (" + ", " - ")
#: Where a long product of matrices may go on in the next row: before ⊙ or a matrix factor
#: (never inside a product of scalars, nor after a product sign).
_PRODUCT = (" \\odot ", " \\left[")
_OPERATORS = ("\\odot", "\\cdot", "\\times")


def _top_terms(tex: str, at: tuple[str, ...] = _SUM) -> list[str]:
    """``tex`` cut before each of ``at`` (a sum's ``+``/``-``) that stands outside every brace
    and ``\\left…\\right`` pair (each piece after the first begins with its sign)."""
    depth, cuts = 0, []
    for i in range(len(tex)):
        depth += _delimiter(tex, i)
        if depth == 0 and i > 0 and tex.startswith(at, i) and not tex[:i].endswith(_OPERATORS):
            cuts.append(i)
    return [tex[a:b].strip() for a, b in zip([0] + cuts, cuts + [len(tex)])]


def _outer_group(tex: str) -> tuple[str, str, str] | None:
    """The longest top-level ``\\left( … \\right)`` of ``tex`` whose content is a sum, as
    (before, content, after); ``None`` if there is none."""
    best, depth, start = None, 0, None
    for i in range(len(tex)):
        step = _delimiter(tex, i)
        if step == 1 and depth == 0 and tex.startswith("\\left(", i):
            start = i
        depth += step
        if step == -1 and depth == 0 and start is not None and tex.startswith("\\right)", i):
            inner = tex[start + 6:i]
            if len(_top_terms(inner)) > 1 and (best is None or len(inner) > len(best[1])):
                best = (tex[:start], inner, tex[i + 7:])
            start = None
    return best


def _pack(terms: list[str], width: int) -> list[str]:
    rows = [terms[0]]
    for t in terms[1:]:
        if _visual_length(rows[-1]) + _visual_length(t) + 1 > width:
            rows.append(t)
        else:
            rows[-1] += " " + t
    return rows


def break_long(tex: str, width: int) -> list[str]:
    """A right-hand side too long for one row, cut into rows at the signs of its sum, or of
    the sum inside its outermost parentheses (which become ``\\Bigl( … \\Bigr)``, since
    ``\\left``/``\\right`` cannot span rows). Unchanged when it fits or has no such sum."""
    if _visual_length(tex) <= width:
        return [tex]
    for at in (_SUM, _PRODUCT):
        terms = _top_terms(tex, at)
        if len(terms) > 1:
            return _pack(terms, width)
    group = _outer_group(tex)
    if group is None:
        return [tex]
    before, inner, after = group
    rows = _pack(_top_terms(inner), width)
    if len(rows) == 1:
        return [tex]
    rows[0] = f"{before}\\Bigl({rows[0]}"
    rows[-1] = f"{rows[-1]}\\Bigr){after}"
    return rows


def aligned(equations, width: int = _WIDTH, breaks: bool = False) -> str:
    """The body of an ``aligned``/``align*`` environment for several equations; a row too
    long for ``width`` goes on in indented rows (:func:`break_long`). With ``breaks`` (LaTeX's
    ``align*``, not Markdown's ``aligned``) a page may break between two equations, never
    inside one (``\\displaybreak[0]``)."""
    equations_rows = []
    for eq in equations:
        lines = []
        for lhs, rel, rhs in math_rows(eq, width):
            first, *more = break_long(rhs, width - min(_visual_length(eq.lhs), width // 2))
            lines.append(f"{lhs} &{rel} {first}".strip())
            lines += [f"&\\qquad {{}} {piece}" for piece in more]
        equations_rows.append(" \\\\\n".join(lines))
    return (" \\displaybreak[0]\\\\\n" if breaks else " \\\\\n").join(equations_rows)


#: A question's own label at the start of its title: "Question 2, continued:", "Q1 (a)",
#: "(a)", "1.", "T3:". The exam class numbers its parts itself, so the label would print twice.
_LABEL = re.compile(r"""^\s*(?:
      (?:Question|Exercise|Task|Part|Q|T)\s*\d+[a-z]?(?:\s*,\s*continued)?(?:\s*\([a-z]{1,3}\))?
    | \([a-z]{1,3}\) | [a-z]\) | \d+(?:\.\d+)*(?=[.:)])
    )\s*[:.)]?\s+""", re.IGNORECASE | re.VERBOSE)


def unlabelled(title: str) -> str:
    """A question's title without its own numbering (``"Q1 (a) Forward pass"`` →
    ``"Forward pass"``), first letter capitalised; unchanged when it has none or is only a label."""
    m = _LABEL.match(title)
    rest = title[m.end():] if m else title
    return rest[:1].upper() + rest[1:] if rest.strip() else title


def run_in(title: str, text: str = "") -> str:
    """A run-in heading's title ending in punctuation when the text after it is a new
    sentence, one that begins with a capital or a formula (``"Neuron $h_1$"``, ``"Inputs…"``
    → ``"Neuron $h_1$."``); unchanged when the text goes on the title's sentence
    (``"Loss"``, ``"with targets…"``) or the title already ends in punctuation."""
    stripped = title.rstrip()
    first = text.lstrip()[:1]
    starts_sentence = first.isupper() or first == "$"  # a capital, or a formula: "Layer 2. $W \\in …$"
    return stripped + "." if starts_sentence and stripped[-1:] not in ".:;?!" else stripped


def answer_lines(sec) -> int:
    """How many lines a question's worked solution takes (headings, text, equation rows,
    table rows, final answers): the measure of the answer space left on a question paper."""
    lines = len(sec.final) + sum(len(t.rows) + 2 for t in sec.tables) + 8 * len(sec.plots)
    for part in sec.parts:
        lines += 1
        for b in part.blocks:
            lines += bool(b.title or b.text) + bool(b.display)
            lines += sum(len(math_rows(eq)) for eq in b.equations)
    return lines


def answer_space(sec, per_line_cm: float = 0.35, least_cm: float = 3.0, most_cm: float = 16.0) -> str:
    """The height of the space a question paper leaves for the answer, as a TeX length:
    proportional to the worked solution's length, between ``least_cm`` and ``most_cm``."""
    return f"{min(most_cm, max(least_cm, per_line_cm * answer_lines(sec))):.1f}cm"


def total_points(sections) -> str:
    """The sum of the questions' points as written (``"12"``, ``"7.5"``), or ``""`` if none has points."""
    from fractions import Fraction

    given = [Fraction(s.points) for s in sections if s.points]
    if not given:
        return ""
    total = sum(given, Fraction(0))
    return str(total.numerator) if total.denominator == 1 else f"{float(total):g}"


_TOP_RELATION = re.compile(r"\s(=|\\approx|\\leftarrow)\s")


def final_rows(finals) -> str:
    """The final answers as the body of an ``align*``/``aligned`` block, aligned at the first
    relation of each (display size: full fractions, matrices at their own height)."""
    rows = []
    for f in finals:
        depth, cut = 0, None
        for i, ch in enumerate(f):
            depth += (ch == "{") - (ch == "}")
            if depth == 0 and cut is None and _TOP_RELATION.match(f, i):
                cut = i
        rows.append(f if cut is None else f[:cut] + " &" + f[cut:])
    return " \\\\\n".join(rows)


_ROWS = re.compile(r"\\begin\{(array|cases|[bp]?matrix|gathered|aligned)\}(.*?)\\end\{\1\}", re.S)


def _row_height(tex: str) -> float:
    """The height of an equation row in text lines: a matrix (or cases, gathered) is as tall
    as its rows, a fraction or a sum two lines."""
    height = 2.0 if "\\frac" in tex or "\\sum" in tex else 1.0
    for m in _ROWS.finditer(tex):
        height = max(height, 1.3 * (m.group(2).count("\\\\") + 1) + 0.5)
    return height


def needed_lines(block, width: int = _WIDTH) -> int:
    """How many text lines a block needs on its page before it may start there: its title and
    text, then its first equation whole (an equation never breaks across pages), with the
    space around a display. A block that is only a heading needs 8 lines for what follows."""
    text = len(block.title) + len(block.text)
    lines = (text + 89) // 90 if text else 0
    if block.equations:
        lines += sum(_row_height(rhs) for _, _, rhs in math_rows(block.equations[0], width)) + 1.5
    elif block.display:
        lines += _row_height(display_rows(block.display, width)) + 1.5
    elif block.title and not block.text:
        lines += 8
    return min(30, int(lines + 0.999))


def part_lines(part, width: int = _WIDTH) -> int:
    """The lines a part's heading needs below it: the heading (4 lines with the space around
    it) and its first blocks, as many as make 8 lines of content (a short definition is not
    enough to start a page)."""
    lines, content = 4, 0
    for b in part.blocks:
        content += needed_lines(b, width)
        if content >= 8:
            break
    return min(30, lines + content)


def section_lines(sec, width: int = _WIDTH) -> int:
    """The lines a question's heading needs below it: the heading (4 lines), the question's
    text and its first part."""
    return min(36, 4 + (len(sec.text) + 89) // 90 + (part_lines(sec.parts[0], width) if sec.parts else 0))


def part_refs(sections) -> dict[str, str]:
    """How the exam class names each question in a back-reference: the label the key uses
    (``Question 2``, ``Q1 (a)``, ``part (a)``) → ``part (b)``, the class's own numbering."""
    from ..key.recap import question_label

    return {question_label(sec.title, i): f"part ({chr(ord('a') + i)})" for i, sec in enumerate(sections)}


def refer(text: str, refs: dict[str, str]) -> str:
    """``text`` with each back-reference label of ``refs`` replaced (whole labels only:
    ``Question 1`` is not ``Question 10``)."""
    for label in sorted(refs, key=len, reverse=True):
        text = re.sub(re.escape(label) + r"(?![\w(])", lambda m, new=refs[label]: new, text)
    return text


def display_rows(tex: str, width: int = _WIDTH) -> str:
    """A display (a definition line) too long for one row, as rows one under another:
    cut at its top-level ``,\\quad`` separators into a ``gathered`` block, as many pieces
    on a row as fit ``width``."""
    if _visual_length(tex) <= width or "gathered" in tex:
        return tex
    pieces = _top_terms(tex.replace(r",\quad ", " ,\\quad "), (" ,\\quad ",))
    if len(pieces) < 2:
        return tex
    rows: list[str] = []
    for piece in [pieces[0]] + [p.removeprefix(",\\quad ").strip() for p in pieces[1:]]:
        if rows and _visual_length(rows[-1]) + _visual_length(piece) + 2 <= width:
            rows[-1] += r",\quad " + piece
        else:
            rows.append(piece)
    return r"\begin{gathered} " + r", \\ ".join(rows) + r" \end{gathered}"
