"""How δ flows back through each tensor operation, in the field's words, and the masks
the key shows (ReLU'(Z), max-pooling's routing mask M), with ties stated.

Sources: the convolution's gradients (CS231n notes, "Convolutional Networks"; Dumoulin
and Visin, *A guide to convolution arithmetic*, 2016): ∂L/∂K is the correlation of the
padded input with δ^Z, ∂L/∂X the full convolution of δ^Z with the flipped kernel less
the padding at each edge (δ^Z spread out by a stride above 1, the kernel dilated by its
dilation, ∂L/∂K then read at every D-th position), ∂L/∂b the sum of δ^Z over each channel. Max-pooling routes δ to each window's first
maximum (PyTorch's rule).
"""

from __future__ import annotations

import sympy as sp

from ..graph.model import TensorInfo
from ..ops.activations import ACTIVATIONS
from ..ops.extremum import Extremum
from ..ops.tensor import indices
from ..ops.tensor.linalg import superscriptable
from ..problem.tensor_expressions import Apply, Ref
from .model import Equation
from .notes import tie
from .question import QuestionWork
from .tensor_display import tensor_equations
from .tensor_forward import definition_of
from .tensor_softmax import ROW_RULES

_SUM = r"A sum passes $\delta^{{{u}}}$ on unchanged (summed over any axis that was broadcast)."
_PRODUCT = (r"An elementwise product passes $\delta^{{{u}}}$ times the other factor, elementwise (summed over any "
            r"axis that was broadcast).")
#: How δ passes through each operation to its argument (matrix products are written out in
#: :func:`rule_text` with their operands' names).
_RULES = {
    ("conv2d", 0): r"$\delta^{{{t}}}$ is the full convolution of $\delta^{{{u}}}${spread} with the kernel{dilated} "
                   r"flipped (rotated by 180°){crop}: each input element collects $\delta^{{{u}}} \cdot$ (the kernel "
                   r"weight it met) over every window that covers it.{missed}",
    ("conv2d", 1): r"$\partial {L}/\partial {t}$ is the correlation of the padded input with $\delta^{{{u}}}${spread}"
                   r"{every}: each kernel weight collects $\delta^{{{u}}} \cdot$ (the input element it multiplied) over "
                   r"every output cell.",
    ("conv2d", 2): r"$\partial {L}/\partial {t}$ is the sum of $\delta^{{{u}}}$ over each output channel's cells.",
    ("maxpool2d", 0): r"Max-pooling routes each window's $\delta^{{{u}}}$ to the position of its maximum (1 in "
                      r"the mask $M$); every other position gets 0.",
    ("avgpool2d", 0): r"Average pooling spreads each window's $\delta^{{{u}}}$ evenly: each position gets "
                      r"$\delta/k^2$ from every window that covers it.",
    ("add", 0): _SUM,
    ("add", 1): _SUM,
    ("sub", 0): r"A difference passes $\delta^{{{u}}}$ on unchanged.",
    ("sub", 1): r"A difference passes $-\delta^{{{u}}}$ to what is subtracted.",
    ("mul", 0): _PRODUCT,
    ("mul", 1): _PRODUCT,
    ("sum", 0): r"A sum passes $\delta^{{{u}}}$ to every element it adds.",
    ("mean", 0): r"A mean passes $\delta^{{{u}}}/n$ to every element it averages.",
    ("flatten", 0): r"Flattening only rearranges: $\delta^{{{t}}}$ is $\delta^{{{u}}}$ reshaped back.",
    ("reshape", 0): r"A reshape only rearranges: $\delta^{{{t}}}$ is $\delta^{{{u}}}$ reshaped back.",
    ("transpose", 0): r"$\delta^{{{t}}}$ is $\delta^{{{u}}}$ transposed back.",
    **ROW_RULES,  # softmax: its Jacobian-vector product by rows
}


