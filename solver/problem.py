"""The problem file's schema: validated, frozen models of a problem.

The loader (:mod:`solver.loader`) reads YAML into plain data; :func:`validate`
turns that data into a :class:`Problem` or raises :class:`~solver.errors.ProblemError`
naming the field. The JSON Schema shipped in ``schema/problem.schema.json`` is
generated from these models (``nnsolve schema``).

Numbers are exact: ``0.1`` is 1/10 and ``"1/3"`` is one third (sympy ``Rational``).
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal, Union, get_args

import sympy as sp
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator,
                      WithJsonSchema, model_validator)

from .errors import ProblemError
from .numbers import parse_number

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)?\])?$")


def _to_rational(v: Any) -> sp.Rational:
    if isinstance(v, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(v, sp.Rational):
        return v
    if isinstance(v, int):
        return sp.Integer(v)
    if isinstance(v, float):
        return parse_number(repr(v))
    if isinstance(v, str):
        return parse_number(v)
    raise ValueError(f"expected a number, got {type(v).__name__}")


def _check_name(v: Any) -> str:
    if not isinstance(v, str) or not NAME_RE.match(v):
        raise ValueError(f"{v!r} is not a valid name (a letter, then letters, digits or _)")
    return v


Number = Annotated[sp.Rational, BeforeValidator(_to_rational),
                   WithJsonSchema({"type": ["number", "string"],
                                   "description": "a decimal (exact) or a fraction string such as \"1/3\""})]
Name = Annotated[str, BeforeValidator(_check_name),
                 WithJsonSchema({"type": "string", "pattern": NAME_RE.pattern})]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


LossType = Literal["sse", "half_sse", "mse", "cross_entropy", "bce", "l1"]


class Loss(Model):
    """The loss. ``sse``: Σ(o−y)²; ``half_sse``: ½Σ(o−y)²; ``mse``: (1/n)Σ(o−y)²;
    ``cross_entropy``: −Σ y ln p over a softmax output; ``bce``: −[y ln p + (1−y) ln(1−p)]
    per output, averaged (``reduction: mean``, default) or summed; ``l1``: Σ|o−y|."""

    type: LossType
    reduction: Literal["mean", "sum"] | None = None
    batch: Literal["mean", "sum"] | None = Field(
        None, description="over the examples of a batch: mean (default) or sum")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        # The schema must accept the shorthand ``loss: sse`` as well as the mapping.
        schema = handler.resolve_ref_schema(handler(core_schema))
        return {"anyOf": [{"type": "string", "enum": list(get_args(LossType))}, dict(schema)],
                "description": schema.get("description", "")}


class ClassTarget(Model):
    """A class label for cross-entropy, numbered from 1 as the statement numbers classes."""

    class_: int = Field(alias="class", ge=1)


#: A target: a vector, or a class; for a batch, one of those per example (a number
#: stands for a one-output vector).
Target = Union[list[Union[Number, list[Number], ClassTarget]], ClassTarget]


class LayerNames(Model):
    """Names for one layer, overriding the network's naming scheme.

    ``symbol`` is the letter of the activations (``h``, ``o``); ``neurons`` and
    ``preactivations`` list one name per unit; ``weights`` is a matrix of names shaped
    like the weights; ``bias`` one name (shared bias) or one per unit."""

    symbol: Name | None = None
    neurons: list[Name] | None = None
    preactivations: list[Name] | None = None
    weights: list[list[Name]] | None = None
    bias: Name | list[Name] | None = None


ActivationName = Literal["relu", "leaky_relu", "sigmoid", "tanh", "linear", "identity", "softmax"]


class Layer(Model):
    """A dense layer: ``units`` neurons, their weights and biases, one activation.

    ``weights`` is units × inputs for ``z = W x`` (rows = destination neurons) and
    inputs × units for ``z = x W``. ``bias``: omitted (none), one number shared by
    every neuron of the layer, or one number per neuron."""

    units: int = Field(ge=1, le=64)
    activation: ActivationName = "linear"
    slope: Number | None = Field(None, description="negative slope α of leaky_relu")
    weights: list[list[Number]]
    bias: Number | list[Number] | None = None
    names: LayerNames | None = None

    @model_validator(mode="after")
    def _slope(self) -> "Layer":
        if self.activation == "leaky_relu" and self.slope is None:
            raise ValueError("slope: leaky_relu needs a slope (for example slope: 0.01)")
        if self.activation != "leaky_relu" and self.slope is not None:
            raise ValueError("slope: only leaky_relu takes a slope")
        return self


class Network(Model):
    """Inputs, orientation, naming scheme and layers (input to output)."""

    inputs: Annotated[dict[Name, Union[Number, list[Number]]], WithJsonSchema({
        "type": "object", "minProperties": 1, "maxProperties": 64,
        "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": {"anyOf": [{"type": ["number", "string"]},
                                           {"type": "array", "items": {"type": ["number", "string"]}}]},
        "description": "input name → value, or → one value per example of a batch"})] = Field(
        min_length=1, max_length=64)
    orientation: Literal["Wx", "xW"] = "Wx"
    naming: Literal["sequential", "indexed"] = "sequential"
    layers: list[Layer] = Field(min_length=1, max_length=16)


AskItem = Literal["forward", "loss", "gradients", "update", "train", "count", "shapes", "derive"]


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
    """An input shape (``[features]`` or ``[channels, height, width]``) and layers."""

    input: list[int] = Field(min_length=1, max_length=3)
    layers: list[ArchLayer] = Field(min_length=1, max_length=200)

    @field_validator("input")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(n < 1 or n > 100_000_000 for n in v):
            raise ValueError("input sizes are whole numbers from 1 to 100,000,000")
        return v


class Optimizer(Model):
    """Gradient descent for ``train``: ``sgd`` (w ← w − η g), ``momentum`` (PyTorch's
    form: v ← μ v + g, w ← w − η v) or ``adam`` (Kingma & Ba 2015, with bias
    correction)."""

    type: Literal["sgd", "momentum", "adam"] = "sgd"
    learning_rate: Number
    momentum: Number = Field(default_factory=lambda: _to_rational("0.9"))
    beta1: Number = Field(default_factory=lambda: _to_rational("0.9"))
    beta2: Number = Field(default_factory=lambda: _to_rational("0.999"))
    epsilon: Number = Field(default_factory=lambda: _to_rational("1e-8"))


class Question(Model):
    """One question of the exercise and what it asks.

    ``ask`` lists any of ``forward``, ``loss``, ``gradients``, ``update``. ``gradients``
    names the parameters (or ``all``). ``loss``, ``target`` and ``output_head`` override
    the problem's for this question (seed 000's third question puts a softmax on the
    outputs: ``output_head: softmax``)."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str | None = None
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

    @model_validator(mode="after")
    def _update_needs_rate(self) -> "Question":
        if "update" in self.ask and self.learning_rate is None:
            raise ValueError("learning_rate: an update needs a learning rate")
        if "derive" in self.ask and self.derivation is None:
            raise ValueError("derivation: a 'derive' question names its derivation (for example softmax_ce)")
        if "train" in self.ask:
            if self.steps is None:
                raise ValueError("steps: training needs a number of steps")
            if self.optimizer is None and self.learning_rate is None:
                raise ValueError("optimizer: training needs an optimizer (or a learning_rate for plain SGD)")
        return self


