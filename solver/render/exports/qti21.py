"""IMS QTI 2.1: a content package (``imsmanifest.xml``, one ``assessmentItem`` per problem
or variant, and an ``assessmentTest`` whose one section selects one item at random, so
that a pool of variants gives each candidate one). Each asked number is a
``textEntryInteraction`` with a float ``responseDeclaration``, scored with ``equal``
(``toleranceMode="absolute"``, the same tolerance both ways, :func:`tolerance`) on the centre the
tolerance rule gives; the worked key is a ``modalFeedback`` shown after submission; images are
files of the package."""

from __future__ import annotations

import math
from fractions import Fraction

from lxml import etree

from .base import Blank, Export, Item, decimal_text, xml_bytes, zip_bytes
from .base.feedback import key_html, question_html
from .base.package import item_ident, manifest_root, xml_id

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOCATION = f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p2.xsd"


def _q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


def _sub(parent, tag: str, **attrs):
    return etree.SubElement(parent, _q(tag), **attrs)


def _html(parent, tag: str, html: str, **attrs):
    """``html`` (well-formed XHTML) parsed into the QTI namespace under a new element."""
    el = etree.fromstring(f'<{tag} xmlns="{QTI}">{html}</{tag}>')
    for k, v in attrs.items():
        el.set(k, v)
    parent.append(el)
    return el


def _value(parent, tag: str, text: str, **attrs):
    el = _sub(parent, tag, **attrs)
    el.text = text
    return el


def tolerance(b: Blank) -> str:
    """The ``tolerance`` of a blank's ``equal``. QTI 2.1 accepts y when x − t0 ≤ y ≤ x + t1 (bounds
    included by default) for ``<equal>``'s first expression x (here the response) and second y (the
    correct value), and players compute it in float64 (QTIWorks' ToleranceMode.ABSOLUTE in Java
    doubles, TAO's qti-sdk EqualProcessor in PHP floats), where the key's 0.4100 ± 0.00005 refused
    0.41005, its upper end: 0.41005 − 0.00005 is 0.41000000000000003 > 0.41. The tolerance is
    widened to the distance of the rule's ends, c ± t as floats, from the centre as a float, and a
    float step more while an end is refused (with x and y either way round); adding and subtracting
    round monotonically, so every number between the ends is accepted too. It stays the exact decimal
    where that is already so, else it is the widened float's shortest decimal (0.000050000000000050004)."""
    c, t = Fraction(b.centre), Fraction(b.tolerance)
    centre, ends = float(c), (float(c - t), float(c + t))
    if all(x - float(t) <= centre <= x + float(t) and centre - float(t) <= x <= centre + float(t) for x in ends):
        return b.tolerance
    tol = max(abs(x - centre) for x in ends)
    while not all(x - tol <= centre <= x + tol and centre - tol <= x <= centre + tol for x in ends):
        tol = math.nextafter(tol, math.inf)  # a step or two: |x − c| rounded down
    return decimal_text(Fraction(repr(tol)))


