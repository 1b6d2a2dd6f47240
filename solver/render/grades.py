"""The outputs of ``nnsolve grade``: ``grades.csv`` (one row per answer of every student),
each student's feedback (Markdown; LaTeX for a PDF) showing, for every lost point, the key's
step for that quantity with the student's number beside the right one, and each student's
Gradescope ``results.json`` (``{"score", "output", "tests": [{"name", "number", "score",
"max_score", "status", "output"}]}``, what a Gradescope autograder writes to
``/autograder/results/results.json`` for one submission)."""

from __future__ import annotations

import csv
import io
import json
import re
from fractions import Fraction

from ..core.latex_text import text_latex
from ..key.grading import Mark

COLUMNS = ("student", "question", "of", "kind", "answer", "expected", "points", "max_points", "verdict")
TOLERANCE_ONLY = ("No problem file was given (--problem), so answers were marked by tolerance only: "
                  "no error carried forward, no misconceptions, no key steps.")


def number(x: Fraction) -> str:
    """Points as plain text: ``1``, ``0.8``, ``0.333``."""
    if x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):.3f}".rstrip("0").rstrip(".")


#: A cell a spreadsheet would read as a formula (``=HYPERLINK(…)``, ``+1+cmd|…``, ``@SUM(…)``), and a number.
_FORMULA = re.compile(r"[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def cell(text) -> str:
    """``text`` for a CSV cell that a spreadsheet opens as text: one a spreadsheet would read as
    a formula (a student's answer or id that begins with ``=``, ``+``, ``-``, ``@``) begins with
    ``'`` (OWASP's advice against CSV injection); a number (``-0.5``) is left as it is."""
    text = str(text)
    return "'" + text if _FORMULA.match(text) and not _NUMBER.fullmatch(text) else text


def grades_csv(marks: list[Mark]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for m in marks:
        w.writerow([cell(m.student), cell(m.question), cell(m.of), m.kind, cell(m.answer), m.expected,
                    number(m.points), number(m.max_points), cell(m.verdict)])
    return buf.getvalue()


def totals_csv(grades: dict, titles: dict) -> str:
    """``totals.csv``: one row per student (student, problem, points, max_points), each total
    summed exactly and then shown: grades.csv shows every answer's points to 3 decimals, so its
    column sums can miss the total by rounding (relu-2-2-2's 24 points as 23.996)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("student", "problem", "points", "max_points"))
    for student, marks in grades.items():
        got, top = _total(marks)
        w.writerow([cell(student), cell(titles.get(student, "")), number(got), number(top)])
    return buf.getvalue()


def ungraded_csv(rows: list) -> str:
    """``ungraded.csv``: each bad row's student (blank when the row has none), its row (the
    line of the submissions file) and why, the student left out of every other output."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("student", "row", "reason"))
    w.writerows((cell(student), row, cell(why)) for row, student, why in rows)
    return buf.getvalue()


def _total(marks: list[Mark]) -> tuple[Fraction, Fraction]:
    return sum((m.points for m in marks), Fraction(0)), sum((m.max_points for m in marks), Fraction(0))


def _lost(marks: list[Mark]) -> list[Mark]:
    return [m for m in marks if m.points < m.max_points]


def feedback_md(student: str, title: str, marks: list[Mark], tolerance: str, note: str = "") -> str:
    """A student's feedback in Markdown (math in ``$…$``; the title and the student's name
    plain text, escaped as the key's Markdown escapes its title)."""
    from .formats.md import escape

    got, top = _total(marks)
    lines = [f"# {escape(title)}: feedback for {escape(student)}", "", f"**Score: {number(got)} / {number(top)}** "
             f"(numbers are marked {tolerance}).", ""]
    if note:
        lines += [f"_{note}_", ""]
    for q in dict.fromkeys(m.question for m in marks):
        mine = [m for m in marks if m.question == q]
        g, t = _total(mine)
        lines += [f"## Question {q}: {number(g)} / {number(t)}", ""]
        lost = _lost(mine)
        shown: set = set()  # a matrix's step is shown once, with its first lost element
        if not lost:
            lines += ["Every answer is right.", ""]
        for m in lost:
            yours = escape(" ".join(m.answer.split())) if m.answer else "no answer"
            lines.append(f"- ${m.latex or m.of}$ ({m.kind}): yours **{yours}**, the key's **{m.expected}**: "
                         f"{m.verdict}, {number(m.points)} of {number(m.max_points)}.")
            if m.explanation:
                said = m.explanation[0].upper() + m.explanation[1:]
                lines.append(f"  {escape(' '.join(said.split())) if m.plain else said}.")
            if m.equation and m.equation in shown:
                lines.append("  The key's step: as above.")
            elif m.equation:
                lines.append(f"  The key's step: ${m.equation}$")
                shown.add(m.equation)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def escape_text(text: str) -> str:
    """Plain text for LaTeX: specials escaped, Greek and math symbols as math, the rest as "?"."""
    extra = {"ᵀ": r"\ensuremath{^{T}}", "₂": r"\ensuremath{_{2}}", "₁": r"\ensuremath{_{1}}",
             "₀": r"\ensuremath{_{0}}"}
    return text_latex(text, lambda c: extra.get(c, "?"))


def _number_tex(text: str) -> str:
    """A number as the student or the key wrote it, with a true minus sign (``-0.4`` → ``$-$0.4``)."""
    return escape_text(text).replace("-", "$-$")


def _tex(text: str) -> str:
    """Prose with ``$…$`` math: the prose escaped, the math as it is."""
    parts = re.split(r"(\$[^$]*\$)", text)
    return "".join(p if p.startswith("$") and p.endswith("$") and len(p) > 1
                   else re.sub(r"(?<![\w.])-(?=\d)", "$-$", escape_text(p)) for p in parts)


def feedback_tex(student: str, title: str, marks: list[Mark], tolerance: str, note: str = "") -> str:
    """The same feedback as a LaTeX document (compiled to PDF with ``-f pdf``)."""
    got, top = _total(marks)
    out = [r"\documentclass[11pt]{article}", r"\usepackage[margin=2cm]{geometry}",
           r"\usepackage{amsmath,amssymb}", r"\usepackage[T1]{fontenc}", r"\usepackage[utf8]{inputenc}",
           r"\begin{document}", rf"\section*{{{escape_text(title)}: feedback for {escape_text(student)}}}",
           rf"\textbf{{Score: {number(got)} / {number(top)}}} (numbers are marked {escape_text(tolerance)}).", ""]
    if note:
        out += [rf"\emph{{{escape_text(note)}}}", ""]
    for q in dict.fromkeys(m.question for m in marks):
        mine = [m for m in marks if m.question == q]
        g, t = _total(mine)
        out.append(rf"\subsection*{{Question {escape_text(q)}: {number(g)} / {number(t)}}}")
        lost = _lost(mine)
        shown: set = set()  # a matrix's step is shown once, with its first lost element
        if not lost:
            out.append("Every answer is right.")
            continue
        out.append(r"\begin{itemize}")
        for m in lost:
            yours = _number_tex(m.answer) if m.answer else "no answer"
            out.append(rf"\item ${m.latex or escape_text(m.of)}$ ({escape_text(m.kind)}): yours \textbf{{{yours}}}, "
                       rf"the key's \textbf{{{_number_tex(m.expected)}}}: {escape_text(m.verdict)}, "
                       rf"{number(m.points)} of {number(m.max_points)}.")
            if m.explanation:
                said = m.explanation[0].upper() + m.explanation[1:] + "."
                out.append(escape_text(said) if m.plain else _tex(said))
            if m.equation and m.equation in shown:
                out.append("The key's step: as above.")
            elif m.equation:
                out.append(rf"The key's step: \begin{{align*}}{_aligned(m.equation)}\end{{align*}}")
                shown.add(m.equation)
        out.append(r"\end{itemize}")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


_RELATIONS = (" = ", r" \approx ", r" \leftarrow ")


def _aligned(inline: str) -> str:
    """An equation written on one line (``lhs = a = b``) as ``align*`` rows, one relation each,
    split only where the relation is outside every brace (a fraction's or a matrix's own ``=``
    stays)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(inline):
        ch = inline[i]
        depth += ch == "{"
        depth -= ch == "}"
        rel = next((r for r in _RELATIONS if depth == 0 and inline.startswith(r, i)), None)
        if rel:
            parts.append(inline[start:i])
            start = i + 1
            i += len(rel)
            continue
        i += 1
    parts.append(inline[start:])
    lhs, rows = parts[0], parts[1:]
    if not rows:
        return lhs
    return lhs + " &" + r" \\ &".join(r.strip() for r in rows)


def gradescope(marks: list[Mark], tolerance: str) -> str:
    """One student's Gradescope ``results.json``: a test per answer, its score and output."""
    tests = []
    for m in marks:
        out = f"Yours: {m.answer or 'no answer'}; the key's: {m.expected} ({m.verdict})."
        if m.explanation:
            out += " " + m.explanation[0].upper() + m.explanation[1:] + "."
        tests.append({"name": f"{m.question}: {m.kind} {m.of}", "number": m.question,
                      "score": float(m.points), "max_score": float(m.max_points),
                      "status": "passed" if m.points == m.max_points else "failed", "output": out})
    got, _ = _total(marks)
    return json.dumps({"score": float(got), "output": f"Numbers are marked {tolerance}.", "tests": tests},
                      indent=2, ensure_ascii=False) + "\n"
