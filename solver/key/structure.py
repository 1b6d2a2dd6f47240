"""The key of structural questions (parameter counts, output shapes) and of
derivations: parts, tables and answers for a question's SectionBuilder."""

from __future__ import annotations

from ..graph.structure import GATES, evaluate_architecture, fmt_int, total_latex
from .derivations import DERIVATIONS
from .model import Answer, Block, Equation, Part, Table

_KIND = {"dense": "dense", "conv2d": "convolution", "maxpool2d": "max pooling", "avgpool2d": "average pooling",
         "batchnorm1d": "batch norm", "batchnorm2d": "batch norm", "flatten": "flatten", "embedding": "embedding",
         "rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
#: What the count of a recurrent layer is made of, said once when the architecture has one.
_RECURRENT = (r" A recurrent layer with $F$ input features and $H$ units has, for each of its $G$ gates (1 for "
              r"an RNN; 4 for an LSTM: input, forget, cell, output; 3 for a GRU: reset, update, new), input "
              r"weights $F \times H$, recurrent weights $H \times H$ and two bias vectors of $H$ (PyTorch's "
              r"$b_{ih}$ and $b_{hh}$; a textbook with one bias per gate counts $G H$ fewer): "
              r"$G\,(F H + H H + 2H)$.")


def _shape(shape) -> str:
    return r" \times ".join(str(n) for n in shape)


def _layer_words(layer) -> str:
    """A layer's settings as a question paper states them: ``a convolution of 8 filters
    $5 \\times 5$, stride 1, padding 2``, ``max pooling $2 \\times 2$, stride 2``, ``dense, 10 units``."""
    t = layer.type
    window = rf"${layer.kernel} \times {layer.kernel}$" if layer.kernel else ""
    more = [f"padding {layer.padding}"] if layer.padding else []
    more += [f"dilation {layer.dilation}"] if layer.dilation > 1 else []
    more += ["no bias"] if not layer.bias and t in ("dense", "conv2d", "rnn", "lstm", "gru") else []
    if t == "conv2d":
        words = [f"a convolution of {layer.out_channels} filters {window}", f"stride {layer.stride or 1}"]
    elif t in ("maxpool2d", "avgpool2d"):
        words = [f"{_KIND[t]} {window}", f"stride {layer.stride or layer.kernel}"]
    elif t == "embedding":
        words = [f"an embedding of {layer.num_embeddings:,} vectors of {layer.dim:,}"]
    else:
        words = [_KIND[t] + (f", {layer.units:,} unit{'s' if layer.units > 1 else ''}" if layer.units else "")]
    return ", ".join(words + more)


def architecture_words(arch) -> str:
    """The architecture a count or shapes question is about, in one sentence, for its paper:
    ``Architecture: input $1 \\times 28 \\times 28$; conv1, a convolution of …; fc1, dense, 10 units.``"""
    names = [r.name for r in evaluate_architecture(arch)]
    axes = {1: "features", 2: "time steps × features",
            3: "height × width × channels" if arch.layout == "hwc" else "channels × height × width"}
    words = [_layer_words(layer) for layer in arch.layers]
    layers = "; ".join(w if n == w else f"{n}, {w}" for n, w in zip(names, words))
    return f"Architecture: input ${_shape(arch.input)}$ ({axes[len(arch.input)]}); {layers}."


def _steps(terms: list[str], value: int) -> tuple[tuple[str, str], ...]:
    """``= 3 \\cdot 16 + 16 = 64``: the sum of ``terms``, then its value; a sum that is
    only the value itself (one term, already a number) is not written twice."""
    shown = fmt_int(value)
    written = " + ".join(terms)
    return (("=", shown),) if written in ("", shown) else (("=", written), ("=", shown))


def _shape_equation(step: str) -> Equation:
    """A shape step as an equation whose sides are its ``=``-separated pieces
    (``H_out = ⌊…⌋ + 1 = 31 + 1 = 32``), so that a long one breaks between them and every
    line of a layer aligns on its first ``=``; a list of settings (``K = 3,\\ S = 1, …``)
    splits only there."""
    if " = " not in step:
        return Equation("", (("", step),))
    lhs, rest = step.split(" = ", 1)
    return Equation(lhs, (("=", rest),) if ",\\ " in rest else tuple(("=", p) for p in rest.split(" = ")))


def _formula_note(arch) -> str:
    """The output-size formula the layers use: PyTorch's by default, CS231n's with
    ``layout: hwc`` (its effective filter size stated when a layer is dilated); what a
    recurrent layer outputs, when there is one; nothing more for dense layers alone."""
    recurrent = (r"A recurrent layer (RNN, LSTM, GRU) of $H$ units outputs its hidden state, $H$ numbers; on a "
                 r"sequence of $T$ steps ($T \times F$) every step's, $T \times H$, as PyTorch's layers do."
                 if any(layer.type in GATES for layer in arch.layers) else "")
    if not any(layer.kernel for layer in arch.layers) and arch.layout != "hwc":
        return recurrent
    return (_window_note(arch) + " " + recurrent).strip()


def _window_note(arch) -> str:
    """The output-size formula of a convolution or pooling window."""
    if arch.layout != "hwc":
        return (r"Output size of a convolution or pooling window along an axis: "
                r"$\left\lfloor \frac{W + 2P - D(K-1) - 1}{S} \right\rfloor + 1$ "
                r"(input size $W$, kernel $K$, stride $S$, padding $P$, dilation $D$).")
    note = (r"Shapes are height $\times$ width $\times$ channels (CS231n's convention). Output size of a "
            r"convolution or pooling window along an axis: $(W - F + 2P)/S + 1$ (input size $W$, filter "
            r"size $F$, stride $S$, padding $P$); when $S$ does not divide $W - F + 2P$, the frameworks take the "
            r"floor.")
    if any(layer.dilation != 1 for layer in arch.layers if layer.kernel):
        note += (r" A filter with dilation $D$ spans $F' = D(F-1)+1$ inputs, its effective size, which takes "
                 r"the place of $F$.")
    return note


def structure_parts(arch, ask: list[str]):
    """Parts, a table, answers and final lines for ``count`` and ``shapes``.

    Raises:
        ValueError: a layer cannot follow the one before (from :mod:`solver.structure`).
    """
    results = evaluate_architecture(arch)
    parts, answers, final = [], [], []
    if "shapes" in ask:
        blocks = [Block("note", "", _formula_note(arch), display=rf"\text{{input}}: {_shape(arch.input)}")]
        for r in results:
            eqs = tuple(_shape_equation(step) for step in r.shape_steps)
            text = f"output ${_shape(r.shape)}$." + (f" {r.uneven}" if r.uneven else "")
            blocks.append(Block("layer", f"{r.name} ({_KIND[r.kind]})", text, eqs))
            answers.append(Answer("shape", r.name, _shape(r.shape), str(list(r.shape)), list(r.shape), _shape(r.shape)))
            final.append(rf"\text{{{r.name}}}: {_shape(r.shape)}")
        parts.append(Part("Output shapes", tuple(blocks)))
    if "count" in ask:
        eqs = [Equation(rf"\text{{{r.name}}}", _steps([r.count_latex], r.params)) for r in results if r.params]
        total = sum(r.params for r in results)
        total_nb = sum(r.params_no_bias for r in results)
        eqs.append(Equation(r"\text{total}", _steps([r.count_latex for r in results if r.params], total)))
        eqs.append(Equation(r"\text{without biases}",
                            _steps([fmt_int(r.params_no_bias) for r in results if r.params_no_bias], total_nb)))
        note = ("Learnable parameters: weights and biases (batch norm: its scale $\\gamma$, PyTorch's weight, and "
                "its shift $\\beta$, its bias); pooling and flatten layers have none." + (_RECURRENT if any(r.kind in GATES for r in results) else ""))
        parts.append(Part("Parameter count", (Block("count", "", note, tuple(eqs)),)))
        for r in results:
            answers.append(Answer("count", r.name, r.count_latex, str(r.params), float(r.params), f"{r.params:,}"))
        answers.append(Answer("count", "total", total_latex(results).rsplit(" = ", 1)[0], str(total), float(total),
                              f"{total:,}"))
        final.append(rf"\text{{total}} = {fmt_int(total)}\ \text{{parameters}}\ ({fmt_int(total_nb)}"
                     r"\text{ without biases})")
    rows = tuple((rf"\text{{{r.name}}}", rf"\text{{{_KIND[r.kind]}}}", _shape(r.shape), fmt_int(r.params),
                  fmt_int(r.params_no_bias)) for r in results)
    table = Table("Layers", (r"\text{layer}", r"\text{type}", r"\text{output}", r"\text{parameters}",
                             r"\text{without biases}"), rows)
    return parts, table, answers, final


def derivation_part(name: str):
    """The derivation as a proof, each step checked by sympy; its answer and final line."""
    d = DERIVATIONS[name]()
    checks = d.check()
    rows = []
    for k, step in enumerate(d.steps):
        mark = "" if k == 0 else (r"\ \checkmark" if checks[k - 1] else r"\ \text{(not verified)}")
        rows.append(("=", rf"{step.latex} && ({k + 1}){mark}"))  # a second column: the tags line up
    why = "; ".join(f"({k + 1}) {s.why}" for k, s in enumerate(d.steps) if s.why)
    verdict = ("Each step was checked by sympy (the difference of consecutive lines simplifies to zero), "
               f"on a concrete instance: {d.instance}." if d.verified else
               "Not every step could be verified by sympy: the unmarked steps need checking by hand.")
    blocks = [Block("note", "Claim", f"${d.claim}$" + (f", where {d.condition}" if d.condition else "") + "."),
              Block("derivation", "Proof", "", (Equation(d.lhs, tuple(rows)),)),
              Block("note", "", f"Steps: {why}. {verdict}")]
    answer = Answer("derivation", d.name, d.claim, d.claim, 1.0 if d.verified else 0.0,
                    "verified" if d.verified else "not verified", verified=d.verified)
    return Part(f"Derivation: {d.title}", tuple(blocks)), answer, d.claim
