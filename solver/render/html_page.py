"""The pieces of the HTML key (:mod:`.formats.html`) that are not math: SVG drawings made
fit to sit inside a page, and the anchors of the table of contents."""

from __future__ import annotations

import re

from ..key.model import Section

_PROLOGUE = re.compile(r"\A.*?(?=<svg[\s>])", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element to place in a page: without its XML declaration,
    DOCTYPE and metadata, each ``id`` (and every ``#id`` reference to it) prefixed with
    ``prefix`` so that two drawings on one page (or two keys in one notebook) never share one."""
    svg = _METADATA.sub("", _PROLOGUE.sub("", svg, count=1))
    ids = set(_ID.findall(svg))
    if not ids:
        return svg.strip()

    def ref(m: re.Match) -> str:
        name = m.group(2)
        return f"{m.group(1)}{prefix}-{name}" if name in ids else m.group(0)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'(url\(#|href="#)([^)"]+)', ref, svg)
    return svg.strip()


def anchor(prefix: str, name: str) -> str:
    """An element id for a heading: ``prefix-name`` with anything but letters, digits, ``-``
    and ``_`` made ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{prefix}-{name}")


def contents(stem: str, sections: tuple[Section, ...], given: bool, sheet: str) -> list[tuple[str, str]]:
    """The table of contents: (anchor, title: plain text) of the Given list and of each
    question."""
    out = [(anchor(stem, "given"), "Given")] if given else []
    return out + [(anchor(stem, f"q-{sec.id}"), sec.title) for sec in sections]


__all__ = ["anchor", "contents", "inline_svg"]
