"""The backward pass of a question: the upstream gradients each computed once, then
each asked gradient as its chain-rule product (the ∂L/∂o = p − y shortcut after a
softmax with cross-entropy), in the neuron, matrix or staged style."""

from __future__ import annotations

import sympy as sp

from ..core.numbers import exact_text
from .model import Block, Part, answer
from .notes import softmax_ce_note
from .question import QuestionWork, gathered
from .staged import backward_order as _backward_order
from .steps import Equation
from .sweep import graph_backward


def backward_part(w: QuestionWork, asked: list[str]) -> Part:
    g, sb = w.graph, w.sb
    loss = g.loss
    same = w.loss_identity()
    marks = {("gradient", k, exact_text(w.grads.adjoint.get(k, 0)), same) for k in asked}
    if marks <= w.shown_before and w.style != "graph":
        # Built in full for :mod:`.recap` to refer back to; answered as before (the asked gradients).
        n_answers, n_final = len(w.answers), len(w.final)
        part = _matrix_backward(w, asked) if w.style == "matrix" else _neuron_backward(w, asked)
        del w.answers[n_answers:], w.final[n_final:]
        w.answers.extend(answer("gradient", k, sb.d(loss, k), w.grads.adjoint.get(k, sp.Integer(0)), w.digits)
                         for k in asked)
        return part
    if marks <= w.shown_before:
        for k in asked:
            w.answers.append(answer("gradient", k, sb.d(loss, k), w.grads.adjoint.get(k, sp.Integer(0)),
                                        w.digits))
        return Part("Backward pass", (Block(
            "recap", "Gradients from an earlier question",
            display=gathered(w.final_lines(
                asked, lambda k: w.grads.adjoint.get(k, sp.Integer(0)), w.dout, "="))),))
    w.shown_before |= marks
    if w.style == "matrix":
        return _matrix_backward(w, asked)
    if w.style == "graph":
        return graph_backward(w, asked)
    return _neuron_backward(w, asked)


def _neuron_backward(w: QuestionWork, asked: list[str]) -> Part:
    """Neuron style: the upstream gradients, then each asked gradient."""
    g, sb = w.graph, w.sb
    loss = g.loss
    need = w.needed(asked)
    shortcut = {o: (o, p, y) for o, p, y in g.softmax_ce}
    probs = {p for _, p, _ in g.softmax_ce}
    blocks = []
    asked_set = set(asked)  # 10,954 asked at 10k parameters: membership in constant time
    if shortcut and any(o in need for o in shortcut):
        blocks.append(Block("note", "Softmax with cross-entropy", softmax_ce_note(g.softmax_names)))
    for n in _backward_order(g):
        k = n.key
        if k not in need or k in asked_set or n.is_leaf or k in probs or n.kind == "penalty":  # ∂L/∂R = 1
            continue
        w.answers.append(answer("gradient", k, sb.d(loss, k), w.grads.adjoint[k], w.digits,
                                   upstream=True))
        blocks.append(Block("upstream", f"Upstream gradient at ${g.latex[k]}$", "",
                            (_adjoint_eq(w, k, shortcut),)))
    paths: dict = {}
    for k in asked:
        children = w.relevant_children(k)
        if k in shortcut:
            eq = sb.shortcut(*shortcut[k])
        elif not children:
            eq = Equation(sb.d(loss, k), (("=", "0"),))
        else:
            eq = sb.chain(k, children, _chain_path(w, k, children, shortcut, paths))
        value = w.grads.adjoint.get(k, sp.Integer(0))
        blocks.append(Block("gradient", f"Gradient with respect to ${g.latex[k]}$", "", (eq,)))
        w.answers.append(answer("gradient", k, sb.d(loss, k), value, w.digits))
    if "gradients" in w.q.ask:
        w.final.extend(w.final_lines(
            asked, lambda k: w.grads.adjoint.get(k, sp.Integer(0)), w.dout, "="))
    return Part("Backward pass", tuple(blocks))


def _matrix_backward(w: QuestionWork, asked: list[str]) -> Part:
    g = w.graph
    last = g.layers[-1]
    shortcut = bool(g.softmax_ce) and last.activation == "softmax"
    asked_set = set(asked)
    blocks = w.mx.backward(shortcut, asked_set)
    shown = [k for info in g.layers for keys in info.acts + info.pre for k in keys]  # ∂L/∂a and δ
    for k in dict.fromkeys(shown):
        if k not in asked_set and k in w.grads.adjoint:
            w.answers.append(answer("gradient", k, w.sb.d(g.loss, k), w.grads.adjoint[k],
                                       w.digits, upstream=True))
    for k in asked:
        w.answers.append(answer("gradient", k, w.sb.d(g.loss, k),
                                   w.grads.adjoint.get(k, sp.Integer(0)), w.digits))
    if "gradients" in w.q.ask:
        w.final.extend(w.final_lines(
            asked, lambda k: w.grads.adjoint.get(k, sp.Integer(0)), w.dout, "="))
    return Part("Backward pass", tuple(blocks))


def _adjoint_eq(w: QuestionWork, k: str, shortcut: dict) -> Equation:
    if k in shortcut:
        return w.sb.shortcut(*shortcut[k])
    return w.sb.chain(k, w.relevant_children(k))


def _chain_path(w: QuestionWork, key: str, children: list[str], shortcut: dict,
                paths: dict | None = None) -> list[str] | None:
    """The single-child path up from ``key``'s child to the first node that branches
    or feeds the loss: [top, …, child] (kept in ``paths`` by child: a neuron's weights share it)."""
    if len(children) != 1:
        return None
    if paths is None:
        return _path_from(w, children[0], shortcut)
    if children[0] not in paths:
        paths[children[0]] = _path_from(w, children[0], shortcut)
    return paths[children[0]]


def _path_from(w: QuestionWork, child: str, shortcut: dict) -> list[str] | None:
    path = [child]
    while True:
        cur = path[-1]
        nxt = w.relevant_children(cur)
        if len(nxt) != 1 or nxt[0] == w.graph.loss or cur in shortcut:
            break
        path.append(nxt[0])
    if len(path) < 2:
        return None
    return [w.graph.loss] + list(reversed(path))
