"""The learning rules of a single unit, run exactly, example by example: the perceptron
rule (Rosenblatt) and the delta rule (Widrow–Hoff, ADALINE's LMS rule).

Both present the examples one at a time in the given order, epoch after epoch, with
every value an exact ``Rational``; each run returns a record of every presentation and of
every epoch, from which the key writes its worked presentations and its tables.

* perceptron: ŷ = f(z) with f the unit's step or sign, z = w·x + b; w ← w + η (y − ŷ) x,
  b ← b + η (y − ŷ) after every example; it stops after the first epoch without a mistake
  (ŷ = y for every example), or after ``epochs``.
* delta rule: the error is y − z on the linear output z (a step or sign on the unit is
  ADALINE's threshold: its ŷ = f(z) is recorded and counted, the rule ignores it); online,
  w ← w + η (y − z) x after every example; batch, the sum over the epoch's examples of
  η (y − z) x, every z computed with the weights the epoch started with, added once at its
  end. ``epochs`` epochs are run.

:func:`unit_of` reads the unit, its examples and targets from a problem, refusing with a
one-line :class:`~solver.core.errors.ProblemError` naming the field what the rules do not
apply to.
"""

from __future__ import annotations

from typing import Callable

import msgspec
import sympy as sp

from ..core.errors import ProblemError
from ..ops.activations import ACTIVATIONS
from ..ops.params import resolve
from ..problem.layers import Layer
from ..problem.schema import ClassTarget, Problem, Question
from .naming import Namer, layer_names

#: The activations of each rule (the delta rule's step and sign: ADALINE's threshold).
THRESHOLDS = ("step", "sign")
LINEAR = ("linear", "identity")
#: Default epochs: the perceptron stops once an epoch makes no mistake; the delta rule runs them all.
DEFAULT_EPOCHS = {"perceptron": 20, "delta_rule": 1}
#: Presentations (epochs × examples) at most: every one is a row of the key's table.
MAX_PRESENTATIONS = 1000


class Unit(msgspec.Struct, frozen=True):
    """A single unit as a rule trains it.

    Attributes:
        weights, bias: the initial weights (one per input, in the inputs' order) and bias
            (``None``: the unit has none, and none is learnt).
        activation: the activation's name; ``f`` the activation applied to an exact number.
        at_zero: f(0) where f is a step or sign (``None`` otherwise).
        inputs: the inputs' names; ``examples`` one tuple of values per example; ``targets``
            one target per example.
        weight_names, bias_name, output_name: the names the network gives them (``w1``, ``b1``, ``o1``).
    """

    weights: tuple
    bias: sp.Rational | None
    activation: str
    f: Callable
    at_zero: sp.Rational | None
    inputs: tuple[str, ...]
    examples: tuple[tuple, ...]
    targets: tuple
    weight_names: tuple[str, ...]
    bias_name: str | None
    output_name: str

    @property
    def threshold(self) -> bool:
        return self.activation in THRESHOLDS


class Presentation(msgspec.Struct, frozen=True):
    """One example presented: its z = w·x + b with the weights ``w``, ``b`` it met, ŷ = f(z)
    (``None`` for a linear unit), the error (y − ŷ for the perceptron, y − z for the delta
    rule), the update η·error·x and η·error (online: applied at once; batch: this example's
    share of the epoch's sum), and the weights after it (batch: unchanged until the epoch ends)."""

    epoch: int
    example: int  # from 1
    x: tuple
    y: sp.Rational
    w: tuple
    b: sp.Rational | None
    z: sp.Rational
    out: sp.Rational | None
    error: sp.Rational
    dw: tuple
    db: sp.Rational | None
    w_after: tuple
    b_after: sp.Rational | None

    @property
    def mistake(self) -> bool:
        """ŷ ≠ y (for a unit with a threshold)."""
        return self.out is not None and self.out != self.y

    @property
    def half_squared(self) -> sp.Rational:
        """½ (y − z)², the delta rule's squared error of this presentation."""
        return (self.y - self.z) ** 2 / 2


