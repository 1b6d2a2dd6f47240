"""Moodle XML: one ``cloze`` (Embedded Answers) question per problem or variant, all in
one category so that a quiz's random question draws one of them. Each asked number is a
``{w:NUMERICAL:=centre:tolerance}`` blank (w: its points as whole-number weights); the
worked key is the ``generalfeedback``; the diagrams and plots are ``@@PLUGINFILE@@``
files embedded in base64 in the text that shows them."""

from __future__ import annotations

import base64

from lxml import etree

from .base import Export, Item, weights, xml_bytes
from .base.feedback import key_html, question_html


def _src(name: str) -> str:
    return f"@@PLUGINFILE@@/{name}"


def cloze(weight: int, centre: str, tolerance: str) -> str:
    """One NUMERICAL blank: ``{1:NUMERICAL:=0.2977:0.00005}``."""
    return f"{{{weight}:NUMERICAL:={centre}:{tolerance}}}"


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
    text = question_html(it.solution, list(it.blanks), lambda b: cloze(w[b.name], b.centre, b.tolerance),
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


def write(items: list[Item], stem: str, seed: int | None, source: str = "") -> list[tuple[str, bytes]]:
    quiz = etree.Element("quiz")
    cat = etree.SubElement(quiz, "question", type="category")
    name = f"$course$/top/nnsolve/{stem}" + (f" (seed {seed})" if seed is not None else "")
    etree.SubElement(etree.SubElement(cat, "category"), "text").text = name
    etree.SubElement(etree.SubElement(cat, "info", format="html"), "text").text = (
        f"nnsolve's questions of {stem}: a quiz's random question from this category draws one of them.")
    for it in items:
        quiz.append(question(it))
    return [(f"{stem}-moodle.xml", xml_bytes(quiz))]


EXPORT = Export("moodle", write=write, order=1,
                help="Moodle XML: a cloze question per problem or variant (one category), the key as feedback")
