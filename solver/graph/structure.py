"""Structural questions: parameter counts and output shapes of an architecture.

Counts (learnable parameters only):

* dense: ``in · units + units`` (the bias);
* 2-D convolution: ``C_in · C_out · K_h · K_w + C_out`` (the bias);
* batch normalisation: ``2 C`` (scale γ and shift β; the running statistics are not learned);
* embedding: ``num_embeddings · dim``; pooling and flatten: none;
* recurrent (``rnn``, ``lstm``, ``gru``: G = 1, 4, 3 gates): ``G (F · H + H · H + 2 H)`` for
  F input features and H units, with PyTorch's two bias vectors per gate (``bias_ih`` and
  ``bias_hh``, torch.nn.RNN/LSTM/GRU); the output of a sequence ``[T, F]`` is every step's
  hidden state, ``[T, H]``.

Output size of a convolution or pooling window along one axis (PyTorch's Conv2d and
MaxPool2d documentation): ``⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1``. When the division is
not exact the configuration "does not divide evenly", as lecture notes put it; the
frameworks take the floor.

With ``layout: hwc`` (CS231n's convention) shapes are height × width × channels and the
size is CS231n's ``(W − F + 2P)/S + 1`` (CS231n notes, "Convolutional Neural Networks"),
with the filter size ``F`` — under dilation ``D`` its effective size ``F' = D(F − 1) + 1``,
so that both forms give the same number; the floor again when the division is not exact.
"""

from __future__ import annotations

import msgspec
import sympy as sp

from ..ops.tensor import out_size


class LayerResult(msgspec.Struct, frozen=True):
    """One layer of an architecture as the key shows it.

    Attributes:
        name: the layer's name (from the file, or ``conv1``, ``fc2`` …).
        kind: the layer type.
        shape: the output shape (channels, height, width), (height, width, channels) with
            ``layout: hwc``, or (features,).
        shape_steps: LaTeX lines deriving the output size (empty for dense layers).
        uneven: a note when the window does not divide the input evenly.
        params: learnable parameters with biases; ``params_no_bias`` without them.
        count_latex: the count written out (``30 \\cdot 1024 + 1024``).
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    shape_steps: tuple[str, ...]
    uneven: str
    params: int
    params_no_bias: int
    count_latex: str


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


def _window(size: int, k: int, s: int, p: int, d: int, axis: str) -> tuple[int, str, str]:
    """Output size along one axis, its derivation, and a note if uneven."""
    num = size + 2 * p - d * (k - 1) - 1
    exact = sp.Rational(num, s) + 1
    out = out_size(size, k, s, p, d)
    line = (rf"{axis}_{{\text{{out}}}} = \left\lfloor \frac{{{size} + 2\cdot{p} - {d}\cdot({k}-1) - 1}}{{{s}}}"
            rf" \right\rfloor + 1 = " + (rf"\left\lfloor {sp.latex(sp.Rational(num, s))} \right\rfloor"
                                        if num % s else str(num // s)) + f" + 1 = {out}")  # no floor of a whole number
    note = ""
    if num % s:
        note = (rf"${axis}$: ${num}/{s} + 1 = {float(exact):g}$ is not a whole number, so the window does not "
                rf"divide the input evenly; PyTorch and TensorFlow take the floor, {out}.")
    return out, line, note


def _window_hwc(size: int, k: int, s: int, p: int, d: int, axis: str) -> tuple[int, str, str]:
    """As :func:`_window` in CS231n's form ``(W − F + 2P)/S + 1``, ``F`` the effective
    filter size ``D(K − 1) + 1``; the same size and note, a floor only when uneven."""
    out, _, note = _window(size, k, s, p, d, axis)
    f = d * (k - 1) + 1
    num = size - f + 2 * p
    frac = rf"\frac{{{size} - {f} + 2\cdot{p}}}{{{s}}}"
    line = (rf"{axis}_{{\text{{out}}}} = " + (rf"\left\lfloor {frac} \right\rfloor + 1 = \left\lfloor "
                                             rf"{sp.latex(sp.Rational(num, s))} \right\rfloor + 1 = {out}"
                                             if num % s else f"{frac} + 1 = {num // s} + 1 = {out}"))
    return out, line, note


def _settings(k: int, s: int, p: int, d: int, hwc: bool) -> tuple[str, ...]:
    """The window's settings line; in CS231n's form ``F`` and, when dilated, ``F'`` worked out."""
    if not hwc:
        return (rf"K = {k},\ S = {s},\ P = {p},\ D = {d}",)
    if d == 1:
        return (rf"F = {k},\ S = {s},\ P = {p}",)
    return (rf"F = {k},\ S = {s},\ P = {p},\ D = {d}", rf"F' = D(F-1)+1 = {d}\cdot({k}-1)+1 = {d * (k - 1) + 1}")


def _shown(shape: tuple[int, ...], hwc: bool) -> tuple[int, ...]:
    """A (channels, height, width) shape in the layout's order; other shapes as they are."""
    return (shape[1], shape[2], shape[0]) if hwc and len(shape) == 3 else shape


