"""An independent oracle for nnsolve's answers: forward pass, loss and gradients of a
layered network computed in mpmath at 60 significant digits.

Only the validated :class:`~solver.problem.Problem` *data* is read (inputs, weight
matrices, biases, activations, loss, target). The arithmetic never touches sympy or
any ``solver`` module: values are converted to :class:`fractions.Fraction` first
(from a sympy ``Rational``'s integer numerator and denominator) and every operation
after that is mpmath. Gradients are central finite differences with a step of
1e-20 at 60 digits, so they agree with the exact derivative to ~1e-38 wherever the
loss is smooth (the truncation error is O(h²) ≈ 1e-40, the cancellation error
≈ 1e-60 / 1e-20). :meth:`Oracle.backprop` is a hand-written reverse mode (for the
training oracle, where finite differences would be slow), checked against them.

Mini-batches: when the problem writes its inputs as lists (one value per example),
every example runs through the same parameters, the target holds one entry per
example (a number for one output, a vector, or ``{class: k}``) and the loss is the
mean (``loss.batch: mean``, the default) or the sum of the examples' losses.

Parameter ids (independent of the solver's names):

* ``("W", l, r, c)``: row ``r``, column ``c`` (0-based) of layer ``l``'s (1-based)
  weight matrix *as written* in the problem file;
* ``("b", l)``: the bias shared by every neuron of layer ``l``;
* ``("b", l, j)``: the bias of neuron ``j`` (0-based) of layer ``l``.

Other node ids, for ∂L/∂node (the node perturbed, everything else held fixed, as
the graph's adjoint is defined); each may end with the example number ``n``
(1-based; without it, example 1 — the only one of a single input):

* ``("x", i[, n])``: input ``i``;
* ``("z", l, j[, n])``: pre-activation of neuron ``j`` of layer ``l``;
* ``("a", l, j[, n])``: its activation (for a linear layer the same value as ``z``);
  layer ``n_layers + 1`` is a question's ``output_head: softmax``;
* ``("L", n)``: example ``n``'s loss in a batch (``L#n``).

:func:`parameter_names` gives the names the solver must use for the parameters under
each naming scheme (as documented in ``solver/names.py`` and the seeds), written
from the specification, not from the solver's code; :func:`node_id` reads the id of
one of the solver's nodes (``h1#2`` is example 2's ``h1`` in a batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from mpmath import mp, mpf

import reference_ops as R

DPS = 60
STEP = "1e-20"
KINK = "1e-6"


def fraction(v: Any) -> Fraction:
    """An exact :class:`Fraction` from the problem's number types (sympy ``Rational``
    via its integer numerator/denominator, ``int``, ``Fraction``, or a decimal /
    fraction string)."""
    if isinstance(v, bool):
        raise TypeError("boolean is not a number")
    if isinstance(v, Fraction):
        return v
    if isinstance(v, int):
        return Fraction(v)
    if hasattr(v, "p") and hasattr(v, "q"):  # sympy Rational / Integer
        return Fraction(int(v.p), int(v.q))
    if isinstance(v, str):
        return Fraction(v.strip())
    raise TypeError(f"cannot read {v!r} exactly")


def to_mpf(v: Any) -> mpf:
    """A number as an mpf, rounded at the oracle's precision (60 digits)."""
    if isinstance(v, mpf):
        return v
    with mp.workdps(DPS):
        if isinstance(v, str):
            s = v.strip()
            if "/" in s:
                f = Fraction(s)
                return mpf(f.numerator) / f.denominator
            return mpf(s)
        f = fraction(v)
        return mpf(f.numerator) / f.denominator


# --- the network, as plain numbers ---------------------------------------------------

@dataclass
class OLayer:
    units: int
    n_in: int
    activation: str
    slope: Fraction | None
    bias: str  # "none", "shared", "neuron"
    alpha: Fraction | None = None  # elu's α (None: its default, 1)


@dataclass
class Example:
    """One example's forward pass: pre-activations ``z[(l, j)]``, activations
    ``a[(l, j)]`` (layer n + 1 = softmax head), the outputs fed to the loss, and the
    example's own loss."""

    z: dict = field(default_factory=dict)
    a: dict = field(default_factory=dict)
    outputs: list = field(default_factory=list)
    loss: Any = None


