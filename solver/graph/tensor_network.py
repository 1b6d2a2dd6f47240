"""A convolutional network as a tensor graph: its ``conv2d``, pooling and ``flatten``
layers, then its dense layers, then the loss, each a named tensor
(:func:`solver.graph.tensor_spec.assemble`), so that its key is the tensor key.

Names (layer ``l``, counted from 1): a convolution's kernel ``K^{(l)}`` and bias
``b^{(l)}``, its pre-activation ``Z^{(l)}`` and activation ``A^{(l)}``; a pooling's output
``P^{(l)}``; a flatten's ``F^{(l)}``; a dense layer's ``W^{(l)}``, ``b^{(l)}``, ``z^{(l)}`` and
``a^{(l)}`` (``\\hat{y}`` for the output); the target ``y``; the loss ``L``.
"""

from __future__ import annotations

from math import prod

import sympy as sp
from msgspec.structs import replace

from ..core.errors import ProblemError, counted
from ..ops.activations import ACTIVATIONS
from ..ops.latex import in_softmax_names
from ..ops.losses import LOSSES
from ..ops.params import resolve
from ..ops.tensor import (
    NAMED,
    OPERATORS,
    STensor,
    TensorError,
    TensorOp,
    elementwise_function,
    from_nested,
)
from ..problem.layers import TensorLayer
from ..problem.tensor_expressions import Apply, Ref
from .model import Graph
from .naming import example_target
from .norm_layers import NORM_TYPES, dense_batch, dense_input, norm_layer
from .tensor_spec import apply_tree, assemble, check_training


def _loss_op(loss, reduction: str, params: dict, tvals: list[list], names: tuple[str, str],
             batch: str | None) -> tuple[TensorOp, str]:
    """The loss of the outputs and the targets, as one operation: of one example's vectors, or
    (``batch`` ``mean`` or ``sum``) of a batch's rows, one per example, averaged or summed. Its
    note gives the loss's name and definition (in the network's names for the outputs, ``names``);
    returned with the loss's name as a question paper gives it ("mean squared error, averaged
    over the 4 examples")."""
    def one(prev: list, target: list, values: list) -> sp.Expr:
        return loss.build(prev, target, values, reduction, params).expr

    def apply(args, kw) -> STensor:
        prev, target = args
        if batch is None:
            return STensor((), (one(list(prev.data), list(target.data), tvals[0]),))
        k = prev.shape[-1]
        rows = [one(list(prev.data[n * k:(n + 1) * k]), list(target.data[n * k:(n + 1) * k]), tvals[n])
                for n in range(len(tvals))]
        total = sp.Add(*rows, evaluate=False)
        return STensor((), (sp.Mul(sp.Rational(1, len(rows)), total, evaluate=False) if batch == "mean" else total,))
    n_out = len(tvals[0])
    form = loss.build([sp.Symbol(f"o{k}") for k in range(n_out)], [sp.Symbol(f"y{k}") for k in range(n_out)],
                      tvals[0], reduction, params)
    over = "" if batch is None else f", {'averaged' if batch == 'mean' else 'summed'} over the {len(tvals)} examples"
    op = TensorOp(loss.key, (2, 2), apply, lambda a, kw: rf"\mathcal{{L}}({a[0]}, {a[1]})",
                  note=f"{form.title[:1].upper()}{form.title[1:]}{over}: "
                       f"${in_softmax_names(form.definition, *names)}$.", source=loss.source)
    return op, form.title + over


