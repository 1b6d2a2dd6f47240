"""The HTML of an exported question: its text (the statement, the Given values, the
diagram without answers, each asked quantity with its blank) and its feedback (the worked
key). Well-formed XHTML (QTI 2.1 parses it as XML), math left as LaTeX in ``\\( \\)`` and
``\\[ \\]`` for MathJax, which Moodle, Canvas and PrairieLearn render; images by a
target's own address (:data:`Src`)."""

from __future__ import annotations

import re
from html import escape
from typing import Callable

from ....key.model import Block, Section, Solution
from ...html_math import tex_text
from ...prose import display_rows, final_rows, given_display, run_in
from ...text import aligned
from .blanks import Blank
from .package import file_name

#: ``file name -> the address a target's HTML uses for it``.
Src = Callable[[str], str]
#: ``$$…$$`` or ``$…$``, not an escaped ``\\$`` (``costs \\$5``), as the HTML key reads them.
_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.S)
#: A dollar sign that is text (a title's "$5", a statement's ``\\$5``): MathJax reads ``$…$`` as
#: a formula in PrairieLearn and ``$$…$$`` in Moodle and Canvas, so it stands in an element MathJax
#: skips: ``tex2jax_ignore`` (MathJax 2's default ``ignoreClass``, Moodle's) and ``mathjax_ignore``
#: (MathJax 4's default ``ignoreHtmlClass``; Canvas's and PrairieLearn's setting).
DOLLAR = '<span class="tex2jax_ignore mathjax_ignore">$</span>'


def plain(text: str) -> str:
    """A title as HTML: plain text, as the keys show it (``$``, ``~``, ``--`` are themselves), escaped."""
    return escape(text, quote=False).replace("$", DOLLAR)


def _words(text: str) -> str:
    """Prose between formulas as LaTeX prints it (``step\\_at\\_zero``, ``--``, ``~``, ``\\$``), as the
    HTML key shows it."""
    return re.sub(r"\\?\$", lambda _: DOLLAR, tex_text(text))


def prose(text: str) -> str:
    """Prose (LaTeX: ``$…$`` math, TeX's escapes between) as HTML with ``\\( \\)`` (``$$…$$``: ``\\[ \\]``)."""
    out, last = [], 0
    for m in _MATH.finditer(text or ""):
        out.append(_words(text[last:m.start()]))
        out.append(f"\\[{escape(m.group(1), quote=False)}\\]" if m.group(1) is not None
                   else f"\\({escape(m.group(2), quote=False)}\\)")
        last = m.end()
    out.append(_words((text or "")[last:]))
    return "".join(out).strip()


def display(tex: str) -> str:
    """A displayed formula."""
    return f"<p>\\[{escape(tex, quote=False)}\\]</p>"


def inline(tex: str) -> str:
    return f"\\({escape(tex, quote=False)}\\)"


def _block(b: Block) -> str:
    out = []
    if b.title or b.text:
        title = f"<strong>{prose(run_in(b.title, b.text))}</strong> " if b.title else ""
        out.append(f"<p>{title}{prose(b.text)}</p>")
    if b.equations:
        out.append(display("\\begin{aligned}\n" + aligned(b.equations) + "\n\\end{aligned}"))
    if b.display:
        out.append(display(display_rows(b.display)))
    return "\n".join(out)


def image(src: str, alt: str) -> str:
    return f'<p><img src="{escape(src)}" alt="{escape(alt)}"/></p>'


def given_html(solution: Solution) -> str:
    """The statement and the Given values."""
    # a blank line parts paragraphs, as in TeX and the HTML key
    out = [f"<p>{prose(p)}</p>" for p in re.split(r"\n\s*\n", solution.statement) if p.strip()]
    if solution.given:
        out.append("<h3>Given</h3>")
        for b in solution.given:
            out.append(f"<p><strong>{prose(b.title)}:</strong> {prose(b.text)}</p>")
            out += [display(given_display(eq)) for eq in b.equations]
    return "\n".join(out)


def question_html(solution: Solution, items: list[Blank], blank: Callable[[Blank], str],
                  diagram: str | None = None, src: Src = str) -> str:
    """The question: statement, Given values, the diagram (``diagram``: its file name), then
    per question its text and each blank as ``\\(label\\) = <blank>``; ``blank`` writes a
    target's blank."""
    out = [given_html(solution)]
    if diagram:
        out.append(image(src(diagram), "Diagram of the network"))
    for si, sec in enumerate(solution.sections):
        mine = [b for b in items if b.section == si]
        if not mine:
            continue
        out.append(f"<h3>{plain(sec.title)}</h3>")
        prompt = prompt_html(sec)
        if prompt:
            out.append(prompt)
        out += [f"<p>{inline(b.label)} = {blank(b)}</p>" for b in mine]
    return "\n".join(out)


def prompt_html(sec: Section) -> str:
    """What a question asks, as the student reads it: its text and its "Asked: …" line (the
    target of a loss among them); ``""`` when it has neither."""
    out = []
    if sec.text.strip():
        out.append(f"<p>{prose(sec.text)}</p>")
    if sec.asked:
        out.append(f"<p><em>{prose(sec.asked)}</em></p>")
    return "\n".join(out)


def _table(t) -> str:
    head = "".join(f"<th>{inline(h)}</th>" for h in t.header)
    rows = "".join("<tr>" + "".join(f"<td>{inline(c) if c else ''}</td>" for c in row) + "</tr>" for row in t.rows)
    return f"<h4>{prose(t.title)}</h4>\n<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def section_html(solution: Solution, sec: Section, src: Src = str) -> str:
    out = [f"<h3>{plain(sec.title)}</h3>"]
    if sec.text.strip():
        out.append(f"<p>{prose(sec.text)}</p>")
    for part in sec.parts:
        out.append(f"<h4>{prose(part.heading)}</h4>")
        out += [_block(b) for b in part.blocks]
    out += [_table(t) for t in sec.tables]
    out += [f"<h4>{prose(p.title)}</h4>\n" + image(src(plot_name(solution, p)), p.title) for p in sec.plots]
    if sec.final:
        out.append("<h4>Final answers</h4>")
        out.append(display("\\begin{aligned}\n" + final_rows(sec.final) + "\n\\end{aligned}"))
    return "\n".join(out)


def plot_name(solution: Solution, plot) -> str:
    return file_name(f"{solution.stem}-{plot.name}.svg")


def key_html(solution: Solution, diagram: str | None = None, src: Src = str) -> str:
    """The worked key (the feedback after submission): the diagram with its values, then
    every question's parts, tables, plots and final answers."""
    out = ["<h2>Worked solution</h2>"]
    if diagram:
        out.append(image(src(diagram), "Diagram with the values"))
    out += [section_html(solution, sec, src) for sec in solution.sections]
    return "\n".join(out)