@dataclass
class Forward:
    """A forward pass over every example (one for a single input): the examples' passes
    and the loss (the batch's mean or sum of the examples' losses). ``z``, ``a`` and
    ``outputs`` are the first example's, for single-example code."""

    examples: list = field(default_factory=list)
    loss: Any = None
    penalty: Any = 0  # loss.regularization's R (0 without one)

    @property
    def z(self) -> dict:
        return self.examples[0].z

    @property
    def a(self) -> dict:
        return self.examples[0].a

    @property
    def outputs(self) -> list:
        return self.examples[0].outputs


#: Kinds of node id that belong to one example (the rest are parameters).
PER_EXAMPLE = {"x": 2, "z": 3, "a": 3}


def canonical(nid: tuple) -> tuple:
    """An id with its example number (1-based) made explicit: ``("z", l, j)`` is
    ``("z", l, j, 1)``; parameters are returned unchanged."""
    n = PER_EXAMPLE.get(nid[0])
    return nid + (1,) if n is not None and len(nid) == n else nid


def split_example(nid: tuple) -> tuple[tuple, int | None]:
    """(id without its example number, example number or None for a parameter)."""
    if nid[0] in PER_EXAMPLE:
        c = canonical(nid)
        return c[:-1], c[-1]
    return nid, None


def _target_vector(t, n_out: int) -> list[Fraction]:
    """One example's target: a number (one output), a vector, or ``{class: k}``."""
    if isinstance(t, (list, tuple)):
        return [fraction(v) for v in t]
    if hasattr(t, "class_"):
        k = int(t.class_)
        return [Fraction(1 if i + 1 == k else 0) for i in range(n_out)]
    return [fraction(t)]


