"""The problem file's schema: validated, frozen models of a problem.

The loader (:mod:`solver.problem.loader`) reads YAML into plain data;
:func:`solver.problem.validation.validate` turns that data into a :class:`Problem` or
raises :class:`~solver.core.errors.ProblemError` naming the field. The JSON Schema
shipped in ``schema/problem.schema.json`` is generated from these models
(``nnsolve schema``). The names of activations, losses and optimizers, and their
parameters' fields, are read from their descriptors (:mod:`solver.ops`).

Numbers are exact: ``0.1`` is 1/10 and ``"1/3"`` is one third (sympy ``Rational``).
"""


from typing import Annotated, Literal

from msgspec import Meta, field
from msgspec.structs import asdict

from ..ops.optimizers import OPTIMIZERS
from .conversion import CustomType, union
from .fields import (
    NAME_RE,
    Model,
    Name,
    Number,
    NumberOrTensor,
    bounded_text,
    check_params,
    described,
    schema_as,
    tensor_schema,
    with_flags,
    with_params,
    written,
)
from .grading import Grading
from .layers import Network
from .loss_spec import LossOrName
from .randomize import Randomize
from .text import TexProse, TexText

OptimizerType = Literal[tuple(OPTIMIZERS)]


class ClassTarget(Model, kw_only=True):
    """A class label for cross-entropy, numbered from 1 as the statement numbers classes."""

    class_: Annotated[int, Meta(ge=1)] = field(name="class")


class Target(CustomType):
    """A target: a vector, or a class; for a batch, one of those per example (a number
    stands for a one-output vector)."""


class _TargetItem(CustomType):
    """An item of a target's list: a number, a list of numbers, or a class."""


union(Target, list[_TargetItem], ClassTarget)
union(_TargetItem, Number, list[Number], ClassTarget)


AskItem = Literal["forward", "loss", "gradients", "update", "train", "count", "shapes", "derive",
                  "perceptron", "delta_rule", "loss_after", "forward_after"]
#: The learning rules of a single unit, run example by example (:mod:`solver.graph.learning_rules`).
RULES = ("perceptron", "delta_rule")
#: A question's fields that only some asks read: field → those asks, and a hint. A field given
#: where no ask reads it would be ignored without a word (an Adam optimizer on an update
#: question, which takes a plain gradient step): it is an error instead.
READ_BY = {
    "optimizer": (("train",), "; an update is one step of gradient descent with learning_rate (for one "
                              "step of another optimizer, ask: [train] with steps: 1)"),
    "steps": (("train",), ""), "table_every": (("train",), ""),
    "epochs": (RULES, ""), "mode": (RULES, ""),
    "derivation": (("derive",), ""), "architecture": (("count", "shapes"), ""),
    "report": (("forward", "loss"), ""),
    "learning_rate": (("update", "train", *RULES), ""),
}


class ArchLayer(Model, kw_only=True):
    """A layer of an architecture for ``count`` and ``shapes`` questions.

    ``dense`` (units, bias); ``conv2d`` (out_channels, kernel, stride, padding,
    dilation, bias); ``maxpool2d`` / ``avgpool2d`` (kernel, stride defaulting to the
    kernel, padding, dilation); ``batchnorm1d`` / ``batchnorm2d``; ``flatten``;
    ``embedding`` (num_embeddings, dim); ``rnn`` / ``lstm`` / ``gru`` (units, bias)."""

    type: Literal["dense", "conv2d", "maxpool2d", "avgpool2d", "batchnorm1d", "batchnorm2d", "flatten", "embedding",
                  "rnn", "lstm", "gru"]
    name: Name | None = None
    units: Annotated[int, Meta(ge=1, le=10_000_000)] | None = None
    out_channels: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None
    kernel: Annotated[int, Meta(ge=1, le=1024)] | None = None
    stride: Annotated[int, Meta(ge=1, le=1024)] | None = None
    padding: Annotated[int, Meta(ge=0, le=1024)] = 0
    dilation: Annotated[int, Meta(ge=1, le=1024)] = 1
    bias: bool = True
    num_embeddings: Annotated[int, Meta(ge=1, le=100_000_000)] | None = None
    dim: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None

    def __post_init__(self) -> None:
        need = {"dense": ["units"], "conv2d": ["out_channels", "kernel"], "maxpool2d": ["kernel"],
                "avgpool2d": ["kernel"], "embedding": ["num_embeddings", "dim"], "rnn": ["units"],
                "lstm": ["units"], "gru": ["units"]}.get(self.type, [])
        for f in need:
            if getattr(self, f) is None:
                raise ValueError(f"{f}: a {self.type} layer needs '{f}'")


class Architecture(Model, kw_only=True):
    """An input shape (``[features]``, or ``[channels, height, width]`` — ``[height, width,
    channels]`` with ``layout: hwc``, CS231n's convention) and layers."""

    input: Annotated[list[int], Meta(min_length=1, max_length=3)]
    layers: Annotated[list[ArchLayer], Meta(min_length=1, max_length=200)]
    layout: Literal["chw", "hwc"] = "chw"

    def __post_init__(self) -> None:
        if any(n < 1 or n > 100_000_000 for n in self.input):
            raise ValueError("input: input sizes are whole numbers from 1 to 100,000,000")


class _Optimizer(Model, kw_only=True):
    """The optimizer of a ``train`` question: its ``type`` (see the README's table of
    optimizers), the learning rate and its other hyper-parameters (defaults from
    PyTorch)."""

    type: OptimizerType = "sgd"
    learning_rate: Number

    def __post_init__(self) -> None:
        check_params(self, OPTIMIZERS[self.type], OPTIMIZERS.values())
        problem = OPTIMIZERS[self.type].option_problem(asdict(self), OPTIMIZERS.values())
        if problem:
            raise ValueError(problem)


