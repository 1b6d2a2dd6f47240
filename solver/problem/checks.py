"""Checks across fields that the schema alone cannot express (matrix shapes, name
counts), and the limits on how much work a file may ask for. Called by
:func:`solver.problem.validation.validate`.

Limits (README, "Limits"), measured on the 2-core CI machine; each keeps the
worst file within them to about a minute or less, where without them a file of
under 1 MB could run for hours:

* a network has at most :data:`MAX_PARAMETERS` weights and biases (all gradients
  of a 20,000-parameter ReLU network: 25 s; an update of a sigmoid one: 43 s);
* every question writes every neuron of every example out, so the questions
  together cover at most :data:`MAX_KEY_WORK` parameters × examples (a training
  question counts twice: its first step is derived in full, then compiled);
* training runs cost about 45–65 µs per step × parameter × example (1,000 steps
  of the 9-parameter XOR network on its 4 examples: 1.6 s), so all the training
  questions together take at most :data:`MAX_TRAIN_WORK` steps × parameters ×
  examples;
* a graph's cost grows with each stage's length times the names it uses (one local
  derivative per name, each as long as the stage): its size, the sum over stages of
  (1 + names used) × characters, is at most :data:`MAX_GRAPH_SIZE`, its questions
  together at most :data:`MAX_GRAPH_KEY_WORK`, its training at most
  :data:`MAX_GRAPH_TRAIN_WORK` steps × size;
* powers nested in one stage (``square(square(x))`` is ``x^4``) multiply to at
  most :data:`MAX_NESTED_POWER`: values stay exact, and ``x^(2^30)`` would not fit
  in memory.
"""

from __future__ import annotations

import re

import sympy as sp

from ..core.errors import ProblemError, counted
from ..ops.activations import ACTIVATIONS
from .expressions import FUNCTIONS, ExpressionError, parse_expression
from .norm_layers import NORM_TYPES
from .schema import Problem

#: Weights and biases of a network (a shared bias counts once).
MAX_PARAMETERS = 20_000
#: Σ over the questions of parameters × examples of the batch (training questions twice).
MAX_KEY_WORK = 30_000
#: Σ over the training questions of steps × parameters × examples.
MAX_TRAIN_WORK = 250_000
#: A graph's size: Σ over its stages of (1 + distinct names used) × characters.
MAX_GRAPH_SIZE = 100_000
#: Σ over the questions of the graph's size (training questions twice).
MAX_GRAPH_KEY_WORK = 400_000
#: Σ over the training questions of steps × the graph's size.
MAX_GRAPH_TRAIN_WORK = 10_000_000
#: The product of the exponents of powers nested in one stage.
MAX_NESTED_POWER = 1024

_NAME = r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*"  # compiled by re when first used


def _shape_text(rows: int, cols: int) -> str:
    return f"{rows}×{cols}"


def check_problem(problem: Problem, file: str | None) -> None:
    """Raise :class:`ProblemError` for the first inconsistency found.

    Checks, layer by layer: the weight matrix is rectangular and shaped for the
    orientation (units × inputs for ``Wx``, inputs × units for ``xW``); per-neuron
    biases and name lists have one entry per unit.
    """
    if problem.graph is not None:
        _check_graph_names(problem, file)
        _check_graph_questions(problem, file)
        _check_graph_limits(problem, file)
    elif problem.network is not None and problem.network.recurrent:
        _check_recurrent(problem, file)
    elif problem.network is not None and problem.network.convolutional:
        _check_convolutional(problem, file)
    elif problem.network is not None:
        _check_network(problem, file)
        _check_network_limits(problem, file)
    first: dict[str, int] = {}
    for qi, q in enumerate(problem.questions):
        if q.id in first:
            raise ProblemError(f"question id '{q.id}' is already used by questions[{first[q.id]}]",
                               file=file, field=f"questions[{qi}].id")
        first[q.id] = qi


def _check_graph_names(problem: Problem, file: str | None) -> None:
    """A graph's names are plain names its expressions can use: not indexed (``W1[1,2]``
    would read as a subscript) and not a function of the grammar (``exp``, ``relu``)."""
    spec = problem.graph
    for part in ("inputs", "parameters", "nodes"):
        for k in getattr(spec, part):
            field = f"graph.{part}.{k}"
            if "[" in k:
                raise ProblemError(f"'{k}' is an indexed name, which a graph expression cannot use (it would "
                                   f"read as a subscript): write it as a plain name such as "
                                   f"{k.replace('[', '_').replace(',', '_').rstrip(']')}", file=file, field=field)
            if k in FUNCTIONS:
                raise ProblemError(f"'{k}' is a function of the expression grammar, not a free name: "
                                   "choose another name", file=file, field=field)


