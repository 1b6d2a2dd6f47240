"""Diagrams of the network or the computational graph: one layout, two drawings.

:func:`network_diagram` and :func:`graph_diagram` place nodes, edges, labels and
matrices (a :class:`Diagram`, lengths in centimetres), :func:`diagram` picks one for a
key's :class:`~solver.key.model.Figure`; :mod:`.drawing` writes it as TikZ for LaTeX
keys and sheets, and as SVG for Markdown. Labels are LaTeX math.

A network's edge labels sit along their edges near the source, each clear of every node, tag
and other label (:mod:`.placement`); where they cannot, the weights' values go in matrices under
the drawing. A computational graph is laid out by :mod:`.graphs`, a recurrent network unrolled
by :mod:`.unrolled`; in both, no edge runs through a box it does not join (:mod:`.routing`).
"""

from __future__ import annotations

import weakref
from functools import cache
from typing import Callable

from ..core.names import latex_name
from ..core.numbers import display
from ..graph.model import Graph
from ..key.model import Figure
from ..ops.activations import ACTIVATIONS
from .boxes import RADIUS, DEdge, Diagram, DMatrix, DNode, label_size
from .graphs import graph_diagram
from .measure import LABEL_PT, PT, size
from .placement import Box, Wanted, place

#: Above this many units, a layer is drawn compactly: the first 3, a gap, the last 2.
MAX_UNITS = 6
#: The widest and tallest a network drawing may be laid out before labels give way.
MAX_WIDTH, MAX_HEIGHT = 15.0, 10.0
#: Column and row spacings tried, smallest first.
SPACINGS = tuple((dx, dy) for dy in (1.6, 2.0, 2.4) for dx in (4.0, 4.8, 5.6))


def label_boxes(d: Diagram) -> list[tuple[str, Box]]:
    """Every text box of the drawing but the neurons' names: edge labels, bias nodes
    and tags, boxes of a graph, matrices and captions, as (what, box)."""
    out = [(f"edge {e.src}->{e.dst}", e.box) for e in d.edges if e.box is not None]
    out += [(f"{n.kind} {n.id}", Box(n.x, n.y, n.w, n.h)) for n in d.nodes if n.w]
    out += [(f"matrix {m.name}", Box(m.x, m.y, m.w, m.h)) for m in d.matrices]
    for x, y, text in d.captions:
        w, h = size(text, 9.0, math=False)
        out.append((f"caption {text}", Box(x, y, w, h)))
    return out


def node_circles(d: Diagram) -> list[tuple[str, float, float, float]]:
    """The neurons and inputs as circles (id, x, y, radius)."""
    return [(n.id, n.x, n.y, RADIUS) for n in d.nodes if n.kind in ("neuron", "input")]


def _base(key: str) -> str:
    return key.split("#")[0]


def _shown(count: int) -> list[int | None]:
    """Indices drawn for a layer of ``count`` units (None marks the ellipsis)."""
    if count <= MAX_UNITS:
        return list(range(count))
    return [0, 1, 2, None, count - 2, count - 1]


def _values(graph: Graph) -> Callable[[str], str]:
    """A parameter's value as the drawing shows it (LaTeX, 6 significant figures), by its
    key, each worked out once for all the layouts tried."""
    return cache(lambda key: display(graph.by_key[key].value, 6).latex)


def network_diagram(graph: Graph, values: bool) -> Diagram:
    """The layered network: inputs, then each layer's neurons, biases as a node above
    each layer (or a tag above each neuron). Edges carry the weights' names (and values
    when ``values``) where every label fits clear of the others; otherwise the names
    only, with the values as matrices under the drawing; otherwise no labels."""
    modes = ("values", "names", "none") if values else ("names", "none")
    value = _values(graph)
    for mode in modes[:-1]:
        for dx, dy in SPACINGS:
            d = _network(graph, value, values, mode, dx, dy)
            if d is not None:
                return d
    return _network(graph, value, values, "none", *SPACINGS[0])


