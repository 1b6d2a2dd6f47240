"""Diagrams of the network or the computational graph: one layout, two drawings.

:func:`network_diagram` and :func:`graph_diagram` place nodes and edges
(a :class:`Diagram`); :func:`tikz` writes it as TikZ for LaTeX keys and sheets, and
:func:`svg` draws it with matplotlib for Markdown. Labels are LaTeX math.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from .activations import ACTIVATIONS
from .graph import Graph
from .names import latex_name
from .numbers import display

#: Above this many units, a layer is drawn compactly: the first 3, a gap, the last 2.
MAX_UNITS = 6
#: Above this many edges between two layers, edges carry no labels (the matrix does).
MAX_LABELLED_EDGES = 16


@dataclass(frozen=True)
class DNode:
    id: str
    label: str           # LaTeX math (without $)
    x: float
    y: float
    note: str = ""       # a second line (value, gradient), LaTeX math
    kind: str = "neuron"  # neuron, input, bias, dots, stage, leaf


@dataclass(frozen=True)
class DEdge:
    src: str
    dst: str
    label: str = ""
    pos: float = 0.5  # where along the edge its label sits (0 = source)


@dataclass(frozen=True)
class Diagram:
    nodes: tuple[DNode, ...]
    edges: tuple[DEdge, ...]
    captions: tuple[tuple[float, float, str], ...] = ()  # (x, y, text) under the columns


def _base(key: str) -> str:
    return key.split("#")[0]


def _shown(count: int) -> list[int | None]:
    """Indices drawn for a layer of ``count`` units (None marks the ellipsis)."""
    if count <= MAX_UNITS:
        return list(range(count))
    return [0, 1, 2, None, count - 2, count - 1]


def network_diagram(graph: Graph, values: bool) -> Diagram:
    """The layered network: inputs, then each layer's neurons, edges labelled with the
    weights' names (and values when ``values``), biases as a node above each layer."""
    nodes, edges, captions = [], [], []
    info0 = graph.layers[0]
    columns = [[_base(k) for k in info0.inputs[0]]] + [[_base(k) for k in info.acts[0]] for info in graph.layers]
    ids: list[dict[int, str]] = []
    for col, keys in enumerate(columns):
        shown = _shown(len(keys))
        top = (len(shown) - 1) / 2
        here = {}
        for row, j in enumerate(shown):
            nid = f"c{col}r{row}"
            if j is None:
                nodes.append(DNode(nid, r"\vdots", col, top - row, kind="dots"))
                continue
            nodes.append(DNode(nid, latex_name(keys[j]), col, top - row, kind="input" if col == 0 else "neuron"))
            here[j] = nid
        ids.append(here)
        captions.append((col, 0, "input" if col == 0 else ACTIVATIONS[graph.layers[col - 1].activation].title))
    for col, info in enumerate(graph.layers, start=1):
        src, dst = ids[col - 1], ids[col]
        labelled = len(src) * len(dst) <= MAX_LABELLED_EDGES
        for (r, c_), key in ((rc, k) for r_, row in enumerate(info.weights) for rc, k in
                             (((r_, c2), k2) for c2, k2 in enumerate(row))):
            i, j = (c_, r) if graph.orientation == "Wx" else (r, c_)
            if i in src and j in dst:
                label = ""
                if labelled:
                    label = graph.latex[key] + (f" = {display(graph.by_key[key].value, 6).latex}" if values else "")
                # stagger labels along the edges by destination, so crossing edges keep theirs apart
                rows = sorted(dst)
                pos = 0.3 + 0.4 * (rows.index(j) / (len(rows) - 1) if len(rows) > 1 else 0.5)
                edges.append(DEdge(src[i], dst[j], label, pos))
        if isinstance(info.bias, str):  # one bias shared by the layer: a node feeding every neuron
            top = max(n.y for n in nodes if n.id in dst.values()) + 1
            label = graph.latex[info.bias] + (
                f" = {display(graph.by_key[info.bias].value, 6).latex}" if values else "")
            nodes.append(DNode(f"bias{col}", label, col - 0.5, top, kind="bias"))
            edges += [DEdge(f"bias{col}", nid) for nid in dst.values()]
        elif info.bias is not None:  # one bias per neuron: a tag above each neuron
            where = {n.id: n for n in nodes}
            for j, nid in dst.items():
                key = info.bias[j]
                label = "+" + graph.latex[key] + (f" = {display(graph.by_key[key].value, 6).latex}" if values else "")
                nodes.append(DNode(f"{nid}b", label, col, where[nid].y + 0.42, kind="tag"))
    low = min(n.y for n in nodes) - 0.8
    captions = [(x, low, text) for x, _, text in captions]
    return Diagram(tuple(nodes), tuple(edges), tuple(captions))


