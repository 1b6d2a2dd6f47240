"""The backward pass of the staged ("graph") style: one reverse sweep, then each asked
gradient read from it.

The sweep computes ∂L/∂n once for every stage the asked gradients read, from the
output back, each from the stages it feeds (∂L/∂n = Σ_c ∂L/∂c · ∂c/∂n; the logits of a
softmax with cross-entropy by the p − y shortcut, never through p). An asked gradient
is then ∂L/∂w = ∂L/∂z · ∂z/∂w with ∂L/∂z from the sweep (summed over the stages w
feeds). A question whose text asks for the paths (``… reaches x₀ by two paths``) gets,
for a variable with more than one path to the output, the sum over its paths instead,
each path the product of its local derivatives up to where it meets the sweep.
"""

from __future__ import annotations

import re
from itertools import pairwise

import sympy as sp

from .model import Block, Equation, Part, answer
from .notes import softmax_ce_note
from .question import QuestionWork
from .staged import backward_order

#: A question's text that asks for the paths to the output.
_ASKS_PATHS = re.compile(r"\bpaths?\b", re.IGNORECASE)

_SHORTCUT_THEN = r", so the sweep starts at the logits and never needs $\partial L/\partial p_k$."


def asks_for_paths(w: QuestionWork) -> bool:
    """Whether the question's text (or title) asks for the paths to the output."""
    return bool(_ASKS_PATHS.search(f"{w.q.title or ''} {w.q.text or ''}"))


def step_definition(w: QuestionWork, edges) -> Block | None:
    """The definition of the indicator ``𝕀`` of max's and min's derivatives (ties
    included), once per key, before the first equation that uses it; ``None`` when
    ``edges`` do not use it or an earlier part defined it."""
    mark = ("definition", "indicator")
    text = w.sb.step_definition(edges)
    if not text or mark in w.shown_before:
        return None
    w.shown_before.add(mark)
    return Block("definition", r"The indicator $\mathbb{I}$", text)


def plan(w: QuestionWork, asked: list[str]) -> tuple[dict, set]:
    """How each asked gradient is written (its paths, or ``None`` for ∂L/∂z · ∂z/∂w) and
    the stages of the sweep: those the gradients read, and those these are computed from."""
    g, sb, loss = w.graph, w.sb, w.graph.loss
    stops = frozenset(o for o, _, _ in g.softmax_ce)
    by_paths = asks_for_paths(w)
    plans: dict[str, list | None] = {}
    read: set[str] = set()
    for k in asked:
        children = w.relevant_children(k)
        paths = sb.paths(k, stops) if by_paths and k not in stops and children else None
        if paths and len(paths) > 1 and all(p[-1] != loss or len(p) > 2 for p in paths):
            plans[k] = paths
            read |= {p[-1] for p in paths}
        else:
            plans[k] = None
            read |= set(children) if k not in stops else set()
    return plans, _sweep_nodes(w, read - {loss}, stops)


def used_edges(w: QuestionWork, asked: list[str], with_output: bool = False) -> set[tuple[str, str]]:
    """The local derivatives (child, parent) the backward pass uses; those of the output
    itself only ``with_output`` (the sweep writes them out where it uses them)."""
    plans, sweep = plan(w, asked)
    stops = {o for o, _, _ in w.graph.softmax_ce}
    edges = {(c, n) for n in sweep - stops for c in w.relevant_children(n)}
    for k, paths in plans.items():
        if paths:
            edges |= {(c, q) for p in paths for q, c in pairwise(p)}
        elif k not in stops:
            edges |= {(c, k) for c in w.relevant_children(k)}
    return edges if with_output else {e for e in edges if e[0] != w.graph.loss}


