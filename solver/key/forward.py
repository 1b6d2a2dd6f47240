"""The forward pass and the loss of a question, in the neuron, matrix or staged style;
a recap of values an earlier question showed instead of showing them again."""

from __future__ import annotations

import re

import sympy as sp
from msgspec.structs import replace

from ..core.numbers import exact_text, written_latex
from ..graph.regularization import PENALTY
from ..ops.activations import ACTIVATIONS
from ..ops.activations.softmax import Softmax
from ..ops.functions import OpFunctionBase
from ..ops.latex import in_softmax_names
from .model import Block, Part, answer
from .question import QuestionWork, gathered
from .steps import Equation
from .sweep import step_definition, used_edges


def forward_part(w: QuestionWork, full: bool) -> Part | None:
    """The forward pass, layer by layer. The neuron and matrix styles build it in full
    (:mod:`.recap` then refers back to what an earlier question derived) and answer
    the values when asked or first shown; the graph style recaps values shown before."""
    if w.style == "graph":
        return _staged_forward(w, full)
    if w.style == "matrix":
        return _matrix_forward(w, full)
    g, sb = w.graph, w.sb
    blocks = []
    for group in g.groups:
        keys = list(group.keys)
        fresh = full or not all((k, exact_text(w.values[k])) in w.shown_before for k in keys)
        blocks.append(Block("definition", group.title, display=group.definition))
        softmax = [k for k in keys if isinstance(g.by_key[k].expr, Softmax)]
        for k in keys:  # the logits before the softmax that uses them
            if k in softmax:
                continue
            node = g.by_key[k]
            if node.kind == "preactivation" or node.kind in ("activation", "output") and not isinstance(
                    node.expr, sp.Function):
                blocks.append(_neuron_block(w, k, keys, fresh))
        if softmax:
            blocks.append(Block("neuron", "Softmax", "", tuple(sb.softmax_details(softmax))))
            if fresh:
                w.answers.extend(answer("value", k, g.latex[k], w.values[k], w.digits) for k in softmax)
        for k in keys:
            w.shown_before.add((k, exact_text(w.values[k])))
    return Part("Forward pass", tuple(blocks)) if blocks else None


def _staged_forward(w: QuestionWork, full: bool) -> Part | None:
    """Each stage ``name = expression = substituted = value``, with its local
    derivatives beside it when gradients are asked."""
    g, sb = w.graph, w.sb
    keys = [n.key for n in g.nodes if not n.is_leaf and n.kind not in ("target",)]
    if not full and all((k, exact_text(w.values[k])) in w.shown_before for k in keys):
        return recap_part(w, keys)
    asked = w.asked() if w.grads is not None else []
    used = used_edges(w, asked) if asked else set()  # the local derivatives the backward pass uses
    definition = step_definition(w, used)
    defined = function_definitions(w, keys)
    eqs = []
    # a value an earlier question showed is stated (its local derivatives stay beneath it)
    known = {k for k in keys if (k, exact_text(w.values[k])) in w.shown_before}
    for k in keys:  # a value an earlier question derived is stated, not derived again
        eqs.append(Equation(g.latex[k], ((sb.shown[k].relation, sb.shown[k].latex),)) if k in known
                   else sb.forward(k))
        local = [e for p, e in sb.local_derivatives(k) if (k, p) in used] if used else []
        for i in range(0, len(local), 2):
            eqs.append(Equation("", (("", r"\qquad " + r",\quad ".join(e.inline for e in local[i:i + 2])),)))
        w.shown_before.add((k, exact_text(w.values[k])))
        if g.by_key[k].kind != "loss":
            w.answers.append(answer("value", k, g.latex[k], w.values[k], w.digits))
    text = ("Each stage in order, with its local derivatives (indented) beneath it." if asked
            else "Each stage in order.")
    if known:
        text += " Values derived in an earlier question are stated without their steps."
    return Part("Forward pass", tuple(defined) + ((definition,) if definition else ())
                + (Block("stage", "", text, tuple(eqs)),))


#: Each activation by the LaTeX name of its sympy function (how a graph's expression names it).
_BY_LATEX = {a.latex: a for a in ACTIVATIONS.values()}