def operation_path(tree, key: str) -> list[tuple[Apply, int]] | None:
    """The operations from ``tree`` down to the first one (depth first) that takes ``key`` as a
    direct argument, each with the index of the argument followed; ``None`` when ``key`` is
    not read."""
    if not isinstance(tree, Apply):
        return None
    for i, a in enumerate(tree.args):
        if isinstance(a, Ref) and a.name == key:
            return [(tree, i)]
    for i, a in enumerate(tree.args):
        found = operation_path(a, key)
        if found is not None:
            return [(tree, i), *found]
    return None


def _find(tree, key: str):
    """(operation node, argument index, reached only through operations that pass δ on
    unchanged) of the first operation of ``tree`` (depth first) that takes ``key`` as a direct
    argument: ``W`` in ``W @ a + b`` is the matrix product's first, reached through the sum."""
    path = operation_path(tree, key)
    if path is None:
        return None
    unchanged = all(n.op.name in ("add", "sum") or (n.op.name == "sub" and i == 0) for n, i in path[:-1])
    return (*path[-1], unchanged)


def _position(tree, key: str) -> tuple[str, int] | None:
    """(operation, argument index) of the first operation of ``tree`` that takes ``key``."""
    found = _find(tree, key)
    return None if found is None else (found[0].op.name, found[1])


def transposed(w: QuestionWork, tree) -> str:
    """The LaTeX of ``tree`` transposed: ``W`` for ``W^⊤``, else ``{W^{(4)}}^⊤``."""
    from ..graph.tensor_spec import tree_latex

    names = {x.key: x.latex for x in w.graph.tensors}
    if isinstance(tree, Apply) and tree.op.name == "transpose":
        return tree_latex(tree.args[0], names)
    return superscriptable(tree_latex(tree, names)) + r"^\top"


def _sub(latex: str) -> str:
    """``latex`` ready for a subscript: in braces when it has one already (``{h_{2}}_c``)."""
    return f"{{{latex}}}" if "_" in latex else latex


def rule_text(w: QuestionWork, user: TensorInfo, t: TensorInfo) -> str:
    """The sentence saying how δ reaches ``t`` through ``user``: the rule of the operation
    that takes ``t`` when nothing but sums stands between it and ``user``, else the chain
    rule through ``user``'s expression."""
    found = _find(user.tree, t.key)
    node, i, direct = found if found is not None else (None, 0, False)
    op = node.op.name if node is not None else ""
    if op == "transpose" and not direct:
        return (rf"$\delta^{{{t.latex}}}$ is the upstream gradient of ${superscriptable(t.latex)}^\top$ transposed "
                rf"back (for $C = A B^\top$: $\delta^{{B}} = (\delta^{{C}})^\top A$).")
    if not direct:
        return (rf"By the chain rule through ${definition_of(w.graph, user)}$: "
                rf"$\delta^{{{t.latex}}}_e = \sum_c \delta^{{{user.latex}}}_c\, \partial {_sub(user.latex)}_c / "
                rf"\partial {_sub(t.latex)}_e$.")
    if op in ACTIVATIONS and ACTIVATIONS[op].elementwise or op in ("exp", "log", "sqrt", "abs", "square") \
            or op.startswith("pow"):
        return (rf"An elementwise function passes $\delta^{{{user.latex}}}$ times its derivative at each element: "
                rf"$\delta^{{{t.latex}}} = \delta^{{{user.latex}}} \odot f'({t.latex})$.")
    if op == "matmul":
        other = transposed(w, node.args[1 - i])
        d_t, d_u = rf"\delta^{{{t.latex}}}", rf"\delta^{{{user.latex}}}"
        return (rf"For a matrix product $C = AB$, $\delta^{{B}} = A^\top \delta^{{C}}$: here ${d_t} = {other} {d_u}$."
                if i == 1 else
                rf"For a matrix product $C = AB$, $\delta^{{A}} = \delta^{{C}} B^\top$: here ${d_t} = {d_u}\, {other}$.")
    text = _RULES.get((op, i))
    return text.format(t=t.latex, u=user.latex, L=w.out, **_conv_words(node), missed=_missed(w, node, user, t)) \
        if text else rf"By the chain rule through ${definition_of(w.graph, user)}$."