def _named_values(description: str, most: int):
    return Annotated[dict[Name, Number], WithJsonSchema({
        "type": "object", "maxProperties": most, "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": {"type": ["number", "string"]}, "description": description})]


class GraphSpec(Model):
    """A computational graph: inputs and parameters with their values, and named
    nodes, each an expression over the other names (``xw0: x0 * w0``; numbers,
    ``+ - * / ^``, parentheses and relu, leaky_relu(x, slope), sigmoid, tanh, exp,
    log, abs, max, min, square, sqrt). ``output`` names the node that is
    differentiated (a loss, or the network's output)."""

    inputs: _named_values("input name → value", 64) = Field(default_factory=dict, max_length=64)
    parameters: _named_values("parameter name → value", 256) = Field(default_factory=dict, max_length=256)
    nodes: Annotated[dict[Name, str], WithJsonSchema({
        "type": "object", "minProperties": 1, "maxProperties": 200,
        "propertyNames": {"pattern": NAME_RE.pattern}, "additionalProperties": {"type": "string"},
        "description": "node name → expression"})] = Field(min_length=1, max_length=200)
    output: Name


class Problem(Model):
    """A whole exercise: a layered ``network`` (with the loss and target) or a
    computational ``graph``, and the questions. ``style`` chooses the layout of the
    key: ``neuron`` (neuron by neuron, the default for networks) or ``graph``
    (staged, path products; the default for graphs)."""

    title: str = Field(min_length=1, max_length=200)
    statement: str = ""
    precision: int = Field(4, ge=1, le=15, description="significant figures shown")
    style: Literal["neuron", "graph", "matrix"] | None = None
    network: Network | None = None
    graph: GraphSpec | None = None
    architecture: Architecture | None = None
    loss: Loss | None = None
    target: Target | None = None
    questions: list[Question] = Field(min_length=1, max_length=50)

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


