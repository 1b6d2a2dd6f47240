"""Backpropagation through time in the key of a recurrent network unrolled over its steps
(:mod:`solver.graph.recurrent_network`).

A tensor read at several steps (a shared weight) or by several tensors (``h_t``, read by the
output at step t and by step t + 1) gets its gradient as the sum of what each reader sends
back, each term shown as a matrix: ``∂L/∂W_{xh} = δ^{z_1} x_1^⊤ + δ^{z_2} x_2^⊤ + …`` (Werbos
1990; Goodfellow et al., *Deep Learning*, §10.2.2). The table of ``‖∂L/∂h_t‖`` per step shows
whether the gradient vanishes or explodes going back in time.
"""

from __future__ import annotations

import operator

import sympy as sp

from ..core.errors import listed
from ..core.numbers import display, normalize
from ..graph.exact_sums import NUMBERS, in_order
from ..graph.model import TensorInfo
from ..graph.tensor_spec import tree_latex
from ..ops.activations import ACTIVATIONS
from ..problem.tensor_expressions import Apply, Ref
from .model import Block, Equation, Table
from .question import QuestionWork
from .tensor_display import tensor_equations
from .tensor_rules import operation_path, transposed

_ODOT = r" \odot "
#: Matrices of at most this many columns in all are written out term by term.
_WIDE = 10


def _label(w: QuestionWork, u: TensorInfo, t: TensorInfo) -> str:
    """What ``u`` sends back to ``t``, symbolically: ``δ^{z_2} x_2^⊤`` (``t`` the first factor of
    a matrix product), ``W_{hh}^⊤ δ^{z_3}`` (the second), ``δ^{c_2} ⊙ f_2`` (an elementwise
    product), ``δ^{h_1} ⊙ o_1 ⊙ tanh'(c_1)`` (through a function), ``δ^{z_1}`` (a bias);
    else ``(∂u/∂t)^⊤ δ^u``."""
    names = {x.key: x.latex for x in w.graph.tensors}
    d = rf"\delta^{{{u.latex}}}"
    generic = rf"\left(\frac{{\partial {u.latex}}}{{\partial {t.latex}}}\right)^{{\!\top}} {d}"
    factors = []
    path = operation_path(u.tree, t.key) or []
    for n, (node, i) in enumerate(path):
        op, last = node.op.name, n == len(path) - 1
        if op == "add" or op == "sub" and i == 0:
            continue
        if op == "mul":
            other = node.args[1 - i]
            tex = tree_latex(other, names)
            factors.append(rf"\left({tex}\right)" if isinstance(other, Apply) and other.op.name in ("add", "sub")
                           else tex)
        elif op in ACTIVATIONS and ACTIVATIONS[op].prime and isinstance(node.args[0], Ref):
            factors.append(rf"{ACTIVATIONS[op].prime}({names[node.args[0].name]})")
        elif op == "matmul" and last:
            g = rf"\left({_ODOT.join([d, *factors])}\right)" if factors else d
            other = transposed(w, node.args[1 - i])
            return rf"{g}\, {other}" if i == 0 else rf"{other} {g}"
        else:
            return generic
    if not path:
        return generic
    return _ODOT.join([d, *factors])


def _contribution(w: QuestionWork, t: TensorInfo, u: TensorInfo) -> list[sp.Expr]:
    """Σ over ``u``'s elements c of δ_c ∂c/∂e, for each element e of ``t`` (exact)."""
    g, grads = w.graph, w.grads
    mine = set(u.elements)
    return [_added([grads.adjoint.get(c, 0) * grads.local[(c, e)].value for c in g.children[e]
                    if c in mine and (c, e) in grads.local]) for e in t.elements]


def _added(terms: list[sp.Expr]) -> sp.Expr:
    """``sp.Add(*terms)``: for numbers, added in order as ``Add`` adds them (without its flattening)."""
    if all(isinstance(x, NUMBERS) for x in terms):
        return in_order(terms, operator.add, sp.S.Zero)
    return sp.Add(*terms)


def _matrix(t: TensorInfo, values: list[sp.Expr], digits: int) -> tuple[str, bool]:
    """``values`` shaped as ``t``, as the key writes a tensor, and whether they are exact."""
    (eq,) = tensor_equations("", t, dict(zip(t.elements, values)).__getitem__, digits)
    relation, tex = eq.parts[0]
    return tex, relation == "="


