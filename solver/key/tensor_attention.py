"""The key of ``O = attention(Q, K, V[, M])`` (:mod:`solver.ops.tensor.attention`), in steps.

Forward: scores S = Q Kᵀ/√d_k (+ M), weights A = softmax(S) by rows, output O = A V, each
with one element worked and its matrices. Backward (Vaswani et al. 2017; the softmax's
Jacobian–vector product by rows, :mod:`.tensor_softmax`):

    δ^V = Aᵀ δ^O,   δ^A = δ^O Vᵀ,   δ^S_r = A_r ⊙ (δ^A_r − s_r),
    δ^Q = δ^S K / √d_k,   δ^K = (δ^S)ᵀ Q / √d_k,   δ^M = δ^S (a float mask).
"""

from __future__ import annotations

from functools import cached_property

import sympy as sp

from ..core.numbers import display
from ..graph.backprop import evaluate
from ..graph.model import TensorInfo, sym
from ..graph.tensor_spec import apply_tree, element_latex
from ..ops.tensor import STensor, indices
from ..ops.tensor.attention import stages
from ..problem.tensor_expressions import Apply, Ref
from .model import Equation
from .question import QuestionWork
from .tensor_display import tensor_equations
from .tensor_softmax import jvp_rows


def is_attention(t: TensorInfo) -> bool:
    return isinstance(t.tree, Apply) and t.tree.op.name == "attention"


def _fresh(w: QuestionWork, options: tuple[str, ...]) -> str:
    taken = {t.latex for t in w.graph.tensors}
    return next(x for x in options if x not in taken)


class _Work:
    """The operands, the intermediate tensors and their exact values of one attention node."""

    def __init__(self, w: QuestionWork, t: TensorInfo):
        self.w, self.t = w, t
        env = {u.key: STensor(u.shape, tuple(sym(k) for k in u.elements)) for u in w.graph.tensors}
        self.args = [apply_tree(a, env) for a in t.tree.args]
        self.boolean = bool(t.tree.kwargs["boolean"])
        q, k, v = self.args[:3]
        self.mask = self.args[3] if len(self.args) == 4 else None
        self.scores, self.weights, _ = stages(q, k, v, self.mask, self.boolean)
        self.d = q.shape[-1]
        self.s_name = _fresh(w, ("S", r"S'", r"\tilde{S}"))
        self.a_name = _fresh(w, ("A", r"A'", r"\tilde{A}"))
        values, memo = w.values, {}  # the weights' exponentials hold the scores: each worked out once
        self.s_val = [evaluate(e, values, memo) for e in self.scores.data]
        self.a_val = [evaluate(e, values, memo) for e in self.weights.data]
        self.shape = self.scores.shape
        self.at = dict(zip(indices(self.shape), range(len(self.s_val))))

    def info(self, name: str, key: str) -> TensorInfo:
        return TensorInfo(key, name, "stage", self.shape, tuple(f"{key}[{i}]" for i in range(len(self.s_val))))

    def element(self, base: str, shape, index) -> str:
        return element_latex(base, shape, index)

    def arg_latex(self, i: int, index) -> str:
        """The LaTeX of an element of operand ``i`` (its name when it is a named tensor)."""
        a = self.t.tree.args[i]
        if isinstance(a, Ref):
            return element_latex(self.w.graph.latex.get(a.name, a.name), self.args[i].shape, index)
        return self.w.sb.tex(self.args[i][index])

    def shown(self, i: int, index):
        return display(evaluate(self.args[i][index], self.w.values), self.w.digits)

    @cached_property
    def backward(self) -> tuple:
        """(δ^O by index, δ^A by index, the softmax rows' equations, δ^S by index): the same
        for each operand's δ, so worked out once (this work is kept per question, :func:`_work`)."""
        w, u = self.w, self.t
        lead_shape, (n_q, n_k), d_v = self.shape[:-2], self.shape[-2:], u.shape[-1]
        d_out = {idx: w.grads.adjoint.get(k, sp.Integer(0)) for idx, k in zip(indices(u.shape), u.elements)}
        v_val = {idx: evaluate(self.args[2][idx], w.values) for idx in indices(self.args[2].shape)}
        d_attn = {b + (r, k): sum((d_out[b + (r, c)] * v_val[b + (k, c)] for c in range(d_v)), sp.Integer(0))
                  for b in indices(lead_shape) for r in range(n_q) for k in range(n_k)}
        names = (self.s_name, self.a_name, rf"\delta^{{{self.a_name}}}")
        rows, d_score = jvp_rows(names, self.shape, len(self.shape) - 1, lambda idx: self.a_val[self.at[idx]],
                                 d_attn.__getitem__, lambda base, idx: self.element(base, self.shape, idx), w.digits)
        return d_out, d_attn, rows, d_score


