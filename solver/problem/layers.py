"""The layers of a ``network:`` in a problem file: dense layers (:class:`Layer`) and a
convolutional network's ``conv2d``, pooling and ``flatten`` layers (:class:`TensorLayer`),
told apart by their ``type`` (dense when absent). Part of the problem's schema
(:mod:`.schema`)."""


from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType
from msgspec.structs import force_setattr

from ..ops.activations import ACTIVATIONS
from .conversion import CustomType, union
from .fields import (
    NAME_RE,
    Model,
    Name,
    NameOrList,
    Number,
    NumberOrList,
    NumberOrTensor,
    check_params,
    described,
    not_allowed,
    schema_as,
    tensor_schema,
    with_params,
)
from .norm_layers import NORM_TYPES, OTHERS, norm_fields
from .recurrent import RECURRENT_TYPES, RecurrentLayer

ActivationName = Literal[tuple(ACTIVATIONS)]
#: The types of a convolutional network's layers before its dense ones (:class:`TensorLayer`).
TENSOR_TYPES = ("conv2d", "maxpool2d", "avgpool2d", "flatten", *NORM_TYPES)


class LayerNames(Model, kw_only=True):
    """Names for one layer, overriding the network's naming scheme.

    ``symbol`` is the letter of the activations (``h``, ``o``); ``neurons`` and
    ``preactivations`` list one name per unit; ``weights`` is a matrix of names shaped
    like the weights; ``bias`` one name (shared bias) or one per unit. ``vector`` and
    ``preactivation_vector`` name the layer's activation and pre-activation vectors as the
    statement writes them (``h``, ``yhat``; ``z1``): the matrix style uses them instead of
    a⁽ˡ⁾ and z⁽ˡ⁾."""

    symbol: Name | None = None
    vector: described(Name | None, "matrix style: the activation vector's name (h, yhat)") = None
    preactivation_vector: described(Name | None, "matrix style: the pre-activation vector's name (z1)") = None
    neurons: list[Name] | None = None
    preactivations: list[Name] | None = None
    weights: list[list[Name]] | None = None
    bias: NameOrList | None = None


class _Layer(Model, kw_only=True):
    """A dense layer: ``units`` neurons, their weights and biases, one activation (and
    its parameters, such as leaky_relu's ``slope``).

    ``weights`` is units × inputs for ``z = W x`` (rows = destination neurons) and
    inputs × units for ``z = x W``. ``bias``: omitted (none), one number shared by
    every neuron of the layer, or one number per neuron."""

    type: described(Literal["dense"] | None, "optional: dense (the default)") = None
    units: Annotated[int, Meta(ge=1, le=64)]
    activation: ActivationName = "linear"
    weights: list[list[Number]]
    bias: NumberOrList | None = None
    names: LayerNames | None = None

    def __post_init__(self) -> None:
        check_params(self, ACTIVATIONS[self.activation], ACTIVATIONS.values())


Layer = with_params(_Layer, ACTIVATIONS.values())


class _TensorLayer(Model, kw_only=True):
    """A convolutional network's layer before its dense layers: ``conv2d`` (out_channels,
    kernel, stride, padding, dilation, weights out × in × k × k, bias one per out-channel,
    activation), ``maxpool2d`` / ``avgpool2d`` (kernel, stride defaulting to the kernel,
    padding), ``flatten``. Computed as PyTorch's Conv2d, MaxPool2d, AvgPool2d, Flatten."""

    # The fields that a normalisation layer refuses even as null are UNSET when not given,
    # and None after the checks (__post_init__).
    type: Literal[TENSOR_TYPES]
    out_channels: Annotated[int, Meta(ge=1, le=64)] | None | UnsetType = UNSET
    kernel: Annotated[int, Meta(ge=1, le=16)] | None | UnsetType = UNSET
    stride: Annotated[int, Meta(ge=1, le=16)] | None | UnsetType = UNSET
    padding: Annotated[int, Meta(ge=0, le=16)] = 0
    dilation: Annotated[int, Meta(ge=1, le=16)] = 1
    activation: ActivationName = "linear"
    weights: NumberOrTensor | UnsetType = UNSET
    bias: NumberOrTensor | UnsetType = UNSET
    eps: described(Number | None, "batchnorm, layernorm: ε (default 1e-5)") = None
    gamma: described(list[Number] | None, "batchnorm, layernorm: γ, one per channel/feature (default 1s)") = None
    beta: described(list[Number] | None, "batchnorm, layernorm: β, one per channel/feature (default 0s)") = None
    p: described(Number | None, "dropout: the drop probability, 0 ≤ p < 1 (default 0.5)") = None
    mask: described(NumberOrTensor, "dropout: the given mask of 0s and 1s, one row per example") = None

    def __post_init__(self) -> None:
        given = {f for f in OTHERS if getattr(self, f) is not UNSET}
        for f in OTHERS:
            if getattr(self, f) is UNSET:
                force_setattr(self, f, None)
        norm_fields(self, given)
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


TensorLayer = with_params(_TensorLayer, ACTIVATIONS.values())


def layer_class(v: Any) -> type:
    """The class of a network's layer written as ``v``, by its ``type`` (dense when absent)."""
    t = v.get("type", "dense") if isinstance(v, dict) else getattr(v, "type", "dense")
    if t in RECURRENT_TYPES:
        return RecurrentLayer
    return TensorLayer if t in TENSOR_TYPES else Layer


class AnyLayer(CustomType):
    """A layer of a network: dense, tensor or recurrent (:func:`layer_class`)."""


#: Every type a network's layer may have.
LAYER_TYPES = ("dense", *TENSOR_TYPES, *RECURRENT_TYPES)


def _any_layer(v: Any):
    if isinstance(v, dict) and v.get("type") not in (None, *LAYER_TYPES):
        raise ValueError(f"type: {not_allowed(v['type'], LAYER_TYPES)}")
    return layer_class(v), v


union(AnyLayer, Layer, TensorLayer, RecurrentLayer, read=_any_layer)


class Network(Model, kw_only=True):
    """Inputs, orientation, naming scheme and layers (input to output). An input may be a
    tensor (nested lists, channels × height × width) for a convolutional network, whose
    conv2d, pooling and flatten layers come before its dense layers."""

    inputs: schema_as(Annotated[dict[Name, NumberOrTensor], Meta(min_length=1, max_length=64)], {
        "type": "object", "minProperties": 1, "maxProperties": 64,
        "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": tensor_schema(),
        "description": "input name → value, or → one value per example of a batch, or → an image "
                       "(channels × height × width) for a convolutional network"})
    orientation: Literal["Wx", "xW"] = "Wx"
    naming: Literal["sequential", "indexed"] = "sequential"
    layers: Annotated[list[AnyLayer], Meta(min_length=1, max_length=16)]

    @property
    def convolutional(self) -> bool:
        """True when a layer is a convolution, a pooling or a flatten (a tensor-layout network)."""
        return any(isinstance(layer, TensorLayer) for layer in self.layers)

    @property
    def recurrent(self) -> bool:
        """True when a layer is an RNN, an LSTM or a GRU (unrolled over the input's time steps)."""
        return any(isinstance(layer, RecurrentLayer) for layer in self.layers)
