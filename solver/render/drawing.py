"""Drawing a :class:`~solver.render.diagram.Diagram`: TikZ for LaTeX keys and sheets,
SVG for Markdown (written directly, reproducible byte for byte)."""

from __future__ import annotations

import re

from .diagram import Diagram, DNode


def tikz(d: Diagram, width_cm: float = 15.0) -> str:
    """The diagram as a ``tikzpicture`` (needs ``\\usepackage{tikz}``), at most
    ``width_cm`` wide."""
    span = max(n.x for n in d.nodes) - min(n.x for n in d.nodes) or 1
    xscale = min(4.2, width_cm / (span + 0.8))
    yscale = 1.5
    styles = {"neuron": "circle, draw, thick, minimum size=9mm, inner sep=1pt",
              "input": "circle, draw, thick, fill=gray!12, minimum size=9mm, inner sep=1pt",
              "bias": "rectangle, draw, rounded corners, fill=yellow!15, inner sep=2pt, font=\\small",
              "dots": "inner sep=0pt",
              "tag": "inner sep=1pt, font=\\scriptsize",
              "stage": "rectangle, draw, thick, rounded corners, align=center, inner sep=3pt",
              "leaf": "rectangle, draw, fill=gray!12, rounded corners, align=center, inner sep=3pt"}
    lines = [rf"\begin{{tikzpicture}}[x={xscale:.2f}cm, y={yscale}cm, >=stealth]"]
    where = {n.id: n for n in d.nodes}
    for n in d.nodes:
        body = f"${n.label}$" + (rf"\\ {{\scriptsize ${n.note}$}}" if n.note else "")
        lines.append(rf"\node[{styles[n.kind]}] ({n.id}) at ({n.x:g}, {n.y:g}) {{{body}}};")
    for e in d.edges:
        label = (rf" node[pos={e.pos:g}, sloped, above, inner sep=1pt, font=\scriptsize] {{${e.label}$}}"
                 if e.label else "")
        skip = abs(where[e.dst].x - where[e.src].x) > 1  # a skip connection arcs over the stages between
        path = " to[bend left=25]" if skip else " --"
        lines.append(rf"\draw[->] ({e.src}){path}{label} ({e.dst});")
    for x, y, text in d.captions:
        lines.append(rf"\node[font=\small\itshape] at ({x:g}, {y:g}) {{{text}}};")
    lines.insert(1, r"\tikzset{every node/.style={transform shape=false}}")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def svg(d: Diagram) -> str:
    """The diagram as an SVG document (text), for Markdown keys: circles, boxes and
    arrows, labels with sub- and superscripts. Written directly (no plotting library
    to load) and reproducible byte for byte."""
    sx, sy, pad = 150.0, 72.0, 70.0
    xs = [n.x for n in d.nodes] + [c[0] for c in d.captions]
    ys = [n.y for n in d.nodes] + [c[1] for c in d.captions]
    x0, y1 = min(xs), max(ys)
    width = (max(xs) - x0) * sx + 2 * pad
    height = (y1 - min(ys)) * sy + 2 * pad

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * sx + pad, (y1 - y) * sy + pad

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="serif">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>',
           '<rect width="100%" height="100%" fill="white"/>']
    where = {n.id: n for n in d.nodes}
    for e in d.edges:
        (ax, ay), (bx, by) = at(where[e.src].x, where[e.src].y), at(where[e.dst].x, where[e.dst].y)
        length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5 or 1.0
        ux, uy = (bx - ax) / length, (by - ay) / length
        r0, r1 = _radius(where[e.src], ux, uy), _radius(where[e.dst], ux, uy)
        sxp, syp, exq, eyq = ax + ux * r0, ay + uy * r0, bx - ux * r1, by - uy * r1
        if abs(where[e.dst].x - where[e.src].x) > 1:  # a skip connection arcs over the stages between
            mx, my = (sxp + exq) / 2, min(syp, eyq) - min(0.3 * abs(exq - sxp), 1.3 * sy)
            out.append(f'<path d="M {sxp:.1f} {syp:.1f} Q {mx:.1f} {my:.1f} {exq:.1f} {eyq:.1f}" fill="none" '
                       f'stroke="#333" stroke-width="1.2" marker-end="url(#arrow)"/>')
        else:
            out.append(f'<line x1="{sxp:.1f}" y1="{syp:.1f}" x2="{exq:.1f}" y2="{eyq:.1f}" stroke="#333" '
                       f'stroke-width="1.2" marker-end="url(#arrow)"/>')
        if e.label:
            lx, ly = sxp + (exq - sxp) * e.pos, syp + (eyq - syp) * e.pos - 5
            out.append(_text(e.label, lx, ly, 11))
    for n in d.nodes:
        x, y = at(n.x, n.y)
        if n.kind in ("neuron", "input"):
            fill = "#ebebeb" if n.kind == "input" else "white"
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="22" fill="{fill}" stroke="black" stroke-width="1.6"/>')
        elif n.kind in ("stage", "leaf", "bias"):
            w, h = _box(n)
            fill = {"leaf": "#ebebeb", "bias": "#fff8dc"}.get(n.kind, "white")
            out.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
                       f'fill="{fill}" stroke="black" stroke-width="1.4"/>')
        size = 11 if n.kind == "tag" else 16
        if n.kind == "dots":
            out.append(f'<text x="{x:.1f}" y="{y + 5:.1f}" font-size="20" text-anchor="middle">⋮</text>')
        else:
            out.append(_text(n.label, x, y + (-4 if n.note else 5), size, italic=n.kind != "tag"))
        if n.note:
            out.append(_text(n.note, x, y + 14, 11))
    for cx, cy, text in d.captions:
        x, y = at(cx, cy)
        out.append(_text(text, x, y, 13, italic=True))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _radius(n: DNode, ux: float = 1.0, uy: float = 0.0) -> float:
    """How far from the centre an edge leaving in direction (ux, uy) meets the shape."""
    if n.kind in ("neuron", "input"):
        return 23.0
    if n.kind in ("stage", "leaf", "bias"):
        w, h = _box(n)
        return min(w / 2 / abs(ux) if ux else 1e9, h / 2 / abs(uy) if uy else 1e9) + 2
    return 8.0


