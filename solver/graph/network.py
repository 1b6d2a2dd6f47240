"""Build the :class:`~solver.graph.Graph` of a layered (dense) network for one question.

Parameters are named once (:mod:`solver.names`' schemes, or the layer's ``names``);
each example of a batch gets its own copy of the neurons, keyed ``h1#2`` (example 2),
all sharing the parameters, and the batch loss is the mean (or sum) of the examples'
losses, so reverse accumulation adds up the examples' contributions by itself.
"""

from __future__ import annotations

import re

import sympy as sp
from msgspec.structs import replace
from sympy.core.basic import Basic

from ..core.errors import ProblemError, counted
from ..core.names import latex_name
from ..core.numbers import written_latex
from ..ops.activations import ACTIVATIONS
from ..ops.activations.softmax import Softmax
from ..ops.latex import in_softmax_names
from ..ops.losses import LOSSES
from ..ops.params import resolve
from ..problem.schema import ClassTarget, Problem, Question
from .model import Graph, Group, Node, sym
from .naming import (
    LayerNames,
    Namer,
    batch_size,
    example_key,
    example_target,
    layer_info,
    layer_names,
    weight_at,
)
from .regularization import penalty, with_penalty


class _Builder:
    def __init__(self, problem: Problem, question: Question, file: str | None):
        self.problem, self.question, self.file = problem, question, file
        self.qi = problem.questions.index(question)
        self.net = problem.network
        self.size = batch_size(problem)
        self.nodes: list[Node] = []
        self.groups: list[Group] = []
        namer = Namer()
        self.names: list[LayerNames] = []
        n_in = len(self.net.inputs)
        for li, layer in enumerate(self.net.layers):
            self.names.append(layer_names(problem, namer, li, n_in))
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
            params = resolve(act.params, {p.name: getattr(layer, p.name) for p in act.params})
            keys: list[str] = []
            outs = []
            for j in range(layer.units):
                terms = []
                for i, src in enumerate(prev):
                    _, (r, c) = weight_at(layer, self.net.orientation, j, i)
                    w = sym(nm.weights[(r, c)])
                    terms.append(_unevaluated(sp.Mul, (src, w) if self.net.orientation == "xW" else (w, src)))
                if nm.bias[j] is not None:
                    terms.append(sym(nm.bias[j]))
                z = terms[0] if len(terms) == 1 else _unevaluated(sp.Add, terms)
                kind = "output" if (last and nm.identity) else ("activation" if nm.identity else "preactivation")
                self.nodes.append(Node(ex(nm.pre[j]), kind, expr=z, layer=li))
                keys.append(ex(nm.pre[j]))
                if act.elementwise and act.build is not None:
                    a = act.build(sym(ex(nm.pre[j])), **params)
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
            definition = act.definition_for({k: written_latex(v) for k, v in params.items()})
            title = "Output layer" if last else f"Hidden layer {li}" if n_layers > 2 else "Hidden layer"
            self.groups.append(Group(f"{prefix}{title} ({act.title})", tuple(keys), definition))
            prev = outs
        if self.question.output_head == "softmax":  # seed 000, question 3
            if getattr(self.net.layers[-1], "activation", None) == "softmax":  # two softmaxes: surely not meant
                raise self.fail("the output layer is a softmax already: output_head: softmax would apply a "
                                "second one", f"questions[{self.qi}].output_head")
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
                got = "one class" if isinstance(target, ClassTarget) else counted(len(target), "target")
                raise self.fail(f"the batch has {counted(self.size, 'example')} but {got} "
                                "(give one target per example)",
                                field)
            items = list(target)
        hint = "" if batch else "; give the inputs as lists for a batch"
        out = [example_target(t, n_out, field if not batch else f"{field}[{n}]", self.fail, hint)
               for n, t in enumerate(items)]
        return out, field

    def build(self) -> Graph:
        q = self.question
        self.parameters()
        outputs = [self.example(n) for n in range(1, self.size + 1)]
        loss_spec = q.loss or self.problem.loss
        graph_loss, softmax_ce, loss_title, loss_def, pen = None, (), "", "", None
        if any(a in q.ask for a in ("loss", "gradients", "update", "train")):
            if loss_spec is None:
                raise self.fail("this question asks for the loss or gradients but no loss is given "
                                "(set 'loss' on the problem or the question)", f"questions[{self.qi}].loss")
            targets, tfield = self.targets(len(outputs[0]))
            pen = penalty(loss_spec.regularization, self.nodes)
            existing = {n.key for n in self.nodes}
            letter = "y" if not any(f"y{k + 1}" in existing for k in range(len(outputs[0]))) else "t"
            example_losses = []
            for n, (prev, tvals) in enumerate(zip(outputs, targets), start=1):
                tkeys = [example_key(f"{letter}{k + 1}", n, self.size) for k in range(len(prev))]
                for k, v in zip(tkeys, tvals):
                    self.nodes.append(Node(k, "target", value=v))
                loss = LOSSES[loss_spec.type]
                params = resolve(loss.params, {p.name: getattr(loss_spec, p.name) for p in loss.params})
                form = loss.build(prev, [sym(k) for k in tkeys], tvals,
                                  loss_spec.reduction or loss.default_reduction, params)
                self._check_probabilities(form, prev, loss, tvals, tfield)
                if self.size > 1:
                    self.nodes.append(Node(example_key("L", n, self.size), "loss", expr=form.expr))
                    example_losses.append(sym(example_key("L", n, self.size)))
                else:
                    if pen:
                        self.nodes.append(pen.node)
                    self.nodes.append(Node("L", "loss", expr=with_penalty(form.expr) if pen else form.expr))
                loss_title, loss_def = form.title, form.definition
                if loss.softmax_shortcut and sum(tvals) == 1:
                    outs = [self._by_key()[s.name] for s in prev]
                    if all(o.expr.func is Softmax for o in outs):
                        softmax_ce += tuple((o.expr.logits[j].name, o.key, tk)
                                            for j, (o, tk) in enumerate(zip(outs, tkeys)))
            if self.size > 1:
                total = sp.Add(*example_losses, evaluate=False)
                mean = (loss_spec.batch or "mean") == "mean"
                expr = sp.Mul(sp.Rational(1, self.size), total, evaluate=False) if mean else total
                if pen:
                    self.nodes.append(pen.node)
                self.nodes.append(Node("L", "loss", expr=with_penalty(expr) if pen else expr))
                loss_title += (f", averaged over the batch of {self.size}" if mean
                               else f", summed over the batch of {self.size}")
                if loss_def.startswith("L = "):  # one example's loss, beside the batch's L
                    loss_def = "L^{[n]} = " + loss_def[len("L = "):]
                loss_def += (rf",\quad L = \frac{{1}}{{{self.size}}}\sum_{{n=1}}^{{{self.size}}} L^{{[n]}}" if mean
                             else rf",\quad L = \sum_{{n=1}}^{{{self.size}}} L^{{[n]}}")
            if pen:
                loss_title += ", plus a weight penalty"
                head, sep, tail = loss_def.rpartition("L = ")
                loss_def = (f"{head}L_{{\\text{{data}}}} = {tail}" if sep else loss_def) + \
                    rf",\quad L = L_{{\text{{data}}}} + R,\quad {pen.definition}"
            graph_loss = "L"
        seen: set[str] = set()
        for node in self.nodes:
            if node.key in seen:
                raise self.fail(f"the name '{node.key}' is used twice; give distinct names under "
                                "network.layers[*].names", "network")
            seen.add(node.key)
        latex = {node.key: latex_name(node.key) for node in self.nodes}
        names = softmax_names(self.nodes, latex)
        groups = tuple(replace(g, definition=in_softmax_names(g.definition, *names)) for g in self.groups)
        return Graph(tuple(self.nodes), latex, graph_loss, groups, softmax_ce, loss_title,
                     in_softmax_names(loss_def, *names), self.net.orientation,
                     layer_info(self.net, self.names, self.size), self.size, names, penalty=pen)

    def _check_probabilities(self, form, prev, loss, tvals, tfield) -> None:
        if form.needs_probabilities:
            outs = [self._by_key()[s.name] for s in prev]
            if not all(o.expr is not None and getattr(o.expr.func, "probabilities", False) for o in outs):
                field = "loss" if self.question.loss is None else f"questions[{self.qi}].loss"
                raise self.fail(f"{form.title} needs probabilities: give the output layer a softmax "
                                "or sigmoid activation (or output_head: softmax)", field)
        problem = loss.check_targets(tvals) if loss.check_targets else None
        if problem:
            raise self.fail(problem, tfield)

    def _by_key(self) -> dict[str, Node]:
        return {n.key: n for n in self.nodes}


