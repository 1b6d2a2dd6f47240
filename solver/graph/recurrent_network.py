"""A recurrent network (an RNN, LSTM or GRU layer, then dense layers) unrolled over the time
steps of its input sequence as a tensor graph: one named tensor per quantity per step, the
weights shared by every step, so that the tensor key works it and reverse accumulation
sums each shared weight's gradient over the steps (backpropagation through time).

Names (step ``t`` from 1; PyTorch's equations, see :mod:`solver.problem.recurrent`):
the sequence ``x`` (T × features, ``x_t`` its row t), ``h_0`` (and ``c_0``); an RNN's
``z_t = W_{xh} x_t + W_{hh} h_{t−1} + b_h`` and ``h_t = tanh(z_t)``; an LSTM's gates
``i_t, f_t, g_t, o_t`` (``W_{xi}``, ``W_{hi}``, ``b_i`` …), ``c_t`` and ``h_t``; a GRU's ``r_t, z_t,
n_t`` and ``h_t``; a dense layer ``l`` after it ``z^{(l)}_t`` and ``\\hat{y}_t`` (no subscript
with ``return: last``); the targets ``y``; the loss ``L``.
"""

from __future__ import annotations

import sympy as sp
from msgspec.structs import replace

from ..core.errors import counted
from ..ops.activations import ACTIVATIONS
from ..ops.params import resolve
from ..ops.tensor import (
    NAMED,
    OPERATORS,
    STensor,
    TensorOp,
    elementwise_function,
    indices,
)
from ..problem.recurrent import GATES, InitialState, RecurrentLayer
from ..problem.tensor_expressions import Apply, Const, Ref
from .model import Graph
from .naming import example_target
from .tensor_network import _Builder
from .tensor_spec import assemble, check_training, element_latex

_ADD, _SUB, _MUL, _AT = (OPERATORS[k] for k in "+-*@")
#: Diagram rows, bottom to top: the input, the gates, the cell state, the hidden state, a
#: dense layer's pre-activation, its output; pre-activations (ROW_PRE) are not drawn.
ROW_PRE = -1
ROW_INPUT, ROW_GATE, ROW_CELL, ROW_STATE, ROW_DENSE, ROW_OUT = range(6)


def _sum(*terms):
    out = terms[0]
    for t in terms[1:]:
        out = Apply(_ADD, (out, t))
    return out


def _fn(name: str, arg):
    return Apply(elementwise_function(name), (arg,))


