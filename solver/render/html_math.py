"""Math and prose for the HTML key (:mod:`.formats.html`): the key's LaTeX becomes
MathML by latex2mathml, so that a browser shows it with no script and no network.

latex2mathml (3.x) knows ``align*`` and ``array`` but passes ``aligned`` and ``gathered``
through as text (a literal ``&``, a ``linebreak`` no browser honours), and an unknown
command as ``<mi>\\command</mi>``: :func:`_latex` rewrites the environments the key uses
into ones it converts, and :func:`mathml` checks every result. A formula it cannot convert
is shown as its LaTeX source in ``<code class="tex-fallback">`` (never an exception):
:func:`fallbacks` counts them in a page.

latex2mathml's own string output unescapes the whole serialized tree, so a ``<`` a user
wrote in ``\\text{…}`` (or ``\\mbox``, ``\\textbf``…) would reach the page as markup, a
``<script>`` among it; and ``\\href``, ``\\style`` set ``href`` and ``style`` attributes. So
:func:`mathml` takes latex2mathml's element tree, keeps only MathML elements and the
attributes of :data:`_ATTRIBUTES`, and serializes it itself: text escaped, only the numeric
character references latex2mathml writes for its symbols (``&#x0003D;``) left as they are."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from xml.etree.ElementTree import Element, tostring

from .prose_markup import html_styles, typographic

#: The class of the ``<code>`` element that shows a formula latex2mathml could not convert.
FALLBACK_CLASS = "tex-fallback"

_REWRITES = (
    (r"\begin{aligned}", r"\begin{align*}"), (r"\end{aligned}", r"\end{align*}"),
    (r"\begin{gathered}", r"\begin{array}{c}"), (r"\end{gathered}", r"\end{array}"),
    (r"\displaybreak[0]", ""),
    # spacing hints (an operator name's argument in \left( \right) spaced as a function's)
    # with no MathML meaning: latex2mathml makes each an <mo> holding an empty <mrow>, which
    # Chromium lays out as a line break out of its table (ReLU(x/v) run into one line)
    (r"\mathopen{}", ""), (r"\mathclose{}", ""),
)
#: An operator's name (``\operatorname*{arg\,min}``): latex2mathml shows the star of limits set
#: below as a "*", and a name holding a space as letters in italics; ``\arg``, which it does not
#: know, as source. In a line of HTML each is its name, upright.
_OPERATOR_NAME = re.compile(r"\\operatorname\*?\{([^{}]*)\}|\\arg(?![A-Za-z])")
#: The elements of presentation MathML: anything else in latex2mathml's tree is not shown.
_ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace mfrac msqrt mroot mstyle merror mpadded mphantom mfenced menclose "
    "msub msup msubsup munder mover munderover mmultiscripts mprescripts none mtable mtr mlabeledtr mtd".split())
#: The attributes kept: MathML's layout attributes, none a URL, a script or CSS (``\\href``'s
#: ``href`` and ``\\style``'s ``style`` are dropped, their content kept).
_ATTRIBUTES = frozenset(
    "xmlns display displaystyle scriptlevel mathvariant mathsize mathcolor mathbackground dir "
    "stretchy fence form separator lspace rspace minsize maxsize symmetric largeop movablelimits accent "
    "accentunder width height depth voffset linethickness bevelled notation open close separators "
    "columnalign columnspacing columnlines columnspan rowalign rowspacing rowlines rowspan frame "
    "align equalrows equalcolumns linebreak".split())
#: latex2mathml's symbols: the numeric character references it writes as text (``&#x0003D;``).
_REFERENCE = re.compile(r"&amp;(#x[0-9A-Fa-f]{1,6};)")
#: What a conversion that went wrong leaves in the MathML: a command or an ``&`` passed through
#: as an identifier, a line break inside a row (an environment not understood), an error element.
_BROKEN = re.compile(r"<mi>\\|<mi>&</mi>|<mi>&amp;</mi>|linebreak=|<merror")
#: latex2mathml's space widths that are not CSS lengths (MathML 3's named spaces).
_NAMED_SPACE = re.compile(r'width="negativethinmathspace"')
#: ``$$…$$`` (displayed) or ``$…$``, not an escaped ``\\$`` (``costs \\$5``).
_INLINE_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.S)
#: Punctuation right after a formula, kept on its line (a browser may break between the two).
_PUNCTUATION = re.compile(r"[,.;:!?)\]]+")
_TEXT = re.compile(r"(\\(?:text|mathrm)\{[^{}]*\})")
#: A named operator (``\operatorname{ReLU}``, ``\max``): latex2mathml makes it an ``<mo>``,
#: which a browser spaces as a relation (``ReLU (z)``); an ``<mi>`` of several letters is upright.
_WORD_OPERATOR = re.compile(r"<mo>([A-Za-z]{2,})</mo>")


def _latex(tex: str) -> str:
    """The key's LaTeX in the environments latex2mathml converts; a prime (``'``) outside
    text as ``\\prime`` on the line (the prime glyph is raised already: as a superscript,
    which latex2mathml makes it, it stands far above a letter in a text font)."""
    for old, new in _REWRITES:
        tex = tex.replace(old, new)
    if "\\operatorname" in tex or "\\arg" in tex:
        tex = _OPERATOR_NAME.sub(lambda m: "\\operatorname{%s}" % (m[1] or "arg").replace("\\,", "").replace("\\ ", ""), tex)
    pieces = _TEXT.split(tex)  # in \text{…}, TeX's escaped underscore is the character (start\_dim)
    return "".join(p.replace("\\_", "_") if i % 2 else p.replace("'", r"\prime ") for i, p in enumerate(pieces)).strip()


@lru_cache(maxsize=8192)
def mathml(tex: str, display: bool = False) -> str:
    """``tex`` as a ``<math>`` element (``display="block"`` for a displayed formula), or,
    where latex2mathml fails or leaves LaTeX behind, the source in a ``<code>`` element of
    class :data:`FALLBACK_CLASS` (the page still opens; the test suite counts these)."""
    from latex2mathml.converter import convert_to_element

    try:
        out = _safe(convert_to_element(_latex(tex), display="block" if display else "inline"))
    except Exception:  # noqa: BLE001 - any failure of the converter shows the source instead
        out = None
    if out is None or _BROKEN.search(out):
        return f'<code class="{FALLBACK_CLASS}">{html.escape(tex)}</code>'
    out = _WORD_OPERATOR.sub(r"<mi>\1</mi>", _NAMED_SPACE.sub('width="-0.167em"', out))
    return out.replace("<math ", f'<math alttext="{html.escape(tex, quote=True)}" ', 1)


def _safe(tree: Element) -> str:
    """latex2mathml's tree as a string of MathML only: each attribute not in :data:`_ATTRIBUTES`
    dropped, text escaped (``\\text{a < b}`` shows ``a < b``), latex2mathml's character
    references kept; an element that is not MathML raises (the formula is shown as source)."""
    for el in tree.iter():
        if el.tag not in _ELEMENTS:
            raise ValueError(f"not MathML: <{el.tag}>")
        for name in [n for n in el.attrib if n not in _ATTRIBUTES]:
            del el.attrib[name]
    _signs(tree)
    return _REFERENCE.sub(r"&\1", tostring(tree, encoding="unicode"))


#: A sign as latex2mathml writes it (its character reference, or the character).
_SIGNS = frozenset(("&#x02212;", "&#x0002B;", "&#x000B1;", "-", "+", "\u2212", "\u00b1"))
#: What closes a group: a sign after it is a binary operator, ``(x) - (y)``.
_CLOSERS = frozenset(("&#x00029;", ")", "&#x0005D;", "]", "&#x0007D;", "}", "|", "&#x0007C;", "&#x02016;", "\u2016"))


def _signs(tree: Element) -> None:
    """A sign that TeX sets as unary, ``(−0.3)``, ``≈ −0.12``, ``[−1, 2]`` (after nothing, an
    opening fence, a relation or another operator), marked ``form="prefix"``: a browser's
    MathML gives an ``<mo>`` inside a row the spacing of a binary operator (``( − 0.3)``)."""
    for parent in tree.iter():
        before = None
        for child in parent:
            if child.tag == "mo" and child.text in _SIGNS and "form" not in child.attrib and (
                    before is not None and before.tag == "mo" and before.text not in _CLOSERS
                    and before.get("form") != "postfix"):
                child.set("form", "prefix")
            before = child


def tex_text(text: str) -> str:
    """Prose outside math as HTML: escaped, TeX's dashes, quotes, ``~`` and escaped ``_ % & #`` as
    the characters they print (``attn\\_mask``), ``\\emph{…}``, ``\\textbf{…}``, ``\\texttt{…}`` as
    ``<em>``, ``<strong>``, ``<code>``; the exports' HTML uses it too."""
    text = typographic(text)
    for char in "_%&#":
        text = text.replace("\\" + char, char)
    return html_styles(html.escape(text, quote=False))


