"""The diagram of a recurrent network unrolled over time: one column per time step (step 0
the initial state, the loss after the last), the input ``x_t`` at the bottom, then the
gates, the cell state, the hidden state and the outputs, each box a tensor with its shape.
Pre-activations and the weights (shared by every step, listed in the caption) are not
drawn; an edge joins two drawn tensors when one reads the other through them."""

from __future__ import annotations

import msgspec

from ..graph.model import Graph
from ..graph.recurrent_network import ROW_INPUT
from ..graph.tensor_spec import dependencies
from ..problem.tensor_expressions import Apply, Ref
from .boxes import DEdge, Diagram, DNode, box_size
from .routing import route

#: Column and row gaps (cm) between boxes.
GAP_X, ROW_Y, SLOT_GAP = 0.9, 1.6, 0.25


def _upstream(key: str, drawn: set[str], trees: dict) -> tuple[set[str], list]:
    """(the drawn tensors ``key`` reads, the trees it reads them through): the walk goes on
    through the tensors not drawn (pre-activations) and stops at drawn ones."""
    out, through, seen = set(), [trees.get(key)], set()
    todo = list(dependencies(trees[key])) if trees.get(key) is not None else []
    while todo:
        k = todo.pop()
        if k in seen:
            continue
        seen.add(k)
        if k in drawn:
            out.add(k)
        elif trees.get(k) is not None:
            through.append(trees[k])
            todo.extend(dependencies(trees[k]))
    return out, through


def _reads_row(tree, name: str) -> int | None:
    """The row index of the input sequence ``name`` that ``tree`` selects, if any."""
    if isinstance(tree, Apply):
        if tree.op.name == "select" and isinstance(tree.args[0], Ref) and tree.args[0].name == name:
            return dict(tree.kwargs)["index"]
        for a in tree.args:
            found = _reads_row(a, name)
            if found is not None:
                return found
    return None


def unrolled_diagram(graph: Graph, shapes: dict[str, str]) -> Diagram:
    """The unrolled network: each tensor at its (step, row) of ``graph.unrolled``, side by side
    when several share one (an LSTM's gates); the sequence's rows as ``x_t`` boxes."""
    infos = {t.key: t for t in graph.tensors}
    trees = {t.key: t.tree for t in graph.tensors}
    place = {k: (s, r) for k, s, r in graph.unrolled if r >= 0 and k in infos}
    seq = next((t for t in graph.tensors if t.kind == "input" and len(t.shape) == 2
                and any(_reads_row(tr, t.key) is not None for tr in trees.values())), None)
    labels = {k: graph.latex[k] for k in place}
    notes = {k: shapes.get(k, "") for k in place}
    drawn = set(place)  # visited in graph order below, for reproducible drawings
    order = {t.key: i for i, t in enumerate(graph.tensors)}
    reads_x: dict[str, str] = {}
    sources = {}
    for k in sorted(drawn, key=order.__getitem__):
        sources[k], through = _upstream(k, drawn, trees)
        rows = [r for r in (_reads_row(tree, seq.key) for tree in through) if r is not None] if seq else []
        if rows:
            x = f"{seq.key}-step{rows[0] + 1}"
            place[x] = (rows[0] + 1, ROW_INPUT)
            labels[x] = f"{seq.latex}_{{{rows[0] + 1}}}"
            notes[x] = str(seq.shape[1])
            reads_x[k] = x
    sizes = {k: box_size(labels[k], notes[k]) for k in place}
    cells: dict[tuple[int, int], list[str]] = {}
    for k, at in place.items():
        cells.setdefault(at, []).append(k)
    steps = sorted({s for s, _ in place.values()})
    widths = {s: max(sum(sizes[k][0] for k in ks) + SLOT_GAP * (len(ks) - 1)
                     for (c, _), ks in cells.items() if c == s) for s in steps}
    nodes, centre, x = [], {}, 0.0
    for i, s in enumerate(steps):
        x = 0.0 if i == 0 else x + widths[steps[i - 1]] / 2 + GAP_X + widths[s] / 2
        centre[s] = x
    level = {row: i for i, row in enumerate(sorted({r for _, r in cells}))}  # no empty rows (an RNN has no gates)
    for (s, row), ks in sorted(cells.items()):
        total = sum(sizes[k][0] for k in ks) + SLOT_GAP * (len(ks) - 1)
        left = centre[s] - total / 2
        for k in ks:
            w, h = sizes[k]
            kind = "leaf" if k in reads_x.values() or (k in infos and infos[k].tree is None) else "stage"
            nodes.append(DNode(k, labels[k], left + w / 2, level[row] * ROW_Y, notes[k], kind, w, h))
            left += w + SLOT_GAP
    first = lambda k: (place[k], order.get(k, -1))  # noqa: E731 (a tie broken by graph order)
    edges = []
    for k in sorted(drawn, key=first):
        for src in sorted(sources[k], key=first):  # along a row past other boxes: an arc
            (s0, r0), (s1, r1) = place[src], place[k]
            edges.append(DEdge(src, k, bend=r0 == r1 and abs(s1 - s0) > 1))
        if k in reads_x:
            edges.append(DEdge(reads_x[k], k))
    nodes, routed = _routed(nodes, edges, {k: level[place[k][1]] for k in place})
    shared = [t.latex for t in graph.tensors if t.kind in ("parameter", "bias")]
    low = min(n.y - n.h / 2 for n in nodes) - 0.5
    captions = tuple((centre[s], low, f"$t = {s}$") for s in steps if 0 < s <= _last_step(graph))
    captions += ((centre[steps[len(steps) // 2]], low - 0.8, "shared by every step: $" + ", ".join(shared) + "$"),)
    return Diagram(tuple(nodes), routed, captions)


def _routed(nodes: list[DNode], edges: list[DEdge], level: dict[str, int]) -> tuple[list[DNode], tuple[DEdge, ...]]:
    """The nodes and edges, each edge that would cross a box it does not join moved
    (:func:`.routing.route`): straight where it can be, else curved if it joins two boxes of a
    row (a GRU's r to n, past z); the rows 0.4 cm further apart when an edge between two rows
    cannot be straight (an LSTM's ``h`` to its last gate, under the cell state), and curved if
    it still cannot."""
    for row_y in (ROW_Y, ROW_Y + 0.4):
        placed = [msgspec.structs.replace(n, y=level[n.id] * row_y) for n in nodes]
        last = row_y != ROW_Y
        routed, stuck = route(placed, edges, curves=lambda e, last=last: last or level[e.src] == level[e.dst])
        if not stuck:
            break
    return placed, routed


def _last_step(graph: Graph) -> int:
    return max((s for k, s, _ in graph.unrolled if k.startswith("h_")), default=0)