class _Builder:
    def __init__(self, problem, question, file):
        self.problem, self.q, self.file = problem, question, file
        self.qi = problem.questions.index(question)
        self.leaves, self.stages, self.names = [], [], {}
        self.loss_title = ""  # the loss as a question paper names it

    def fail(self, message: str, field: str) -> ProblemError:
        return ProblemError(message, file=self.file, field=field)

    def leaf(self, key, kind, value, latex, field):
        self.leaves.append((key, kind, value, field))
        self.names[key] = latex

    def stage(self, key, tree, latex, field, text=""):
        self.stages.append((key, tree, text, field))
        self.names[key] = latex
        return Ref(key)

    def build(self) -> Graph:
        net = self.problem.network
        if dense_batch(net):  # dense, norm and dropout layers: the named inputs as X, N × F
            name, image, self.batch = dense_input(net, self.fail)
        elif len(net.inputs) != 1:
            raise self.fail("a convolutional network takes one input, an image (channels × height × width)",
                            "network.inputs")
        else:
            (name, image), = net.inputs.items()
            self.batch = len(image) if _depth(image) == 4 else 0  # N × C × H × W: a batch of N images
        self.leaf(name, "input", image, name if len(name) == 1 else rf"\mathit{{{name}}}", f"network.inputs.{name}")
        prev = Ref(name)
        last = len(net.layers)
        for li, layer in enumerate(net.layers, start=1):
            field = f"network.layers[{li - 1}]"
            out = li == last
            if isinstance(layer, TensorLayer):
                prev = self.tensor_layer(li, layer, prev, field)
            else:
                prev = self.dense_layer(li, layer, prev, field, out)
        return self.loss(prev)

    def activation(self, li, act_name, params, z, letter, field, out):
        act = ACTIVATIONS[act_name]
        if act.identity:
            return z
        key = "yhat" if out else f"{letter}{li}"
        latex = r"\hat{y}" if out else f"{letter}^{{({li})}}"
        op = NAMED["softmax"] if act.key == "softmax" else elementwise_function(act.key, params)
        kw = (("axis", -1),) if act.key == "softmax" else ()
        return self.stage(key, Apply(op, (z,), kw), latex, field)

    def tensor_layer(self, li, layer, prev, field):
        if layer.type in NORM_TYPES:
            return norm_layer(self, li, layer, prev, field)
        if layer.type == "flatten":  # a batch keeps its first axis
            kw = (("start_dim", 1 if self.batch else 0),)
            return self.stage(f"F{li}", Apply(NAMED["flatten"], (prev,), kw), f"F^{{({li})}}", field)
        if layer.type in ("maxpool2d", "avgpool2d"):
            kw = (("kernel", layer.kernel), ("stride", layer.stride), ("padding", layer.padding))
            return self.stage(f"P{li}", Apply(NAMED[layer.type], (prev,), kw), f"P^{{({li})}}", field)
        self.leaf(f"K{li}", "parameter", layer.weights, f"K^{{({li})}}", f"{field}.weights")
        channels = self._shape(prev)[-3]
        want = (layer.out_channels, channels, layer.kernel, layer.kernel)
        got = self._shape(Ref(f"K{li}"))
        if got != want:
            raise self.fail(f"the weights are {'×'.join(map(str, got))} but must be {'×'.join(map(str, want))} "
                            f"(out_channels × input channels × kernel × kernel)", f"{field}.weights")
        args = [prev, Ref(f"K{li}")]
        if layer.bias is not None and (not isinstance(layer.bias, list) or len(layer.bias) != layer.out_channels
                                       or any(isinstance(v, list) for v in layer.bias)):
            raise self.fail(f"the bias must be a list of {counted(layer.out_channels, 'number')}, "
                            "one per output channel",
                            f"{field}.bias")
        if layer.bias is not None:
            self.leaf(f"b{li}", "bias", layer.bias, f"b^{{({li})}}", f"{field}.bias")
            args.append(Ref(f"b{li}"))
        kw = (("stride", layer.stride or 1), ("padding", layer.padding), ("dilation", layer.dilation))
        z = self.stage(f"Z{li}", Apply(NAMED["conv2d"], tuple(args), kw), f"Z^{{({li})}}", field)
        act = ACTIVATIONS[layer.activation]
        params = resolve(act.params, {p.name: getattr(layer, p.name, None) for p in act.params})
        return self.activation(li, layer.activation, params, z, "A", field, False)

    def dense_layer(self, li, layer, prev, field, out):
        net = self.problem.network
        n_in = self._shape(prev)[-1]
        rows, cols = len(layer.weights), len(layer.weights[0])
        want = (layer.units, n_in) if net.orientation == "Wx" else (n_in, layer.units)
        if (rows, cols) != want or any(len(r) != cols for r in layer.weights):
            how = "rows = destination neurons, z = W x" if net.orientation == "Wx" else "columns = units, z = x W"
            raise self.fail(f"weights are {rows}×{cols} but must be {want[0]}×{want[1]} "
                            f"({counted(layer.units, 'unit')}, "
                            f"{counted(n_in, 'input')} from the layer before; {how})", f"{field}.weights")
        self.leaf(f"W{li}", "parameter", layer.weights, f"W^{{({li})}}", f"{field}.weights")
        w = Ref(f"W{li}")
        if self.batch:  # one example per row: Z = F W^T + b
            z = Apply(OPERATORS["@"], (prev, Apply(NAMED["transpose"], (w,)) if net.orientation == "Wx" else w))
        else:
            z = Apply(OPERATORS["@"], (w, prev) if net.orientation == "Wx" else (prev, w))
        if layer.bias is not None:
            units = layer.units
            bias = layer.bias if isinstance(layer.bias, list) else [layer.bias] * units
            self.leaf(f"b{li}", "bias", bias, f"b^{{({li})}}", f"{field}.bias")
            z = Apply(OPERATORS["+"], (z, Ref(f"b{li}")))
        act = ACTIVATIONS[layer.activation]
        zkey = "yhat" if out and act.identity else f"z{li}"
        z = self.stage(zkey, z, r"\hat{y}" if zkey == "yhat" else f"z^{{({li})}}", field)
        params = resolve(act.params, {p.name: getattr(layer, p.name, None) for p in act.params})
        return self.activation(li, layer.activation, params, z, "a", field, out)

    def loss(self, prev: Ref) -> Graph:
        q = self.q
        needs = any(a in q.ask for a in ("loss", "gradients", "update", "train"))
        output = prev.name
        if needs:
            spec, loss, params, target, field = self.loss_spec([prev])
            n_out = self._shape(prev)[-1]
            if self.batch:
                if not isinstance(target, list) or len(target) != self.batch:
                    raise self.fail(f"the batch has {self.batch} images: give one target per image", field)
                tvals = [example_target(t, n_out, f"{field}[{n}]", self.fail) for n, t in enumerate(target)]
            else:
                tvals = [example_target(target, n_out, field, self.fail)]
            self.leaf("y", "input", tvals if self.batch else tvals[0], "y", field)
            names = self._softmax_names(prev)
            problem = next((loss.check_targets(t) for t in tvals if loss.check_targets), None)
            if problem:
                raise self.fail(problem, field)
            op, self.loss_title = _loss_op(loss, spec.reduction or loss.default_reduction, params, tvals, names,
                                           (spec.batch or "mean") if self.batch else None)
            self.stage("L", Apply(op, (prev, Ref("y"))), "L", "loss")
            output = "L"
        graph = assemble(self.leaves, self.stages, self.names, output, needs, self.file, "network")
        return check_training(replace(graph, loss_title=self.loss_title), self.problem, self.file)

    def loss_spec(self, outputs: list[Ref]):
        """(loss spec, loss descriptor, its parameters' values, target as written, the target's
        field) of the question, the loss reading ``outputs``.

        Raises:
            ProblemError: no loss or no target given; a loss that needs probabilities on an
                output that is not a softmax's or a sigmoid's.
        """
        q, p = self.q, self.problem
        spec = q.loss or p.loss
        if spec is None:
            raise self.fail("this question asks for the loss or gradients but no loss is given "
                            "(set 'loss' on the problem or the question)", f"questions[{self.qi}].loss")
        target = q.target if q.target is not None else p.target
        field = f"questions[{self.qi}].target" if q.target is not None else "target"
        if target is None:
            raise self.fail("this question needs a target (set 'target' on the problem or the question)", field)
        if spec.regularization is not None:
            raise self.fail("a weight penalty is built for dense networks only: a convolutional, recurrent or "
                            "normalised network cannot take one yet (remove regularization)",
                            "loss.regularization" if q.loss is None else f"questions[{self.qi}].loss.regularization")
        loss = LOSSES[spec.type]
        params = resolve(loss.params, {x.name: getattr(spec, x.name) for x in loss.params})
        for out in map(self._tree, outputs):
            if loss.needs_probabilities and not (isinstance(out, Apply) and out.op.name in ("softmax", "sigmoid")):
                raise self.fail(f"{loss.title} needs probabilities: give the output layer a softmax or sigmoid "
                                "activation", "loss" if q.loss is None else f"questions[{self.qi}].loss")
        return spec, loss, params, target, field

    def _tree(self, ref: Ref):
        return next((t for k, t, _, _ in self.stages if k == ref.name), None)

    def _softmax_names(self, prev: Ref) -> tuple[str, str]:
        """(logits or pre-activations, outputs) LaTeX names when ``prev`` is the output activation
        (a softmax's or a sigmoid's), else the generic ones."""
        tree = next((t for k, t, _, _ in self.stages if k == prev.name), None)
        if isinstance(tree, Apply) and prev.name == "yhat" and isinstance(tree.args[0], Ref):
            return self.names[tree.args[0].name], self.names[prev.name]
        return ("o", "p")

    def _size(self, ref: Ref) -> int:
        """The number of elements of a tensor built so far."""
        return prod(self._shape(ref))

    def _shape(self, ref: Ref) -> tuple[int, ...]:
        """The shape of a tensor built so far: each stage applied once to symbols standing for
        the tensors it reads (not to their values, which would nest every stage before it:
        a recurrent network's state nests every earlier step)."""
        env = self.__dict__.setdefault("_env", {})

        def symbols(k: str, t: STensor) -> STensor:
            return STensor(t.shape, tuple(sp.Symbol(f"{k}.{i}") for i in range(t.size)))
        todo = [(k, lambda v=v, k=k: from_nested(v, k), field) for k, _, v, field in self.leaves]
        todo += [(k, lambda tree=tree: apply_tree(tree, env), field) for k, tree, _, field in self.stages]
        for k, make, field in todo:
            if k not in env:
                try:
                    env[k] = symbols(k, make())
                except TensorError as exc:
                    raise self.fail(str(exc), field) from None
        return env[ref.name].shape


def _depth(value) -> int:
    """How deeply ``value`` nests lists (0 for a number)."""
    return 1 + _depth(value[0]) if isinstance(value, list) and value else 0


def build_tensor_network(problem, question, file: str | None = None) -> Graph:
    """The tensor graph of a convolutional network under ``question``'s loss and target.

    Raises:
        ProblemError: naming the field: shapes that do not fit (a kernel's channels, a
            dense layer's columns against the flattened size), a target of the wrong
            length, a class out of range, a missing loss or target.
    """
    return _Builder(problem, question, file).build()