class _Unrolled(_Builder):
    """Builds the unrolled graph; ``positions`` gives each tensor's (step, row) for the diagram
    (the input's rows are placed by the diagram, in ROW_INPUT)."""

    def __init__(self, problem, question, file):
        super().__init__(problem, question, file)
        self.batch = 0
        self.positions: dict[str, tuple[int, int]] = {}

    def at(self, key: str, step: int, row: int, tree, latex: str, field: str) -> Ref:
        self.positions[key] = (step, row)
        return self.stage(key, tree, latex, field)

    def matrix(self, key, latex, value, shape, field, kind="parameter") -> Ref:
        rows, cols = shape
        if not (isinstance(value, list) and len(value) == rows and all(isinstance(r, list) and len(r) == cols
                                                                        for r in value)):
            raise self.fail(f"must be {rows}×{cols} ({counted(rows, 'unit')} × "
                            f"{counted(cols, 'input feature' if key.startswith('W_x') else 'unit')})", field)
        self.leaf(key, kind, value, latex, field)
        return Ref(key)

    def vector(self, key, latex, value, units, field, kind="bias") -> Ref | None:
        if value is None:
            return None
        values = value if isinstance(value, list) else [value] * units
        if len(values) != units:
            raise self.fail(f"must have {counted(units, 'value')}, one per unit", field)
        self.leaf(key, kind, values, latex, field)
        return Ref(key)

    def build(self) -> Graph:
        net = self.problem.network
        if len(net.inputs) != 1:
            raise self.fail("a recurrent network takes one input, a sequence (one row per time step)",
                            "network.inputs")
        (name, seq), = net.inputs.items()
        field = f"network.inputs.{name}"
        if not (isinstance(seq, list) and all(isinstance(r, list) and r and not isinstance(r[0], list)
                                              for r in seq) and len({len(r) for r in seq}) == 1):
            raise self.fail("a sequence is a matrix: one row per time step, one column per input feature "
                            "(x: [[1, 0], [0.5, -1]]; one feature: x: [[1], [0.5]])", field)
        self.steps, features = len(seq), len(seq[0])
        self.sequence = name
        self.leaf(name, "input", seq, name if len(name) == 1 else rf"\mathit{{{name}}}", field)
        layer = net.layers[0]
        states = self.recurrent(layer, name, features, "network.layers[0]")
        outs = states if layer.returns == "sequence" else states[-1:]
        steps = range(1, self.steps + 1) if layer.returns == "sequence" else [self.steps]
        dense = net.layers[1:]
        for li, d in enumerate(dense, start=2):
            outs = [self.dense_step(li, d, prev, t, li == len(net.layers), layer.returns == "sequence")
                    for prev, t in zip(outs, steps)]
        if layer.loss_every:
            return _sequence_loss(self, outs)
        return self.loss(outs[-1])

    def recurrent(self, layer: RecurrentLayer, x: str, features: int, field: str) -> list[Ref]:
        units, kind = layer.units, layer.type
        state = layer.initial_state
        h0 = state.h if isinstance(state, InitialState) else state
        c0 = state.c if isinstance(state, InitialState) else None
        h = self.vector("h_0", "h_{0}", h0 if h0 is not None else [sp.Integer(0)] * units, units,
                        f"{field}.initial_state", "input")
        self.positions["h_0"] = (0, ROW_STATE)
        c = None
        if kind == "lstm":
            c = self.vector("c_0", "c_{0}", c0 if c0 is not None else [sp.Integer(0)] * units, units,
                            f"{field}.initial_state.c", "input")
            self.positions["c_0"] = (0, ROW_CELL)
        gates = {}
        names = GATES.get(kind, ("h",))
        for g in names:
            spec = layer if kind == "rnn" else layer.gates[g]
            where = field if kind == "rnn" else f"{field}.gates.{g}"
            two = spec.recurrent_bias is not None
            gates[g] = (
                self.matrix(f"W_x{g}", rf"W_{{x{g}}}", spec.weights, (units, features), f"{where}.weights"),
                self.matrix(f"W_h{g}", rf"W_{{h{g}}}", spec.recurrent_weights, (units, units),
                            f"{where}.recurrent_weights"),
                self.vector(f"b_x{g}" if two else f"b_{g}", rf"b_{{x{g}}}" if two else rf"b_{{{g}}}", spec.bias,
                            units, f"{where}.bias"),
                self.vector(f"b_h{g}", rf"b_{{h{g}}}", spec.recurrent_bias, units, f"{where}.recurrent_bias"))
        states = []
        for t in range(1, self.steps + 1):
            xt = Apply(NAMED["select"], (Ref(x),), (("index", t - 1),))
            f = f"{field} (step {t})"

            def pre(g, hidden=h):  # W_x x_t + W_h h_{t−1} + the biases given
                w_x, w_h, b_x, b_h = gates[g]
                return _sum(Apply(_AT, (w_x, xt)), Apply(_AT, (w_h, hidden)), *(b for b in (b_x, b_h) if b))
            if kind == "rnn":
                z = self.at(f"z_{t}", t, ROW_PRE, pre("h"), f"z_{{{t}}}", f)
                h = self.at(f"h_{t}", t, ROW_STATE, _fn(layer.activation or "tanh", z), f"h_{{{t}}}", f)
            elif kind == "lstm":  # a^{i}_t: gate i's pre-activation (CS231n's a)
                g_ = {k: self.at(f"{k}_{t}", t, ROW_GATE, _fn("tanh" if k == "g" else "sigmoid", self.at(
                    f"a_{k}_{t}", t, ROW_PRE, pre(k), f"a^{{{k}}}_{{{t}}}", f)), f"{k}_{{{t}}}", f) for k in names}
                c = self.at(f"c_{t}", t, ROW_CELL, _sum(Apply(_MUL, (g_["f"], c)), Apply(_MUL, (g_["i"], g_["g"]))),
                            f"c_{{{t}}}", f)
                h = self.at(f"h_{t}", t, ROW_STATE, Apply(_MUL, (g_["o"], _fn("tanh", c))), f"h_{{{t}}}", f)
            else:  # GRU: the reset gate scales W_hn h + b_hn
                r, z = (self.at(f"{k}_{t}", t, ROW_GATE, _fn("sigmoid", self.at(
                    f"a_{k}_{t}", t, ROW_PRE, pre(k), f"a^{{{k}}}_{{{t}}}", f)), f"{k}_{{{t}}}", f) for k in "rz")
                w_x, w_h, b_x, b_h = gates["n"]
                inner = Apply(_AT, (w_h, h)) if b_h is None else _sum(Apply(_AT, (w_h, h)), b_h)
                outer = [Apply(_AT, (w_x, xt))] + ([b_x] if b_x is not None else [])
                a = self.at(f"a_n_{t}", t, ROW_PRE, _sum(*outer, Apply(_MUL, (r, inner))), f"a^{{n}}_{{{t}}}", f)
                n = self.at(f"n_{t}", t, ROW_GATE, _fn("tanh", a), f"n_{{{t}}}", f)
                keep = Apply(_SUB, (Const(sp.Integer(1)), z))
                h = self.at(f"h_{t}", t, ROW_STATE, _sum(Apply(_MUL, (keep, n)), Apply(_MUL, (z, h))),
                            f"h_{{{t}}}", f)
            states.append(h)
        return states

    def dense_step(self, li, layer, prev: Ref, t: int, out: bool, per_step: bool) -> Ref:
        """A dense layer applied to step ``t``'s vector (its weights leaves made once)."""
        field = f"network.layers[{li - 1}]"
        n_in = self.problem.network.layers[li - 2].units
        if f"W{li}" not in self.names:
            w = layer.weights
            if len(w) != layer.units or any(len(r) != n_in for r in w):
                raise self.fail(f"weights are {len(w)}×{len(w[0])} but must be {layer.units}×{n_in} "
                                f"({counted(layer.units, 'unit')}, {counted(n_in, 'input')} from the layer before; "
                                "rows = destination neurons, z = W x)", f"{field}.weights")
            self.leaf(f"W{li}", "parameter", w, f"W^{{({li})}}", f"{field}.weights")
            if layer.bias is not None:
                bias = layer.bias if isinstance(layer.bias, list) else [layer.bias] * layer.units
                if len(bias) != layer.units:
                    raise self.fail(f"must have {counted(layer.units, 'value')}, one per unit", f"{field}.bias")
                self.leaf(f"b{li}", "bias", bias, f"b^{{({li})}}", f"{field}.bias")
        z = Apply(_AT, (Ref(f"W{li}"), prev))
        if f"b{li}" in self.names:
            z = _sum(z, Ref(f"b{li}"))
        act = ACTIVATIONS[layer.activation]
        sub, tsub = (f"_{t}", f"_{{{t}}}") if per_step else ("", "")
        row = ROW_OUT if out and act.identity else ROW_DENSE
        key = f"yhat{sub}" if out and act.identity else f"z{li}{sub}"
        z = self.at(key, t, row, z, rf"\hat{{y}}{tsub}" if key.startswith("yhat") else f"z^{{({li})}}{tsub}", field)
        if act.identity:
            return z
        params = resolve(act.params, {p.name: getattr(layer, p.name, None) for p in act.params})
        op = NAMED["softmax"] if act.key == "softmax" else elementwise_function(act.key, params)
        kw = (("axis", -1),) if act.key == "softmax" else ()
        key = f"yhat{sub}" if out else f"a{li}{sub}"
        latex = rf"\hat{{y}}{tsub}" if out else f"a^{{({li})}}{tsub}"
        return self.at(key, t, ROW_OUT if out else ROW_DENSE, Apply(op, (z,), kw), latex, field)

    def finish(self, output: str, needs: bool) -> Graph:
        graph = assemble(self.leaves, self.stages, self.names, output, needs, self.file, "network")
        graph = check_training(replace(graph, loss_title=self.loss_title), self.problem, self.file)
        return self.unrolled(graph)

    def loss(self, prev: Ref) -> Graph:
        graph = super().loss(prev)
        if "L" in self.names:
            self.positions["L"] = (self.steps + 1, ROW_OUT)
        return self.unrolled(graph)

    def unrolled(self, graph: Graph) -> Graph:
        """``graph`` with its tensors' places in the diagram, and the input's elements named by
        their step even in a sequence of one step (x₁₁, x₁₂, not x₁, x₂: x₂ is step 2's input)."""
        seq = next(t for t in graph.tensors if t.key == self.sequence)
        shape = (max(2, seq.shape[0]), *seq.shape[1:])  # the step's index written even for one step
        latex = {**graph.latex, **{k: element_latex(seq.latex, shape, i)
                                   for k, i in zip(seq.elements, indices(seq.shape))}}
        return replace(graph, latex=latex).with_unrolled(self.positions)


