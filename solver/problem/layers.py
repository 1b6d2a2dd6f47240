"""The layers of a ``network:`` in a problem file: dense layers (:class:`Layer`) and a
convolutional network's ``conv2d``, pooling and ``flatten`` layers (:class:`TensorLayer`),
told apart by their ``type`` (dense when absent). Part of the problem's schema
(:mod:`.schema`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)

from ..ops.activations import ACTIVATIONS
from .fields import (
    NAME_RE,
    Model,
    Name,
    Number,
    NumberOrTensor,
    check_params,
    tensor_schema,
    with_params,
)
from .norm_layers import NORM_TYPES, norm_fields
from .recurrent import RECURRENT_TYPES, RecurrentLayer

ActivationName = Literal[tuple(ACTIVATIONS)]


class LayerNames(Model):
    """Names for one layer, overriding the network's naming scheme.

    ``symbol`` is the letter of the activations (``h``, ``o``); ``neurons`` and
    ``preactivations`` list one name per unit; ``weights`` is a matrix of names shaped
    like the weights; ``bias`` one name (shared bias) or one per unit. ``vector`` and
    ``preactivation_vector`` name the layer's activation and pre-activation vectors as the
    statement writes them (``h``, ``yhat``; ``z1``): the matrix style uses them instead of
    a⁽ˡ⁾ and z⁽ˡ⁾."""

    symbol: Name | None = None
    vector: Name | None = Field(None, description="matrix style: the activation vector's name (h, yhat)")
    preactivation_vector: Name | None = Field(None, description="matrix style: the pre-activation vector's name (z1)")
    neurons: list[Name] | None = None
    preactivations: list[Name] | None = None
    weights: list[list[Name]] | None = None
    bias: Name | list[Name] | None = None


class _Layer(Model):
    """A dense layer: ``units`` neurons, their weights and biases, one activation (and
    its parameters, such as leaky_relu's ``slope``).

    ``weights`` is units × inputs for ``z = W x`` (rows = destination neurons) and
    inputs × units for ``z = x W``. ``bias``: omitted (none), one number shared by
    every neuron of the layer, or one number per neuron."""

    type: Literal["dense"] | None = Field(None, description="optional: dense (the default)")
    units: int = Field(ge=1, le=64)
    activation: ActivationName = "linear"
    weights: list[list[Number]]
    bias: Number | list[Number] | None = None
    names: LayerNames | None = None

    @model_validator(mode="after")
    def _parameters(self) -> "_Layer":
        check_params(self, ACTIVATIONS[self.activation], ACTIVATIONS.values())
        return self


Layer = with_params(_Layer, ACTIVATIONS.values())


class _TensorLayer(Model):
    """A convolutional network's layer before its dense layers: ``conv2d`` (out_channels,
    kernel, stride, padding, dilation, weights out × in × k × k, bias one per out-channel,
    activation), ``maxpool2d`` / ``avgpool2d`` (kernel, stride defaulting to the kernel,
    padding), ``flatten``. Computed as PyTorch's Conv2d, MaxPool2d, AvgPool2d, Flatten."""

    type: Literal["conv2d", "maxpool2d", "avgpool2d", "flatten", *NORM_TYPES]
    out_channels: int | None = Field(None, ge=1, le=64)
    kernel: int | None = Field(None, ge=1, le=16)
    stride: int | None = Field(None, ge=1, le=16)
    padding: int = Field(0, ge=0, le=16)
    dilation: int = Field(1, ge=1, le=16)
    activation: ActivationName = "linear"
    weights: NumberOrTensor = None
    bias: NumberOrTensor = None
    eps: Number | None = Field(None, description="batchnorm, layernorm: ε (default 1e-5)")
    gamma: list[Number] | None = Field(None, description="batchnorm, layernorm: γ, one per channel/feature (default 1s)")
    beta: list[Number] | None = Field(None, description="batchnorm, layernorm: β, one per channel/feature (default 0s)")
    p: Number | None = Field(None, description="dropout: the drop probability, 0 ≤ p < 1 (default 0.5)")
    mask: NumberOrTensor = Field(None, description="dropout: the given mask of 0s and 1s, one row per example")

    @model_validator(mode="after")
    def _fields(self) -> "_TensorLayer":
        norm_fields(self)
        need = {"conv2d": ["out_channels", "kernel", "weights"], "maxpool2d": ["kernel"],
                "avgpool2d": ["kernel"]}.get(self.type, [])
        for f in need:
            if getattr(self, f) is None:
                raise ValueError(f"{f}: a {self.type} layer needs '{f}'")
        if self.type != "conv2d":
            for f in ("out_channels", "weights", "bias"):
                if getattr(self, f) is not None:
                    raise ValueError(f"{f}: a {self.type} layer has no '{f}'")
        check_params(self, ACTIVATIONS[self.activation], ACTIVATIONS.values())
        return self


TensorLayer = with_params(_TensorLayer, ACTIVATIONS.values())


def _layer_kind(v: Any) -> str:
    t = v.get("type", "dense") if isinstance(v, dict) else getattr(v, "type", "dense")
    if t in RECURRENT_TYPES:
        return "recurrent"
    return "tensor" if t in ("conv2d", "maxpool2d", "avgpool2d", "flatten", *NORM_TYPES) else "dense"


class Network(Model):
    """Inputs, orientation, naming scheme and layers (input to output). An input may be a
    tensor (nested lists, channels × height × width) for a convolutional network, whose
    conv2d, pooling and flatten layers come before its dense layers."""

    inputs: Annotated[dict[Name, NumberOrTensor], WithJsonSchema({
        "type": "object", "minProperties": 1, "maxProperties": 64,
        "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": tensor_schema(),
        "description": "input name → value, or → one value per example of a batch, or → an image "
                       "(channels × height × width) for a convolutional network"})] = Field(
        min_length=1, max_length=64)
    orientation: Literal["Wx", "xW"] = "Wx"
    naming: Literal["sequential", "indexed"] = "sequential"
    layers: list[Annotated[Union[Annotated[Layer, Tag("dense")], Annotated[TensorLayer, Tag("tensor")],
                                 Annotated[RecurrentLayer, Tag("recurrent")]],
                           Discriminator(_layer_kind)]] = Field(min_length=1, max_length=16)

    @property
    def convolutional(self) -> bool:
        """True when a layer is a convolution, a pooling or a flatten (a tensor-layout network)."""
        return any(isinstance(layer, TensorLayer) for layer in self.layers)

    @property
    def recurrent(self) -> bool:
        """True when a layer is an RNN, an LSTM or a GRU (unrolled over the input's time steps)."""
        return any(isinstance(layer, RecurrentLayer) for layer in self.layers)