@dataclass
class Oracle:
    """A layered network, its loss and targets as exact numbers.

    ``examples[n]`` holds example n+1's inputs (one list for a single input);
    ``targets[n]`` its target vector. ``batched`` is true when the problem writes its
    inputs as lists (a batch, possibly of one); the loss is then the mean (``batch =
    "mean"``) or the sum of the examples' losses."""

    examples: list[list[Fraction]]
    orientation: str
    layers: list[OLayer]
    params: dict[tuple, Fraction]
    head: bool = False
    loss_type: str | None = None
    reduction: str | None = None
    targets: list[list[Fraction]] | None = None
    batch: str = "mean"
    batched: bool = False
    loss_params: dict = field(default_factory=dict)  # huber's delta, multiclass_hinge's margin
    l2: Fraction = Fraction(0)  # loss.regularization: (l2/2) Σ θ² + l1 Σ |θ| over the weights
    l1: Fraction = Fraction(0)
    penalise_biases: bool = False

    # -- construction ----------------------------------------------------------------
    @classmethod
    def from_problem(cls, problem, question=None) -> "Oracle":
        """The oracle of ``problem`` under ``question``'s loss, target and head
        (``question`` defaults to the problem's first)."""
        q = question if question is not None else problem.questions[0]
        net = problem.network
        values = list(net.inputs.values())
        batched = isinstance(values[0], list)
        if batched:
            size = len(values[0])
            assert all(isinstance(v, list) and len(v) == size for v in values), "ragged batch"
            examples = [[fraction(v[n]) for v in values] for n in range(size)]
        else:
            examples = [[fraction(v) for v in values]]
        params: dict[tuple, Fraction] = {}
        layers = []
        n_in = len(values)
        for li, layer in enumerate(net.layers, start=1):
            for r, row in enumerate(layer.weights):
                for c, w in enumerate(row):
                    params[("W", li, r, c)] = fraction(w)
            if layer.bias is None:
                style = "none"
            elif isinstance(layer.bias, list):
                style = "neuron"
                for j, b in enumerate(layer.bias):
                    params[("b", li, j)] = fraction(b)
            else:
                style = "shared"
                params[("b", li)] = fraction(layer.bias)
            act = "linear" if layer.activation == "identity" else layer.activation
            slope = fraction(layer.slope) if layer.slope is not None else None
            alpha = getattr(layer, "alpha", None)
            alpha = fraction(alpha) if alpha is not None else None
            layers.append(OLayer(layer.units, n_in, act, slope, style, alpha))
            n_in = layer.units
        loss = q.loss or problem.loss
        target = q.target if q.target is not None else problem.target
        n_out = layers[-1].units
        targets = None
        if target is not None:
            if batched:  # one entry per example
                assert isinstance(target, list) and len(target) == len(examples), \
                    f"a batch of {len(examples)} needs one target per example, got {target!r}"
                targets = [_target_vector(t, n_out) for t in target]
            else:
                targets = [_target_vector(target, n_out)]
        return cls(examples=examples, orientation=net.orientation, layers=layers, params=params,
                   head=q.output_head == "softmax",
                   loss_type=loss.type if loss is not None else None,
                   reduction=loss.reduction if loss is not None else None,
                   targets=targets,
                   batch=(loss.batch or "mean") if loss is not None else "mean",
                   batched=batched,
                   loss_params=_loss_params(loss),
                   **_regularization(loss))

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def size(self) -> int:
        """Examples in the batch (1 for a single input)."""
        return len(self.examples)

    @property
    def inputs(self) -> list[Fraction]:
        """The inputs of a single example."""
        assert self.size == 1, "a batch has one input vector per example: use examples"
        return self.examples[0]

    @property
    def target(self) -> list[Fraction] | None:
        """The target of a single example."""
        assert self.size == 1, "a batch has one target per example: use targets"
        return None if self.targets is None else self.targets[0]

    def weight_id(self, l: int, dest: int, src: int) -> tuple:
        """The id of the weight from ``src`` (input or previous neuron) to neuron ``dest``."""
        return ("W", l, dest, src) if self.orientation == "Wx" else ("W", l, src, dest)

    def _scale(self) -> mpf:
        """The factor of each example's loss in the batch's loss."""
        return mpf(1) / self.size if self.batch == "mean" else mpf(1)

    # -- forward pass ----------------------------------------------------------------
    def forward(self, override: dict | None = None, bump: dict | None = None) -> Forward:
        """A forward pass with ``override`` (id → replacement value, for parameters and
        inputs ``("x", i[, n])``) and ``bump`` (id → amount added to a node's value,
        any id). Ids of an example's nodes may carry the example number (1-based) last;
        without it they mean the first example."""
        override = {canonical(k): v for k, v in (override or {}).items()}
        bump = {canonical(k): v for k, v in (bump or {}).items()}
        with mp.workdps(DPS):
            def leaf(key, exact):
                v = override[key] if key in override else to_mpf(exact)
                return v + bump[key] if key in bump else v

            params = {k: leaf(k, v) for k, v in self.params.items()}
            out = Forward()
            for n, xs in enumerate(self.examples, start=1):
                ex = Example()
                prev = [leaf(("x", i, n), x) for i, x in enumerate(xs)]
                for l, layer in enumerate(self.layers, start=1):
                    zs = []
                    for j in range(layer.units):
                        s = mpf(0)
                        for i, h in enumerate(prev):
                            s += params[self.weight_id(l, j, i)] * h
                        if layer.bias == "shared":
                            s += params[("b", l)]
                        elif layer.bias == "neuron":
                            s += params[("b", l, j)]
                        s += bump.get(("z", l, j, n), 0)
                        zs.append(s)
                    acts = activate(layer.activation, zs, layer.slope, layer.alpha)
                    acts = [v + bump.get(("a", l, j, n), 0) for j, v in enumerate(acts)]
                    for j in range(layer.units):
                        ex.z[(l, j)] = zs[j]
                        ex.a[(l, j)] = acts[j]
                    prev = acts
                if self.head:
                    l = self.n_layers + 1
                    prev = [v + bump.get(("a", l, j, n), 0) for j, v in enumerate(softmax(prev))]
                    for j, v in enumerate(prev):
                        ex.a[(l, j)] = v
                ex.outputs = prev
                if self.loss_type is not None and self.targets is not None:
                    ex.loss = loss_value(self.loss_type, self.reduction, prev,
                                         [to_mpf(t) for t in self.targets[n - 1]],
                                         **self.loss_params) + bump.get(("L", n), 0)
                out.examples.append(ex)
            if self.loss_type is not None and self.targets is not None:
                out.penalty = self._penalty(params) + bump.get(("R",), 0)
                out.loss = self._scale() * sum(ex.loss for ex in out.examples) + out.penalty
            return out

    def _penalised(self, key: tuple) -> bool:
        return key[0] == "W" or (key[0] == "b" and self.penalise_biases)

    def _penalty(self, params: dict) -> mpf:
        """(l2/2) Σ θ² + l1 Σ |θ| over the penalised parameters."""
        out = mpf(0)
        for k, v in params.items():
            if self._penalised(k):
                out += to_mpf(self.l2) / 2 * v * v + to_mpf(self.l1) * abs(v)
        return out

    def loss(self) -> mpf:
        return self.forward().loss

    # -- derivatives -----------------------------------------------------------------
    def leaf_value(self, key: tuple) -> Fraction:
        if key[0] == "x":
            _, i, n = canonical(key)
            return self.examples[n - 1][i]
        return self.params[key]

    def node_value(self, fwd: Forward, nid: tuple) -> mpf:
        """The value of any node id in the forward pass ``fwd`` (leaves exactly)."""
        if nid[0] in ("W", "b", "x"):
            return to_mpf(self.leaf_value(nid))
        if nid[0] == "L":
            return fwd.examples[nid[1] - 1].loss
        if nid[0] == "R":
            return fwd.penalty
        (kind, l, j), n = split_example(nid)
        ex = fwd.examples[n - 1]
        return ex.z[(l, j)] if kind == "z" else ex.a[(l, j)]

    def gradient(self, key: tuple, step: str = STEP) -> mpf:
        """∂L/∂key by central differences at 60 digits."""
        with mp.workdps(DPS):
            h = mpf(step)
            if key[0] in ("W", "b", "x"):
                base = to_mpf(self.leaf_value(key))
                up = self.forward(override={key: base + h}).loss
                down = self.forward(override={key: base - h}).loss
            else:
                up = self.forward(bump={key: h}).loss
                down = self.forward(bump={key: -h}).loss
            return (up - down) / (2 * h)

    def gradients(self) -> dict[tuple, mpf]:
        """∂L/∂θ for every weight and bias (finite differences)."""
        return {k: self.gradient(k) for k in self.params}

    def backprop(self, params: dict | None = None) -> tuple[mpf, dict[tuple, mpf]]:
        """The loss and ∂L/∂θ for every weight and bias, by hand-written reverse mode
        (the chain rule layer by layer, example by example), at ``params`` (id → mpf;
        default: the problem's). Kinks take the PyTorch conventions (ReLU'(0) = 0,
        LeakyReLU'(0) = α, sgn(0) = 0). Much faster than :meth:`gradients`, which
        tests check it against."""
        with mp.workdps(DPS):
            fwd = self.forward(override=params)
            P = {k: (params[k] if params and k in params else to_mpf(v)) for k, v in self.params.items()}
            grad = {k: mpf(0) for k in P}
            scale = self._scale()
            for n, ex in enumerate(fwd.examples, start=1):
                y = [to_mpf(t) for t in self.targets[n - 1]]
                g = [scale * d for d in loss_derivative(self.loss_type, self.reduction, ex.outputs, y,
                                                        **self.loss_params)]
                if self.head:
                    g = softmax_vjp([ex.a[(self.n_layers + 1, j)] for j in range(len(g))], g)
                for l in range(self.n_layers, 0, -1):
                    layer = self.layers[l - 1]
                    zs = [ex.z[(l, j)] for j in range(layer.units)]
                    acts = [ex.a[(l, j)] for j in range(layer.units)]
                    dz = activation_vjp(layer.activation, zs, acts, g, layer.slope, layer.alpha)
                    prev = ([to_mpf(v) for v in self.examples[n - 1]] if l == 1
                            else [ex.a[(l - 1, i)] for i in range(layer.n_in)])
                    g = [mpf(0)] * layer.n_in
                    for j in range(layer.units):
                        for i in range(layer.n_in):
                            wid = self.weight_id(l, j, i)
                            grad[wid] += dz[j] * prev[i]
                            g[i] += dz[j] * P[wid]
                        if layer.bias == "shared":
                            grad[("b", l)] += dz[j]
                        elif layer.bias == "neuron":
                            grad[("b", l, j)] += dz[j]
            for k, v in P.items():  # the penalty: l2 θ + l1 sgn(θ), sgn(0) = 0
                if self._penalised(k):
                    grad[k] += to_mpf(self.l2) * v + to_mpf(self.l1) * (1 if v > 0 else -1 if v < 0 else 0)
            return fwd.loss, grad

    def kinks(self, tol: str = KINK) -> list[str]:
        """Where the loss is not smooth (within ``tol``): ReLU / leaky ReLU / ELU
        pre-activations near 0, L1 residuals near 0, Huber residuals near ±δ and
        multiclass hinges near 0, in any example. Finite differences are not trusted
        there."""
        out = []
        with mp.workdps(DPS):
            t = mpf(tol)
            f = self.forward()
            if self.l1:  # |θ| at 0
                out += [f"parameter {k}: {v} at the L1 penalty's kink" for k, v in self.params.items()
                        if self._penalised(k) and abs(to_mpf(v)) < t]
            for n, ex in enumerate(f.examples, start=1):
                where = f"example {n}: " if self.size > 1 else ""
                for l, layer in enumerate(self.layers, start=1):
                    if layer.activation in ("relu", "leaky_relu", "elu"):
                        for j in range(layer.units):
                            if abs(ex.z[(l, j)]) < t:
                                out.append(f"{where}layer {l} neuron {j + 1}: pre-activation {ex.z[(l, j)]}")
                if self.loss_type == "l1" and self.targets is not None:
                    for k, (o, y) in enumerate(zip(ex.outputs, self.targets[n - 1])):
                        if abs(o - to_mpf(y)) < t:
                            out.append(f"{where}output {k + 1}: residual {o - to_mpf(y)}")
                if self.loss_type in ("huber", "multiclass_hinge") and self.targets is not None:
                    margins = R.loss_kink_margins(self.loss_type, ex.outputs,
                                                  [to_mpf(y) for y in self.targets[n - 1]], **self.loss_params)
                    for k, m in enumerate(margins):
                        if m < t:
                            what = "|residual| - delta" if self.loss_type == "huber" else "hinge"
                            out.append(f"{where}{self.loss_type} term {k + 1}: {what} {m}")
        return out