def _sequence_loss(self: _Unrolled, outs: list[Ref]) -> Graph:
    """The sum over the steps of each step's loss, one target per step (a T × outputs ``y``)."""
    if not any(a in self.q.ask for a in ("loss", "gradients", "update", "train")):
        return self.finish(outs[-1].name, False)
    spec, loss, params, target, field = self.loss_spec(outs)
    n_out = self.problem.network.layers[-1].units
    if not isinstance(target, list) or len(target) != self.steps:
        raise self.fail(f"a loss at every step needs one target per time step ({self.steps})", field)
    tvals = [example_target(x, n_out, f"{field}[{t}]", self.fail) for t, x in enumerate(target)]
    problem = next((loss.check_targets(x) for x in tvals if loss.check_targets), None)
    if problem:
        raise self.fail(problem, field)
    self.leaf("y", "input", tvals, "y", field)
    op, self.loss_title = _sequence_loss_op(loss, spec.reduction or loss.default_reduction, params, tvals)
    self.at("L", self.steps + 1, ROW_OUT, Apply(op, (*outs, Ref("y"))), "L", "loss")
    return self.finish("L", True)


def _sequence_loss_op(loss, reduction: str, params: dict, tvals: list[list]) -> tuple[TensorOp, str]:
    """``L = Σ_t ℓ(ŷ_t, y_t)``: the outputs of every step, then the T × outputs targets; with
    the loss's name as a question paper gives it."""
    steps, n_out = len(tvals), len(tvals[0])

    def apply(args, kw) -> STensor:
        *outs, target = args
        terms = [loss.build(list(o.data), list(target.data[t * n_out:(t + 1) * n_out]), tvals[t], reduction,
                            params).expr for t, o in enumerate(outs)]
        return STensor((), (sp.Add(*terms, evaluate=False),))
    form = loss.build([sp.Symbol(f"o{k}") for k in range(n_out)], [sp.Symbol(f"y{k}") for k in range(n_out)],
                      tvals[0], reduction, params)
    op = TensorOp(loss.key, (steps + 1, steps + 1), apply,
                  lambda a, kw: rf"\sum_{{t=1}}^{{{steps}}} \mathcal{{L}}(\hat{{y}}_t, y_t)",
                  note=f"{form.title[:1].upper()}{form.title[1:]} of each step's output and target, summed over "
                       f"the {steps} steps: $\\mathcal{{L}}(o, y) = {form.definition.split('=', 1)[-1].strip()}$.",
                  source=loss.source)
    return op, f"{form.title} of each step's output and target, summed over the {steps} steps"


def build_recurrent_network(problem, question, file: str | None = None):
    """The unrolled tensor graph of a recurrent network under ``question``'s loss and target.

    Raises:
        ProblemError: naming the field: a sequence that is not a matrix, weights of the
            wrong shape, a target per step missing, a missing loss or target.
    """
    return _Unrolled(problem, question, file).build()
