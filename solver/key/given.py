"""The "Given" part of a key: inputs, weights (named and as matrices), biases,
orientation; for graph problems the stages as defined."""

from __future__ import annotations

import sympy as sp

from ..core.names import latex_name
from ..core.numbers import written_latex
from ..graph.model import PARAMETER_KINDS, Graph
from ..ops.activations import ACTIVATIONS
from ..ops.latex import NNLatexPrinter, bmatrix
from ..problem.fields import written
from ..problem.schema import Problem
from .model import Block, Equation


def _matrix(rows: list[list[sp.Expr]]) -> str:
    return bmatrix([[written_latex(v) for v in r] for r in rows])

def given_blocks(problem: Problem, graph: Graph, digits: int) -> tuple[Block, ...]:
    """Blocks listing what the problem gives (inputs, named weights with their
    connections, the matrices, biases, the orientation)."""
    if graph.tensors:
        has = problem.network is not None and problem.target is not None
        return _tensor_given(graph, "y" if has else None) + ((target_block(problem.target, 1),) if has else ())
    if problem.graph is not None:
        return _graph_given(problem, graph, digits)
    net = problem.network
    blocks = []
    items = []
    for k, v in net.inputs.items():
        shown = (f"({', '.join(written_latex(x) for x in v)})" if isinstance(v, list)
                 else written_latex(v))
        items.append(f"{latex_name(k)} = {shown}")
    batch = graph.examples > 1
    title = f"Inputs (a batch of {graph.examples} examples, one per position)" if batch else "Inputs"
    blocks.append(Block("given", title, "$" + ", ".join(items) + "$"))
    how = ("$z = W x$ (row $j$ of $W$ holds the weights into neuron $j$)" if net.orientation == "Wx"
           else "$z = x W$ (column $j$ of $W$ holds the weights into neuron $j$)")
    to_pre = _arrows_to_pre(graph)
    for info, layer in zip(graph.layers, net.layers):
        li = info.index
        eqs = [Equation(rf"W^{{({li})}}", (("=", _matrix(layer.weights)),))]
        parts = []
        heads = info.pre[0] if to_pre else info.acts[0]
        for key in (n.key for n in graph.nodes if n.kind == "weight" and n.layer == li):
            r, c = graph.by_key[key].position
            src, dest = (c, r) if net.orientation == "Wx" else (r, c)
            # the arrow in the same formula, so that no line breaks between value and arrow
            parts.append(f"${graph.latex[key]} = {written_latex(graph.by_key[key].value)}\\ "
                         f"({latex_name(info.inputs[0][src].split('#')[0])} \\to "
                         f"{latex_name(heads[dest].split('#')[0])})$")
        biases = [n for n in graph.nodes if n.kind == "bias" and n.layer == li]
        if biases:
            shared = len(biases) == 1 and layer.units > 1
            btxt = ", ".join(f"${graph.latex[b.key]} = {written_latex(b.value)}$" for b in biases)
            parts.append("bias " + btxt + (" (shared by every neuron of the layer)" if shared else ""))
        else:
            parts.append("no bias")
        title = (f"Layer {li} ({layer.units} {'unit' if layer.units == 1 else 'units'}, "
                 f"{ACTIVATIONS[layer.activation].title})")
        blocks.append(Block("given", title, "; ".join(parts) + ".", tuple(eqs)))
    if problem.target is not None:
        blocks.append(target_block(problem.target, graph.examples))
    blocks.append(Block("given", "Orientation", f"Pre-activations are computed as {how}."))
    return tuple(blocks)


def target_text(target) -> str:
    """A target as the paper states it: ``$(0, 1)$``, ``class 2``, ``$0.5$``."""
    if hasattr(target, "class_"):
        return f"class {target.class_}"
    return f"${_tuple(target)}$"


def _tuple(value) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_tuple(v) for v in value) + ")"
    if hasattr(value, "class_"):  # one example's class in a batch of them
        return rf"\text{{class {value.class_}}}"
    return written_latex(value)


def target_block(target, examples: int) -> Block:
    """The problem's target (one per example for a batch), so that a paper whose statement does
    not repeat it (a per-student variant's) still gives it."""
    if examples > 1 and isinstance(target, list):
        return Block("given", "Targets (one per example)", ", ".join(target_text(t) for t in target) + ".")
    return Block("given", "Target", target_text(target) + ".")


def _arrows_to_pre(graph: Graph) -> bool:
    """Whether the weights' arrows end at pre-activations (``x_1 \\to z^{(1)}_1``) rather
    than at neurons (``x_1 \\to h_1``). A softmax layer's weight feeds one logit, not one
    probability, so its arrow must end at the logit; then every layer's does, so that the
    key has one arrow form."""
    return any(info.activation == "softmax" and info.pre[0] != info.acts[0] for info in graph.layers)