# --- the math ------------------------------------------------------------------------

def _regularization(loss) -> dict:
    """The Oracle's penalty fields from a loss spec's ``regularization`` (none: no penalty)."""
    reg = getattr(loss, "regularization", None) if loss is not None else None
    if reg is None:
        return {}
    return {"l2": fraction(reg.l2) if reg.l2 is not None else Fraction(0),
            "l1": fraction(reg.l1) if reg.l1 is not None else Fraction(0),
            "penalise_biases": reg.include_biases}


def softmax(zs: list) -> list:
    m = max(zs)
    e = [mp.exp(z - m) for z in zs]
    s = sum(e)
    return [v / s for v in e]


def _loss_params(loss) -> dict:
    """The loss model's parameters that the problem gives (``delta``, ``margin``), as
    exact Fractions; those it leaves out take the definitions' defaults."""
    out = {}
    for k in ("delta", "margin"):
        v = getattr(loss, k, None) if loss is not None else None
        if v is not None:
            out[k] = fraction(v)
    return out


def _act_params(name: str, slope: Fraction | None, alpha: Fraction | None) -> dict:
    """The parameters a reference activation takes, from the layer's ``slope`` / ``alpha``."""
    given = {"slope": slope, "alpha": alpha}
    return {k: v for k, v in given.items() if v is not None and k in R.ACTIVATIONS[name].params}


