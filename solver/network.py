"""Build the :class:`~solver.graph.Graph` of a layered (dense) network for one question."""

from __future__ import annotations

import sympy as sp

from . import losses
from .activations import ACTIVATIONS, Softmax, leaky_definition
from .errors import ProblemError
from .graph import sym, Graph, Group, Node
from .names import latex_name
from .numbers import display
from .problem import ClassTarget, Layer, Problem, Question


def weight_at(layer: Layer, orientation: str, dest: int, src: int):
    """The matrix entry of the weight from input ``src`` to neuron ``dest`` (0-based),
    and its (row, column) in the matrix as written."""
    r, c = (dest, src) if orientation == "Wx" else (src, dest)
    return layer.weights[r][c], (r, c)


class _Namer:
    """Hands out default names under the network's naming scheme."""

    def __init__(self, scheme: str):
        self.scheme = scheme
        self.counters: dict[str, int] = {}

    def next(self, letter: str) -> str:
        self.counters[letter] = self.counters.get(letter, 0) + 1
        return f"{letter}{self.counters[letter]}"


def _field(li: int, name: str) -> str:
    return f"network.layers[{li}].{name}"


def build_network(problem: Problem, question: Question, file: str | None = None) -> Graph:
    """The graph of ``problem``'s network under ``question``'s loss, target and head.

    Raises:
        ProblemError: names that clash, a target of the wrong length, a class out of
            range, or a loss that needs probabilities on outputs that are not.
    """
    net = problem.network
    namer = _Namer(net.naming)
    nodes: list[Node] = []
    groups: list[Group] = []

    prev = []
    for key, value in net.inputs.items():
        nodes.append(Node(key, "input", value=value, layer=0))
        prev.append(sym(key))

    n_layers = len(net.layers)
    for li, layer in enumerate(net.layers):
        lnum = li + 1
        last = lnum == n_layers
        names = layer.names
        act = ACTIVATIONS[layer.activation]
        symbol = (names.symbol if names and names.symbol else
                  ("o" if last else "h") if net.naming == "sequential" else "a")
        if names and names.neurons:
            neuron_keys = list(names.neurons)
        elif net.naming == "sequential":
            neuron_keys = [namer.next(symbol) for _ in range(layer.units)]
        else:
            neuron_keys = [f"{symbol}{lnum}[{j + 1}]" for j in range(layer.units)]
        identity = act.apply is None and act.elementwise
        if identity:  # a linear neuron is one node: its pre-activation is its output
            if names and names.preactivations and not names.neurons:
                neuron_keys = list(names.preactivations)
            pre_keys = neuron_keys
        elif names and names.preactivations:
            pre_keys = list(names.preactivations)
        elif net.naming == "sequential":
            pre_keys = [f"z_{k}" for k in neuron_keys]
        else:
            pre_keys = [f"z{lnum}[{j + 1}]" for j in range(layer.units)]

        # Biases.
        bias_syms: list[sp.Symbol | None] = [None] * layer.units
        if layer.bias is not None:
            if isinstance(layer.bias, list):
                keys = (list(names.bias) if names and isinstance(names.bias, list) else
                        [namer.next("b") for _ in layer.bias] if net.naming == "sequential" else
                        [f"b{lnum}[{j + 1}]" for j in range(layer.units)])
                for j, (k, v) in enumerate(zip(keys, layer.bias)):
                    nodes.append(Node(k, "bias", value=v, layer=lnum))
                    bias_syms[j] = sym(k)
            else:
                k = (names.bias if names and isinstance(names.bias, str) else
                     namer.next("b") if net.naming == "sequential" else f"b{lnum}")
                nodes.append(Node(k, "bias", value=layer.bias, layer=lnum))
                bias_syms = [sym(k)] * layer.units

        layer_keys: list[str] = []
        outs = []
        for j in range(layer.units):
            terms = []
            for i, src in enumerate(prev):
                value, (r, c) = weight_at(layer, net.orientation, j, i)
                if names and names.weights:
                    wkey = names.weights[r][c]
                elif net.naming == "sequential":
                    wkey = namer.next("w")
                else:
                    wkey = f"W{lnum}[{r + 1},{c + 1}]"
                nodes.append(Node(wkey, "weight", value=value, layer=lnum, position=(r, c)))
                w = sym(wkey)
                pair = (src, w) if net.orientation == "xW" else (w, src)
                terms.append(sp.Mul(*pair, evaluate=False))
            if bias_syms[j] is not None:
                terms.append(bias_syms[j])
            z = terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)
            kind = "output" if (last and identity) else ("activation" if identity else "preactivation")
            nodes.append(Node(pre_keys[j], kind, expr=z, layer=lnum))
            layer_keys.append(pre_keys[j])
            if act.elementwise and act.apply is not None:
                a = act.apply(sym(pre_keys[j]), slope=layer.slope)
                nodes.append(Node(neuron_keys[j], "output" if last else "activation", expr=a, layer=lnum))
                layer_keys.append(neuron_keys[j])
            outs.append(sym(neuron_keys[j] if act.elementwise else pre_keys[j]))
        if not act.elementwise:  # softmax over the layer
            logits = [sym(k) for k in pre_keys]
            outs = []
            for j, k in enumerate(neuron_keys):
                nodes.append(Node(k, "output" if last else "activation",
                                  expr=Softmax(sp.Integer(j), *logits), layer=lnum))
                layer_keys.append(k)
                outs.append(sym(k))
        definition = act.definition
        if layer.activation == "leaky_relu":
            definition = leaky_definition(display(layer.slope, 15).latex)
        title = ("Output layer" if last else f"Hidden layer {lnum}" if n_layers > 2 else "Hidden layer")
        groups.append(Group(f"{title} ({act.title})", tuple(layer_keys), definition))
        prev = outs

    # A softmax head added by the question (seed 000, question 3).
    if question.output_head == "softmax":
        logits = list(prev)
        head_keys = [f"p{k + 1}" for k in range(len(logits))]
        prev = []
        for j, k in enumerate(head_keys):
            nodes.append(Node(k, "output", expr=Softmax(sp.Integer(j), *logits), layer=n_layers + 1))
            prev.append(sym(k))
        groups.append(Group("Softmax output", tuple(head_keys), ACTIVATIONS["softmax"].definition))

    graph_loss = None
    softmax_ce: tuple = ()
    loss_title = loss_def = ""
    loss_spec = question.loss or problem.loss
    wants_loss = any(a in question.ask for a in ("loss", "gradients", "update"))
    if wants_loss:
        qi = problem.questions.index(question)
        if loss_spec is None:
            raise ProblemError("this question asks for the loss or gradients but no loss is given "
                               "(set 'loss' on the problem or the question)",
                               file=file, field=f"questions[{qi}].loss")
        target = question.target if question.target is not None else problem.target
        tfield = f"questions[{qi}].target" if question.target is not None else "target"
        if target is None:
            raise ProblemError("this question needs a target (set 'target' on the problem or the question)",
                               file=file, field=f"questions[{qi}].target")
        n_out = len(prev)
        if isinstance(target, ClassTarget):
            if target.class_ > n_out:
                raise ProblemError(f"class {target.class_} is out of range: the network has {n_out} outputs "
                                   f"(classes 1 to {n_out})", file=file, field=tfield)
            tvals = [sp.Integer(1 if k + 1 == target.class_ else 0) for k in range(n_out)]
        else:
            if len(target) != n_out:
                raise ProblemError(f"the target has {len(target)} values but the network has {n_out} outputs",
                                   file=file, field=tfield)
            tvals = list(target)
        existing = {n.key for n in nodes}
        letter = "y" if not any(f"y{k + 1}" in existing for k in range(n_out)) else "t"
        tkeys = [f"{letter}{k + 1}" for k in range(n_out)]
        for k, v in zip(tkeys, tvals):
            nodes.append(Node(k, "target", value=v))
        form = losses.LOSSES[loss_spec.type](prev, [sym(k) for k in tkeys], loss_spec.reduction)
        if form.needs_probabilities:
            out_nodes = [nodes_by_key(nodes)[s.name] for s in prev]
            ok = all(n.expr is not None and n.expr.func.__name__ in ("Softmax", "Sigmoid") for n in out_nodes)
            if not ok:
                raise ProblemError(f"{form.title} needs probabilities: give the output layer a softmax "
                                   "or sigmoid activation (or output_head: softmax)",
                                   file=file, field="loss" if question.loss is None else f"questions[{qi}].loss")
            if loss_spec.type == "bce" and any(v not in (0, 1) and not (0 <= v <= 1) for v in tvals):
                raise ProblemError("binary cross-entropy targets must lie between 0 and 1", file=file, field=tfield)
        nodes.append(Node("L", "loss", expr=form.expr))
        graph_loss = "L"
        loss_title, loss_def = form.title, form.definition
        if loss_spec.type == "cross_entropy" and sum(tvals) == 1:
            out_nodes = [nodes_by_key(nodes)[s.name] for s in prev]
            if all(n.expr.func is Softmax for n in out_nodes):
                softmax_ce = tuple((out.expr.logits[j].name, out.key, tk)
                                   for j, (out, tk) in enumerate(zip(out_nodes, tkeys)))

    seen: set[str] = set()
    for n in nodes:
        if n.key in seen:
            raise ProblemError(f"the name '{n.key}' is used twice; give distinct names under network.layers[*].names",
                               file=file, field="network")
        seen.add(n.key)
    latex = {n.key: latex_name(n.key) for n in nodes}
    return Graph(tuple(nodes), latex, graph_loss, tuple(groups), softmax_ce,
                 loss_title, loss_def, net.orientation)


def nodes_by_key(nodes: list[Node]) -> dict[str, Node]:
    return {n.key: n for n in nodes}
