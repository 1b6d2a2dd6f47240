"""One step of gradient descent: each parameter moved against its gradient."""

from __future__ import annotations

from ..core.numbers import normalize, written_latex
from ..graph.model import PARAMETER_KINDS
from .model import Block, Part, answer
from .question import QuestionWork


def update_part(w: QuestionWork, asked: list[str]) -> tuple[Part, dict]:
    g, sb, q = w.graph, w.sb, w.q
    blocks, new, eqs = [], {}, []
    for k in asked:
        node = g.by_key[k]
        if node.kind not in PARAMETER_KINDS or (node.kind == "bias" and not q.update_biases):
            continue
        nv = normalize(w.values[k] - q.learning_rate * w.grads.adjoint[k])
        new[k] = nv
        if not (w.style == "matrix" and node.kind == "weight"):
            eqs.append(sb.update(k, q.learning_rate, nv))
        w.answers.append(answer("update", k, g.latex[k], nv, w.digits))
    eta = written_latex(q.learning_rate)
    intro = Block("note", "", f"One step of gradient descent with learning rate $\\eta = {eta}$"
                  + ("" if q.update_biases else " (biases are not updated)")
                  + ", each parameter moving against its gradient:",
                  display=r"w \leftarrow w - \eta \frac{\partial L}{\partial w}")
    blocks = [intro] + (w.mx.update(new, q.learning_rate) if w.style == "matrix" else [])
    if eqs:
        blocks.append(Block("update", "", "", tuple(eqs)))
    return Part("Update", tuple(blocks)), new