#: Activations and losses this file computes itself; the rest (gelu, silu / swish,
#: elu, softplus; huber, multiclass_hinge, l1 with reduction "mean") come from
#: :mod:`reference_ops`, written from the same definitions.
_OWN_ACTIVATIONS = {"softmax", "relu", "leaky_relu", "sigmoid", "tanh", "linear"}


def activate(name: str, zs: list, slope: Fraction | None, alpha: Fraction | None = None) -> list:
    if name not in _OWN_ACTIVATIONS:
        if name not in R.ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}")
        return R.activate(name, zs, **_act_params(name, slope, alpha))
    if name == "softmax":
        return softmax(zs)
    if name == "relu":
        return [z if z > 0 else mpf(0) for z in zs]
    if name == "leaky_relu":
        a = to_mpf(slope)
        return [z if z > 0 else a * z for z in zs]
    if name == "sigmoid":
        return [1 / (1 + mp.exp(-z)) for z in zs]
    if name == "tanh":
        return [mp.tanh(z) for z in zs]
    if name == "linear":
        return list(zs)
    raise ValueError(f"unknown activation {name!r}")


def loss_value(kind: str, reduction: str | None, o: list, y: list, **params) -> mpf:
    """One example's loss; ``params``: huber's ``delta``, multiclass_hinge's ``margin``."""
    n = len(o)
    if kind in ("huber", "multiclass_hinge") or (kind == "l1" and reduction == "mean"):
        return R.LOSSES[kind].value(o, y, reduction, **params)
    if kind == "sse":
        return sum((a - b) ** 2 for a, b in zip(o, y))
    if kind == "half_sse":
        return sum((a - b) ** 2 for a, b in zip(o, y)) / 2
    if kind == "mse":
        return sum((a - b) ** 2 for a, b in zip(o, y)) / n
    if kind == "cross_entropy":
        return -sum(b * mp.log(a) for a, b in zip(o, y))
    if kind == "bce":
        total = -sum(b * mp.log(a) + (1 - b) * mp.log(1 - a) for a, b in zip(o, y))
        return total / n if (reduction or "mean") == "mean" else total
    if kind == "l1":
        return sum(abs(a - b) for a, b in zip(o, y))
    raise ValueError(f"unknown loss {kind!r}")