def _unevaluated(cls, args) -> sp.Expr:
    """``cls(*args, evaluate=False)`` for arguments that are already sympy expressions
    (symbols, products of them), as AssocOp builds it, without its cache and checks (11,000
    products at 10k parameters). The postprocessors run when an argument's type is one they
    are registered for (a matrix expression), as ``_exec_constructor_postprocessors`` finds them
    (its type's MRO); for symbols and their products there are none."""
    obj = cls._from_args(args)
    mapping = Basic._constructor_postprocessor_mapping
    if any(issubclass(type(a), k) for a in args for k in mapping):
        return cls._exec_constructor_postprocessors(obj)
    return obj


def build_network(problem: Problem, question: Question, file: str | None = None) -> Graph:
    """The graph of ``problem``'s network under ``question``'s loss, target and head.

    Raises:
        ProblemError: names that clash, a target of the wrong length or count, a class
            out of range, or a loss that needs probabilities on outputs that are not.
    """
    if problem.network.recurrent:  # tensor layers' modules (ops.tensor, 8 ms) only for such networks
        from .recurrent_network import build_recurrent_network

        return build_recurrent_network(problem, question, file)
    if problem.network.convolutional:
        from .tensor_network import build_tensor_network

        return build_tensor_network(problem, question, file)
    return _Builder(problem, question, file).build()


_COMPONENT = re.compile(r"^(.+)_\{(\d+)\}$")


def softmax_names(nodes, latex: dict[str, str]) -> tuple[str, str]:
    """The LaTeX names of the vectors of logits and probabilities of the (last) softmax:
    the common base of its components' names (``\\hat{y}`` of ``\\hat{y}_{1}, \\hat{y}_{2}``),
    or the generic ``("o", "p")`` when the names have no such base."""
    outs = [n for n in nodes if n.expr is not None and n.expr.func is Softmax]
    if not outs:
        return ("o", "p")
    count = len(outs[-1].expr.logits)
    outs = outs[-count:]
    bases = []
    for names in ([latex[s.name] for s in outs[-1].expr.logits], [latex[n.key] for n in outs]):
        found = [_COMPONENT.match(t) for t in names]
        if not all(found) or [m.group(2) for m in found] != [str(j) for j in range(1, count + 1)] \
                or len({m.group(1) for m in found}) != 1:
            return ("o", "p")
        bases.append(found[0].group(1))
    return bases[0], bases[1]