def graph_diagram(graph: Graph, values: dict | None, adjoint: dict | None) -> Diagram:
    """The computational graph: leaves on the left, each stage in the column of its
    depth; with ``values``, each node shows its value, and with ``adjoint`` its
    gradient (micrograd's "data | grad")."""
    depth: dict[str, int] = {}
    for n in graph.nodes:
        depth[n.key] = 0 if n.is_leaf else 1 + max((depth[p] for p in graph.parents[n.key]), default=0)
    for n in graph.nodes:  # a leaf sits just before the first stage that uses it
        if n.is_leaf and graph.children[n.key]:
            depth[n.key] = min(depth[c] for c in graph.children[n.key]) - 1
    columns: dict[int, list[str]] = {}
    for n in sorted(graph.nodes, key=lambda n: n.is_leaf):  # stages on the centre line, leaves around
        if n.kind != "target":
            columns.setdefault(depth[n.key], []).append(n.key)
    nodes, edges = [], []
    out = graph.latex[graph.loss] if graph.loss else "L"
    for d, keys in columns.items():
        # the stage on the centre line, the leaves alternately above and below it
        offsets = [0.0] + [s * (i // 2 + 1) for i, s in enumerate([-1, 1] * len(keys))][: len(keys) - 1]
        if not any(not graph.by_key[k].is_leaf for k in keys):
            offsets = [((len(keys) - 1) / 2 - i) for i in range(len(keys))]
        for k, off in zip(keys, offsets):
            note = ""
            if values is not None:
                note = f"{display(values[k], 4).latex}"
                if adjoint is not None and k in adjoint:
                    note += rf" \mid {display(adjoint[k], 4).latex}"
            leaf = graph.by_key[k].is_leaf
            nodes.append(DNode(k, graph.latex[k], d * 1.0, off, note, "leaf" if leaf else "stage"))
    for n in graph.nodes:
        for p in graph.parents[n.key]:
            if graph.by_key[p].kind != "target":
                edges.append(DEdge(p, n.key))
    caption = (f"each box: name, value $\\mid$ $\\partial {out}/\\partial$name" if adjoint is not None
               else "each box: name, value" if values is not None else "")
    low = min(n.y for n in nodes) - 1
    captions = ((max(n.x for n in nodes) / 2, low, caption),) if caption else ()
    return Diagram(tuple(nodes), tuple(edges), captions)


# -- drawings ----------------------------------------------------------------------------

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
    """The diagram drawn with matplotlib, as SVG text (reproducible: no date)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Circle, FancyBboxPatch

    xs = [n.x for n in d.nodes] + [c[0] for c in d.captions]
    ys = [n.y for n in d.nodes] + [c[1] for c in d.captions]
    sx, sy = 2.4, 1.15
    width = (max(xs) - min(xs)) * sx + 2.4
    height = (max(ys) - min(ys)) * sy + 1.6
    with matplotlib.rc_context({"svg.hashsalt": "nnsolve", "svg.fonttype": "path", "mathtext.fontset": "cm"}):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            ax.set_xlim(min(xs) * sx - 1.2, max(xs) * sx + 1.2)
            ax.set_ylim(min(ys) * sy - 0.8, max(ys) * sy + 0.8)
            ax.set_aspect("equal")
            ax.axis("off")
            pos = {n.id: (n.x * sx, n.y * sy) for n in d.nodes}
            radius = 0.32
            for e in d.edges:
                (x0, y0), (x1, y1) = pos[e.src], pos[e.dst]
                skip = abs(x1 - x0) > 1.01 * sx
                ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                            arrowprops=dict(arrowstyle="-|>", lw=0.9, color="0.25", shrinkA=16, shrinkB=16,
                                            connectionstyle="arc3,rad=-0.25" if skip else "arc3"))
                if e.label:
                    t = e.pos
                    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0) + 0.08, _mathtext(e.label),
                            fontsize=8, ha="center", va="bottom", color="0.15")
            for n in d.nodes:
                x, y = pos[n.id]
                if n.kind in ("neuron", "input"):
                    ax.add_patch(Circle((x, y), radius, fill=True, lw=1.4, ec="black",
                                        fc="0.92" if n.kind == "input" else "white", zorder=3))
                elif n.kind in ("stage", "leaf", "bias"):
                    w, h = (0.9, 0.5 if not n.note else 0.8)
                    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                                lw=1.2, ec="black", zorder=3,
                                                fc="0.92" if n.kind == "leaf" else "#fff8dc" if n.kind == "bias"
                                                else "white"))
                text = _mathtext(n.label) if n.kind != "dots" else r"$\vdots$"
                ax.text(x, y + (0.12 if n.note else 0), text, ha="center", va="center",
                        fontsize=8 if n.kind == "tag" else 11, zorder=4)
                if n.note:
                    ax.text(x, y - 0.2, _mathtext(n.note), ha="center", va="center", fontsize=7, zorder=4)
            for x, y, text in d.captions:
                ax.text(x * sx, y * sy, text, ha="center", va="center", fontsize=9, style="italic")
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        finally:
            plt.close(fig)
    return buf.getvalue()


def _mathtext(latex: str) -> str:
    """LaTeX math as matplotlib's mathtext understands it."""
    return "$" + latex.replace(r"\mathit", r"\mathit").replace(r"\mid", "|") + "$"