def evaluate_architecture(arch) -> list[LayerResult]:
    """Every layer's output shape and parameter count.

    Args:
        arch: a validated ``Architecture`` (``solver.problem``); with ``layout: hwc`` its
            input is (height, width, channels) and so are the shapes and steps returned.

    Raises:
        ValueError: a layer that cannot follow the previous one (a convolution after a
            flatten, a window larger than its input), naming the layer.
    """
    hwc = arch.layout == "hwc"
    shape: tuple[int, ...] = tuple(arch.input)
    if hwc and len(shape) == 3:
        shape = (shape[2], shape[0], shape[1])  # worked in (channels, height, width), shown as written
    window = _window_hwc if hwc else _window
    out: list[LayerResult] = []
    counters: dict[str, int] = {}
    for i, layer in enumerate(arch.layers):
        counters[layer.type] = counters.get(layer.type, 0) + 1
        name = layer.name or f"{_short(layer.type)}{counters[layer.type]}"
        t = layer.type
        if t == "dense":
            if len(shape) != 1:
                raise ValueError(f"layers[{i}] ({name}): a dense layer needs a flat input; add a flatten layer first")
            n_in = shape[0]
            w = n_in * layer.units
            b = layer.units if layer.bias else 0
            latex = rf"{n_in} \cdot {layer.units}" + (rf" + {layer.units}" if b else "")
            out.append(LayerResult(name, t, (layer.units,), (), "", w + b, w, latex))
            shape = (layer.units,)
        elif t in ("conv2d", "maxpool2d", "avgpool2d"):
            if len(shape) != 3:
                axes = "(height, width, channels)" if hwc else "(channels, height, width)"
                raise ValueError(f"layers[{i}] ({name}): {t} needs a {axes} input")
            c, h, wd = shape
            k, s = layer.kernel, layer.stride or (1 if t == "conv2d" else layer.kernel)
            p, d = layer.padding, layer.dilation
            ho, line_h, note_h = window(h, k, s, p, d, "H")
            wo, line_w, note_w = window(wd, k, s, p, d, "W")
            if ho < 1 or wo < 1:
                raise ValueError(f"layers[{i}] ({name}): the window is larger than its input ({h}×{wd})")
            steps = _settings(k, s, p, d, hwc) + (line_h,) + ((line_w,) if wd != h else ())
            note = " ".join(n for n in (note_h, note_w if wd != h else "") if n)
            if t == "conv2d":
                cout = layer.out_channels
                w = c * cout * k * k
                b = cout if layer.bias else 0
                latex = rf"{c} \cdot {cout} \cdot {k} \cdot {k}" + (rf" + {cout}" if b else "")
                out.append(LayerResult(name, t, _shown((cout, ho, wo), hwc), steps, note, w + b, w, latex))
                shape = (cout, ho, wo)
            else:
                out.append(LayerResult(name, t, _shown((c, ho, wo), hwc), steps, note, 0, 0, "0"))
                shape = (c, ho, wo)
        elif t in ("batchnorm1d", "batchnorm2d"):
            ch = shape[0]
            # γ is PyTorch's BatchNorm weight, β its bias: without biases, C parameters stay
            out.append(LayerResult(name, t, _shown(shape, hwc), (), "", 2 * ch, ch, rf"2 \cdot {ch}"))
        elif t == "flatten":
            flat = 1
            for n in shape:
                flat *= n
            out.append(LayerResult(name, t, (flat,), (r" \cdot ".join(str(n) for n in _shown(shape, hwc))
                                                      + f" = {flat}",),
                                   "", 0, 0, "0"))
            shape = (flat,)
        elif t in GATES:
            if len(shape) not in (1, 2):
                article = {"rnn": "an RNN", "lstm": "an LSTM", "gru": "a GRU"}[t]
                raise ValueError(f"layers[{i}] ({name}): {article} layer takes [features] or [time steps, features]")
            f, h, g = shape[-1], layer.units, GATES[t]
            w = g * h * (f + h)
            b = 2 * g * h if layer.bias else 0
            inner = rf"{f} \cdot {h} + {h} \cdot {h}" + (rf" + 2 \cdot {h}" if b else "")
            latex = inner if g == 1 else rf"{g} \cdot ({inner})"
            out.append(LayerResult(name, t, shape[:-1] + (h,), (), "", w + b, w, latex))
            shape = shape[:-1] + (h,)
        elif t == "embedding":
            w = layer.num_embeddings * layer.dim
            out.append(LayerResult(name, t, shape + (layer.dim,), (), "", w, w,
                                   rf"{layer.num_embeddings} \cdot {layer.dim}"))
            shape = shape + (layer.dim,)
    return out


#: The gates of a recurrent layer: each has its input and recurrent weights and two biases.
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _short(kind: str) -> str:
    return {"dense": "fc", "conv2d": "conv", "maxpool2d": "pool", "avgpool2d": "pool", "flatten": "flatten",
            "batchnorm1d": "bn", "batchnorm2d": "bn", "embedding": "emb", "rnn": "rnn", "lstm": "lstm",
            "gru": "gru"}[kind]


def total_latex(results: list[LayerResult], with_bias: bool = True) -> str:
    """The total as a sum of the layers' counts."""
    parts = [r.count_latex if with_bias else _fmt(r.params_no_bias) for r in results
             if (r.params if with_bias else r.params_no_bias)]
    total = sum(r.params if with_bias else r.params_no_bias for r in results)
    return " + ".join(parts) + f" = {_fmt(total)}"


def fmt_int(n: int) -> str:
    """An integer with thin thousands separators for LaTeX (557{,}057)."""
    return _fmt(n)