def _box(n: DNode) -> tuple[float, float]:
    chars = max(len(_plain(n.label)), len(_plain(n.note)))
    return max(56.0, 8.5 * chars + 16), (48.0 if n.note else 32.0)


_SYMBOLS = {r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\epsilon": "ε", r"\eta": "η",
            r"\theta": "θ", r"\lambda": "λ", r"\mu": "μ", r"\sigma": "σ", r"\tau": "τ", r"\phi": "φ",
            r"\psi": "ψ", r"\omega": "ω", r"\rho": "ρ", r"\kappa": "κ", r"\nu": "ν", r"\xi": "ξ",
            r"\zeta": "ζ", r"\chi": "χ", r"\pi": "π", r"\partial": "∂", r"\mid": "|", r"\times": "×",
            r"\to": "→", r"\,": " ", r"\;": " ", r"\vdots": "⋮", "$": ""}


def _plain(latex: str) -> str:
    return "".join(t for t, _ in _runs(latex))


def _runs(latex: str) -> list[tuple[str, str]]:
    """LaTeX math labels as runs of (text, position): position "" (baseline), "sub" or "sup".
    Handles what names and values use: ``x_{1}``, ``W^{(1)}_{12}``, ``\\hat{y}``,
    ``\\mathit{xw}``, Greek letters, ``\\times 10^{-5}``."""
    s = latex
    s = re.sub(r"\\hat\{([^{}]*)\}", lambda m: m.group(1) + "\u0302", s)
    s = re.sub(r"\\(mathit|mathrm|text|operatorname)\{([^{}]*)\}", r"\2", s)
    for k, v in _SYMBOLS.items():
        s = s.replace(k, v)
    runs: list[tuple[str, str]] = []
    i, base = 0, ""
    while i < len(s):
        c = s[i]
        if c in "_^" and i + 1 < len(s):
            pos = "sub" if c == "_" else "sup"
            if base:
                runs.append((base, ""))
                base = ""
            if s[i + 1] == "{":
                depth, j = 1, i + 2
                while j < len(s) and depth:
                    depth += {"{": 1, "}": -1}.get(s[j], 0)
                    j += 1
                inner = s[i + 2:j - 1]
                i = j
            else:
                inner, i = s[i + 1], i + 2
            runs.append((inner.replace("{", "").replace("}", ""), pos))
        else:
            if c not in "{}":
                base += c
            i += 1
    if base:
        runs.append((base, ""))
    return runs


def _text(latex: str, x: float, y: float, size: int, italic: bool = False) -> str:
    from xml.sax.saxutils import escape  # imported when drawn: it costs a cold start 30 ms

    parts, level = [], 0.0
    small = f"{size * 0.7:.0f}"
    for text, pos in _runs(latex):
        target = {"sub": size * 0.3, "sup": -size * 0.4}.get(pos, 0.0)
        dy = target - level
        level = target
        attrs = (f' dy="{dy:.1f}"' if dy else "") + (f' font-size="{small}"' if pos else "")
        parts.append(f"<tspan{attrs}>{escape(text)}</tspan>")
    if level:
        parts.append(f'<tspan dy="{-level:.1f}"></tspan>')
    style = ' font-style="italic"' if italic else ""
    # Anchored at its start, from an estimate of its width: renderers place runs of
    # mixed sizes more consistently that way than with text-anchor="middle".
    width = sum(len(t) * (0.36 if p else 0.52) * size for t, p in _runs(latex))
    return (f'<text x="{x - width / 2:.1f}" y="{y:.1f}" font-size="{size}" xml:space="preserve"{style}>'
            + "".join(parts) + "</text>")