def assessment_item(it: Item, ident: str) -> bytes:
    """The ``assessmentItem`` of one item."""
    def src(name: str) -> str:
        return f"images/{name}"

    root = etree.Element(_q("assessmentItem"), nsmap={None: QTI, "xsi": XSI},
                         identifier=ident, title=it.title, adaptive="false", timeDependent="false")
    root.set(f"{{{XSI}}}schemaLocation", LOCATION)
    for b in it.blanks:
        rd = _sub(root, "responseDeclaration", identifier=f"R_{b.name}", cardinality="single", baseType="float")
        _value(_sub(rd, "correctResponse"), "value", b.centre)
    _value(_sub(_sub(root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float"),
                "defaultValue"), "value", "0")
    _value(_sub(_sub(root, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single", baseType="float"),
                "defaultValue"), "value", decimal_text(sum((b.points for b in it.blanks), 0)))
    _sub(root, "outcomeDeclaration", identifier="FEEDBACK", cardinality="single", baseType="identifier")
    width = max([len(b.centre) + 2 for b in it.blanks] + [8])
    text = question_html(it.solution, list(it.blanks),
                         lambda b: f'<textEntryInteraction responseIdentifier="R_{b.name}" expectedLength="{width}"/>',
                         it.question_diagram, src)
    _html(root, "itemBody", f"<div>{text}\n<p><em>Numbers are accepted {it.rule.describe(it.solution.digits)}.</em></p></div>")
    proc = _sub(root, "responseProcessing")
    for b in it.blanks:
        cond = _sub(_sub(proc, "responseCondition"), "responseIf")
        t = tolerance(b)
        eq = _sub(cond, "equal", toleranceMode="absolute", tolerance=f"{t} {t}",
                  includeLowerBound="true", includeUpperBound="true")
        _sub(eq, "variable", identifier=f"R_{b.name}")
        _sub(eq, "correct", identifier=f"R_{b.name}")
        s = _sub(_sub(cond, "setOutcomeValue", identifier="SCORE"), "sum")
        _sub(s, "variable", identifier="SCORE")
        _value(s, "baseValue", decimal_text(b.points), baseType="float")
    _value(_sub(proc, "setOutcomeValue", identifier="FEEDBACK"), "baseValue", "KEY", baseType="identifier")
    _html(root, "modalFeedback", f"<div>{key_html(it.solution, it.key_diagram, src)}</div>",
          outcomeIdentifier="FEEDBACK", identifier="KEY", showHide="show", title="Worked solution")
    return xml_bytes(root)


def assessment_test(stem: str, idents: list[tuple[str, str]]) -> bytes:
    """A test of one section drawing one of the items at random."""
    root = etree.Element(_q("assessmentTest"), nsmap={None: QTI, "xsi": XSI}, identifier=f"test_{xml_id(stem)}", title=stem)
    root.set(f"{{{XSI}}}schemaLocation", LOCATION)
    part = _sub(root, "testPart", identifier="part1", navigationMode="nonlinear", submissionMode="individual")
    sec = _sub(part, "assessmentSection", identifier="pool", title=stem, visible="true")
    _sub(sec, "selection", select="1")
    for ident, href in idents:
        _sub(sec, "assessmentItemRef", identifier=ident, href=href)
    return xml_bytes(root)


def manifest(stem: str, idents: list[tuple[str, str]], images: dict[str, list[str]]) -> bytes:
    """``imsmanifest.xml``: the test, and each item with its own images (``images``: by item)."""
    root, res = manifest_root(CP, stem, "1.1")
    r = etree.SubElement(res, f"{{{CP}}}resource", identifier=f"test_{xml_id(stem)}", type="imsqti_test_xmlv2p1",
                         href="test.xml")
    etree.SubElement(r, f"{{{CP}}}file", href="test.xml")
    for ident, _ in idents:
        etree.SubElement(r, f"{{{CP}}}dependency", identifierref=ident)
    for ident, href in idents:
        r = etree.SubElement(res, f"{{{CP}}}resource", identifier=ident, type="imsqti_item_xmlv2p1", href=href)
        etree.SubElement(r, f"{{{CP}}}file", href=href)
        for name in images[ident]:
            etree.SubElement(r, f"{{{CP}}}file", href=f"images/{name}")
    return xml_bytes(root)


def write(items: list[Item], stem: str, seed: int | None, source: str = "") -> list[tuple[str, bytes]]:
    files, idents, images, own = [], [], {}, {}
    for it in items:
        ident = item_ident("item_", it.name)
        files.append((f"{ident}.xml", assessment_item(it, ident)))
        idents.append((ident, f"{ident}.xml"))
        images.update(it.images)
        own[ident] = sorted(n for n, _ in it.images)
    files += [(f"images/{n}", images[n]) for n in sorted(images)]
    files += [("test.xml", assessment_test(stem, idents)), ("imsmanifest.xml", manifest(stem, idents, own))]
    return [(f"{stem}-qti21.zip", zip_bytes(files))]


EXPORT = Export("qti21", write=write, order=3,
                help="IMS QTI 2.1 content package: text-entry blanks scored with an absolute tolerance")