def loss_derivative(kind: str, reduction: str | None, o: list, y: list, **params) -> list:
    """∂(one example's loss)/∂o_k, written from the definitions in :func:`loss_value`
    (sgn(0) = 0 for l1; a hinge exactly at 0 is flat)."""
    n = len(o)
    if kind in ("huber", "multiclass_hinge") or (kind == "l1" and reduction == "mean"):
        return R.LOSSES[kind].gradient(o, y, reduction, **params)
    if kind == "sse":
        return [2 * (a - b) for a, b in zip(o, y)]
    if kind == "half_sse":
        return [a - b for a, b in zip(o, y)]
    if kind == "mse":
        return [2 * (a - b) / n for a, b in zip(o, y)]
    if kind == "cross_entropy":
        return [-b / a for a, b in zip(o, y)]
    if kind == "bce":
        d = [-(b / a - (1 - b) / (1 - a)) for a, b in zip(o, y)]
        return [v / n for v in d] if (reduction or "mean") == "mean" else d
    if kind == "l1":
        return [mpf(1) if a > b else mpf(-1) if a < b else mpf(0) for a, b in zip(o, y)]
    raise ValueError(f"unknown loss {kind!r}")


def softmax_vjp(p: list, g: list) -> list:
    """Jᵀg for p = softmax(z): ∂p_k/∂z_j = p_k (δ_kj − p_j), so (Jᵀg)_j = p_j (g_j − Σ_k g_k p_k)."""
    s = sum(gk * pk for gk, pk in zip(g, p))
    return [pj * (gj - s) for pj, gj in zip(p, g)]


def activation_vjp(name: str, zs: list, acts: list, g: list, slope: Fraction | None,
                   alpha: Fraction | None = None) -> list:
    """∂L/∂z from ∂L/∂a through the activation (ReLU'(0) = 0, LeakyReLU'(0) = α,
    ELU'(0) = its α)."""
    if name not in _OWN_ACTIVATIONS:
        if name not in R.ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}")
        return R.activation_vjp(name, zs, g, **_act_params(name, slope, alpha))
    if name == "softmax":
        return softmax_vjp(acts, g)
    if name == "relu":
        return [d if z > 0 else mpf(0) for z, d in zip(zs, g)]
    if name == "leaky_relu":
        a = to_mpf(slope)
        return [d if z > 0 else a * d for z, d in zip(zs, g)]
    if name == "sigmoid":
        return [d * s * (1 - s) for s, d in zip(acts, g)]
    if name == "tanh":
        return [d * (1 - t * t) for t, d in zip(acts, g)]
    if name == "linear":
        return list(g)
    raise ValueError(f"unknown activation {name!r}")


# --- names ---------------------------------------------------------------------------

def parameter_names(problem) -> dict[str, tuple]:
    """Name → parameter id, as the answers must name them.

    * ``sequential``: weights ``w1, w2, …`` numbered per destination neuron (all the
      weights into neuron 1 of layer 1 by source, then neuron 2, …), layer after layer;
      biases ``b1, b2, …`` in one sequence: one per layer for a shared bias, one per
      neuron for per-neuron biases, one number skipped for a layer without a bias.
    * ``indexed``: ``W<l>[i,j]`` = row i, column j (1-based) of layer l's matrix as
      written; ``b<l>`` (shared) or ``b<l>[j]`` (per neuron).
    * ``names.weights`` / ``names.bias`` override either scheme.
    """
    net = problem.network
    seq = net.naming == "sequential"
    counters = {"w": 0, "b": 0}

    def nxt(letter: str) -> str:
        counters[letter] += 1
        return f"{letter}{counters[letter]}"

    out: dict[str, tuple] = {}
    n_in = len(net.inputs)
    for l, layer in enumerate(net.layers, start=1):
        names = layer.names
        if isinstance(layer.bias, list):
            for j in range(layer.units):
                if names is not None and isinstance(names.bias, list):
                    k = names.bias[j]
                else:
                    k = nxt("b") if seq else f"b{l}[{j + 1}]"
                out[k] = ("b", l, j)
        elif layer.bias is not None:
            if names is not None and isinstance(names.bias, str):
                k = names.bias
            else:
                k = nxt("b") if seq else f"b{l}"
            out[k] = ("b", l)
        elif seq:  # a layer without a bias still takes its number (layer 2's bias is b2)
            nxt("b")
        for dest in range(layer.units):
            for src in range(n_in):
                r, c = (dest, src) if net.orientation == "Wx" else (src, dest)
                if names is not None and names.weights is not None:
                    k = names.weights[r][c]
                else:
                    k = nxt("w") if seq else f"W{l}[{r + 1},{c + 1}]"
                out[k] = ("W", l, r, c)
        n_in = layer.units
    return out


