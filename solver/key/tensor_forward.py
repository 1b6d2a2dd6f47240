"""The forward pass of a tensor graph problem: each named tensor as its operation
computes it. A convolution or a pooling shows every output cell worked out (its sum of
products, its window's maximum) up to :data:`~solver.ops.tensor.CELLS` cells per channel,
and one worked cell and the result matrices beyond; other operations show one element
worked out and the result as matrices."""

from __future__ import annotations

from ..core.errors import ProblemError
from ..graph.model import TensorInfo
from ..graph.tensor_spec import tree_latex
from ..ops.tensor import CELLS, out_size, settings_text, shape_text
from ..problem.tensor_expressions import Apply, Ref
from .forward import function_definitions
from .model import Block, Part, answer
from .question import QuestionWork
from .tensor_attention import attention_forward, is_attention, mask_sentence
from .tensor_display import tensor_answer, tensor_equations
from .tensor_norm import norm_forward_block, norm_op

_WINDOWED = ("conv2d", "maxpool2d", "avgpool2d")


def by_key(w: QuestionWork) -> dict[str, TensorInfo]:
    return {t.key: t for t in w.graph.tensors}


def definition_of(graph, t: TensorInfo) -> str:
    """``Z = \\operatorname{conv2d}(X, K, b)`` for a tensor of ``graph``."""
    scalars = frozenset(u.key for u in graph.tensors if not u.shape)
    return f"{t.latex} = {tree_latex(t.tree, {u.key: u.latex for u in graph.tensors}, scalars)}"


def shape_lines(w: QuestionWork, t: TensorInfo) -> str:
    """The settings and the output size of a convolution or pooling along each axis (PyTorch's
    formula; one line when height and width give the same numbers), or the tensor's shape."""
    tree = t.tree
    if not (isinstance(tree, Apply) and tree.op.name in _WINDOWED):
        return f"Shape ${_times(t.shape)}$." if t.shape else ""
    kw = tree.kwargs
    src = by_key(w).get(getattr(tree.args[0], "name", ""), None)
    if tree.op.name == "conv2d":
        kernel_t = by_key(w).get(getattr(tree.args[1], "name", ""))
        ks = kernel_t.shape[-2:] if kernel_t and len(kernel_t.shape) == 4 else None
        s, p, d = kw["stride"], kw["padding"], kw["dilation"]
    else:
        ks, s, p, d = (kw["kernel"], kw["kernel"]), kw["stride"] or kw["kernel"], kw["padding"], 1
    text = f"Settings: {settings_text(tree.op, kw)}."
    if src is None or ks is None or len(src.shape) < 3:
        return text + f" Output shape ${_times(t.shape)}$."
    axes = [(axis, size, k) for axis, size, k in zip("HW", src.shape[-2:], ks)]
    if axes[0][1:] == axes[1][1:]:
        axes = [("", *axes[0][1:])]
    general = r"\left\lfloor \frac{W + 2P - D(K-1) - 1}{S} \right\rfloor + 1"
    lines = []
    for axis, size, k in axes:
        out = out_size(size, k, s, p, d)
        lhs = axis + r"_{\text{out}} = " if axis else general + " = "
        lines.append(rf"${lhs}\left\lfloor \frac{{{size} + 2\cdot{p} - {d}\cdot({k}-1) - 1}}{{{s}}} \right\rfloor + 1 "
                     rf"= {out}$")
    where = "along each axis: " if len(lines) == 1 else f"along the height and the width, ${general}$: "
    return f"{text} Output size {where}{' and '.join(lines)}, so ${t.latex}$ is ${_times(t.shape)}$."


def _times(shape) -> str:
    return shape_text(shape).replace("×", r" \times ")


def _per_channel(t: TensorInfo) -> int:
    return t.shape[-1] * t.shape[-2] if len(t.shape) >= 2 else max(len(t.elements), 1)