_NTH = {2: "second", 3: "third"}


def ordinal(n: int) -> str:
    """``n`` as an English ordinal: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 101st, 111th."""
    return f"{n}{'th' if n % 100 in (11, 12, 13) else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _listed(word: str, numbers: list[int]) -> str:
    """``row 5``, ``rows 4 and 5``, ``columns 2, 4 and 6``."""
    if len(numbers) == 1:
        return f"{word} {numbers[0]}"
    return f"{word}s {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _missed(w: QuestionWork, node, user: TensorInfo, t: TensorInfo) -> str:
    """A sentence naming the rows and columns of a convolution's input ``t`` that no window
    covers (a stride or a dilation that steps past them), which pass nothing to ``user``; empty
    when every one is covered. It says δ is 0 there only when the key's values are."""
    if node is None or node.op.name != "conv2d" or len(t.shape) < 2:
        return ""
    children, mine = w.graph.children, set(user.elements)
    covered = [any(c in mine for c in children.get(e, ())) for e in t.elements]
    hit = [i for ok, i in zip(covered, indices(t.shape)) if ok]  # one pass: linear in the input's size
    hit_rows, hit_cols = {i[-2] for i in hit}, {i[-1] for i in hit}
    rows = [r + 1 for r in range(t.shape[-2]) if r not in hit_rows]
    cols = [c + 1 for c in range(t.shape[-1]) if c not in hit_cols]
    if not rows and not cols:
        return ""
    kw = node.kwargs
    why = " and ".join(f"{k} {kw.get(k, 1)}" for k in ("stride", "dilation") if kw.get(k, 1) > 1) or "these settings"
    where = " or ".join(_listed(word, found) for word, found in (("row", rows), ("column", cols)) if found)
    zero = all(w.grads.adjoint.get(e, 0) == 0 for ok, e in zip(covered, t.elements) if not ok)
    after = rf"so $\delta^{{{t.latex}}}$ is 0 there" if zero else "which passes them no gradient"
    return (f" With {why}, no window covers {where} of ${t.latex}$: those elements take no part in "
            f"${user.latex}$, {after}.")


def _zeros(n: int, between: str) -> str:
    return f"{n} zero{'s' if n > 1 else ''} between {between}"


def _conv_words(node) -> dict:
    """What a convolution's stride, padding and dilation add to its gradients' rules (empty for
    1, 0, 1): δ spread out by the stride, the kernel dilated, the padding cropped from δ^X, and
    ∂L/∂K read at every D-th position, as the rules must be done to give the key's numbers."""
    kw = node.kwargs if node is not None and node.op.name == "conv2d" else {}
    s, p, d = kw.get("stride", 1), kw.get("padding", 0), kw.get("dilation", 1)
    return {"spread": f" spread out by the stride ({_zeros(s - 1, 'neighbouring elements')})" if s > 1 else "",
            "dilated": f" dilated ({_zeros(d - 1, 'its taps')})" if d > 1 else "",
            "crop": (f", less the {p} padded row{'s' if p > 1 else ''} and column{'s' if p > 1 else ''} at each edge"
                     if p else ""),
            "every": f", read at every {_NTH.get(d) or ordinal(d)} position (the dilation)" if d > 1 else ""}


def _local_sums(w: QuestionWork, t: TensorInfo, user: TensorInfo) -> list[sp.Expr]:
    g, grads = w.graph, w.grads
    mine = set(user.elements)
    return [sum((grads.local[(c, e)].value for c in g.children[e] if c in mine and (c, e) in grads.local),
                sp.Integer(0)) for e in t.elements]


