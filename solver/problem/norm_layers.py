"""The fields of a network's normalisation and dropout layers (``type: batchnorm``,
``layernorm``, ``dropout``), checked where the layer is read: each layer type takes only its
own fields, ``p`` lies in [0, 1), a mask holds only 0s and 1s. The shapes (γ's length, the
mask's rows) are checked by the graph stage, which knows the layer's input
(:mod:`solver.graph.norm_layers`)."""

from __future__ import annotations

from .fields import written

#: The layer types of this module (computed as PyTorch's BatchNorm1d/2d in training mode,
#: LayerNorm over the last axis, and dropout with a given mask).
NORM_TYPES = ("batchnorm", "layernorm", "dropout")
_OWN = {"batchnorm": ("eps", "gamma", "beta"), "layernorm": ("eps", "gamma", "beta"), "dropout": ("p", "mask")}
#: The fields of other layer types that a normalisation or dropout layer refuses, even as null.
OTHERS = ("out_channels", "kernel", "stride", "weights", "bias")


def _flat(v) -> list:
    return [x for item in v for x in _flat(item)] if isinstance(v, list) else [v]


def norm_fields(layer, given: set[str]) -> None:
    """Check a layer's normalisation and dropout fields (``given``: those of :data:`OTHERS`
    that the file gives, null included).

    Raises:
        ValueError: ``field: message`` (the validation stage names the field): a field of
            another layer type, an activation on a norm layer, a dropout without a mask, p
            outside [0, 1), a mask value other than 0 or 1, ε not positive.
    """
    own = _OWN.get(layer.type, ())
    for f in ("eps", "gamma", "beta", "p", "mask"):
        if f not in own and getattr(layer, f) is not None:
            raise ValueError(f"{f}: a {layer.type} layer has no '{f}'")
    if layer.type not in NORM_TYPES:
        return
    for f in OTHERS + ("activation",):
        if f in given and f != "activation" or f == "activation" and layer.activation != "linear":
            raise ValueError(f"{f}: a {layer.type} layer has no '{f}' (put the activation on the layer before)")
    if layer.type == "dropout":
        if layer.mask is None:
            raise ValueError("mask: a dropout layer needs its 'mask' (0s and 1s, one row per example)")
        if layer.p is not None and not 0 <= layer.p < 1:
            raise ValueError(f"p: the drop probability must be at least 0 and less than 1 (got {written(layer.p)})")
        bad = next((v for v in _flat(layer.mask) if v not in (0, 1)), None)
        if bad is not None:
            raise ValueError(f"mask: a dropout mask holds only 0s and 1s (got {written(bad)})")
    elif layer.eps is not None and layer.eps <= 0:
        raise ValueError(f"eps: ε must be positive (got {written(layer.eps)})")
