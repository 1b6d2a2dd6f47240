"""Names of a layered network's quantities: the parameters named once (the schemes of
:mod:`solver.core.names`, or a layer's own ``names``), and each example's copy of the
neurons keyed ``h1#2`` (example 2)."""

from __future__ import annotations

import msgspec
import sympy as sp

from ..core.errors import counted
from ..core.names import latex_name
from ..ops.activations import ACTIVATIONS
from ..problem.layers import Layer
from ..problem.schema import ClassTarget, Problem
from .model import LayerInfo


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


class LayerNames(msgspec.Struct, frozen=True):
    neurons: list[str]
    pre: list[str]
    weights: dict[tuple[int, int], str]
    bias: list[str | None]  # one per unit (the same key for a shared bias)
    identity: bool


class Namer:
    """Hands out default sequential names (w1, w2, …; b1, …; h1, …). Weights and
    neurons are numbered through the network; biases too, where a layer without a bias
    uses up one number, so that a shared bias is named by its layer (``b2`` for layer 2)."""

    def __init__(self):
        self.counters: dict[str, int] = {}

    def next(self, letter: str) -> str:
        self.counters[letter] = self.counters.get(letter, 0) + 1
        return f"{letter}{self.counters[letter]}"


def layer_names(problem: Problem, namer: Namer, li: int, n_in: int) -> LayerNames:
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
    identity = act.identity
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
    elif net.naming == "sequential":  # a layer without bias still takes its number: the
        namer.next("b")  # output layer's bias is b2 after a hidden layer without one, never b1
    weights = {}
    for j in range(layer.units):
        for i in range(n_in):
            _, (r, c) = weight_at(layer, net.orientation, j, i)
            weights[(r, c)] = (names.weights[r][c] if names and names.weights else
                               namer.next("w") if net.naming == "sequential" else f"W{lnum}[{r + 1},{c + 1}]")
    return LayerNames(neurons, pre, weights, bias, identity)


def layer_info(net, names: list[LayerNames], size: int) -> tuple[LayerInfo, ...]:
    """Each dense layer as the matrix style shows it (keys per example, weights as written)."""
    out = []
    prev = [list(net.inputs)]
    for li, (layer, nm) in enumerate(zip(net.layers, names), start=1):
        ex = [[example_key(k, n, size) for k in keys] for n, keys in
              enumerate([nm.pre] * size, start=1)]
        acts = [[example_key(k, n, size) for k in nm.neurons] for n in range(1, size + 1)]
        inputs = [[example_key(k, n, size) for k in prev[0]] for n in range(1, size + 1)]
        rows, cols = len(layer.weights), len(layer.weights[0])
        weights = tuple(tuple(nm.weights[(r, c)] for c in range(cols)) for r in range(rows))
        bias = (None if layer.bias is None else nm.bias[0] if not isinstance(layer.bias, list)
                else tuple(nm.bias))
        params = tuple((p.name, getattr(layer, p.name)) for p in ACTIVATIONS[layer.activation].params)
        given = layer.names
        vector = latex_name(given.vector) if given and given.vector else None
        z_vector = latex_name(given.preactivation_vector) if given and given.preactivation_vector else None
        out.append(LayerInfo(li, layer.activation, params, tuple(map(tuple, inputs)),
                             tuple(map(tuple, ex)), tuple(map(tuple, acts)), weights, bias, vector, z_vector))
        prev = [nm.neurons]
    return tuple(out)


def example_target(target, n_out: int, field: str, fail, hint: str = "") -> list:
    """One example's target values: a class as a one-hot vector, or a vector of ``n_out``
    numbers (dense and convolutional networks alike).

    Raises:
        ProblemError: by ``fail(message, field)``: a class out of range, a value that is not
            a number (``hint`` added to the message), or a vector of the wrong length.
    """
    if isinstance(target, ClassTarget):
        if target.class_ > n_out:
            raise fail(f"class {target.class_} is out of range: the network has {counted(n_out, 'output')} "
                       f"(classes 1 to {n_out})", field)
        return [sp.Integer(1 if k + 1 == target.class_ else 0) for k in range(n_out)]
    values = list(target) if isinstance(target, list) else [target]
    if not all(isinstance(v, sp.Rational) for v in values):
        raise fail("a target is a vector of numbers, or {class: k}" + hint, field)
    if len(values) != n_out:
        raise fail(f"the target has {counted(len(values), 'value')} but the network has "
                   f"{counted(n_out, 'output')}", field)
    return values
