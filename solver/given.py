"""The "Given" part of a key: inputs, weights (named and as matrices), biases,
orientation; for graph problems the stages as defined."""

from __future__ import annotations

import sympy as sp

from .activations import ACTIVATIONS
from .graph import PARAMETER_KINDS, Graph
from .numbers import display
from .problem import Problem
from .solution import Block
from .steps import Equation


def _matrix(rows: list[list[sp.Expr]], digits: int) -> str:
    body = r" \\ ".join(" & ".join(display(v, digits).latex for v in r) for r in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"



def _source(graph: Graph, weight: str, dest: str) -> str | None:
    """The quantity that ``weight`` multiplies in ``dest``'s pre-activation."""
    expr = graph.by_key[dest].expr
    w = graph.by_key[weight].symbol
    for term in (expr.args if expr.is_Add else (expr,)):
        if term.is_Mul and w in term.args:
            others = [a for a in term.args if a != w]
            if len(others) == 1 and others[0].is_Symbol:
                return others[0].name
    return None


def given_blocks(problem: Problem, graph: Graph, digits: int) -> tuple[Block, ...]:
    if problem.graph is not None:
        return _graph_given(problem, graph, digits)
    net = problem.network
    blocks = []
    inputs = ", ".join(f"{graph.latex[k]} = {display(v, digits).latex}" for k, v in net.inputs.items())
    blocks.append(Block("given", "Inputs", f"${inputs}$"))
    how = ("$z = W x$ (row $j$ of $W$ holds the weights into neuron $j$)" if net.orientation == "Wx"
           else "$z = x W$ (column $j$ of $W$ holds the weights into neuron $j$)")
    weights = [n for n in graph.nodes if n.kind == "weight"]
    for li, layer in enumerate(net.layers, start=1):
        names = [n for n in weights if n.layer == li]
        eqs = [Equation(rf"W^{{({li})}}", (("=", _matrix(layer.weights, 15)),))]
        parts = []
        for n in names:
            dest = graph.children[n.key][0]
            src = _source(graph, n.key, dest)
            acts = [c for c in graph.children[dest] if graph.by_key[c].kind in ("activation", "output")]
            dest = acts[0] if len(acts) == 1 and len(graph.children[dest]) == 1 else dest
            parts.append(f"${graph.latex[n.key]} = {display(n.value, 15).latex}$"
                         + (f" (${graph.latex[src]} \\to {graph.latex[dest]}$)" if src else ""))
        biases = [n for n in graph.nodes if n.kind == "bias" and n.layer == li]
        if biases:
            shared = len(biases) == 1 and layer.units > 1
            btxt = ", ".join(f"${graph.latex[b.key]} = {display(b.value, 15).latex}$" for b in biases)
            parts.append("bias " + btxt + (" (shared by every neuron of the layer)" if shared else ""))
        else:
            parts.append("no bias")
        title = (f"Layer {li} ({layer.units} {'unit' if layer.units == 1 else 'units'}, "
                 f"{ACTIVATIONS[layer.activation].title})")
        blocks.append(Block("given", title, "; ".join(parts) + ".", tuple(eqs)))
    blocks.append(Block("given", "Orientation", f"Pre-activations are computed as {how}."))
    return tuple(blocks)




def _graph_given(problem: Problem, graph: Graph, digits: int) -> tuple[Block, ...]:
    from .printing import NNLatexPrinter

    spec, printer = problem.graph, NNLatexPrinter(graph.latex)
    blocks = []
    for title, values in (("Inputs", spec.inputs), ("Parameters", spec.parameters)):
        if values:
            text = ", ".join(f"${graph.latex[k]} = {display(v, 15).latex}$" for k, v in values.items())
            blocks.append(Block("given", title, text))
    stages = ", ".join(f"${graph.latex[n.key]} = {printer.doprint(n.expr)}$" for n in graph.nodes if not n.is_leaf)
    blocks.append(Block("given", "Stages", stages + f"; the output is ${graph.latex[spec.output]}$."))
    return tuple(blocks)