def _network(graph: Graph, value: Callable[[str], str], values: bool, mode: str, dx: float,
             dy: float) -> Diagram | None:
    info0 = graph.layers[0]
    columns = [[_base(k) for k in info0.inputs[0]]] + [[_base(k) for k in info.acts[0]] for info in graph.layers]
    if (len(columns) - 1) * dx + 2 * RADIUS > MAX_WIDTH and mode != "none":
        return None
    nodes, ids, fixed = [], [], []
    for col, keys in enumerate(columns):
        shown = _shown(len(keys))
        top = (len(shown) - 1) / 2
        if 2 * top * dy > MAX_HEIGHT and mode != "none":
            return None
        here = {}
        for row, j in enumerate(shown):
            nid = f"c{col}r{row}"
            if j is None:
                nodes.append(DNode(nid, r"\vdots", col * dx, (top - row) * dy, kind="dots"))
                fixed.append(Box(col * dx, (top - row) * dy, 0.3, 0.6))
                continue
            nodes.append(DNode(nid, latex_name(keys[j]), col * dx, (top - row) * dy,
                               kind="input" if col == 0 else "neuron"))
            here[j] = nid
        ids.append(here)
    where = {n.id: n for n in nodes}
    raw: list[tuple[str, str, str]] = []  # (src, dst, label)
    for col, info in enumerate(graph.layers, start=1):
        src, dst = ids[col - 1], ids[col]
        for r, row in enumerate(info.weights):
            for c, key in enumerate(row):
                i, j = (c, r) if graph.orientation == "Wx" else (r, c)
                if i in src and j in dst:
                    label = "" if mode == "none" else graph.latex[key] + (
                        f" = {value(key)}" if mode == "values" else "")
                    raw.append((src[i], dst[j], label))
        nodes += _biases(graph, value, info, col, dst, where, dx, dy, values)
    fixed += [Box(n.x, n.y, n.w, n.h) for n in nodes if n.w]
    where = {n.id: n for n in nodes}
    centre = {nid: (n.x, n.y) for nid, n in where.items()}
    segments = [(centre[s], centre[t]) for s, t, _ in raw]
    segments += [(centre[n.id], centre[t]) for n in nodes if n.kind == "bias" for t in _fed(n, ids)]
    wanted = [Wanted(centre[s], centre[t], *label_size(label)) for s, t, label in raw if label]
    circles = [(n.x, n.y, RADIUS) for n in nodes if n.kind in ("neuron", "input")]
    spots = place(wanted, circles, fixed, segments)
    if spots is None:
        return None
    spots_iter = iter(spots)
    edges = []
    for s, t, label in raw:
        pos, box = next(spots_iter) if label else (0.5, None)
        edges.append(DEdge(s, t, label, pos, box))
    edges += [DEdge(n.id, t) for n in nodes if n.kind == "bias" for t in _fed(n, ids)]
    low = min(n.y - (n.h / 2 if n.w else RADIUS) for n in nodes) - 0.5
    captions = [(col * dx, low, "input" if col == 0 else ACTIVATIONS[graph.layers[col - 1].activation].title)
                for col in range(len(columns))]
    matrices = _matrices(graph, value, low - 0.45, (len(columns) - 1) * dx / 2) if (values or mode == "none") \
        and mode != "values" else ()
    return Diagram(tuple(nodes), tuple(edges), tuple(captions), matrices)


def _fed(bias: DNode, ids: list[dict[int, str]]) -> list[str]:
    return list(ids[int(bias.id[4:])].values())