def _check_graph_questions(problem: Problem, file: str | None) -> None:
    """A graph problem's loss is one of its nodes: questions may not set a loss,
    target or output head."""
    for qi, q in enumerate(problem.questions):
        for attr in ("loss", "target", "output_head"):
            if getattr(q, attr) is not None:
                raise ProblemError(f"a graph problem has no '{attr}': make the loss a node and name it "
                                   "in graph.output", file=file, field=f"questions[{qi}].{attr}")
    for attr in ("loss", "target"):
        if getattr(problem, attr) is not None:
            raise ProblemError(f"a graph problem has no '{attr}': make the loss a node and name it in graph.output",
                               file=file, field=attr)


def _check_convolutional(problem: Problem, file: str | None) -> None:
    """A convolutional network's layers in order: convolutions and pooling, a flatten,
    then dense layers (the graph stage checks the shapes)."""
    seen_dense = False
    for li, layer in enumerate(problem.network.layers):
        dense = getattr(layer, "type", None) in (None, "dense")
        if getattr(layer, "type", None) in NORM_TYPES:  # normalisation and dropout go anywhere
            continue
        if dense:
            seen_dense = True
        elif seen_dense:
            raise ProblemError(f"a {layer.type} layer cannot follow a dense layer (convolutions and pooling come "
                               "first, then a flatten, then dense layers)", file=file, field=f"network.layers[{li}]")


def _check_recurrent(problem: Problem, file: str | None) -> None:
    """A recurrent network: one RNN, LSTM or GRU layer, first, then dense layers (the graph
    stage checks the shapes)."""
    for li, layer in enumerate(problem.network.layers):
        kind = getattr(layer, "type", None) or "dense"
        if li == 0 and kind not in ("rnn", "lstm", "gru"):
            raise ProblemError(f"a {kind} layer cannot come before a recurrent layer: the recurrent layer reads "
                               "the input sequence, dense layers follow it", file=file, field=f"network.layers[{li}]")
        if li > 0 and kind != "dense":
            raise ProblemError(f"a {kind} layer cannot follow a recurrent layer (one recurrent layer first, then "
                               "dense layers)", file=file, field=f"network.layers[{li}]")


def _check_network(problem: Problem, file: str | None) -> None:
    net = problem.network
    sizes = {k: (len(v) if isinstance(v, list) else None) for k, v in net.inputs.items()}
    if len(set(sizes.values())) > 1:
        raise ProblemError("give every input one value, or every input a list of the same length (a batch)",
                           file=file, field="network.inputs")
    size = next(iter(sizes.values()))
    if size is not None and not 1 <= size <= 256:
        raise ProblemError("a batch holds 1 to 256 examples", file=file, field="network.inputs")
    n_in = len(net.inputs)
    for li, layer in enumerate(net.layers):
        f = f"network.layers[{li}]"
        rows = len(layer.weights)
        lengths = {len(r) for r in layer.weights}
        if len(lengths) > 1:
            raise ProblemError(f"the weight matrix is ragged (rows of lengths {sorted(lengths)})",
                               file=file, field=f"{f}.weights")
        cols = lengths.pop() if lengths else 0
        want = (layer.units, n_in) if net.orientation == "Wx" else (n_in, layer.units)
        if (rows, cols) != want:
            how = ("rows = destination neurons, z = W x" if net.orientation == "Wx"
                   else "rows = inputs, z = x W")
            raise ProblemError(f"weights are {_shape_text(rows, cols)} but must be {_shape_text(*want)} "
                               f"({counted(layer.units, 'unit')}, {counted(n_in, 'input')}; {how})",
                               file=file, field=f"{f}.weights")
        if isinstance(layer.bias, list) and len(layer.bias) != layer.units:
            raise ProblemError(f"{counted(len(layer.bias), 'bias', 'biases')} for {counted(layer.units, 'unit')}",
                               file=file, field=f"{f}.bias")
        names = layer.names
        if names:
            for attr in ("neurons", "preactivations"):
                v = getattr(names, attr)
                if v is not None and len(v) != layer.units:
                    raise ProblemError(f"{counted(len(v), 'name')} for {counted(layer.units, 'unit')}", file=file,
                                       field=f"{f}.names.{attr}")
            if names.weights is not None:
                shape = (len(names.weights), len(names.weights[0]) if names.weights else 0)
                if shape != (rows, cols) or any(len(r) != cols for r in names.weights):
                    raise ProblemError(f"weight names must be shaped like the weights ({_shape_text(rows, cols)})",
                                       file=file, field=f"{f}.names.weights")
            if names.bias is not None:
                if layer.bias is None:
                    raise ProblemError("bias names given but the layer has no bias", file=file, field=f"{f}.names.bias")
                if isinstance(names.bias, list) != isinstance(layer.bias, list) or (
                        isinstance(names.bias, list) and len(names.bias) != layer.units):
                    raise ProblemError("give one bias name for a shared bias, one per unit for per-neuron biases",
                                       file=file, field=f"{f}.names.bias")
        if li != len(net.layers) - 1 and "hidden" not in ACTIVATIONS[layer.activation].where:
            raise ProblemError(f"{layer.activation} is only supported on the output layer", file=file,
                               field=f"{f}.activation")
        n_in = layer.units


def _n(k: int) -> str:
    return f"{k:,}"