def _tensor_given(graph: Graph, target: str | None = None) -> tuple[Block, ...]:
    """A tensor graph's inputs and parameters as matrices (one per channel) with their
    shapes, and its stages as written; the input ``target`` (a network's targets, ``y``) is
    titled as the target it is."""
    from .tensor_display import tensor_equations
    from .tensor_forward import definition_of

    blocks = []
    for title, kinds in (("Inputs", ("input",)), ("Parameters", PARAMETER_KINDS)):
        for t in (t for t in graph.tensors if t.kind in kinds):
            shape = r" \times ".join(map(str, t.shape)) if t.shape else ""
            eqs = tensor_equations(t.latex, t, graph.by_key_values.__getitem__, 30)
            head = "Target" if t.key == target else title[:-1]
            blocks.append(Block("given", f"{head} ${t.latex}$" + (f" (${shape}$)" if shape else ""), "",
                                tuple(eqs)))
    stages = ", ".join(f"${definition_of(graph, t)}${_keywords(t.tree)}" for t in graph.tensors if t.tree is not None)
    out = next(t for t in graph.tensors if t.kind == "output")
    blocks.append(Block("given", "Stages", stages + f"; the output is ${out.latex}$."))
    return tuple(blocks)


def _keyword_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_keyword_text, value)) + "]"
    return written(value) if isinstance(value, sp.Rational) else str(value)


def _keywords(tree) -> str:
    """`` (stride=2, padding=1)``: the keyword arguments of a stage's operations that its
    LaTeX does not show (the stages are the question sheet's statement: without them a
    student could not tell a dilation, a dropout's p or a boolean mask), those that differ
    from the default, and those ``stated`` always (a pooling's kernel)."""
    from ..problem.tensor_expressions import Apply

    found = []

    def walk(t) -> None:
        if isinstance(t, Apply):
            for a in t.args:
                walk(a)
            kw = [rf"$\text{{{k.name.replace('_', chr(92) + '_')}}} = {_keyword_text(t.kwargs[k.name])}$"
                  for k in t.op.keywords if not k.in_latex and t.kwargs.get(k.name) is not None
                  and (t.kwargs[k.name] != k.default or k.stated)]
            if kw:
                found.append((t.op.name, kw))
    walk(tree)
    if len(found) == 1:
        return " (" + ", ".join(found[0][1]) + ")"
    return " (" + "; ".join(f"{name}: {', '.join(kw)}" for name, kw in found) + ")" if found else ""


def _graph_given(problem: Problem, graph: Graph, digits: int) -> tuple[Block, ...]:
    if graph.tensors:
        has = problem.network is not None and problem.target is not None
        return _tensor_given(graph, "y" if has else None) + ((target_block(problem.target, 1),) if has else ())
    spec, printer = problem.graph, NNLatexPrinter(graph.latex)
    blocks = []
    for title, values in (("Inputs", spec.inputs), ("Parameters", spec.parameters)):
        if values:
            text = ", ".join(f"${graph.latex[k]} = {written_latex(v)}$" for k, v in values.items())
            blocks.append(Block("given", title, text))
    stages = ", ".join(f"${graph.latex[n.key]} = {printer.doprint(n.expr)}$" for n in graph.nodes if not n.is_leaf)
    blocks.append(Block("given", "Stages", stages + f"; the output is ${graph.latex[spec.output]}$."))
    return tuple(blocks)


def given_values(graph: Graph) -> tuple[tuple[str, object], ...]:
    """Every input, parameter and target of ``graph`` by its name in the problem file, as
    exact text (``"0.1"``, ``"1/3"``): a batch's per-example values (``x1#2``) as one list
    per name, a tensor as nested lists. What the answers JSON calls ``given``."""
    if graph.tensors:
        out = []
        for t in graph.tensors:
            if t.kind in ("input", "parameter", "weight", "bias"):
                flat = [written(graph.by_key_values[k]) for k in t.elements]
                out.append((t.key, _nested(flat, t.shape)))
        return tuple(out)
    values: dict[str, list] = {}
    batched = set()
    order = {"input": 0, "weight": 1, "bias": 1, "parameter": 1, "target": 2}
    for n in sorted((n for n in graph.nodes if n.is_leaf and n.kind in order), key=lambda n: order[n.kind]):
        base, _, example = n.key.partition("#")
        values.setdefault(base, []).append(written(n.value))
        if example or (graph.examples > 1 and n.kind in ("input", "target")):
            batched.add(base)
    return tuple((k, v if k in batched else v[0]) for k, v in values.items())


def _nested(flat: list, shape: tuple[int, ...]):
    if not shape:
        return flat[0]
    step = len(flat) // shape[0]
    return [_nested(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]