class Epoch(msgspec.Struct, frozen=True):
    """One epoch: its mistakes (ŷ ≠ y, for a unit with a threshold; else ``None``), its
    E = Σ ½ (y − z)², the update it made in all, and the weights at its end."""

    epoch: int
    mistakes: int | None
    error: sp.Rational
    dw: tuple
    db: sp.Rational | None
    w: tuple
    b: sp.Rational | None


class Run(msgspec.Struct, frozen=True):
    """A rule's run: ``rule`` (perceptron, delta_rule), ``mode`` (online, batch), η, the
    epochs allowed, every presentation and epoch, and for the perceptron the epoch that made
    no mistake (``None`` when none did within ``epochs``)."""

    rule: str
    mode: str
    eta: sp.Rational
    epochs_allowed: int
    unit: Unit
    presentations: tuple[Presentation, ...]
    epochs: tuple[Epoch, ...]
    converged: int | None


def _dot(w, x) -> sp.Rational:
    return sum((wi * xi for wi, xi in zip(w, x)), sp.Integer(0))


def _add(a, b) -> tuple:
    return tuple(ai + bi for ai, bi in zip(a, b))


def run_rule(unit: Unit, rule: str, eta: sp.Rational, epochs: int, mode: str = "online") -> Run:
    """Run ``rule`` (``perceptron`` or ``delta_rule``) on ``unit`` exactly, for at most ``epochs``."""
    w, b = tuple(unit.weights), unit.bias
    shown, done, converged = [], [], None
    zero = tuple(sp.Integer(0) for _ in w)
    for e in range(1, epochs + 1):
        w0, b0 = w, b
        total_dw, total_db = zero, (None if b is None else sp.Integer(0))
        mistakes = 0
        sse = sp.Integer(0)
        for n, (x, y) in enumerate(zip(unit.examples, unit.targets), start=1):
            uw, ub = (w0, b0) if mode == "batch" else (w, b)
            z = _dot(uw, x) + (ub if ub is not None else 0)
            out = unit.f(z) if unit.threshold else None
            error = y - (out if rule == "perceptron" else z)
            dw = tuple(eta * error * xi for xi in x)
            db = None if b is None else eta * error
            total_dw = _add(total_dw, dw)
            total_db = None if b is None else total_db + db
            if mode != "batch":
                w, b = _add(w, dw), (None if b is None else b + db)
            p = Presentation(e, n, tuple(x), y, uw, ub, z, out, error, dw, db, w, b)
            mistakes += p.mistake
            sse += p.half_squared
            shown.append(p)
        if mode == "batch":
            w, b = _add(w0, total_dw), (None if b0 is None else b0 + total_db)
        done.append(Epoch(e, mistakes if unit.threshold else None, sse, total_dw, total_db, w, b))
        if rule == "perceptron" and mistakes == 0:
            converged = e
            break
    return Run(rule, mode, eta, epochs, unit, tuple(shown), tuple(done), converged)