Optimizer = with_params(with_flags(_Optimizer, OPTIMIZERS.values()), OPTIMIZERS.values(), exclude=("learning_rate",))


#: What a statement's or a question text's schema says of ``\given`` (:mod:`.placeholders`).
GIVEN_HELP = r"LaTeX; \given{path} (\given{network.inputs.x1}) writes the value at path: each variant's own"


class Question(Model, kw_only=True):
    """One question of the exercise and what it asks.

    ``ask`` lists any of ``forward``, ``loss``, ``gradients``, ``update``. ``gradients``
    names the parameters (or ``all``). ``loss``, ``target`` and ``output_head`` override
    the problem's for this question (seed 000's third question puts a softmax on the
    outputs: ``output_head: softmax``)."""

    id: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
    title: TexText | None = None
    text: described(TexProse | None, GIVEN_HELP) = None
    ask: Annotated[list[AskItem], Meta(min_length=1)]
    gradients: Literal["all"] | list[Name] = "all"
    learning_rate: Number | None = None
    update_biases: bool = True
    loss: LossOrName | None = None
    target: Target | None = None
    output_head: Literal["softmax"] | None = None
    steps: described(Annotated[int, Meta(ge=1, le=100_000)] | None, "train: how many steps") = None
    architecture: described(Architecture | None, "count/shapes: overrides the problem's") = None
    derivation: described(Literal["softmax_ce", "softmax_jacobian", "sigmoid", "tanh", "bce_sigmoid",
                                  "squared_error"] | None, "derive: which derivation") = None
    optimizer: Optimizer | None = None
    table_every: described(Annotated[int, Meta(ge=1)] | None, "train: a table row every this many steps") = None
    epochs: described(Annotated[int, Meta(ge=1, le=1000)] | None,
                      "perceptron, delta_rule: at most this many passes over the examples") = None
    mode: described(Literal["online", "batch"] | None,
                    "delta_rule: update after every example (online, the default) or once per epoch (batch)") = None
    points: described(Number | None, "marks for this question (shown on the paper; the exam "
                                     "class totals them on the front page)") = None
    report: described(Annotated[list[Name], Meta(max_length=64)] | None,
                      "forward: the nodes whose values the final answers give (default: the output)") = None

    def __post_init__(self) -> None:
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
        self._read_by_an_ask()

    def _read_by_an_ask(self) -> None:
        """Refuse a field no ask of this question reads (:data:`READ_BY`), and a learning_rate
        beside a training's optimizer that nothing else uses (the optimizer's is the one used)."""
        for name, (asks, hint) in READ_BY.items():
            if getattr(self, name) is not None and not any(a in self.ask for a in asks):
                wanted = ", ".join(asks[:-1]) + " or " + asks[-1] if len(asks) > 1 else asks[0]
                raise ValueError(f"{name}: only a question asking {wanted} uses it (this one asks "
                                 f"{', '.join(self.ask)}){hint}")
        if self.optimizer is not None and self.learning_rate is not None \
                and not any(a in self.ask for a in ("update", *RULES)):
            raise ValueError("learning_rate: training uses the optimizer's learning_rate; give it there only")


def _named_values(description: str, most: int):
    return schema_as(Annotated[dict[Name, NumberOrTensor], Meta(max_length=most)], {
        "type": "object", "maxProperties": most, "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": tensor_schema(), "description": description})


class GraphSpec(Model, kw_only=True):
    """A computational graph: inputs and parameters with their values, and named
    nodes, each an expression over the other names (``xw0: x0 * w0``; numbers,
    ``+ - * / ^``, parentheses and the functions of the README's expression grammar).
    ``output`` names the node that is differentiated (a loss, or the network's output).
    ``batch`` (``mean`` or ``sum``): the output holds one loss per example of a batch (the
    inputs' first axis), and the loss differentiated is their mean or sum, as a network's is."""

    inputs: _named_values("input name → value", 64) = field(default_factory=dict)
    parameters: _named_values("parameter name → value", 256) = field(default_factory=dict)
    nodes: schema_as(Annotated[dict[Name, str], Meta(min_length=1, max_length=200)], {
        "type": "object", "minProperties": 1, "maxProperties": 200,
        "propertyNames": {"pattern": NAME_RE.pattern}, "additionalProperties": {"type": "string"},
        "description": "node name → expression"})
    output: Name
    batch: described(Literal["mean", "sum"] | None,
                     "the output holds one loss per example: differentiate their mean (or sum)") = None


#: The fewest and most characters of a problem's title (checked in Problem.__post_init__).
TITLE_LENGTH = (1, 200)


class Problem(Model, kw_only=True):
    """A whole exercise: a layered ``network`` (with the loss and target) or a
    computational ``graph``, and the questions. ``style`` chooses the layout of the
    key: ``neuron`` (neuron by neuron, the default for networks) or ``graph``
    (staged, path products; the default for graphs)."""

    title: TexText
    statement: described(TexProse, GIVEN_HELP) = ""
    precision: described(Annotated[int, Meta(ge=1, le=15)], "significant figures shown") = 4
    style: Literal["neuron", "graph", "matrix"] | None = None
    network: Network | None = None
    graph: GraphSpec | None = None
    architecture: Architecture | None = None
    loss: LossOrName | None = None
    target: Target | None = None
    questions: Annotated[list[Question], Meta(min_length=1, max_length=50)]
    randomize: described(Randomize | None, "per-student variants: what varies and what must hold "
                                           "(nnsolve variants)") = None
    grading: described(Grading | None, "how students' answers are marked (nnsolve grade) and the "
                                       "tolerance of exported questions") = None

    def __post_init__(self) -> None:
        bounded_text("title", self.title, *TITLE_LENGTH)
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
