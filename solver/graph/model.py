"""The computational graph: one sympy symbol per quantity, each computed node
defined by a sympy expression of its parents.

A :class:`Graph` is built by :mod:`solver.graph.network` (layered networks) or
:mod:`solver.graph.spec` (graph problems); values and gradients are computed on it by
:mod:`solver.graph.backprop`.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import msgspec
import sympy as sp
from msgspec.structs import replace

from ..ops.functions import plain_product

#: Node kinds. Leaves: input, weight, bias, target, constant. Computed: the rest.
LEAF_KINDS = frozenset({"input", "weight", "bias", "parameter", "target", "constant"})
PARAMETER_KINDS = frozenset({"weight", "bias", "parameter"})


@lru_cache(maxsize=None)
def sym(key: str) -> sp.Symbol:
    """The sympy symbol of a node (real-valued, so that |x|' is sign(x))."""
    return sp.Symbol(key, real=True)


def plain_sum(expr: sp.Expr) -> bool:
    """Whether ``expr`` is a neuron's sum, of plain symbols and products of them
    (``w₁ x₁ + w₂ x₂ + b``): its symbols can be read from its terms' factors."""
    return type(expr) is sp.Add and all(type(t) is sp.Symbol or plain_product(t) for t in expr.args)


def _symbol_names(expr: sp.Expr) -> set[str]:
    """The names of ``expr``'s free symbols; a neuron's sum (:func:`plain_sum`) read from its
    terms' factors (what ``free_symbols`` gives, without its traversal)."""
    if plain_sum(expr):
        return {f.name for t in expr.args for f in ((t,) if type(t) is sp.Symbol else t.args)}
    return {s.name for s in expr.free_symbols}


class Node(msgspec.Struct, frozen=True):
    """One quantity of the graph.

    Attributes:
        key: its name in the problem file and the answers JSON (``w3``, ``h1``, ``L``).
        kind: ``input``, ``weight``, ``bias``, ``target``, ``constant`` (leaves) or
            ``preactivation``, ``activation``, ``output``, ``loss``, ``stage``.
        expr: for a computed node, a sympy expression of its parents' symbols
            (built unevaluated so that its terms keep the order written); ``None`` for a leaf.
        value: for a leaf, its exact value; ``None`` for a computed node.
        layer: the layer it belongs to (0 = inputs), when it has one.
    """

    key: str
    kind: str
    expr: sp.Expr | None = None
    value: sp.Expr | None = None
    layer: int | None = None
    position: tuple[int, int] | None = None

    @property
    def symbol(self) -> sp.Symbol:
        return sym(self.key)

    @property
    def is_leaf(self) -> bool:
        return self.expr is None


class Group(msgspec.Struct, frozen=True):
    """Nodes shown together in the forward pass (a layer), with its title and the
    activation's definition line (LaTeX, may be empty)."""

    title: str
    keys: tuple[str, ...]
    definition: str = ""


class LayerInfo(msgspec.Struct, frozen=True):
    """One dense layer as the matrix style shows it. Per-example tuples are indexed
    by example (one entry for a single input).

    Attributes:
        index: 1-based layer number.
        activation: the activation's key (``relu``); ``params`` its parameters' values by name.
        inputs: keys of the layer's inputs, per example.
        pre: keys of the pre-activations, per example (the outputs, for a linear layer).
        acts: keys of the activations, per example.
        weights: weight keys shaped like the matrix as written.
        bias: ``None``, one key (a shared bias) or one key per unit.
        vector, z_vector: LaTeX names of the activation and pre-activation vectors the
            problem gives (``\\hat{y}``, ``z_{1}``), or ``None`` (a⁽ˡ⁾, z⁽ˡ⁾).
    """

    index: int
    activation: str
    params: tuple[tuple[str, sp.Expr], ...]
    inputs: tuple[tuple[str, ...], ...]
    pre: tuple[tuple[str, ...], ...]
    acts: tuple[tuple[str, ...], ...]
    weights: tuple[tuple[str, ...], ...]
    bias: str | tuple[str, ...] | None
    vector: str | None = None
    z_vector: str | None = None


class TensorInfo(msgspec.Struct, frozen=True):
    """A named tensor of a tensor graph problem: its elements are scalar nodes.

    Attributes:
        key: its name in the problem file (``Z``); ``latex`` its LaTeX name.
        kind: ``input``, ``parameter``, ``stage`` or ``output``.
        shape: the size of each axis (``()`` for a scalar).
        elements: the keys of its elements' scalar nodes, row-major.
        tree: for a computed tensor, its expression as parsed
            (:mod:`solver.problem.tensor_expressions`); ``None`` for a leaf.
        text: its expression as written in the problem file ("" for a leaf).
    """

    key: str
    latex: str
    kind: str
    shape: tuple[int, ...]
    elements: tuple[str, ...]
    tree: object = None
    text: str = ""


class Graph(msgspec.Struct, frozen=True, dict=True):
    """Nodes in topological order (every parent before its children).

    Attributes:
        nodes: the nodes.
        latex: LaTeX name of every key.
        loss: key of the loss node, or ``None`` for a forward-only question.
        groups: how the forward pass is laid out.
        softmax_ce: when a softmax feeds a cross-entropy loss whose target sums to 1,
            the pairs (logit key, probability key, target key), for the ∂L/∂o = p − y shortcut.
        loss_definition: LaTeX of the loss's definition (``L = \\sum_k (o_k - y_k)^2``).
        softmax_names: LaTeX names of the logit and probability vectors of the network's
            softmax (``("z^{(2)}", "\\hat{y}")``), in which its formulas are written
            (``("o", "p")``: the generic letters).
        tensors: for a tensor graph problem, its named tensors in graph order (their
            elements are the scalar nodes); empty otherwise.
        unrolled: for a recurrent network unrolled over time, each tensor's (key, time
            step, row) in its diagram (step 0 the initial state, T + 1 the loss); empty otherwise.
        penalty: the loss's weight penalty, a :class:`~solver.graph.regularization.Penalty`
            (its node is ``R``, a parent of the loss), or ``None``.
    """

    nodes: tuple[Node, ...]
    latex: dict[str, str]
    loss: str | None = None
    groups: tuple[Group, ...] = ()
    softmax_ce: tuple[tuple[str, str, str], ...] = ()
    loss_title: str = ""
    loss_definition: str = ""
    orientation: str = "Wx"
    layers: tuple[LayerInfo, ...] = ()
    examples: int = 1
    softmax_names: tuple[str, str] = ("o", "p")
    tensors: tuple[TensorInfo, ...] = ()
    unrolled: tuple[tuple[str, int, int], ...] = ()
    penalty: object = None

    def with_unrolled(self, positions: dict[str, tuple[int, int]]) -> "Graph":
        """This graph with its tensors' places in the unrolled diagram (see ``unrolled``)."""
        return replace(self, unrolled=tuple((k, t, row) for k, (t, row) in positions.items()))

    @cached_property
    def by_key(self) -> dict[str, Node]:
        return {n.key: n for n in self.nodes}

    @cached_property
    def by_key_values(self) -> dict[str, sp.Expr]:
        """The given value of every leaf (weights, biases, inputs, targets)."""
        return {n.key: n.value for n in self.nodes if n.is_leaf}

    @cached_property
    def parents(self) -> dict[str, tuple[str, ...]]:
        """Parents of each computed node, in graph order."""
        order = {n.key: i for i, n in enumerate(self.nodes)}
        out: dict[str, tuple[str, ...]] = {}
        for n in self.nodes:
            if n.is_leaf:
                out[n.key] = ()
            else:
                keys = _symbol_names(n.expr)
                out[n.key] = tuple(sorted(keys, key=order.__getitem__))
        return out

    @cached_property
    def children(self) -> dict[str, tuple[str, ...]]:
        """Children of each node, in graph order."""
        out: dict[str, list[str]] = {n.key: [] for n in self.nodes}
        for n in self.nodes:
            for p in self.parents[n.key]:
                out[p].append(n.key)
        return {k: tuple(v) for k, v in out.items()}


    def parameters(self) -> list[str]:
        """Keys of the weights and biases: layer by layer, weights in matrix order
        (row by row as written), then biases."""
        params = [n for n in self.nodes if n.kind in PARAMETER_KINDS]
        pos = {n.key: i for i, n in enumerate(params)}
        return [n.key for n in sorted(params, key=lambda n: (
            n.layer or 0, n.kind != "weight", n.position or (0, 0), pos[n.key]))]

    @cached_property
    def relevant(self) -> frozenset[str]:
        """The loss and every node from which it is reached (empty without a loss)."""
        return frozenset(self.ancestors_of(self.loss) | {self.loss}) if self.loss else frozenset()

    def ancestors_of(self, key: str) -> set[str]:
        """Every node from which ``key`` can be reached (``key`` excluded)."""
        return self._reach(key, self.parents)

    def descendants_of(self, key: str) -> set[str]:
        """Every node reached from ``key`` (``key`` excluded)."""
        return self._reach(key, self.children)

    @staticmethod
    def _reach(key: str, edges: dict) -> set[str]:
        seen: set[str] = set()
        stack = list(edges[key])
        while stack:
            k = stack.pop()
            if k not in seen:
                seen.add(k)
                stack.extend(edges[k])
        return seen
