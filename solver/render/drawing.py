"""Drawing a :class:`~solver.render.diagram.Diagram`: TikZ for LaTeX keys and sheets,
SVG for Markdown (written directly, reproducible byte for byte). Both draw the
layout's centimetres at the layout's text sizes, so its label boxes hold in both."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from ..ops.latex import bmatrix, decimal_aligned
from .diagram import RADIUS, Diagram, DMatrix, DNode, label_boxes
from .measure import LABEL_PT, NAME_PT, PT, em_width, runs, size
from .routing import arc_height as _arc
from .routing import cubic

#: TikZ styles of the node kinds (sizes from the layout are added per node).
STYLES = {"neuron": "circle, draw, thick, minimum size=9mm, inner sep=1pt",
          "input": "circle, draw, thick, fill=gray!12, minimum size=9mm, inner sep=1pt",
          "bias": r"rectangle, draw, rounded corners, fill=yellow!15, inner sep=1.5pt, font=\footnotesize",
          "dots": "inner sep=0pt",
          "tag": r"inner sep=1.5pt, font=\footnotesize",
          "stage": "rectangle, draw, thick, rounded corners, align=center, inner sep=2pt",
          "leaf": "rectangle, draw, fill=gray!12, rounded corners, align=center, inner sep=2pt"}
#: Where a TikZ edge starts and ends: a circle's border, half its line width out.
_BORDER = RADIUS + 0.4 * PT


def tikz(d: Diagram) -> str:
    """The diagram as a ``tikzpicture`` (needs ``tikz``, ``graphicx`` and ``amsmath``),
    scaled down to the line width when it is wider."""
    lines = [r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
             r"\begin{tikzpicture}[>=stealth]"]
    where = {n.id: n for n in d.nodes}
    for n in d.nodes:
        style = STYLES[n.kind] + (f", minimum width={n.w:.2f}cm, minimum height={n.h:.2f}cm"
                                  if n.kind in ("stage", "leaf") else "")
        body = f"${n.label}$" + (rf"\\ {{\footnotesize ${n.note}$}}" if n.note else "")
        lines.append(rf"\node[{style}] ({n.id}) at ({n.x:.3f}, {n.y:.3f}) {{{body}}};")
    for e in d.edges:
        label = ""
        if e.label:
            a, b = where[e.src], where[e.dst]
            length = ((b.x - a.x) ** 2 + (b.y - a.y) ** 2) ** 0.5
            pos = (e.pos * length - _BORDER) / (length - 2 * _BORDER)  # along the drawn path, border to border
            label = (rf" node[pos={pos:.3f}, fill=white, inner sep=1.5pt, font=\footnotesize] {{${e.label}$}}")
        lines.append(_tikz_edge(e, where, label))
    for x, y, text in d.captions:
        lines.append(rf"\node[font=\small\itshape] at ({x:.3f}, {y:.3f}) {{{text}}};")
    for m in d.matrices:
        lines.append(rf"\node[font=\footnotesize, inner sep=0pt] at ({m.x:.3f}, {m.y:.3f}) "
                     rf"{{${m.name} = {bmatrix(m.rows)}$}};")
    lines.append(r"\end{tikzpicture}}")
    return "\n".join(lines)


def _tikz_edge(e, where: dict[str, DNode], label: str) -> str:
    a, b = where[e.src], where[e.dst]
    if not e.bend:  # from its source to its target, or from a port (a point of the border) to a port
        start, end = (f"({p[0]:.3f}, {p[1]:.3f})" if p else f"({k})" for p, k in ((e.start, e.src), (e.end, e.dst)))
        if e.via:  # a curve from port to port
            (x1, y1), (x2, y2) = e.via
            return rf"\draw[->] {start} .. controls ({x1:.3f}, {y1:.3f}) and ({x2:.3f}, {y2:.3f}) ..{label} {end};"
        return rf"\draw[->] {start} --{label} {end};"
    h, ya, yb, third = _arc(e, where), a.y + a.h / 2, b.y + b.h / 2, (b.x - a.x) / 3
    return (rf"\draw[->] ({e.src}.north) .. controls ({a.x + third:.3f}, {ya + h:.3f}) and "
            rf"({b.x - third:.3f}, {yb + h:.3f}) ..{label} ({e.dst}.north);")


#: SVG pixels per TeX point, and per centimetre of the layout.
PX_PT = 1.8
PX = PX_PT / PT
#: SVG font sizes (px): names, labels (and notes, tags, matrices), captions.
NAME_PX, LABEL_PX, CAPTION_PX = round(NAME_PT * PX_PT), round(LABEL_PT * PX_PT), 16


def svg(d: Diagram) -> str:
    """The diagram as an SVG document (text), for Markdown keys: circles, boxes and
    arrows, labels with sub- and superscripts (at least 11 px) and true minus signs.
    Written directly (no plotting library to load) and reproducible byte for byte."""
    pad = 12.0
    extents = [(n.x - RADIUS, n.y - RADIUS, n.x + RADIUS, n.y + RADIUS) for n in d.nodes]
    extents += [(b.x0, b.y0, b.x1, b.y1) for _, b in label_boxes(d)]
    extents += [(x, y, x, y) for e in d.edges if e.via for x, y in cubic((e.start, *e.via, e.end), 16)]
    bends = [e for e in d.edges if e.bend]
    top = max(e[3] for e in extents)
    if bends:  # room for the arcs of skip connections
        where = {n.id: n for n in d.nodes}
        top = max([top] + [max(where[e.src].y + where[e.src].h / 2, where[e.dst].y + where[e.dst].h / 2)
                           + 0.75 * _arc(e, where) for e in bends])
    x0, y0, x1 = min(e[0] for e in extents), min(e[1] for e in extents), max(e[2] for e in extents)
    width, height = (x1 - x0) * PX + 2 * pad, (top - y0) * PX + 2 * pad

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * PX + pad, (top - y) * PX + pad

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="serif">'),
           ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>'),
           '<rect width="100%" height="100%" fill="white"/>']
    where = {n.id: n for n in d.nodes}
    for e in d.edges:
        out += _edge(e, where, at)
    for n in d.nodes:
        out += _node(n, *at(n.x, n.y))
    for cx, cy, text in d.captions:
        x, y = at(cx, cy)
        out.append(_text(text, x, y + 5, CAPTION_PX, italic=True, math=False))
    for m in d.matrices:
        out += _matrix(m, at)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _edge(e, where: dict[str, DNode], at) -> list[str]:
    a, b = where[e.src], where[e.dst]
    (ax, ay), (bx, by) = at(*(e.start or (a.x, a.y))), at(*(e.end or (b.x, b.y)))
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5 or 1.0
    ux, uy = (bx - ax) / length, (by - ay) / length
    # from the border on the centre line, or 2 px off a port, as from the border
    r0, r1 = (_radius(a, ux, uy) if e.start is None else 2.0), (_radius(b, ux, uy) if e.end is None else 2.0)
    sxp, syp, exq, eyq = ax + ux * r0, ay + uy * r0, bx - ux * r1, by - uy * r1
    out = []
    if e.via:  # a curve from port to port
        (sx, sy), (c1x, c1y), (c2x, c2y), (ex, ey) = (at(*p) for p in (e.start, *e.via, e.end))
        out.append(f'<path d="M {sx:.1f} {sy:.1f} C {c1x:.1f} {c1y:.1f} {c2x:.1f} {c2y:.1f} {ex:.1f} {ey:.1f}" '
                   f'fill="none" stroke="#333" stroke-width="1.2" marker-end="url(#arrow)"/>')
    elif e.bend:  # a skip connection arcs over the stages between, as in the TikZ drawing
        h, third = _arc(e, where), (b.x - a.x) / 3
        (sx, sy), (ex, ey) = at(a.x, a.y + a.h / 2), at(b.x, b.y + b.h / 2)
        (c1x, c1y), (c2x, c2y) = at(a.x + third, a.y + a.h / 2 + h), at(b.x - third, b.y + b.h / 2 + h)
        out.append(f'<path d="M {sx:.1f} {sy:.1f} C {c1x:.1f} {c1y:.1f} {c2x:.1f} {c2y:.1f} {ex:.1f} {ey:.1f}" '
                   f'fill="none" stroke="#333" stroke-width="1.2" marker-end="url(#arrow)"/>')
    else:
        out.append(f'<line x1="{sxp:.1f}" y1="{syp:.1f}" x2="{exq:.1f}" y2="{eyq:.1f}" stroke="#333" '
                   f'stroke-width="1.2" marker-end="url(#arrow)"/>')
    if e.label and e.box is not None:
        b = e.box
        (lx, ly), (rx, ry) = at(b.x0, b.y1), at(b.x1, b.y0)
        out.append(f'<rect x="{lx:.1f}" y="{ly:.1f}" width="{rx - lx:.1f}" height="{ry - ly:.1f}" fill="white"/>')
        cx, cy = at(b.x, b.y)
        out.append(_text(e.label, cx, cy + 0.35 * LABEL_PX, LABEL_PX))
    return out


def _node(n: DNode, x: float, y: float) -> list[str]:
    out = []
    if n.kind in ("neuron", "input"):
        fill = "#ebebeb" if n.kind == "input" else "white"
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS * PX:.1f}" fill="{fill}" stroke="black" '
                   f'stroke-width="1.6"/>')
    elif n.kind in ("stage", "leaf", "bias"):
        w, h = n.w * PX, n.h * PX
        fill = {"leaf": "#ebebeb", "bias": "#fff8dc"}.get(n.kind, "white")
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
                   f'fill="{fill}" stroke="black" stroke-width="1.4"/>')
    if n.kind == "dots":
        out.append(f'<text x="{x:.1f}" y="{y + 7:.1f}" font-size="{NAME_PX + 4}" text-anchor="middle">⋮</text>')
        return out
    small = n.kind in ("tag", "bias")
    px = LABEL_PX if small else NAME_PX
    out.append(_text(n.label, x, y + (-0.12 * PX if n.note else 0.35 * px), px, italic=not small))
    if n.note:
        out.append(_text(n.note, x, y + 0.32 * PX, LABEL_PX))
    return out


_PHANTOM = re.compile(r"\\phantom\{([^}]*)\}")


def _matrix(m: DMatrix, at) -> list[str]:
    """``name = [entries]``: the name, a bracket each side, the entries right-aligned in
    their columns and lined up on the decimal point (as :func:`~solver.ops.latex.bmatrix`
    pads them: each missing fractional digit is a digit's width)."""
    left, middle = at(m.x - m.w / 2, m.y)
    head = size(m.name + " = ", LABEL_PT)[0]
    widths = [max(size(row[c], LABEL_PT)[0] for row in m.rows) for c in range(len(m.rows[0]))]
    row_h = 10 * PT * PX
    half = len(m.rows) * row_h / 2 + 2
    out = [_text(m.name + " = ", left + head * PX / 2, middle + 0.35 * LABEL_PX, LABEL_PX)]
    x_open, x_close = left + head * PX + 3, left + m.w * PX - 3
    for x, hook in ((x_open, 4), (x_close, -4)):
        out.append(f'<path d="M {x + hook:.1f} {middle - half:.1f} L {x:.1f} {middle - half:.1f} L {x:.1f} '
                   f'{middle + half:.1f} L {x + hook:.1f} {middle + half:.1f}" fill="none" stroke="black" '
                   f'stroke-width="1"/>')
    digit = size("0", LABEL_PT)[0]
    pads = [[len(m_.group(1)) if (m_ := _PHANTOM.search(cell)) else 0 for cell in decimal_aligned(column)]
            for column in zip(*m.rows)]
    for r, row in enumerate(m.rows):
        y = middle - half + 2 + (r + 0.5) * row_h + 0.35 * LABEL_PX
        x = x_open + 0.2 * PX
        for c, entry in enumerate(row):
            right = x + (widths[c] - pads[c][r] * digit) * PX
            out.append(_text(entry, right - size(entry, LABEL_PT)[0] * PX / 2, y, LABEL_PX))
            x += (widths[c] + 10 * PT) * PX
    return out


def _radius(n: DNode, ux: float = 1.0, uy: float = 0.0) -> float:
    """How far from the centre (px) an edge leaving in direction (ux, uy) meets the shape."""
    if n.kind in ("neuron", "input"):
        return RADIUS * PX + 1
    if n.kind in ("stage", "leaf", "bias"):
        w, h = n.w * PX, n.h * PX
        return min(w / 2 / abs(ux) if ux else 1e9, h / 2 / abs(uy) if uy else 1e9) + 2
    return 8.0


def _text(latex: str, x: float, y: float, size: int, italic: bool = False, math: bool = True) -> str:
    """A label centred on ``x`` with its baseline at ``y``; scripts at 0.8 of ``size``
    (``size`` 14 gives 11 px scripts), a hyphen in math a minus sign."""
    spans, width = _spans(latex, size, math)
    style = ' font-style="italic"' if italic else ""
    # Anchored at its start, from an estimate of its width: renderers place runs of
    # mixed sizes more consistently that way than with text-anchor="middle".
    return (f'<text x="{x - width / 2:.1f}" y="{y:.1f}" font-size="{size}" xml:space="preserve"{style}>'
            + spans + "</text>")


@lru_cache(maxsize=4096)
def _spans(latex: str, size: int, math: bool) -> tuple[str, float]:
    """A label's runs as ``<tspan>`` elements, and its estimated width (px): the same for the
    label wherever it is drawn (names and captions recur in every key)."""
    parts, level = [], 0.0
    small = f"{size * 0.8:.0f}"
    pieces = runs(latex, math)
    for text, pos in pieces:
        target = {"sub": size * 0.3, "sup": -size * 0.4}.get(pos, 0.0)
        dy = target - level
        level = target
        attrs = (f' dy="{dy:.1f}"' if dy else "") + (f' font-size="{small}"' if pos else "")
        parts.append(f"<tspan{attrs}>{escape(text, quote=False)}</tspan>")  # as saxutils.escape: & < >
    if level:
        parts.append(f'<tspan dy="{-level:.1f}"></tspan>')
    return "".join(parts), em_width(latex, math) * size
