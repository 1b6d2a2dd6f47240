"""A network's batchnorm, layernorm and dropout layers as tensor graph stages, and the
input of a dense network that has them: its named inputs, one value (or one value per
example) each, as one matrix ``X`` with a row per example (N × F).

Names (layer ``l``): a batchnorm's or layernorm's ``γ^{(l)}`` (default 1s, as PyTorch
initialises it), ``β^{(l)}`` (default 0s) and output ``N^{(l)}``; a dropout's given mask
``M^{(l)}`` and output ``D^{(l)}``. Computed as ``torch.nn.BatchNorm1d/2d`` in training mode
(the batch's statistics), ``torch.nn.LayerNorm`` over the last axis, and inverted dropout.
"""

from __future__ import annotations

import sympy as sp

from ..core.errors import counted
from ..ops.tensor import NAMED, from_nested, shape_text
from ..problem.norm_layers import NORM_TYPES
from ..problem.tensor_expressions import Apply, Ref

_WINDOWED = ("conv2d", "maxpool2d", "avgpool2d", "flatten")


def dense_batch(net) -> bool:
    """True for a network of dense, normalisation and dropout layers only (no convolution,
    pooling or flatten): its named inputs are features, each one value per example."""
    return not any(getattr(layer, "type", None) in _WINDOWED for layer in net.layers)


def dense_input(net, fail) -> tuple[str, object, int]:
    """(key, value, batch size) of a dense network's input matrix: with every input a list of
    N values, X is N × F (F inputs, in the file's order) and the batch is N; with every input
    one number, X is the vector of the F inputs and there is no batch (0).

    Raises:
        ProblemError: by ``fail(message, field)``: inputs mixing numbers and lists, lists of
            different lengths, or an input nesting lists.
    """
    values = list(net.inputs.values())
    for name, v in net.inputs.items():
        if isinstance(v, list) and any(isinstance(x, list) for x in v):
            raise fail("an input of a dense network is one number, or one number per example", f"network.inputs.{name}")
    sizes = {len(v) if isinstance(v, list) else None for v in values}
    if len(sizes) > 1:
        raise fail("give every input one value, or every input a list of the same length (a batch)", "network.inputs")
    if sizes == {None}:
        return "X", values, 0
    n = len(values[0])
    return "X", [[v[i] for v in values] for i in range(n)], n


def norm_layer(b, li: int, layer, prev: Ref, field: str) -> Ref:
    """The stage of a batchnorm, layernorm or dropout layer on ``prev`` (``b`` the network's
    builder: its ``leaf``, ``stage``, ``fail``, ``batch`` and ``_shape``).

    Raises:
        ProblemError: a batchnorm without a batch of at least two examples, γ or β of the
            wrong length, a mask of the wrong shape.
    """
    shape = b._shape(prev)
    if layer.type == "dropout":
        mask = from_nested(layer.mask, f"{field}.mask")
        if mask.shape != shape and not (mask.shape == (1, *shape) and not b.batch):
            raise b.fail(f"the mask is {shape_text(mask.shape)} but must be {shape_text(shape)}, the shape of the "
                         f"layer's input (one row per example)", f"{field}.mask")
        b.leaf(f"M{li}", "input", mask.nested() if mask.shape == shape else mask.nested()[0], f"M^{{({li})}}",
               f"{field}.mask")
        p = layer.p if layer.p is not None else sp.Rational(1, 2)
        return b.stage(f"D{li}", Apply(NAMED["dropout"], (prev, Ref(f"M{li}")), (("p", p),)), f"D^{{({li})}}", field)
    if layer.type == "batchnorm" and (not b.batch or b.batch < 2):
        raise b.fail("a batchnorm layer normalises each feature over the batch: give a batch of at least two "
                     "examples (every input a list of values, one per example)", field)
    size = shape[1] if layer.type == "batchnorm" else shape[-1]
    per = "channel" if layer.type == "batchnorm" else "feature of the last axis"
    for what, default, letter in (("gamma", 1, r"\gamma"), ("beta", 0, r"\beta")):
        given = getattr(layer, what)
        if given is not None and len(given) != size:
            raise b.fail(f"{what} has {counted(len(given), 'value')} but the layer's input has {size} (one per {per})",
                         f"{field}.{what}")
        b.leaf(f"{what}{li}", "parameter" if what == "gamma" else "bias",
               list(given) if given is not None else [sp.Integer(default)] * size,
               f"{letter}^{{({li})}}", f"{field}.{what}")
    eps = layer.eps if layer.eps is not None else sp.Rational(1, 100000)
    tree = Apply(NAMED[layer.type], (prev, Ref(f"gamma{li}"), Ref(f"beta{li}")), (("eps", eps),))
    return b.stage(f"N{li}", tree, f"N^{{({li})}}", field)


__all__ = ["NORM_TYPES", "dense_batch", "dense_input", "norm_layer"]
