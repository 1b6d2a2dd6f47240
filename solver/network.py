"""Build the :class:`~solver.graph.Graph` of a layered (dense) network for one question.

Parameters are named once (:mod:`solver.names`' schemes, or the layer's ``names``);
each example of a batch gets its own copy of the neurons, keyed ``h1#2`` (example 2),
all sharing the parameters, and the batch loss is the mean (or sum) of the examples'
losses, so reverse accumulation adds up the examples' contributions by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import losses
from .activations import ACTIVATIONS, Softmax, leaky_definition
from .errors import ProblemError
from .graph import Graph, Group, LayerInfo, Node, sym
from .names import latex_name
from .numbers import display
from .problem import ClassTarget, Layer, Problem, Question


def weight_at(layer: Layer, orientation: str, dest: int, src: int):
    """The matrix entry of the weight from input ``src`` to neuron ``dest`` (0-based),
    and its (row, column) in the matrix as written."""
    r, c = (dest, src) if orientation == "Wx" else (src, dest)
    return layer.weights[r][c], (r, c)


def batch_size(problem: Problem) -> int:
    """How many examples the inputs hold (1 for a single input vector)."""
    first = next(iter(problem.network.inputs.values()))
    return len(first) if isinstance(first, list) else 1


def example_key(key: str, n: int, size: int) -> str:
    """``h1`` for a single example, ``h1#n`` for example ``n`` of a batch."""
    return key if size == 1 else f"{key}#{n}"


@dataclass(frozen=True)
class _LayerNames:
    neurons: list[str]
    pre: list[str]
    weights: dict[tuple[int, int], str]
    bias: list[str | None]  # one per unit (the same key for a shared bias)
    identity: bool


class _Namer:
    """Hands out default sequential names (w1, w2, …; b1, …; h1, …)."""

    def __init__(self):
        self.counters: dict[str, int] = {}

    def next(self, letter: str) -> str:
        self.counters[letter] = self.counters.get(letter, 0) + 1
        return f"{letter}{self.counters[letter]}"


def _layer_names(problem: Problem, namer: _Namer, li: int, n_in: int) -> _LayerNames:
    net = problem.network
    layer = net.layers[li]
    lnum, last = li + 1, li + 1 == len(net.layers)
    names = layer.names
    act = ACTIVATIONS[layer.activation]
    symbol = (names.symbol if names and names.symbol else
              ("o" if last else "h") if net.naming == "sequential" else "a")
    if names and names.neurons:
        neurons = list(names.neurons)
    elif net.naming == "sequential":
        neurons = [namer.next(symbol) for _ in range(layer.units)]
    else:
        neurons = [f"{symbol}{lnum}[{j + 1}]" for j in range(layer.units)]
    identity = act.apply is None and act.elementwise
    if identity:  # a linear neuron is one node: its pre-activation is its output
        if names and names.preactivations and not names.neurons:
            neurons = list(names.preactivations)
        pre = neurons
    elif names and names.preactivations:
        pre = list(names.preactivations)
    elif net.naming == "sequential":
        pre = [f"z_{k}" for k in neurons]
    else:
        pre = [f"z{lnum}[{j + 1}]" for j in range(layer.units)]
    bias: list[str | None] = [None] * layer.units
    if isinstance(layer.bias, list):
        bias = (list(names.bias) if names and isinstance(names.bias, list) else
                [namer.next("b") for _ in layer.bias] if net.naming == "sequential" else
                [f"b{lnum}[{j + 1}]" for j in range(layer.units)])
    elif layer.bias is not None:
        key = (names.bias if names and isinstance(names.bias, str) else
               namer.next("b") if net.naming == "sequential" else f"b{lnum}")
        bias = [key] * layer.units
    weights = {}
    for j in range(layer.units):
        for i in range(n_in):
            _, (r, c) = weight_at(layer, net.orientation, j, i)
            weights[(r, c)] = (names.weights[r][c] if names and names.weights else
                               namer.next("w") if net.naming == "sequential" else f"W{lnum}[{r + 1},{c + 1}]")
    return _LayerNames(neurons, pre, weights, bias, identity)


