"""Checks across fields that the schema alone cannot express (matrix shapes, name
counts). Called by :func:`solver.problem.validate`."""

from __future__ import annotations

from .errors import ProblemError
from .problem import Problem


def _shape_text(rows: int, cols: int) -> str:
    return f"{rows}×{cols}"


def check_problem(problem: Problem, file: str | None) -> None:
    """Raise :class:`ProblemError` for the first inconsistency found.

    Checks, layer by layer: the weight matrix is rectangular and shaped for the
    orientation (units × inputs for ``Wx``, inputs × units for ``xW``); per-neuron
    biases and name lists have one entry per unit.
    """
    if problem.graph is not None:
        _check_graph_questions(problem, file)
    elif problem.network is not None:
        _check_network(problem, file)
    first: dict[str, int] = {}
    for qi, q in enumerate(problem.questions):
        if q.id in first:
            raise ProblemError(f"question id '{q.id}' is already used by questions[{first[q.id]}]",
                               file=file, field=f"questions[{qi}].id")
        first[q.id] = qi


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
                               f"({layer.units} units, {n_in} inputs; {how})", file=file, field=f"{f}.weights")
        if isinstance(layer.bias, list) and len(layer.bias) != layer.units:
            raise ProblemError(f"{len(layer.bias)} biases for {layer.units} units", file=file, field=f"{f}.bias")
        names = layer.names
        if names:
            for attr in ("neurons", "preactivations"):
                v = getattr(names, attr)
                if v is not None and len(v) != layer.units:
                    raise ProblemError(f"{len(v)} names for {layer.units} units", file=file,
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
        if layer.activation == "softmax" and li != len(net.layers) - 1:
            raise ProblemError("softmax is only supported on the output layer", file=file, field=f"{f}.activation")
        n_in = layer.units
