"""Canvas (classic quizzes): a QTI 1.2 zip that Canvas imports (Import Course Content,
"QTI .zip file"). Per problem or variant one quiz (an ``assessment``): a
``text_only_question`` with the statement, the Given values and the diagram, then one
``numerical_question`` per asked number, scored on its range (``vargte``/``varlte``: the
centre ∓ the tolerance, both ends included, :func:`bounds`); the worked key is the general feedback of
the quiz's last question. Canvas has no question holding several numerical blanks and a
quiz cannot draw one bundle of questions at random, so a pool of variants is one quiz each.
Images are files of the package, linked by their path (Canvas imports them with it)."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

from lxml import etree

from .base import Blank, Export, Item, decimal_text, xml_bytes, zip_bytes
from .base.feedback import given_html, image, inline, key_html, plain, prompt_html
from .base.package import item_ident, manifest_root, xml_id

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"


def _sub(parent, tag: str, text: str | None = None, **attrs):
    el = etree.SubElement(parent, f"{{{QTI}}}{tag}", **attrs)
    if text is not None:
        el.text = text
    return el


def _meta(item_el, fields: dict[str, str]) -> None:
    md = _sub(_sub(item_el, "itemmetadata"), "qtimetadata")
    for label, entry in fields.items():
        f = _sub(md, "qtimetadatafield")
        _sub(f, "fieldlabel", label)
        _sub(f, "fieldentry", entry)


def _material(parent, html: str) -> None:
    _sub(_sub(parent, "material"), "mattext", html, texttype="text/html")


def _title(it: Item, what: str) -> str:
    """An item's title, "<the problem's title> — <what>", at most 250 characters (the problem's
    title shortened first): Canvas lists a bank's questions by title alone."""
    return (it.title[:max(250 - len(what) - 3, 40)] + " — " + what)[:250]


def titles(it: Item) -> list[str]:
    """The numerical questions' titles: the problem's, the question's and what is asked
    ("A 2-2-2 ReLU network — Question 2: squared error — dL/dw3"), the blank's name added
    to one that would repeat."""
    out = [_title(it, f"{it.solution.sections[b.section].title} — {b.quantity}") for b in it.blanks]
    repeated = {t for t in out if out.count(t) > 1}
    return [_title(it, f"{it.solution.sections[b.section].title} — {b.quantity} ({b.name})") if t in repeated else t
            for t, b in zip(out, it.blanks)]


def _intro(section, it: Item, ident: str, src) -> None:
    el = _sub(section, "item", ident=f"{ident}_intro", title=_title(it, "statement and given values"))
    _meta(el, {"question_type": "text_only_question", "points_possible": "0.0"})
    html = given_html(it.solution) + ("\n" + image(src(it.question_diagram), "Diagram of the network")
                                      if it.question_diagram else "")
    _material(_sub(el, "presentation"), html)


def _outwards(x: Fraction, rounding: str) -> str:
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = 15, rounding
        return decimal_text(Fraction(+(Decimal(x.numerator) / Decimal(x.denominator))))


def bounds(b: Blank) -> tuple[str, str]:
    """A blank's range as written, at most 15 significant digits, rounded outwards. Canvas's import
    reads ``vargte`` and ``varlte`` as floats (Qti::NumericInteraction, ``text.to_f``) and grades a
    response exactly against them as BigDecimals of their shortest decimal (NumericalQuestion's
    FlexRange, ``BigDecimal(a.to_s)``): an end of 16 or more digits came back as another decimal,
    inside it or out (0.27616233424014092 as 0.2761623342401409, refusing that end of the rule); one of
    15 or fewer comes back as written.

    A classic quiz's page rounds a typed number to 4 decimals before it is sent (take_quiz's
    ``numerical_question_input``: ``val.toFixed(4)``), so 0.02977 arrives as 0.0298: the range
    goes out to whole multiples of 0.0001 (0.029765–0.029775 as 0.0297–0.0298), which holds the
    rounding of every number the rule accepts."""
    low, high = Fraction(b.low), Fraction(b.high)
    low, high = Fraction(math.floor(low * _PLACES), _PLACES), Fraction(math.ceil(high * _PLACES), _PLACES)
    return _outwards(low, ROUND_FLOOR), _outwards(high, ROUND_CEILING)


#: The decimals a classic quiz keeps of a typed number.
_PLACES = 10_000