class _Builder:
    def __init__(self, problem: Problem, question: Question, file: str | None):
        self.problem, self.question, self.file = problem, question, file
        self.qi = problem.questions.index(question)
        self.net = problem.network
        self.size = batch_size(problem)
        self.nodes: list[Node] = []
        self.groups: list[Group] = []
        namer = _Namer()
        self.names: list[_LayerNames] = []
        n_in = len(self.net.inputs)
        for li, layer in enumerate(self.net.layers):
            self.names.append(_layer_names(problem, namer, li, n_in))
            n_in = layer.units

    def fail(self, message: str, field: str) -> ProblemError:
        return ProblemError(message, file=self.file, field=field)

    def parameters(self) -> None:
        for li, (layer, nm) in enumerate(zip(self.net.layers, self.names), start=1):
            seen = set()
            for j, key in enumerate(nm.bias):
                if key is not None and key not in seen:
                    seen.add(key)
                    value = layer.bias[j] if isinstance(layer.bias, list) else layer.bias
                    self.nodes.append(Node(key, "bias", value=value, layer=li))
            for (r, c), key in nm.weights.items():  # in naming order (per destination neuron)
                self.nodes.append(Node(key, "weight", value=layer.weights[r][c], layer=li, position=(r, c)))

    def example(self, n: int) -> list[sp.Symbol]:
        """The neurons of example ``n``; returns the output symbols."""
        ex = lambda key: example_key(key, n, self.size)  # noqa: E731
        prefix = f"Example {n}: " if self.size > 1 else ""
        prev = []
        for key, value in self.net.inputs.items():
            v = value[n - 1] if isinstance(value, list) else value
            self.nodes.append(Node(ex(key), "input", value=v, layer=0))
            prev.append(sym(ex(key)))
        n_layers = len(self.net.layers)
        for li, (layer, nm) in enumerate(zip(self.net.layers, self.names), start=1):
            last = li == n_layers
            act = ACTIVATIONS[layer.activation]
            keys: list[str] = []
            outs = []
            for j in range(layer.units):
                terms = []
                for i, src in enumerate(prev):
                    _, (r, c) = weight_at(layer, self.net.orientation, j, i)
                    w = sym(nm.weights[(r, c)])
                    terms.append(sp.Mul(*((src, w) if self.net.orientation == "xW" else (w, src)), evaluate=False))
                if nm.bias[j] is not None:
                    terms.append(sym(nm.bias[j]))
                z = terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)
                kind = "output" if (last and nm.identity) else ("activation" if nm.identity else "preactivation")
                self.nodes.append(Node(ex(nm.pre[j]), kind, expr=z, layer=li))
                keys.append(ex(nm.pre[j]))
                if act.elementwise and act.apply is not None:
                    a = act.apply(sym(ex(nm.pre[j])), slope=layer.slope)
                    self.nodes.append(Node(ex(nm.neurons[j]), "output" if last else "activation", expr=a, layer=li))
                    keys.append(ex(nm.neurons[j]))
                outs.append(sym(ex(nm.neurons[j] if act.elementwise else nm.pre[j])))
            if not act.elementwise:  # softmax over the layer
                logits = [sym(ex(k)) for k in nm.pre]
                outs = []
                for j, k in enumerate(nm.neurons):
                    self.nodes.append(Node(ex(k), "output" if last else "activation",
                                           expr=Softmax(sp.Integer(j), *logits), layer=li))
                    keys.append(ex(k))
                    outs.append(sym(ex(k)))
            definition = act.definition
            if layer.activation == "leaky_relu":
                definition = leaky_definition(display(layer.slope, 15).latex)
            title = "Output layer" if last else f"Hidden layer {li}" if n_layers > 2 else "Hidden layer"
            self.groups.append(Group(f"{prefix}{title} ({act.title})", tuple(keys), definition))
            prev = outs
        if self.question.output_head == "softmax":  # seed 000, question 3
            logits = list(prev)
            prev = []
            keys = []
            for j in range(len(logits)):
                k = ex(f"p{j + 1}")
                self.nodes.append(Node(k, "output", expr=Softmax(sp.Integer(j), *logits), layer=n_layers + 1))
                prev.append(sym(k))
                keys.append(k)
            self.groups.append(Group(f"{prefix}Softmax output", tuple(keys), ACTIVATIONS["softmax"].definition))
        return prev

    def targets(self, n_out: int) -> tuple[list[list[sp.Rational]], str]:
        q, p = self.question, self.problem
        target = q.target if q.target is not None else p.target
        field = f"questions[{self.qi}].target" if q.target is not None else "target"
        if target is None:
            raise self.fail("this question needs a target (set 'target' on the problem or the question)",
                            f"questions[{self.qi}].target")
        batch = isinstance(next(iter(self.net.inputs.values())), list)
        if not batch:
            items = [target]
        else:
            if isinstance(target, ClassTarget) or len(target) != self.size:
                got = "one class" if isinstance(target, ClassTarget) else f"{len(target)} targets"
                raise self.fail(f"the batch has {self.size} examples but {got} (give one target per example)",
                                field)
            items = list(target)
        out = []
        for n, t in enumerate(items, start=1):
            f = field if not batch else f"{field}[{n - 1}]"
            if isinstance(t, ClassTarget):
                if t.class_ > n_out:
                    raise self.fail(f"class {t.class_} is out of range: the network has {n_out} outputs "
                                    f"(classes 1 to {n_out})", f)
                out.append([sp.Integer(1 if k + 1 == t.class_ else 0) for k in range(n_out)])
                continue
            values = list(t) if isinstance(t, list) else [t]
            if not all(isinstance(v, sp.Rational) for v in values):
                raise self.fail("a target is a vector of numbers, or {class: k}"
                                + ("" if batch else "; give the inputs as lists for a batch"), f)
            if len(values) != n_out:
                raise self.fail(f"the target has {len(values)} values but the network has {n_out} outputs", f)
            out.append(values)
        return out, field

    def build(self) -> Graph:
        q = self.question
        self.parameters()
        outputs = [self.example(n) for n in range(1, self.size + 1)]
        loss_spec = q.loss or self.problem.loss
        graph_loss, softmax_ce, loss_title, loss_def = None, (), "", ""
        if any(a in q.ask for a in ("loss", "gradients", "update", "train")):
            if loss_spec is None:
                raise self.fail("this question asks for the loss or gradients but no loss is given "
                                "(set 'loss' on the problem or the question)", f"questions[{self.qi}].loss")
            targets, tfield = self.targets(len(outputs[0]))
            existing = {n.key for n in self.nodes}
            letter = "y" if not any(f"y{k + 1}" in existing for k in range(len(outputs[0]))) else "t"
            example_losses = []
            for n, (prev, tvals) in enumerate(zip(outputs, targets), start=1):
                tkeys = [example_key(f"{letter}{k + 1}", n, self.size) for k in range(len(prev))]
                for k, v in zip(tkeys, tvals):
                    self.nodes.append(Node(k, "target", value=v))
                form = losses.LOSSES[loss_spec.type](prev, [sym(k) for k in tkeys], loss_spec.reduction)
                self._check_probabilities(form, prev, loss_spec, tvals, tfield)
                if self.size > 1:
                    self.nodes.append(Node(example_key("L", n, self.size), "loss", expr=form.expr))
                    example_losses.append(sym(example_key("L", n, self.size)))
                else:
                    self.nodes.append(Node("L", "loss", expr=form.expr))
                loss_title, loss_def = form.title, form.definition
                if loss_spec.type == "cross_entropy" and sum(tvals) == 1:
                    outs = [self._by_key()[s.name] for s in prev]
                    if all(o.expr.func is Softmax for o in outs):
                        softmax_ce += tuple((o.expr.logits[j].name, o.key, tk)
                                            for j, (o, tk) in enumerate(zip(outs, tkeys)))
            if self.size > 1:
                total = sp.Add(*example_losses, evaluate=False)
                mean = (loss_spec.batch or "mean") == "mean"
                expr = sp.Mul(sp.Rational(1, self.size), total, evaluate=False) if mean else total
                self.nodes.append(Node("L", "loss", expr=expr))
                loss_title += (f", averaged over the batch of {self.size}" if mean
                               else f", summed over the batch of {self.size}")
                loss_def += (rf",\quad L = \frac{{1}}{{{self.size}}}\sum_{{n=1}}^{{{self.size}}} L^{{[n]}}" if mean
                             else rf",\quad L = \sum_{{n=1}}^{{{self.size}}} L^{{[n]}}")
            graph_loss = "L"
        seen: set[str] = set()
        for node in self.nodes:
            if node.key in seen:
                raise self.fail(f"the name '{node.key}' is used twice; give distinct names under "
                                "network.layers[*].names", "network")
            seen.add(node.key)
        latex = {node.key: latex_name(node.key) for node in self.nodes}
        return Graph(tuple(self.nodes), latex, graph_loss, tuple(self.groups), softmax_ce,
                     loss_title, loss_def, self.net.orientation, self._layer_info(), self.size)

    def _check_probabilities(self, form, prev, loss_spec, tvals, tfield) -> None:
        if not form.needs_probabilities:
            return
        outs = [self._by_key()[s.name] for s in prev]
        if not all(o.expr is not None and o.expr.func.__name__ in ("Softmax", "Sigmoid") for o in outs):
            field = "loss" if self.question.loss is None else f"questions[{self.qi}].loss"
            raise self.fail(f"{form.title} needs probabilities: give the output layer a softmax "
                            "or sigmoid activation (or output_head: softmax)", field)
        if loss_spec.type == "bce" and any(not (0 <= v <= 1) for v in tvals):
            raise self.fail("binary cross-entropy targets must lie between 0 and 1", tfield)

    def _by_key(self) -> dict[str, Node]:
        return {n.key: n for n in self.nodes}

    def _layer_info(self) -> tuple[LayerInfo, ...]:
        out = []
        prev = [list(self.net.inputs)]
        for li, (layer, nm) in enumerate(zip(self.net.layers, self.names), start=1):
            ex = [[example_key(k, n, self.size) for k in keys] for n, keys in
                  enumerate([nm.pre] * self.size, start=1)]
            acts = [[example_key(k, n, self.size) for k in nm.neurons] for n in range(1, self.size + 1)]
            inputs = [[example_key(k, n, self.size) for k in prev[0]] for n in range(1, self.size + 1)]
            rows, cols = len(layer.weights), len(layer.weights[0])
            weights = tuple(tuple(nm.weights[(r, c)] for c in range(cols)) for r in range(rows))
            bias = (None if layer.bias is None else nm.bias[0] if not isinstance(layer.bias, list)
                    else tuple(nm.bias))
            out.append(LayerInfo(li, layer.activation, layer.slope, tuple(map(tuple, inputs)),
                                 tuple(map(tuple, ex)), tuple(map(tuple, acts)), weights, bias))
            prev = [nm.neurons]
        return tuple(out)


def build_network(problem: Problem, question: Question, file: str | None = None) -> Graph:
    """The graph of ``problem``'s network under ``question``'s loss, target and head.

    Raises:
        ProblemError: names that clash, a target of the wrong length or count, a class
            out of range, or a loss that needs probabilities on outputs that are not.
    """
    return _Builder(problem, question, file).build()
