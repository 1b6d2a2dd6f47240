"""The computations behind a partial mark: error carried forward (a wrong answer recomputed
from the student's own wrong earlier answers, exactly, on the question's graph) and the
answers each misconception gives (once per key and question)."""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..core.numbers import normalize
from ..graph.carried import backward_with, forward_with
from .misconceptions import MISCONCEPTIONS, Context


def descendants(graph, key: str) -> set[str]:
    seen: set[str] = set()
    stack = list(graph.children[key])
    while stack:
        k = stack.pop()
        if k not in seen:
            seen.add(k)
            stack.extend(graph.children[k])
    return seen


def _recompute(ctx: Context, kind: str, of: str, used: dict) -> sp.Expr | None:
    """The ``kind`` answer of ``of`` with ``used`` ((kind, of) → the student's value) in place of
    the key's values."""
    g = ctx.graph
    fwd = {o: v for (k, o), v in used.items() if k in ("value", "loss")}
    adj = {o: v for (k, o), v in used.items() if k == "gradient"}
    values = forward_with(g, fwd) if fwd else ctx.values
    if kind in ("value", "loss"):
        return values[of]
    if g.loss is None:
        return None
    if kind == "gradient":
        return backward_with(g, values, adj)[of] if of in g.relevant else None
    if kind == "update" and ctx.eta is not None:
        grad = adj.get(of)
        if grad is None:
            grad = backward_with(g, values, adj).get(of)
        return None if grad is None else normalize(ctx.values[of] - ctx.eta * grad)
    return None


def _candidates(ctx: Context, kind: str, of: str, wrong: dict) -> dict:
    g = ctx.graph
    if kind in ("value", "loss"):
        above = g.ancestors_of(of)
        return {k: v for k, v in wrong.items() if k[0] in ("value", "loss") and k[1] in above and k[1] != of}
    if g.loss is None or of not in g.relevant:
        return {}
    below = descendants(g, of)
    out = {k: v for k, v in wrong.items() if k[0] in ("value", "loss") and k[1] in g.relevant and k[1] != g.loss}
    out.update({k: v for k, v in wrong.items() if k[0] == "gradient" and (k[1] in below or
                                                                        (kind == "update" and k[1] == of))})
    return out


def carried(ctx: Context, kind: str, of: str, wrong: dict, match: Callable) -> tuple | None:
    """(value, the answers it was carried from) when the student's ``kind`` answer of ``of``
    matches the recomputation from their own wrong earlier answers ``wrong`` ((kind, of) →
    value; absurd ones already left out); ``None`` otherwise. Only the earlier answers that
    change the recomputed value are named."""
    if of not in ctx.graph.by_key or kind not in ("value", "loss", "gradient", "update"):
        return None
    used = _candidates(ctx, kind, of, wrong)
    if not used:
        return None
    try:
        value = _recompute(ctx, kind, of, used)
    except (ValueError, ZeroDivisionError):
        return None
    if value is None or not match(value):
        return None
    needed = []
    for k in used:
        rest = {j: v for j, v in used.items() if j != k}
        try:
            without = _recompute(ctx, kind, of, rest) if rest else _recompute(ctx, kind, of, {})
        except (ValueError, ZeroDivisionError):
            without = None
        if without is None or without != value:
            needed.append(k)
    return (value, needed) if needed else None


def slipped(ctx: Context, cache: dict, where: tuple) -> dict:
    """Each misconception's answers for this question ({name: {(kind, of): [values]}}), computed once."""
    if where not in cache:
        out = {}
        for name, m in MISCONCEPTIONS.items():
            try:
                out[name] = m.compute(ctx)
            except (ValueError, ZeroDivisionError, KeyError, TypeError):
                out[name] = {}
        cache[where] = out
    return cache[where]