# --- validation with one-line errors -------------------------------------------------

def _loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class whose fields live at ``loc`` (for 'did you mean' hints)."""
    current: Any = Problem
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _find_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _find_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _find_model(arg)
        if found is not None:
            return found
    return None


_UNION_TAGS = {"int", "str", "float", "bool", "none", "dict", "list"}


def _clean_loc(loc: tuple) -> tuple:
    """The location without the tags pydantic adds for union members ('list[...]',
    'function-before[...]', a model's class name such as 'ClassTarget'); a key written
    in the file, capitalised or not, stays."""
    models = {m.__name__ for m in _models()}
    return tuple(p for p in loc if isinstance(p, int) or not (
        "[" in str(p) or str(p) in models or str(p) in _UNION_TAGS))


def _models() -> list[type]:
    out, todo = [], [Problem]
    while todo:
        m = todo.pop()
        if m in out:
            continue
        out.append(m)
        for f in m.model_fields.values():
            found = _all_models(f.annotation)
            todo.extend(x for x in found if x not in out)
    return out


def _all_models(annotation: Any) -> list[type]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _all_models(arg)]


def _shown(value: Any) -> str:
    """A short rendering of an offending input, as the YAML file wrote it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str) and type(value) is not str:  # a YAML decimal kept as text
        return str(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:36] + "…" + text[-1]


def _message(err: dict) -> tuple[str, str]:
    loc = _clean_loc(tuple(err["loc"]))
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        model = _model_at(loc[:-1])
        hint = ""
        if model is not None:
            fields = [f.alias or k for k, f in model.model_fields.items()]
            close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known fields: {', '.join(fields)})"
        return _loc_text(loc[:-1]) or "(top level)", f"unknown field '{name}'{hint}"
    if kind == "missing":
        return _loc_text(loc[:-1]) or "(top level)", f"missing required field '{loc[-1]}'"
    msg = err["msg"]
    msg = re.sub(r"^(Value error|Assertion failed), ", "", msg)
    if kind == "literal_error":
        msg = f"{_shown(err.get('input'))} is not allowed; {msg[0].lower()}{msg[1:]}"
    elif re.match(r"^(Input|String|List|Dictionary) should ", msg):
        msg = msg.replace(", unable to parse string as an integer", "")
        msg = f"got {_shown(err.get('input'))}; {msg[0].lower()}{msg[1:]}"
    if msg.count(": ") and re.match(r"^[a-z_]+: ", msg):  # field-naming model validators
        sub, msg = msg.split(": ", 1)
        loc = loc + (sub,)
    return _loc_text(loc) or "(top level)", msg


def validate(data: Any, file: str | None = None) -> Problem:
    """Validate plain data (from YAML) into a :class:`Problem`.

    Raises:
        ProblemError: naming the first offending field, with a suggestion for a
            misspelt field name.
    """
    if not isinstance(data, dict):
        what = "holds no fields" if data is None else f"holds {_shown(data)}"
        raise ProblemError(f"the file {what}; it must be a mapping of fields (title, network, questions, ...)",
                           file=file, field="(top level)")
    try:
        problem = Problem.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # Prefer the most specific error (longest location) among union alternatives.
        err = max(errors, key=lambda e: (e["type"] == "extra_forbidden", len(e["loc"])))
        field, msg = _message(err)
        raise ProblemError(msg, file=file, field=field) from None
    from .checks import check_problem
    check_problem(problem, file)
    return problem


def json_schema() -> dict:
    """The JSON Schema of problem files (draft 2020-12), for editors and ``nnsolve schema``."""
    schema = Problem.model_json_schema(by_alias=True)
    # Exactly one of network / graph, each given as an object (not null).
    for key, ref in (("network", "Network"), ("graph", "GraphSpec"), ("architecture", "Architecture")):
        schema["properties"][key] = {"$ref": f"#/$defs/{ref}"}
    # An optional object as its own schema (not "anyOf: [X, null]"), so that editors point
    # at the field inside it that is wrong.
    question = schema["$defs"]["Question"]["properties"]
    for key, ref in (("architecture", "Architecture"), ("optimizer", "Optimizer"), ("loss", "Loss")):
        if key in question:
            question[key] = {"$ref": f"#/$defs/{ref}", "description": question[key].get("description", "")}
    schema["not"] = {"required": ["network", "graph"]}  # one or the other (or neither, for counts)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nnsolve problem file"
    return schema
