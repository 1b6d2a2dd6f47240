"""The numeric parts of a tensor graph question, in order: the forward pass, the
final values, the backward pass and the update."""

from __future__ import annotations

from .model import Part
from .question import QuestionWork
from .tensor_backward import tensor_backward_part
from .tensor_forward import final_values, tensor_forward_part

# Training and updates import their modules when asked (as :mod:`.section` does): a key
# that asks for neither does not pay for them.


def tensor_parts(w: QuestionWork) -> list[Part]:
    """The numeric parts of a tensor graph question: the forward pass (when asked, or when
    no earlier question showed it), the backward pass and the update."""
    q, parts = w.q, []
    shown = all((k, str(w.values[k])) in w.shown_before for t in w.graph.tensors for k in t.elements
                if t.tree is not None)
    if "forward" in q.ask or not shown:
        parts.append(tensor_forward_part(w))
    if "forward" in q.ask or "loss" in q.ask:
        w.final.extend(final_values(w))
    if any(a in q.ask for a in ("gradients", "update", "train")):
        parts.append(tensor_backward_part(w))
    if "train" in q.ask:
        from .tensor_training import tensor_training_part
        from .training import training_section
        parts.append(training_section(w, lambda: tensor_training_part(w)))
    if "update" in q.ask:
        from .tensor_training import tensor_update_part
        parts.append(tensor_update_part(w))
    return parts