def bptt_backward(w: QuestionWork, t: TensorInfo, readers: list[TensorInfo], lhs: str):
    """(rule sentences, equations) for a tensor of an unrolled network that several tensors
    read: the gradient as the sum of each reader's term, symbolically and as matrices (as
    numbers for a tensor of one element); ``None`` outside a recurrent network or with a
    single reader."""
    if not w.graph.unrolled or len(readers) < 2:
        return None
    terms = [(u, _contribution(w, t, u)) for u in readers]
    terms = [(u, c) for u, c in terms if any(v != 0 for v in c)]
    shared = t.kind in ("parameter", "bias")
    if not terms or len(terms) < 2 and not shared:
        return None
    if shared:
        text = (rf"${t.latex}$ is shared by every time step, so ${lhs}$ is the sum over the steps of what each "
                rf"step sends back" + (" (terms that are 0 left out)." if len(terms) < len(readers) else "."))
    else:
        text = (rf"${t.latex}$ is read by {_readers([u for u, _ in terms])}: $\delta^{{{t.latex}}}$ is the sum "
                r"of what each sends back.")
    parts = [("=", " + ".join(_label(w, u, t) for u, _ in terms))]
    if len(t.elements) == 1:
        shown = [display(c[0], w.digits) for _, c in terms]
        total = display(_added([c[0] for _, c in terms]), w.digits)
        if len(terms) > 1:
            signed = shown[0].latex + "".join(f" - {x.latex[1:]}" if x.latex.startswith("-") else f" + {x.latex}"
                                              for x in shown[1:])
            parts.append(("=" if all(x.exact for x in shown) else r"\approx", signed))
        parts.append((total.relation, total.latex))
    elif (t.shape[-1] if t.shape else 1) * len(terms) <= _WIDE and len(terms) > 1:
        mats = [_matrix(t, c, w.digits) for _, c in terms]
        parts.append(("=" if all(e for _, e in mats) else r"\approx", " + ".join(m for m, _ in mats)))
    return [text], [Equation(lhs, tuple(parts))]


def _readers(readers: list[TensorInfo]) -> str:
    return listed([f"${u.latex}$" for u in readers])


def _steps(w: QuestionWork) -> int:
    return max((s for k, s, _ in w.graph.unrolled if k.startswith("h_")), default=0)


def bptt_note(w: QuestionWork) -> Block | None:
    """The note that opens a recurrent network's backward pass."""
    if not w.graph.unrolled:
        return None
    if _steps(w) == 1:
        return Block("note", "Backpropagation through time",
                     "The network takes one time step, so backpropagation through time is the chain rule through "
                     r"that step: $\delta^{h_1}$ comes from the loss alone, and each weight's gradient has one term.")
    return Block("note", "Backpropagation through time",
                 f"The network is unrolled over its {_steps(w)} time steps, the same weights used at every step. "
                 "Going back from the last step to the first, each hidden state's "
                 r"$\delta^{h_t}$ adds what comes from the output at step $t$ (when the loss reads it) and what comes "
                 r"from step $t+1$; each shared weight's gradient is the sum over the steps of its terms.")


def gradient_norms(w: QuestionWork) -> Table | None:
    """‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for an LSTM) for each step, last to first, and its ratio to the
    last step's: a shrinking ratio is the vanishing gradient, a growing one the exploding."""
    if not w.graph.unrolled:
        return None
    tensors = {x.key: x for x in w.graph.tensors}
    adj = w.grads.adjoint
    steps = list(range(_steps(w), 0, -1))
    cols = [c for c in ("h", "c") if f"{c}_{len(steps)}" in tensors]
    if not steps or not any(adj.get(k, 0) != 0 for k in tensors[f"h_{len(steps)}"].elements):
        return None
    # a ReLU network's gradients are rational and their norms surds (√(179²·2)/500): exact where
    # rational, else DIGITS-digit Floats, as display() takes them
    norms = {(c, s): normalize(sp.sqrt(_added([adj.get(k, 0) ** 2 for k in tensors[f"{c}_{s}"].elements])))
             for c in cols for s in steps}
    header = ["t"]
    for c in cols:
        header += [rf"\lVert \partial {w.out} / \partial {c}_t \rVert_2",
                   rf"\lVert \partial {w.out} / \partial {c}_t \rVert / \lVert \partial {w.out} / \partial {c}_{{{steps[0]}}} \rVert"]
    rows = []
    for s in steps:
        row = [str(s)]
        for c in cols:
            n, last = norms[(c, s)], norms[(c, steps[0])]
            row += [display(n, w.digits).latex, display(n / last, w.digits).latex if last != 0 else "—"]
        rows.append(tuple(row))
    return Table("Gradient norms through time (last step first)", tuple(header), tuple(rows))


__all__ = ["bptt_backward", "bptt_note", "gradient_norms"]
