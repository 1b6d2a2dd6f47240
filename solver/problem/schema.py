"""The problem file's schema: validated, frozen models of a problem.

The loader (:mod:`solver.problem.loader`) reads YAML into plain data;
:func:`solver.problem.validation.validate` turns that data into a :class:`Problem` or
raises :class:`~solver.core.errors.ProblemError` naming the field. The JSON Schema
shipped in ``schema/problem.schema.json`` is generated from these models
(``nnsolve schema``). The names of activations, losses and optimizers, and their
parameters' fields, are read from their descriptors (:mod:`solver.ops`).

Numbers are exact: ``0.1`` is 1/10 and ``"1/3"`` is one third (sympy ``Rational``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import (
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..ops.optimizers import OPTIMIZERS
from .fields import (
    NAME_RE,
    Model,
    Name,
    Number,
    NumberOrTensor,
    check_params,
    tensor_schema,
    with_params,
    written,
)
from .grading import Grading
from .layers import Network
from .loss_spec import Loss
from .randomize import Randomize
from .text import TexText

OptimizerType = Literal[tuple(OPTIMIZERS)]


class ClassTarget(Model):
    """A class label for cross-entropy, numbered from 1 as the statement numbers classes."""

    class_: int = Field(alias="class", ge=1)


#: A target: a vector, or a class; for a batch, one of those per example (a number
#: stands for a one-output vector).
Target = Union[list[Union[Number, list[Number], ClassTarget]], ClassTarget]


AskItem = Literal["forward", "loss", "gradients", "update", "train", "count", "shapes", "derive",
                  "perceptron", "delta_rule", "loss_after", "forward_after"]
#: The learning rules of a single unit, run example by example (:mod:`solver.graph.learning_rules`).
RULES = ("perceptron", "delta_rule")


class ArchLayer(Model):
    """A layer of an architecture for ``count`` and ``shapes`` questions.

    ``dense`` (units, bias); ``conv2d`` (out_channels, kernel, stride, padding,
    dilation, bias); ``maxpool2d`` / ``avgpool2d`` (kernel, stride defaulting to the
    kernel, padding, dilation); ``batchnorm1d`` / ``batchnorm2d``; ``flatten``;
    ``embedding`` (num_embeddings, dim)."""

    type: Literal["dense", "conv2d", "maxpool2d", "avgpool2d", "batchnorm1d", "batchnorm2d", "flatten", "embedding"]
    name: Name | None = None
    units: int | None = Field(None, ge=1, le=10_000_000)
    out_channels: int | None = Field(None, ge=1, le=1_000_000)
    kernel: int | None = Field(None, ge=1, le=1024)
    stride: int | None = Field(None, ge=1, le=1024)
    padding: int = Field(0, ge=0, le=1024)
    dilation: int = Field(1, ge=1, le=1024)
    bias: bool = True
    num_embeddings: int | None = Field(None, ge=1, le=100_000_000)
    dim: int | None = Field(None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _fields(self) -> "ArchLayer":
        need = {"dense": ["units"], "conv2d": ["out_channels", "kernel"], "maxpool2d": ["kernel"],
                "avgpool2d": ["kernel"], "embedding": ["num_embeddings", "dim"]}.get(self.type, [])
        for f in need:
            if getattr(self, f) is None:
                raise ValueError(f"{f}: a {self.type} layer needs '{f}'")
        return self


class Architecture(Model):
    """An input shape (``[features]``, or ``[channels, height, width]`` — ``[height, width,
    channels]`` with ``layout: hwc``, CS231n's convention) and layers."""

    input: list[int] = Field(min_length=1, max_length=3)
    layers: list[ArchLayer] = Field(min_length=1, max_length=200)
    layout: Literal["chw", "hwc"] = "chw"

    @field_validator("input")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(n < 1 or n > 100_000_000 for n in v):
            raise ValueError("input sizes are whole numbers from 1 to 100,000,000")
        return v


class _Optimizer(Model):
    """The optimizer of a ``train`` question: its ``type`` (see the README's table of
    optimizers), the learning rate and its other hyper-parameters (defaults from
    PyTorch)."""

    type: OptimizerType = "sgd"
    learning_rate: Number
    nesterov: bool | None = Field(None, description="sgd: Nesterov momentum, d = g + μ buf (needs momentum > 0 "
                                  "and dampening 0)")  # every optimizer's flags (booleans): nesterov only

    @model_validator(mode="after")
    def _parameters(self) -> "_Optimizer":
        check_params(self, OPTIMIZERS[self.type], OPTIMIZERS.values())
        problem = OPTIMIZERS[self.type].option_problem(self.model_dump(), OPTIMIZERS.values())
        if problem:
            raise ValueError(problem)
        return self


Optimizer = with_params(_Optimizer, OPTIMIZERS.values(), exclude=("learning_rate",))


class Question(Model):
    """One question of the exercise and what it asks.

    ``ask`` lists any of ``forward``, ``loss``, ``gradients``, ``update``. ``gradients``
    names the parameters (or ``all``). ``loss``, ``target`` and ``output_head`` override
    the problem's for this question (seed 000's third question puts a softmax on the
    outputs: ``output_head: softmax``)."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    title: TexText | None = None
    text: str | None = None
    ask: list[AskItem] = Field(min_length=1)
    gradients: Literal["all"] | list[Name] = "all"
    learning_rate: Number | None = None
    update_biases: bool = True
    loss: Loss | None = None
    target: Target | None = None
    output_head: Literal["softmax"] | None = None
    steps: int | None = Field(None, ge=1, le=100_000, description="train: how many steps")
    architecture: Architecture | None = Field(None, description="count/shapes: overrides the problem's")
    derivation: Literal["softmax_ce", "softmax_jacobian", "sigmoid", "tanh", "bce_sigmoid",
                        "squared_error"] | None = Field(None, description="derive: which derivation")
    optimizer: Optimizer | None = None
    table_every: int | None = Field(None, ge=1, description="train: a table row every this many steps")
    epochs: int | None = Field(None, ge=1, le=1000, description="perceptron, delta_rule: at most this many "
                               "passes over the examples")
    mode: Literal["online", "batch"] | None = Field(
        None, description="delta_rule: update after every example (online, the default) or once per epoch (batch)")
    points: Number | None = Field(None, description="marks for this question (shown on the paper; the exam "
                                                     "class totals them on the front page)")
    report: list[Name] | None = Field(None, max_length=64, description="forward: the nodes whose values the final "
                                      "answers give (default: the output)")

    @model_validator(mode="after")
    def _update_needs_rate(self) -> "Question":
        if self.learning_rate is not None and self.learning_rate <= 0:
            raise ValueError(f"learning_rate: must be greater than 0 (got {written(self.learning_rate)})")
        if "update" in self.ask and self.learning_rate is None:
            raise ValueError("learning_rate: an update needs a learning rate")
        for rule in RULES:
            if rule in self.ask and self.learning_rate is None:
                raise ValueError(f"learning_rate: the {rule.replace('_', ' ')} needs a learning rate")
        if any(a in self.ask for a in ("loss_after", "forward_after")) and "update" not in self.ask:
            raise ValueError("ask: loss_after and forward_after come after an update (ask: [update, loss_after])")
        if "derive" in self.ask and self.derivation is None:
            raise ValueError("derivation: a 'derive' question names its derivation (for example softmax_ce)")
        if self.points is not None and self.points < 0:
            raise ValueError(f"points: must be 0 or more (got {written(self.points)})")
        if "train" in self.ask:
            if self.steps is None:
                raise ValueError("steps: training needs a number of steps")
            if self.optimizer is None and self.learning_rate is None:
                raise ValueError("optimizer: training needs an optimizer (or a learning_rate for plain SGD)")
        return self


def _named_values(description: str, most: int):
    return Annotated[dict[Name, NumberOrTensor], WithJsonSchema({
        "type": "object", "maxProperties": most, "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": tensor_schema(), "description": description})]


class GraphSpec(Model):
    """A computational graph: inputs and parameters with their values, and named
    nodes, each an expression over the other names (``xw0: x0 * w0``; numbers,
    ``+ - * / ^``, parentheses and the functions of the README's expression grammar).
    ``output`` names the node that is differentiated (a loss, or the network's output).
    ``batch`` (``mean`` or ``sum``): the output holds one loss per example of a batch (the
    inputs' first axis), and the loss differentiated is their mean or sum, as a network's is."""

    inputs: _named_values("input name → value", 64) = Field(default_factory=dict, max_length=64)
    parameters: _named_values("parameter name → value", 256) = Field(default_factory=dict, max_length=256)
    nodes: Annotated[dict[Name, str], WithJsonSchema({
        "type": "object", "minProperties": 1, "maxProperties": 200,
        "propertyNames": {"pattern": NAME_RE.pattern}, "additionalProperties": {"type": "string"},
        "description": "node name → expression"})] = Field(min_length=1, max_length=200)
    output: Name
    batch: Literal["mean", "sum"] | None = Field(
        None, description="the output holds one loss per example: differentiate their mean (or sum)")


class Problem(Model):
    """A whole exercise: a layered ``network`` (with the loss and target) or a
    computational ``graph``, and the questions. ``style`` chooses the layout of the
    key: ``neuron`` (neuron by neuron, the default for networks) or ``graph``
    (staged, path products; the default for graphs)."""

    title: TexText = Field(min_length=1, max_length=200)
    statement: str = ""
    precision: int = Field(4, ge=1, le=15, description="significant figures shown")
    style: Literal["neuron", "graph", "matrix"] | None = None
    network: Network | None = None
    graph: GraphSpec | None = None
    architecture: Architecture | None = None
    loss: Loss | None = None
    target: Target | None = None
    questions: list[Question] = Field(min_length=1, max_length=50)
    randomize: Randomize | None = Field(None, description="per-student variants: what varies and what must hold "
                                        "(nnsolve variants)")
    grading: Grading | None = Field(None, description="how students' answers are marked (nnsolve grade) and the "
                                    "tolerance of exported questions")

    @model_validator(mode="after")
    def _one_kind(self) -> "Problem":
        if self.network is not None and self.graph is not None:
            raise ValueError("network: give either a 'network' (layers) or a 'graph' (named nodes), not both")
        numeric = any(a in q.ask for q in self.questions for a in ("forward", "loss", "gradients", "update", "train"))
        if numeric and self.network is None and self.graph is None:
            raise ValueError("missing required field 'network' (or 'graph')")
        for qi, q in enumerate(self.questions):
            if any(a in q.ask for a in ("count", "shapes")) and q.architecture is None and self.architecture is None:
                raise ValueError(f"architecture: questions[{qi}] asks for counts or shapes but no architecture is "
                                 "given (set 'architecture' on the problem or the question)")
        if self.graph is not None and self.style in ("neuron", "matrix"):
            raise ValueError("style: a graph problem has no neurons or layers; use style: graph")
        return self