def split_key(graph, key: str) -> tuple[str, int | None]:
    """A batch's node key ``h1#2`` as (``h1``, 2); (key, None) for a single example or
    a parameter."""
    if getattr(graph, "examples", 1) > 1 and "#" in key:
        base, n = key.rsplit("#", 1)
        return base, int(n)
    return key, None


def node_id(graph, key: str, problem) -> tuple:
    """The oracle id of the solver's graph node ``key``, read from the node's metadata
    (kind, layer, order within its layer and example); parameters by their names.
    In a batch, an example's node ``h1#n`` gets the example number ``n`` last."""
    node = graph.by_key[key]
    base, n = split_key(graph, key)
    tail = () if n is None else (n,)
    if node.kind == "input":
        return ("x", list(problem.network.inputs).index(base)) + tail
    if node.kind in ("weight", "bias"):
        return parameter_names(problem)[key]
    if node.kind == "loss" and n is not None and base == "L":
        return ("L", n)
    if node.kind == "penalty":  # loss.regularization's R
        return ("R",)

    def same(kinds):
        return [m.key for m in graph.nodes if m.kind in kinds and m.layer == node.layer
                and split_key(graph, m.key)[1] == n]

    if node.kind == "preactivation":
        return ("z", node.layer, same(("preactivation",)).index(key)) + tail
    if node.kind in ("activation", "output"):
        return ("a", node.layer, same(("activation", "output")).index(key)) + tail
    raise KeyError(f"no oracle id for {key!r} (kind {node.kind})")


def read_exact(text: str) -> mpf:
    """An answer's ``exact`` string ("-13/250", "0.5847…", "1.2e-5") as an mpf."""
    with mp.workdps(DPS):
        return to_mpf(text)


def close(got, want, tol: str = "1e-25") -> bool:
    """|got − want| ≤ tol · max(1, |want|) (absolute near 0, relative elsewhere)."""
    with mp.workdps(DPS):
        t = mpf(tol)
        return abs(got - want) <= t * max(mpf(1), abs(want))


# --- computational-graph problems (``graph:`` instead of ``network:``) ----------------

import ast  # noqa: E402

_FUNCS = {"relu": 1, "leaky_relu": 2, "sigmoid": 1, "tanh": 1, "exp": 1, "log": 1, "abs": 1,
          "max": 2, "min": 2, "square": 1, "sqrt": 1,
          # from reference_ops: gelu, silu / swish, softplus; elu(x) or elu(x, alpha)
          "gelu": 1, "silu": 1, "swish": 1, "softplus": 1, "elu": (1, 2)}