def _biases(graph: Graph, value: Callable[[str], str], info, col: int, dst: dict[int, str], where: dict[str, DNode], dx: float,
            dy: float, values: bool) -> list[DNode]:
    """A shared bias as a node above and left of its layer, or one bias per neuron as a
    tag just above it."""
    if info.bias is None:
        return []
    if isinstance(info.bias, str):
        label = graph.latex[info.bias] + (f" = {value(info.bias)}" if values else "")
        w, h = label_size(label)
        top = max(where[nid].y for nid in dst.values())
        return [DNode(f"bias{col}", label, (col - 0.5) * dx, top + 0.75 * dy, kind="bias", w=w, h=h)]
    out = []
    for j, nid in dst.items():
        key = info.bias[j]
        label = "+" + graph.latex[key] + (f" = {value(key)}" if values else "")
        w, h = label_size(label)
        out.append(DNode(f"{nid}b", label, where[nid].x, where[nid].y + RADIUS + 0.03 + h / 2, kind="tag", w=w, h=h))
    return out


def _matrices(graph: Graph, value: Callable[[str], str], top: float, middle: float) -> tuple[DMatrix, ...]:
    """Each layer's weights as a matrix of values (compact past :data:`MAX_UNITS`), in a
    row under the drawing, or one under another when a row would be too wide."""
    made = []
    for info in graph.layers:
        rows_at, cols_at = _shown(len(info.weights)), _shown(len(info.weights[0]))
        rows = tuple(tuple((value(info.weights[r][c]) if c is not None else r"\cdots") if r is not None
                           else (r"\vdots" if c is not None else r"\ddots") for c in cols_at) for r in rows_at)
        name = f"W^{{({info.index})}}"
        widths = [max(label_size(row[c])[0] for row in rows) for c in range(len(cols_at))]
        w = size(name + " = ", LABEL_PT)[0] + sum(widths) + 10 * PT * (len(widths) - 1) + 0.4
        h = len(rows) * 10 * PT + 0.25
        made.append((name, rows, w, h))
    gap = 0.6
    out: list[DMatrix] = []
    if sum(w for *_, w, _h in made) + gap * (len(made) - 1) <= MAX_WIDTH:
        x = middle - (sum(w for *_, w, _h in made) + gap * (len(made) - 1)) / 2
        tallest = max(h for *_, h in made)
        for name, rows, w, h in made:
            out.append(DMatrix(name, rows, x + w / 2, top - tallest / 2, w, h))
            x += w + gap
        return tuple(out)
    for name, rows, w, h in made:
        out.append(DMatrix(name, rows, middle, top - h / 2, w, h))
        top -= h + 0.3
    return tuple(out)


#: The diagrams laid out so far, by the figure's id, then by whether they are a key's: a figure is
#: laid out once per sheet however many formats draw it (dropped when the figure is).
_LAID_OUT: dict[int, dict[bool, Diagram | None]] = {}


def diagram(figure: Figure | None, sheet: str) -> Diagram | None:
    """The diagram of a key (``sheet="key"``: weights' values, or each node's value and
    gradient) or of a question paper (names only). A :class:`Diagram` is immutable, and
    the same figure's is laid out once per sheet."""
    if figure is None:
        return None
    key = sheet == "key"
    done = _LAID_OUT.get(id(figure))
    if done is None:
        done = _LAID_OUT[id(figure)] = {}
        weakref.finalize(figure, _LAID_OUT.pop, id(figure), None).atexit = False
    if key not in done:
        done[key] = _diagram(figure, key)
    return done[key]


def _diagram(figure: Figure, key: bool) -> Diagram:
    if figure.kind == "network":
        return network_diagram(figure.graph, values=key)
    if figure.kind == "tensors":  # one box per tensor, with its shape; a recurrent network's by time step
        if figure.graph.unrolled:  # (the module reads the recurrent graph's: imported only for one)
            from .unrolled import unrolled_diagram

            return unrolled_diagram(figure.graph, figure.values)
        return graph_diagram(figure.graph, None, None, figure.values)
    return graph_diagram(figure.graph, figure.values if key else None, figure.adjoint if key else None)