def unit_of(problem: Problem, q: Question, qi: int, rule: str, file: str | None) -> Unit:
    """The single unit a rule question trains, with its examples and targets.

    Raises:
        ProblemError: no network; more than one layer, or a layer that is not dense, or more
            than one unit (``network.layers``); an activation the rule does not take
            (``network.layers[0].activation``); inputs that are not numbers
            (``network.inputs``); a target missing, of the wrong length, or not 0/1 with
            ``step`` (±1 with ``sign``) for the perceptron (``target``).
    """
    def fail(field: str, message: str):
        raise ProblemError(message, file=file, field=field)

    what = "the perceptron rule" if rule == "perceptron" else "the delta rule"
    net = problem.network
    if net is None:
        fail("network", f"{what} trains a network of one unit: give a 'network'")
    if len(net.layers) != 1 or not isinstance(net.layers[0], Layer):
        fail("network.layers", f"{what} trains a single dense layer of one unit (this network has "
                               f"{len(net.layers)} layer{'s' if len(net.layers) > 1 else ''})")
    layer = net.layers[0]
    if layer.units != 1:
        fail("network.layers[0].units", f"{what} trains a single unit (this layer has {layer.units}); "
                                        "give each unit its own problem")
    act = ACTIVATIONS[layer.activation]
    if rule == "perceptron" and layer.activation not in THRESHOLDS:
        fail("network.layers[0].activation", f"the perceptron rule needs activation step (targets 0/1) or sign "
                                             f"(targets -1/1), not {layer.activation}")
    if rule == "delta_rule" and layer.activation not in THRESHOLDS + LINEAR:
        fail("network.layers[0].activation", f"the delta rule trains a linear unit (activation linear; step or sign "
                                             f"as ADALINE's threshold), not {layer.activation}")
    values = list(net.inputs.values())
    if any(isinstance(v, list) and any(isinstance(e, list) for e in v) for v in values):
        fail("network.inputs", f"{what} takes one number per input and example, not a tensor")
    size = len(values[0]) if isinstance(values[0], list) else 1
    examples = tuple(tuple(v[n] if isinstance(v, list) else v for v in values) for n in range(size))
    targets = _targets(q.target if q.target is not None else problem.target,
                       f"questions[{qi}].target" if q.target is not None else "target", size, what, fail)
    params = resolve(act.params, {p.name: getattr(layer, p.name) for p in act.params})
    at_zero = next(iter(params.values())) if layer.activation in THRESHOLDS else None
    if rule == "perceptron":
        allowed = (0, 1) if layer.activation == "step" else (-1, 1)
        field = f"questions[{qi}].target" if q.target is not None else "target"
        if any(t not in allowed for t in targets):
            fail(field, f"the perceptron rule with {layer.activation} needs targets {allowed[0]} or {allowed[1]} "
                        f"(got {', '.join(str(t) for t in targets if t not in allowed)})")
    names = layer_names(problem, Namer(), 0, len(net.inputs))
    weights = tuple(layer.weights[0][i] if net.orientation == "Wx" else layer.weights[i][0]
                    for i in range(len(net.inputs)))
    wnames = tuple(names.weights[(0, i) if net.orientation == "Wx" else (i, 0)] for i in range(len(net.inputs)))
    bias = layer.bias[0] if isinstance(layer.bias, list) else layer.bias
    f = (lambda z: act.build(z, **params)) if act.build is not None else (lambda z: z)
    return Unit(weights, bias, layer.activation, f, at_zero, tuple(net.inputs), examples, targets, wnames,
                names.bias[0], names.neurons[0])


def _targets(target, field: str, size: int, what: str, fail) -> tuple:
    """One number per example (``[0, 1]`` or ``[[0], [1]]``; a single example's ``[1]``)."""
    if target is None:
        fail("target", f"{what} needs a target for every example (for example target: [0, 1, 1, 1])")
    if isinstance(target, ClassTarget) or any(isinstance(t, ClassTarget) for t in target):
        fail(field, f"{what} needs one number per example, not a class")
    out = []
    for t in target:
        if isinstance(t, list):
            if len(t) != 1:
                fail(field, f"{what} trains one unit: give one number per example")
            t = t[0]
        out.append(t)
    if len(out) != size:
        fail(field, f"{len(out)} targets for {size} example{'s' if size > 1 else ''}")
    return tuple(out)


def epochs_of(q: Question, qi: int, rule: str, examples: int, file: str | None) -> int:
    """The epochs a rule runs at most (:data:`DEFAULT_EPOCHS` when not given).

    Raises:
        ProblemError: more than :data:`MAX_PRESENTATIONS` presentations (``questions[i].epochs``).
    """
    epochs = q.epochs or DEFAULT_EPOCHS[rule]
    if epochs * examples > MAX_PRESENTATIONS:
        raise ProblemError(f"{epochs:,} epochs × {examples} examples is {epochs * examples:,} presentations, each a "
                           f"row of the key's table; at most {MAX_PRESENTATIONS:,}: take fewer epochs", file=file,
                           field=f"questions[{qi}].epochs")
    return epochs
