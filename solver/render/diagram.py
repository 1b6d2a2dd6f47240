"""Diagrams of the network or the computational graph: one layout, two drawings.

:func:`network_diagram` and :func:`graph_diagram` place nodes and edges (a
:class:`Diagram`), :func:`diagram` picks one for a key's :class:`~solver.key.model.Figure`;
:mod:`.drawing` writes it as TikZ for LaTeX keys and sheets, and as SVG for Markdown.
Labels are LaTeX math.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.names import latex_name
from ..core.numbers import display
from ..graph.model import Graph
from ..key.model import Figure
from ..ops.activations import ACTIVATIONS

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


def diagram(figure: Figure | None, sheet: str) -> Diagram | None:
    """The diagram of a key (``sheet="key"``: weights' values, or each node's value and
    gradient) or of a question paper (names only)."""
    if figure is None:
        return None
    key = sheet == "key"
    if figure.kind == "network":
        return network_diagram(figure.graph, values=key)
    return graph_diagram(figure.graph, figure.values if key else None, figure.adjoint if key else None)