def tensor_forward_part(w: QuestionWork) -> Part:
    """Every computed tensor in graph order, with the definitions of the functions used."""
    g = w.graph
    computed = [t for t in g.tensors if t.tree is not None]
    blocks = function_definitions(w, [k for t in computed for k in t.elements[:1]])
    for t in computed:
        op = t.tree.op if isinstance(t.tree, Apply) else None
        every = op is not None and op.cells in ("sum", "window") and _per_channel(t) <= CELLS \
            or bool(g.unrolled) and len(t.elements) <= 4  # a recurrent step's few units, each worked
        if norm_op(t):  # statistics, one element, the result: a block of its own
            blocks.append(norm_forward_block(w, t, f"${definition_of(g, t)}$"))
        else:
            blocks.append(_stage_block(w, t, op, every))
        if not t.shape:  # a scalar; a tensor of one element keeps its shape
            w.answers.append(answer("value", t.key, t.latex, w.values[t.elements[0]], w.digits))
        else:
            w.answers.append(tensor_answer("value", t, w.values.__getitem__, w.digits, t.latex))
        for k in t.elements:
            w.shown_before.add((k, str(w.values[k])))
    return Part("Forward pass", tuple(blocks))


def _stage_block(w: QuestionWork, t: TensorInfo, op, every: bool) -> Block:
    """The forward block of a computed tensor ``t``: every element worked (``every``, or a
    tensor of one element), else one cell (its window in bold) and the result; an attention
    tensor's scores, weights and output in steps."""
    g, sb = w.graph, w.sb
    window = ""
    if is_attention(t):  # scores, weights, output in steps
        eqs, window = attention_forward(w, t), mask_sentence(t)
    elif len(t.elements) == 1 or every:
        eqs = [sb.forward(k) for k in t.elements]
    else:
        cell = _fullest(w, t)
        marked = _window_marked(w, t, op, cell)
        eqs = marked + [sb.forward(cell)] + tensor_equations(t.latex, t, w.values.__getitem__, w.digits)
        window = (f"The window of ${g.latex[cell]}$ is in bold; the other cells are computed "
                  "the same way." if marked else "")
    text = " ".join(x for x in (op.note if op else "", shape_lines(w, t), window) if x)
    if every and len(t.elements) > 1:
        eqs += tensor_equations(t.latex, t, w.values.__getitem__, w.digits)
    return Block("stage", f"${definition_of(g, t)}$", text, tuple(eqs))


def _fullest(w: QuestionWork, t: TensorInfo) -> str:
    """The element worked out in full: the first that reads the most elements (a
    convolution's first cell clear of the padding)."""
    return max(t.elements, key=lambda k: len(w.graph.by_key[k].expr.free_symbols))


def _window_marked(w: QuestionWork, t: TensorInfo, op, cell: str) -> list:
    """For a convolution or a pooling shown by one worked cell: its input with that cell's
    window in bold."""
    if op is None or op.cells not in ("sum", "window") or not isinstance(t.tree.args[0], Ref):
        return []
    src = by_key(w)[t.tree.args[0].name]
    used = {s.name for s in w.graph.by_key[cell].expr.free_symbols}
    return tensor_equations(src.latex, src, w.values.__getitem__, w.digits, marked=frozenset(used))


def reported(w: QuestionWork) -> list[TensorInfo]:
    """The tensors whose values the final answers give: the question's ``report``, else the output."""
    tensors = by_key(w)
    names = w.q.report or [t.key for t in w.graph.tensors if t.kind == "output"]
    if not w.q.report and w.problem.network is not None and "yhat" in tensors and names != ["yhat"]:
        names = ["yhat", *names]  # a network's output, then its loss
    missing = [n for n in names if n not in tensors]
    if missing:
        raise ProblemError(f"no tensor named '{missing[0]}' to report (tensors: {', '.join(tensors)})",
                           file=w.file, field=f"questions[{w.qi}].report")
    return [tensors[n] for n in names]


def final_values(w: QuestionWork) -> list[str]:
    """Final-answer lines of the reported tensors (a matrix per channel)."""
    lines = []
    for t in reported(w):
        lines += [e.inline for e in tensor_equations(t.latex, t, w.values.__getitem__, w.digits)] \
            if t.shape else [f"{t.latex} {w.sb.shown[t.elements[0]].relation} {w.sb.shown[t.elements[0]].latex}"]
    return lines

