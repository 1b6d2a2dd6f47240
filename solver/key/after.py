"""After an update: the network evaluated again with the updated parameters
(``ask: [update, loss_after]``, and ``forward_after`` for every neuron's new value).

The graph is the question's own with each updated parameter's leaf value replaced, so
the loss after the step is computed exactly as the loss before it was: each example's
loss, the batch's, and the penalty when the loss has one.
"""

from __future__ import annotations

from ..core.errors import ProblemError
from ..core.numbers import display
from ..graph.backprop import forward
from .model import Block, Part, answer
from .question import QuestionWork
from .staged import StagedSteps


def after_part(w: QuestionWork, new: dict) -> Part:
    """The forward values (on request) and the loss after the update ``new``.

    Raises:
        ProblemError: a value after the update is not a finite number.
    """
    g = w.graph
    try:
        values = forward(g, new)  # the updated parameters in place of the given ones
    except ValueError as exc:
        raise ProblemError(f"cannot evaluate the network after the update: {exc}", file=w.file,
                           field=f"questions[{w.qi}]") from None
    sb = StagedSteps(g, values, w.digits)
    blocks = []
    losses = [n.key for n in g.nodes if n.kind in ("penalty", "loss")]
    if "forward_after" in w.q.ask:
        for group in g.groups:
            keys = [k for k in group.keys if not g.by_key[k].is_leaf]
            blocks.append(Block("neuron", group.title, "", tuple(sb.forward(k) for k in keys)))
            w.answers.extend(answer("value_after", k, g.latex[k], values[k], w.digits) for k in keys)
    else:
        outs = [n.key for n in g.nodes if n.kind == "output"]
        shown = ", ".join(f"{g.latex[k]} {sb.shown[k].relation} {sb.shown[k].latex}" for k in outs)
        blocks.append(Block("note", "", f"With the updated parameters the outputs are ${shown}$."))
        w.answers.extend(answer("value_after", k, g.latex[k], values[k], w.digits) for k in outs)
    if "loss_after" in w.q.ask:
        blocks.append(Block("loss", "The loss after the update", "", tuple(sb.forward(k) for k in losses)))
        for k in losses:
            w.answers.append(answer("loss_after", k, g.latex[k], values[k], w.digits))
        before, after = w.values[g.loss], values[g.loss]
        b, a, change = display(before, w.digits), display(after, w.digits), display(after - before, w.digits)
        verb = "falls" if after < before else "rises" if after > before else "stays"
        blocks.append(Block("note", "", f"The loss {verb} from ${b.latex}$ to ${a.latex}$ "
                                        f"(a change of ${change.latex}$)."))
        w.final.append(rf"{g.latex[g.loss]} {a.relation} {a.latex}\ \text{{after the update}}")
    return Part("After the update", tuple(blocks), fresh=True)