def title(text: str) -> str:
    """A title (the problem's, a question's, with a roster's name) as HTML: plain text, as the
    LaTeX key escapes it (:func:`solver.render.formats.tex.escape`, which keeps ``--`` and
    ``<<`` as written too) and the README says, so ``$``, ``~`` and ``\\`` are themselves
    (``Costs $5 and $10`` is no formula); escaped."""
    return html.escape(str(text), quote=False)


def inline(text: str) -> str:
    """Prose with ``$…$`` math (a block's text, a heading the key wrote; a statement's ``$$…$$``
    displayed) as one line of HTML."""
    out, last = [], 0
    for m in _INLINE_MATH.finditer(text or ""):
        math = mathml(m.group(1), True) if m.group(1) else mathml(m.group(2))
        glued = None if m.group(1) else _PUNCTUATION.match(text, m.end())  # "(h₂ → o₂);": no line begins with ";"
        out += [tex_text(text[last:m.start()]),
                f'<span class="nobr">{math}{html.escape(glued.group(), quote=False)}</span>' if glued else math]
        last = glued.end() if glued else m.end()
    out.append(tex_text((text or "")[last:]))
    return "".join(out).replace("\\$", "$")


def paragraphs(text: str) -> str:
    """Prose of one or more paragraphs (a problem's statement: blank lines between them) as
    ``<p>`` elements; a line break inside a paragraph is a space, as in TeX and Markdown."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", (text or "").strip()) if p.strip()]
    return "\n".join(f"<p>{inline(p)}</p>" for p in parts)


def fallbacks(page: str) -> int:
    """How many formulas of an HTML page are shown as LaTeX source (not converted)."""
    return page.count(f'class="{FALLBACK_CLASS}"')


__all__ = ["FALLBACK_CLASS", "fallbacks", "inline", "mathml", "paragraphs", "tex_text", "title"]