def convention_letters(g) -> set[str]:
    """The letters the key's definitions give a meaning of their own: an activation's parameters
    (a leaky ReLU's α, an ELU's α) and a weight penalty's λ; an optimizer that writes one of them
    for something else is respelled (RMSprop's α, weight decay's λ)."""
    out = {r"\lambda"} if g.penalty is not None else set()
    for n in g.nodes:
        for f in sp.preorder_traversal(n.expr) if n.expr is not None else ():
            act = _BY_LATEX.get(type(f).latex_name) if isinstance(f, OpFunctionBase) else None
            out |= {p.latex for p in act.params} if act is not None else set()
    return out


def function_definitions(w: QuestionWork, keys: list[str]) -> list[Block]:
    """The definition of each activation the stages ``keys`` apply (ReLU, softplus,
    softmax…, with its parameters' values), once, in the order of first use; an earlier
    question's definitions are referred to by :mod:`.recap`."""
    g, out, seen = w.graph, [], set()
    for k in keys:
        expr = g.by_key[k].expr
        for f in sp.preorder_traversal(expr) if expr is not None else ():
            if isinstance(f, Softmax):
                act, values = ACTIVATIONS["softmax"], {}
            elif isinstance(f, OpFunctionBase):
                act = _BY_LATEX.get(type(f).latex_name)
                if act is None:
                    continue
                values = {p.name: written_latex(v) for p, v in zip(act.params, f.args[1:])}
            else:
                continue
            line = _free_letter(in_softmax_names(act.definition_for(values), *g.softmax_names), g)
            if line and line not in seen:
                seen.add(line)
                out.append(Block("definition", act.title, display=line))
    return out


_Z = re.compile(r"(?<![A-Za-z\\])z(?![A-Za-z])")
_BASE = re.compile(r"\{?([A-Za-z]|\\[A-Za-z]+)\}?(?=$|[_^{])")  # z of z_{3,1}, W of W^{(2)}_{12}


def _free_letter(line: str, g) -> str:
    """A definition written in ``z`` (σ(z) = 1/(1 + e^{−z})) with another letter where the problem
    names a quantity ``z`` (f = (xy + z)σ(w)), or where a ``z`` is itself a function's value (a
    GRU's update gate z_t = σ(a^z_t)): σ(z) would read as σ of that quantity. A network's
    pre-activations z = Wx + b are what σ(z) means, and keep it."""
    names = set(g.latex.values())
    zs = {n for n in names if n.startswith(("z", "{z")) and _base(n) == "z"}  # z, z_{3,1}, z^{(2)}
    if "z" not in names and not (zs and any(isinstance(n.expr, OpFunctionBase) and g.latex[n.key] in zs
                                            for n in g.nodes if n.expr is not None)):
        return line
    bases = {_base(n) for n in names}
    letter = next((c for c in ("u", "v", "t", "r") if c not in bases), r"\zeta")
    return _Z.sub(letter, line)


def _base(latex: str) -> str:
    m = _BASE.match(latex)
    return m[1] if m else latex


def recap_part(w: QuestionWork, keys: list[str]) -> Part:
    """The values earlier questions derived, in one block titled by them ("From Question 1
    and Question 2")."""
    g, sb = w.graph, w.sb
    items = [f"{g.latex[k]} {sb.shown[k].relation} {sb.shown[k].latex}" for k in keys]
    rows = [", \\quad ".join(items[i:i + 4]) for i in range(0, len(items), 4)]
    store = w.derived.equations
    origins = []
    for k in keys:
        derived_eq = sb.forward(k)
        stated = (g.latex[k], ((sb.shown[k].relation, sb.shown[k].latex),))
        origins.append(store.get((derived_eq.lhs, derived_eq.parts)) or store.get(stated))
    named = list(dict.fromkeys(origins))
    title = "From " + " and ".join(named) if None not in named else "Values from the forward pass"
    return Part("Forward pass", (Block("recap", title, display=gathered(rows)),))


def _matrix_forward(w: QuestionWork, full: bool) -> Part:
    """Each layer's definition, then its equations (the definition before its use)."""
    g = w.graph
    keys = [k for grp in g.groups for k in grp.keys]
    fresh = full or not all((k, exact_text(w.values[k])) in w.shown_before for k in keys)
    blocks = w.mx.forward()
    head = [k for grp in g.groups if "Softmax output" in grp.title for k in grp.keys]
    if head:
        blocks.append(Block("neuron", "Softmax output", "", tuple(w.sb.softmax_details(head)),
                            display=g.groups[-1].definition))
    defined = {info.index: grp.definition for info in g.layers for grp in g.groups
               if info.acts[0][0] in grp.keys}  # with the activation's parameters (a leaky ReLU's slope)
    out = []
    for b in blocks:
        layer = next((i for i in defined if b.title.startswith(f"Layer {i} (")), None)
        display = b.display or (defined[layer] if layer is not None else "")
        if display and b.equations:
            out += [Block("definition", b.title, b.text, display=display), replace(b, title="", text="", display="")]
        else:
            out.append(b)
    for k in keys:
        w.shown_before.add((k, exact_text(w.values[k])))
        if fresh:
            w.answers.append(answer("value", k, g.latex[k], w.values[k], w.digits))
    return Part("Forward pass", tuple(out))


