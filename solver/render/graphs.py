"""The diagram of a computational graph: leaves on the left, each stage in the column of its
depth, skip connections arcing over the columns they span; a tensor graph has one box per
tensor. Where a straight edge would cross a box it does not join, the leaves of each column are
put in the order of the stages they feed, and an edge that still would is moved
(:mod:`.routing`)."""

from __future__ import annotations

import msgspec

from ..core.numbers import display
from ..graph.model import Graph
from .boxes import DEdge, Diagram, DNode
from .boxes import box_size as _box_size
from .routing import crossings, route

#: How much wider (cm) the gap before a column grows, and how many times at most, while an edge
#: into it cannot be drawn straight.
WIDEN, TIMES = 0.4, 5


def graph_diagram(graph: Graph, values: dict | None, adjoint: dict | None, shapes: dict | None = None) -> Diagram:
    """The computational graph: leaves on the left, each stage in the column of its depth; each
    node shows its value with ``values``, its gradient with ``adjoint`` (micrograd's "data | grad"),
    its shape with ``shapes`` (LaTeX by node). Columns are as wide as their widest box."""
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
    notes = {k: shapes[k] if shapes is not None else "" if values is None else display(values[k], 4).latex + (
        rf" \mid {display(adjoint[k], 4).latex}" if adjoint is not None and k in adjoint else "")
        for keys in columns.values() for k in keys}
    sizes = {k: _box_size(graph.latex[k], notes[k]) for k in notes}
    nodes, edges, x, last, pinned = [], [], 0.0, None, set()
    index = {k: i for i, d in enumerate(sorted(columns)) for k in columns[d]}
    arcs = [(p, n.key) for n in graph.nodes for p in graph.parents[n.key]
            if graph.by_key[p].kind != "target" and abs(index[n.key] - index[p]) > 1]
    under_arc = {i for p, k in arcs for i in range(min(index[k], index[p]), max(index[k], index[p]) + 1)}
    # an arc leaves the top of its box: a leaf it leaves goes on top of its column, or it would
    # cross the boxes above it (the wider their names, the longer it takes to clear them)
    ends = {k for arc in arcs for k in arc}
    for d in sorted(columns):
        keys = columns[d]  # its stages first
        lifted = [k for k in keys if graph.by_key[k].is_leaf and k in ends]
        stage = not graph.by_key[keys[0]].is_leaf
        if lifted and not (stage and keys[0] in ends):
            keys = keys[:stage] + lifted + [k for k in keys[stage:] if k not in lifted]
            pinned.update(lifted)
        widest = max(sizes[k][0] for k in keys)
        x = 0.0 if last is None else x + last / 2 + 0.7 + widest / 2
        last = widest
        # the stage on the centre line, the leaves alternately above and below it
        offsets = [0.0] + [s * (i // 2 + 1) for i, s in enumerate([-1, 1] * len(keys))][: len(keys) - 1]
        if index[keys[0]] in under_arc:
            offsets = [0.0] + [-(i + 1.0) for i in range(len(keys) - 1)]
        if not any(not graph.by_key[k].is_leaf for k in keys):
            offsets = [((len(keys) - 1) / 2 - i) for i in range(len(keys))]
        elif lifted and keys[0] not in ends:  # those leaves above the stage, the others below it
            offsets = [0.0] + [i + 1.0 for i in range(len(lifted))] + [-(i + 1.0) for i in range(len(keys) - 1 - len(lifted))]
        step = 0.4 + max(sizes[k][1] for k in keys)
        for k, off in zip(keys, offsets):
            kind = "leaf" if graph.by_key[k].is_leaf else "stage"
            nodes.append(DNode(k, graph.latex[k], x, off * step, notes[k], kind, *sizes[k]))
    for n in graph.nodes:
        for p in graph.parents[n.key]:
            if graph.by_key[p].kind != "target":
                edges.append(DEdge(p, n.key, bend=abs(index[n.key] - index[p]) > 1))
    out = graph.latex[graph.loss] if graph.loss else "L"
    caption = ("each box: name, shape" if shapes is not None else f"each box: name, value $\\mid$ $\\partial {out}/\\partial$name" if adjoint is not None
               else "each box: name, value" if values is not None else "")
    nodes, edges = _routed(graph, nodes, edges, pinned, index)
    low = min(n.y - n.h / 2 for n in nodes) - 0.5
    captions = ((max(n.x for n in nodes) / 2, low, caption),) if caption else ()
    return Diagram(tuple(nodes), edges, captions)


def _routed(graph: Graph, nodes: list[DNode], edges: list[DEdge], pinned: set[str],
            index: dict[str, int]) -> tuple[list[DNode], tuple[DEdge, ...]]:
    """The nodes and edges, no edge crossing a box it does not join where that can be: if one
    would, the leaves in the order of the stages they feed (when fewer cross so), and the edges
    that still would moved (:func:`.routing.route`); where one cannot be moved straight, the
    columns from its target's on WIDEN further right, up to TIMES times, then it may curve."""
    shift: dict[int, float] = {}
    for attempt in range(TIMES + 1):
        placed = [msgspec.structs.replace(n, x=n.x + sum(w for i, w in shift.items() if i <= index[n.id]))
                  for n in nodes] if shift else nodes
        found = len(crossings(placed, edges))
        if found:  # the leaves by the stages they feed, where fewer edges cross so
            ordered = _by_stages(graph, placed, pinned)
            placed = ordered if len(crossings(ordered, edges)) < found else placed
        routed, stuck = route(placed, edges, curves=lambda e, last=attempt == TIMES: last)
        for e in stuck:
            shift[index[e.dst]] = shift.get(index[e.dst], 0.0) + WIDEN
        if not stuck:
            break
    return placed, routed


def _by_stages(graph: Graph, nodes: list[DNode], pinned: set[str]) -> list[DNode]:
    """The nodes with each column's leaves (but the ``pinned``, on top for their arcs) moved
    among their places: the leaf whose stages in the next column sit highest on average in the
    highest place (Sugiyama's barycentre), ties in their order."""
    x, y = {n.id: n.x for n in nodes}, {n.id: n.y for n in nodes}
    columns: dict[float, list[str]] = {}
    for n in nodes:
        if n.kind == "leaf" and n.id not in pinned:
            columns.setdefault(n.x, []).append(n.id)
    moved = {}
    for col, keys in columns.items():
        nxt = min((x[c] for k in keys for c in graph.children[k] if x.get(c, col) > col), default=None)
        fed = {k: [y[c] for c in graph.children[k] if x.get(c) == nxt] for k in keys}
        centre = {k: sum(fed[k]) / len(fed[k]) if fed[k] else y[k] for k in keys}
        order = sorted(keys, key=lambda k: (-centre[k], -y[k]))
        moved.update(zip(order, sorted((y[k] for k in keys), reverse=True)))
    return [msgspec.structs.replace(n, y=moved[n.id]) if n.id in moved else n for n in nodes]