def mask_equations(w: QuestionWork, t: TensorInfo, users: list[TensorInfo]) -> list[Equation]:
    """ReLU'(Z) (an elementwise function's derivative at each element) or max-pooling's mask
    M, as matrices, when ``t`` feeds one; a tie in a pooling window is stated in the mask's
    equation block by :func:`ties`."""
    out = []
    for u in users:
        pos = _position(u.tree, t.key)
        if pos is None or not t.shape:
            continue
        op = pos[0]
        if op in ACTIVATIONS and ACTIVATIONS[op].prime:
            name = rf"{ACTIVATIONS[op].prime}({t.latex})"
        elif op == "maxpool2d":
            name = "M"
        else:
            continue
        sums = dict(zip(t.elements, _local_sums(w, t, u)))
        out += tensor_equations(name, t, sums.__getitem__, w.digits)
    return out


def ties(w: QuestionWork, users: list[TensorInfo]) -> list[str]:
    """A sentence for each maximum (or minimum) with a tie at the computed values, naming the
    element (argument) that gets the gradient: a pooling window's first in row-major order."""
    g, out = w.graph, []
    for u in users:
        pooling = isinstance(u.tree, Apply) and u.tree.op.name == "maxpool2d"
        for k in u.elements:
            expr = g.by_key[k].expr
            found = tie(w, expr) if isinstance(expr, Extremum) else None
            if found is None:
                continue
            names, shown = found
            if pooling:
                out.append(f"The window of ${g.latex[k]}$ has a tie, ${' = '.join(names)} {shown.relation} "
                           f"{shown.latex}$: the gradient goes to the first maximal element in row-major order, "
                           f"${names[0]}$, as PyTorch does.")
            else:
                out.append(f"${g.latex[k]} = {w.sb.tex(expr)}$ has a tie, ${' = '.join(names)} {shown.relation} "
                           f"{shown.latex}$: the gradient goes to the first {expr.word} argument, ${names[0]}$, as "
                           f"PyTorch's {expr.latex_name.lstrip(chr(92))}(input, dim) does.")
    return out


def softmax_ce(w: QuestionWork) -> tuple[TensorInfo, TensorInfo, TensorInfo] | None:
    """(logits z, probabilities ŷ, target y) when a softmax feeds a cross-entropy loss whose
    target sums to 1: then δ^z = ŷ − y, and δ^ŷ is not needed."""
    tensors = {t.key: t for t in w.graph.tensors}
    loss = next((t for t in w.graph.tensors if isinstance(t.tree, Apply) and t.tree.op.name == "cross_entropy"), None)
    if loss is None or not all(isinstance(a, Ref) for a in loss.tree.args):
        return None
    probs, target = (tensors[a.name] for a in loss.tree.args)
    tree = probs.tree
    if not (isinstance(tree, Apply) and tree.op.name == "softmax" and isinstance(tree.args[0], Ref)):
        return None
    if sum(w.values[k] for k in target.elements) != 1:
        return None
    return tensors[tree.args[0].name], probs, target


def shortcut_equation(w: QuestionWork, z: TensorInfo, probs: TensorInfo, target: TensorInfo, name) -> Equation:
    """``δ^z_k = ŷ_k − y_k = 0.54 − 0 = 0.54`` for the first logit."""
    k, p, y = z.elements[0], probs.elements[0], target.elements[0]
    shown = [w.sb.shown[x] for x in (p, y)]
    value = w.sb.show(w.grads.adjoint[k])
    return Equation(name(k), (("=", f"{w.graph.latex[p]} - {w.graph.latex[y]}"),
                              ("=" if all(s.exact for s in shown) else r"\approx",
                               f"{shown[0].latex} - {w.sb.factor(shown[1])}"), (value.relation, value.latex)))


__all__ = ["indices", "mask_equations", "rule_text", "ties"]
