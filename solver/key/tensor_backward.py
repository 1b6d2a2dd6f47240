"""The backward pass of a tensor graph problem, tensor by tensor from the output back.

With δ^T = ∂L/∂T (upstream gradient, same shape as T), each element is the sum over the
elements c of the tensors that use T of δ_c · ∂c/∂T_e (reverse accumulation). The key
states the rule of the operation in the field's words (a convolution's kernel gradient
is the correlation of its input with δ; max-pooling routes δ to each window's maximum;
ReLU masks it), works one element in full with its nonzero terms, and gives the rest as
matrices."""

from __future__ import annotations

import sympy as sp
from msgspec.structs import replace

from ..graph.model import TensorInfo
from ..graph.tensor_spec import element_latex
from ..ops.extremum import Extremum, Indicator
from ..ops.latex import partial
from ..ops.tensor import indices
from .bptt import bptt_backward, bptt_note, gradient_norms
from .model import Block, Equation, Part, answer
from .notes import softmax_ce_note
from .question import QuestionWork
from .tensor_attention import attention_backward
from .tensor_display import tensor_answer, tensor_equations
from .tensor_forward import by_key
from .tensor_norm import norm_backward
from .tensor_rules import mask_equations, rule_text, shortcut_equation, softmax_ce, ties
from .tensor_softmax import local_latex, softmax_equations

#: A local derivative printed longer than this is written ∂c/∂e in the worked element.
_LONG = 28


def tensor_asked(w: QuestionWork) -> list[TensorInfo]:
    """The tensors whose gradients the question asks for (see :meth:`QuestionWork.tensors_asked`)."""
    tensors = by_key(w)
    return [tensors[k] for k in w.tensors_asked()]


def users(w: QuestionWork, t: TensorInfo) -> list[TensorInfo]:
    """The computed tensors whose expressions read ``t`` and that reach the loss (a recurrent
    network's outputs before the step its loss is at do not: their δ is 0, and they pass nothing)."""
    reads, relevant = w.tensor_reads(), w.graph.relevant
    return [u for u in w.graph.tensors if t.key in reads.get(u.key, ()) and any(e in relevant for e in u.elements)]


def needed(w: QuestionWork, asked: list[TensorInfo]) -> list[TensorInfo]:
    """The tensors whose δ the asked gradients need, from the output back (the asked
    ones last in graph order), each on a path to the output."""
    want: set[str] = set()
    stack = [t.key for t in asked]
    tensors = by_key(w)
    while stack:
        k = stack.pop()
        for u in users(w, tensors[k]):
            if u.key not in want:
                want.add(u.key)
                stack.append(u.key)
    upstream = [t for t in reversed(w.graph.tensors) if t.key in want and t.kind != "output"]
    order = w.graph.tensors if w.graph.unrolled else tuple(reversed(w.graph.tensors))  # shared weights as given
    return upstream + [t for t in order if t in asked and t.key not in want]


def _difference(formula: sp.Expr) -> sp.Expr:
    """``2(ŷ − y)`` for sympy's ``−2y + 2ŷ`` (a squared error's derivative, as a course writes it
    and the dense keys do), left unevaluated; any other formula as it is."""
    if not isinstance(formula, sp.Add) or len(formula.args) != 2:
        return formula
    (c1, a), (c2, b) = (t.as_coeff_Mul() for t in formula.args)
    if c1 != -c2 or not c1.is_Rational:
        return formula
    first, second = (a, b) if c1 > 0 else (b, a)
    inner = sp.Add(first, sp.Mul(-1, second, evaluate=False), evaluate=False)
    return inner if abs(c1) == 1 else sp.Mul(abs(c1), inner, evaluate=False)


def worked_element(w: QuestionWork, t: TensorInfo, deltas: dict, lhs_of) -> Equation:
    """δ of one element of ``t`` as the sum of its nonzero terms δ_c ∂c/∂e: the element
    with the most nonzero terms (the first of them), symbolically, with numbers, and its
    value. A local derivative of 1 adds δ_c itself; the output's δ (1) is not written."""
    g, grads, sb = w.graph, w.grads, w.sb
    best, best_terms = t.elements[0], []
    for e in t.elements:
        terms = [c for c in g.children[e] if c in g.relevant and grads.adjoint.get(c, 0) != 0
                 and grads.local[(c, e)].value != 0]
        if len(terms) > len(best_terms):
            best, best_terms = e, terms
    lhs = lhs_of(best)
    if not best_terms:
        return Equation(lhs, (("=", "0"),))
    syms, nums, exact = [], [], True
    for c in best_terms:
        loc = grads.local[(c, best)]
        formula = _difference(loc.formula) if c == g.loss else loc.formula
        form = local_latex(sb.tex, formula)
        if len(form) > _LONG and formula is loc.formula or any(isinstance(f, (Extremum, Indicator)) for f in sp.preorder_traversal(loc.formula)):
            form = partial(g.latex[c], g.latex[best])
        a, b = sb.show(grads.adjoint[c]), sb.show(loc.value)
        exact &= a.exact and b.exact
        if c == g.loss:  # δ of the output is 1: the loss's derivative, with the numbers when it has a formula
            syms.append(form)
            sub, sub_exact = sb.subst(formula) if not form.startswith(r"\frac{\partial") else (b.latex, True)
            exact &= sub_exact
            nums.append(sub)
        elif form == "1":
            syms.append(deltas[c])
            nums.append(a.latex)
        else:
            sum_shown = isinstance(loc.formula, sp.Add) and not form.startswith(r"\frac{\partial")
            loose = form.startswith("-") or sum_shown  # δ (h − n), not δ h − n
            syms.append(f"{deltas[c]} \\left({form}\\right)" if loose else f"{deltas[c]}\\, {form}")
            nums.append(f"({a.latex})({b.latex})")
    value = sb.show(grads.adjoint[best])
    signed = nums[0] + "".join(f" - {n[1:]}" if n.startswith("-") else f" + {n}" for n in nums[1:])
    parts = [("=", " + ".join(syms)), ("=" if exact else r"\approx", signed)]
    if parts[-1][1] != value.latex:
        parts.append((value.relation, value.latex))
    return Equation(lhs, tuple(parts))