def _work(w: QuestionWork, t: TensorInfo) -> _Work:
    """The :class:`_Work` of attention node ``t``, made once per question: its forward block
    and the backward block of each operand read the same scores and weights."""
    return w.once("attention", t.key, lambda: _Work(w, t))


def _num(s) -> str:
    return f"({s.latex})"


def attention_forward(w: QuestionWork, t: TensorInfo) -> list[Equation]:
    """S, A and O of an attention node: one element of each worked, and its matrices."""
    x = _work(w, t)
    digits, lead = w.digits, (0,) * (len(x.shape) - 2)
    n_k = x.shape[-1]
    first = lead + (0, 0)
    s0, a0 = x.s_val[x.at[first]], x.a_val[x.at[first]]
    q_terms = [(lead + (0, j), lead + (0, j)) for j in range(x.d)]
    k_terms = [lead + (0, j) for j in range(x.d)]
    products = " + ".join(f"{x.arg_latex(0, a)} {x.arg_latex(1, b)}" for (a, _), b in zip(q_terms, k_terms))
    numbers = " + ".join(f"{_num(x.shown(0, a))}{_num(x.shown(1, b))}" for (a, _), b in zip(q_terms, k_terms))
    exact = all(x.shown(0, a).exact and x.shown(1, b).exact for (a, _), b in zip(q_terms, k_terms))
    sym_s, num_s = rf"\frac{{{products}}}{{\sqrt{{{x.d}}}}}", rf"\frac{{{numbers}}}{{\sqrt{{{x.d}}}}}"
    mask_index = first if x.mask is not None and x.mask.ndim == len(x.shape) else (0, 0)
    if x.mask is not None and not x.boolean:
        m = x.shown(3, mask_index)
        sym_s += f" + {x.arg_latex(3, mask_index)}"
        num_s += f" + {_num(m)}"
        exact &= m.exact
    shown_s = display(s0, digits)
    eqs = [Equation(x.element(x.s_name, x.shape, first),
                    (("=", sym_s), ("=" if exact else r"\approx", num_s), (shown_s.relation, shown_s.latex)))]
    eqs += tensor_equations(x.s_name, x.info(x.s_name, "S"), lambda k: x.s_val[int(k[2:-1])], digits)
    row = [lead + (0, j) for j in range(n_k)]
    shown_row = [display(x.s_val[x.at[i]], digits) for i in row]
    if x.boolean:
        ms = [x.shown(3, i[-2:] if x.mask.ndim == 2 else i) for i in row]
        terms = [f"{x.arg_latex(3, i[-2:] if x.mask.ndim == 2 else i)}\\, e^{{{x.element(x.s_name, x.shape, i)}}}"
                 for i in row]
        nums = [f"{m.latex}\\, e^{{{s.latex}}}" for m, s in zip(ms, shown_row)]
    else:
        terms = [f"e^{{{x.element(x.s_name, x.shape, i)}}}" for i in row]
        nums = [f"e^{{{s.latex}}}" for s in shown_row]
    shown_a = display(a0, digits)
    exact_a = all(s.exact for s in shown_row)
    eqs.append(Equation(x.element(x.a_name, x.shape, first), (
        ("=", rf"\frac{{{terms[0]}}}{{{' + '.join(terms)}}}"),
        ("=" if exact_a else r"\approx", rf"\frac{{{nums[0]}}}{{{' + '.join(nums)}}}"),
        (shown_a.relation, shown_a.latex))))
    eqs += tensor_equations(x.a_name, x.info(x.a_name, "A"), lambda k: x.a_val[int(k[2:-1])], digits)
    out_first = t.elements[0]
    a_terms = [f"{x.element(x.a_name, x.shape, lead + (0, j))} {x.arg_latex(2, lead + (j, 0))}" for j in range(n_k)]
    a_nums = [f"{_num(display(x.a_val[x.at[lead + (0, j)]], digits))}{_num(x.shown(2, lead + (j, 0)))}"
              for j in range(n_k)]
    value = w.sb.shown[out_first]
    eqs.append(Equation(w.graph.latex[out_first], (("=", " + ".join(a_terms)), (r"\approx" if not value.exact else "=",
                                                                               " + ".join(a_nums)),
                                                     (value.relation, value.latex))))
    eqs += tensor_equations(t.latex, t, w.values.__getitem__, digits)
    return eqs