def _check_network_limits(problem: Problem, file: str | None) -> None:
    """The network's size, and the work its questions ask for, within the limits."""
    net = problem.network
    params = 0
    for layer in net.layers:
        params += sum(len(row) for row in layer.weights)
        params += len(layer.bias) if isinstance(layer.bias, list) else int(layer.bias is not None)
    if params > MAX_PARAMETERS:
        raise ProblemError(f"the network has {_n(params)} parameters (weights and biases); at most "
                           f"{_n(MAX_PARAMETERS)}", file=file, field="network.layers")
    first = next(iter(net.inputs.values()))
    examples = len(first) if isinstance(first, list) else 1
    per_question = params * examples
    what = f"{_n(params)} parameters × {_n(examples)} example{'s' if examples > 1 else ''}"
    key = train = 0
    twice = ""
    for qi, q in enumerate(problem.questions):
        if not any(a in q.ask for a in ("forward", "loss", "gradients", "update", "train")):
            continue  # counts, shapes, derivations: no network values
        key += per_question * (2 if "train" in q.ask else 1)
        twice = twice or ("; a training question counts twice" if "train" in q.ask else "")
        if key > MAX_KEY_WORK:
            raise ProblemError(f"the questions up to this one write out {_n(key)} parameters × examples "
                               f"({what} per question{twice}); at most {_n(MAX_KEY_WORK)}: ask fewer "
                               "questions, or use a smaller network or batch", file=file, field=f"questions[{qi}]")
        if "train" in q.ask and q.steps:
            train += q.steps * per_question
            if train > MAX_TRAIN_WORK:
                earlier = " with the training questions before it" if train > q.steps * per_question else ""
                raise ProblemError(f"training takes {_n(train)} steps × parameters × examples{earlier} "
                                   f"({_n(q.steps)} steps × {what}); at most {_n(MAX_TRAIN_WORK)}: "
                                   "take fewer steps", file=file, field=f"questions[{qi}].steps")


def _check_graph_limits(problem: Problem, file: str | None) -> None:
    """The graph's size, its nested powers, and the work its questions ask for."""
    spec = problem.graph
    size = 0
    for key, text in spec.nodes.items():
        names = {m for m in re.findall(_NAME, text) if m not in FUNCTIONS}
        size += (1 + len(names)) * len(text)
        _check_nested_powers(problem, key, text, file)
    if size > MAX_GRAPH_SIZE:
        raise ProblemError(f"the graph's size (the sum over its nodes of (1 + names used) × characters) is "
                           f"{_n(size)}; at most {_n(MAX_GRAPH_SIZE)}: use fewer or shorter nodes",
                           file=file, field="graph.nodes")
    key_work = train = 0
    twice = ""
    for qi, q in enumerate(problem.questions):
        if not any(a in q.ask for a in ("forward", "loss", "gradients", "update", "train")):
            continue
        key_work += size * (2 if "train" in q.ask else 1)
        twice = twice or (", a training question twice" if "train" in q.ask else "")
        if key_work > MAX_GRAPH_KEY_WORK:
            raise ProblemError(f"the questions up to this one work through a graph of size {_n(size)}, "
                               f"{_n(key_work)} in all (once per question{twice}); at most "
                               f"{_n(MAX_GRAPH_KEY_WORK)}: ask fewer questions, or use a smaller graph",
                               file=file, field=f"questions[{qi}]")
        if "train" in q.ask and q.steps:
            train += q.steps * size
            if train > MAX_GRAPH_TRAIN_WORK:
                earlier = " with the training questions before it" if train > q.steps * size else ""
                raise ProblemError(f"training takes {_n(train)} steps × graph size{earlier} ({_n(q.steps)} "
                                   f"steps × a size of {_n(size)}); at most {_n(MAX_GRAPH_TRAIN_WORK)}: "
                                   "take fewer steps", file=file, field=f"questions[{qi}].steps")


def _check_nested_powers(problem: Problem, key: str, text: str, file: str | None) -> None:
    """Powers nested in one stage multiply their exponents; values stay exact, so
    ``square(square(...))`` thirty deep would need 2^30 times the digits."""
    if "^" not in text and "**" not in text and "square" not in text and "sqrt" not in text:
        return
    spec = problem.graph
    symbols = {k: sp.Symbol(k) for k in [*spec.inputs, *spec.parameters, *spec.nodes]}
    try:
        expr = parse_expression(text, symbols)
    except ExpressionError:
        return  # reported, naming the node, when the graph is built

    def power(e: sp.Expr) -> int:
        if e.is_Atom:
            return 1
        inner = max((power(a) for a in e.args), default=1)
        if isinstance(e, sp.Pow) and e.exp.is_Rational:
            return inner * max(abs(int(e.exp.p)), int(e.exp.q))
        return inner

    total = power(expr)
    if total > MAX_NESTED_POWER:
        raise ProblemError(f"the powers nested in this node multiply to an exponent of {_n(total)}; at most "
                           f"{_n(MAX_NESTED_POWER)} (values are exact)", file=file, field=f"graph.nodes.{key}")
