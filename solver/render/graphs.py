"""The diagram of a computational graph: leaves on the left, each stage in the column of its
depth, skip connections arcing over the columns they span (leaves below the centre line); a
tensor graph has one box per tensor."""

from __future__ import annotations

from ..core.numbers import display
from ..graph.model import Graph
from .boxes import DEdge, Diagram, DNode
from .boxes import box_size as _box_size


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
    nodes, edges, x, last = [], [], 0.0, None
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
    low = min(n.y - n.h / 2 for n in nodes) - 0.5
    captions = ((max(n.x for n in nodes) / 2, low, caption),) if caption else ()
    return Diagram(tuple(nodes), tuple(edges), captions)