def mask_sentence(t: TensorInfo) -> str:
    """How the node's mask is read, for the forward block's text ("" without a mask)."""
    if not is_attention(t) or len(t.tree.args) < 4:
        return ""
    if t.tree.kwargs["boolean"]:
        return ("The mask is boolean (1 takes part, 0 is masked out, as PyTorch's boolean attn\\_mask): a "
                r"masked-out weight is exactly 0, $A_{rk} = M_{rk} e^{S_{rk}} / \sum_j M_{rj} e^{S_{rj}}$ "
                r"(the limit of adding $-\infty$ to its score).")
    return "The mask is a float mask, added to the scores (a masked-out entry is a very negative number)."


def _operand_index(u: TensorInfo, t: TensorInfo) -> int | None:
    refs = [i for i, a in enumerate(u.tree.args) if a == Ref(t.key)]
    return refs[0] if len(refs) == 1 else None


def attention_backward(w: QuestionWork, t: TensorInfo, readers: list[TensorInfo], name):
    """(rules, equations) of δ^t when ``t``'s only reader is an attention node taking it once
    (Q, K, V or a float mask): δ^A, the softmax's rows and δ^S worked (once per node), then
    one element of δ^t from them; ``None`` otherwise (the generic chain rule)."""
    if len(readers) != 1 or not is_attention(readers[0]):
        return None
    u = readers[0]
    i = _operand_index(u, t)
    if i is None or (i == 3 and u.tree.kwargs["boolean"]):
        return None
    x = _work(w, u)
    g, digits = w.graph, w.digits
    d_o, d_a, d_s = (rf"\delta^{{{n}}}" for n in (u.latex, x.a_name, x.s_name))
    lead_shape, (n_q, n_k), d_v = x.shape[:-2], x.shape[-2:], u.shape[-1]
    d_out, d_attn, rows, d_score = x.backward
    names = [a.latex if (a := g_t(w, r)) else "" for r in u.tree.args]
    lead = (0,) * len(lead_shape)
    own = (0,) * (len(t.shape) - 2)  # t's own leading axes: a float mask may be shared by the batch
    at = dict(zip(indices(t.shape), t.elements))
    worked = next((r for r in range(t.shape[-2]) if w.grads.adjoint.get(at[own + (r, 0)], 0) != 0), 0)
    eqs: list[Equation] = []
    mark = ("attention intermediates", u.key)
    if i != 2 and mark not in w.shown_before:
        w.shown_before.add(mark)
        first = lead + (0, 0)
        terms = " + ".join(f"{x.element(d_o, u.shape, lead + (0, c))} {x.arg_latex(2, lead + (0, c))}"
                           for c in range(d_v))
        nums = [(display(d_out[lead + (0, c)], digits), x.shown(2, lead + (0, c))) for c in range(d_v)]
        value = display(d_attn[first], digits)
        eqs.append(Equation(x.element(d_a, x.shape, first), (
            ("=", terms), ("=" if all(a.exact and b.exact for a, b in nums) else r"\approx",
                           " + ".join(f"{_num(a)}{_num(b)}" for a, b in nums)), (value.relation, value.latex))))
        eqs += tensor_equations(d_a, x.info(d_a, "dA"), lambda k: d_attn[_unflat(x, k)], digits)
        eqs += rows
        eqs += tensor_equations(d_s, x.info(d_s, "dS"), lambda k: d_score[_unflat(x, k)], digits)
    root = rf"\sqrt{{{x.d}}}"
    if i == 0:  # δ^Q_{rc} = Σ_j δ^S_{rj} K_{jc} / √d
        pairs = [(lead + (worked, j), lead + (j, 0), d_score[lead + (worked, j)], 1) for j in range(n_k)]
        rule = rf"$\delta^{{{t.latex}}} = {d_s}\, {names[1]} / {root}$"
    elif i == 1:  # δ^K_{jc} = Σ_r δ^S_{rj} Q_{rc} / √d
        pairs = [(lead + (r, worked), lead + (r, 0), d_score[lead + (r, worked)], 0) for r in range(n_q)]
        rule = rf"$\delta^{{{t.latex}}} = ({d_s})^\top {names[0]} / {root}$"
    elif i == 2:  # δ^V_{jc} = Σ_r A_{rj} δ^O_{rc}
        pairs = [(lead + (r, worked), lead + (r, 0), None, None) for r in range(n_q)]
        rule = rf"$\delta^{{{t.latex}}} = {x.a_name}^\top {d_o}$"
    elif len(own) < len(lead):  # a mask broadcast over the batch gathers every batch element's δ^S
        pairs, rule = [], (rf"the mask is added to the scores of every batch element, so "
                           rf"$\delta^{{{t.latex}}}$ is ${d_s}$ summed over the batch axes")
    else:
        pairs, rule = [], rf"the mask is added to the scores, so $\delta^{{{t.latex}}} = {d_s}$"
    lhs = name(at[own + (worked, 0)])
    if pairs and i in (0, 1):
        other = 1 - i
        syms = " + ".join(f"{x.element(d_s, x.shape, s)} {x.arg_latex(other, o)}" for s, o, _, _ in pairs)
        shown = [(display(v, digits), x.shown(other, o)) for _, o, v, _ in pairs]
        nums = " + ".join(f"{_num(a)}{_num(b)}" for a, b in shown)
        eqs.append(_element(w, lhs, rf"\frac{{{syms}}}{{{root}}}", rf"\frac{{{nums}}}{{{root}}}", shown,
                            at[own + (worked, 0)]))
    elif i == 2:
        syms = " + ".join(f"{x.element(x.a_name, x.shape, a)} {x.element(d_o, u.shape, o)}" for a, o, _, _ in pairs)
        shown = [(display(x.a_val[x.at[a]], digits), display(d_out[o], digits)) for a, o, _, _ in pairs]
        nums = " + ".join(f"{_num(a)}{_num(b)}" for a, b in shown)
        eqs.append(_element(w, lhs, syms, nums, shown, at[own + (worked, 0)]))
    steps = "" if i == 2 else (rf"$\delta^{{{x.a_name}}} = {d_o}\, {names[2]}^\top$, then the softmax by rows "
                               rf"($s_r = \sum_k {d_a}_{{rk}} {x.a_name}_{{rk}}$, ${d_s}_r = {x.a_name}_r \odot "
                               rf"({d_a}_r - s_r)$), then ")
    text = (f"Back through ${g.latex.get(u.key, u.latex)} = \\operatorname{{attention}}(\\dots)$ "
            f"(with ${u.latex} = {x.a_name} {names[2]}$, ${x.a_name} = \\operatorname{{softmax}}({x.s_name})$ by rows): {steps}{rule}.")
    return [text], eqs


def g_t(w: QuestionWork, tree):
    return next((u for u in w.graph.tensors if isinstance(tree, Ref) and u.key == tree.name), None)


def _unflat(x: _Work, key: str) -> tuple:
    return list(indices(x.shape))[int(key.split("[")[1][:-1])]


def _element(w: QuestionWork, lhs: str, syms: str, nums: str, shown, key: str) -> Equation:
    value = display(w.grads.adjoint.get(key, sp.Integer(0)), w.digits)
    exact = all(a.exact and b.exact for a, b in shown)
    return Equation(lhs, (("=", syms), ("=" if exact else r"\approx", nums), (value.relation, value.latex)))