def graph_backward(w: QuestionWork, asked: list[str]) -> Part:
    """The reverse sweep and the asked gradients of the staged style (see the module)."""
    g, sb, loss = w.graph, w.sb, w.graph.loss
    shortcut = {o: (o, p, y) for o, p, y in g.softmax_ce}
    stops = frozenset(shortcut)
    plans, sweep = plan(w, asked)
    blocks = []
    definition = step_definition(w, used_edges(w, asked, with_output=True))
    if definition:
        blocks.append(definition)
    if any(o in sweep or o in asked for o in shortcut):
        blocks.append(Block("note", "Softmax with cross-entropy",
                            softmax_ce_note(g.softmax_names, _SHORTCUT_THEN)))
    eqs = []
    for n in _order(g, sweep):
        eqs.append(sb.shortcut(*shortcut[n]) if n in shortcut else sb.chain(n, w.relevant_children(n)))
        w.answers.append(answer("gradient", n, sb.d(loss, n), w.grads.adjoint[n], w.digits,
                                upstream=n not in asked or None))
    s, v = _free_letters(w)
    if eqs:
        blocks.append(Block("upstream", "Reverse sweep",
                            f"$\\partial {w.out}/\\partial {s}$ for each stage ${s}$ that the gradients need, "
                            "from the output back; each is computed once, from the stages it feeds:", tuple(eqs)))
    note = _reading_note(w, plans, sweep, s, v)
    if note:
        blocks.append(Block("note", "Gradients from the sweep", note))
    grouped: list[tuple[object, list[str], list[Equation]]] = []  # consecutive gradients through one stage
    for k in asked:
        if k in sweep:  # derived in the sweep: stated there
            continue
        children = w.relevant_children(k)
        if k in shortcut:
            eq = sb.shortcut(*shortcut[k])
        elif not children:
            eq = Equation(sb.d(loss, k), (("=", "0"),))
        elif plans[k]:
            eq = sb.path_gradient(k, plans[k], stops)
        else:
            eq = sb.chain(k, children)
        through = children[0] if plans[k] is None and len(children) == 1 and k not in shortcut else k
        if grouped and grouped[-1][0] == through:
            grouped[-1][1].append(k)
            grouped[-1][2].append(eq)
        else:
            grouped.append((through, [k], [eq]))
        w.answers.append(answer("gradient", k, sb.d(loss, k), w.grads.adjoint.get(k, sp.Integer(0)),
                                w.digits))
    for _, keys, eqs in grouped:
        names = ", ".join(f"${g.latex[k]}$" for k in keys)
        blocks.append(Block("gradient", f"Gradient{'s' if len(keys) > 1 else ''} with respect to {names}", "",
                            tuple(eqs)))
    if "gradients" in w.q.ask:
        w.final.extend(w.final_lines(asked, lambda k: w.grads.adjoint.get(k, sp.Integer(0)), w.dout, "="))
    return Part("Backward pass", tuple(blocks))


def _sweep_nodes(w: QuestionWork, read: set[str], stops: frozenset) -> set[str]:
    """``read`` and every stage their ∂L/∂n is computed from (a shortcut logit from its
    probability and target only)."""
    loss, out = w.graph.loss, set()
    stack = list(read)
    while stack:
        n = stack.pop()
        if n in out:
            continue
        out.add(n)
        if n not in stops:
            stack.extend(c for c in w.relevant_children(n) if c != loss)
    return out


def _order(g, nodes: set[str]) -> list[str]:
    """``nodes`` from the output back, layer by layer (:func:`.staged.backward_order`)."""
    return [n.key for n in backward_order(g) if n.key in nodes]


def _free_letters(w: QuestionWork) -> tuple[str, str]:
    """Letters for "a stage" and "a variable" that name nothing in the graph."""
    taken = set(w.graph.latex.values()) | {w.out}
    free = [c for c in ("s", "w", "u", "v", "q", r"\nu", r"\xi", r"\phi") if c not in taken]
    return free[0], free[1]


def _reading_note(w: QuestionWork, plans: dict, sweep: set, s: str, v: str) -> str:
    out = w.out
    said = []
    if any(p is None and k not in sweep and len(w.relevant_children(k)) > 0 for k, p in plans.items()):
        said.append(f"Each asked gradient takes $\\partial {out}/\\partial {s}$ from the sweep for the stage "
                    f"${s}$ it feeds: $\\frac{{\\partial {out}}}{{\\partial {v}}} = "
                    f"\\frac{{\\partial {out}}}{{\\partial {s}}} \\frac{{\\partial {s}}}{{\\partial {v}}}$ "
                    f"for a variable ${v}$ (summed over the stages when it feeds several).")
    if any(plans.values()):
        said.append("The question asks for the paths: a variable with several paths to the output gets "
                    "the sum over its paths of the product of the local derivatives along each, up to the "
                    "stage where the path meets the sweep.")
    return " ".join(said)