def _neuron_block(w: QuestionWork, zkey: str, group: list[str], fresh: bool = True) -> Block:
    g, sb = w.graph, w.sb
    acts = [c for c in g.children[zkey] if c in group and not isinstance(g.by_key[c].expr, Softmax)]
    neuron = acts[0] if acts else zkey
    groups: dict[str, list[str]] = {"input": [], "weight": [], "bias": []}
    for p in g.parents[zkey]:
        kind = g.by_key[p].kind
        groups["weight" if kind == "weight" else "bias" if kind == "bias" else "input"].append(
            f"${g.latex[p]} {sb.shown[p].relation} {sb.shown[p].latex}$")
    labels = {"input": "inputs", "weight": "weights", "bias": "bias"}
    text = "; ".join(f"{labels[k]} {', '.join(v)}" for k, v in groups.items() if v)
    text = text[0].upper() + text[1:] + "." if text else ""
    eqs = [sb.forward(zkey)] + [sb.forward(a) for a in acts]
    for k in [zkey] + acts if fresh else ():
        w.answers.append(answer("value", k, g.latex[k], w.values[k], w.digits))
    return Block("neuron", f"Neuron ${g.latex[neuron]}$", text, tuple(eqs))


def loss_part(w: QuestionWork) -> Part | None:
    """The loss's definition and value; ``None`` in the graph style when an earlier question
    showed the same loss (the forward pass's values, which end with the loss, state it)."""
    g, sb = w.graph, w.sb
    targets = ", ".join(f"{g.latex[n.key]} = {sb.shown[n.key].latex}" for n in g.nodes if n.kind == "target")
    losses = [n.key for n in g.nodes if n.kind == "loss"]  # per example, then the batch's
    for k in losses:
        w.answers.append(answer("loss", k, g.latex[k], w.values[k], w.digits))
    if "loss" in w.q.ask:
        w.final.append(f"L {sb.shown['L'].relation} {sb.shown['L'].latex}")
    mark = ("loss", g.loss_title, exact_text(w.values["L"]))
    if mark in w.shown_before and "loss" not in w.q.ask and w.style == "graph":
        return None
    w.shown_before.add(mark)
    definition = Block("definition", f"Loss: {g.loss_title}", f"with targets ${targets}$.",
                       display=g.loss_definition)
    if g.loss_title.startswith("cross-entropy") and all(
            n.expr is not None and n.expr.func.__name__ == "Sigmoid" for n in g.nodes if n.kind == "output"):
        definition = (definition, Block("note", "Sigmoid outputs", SIGMOID_CE))
    if g.penalty is not None:
        w.answers.append(answer("penalty", PENALTY, g.latex[PENALTY], w.values[PENALTY], w.digits))
    head = definition if isinstance(definition, tuple) else (definition,)
    if w.style == "graph":  # the loss is the last stage of the forward pass
        return Part("Loss", head)
    if g.penalty is None:
        return Part("Loss", (*head, Block("loss", "", "", tuple(sb.forward(k) for k in losses))))
    penalty = Block("loss", "The penalty", f"The penalty $R$ covers {g.penalty.text}.", (sb.forward(PENALTY),))
    data = Block("loss", "The data term and the loss", "", tuple(sb.forward(k) for k in losses))
    return Part("Loss", (*head, penalty, data))


#: What a key says of cross-entropy on sigmoid outputs, which the problem file may ask for.
SIGMOID_CE = (r"The outputs are sigmoids, which need not sum to 1, so $-\sum_k y_k \ln p_k$ reads only the "
              r"outputs whose targets are not 0 (a target of 0 adds nothing to $L$ or its gradients). "
              r"PyTorch's CrossEntropyLoss puts a softmax on the logits first (output\_head: softmax); binary "
              r"cross-entropy (loss: bce), $-\sum_k [y_k \ln p_k + (1 - y_k)\ln(1 - p_k)]$, reads every output.")