class GraphOracle:
    """The oracle of a ``graph:`` problem: every node's expression (numbers, names,
    ``+ - * / ^ **``, unary minus and the functions relu, leaky_relu(x, slope), sigmoid,
    tanh, exp, log, abs, max, min, square, sqrt, gelu, silu, swish, softplus, elu(x) and
    elu(x, alpha)) evaluated by walking Python's ``ast``
    in mpmath; ids are the names themselves. The output node is the differentiated
    quantity (``loss``)."""

    def __init__(self, inputs: dict, parameters: dict, nodes: dict[str, str], output: str):
        self.leaves = {k: fraction(v) for k, v in {**inputs, **parameters}.items()}
        self.inputs = list(inputs)
        self.parameters = list(parameters)
        self.trees = {k: ast.parse(text.replace("^", "**").strip(), mode="eval").body
                      for k, text in nodes.items()}
        self.sources = {k: text.replace("^", "**").strip() for k, text in nodes.items()}
        self.output = output

    @classmethod
    def from_problem(cls, problem, question=None) -> "GraphOracle":
        g = problem.graph
        return cls(dict(g.inputs), dict(g.parameters), dict(g.nodes), g.output)

    def forward(self, override: dict | None = None, bump: dict | None = None,
                kinks: list | None = None, tol: str = KINK) -> dict:
        """Every name's value (leaves and nodes); ``"__loss__"`` is the output's."""
        override, bump = override or {}, bump or {}
        with mp.workdps(DPS):
            t = mpf(tol)
            values: dict = {}
            for k, v in self.leaves.items():
                values[k] = (override[k] if k in override else to_mpf(v)) + bump.get(k, 0)

            def kink(what, x):
                if kinks is not None and abs(x) < t:
                    kinks.append(f"{what}: {x}")

            def ev(node, src):
                if isinstance(node, ast.Constant):
                    text = ast.get_source_segment(src, node) or repr(node.value)
                    return to_mpf(Fraction(text))
                if isinstance(node, ast.Name):
                    return value_of(node.id)
                if isinstance(node, ast.UnaryOp):
                    v = ev(node.operand, src)
                    return -v if isinstance(node.op, ast.USub) else v
                if isinstance(node, ast.BinOp):
                    a, b = ev(node.left, src), ev(node.right, src)
                    op = type(node.op)
                    if op is ast.Add:
                        return a + b
                    if op is ast.Sub:
                        return a - b
                    if op is ast.Mult:
                        return a * b
                    if op is ast.Div:
                        return a / b
                    if op is ast.Pow:
                        if b == int(b):
                            return a ** int(b)
                        return a ** b
                    raise ValueError(f"operator {op.__name__}")
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
                    f = node.func.id
                    args = [ev(a, src) for a in node.args]
                    x = args[0]
                    if f == "relu":
                        kink("relu", x)
                        return x if x > 0 else mpf(0)
                    if f == "leaky_relu":
                        kink("leaky_relu", x)
                        return x if x > 0 else args[1] * x
                    if f == "sigmoid":
                        return 1 / (1 + mp.exp(-x))
                    if f == "tanh":
                        return mp.tanh(x)
                    if f == "exp":
                        return mp.exp(x)
                    if f == "log":
                        return mp.log(x)
                    if f == "abs":
                        kink("abs", x)
                        return abs(x)
                    if f == "max":
                        kink("max", x - args[1])
                        return x if x >= args[1] else args[1]
                    if f == "min":
                        kink("min", x - args[1])
                        return x if x <= args[1] else args[1]
                    if f == "square":
                        return x * x
                    if f == "sqrt":
                        kink("sqrt", x)
                        return mp.sqrt(x)
                    if f in ("gelu", "silu", "swish", "softplus"):
                        return R.ACTIVATIONS[f].value(x)
                    if f == "elu":
                        kink("elu", x)
                        return R.ACTIVATIONS["elu"].value(x, alpha=args[1] if len(args) > 1 else None)
                raise ValueError(f"not in the grammar: {ast.dump(node)}")

            def value_of(name):
                if name not in values:
                    values[name] = ev(self.trees[name], self.sources[name]) + bump.get(name, 0)
                return values[name]

            for k in self.trees:
                value_of(k)
            values["__loss__"] = values[self.output]
            return values

    def loss(self) -> mpf:
        return self.forward()["__loss__"]

    def gradient(self, name: str, step: str = STEP) -> mpf:
        with mp.workdps(DPS):
            h = mpf(step)
            if name in self.leaves:
                base = to_mpf(self.leaves[name])
                up = self.forward(override={name: base + h})["__loss__"]
                down = self.forward(override={name: base - h})["__loss__"]
            else:
                up = self.forward(bump={name: h})["__loss__"]
                down = self.forward(bump={name: -h})["__loss__"]
            return (up - down) / (2 * h)

    def kinks(self, tol: str = KINK) -> list[str]:
        out: list[str] = []
        self.forward(kinks=out, tol=tol)
        return out


def is_graph_problem(problem) -> bool:
    return getattr(problem, "network", None) is None and getattr(problem, "graph", None) is not None



def show(x, digits: int = 40) -> str:
    """``x`` to ``digits`` significant digits, for failure messages."""
    with mp.workdps(DPS):
        return mp.nstr(x, digits)
