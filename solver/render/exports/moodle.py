"""Moodle XML: one ``cloze`` (Embedded Answers) question per problem or variant, all in one
category of the problem file's own (:func:`category`), so that a quiz's random question draws one
of them. Each asked number is a ``{w:NUMERICAL:=centre:tolerance}`` blank (w: its points as
whole-number weights; the numbers as Moodle keeps them, :func:`numbers`); the worked key is the
``generalfeedback``; the diagrams and plots are ``@@PLUGINFILE@@`` files embedded in base64 in the
text that shows them."""

from __future__ import annotations

import base64
from decimal import ROUND_HALF_EVEN, ROUND_UP, Decimal, localcontext
from fractions import Fraction

from lxml import etree

from .base import Blank, Export, Item, decimal_text, weights, xml_bytes
from .base.feedback import key_html, question_html


def _src(name: str) -> str:
    return f"@@PLUGINFILE@@/{name}"


def cloze(weight: int, centre: str, tolerance: str) -> str:
    """One NUMERICAL blank: ``{1:NUMERICAL:=0.2977:0.00005}``."""
    return f"{{{weight}:NUMERICAL:={centre}:{tolerance}}}"


#: Significant digits Moodle keeps of a blank's answer and tolerance: it saves them as PHP floats,
#: written out at PHP's ``precision``, 14 digits.
KEPT = 14


def _kept(x: Fraction, rounding: str) -> Fraction:
    if x == 0:
        return x
    with localcontext() as ctx:
        ctx.prec = 80
        d = Decimal(x.numerator) / Decimal(x.denominator)
        return Fraction(d.quantize(Decimal(1).scaleb(d.adjusted() - KEPT + 1), rounding=rounding))


def numbers(b: Blank) -> tuple[str, str]:
    """The answer and tolerance a blank writes. Moodle compares a response x as
    answer − t' ≤ x ≤ answer + t' in PHP floats, with t' the tolerance plus 10^-14·max(|answer|,
    tolerance), ample for the float error of a number on the rule's edge (0.13 for 0.125 ± 0.005),
    but it saves the answer and tolerance as text of 14 significant digits (PHP's ``precision``):
    a centre of 15 or more (an exact 0.1328256436204333…, a key shown at 15 figures) moved by up
    to 5·10^-14 of itself, outside that slack, and the key's own number or an end of the rule
    was refused. Such a centre is written at 14 digits and the tolerance widened by what it moved,
    rounded up to 14 digits, so that Moodle's range holds the rule's; a centre and tolerance of at
    most 14 digits (0.4100 ± 0.00005) are written as they are."""
    c, t = Fraction(b.centre), Fraction(b.tolerance)
    kept = _kept(c, ROUND_HALF_EVEN)
    if kept == c and _kept(t, ROUND_UP) == t:
        return b.centre, b.tolerance
    return decimal_text(kept), decimal_text(_kept(t + abs(c - kept), ROUND_UP))


def _text(parent, tag: str, html: str, files: list[tuple[str, bytes]]):
    el = etree.SubElement(parent, tag, format="html")
    etree.SubElement(el, "text").text = etree.CDATA(html)
    for name, data in files:
        f = etree.SubElement(el, "file", name=name, path="/", encoding="base64")
        f.text = base64.b64encode(data).decode("ascii")
    return el


def question(it: Item) -> etree._Element:
    """The ``<question type="cloze">`` of one item."""
    w = dict(zip((b.name for b in it.blanks), weights(list(it.blanks))))
    files = dict(it.images)
    text = question_html(it.solution, list(it.blanks), lambda b: cloze(w[b.name], *numbers(b)),
                         it.question_diagram, _src)
    text += f"\n<p><em>Numbers are accepted {it.rule.describe(it.solution.digits)}.</em></p>"
    key = key_html(it.solution, it.key_diagram, _src)
    q = etree.Element("question", type="cloze")
    etree.SubElement(etree.SubElement(q, "name"), "text").text = it.title
    _text(q, "questiontext", text, [(n, files[n]) for n in sorted(files) if _src(n) in text])
    _text(q, "generalfeedback", key, [(n, files[n]) for n in sorted(files) if _src(n) in key])
    etree.SubElement(q, "penalty").text = "0.3333333"
    etree.SubElement(q, "hidden").text = "0"
    etree.SubElement(q, "idnumber").text = it.name
    return q


def category(stem: str, seed: int | None, source: str = "") -> str:
    """The questions' category: ``$course$/top/nnsolve/<folder name>/<stem>`` (``source`` is
    ``a/relu``), one per problem file, so that ``a/relu.yaml`` and ``b/relu.yaml`` are two categories
    (in one, a quiz's random question drew from both), with `` (seed S)`` for a pool of variants;
    Moodle makes each part of the path a category inside the one before."""
    folder = source.rpartition("/")[0]
    return "/".join(p for p in ("$course$/top/nnsolve", folder, stem) if p) + (
        f" (seed {seed})" if seed is not None else "")


def write(items: list[Item], stem: str, seed: int | None, source: str = "") -> list[tuple[str, bytes]]:
    quiz = etree.Element("quiz")
    cat = etree.SubElement(quiz, "question", type="category")
    etree.SubElement(etree.SubElement(cat, "category"), "text").text = category(stem, seed, source)
    etree.SubElement(etree.SubElement(cat, "info", format="html"), "text").text = (
        f"nnsolve's questions of {source or stem}: a quiz's random question from this category draws one of them.")
    for it in items:
        quiz.append(question(it))
    return [(f"{stem}-moodle.xml", xml_bytes(quiz))]


EXPORT = Export("moodle", write=write, order=1,
                help="Moodle XML: a cloze question per problem or variant (one category), the key as feedback")