def tensor_backward_part(w: QuestionWork) -> Part:
    """δ of every tensor the asked gradients need, then each asked gradient."""
    g = w.graph
    asked = tensor_asked(w)
    value_of = lambda k: w.grads.adjoint.get(k, sp.Integer(0))  # noqa: E731
    marks = {("tensor gradient", t.key, tuple(str(value_of(k)) for k in t.elements), w.loss_identity()) for t in asked}
    if marks <= w.shown_before:  # an earlier question derived them: stated, not derived again
        eqs = [e for t in asked for e in tensor_equations(partial(w.out, t.latex), t, value_of, w.digits)]
        w.answers.extend(_answer(w, t, value_of, upstream=False) for t in asked)
        if "gradients" in w.q.ask:
            w.final.extend(e.inline for e in eqs)
        return Part("Backward pass", (Block("recap", "Gradients from an earlier question", "", tuple(eqs)),))
    w.shown_before |= marks
    tensors = list(g.tensors)
    deltas = {k: element_latex(rf"\delta^{{{t.latex}}}", t.shape, idx)  # δ^{Z}_{12}
              for t in tensors for k, idx in zip(t.elements, indices(t.shape))}
    deltas[g.loss] = "1"
    out = next(t for t in tensors if t.kind == "output")
    bases = {t.latex.split("^")[0].split("_")[0] for t in tensors}
    a = next(x for x in ("A", "U", "V", "Q", "T", "S", r"\mathcal{T}") if x not in bases)
    blocks = [Block("note", "Upstream gradients", rf"For a tensor ${a}$, $\delta^{{{a}}} = \partial {w.out} / \partial {a}$ "
                    rf"has the shape of ${a}$; each element is $\delta^{{{a}}}_e = \sum_c \delta_c\, \partial c / \partial {a}_e$ "
                    rf"over the elements $c$ that use ${a}_e$ (terms with $\delta_c = 0$ or $\partial c/\partial {a}_e = 0$ "
                    rf"are left out). $\delta^{{{out.latex}}} = 1$.")]
    blocks += [b for b in (bptt_note(w),) if b is not None]
    shortcut = softmax_ce(w)
    for t in needed(w, asked):
        name = (lambda k: deltas[k]) if t not in asked else (lambda k: partial(w.out, w.graph.latex[k]))
        lhs = rf"\delta^{{{t.latex}}}" if t not in asked else partial(w.out, t.latex)
        if shortcut and t.key == shortcut[1].key:
            continue  # δ^ŷ: not needed, the shortcut goes straight to the logits
        if shortcut and t.key == shortcut[0].key:
            rules = [softmax_ce_note((shortcut[0].latex, shortcut[1].latex))]
            eqs = [shortcut_equation(w, *shortcut, name)]
        else:
            readers = users(w, t)
            special = attention_backward(w, t, readers, name)  # each asked in turn: they mark what they show
            special = norm_backward(w, t, readers, name) or special
            summed = bptt_backward(w, t, readers, lhs)  # a recurrent network: the terms of each step
            if summed:
                rules, eqs = summed[0], mask_equations(w, t, readers) + summed[1]
                if len(t.elements) > 1:  # the terms' factors, for one element: where the matrices come from
                    eqs.append(worked_element(w, t, deltas, name))
            elif special:
                rules, eqs = special
            else:  # the rule of each reader, and one element worked (a softmax's by rows, its JVP)
                rules = [rule_text(w, u, t) for u in readers] + ties(w, readers)
                eqs = softmax_equations(w, t, readers, deltas) \
                    or [*mask_equations(w, t, readers), worked_element(w, t, deltas, name)]
        eqs += tensor_equations(lhs, t, value_of, w.digits) if len(t.elements) > 1 else []
        title = f"Gradient with respect to ${t.latex}$" if t in asked else f"Upstream gradient $\\delta^{{{t.latex}}}$"
        blocks.append(Block("gradient" if t in asked else "upstream", title, " ".join(rules), tuple(eqs)))
        w.answers.append(_answer(w, t, value_of, upstream=t not in asked))
    if "gradients" in w.q.ask:
        for t in asked:
            lines = tensor_equations(partial(w.out, t.latex), t, value_of, w.digits)
            w.final.extend(e.inline for e in lines)
        w.extra_tables += tuple(x for x in (gradient_norms(w),) if x is not None)
    return Part("Backward pass", tuple(blocks))


def _answer(w: QuestionWork, t: TensorInfo, value_of, upstream: bool):
    latex = partial(w.out, t.latex)
    if not t.shape:
        return answer("gradient", t.key, latex, value_of(t.elements[0]), w.digits, upstream=upstream or None)
    return replace(tensor_answer("gradient", t, value_of, w.digits, latex), upstream=upstream or None)