def _numerical(section, it: Item, k: int, ident: str, feedback: str, src, title: str) -> None:
    b = it.blanks[k]
    sec = it.solution.sections[b.section]
    el = _sub(section, "item", ident=f"{ident}_{b.name}", title=title)
    _meta(el, {"question_type": "numerical_question", "points_possible": decimal_text(b.points),
               "original_answer_ids": f"{ident}_{b.name}_a"})
    pres = _sub(el, "presentation")
    _material(pres, f"<p><strong>{plain(sec.title)}</strong></p>{prompt_html(sec)}<p>{inline(b.label)} = ?</p>"
                    f"<p><em>Numbers are accepted {it.rule.describe(it.solution.digits)}.</em></p>")
    fib = _sub(_sub(pres, "response_str", ident="response1", rcardinality="Single"), "render_fib", fibtype="Decimal")
    _sub(fib, "response_label", ident=f"{ident}_{b.name}_a")
    proc = _sub(el, "resprocessing")
    _sub(_sub(proc, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    if feedback:
        other = _sub(proc, "respcondition", **{"continue": "Yes"})
        _sub(_sub(other, "conditionvar"), "other")
        _sub(other, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    cond = _sub(proc, "respcondition", **{"continue": "No"})
    var = _sub(cond, "conditionvar")
    low, high = bounds(b)
    _sub(var, "vargte", low, respident="response1")
    _sub(var, "varlte", high, respident="response1")
    _sub(cond, "setvar", "100", action="Set", varname="SCORE")
    if feedback:
        fb = _sub(el, "itemfeedback", ident="general_fb")
        _material(_sub(fb, "flow_mat"), feedback)


def assessment(it: Item, ident: str) -> bytes:
    """The QTI 1.2 document of one quiz."""
    def src(name: str) -> str:
        return f"images/{name}"

    root = etree.Element(f"{{{QTI}}}questestinterop", nsmap={None: QTI})
    test = _sub(root, "assessment", ident=ident, title=it.title)
    md = _sub(test, "qtimetadata")
    f = _sub(md, "qtimetadatafield")
    _sub(f, "fieldlabel", "cc_maxattempts")
    _sub(f, "fieldentry", "1")
    section = _sub(test, "section", ident="root_section")
    _intro(section, it, ident, src)
    key = key_html(it.solution, it.key_diagram, src)
    for k, title in enumerate(titles(it)):
        _numerical(section, it, k, ident, key if k == len(it.blanks) - 1 else "", src, title)
    return xml_bytes(root)


def manifest(stem: str, quizzes: list[tuple[str, str, list[str]]], images: list[str]) -> bytes:
    """``imsmanifest.xml``: each quiz a ``imsqti_xmlv1p2`` resource depending on its own images,
    each image a ``webcontent`` resource."""
    root, res = manifest_root(CP, stem, "1.1.3")
    for ident, href, own in quizzes:
        r = etree.SubElement(res, f"{{{CP}}}resource", identifier=ident, type="imsqti_xmlv1p2", href=href)
        etree.SubElement(r, f"{{{CP}}}file", href=href)
        for name in own:
            etree.SubElement(r, f"{{{CP}}}dependency", identifierref=f"img_{xml_id(name)}")
    for name in images:
        r = etree.SubElement(res, f"{{{CP}}}resource", identifier=f"img_{xml_id(name)}", type="webcontent",
                             href=f"images/{name}")
        etree.SubElement(r, f"{{{CP}}}file", href=f"images/{name}")
    return xml_bytes(root)


def _ident(it: Item) -> str:
    return item_ident("q_", it.name)


def write(items: list[Item], stem: str, seed: int | None, source: str = "") -> list[tuple[str, bytes]]:
    files, quizzes, images = [], [], {}
    for it in items:
        ident = _ident(it)
        href = f"{ident}/{ident}.xml"
        files.append((href, assessment(it, ident)))
        quizzes.append((ident, href, sorted(n for n, _ in it.images)))
        images.update(it.images)
    files += [(f"images/{n}", images[n]) for n in sorted(images)]
    files.append(("imsmanifest.xml", manifest(stem, quizzes, sorted(images))))
    return [(f"{stem}-canvas.zip", zip_bytes(files))]


EXPORT = Export("canvas", write=write, order=2,
                help="Canvas classic quizzes: a QTI 1.2 zip of numerical questions scored on ranges")
