"""The computations behind a partial mark: error carried forward (a wrong answer recomputed
from the student's own wrong earlier answers, exactly, on the question's graph) and the
answers each misconception gives (once per key and question)."""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..core.numbers import normalize
from ..graph.carried import backward_with, forward_with
from .misconceptions import MISCONCEPTIONS, Context


def _recompute(ctx: Context, kind: str, of: str, used: dict, fixed: dict | None = None) -> sp.Expr | None:
    """The ``kind`` answer of ``of`` with ``used`` ((kind, of) → the student's value) in place of
    the key's values, and the answers in ``fixed`` (the ones the student got right, at the key's
    values) held there: a wrong value reaches ``of`` only through what the student got wrong."""
    g = ctx.graph
    held = {k: v for k, v in (fixed or {}).items() if k[1] != of}
    fwd = {o: v for (k, o), v in {**held, **used}.items() if k in ("value", "loss")}
    adj = {o: v for (k, o), v in {**held, **used}.items() if k == "gradient"}
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
    below = g.descendants_of(of)
    out = {k: v for k, v in wrong.items() if k[0] in ("value", "loss") and k[1] in g.relevant and k[1] != g.loss}
    out.update({k: v for k, v in wrong.items() if k[0] == "gradient" and (k[1] in below or
                                                                        (kind == "update" and k[1] == of))})
    return out


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    """Equal, or equal but for the last digits of 50-digit arithmetic ((1/p)·p of a softmax)."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    return bool(abs(sp.N(a - b, 60)) <= sp.Rational(1, 10**35) * max(1, abs(sp.N(b, 60))))


def carried(ctx: Context, kind: str, of: str, wrong: dict, match: Callable,
            held: dict | None = None, near: Callable | None = None) -> tuple | None:
    """(value, the answers it was carried from) when the student's ``kind`` answer of ``of``
    matches the recomputation from their own wrong earlier answers ``wrong`` ((kind, of) →
    value; absurd ones already left out); ``None`` otherwise. Only the earlier answers that
    change the recomputed value are named. ``held`` ((kind, of) → (the key's value, their
    number)) are the answers they got right: one that their wrong answers would have changed
    (``near(their number, recomputed)`` false) shows their chain broke there, and is held at
    the key's value (an h1 they got right stops their wrong z_h1 from reaching z_o1); one their
    wrong answers leave right within rounding is not (their chain went through it)."""
    if of not in ctx.graph.by_key or kind not in ("value", "loss", "gradient", "update"):
        return None
    used = _candidates(ctx, kind, of, wrong)
    if not used:
        return None
    fixed = {}
    for k, (key_value, theirs) in _candidates(ctx, kind, of, held or {}).items():
        try:
            through = _recompute(ctx, k[0], k[1], used)
        except (ValueError, ZeroDivisionError):
            continue
        if through is not None and near is not None and not near(theirs, through):
            fixed[k] = key_value
    try:
        value = _recompute(ctx, kind, of, used, fixed)
    except (ValueError, ZeroDivisionError):
        return None
    if value is None or not match(value):
        return None
    # name the earlier answers that change it: each put back to the key's value in turn; when
    # none alone does (answers that repeat each other), a smallest set, the farthest dropped first
    order = {n.key: i for i, n in enumerate(ctx.graph.nodes)}
    needed = []
    for k in used:
        right = (ctx.values if k[0] in ("value", "loss") else ctx.adjoint).get(k[1])
        try:
            back = _recompute(ctx, kind, of, {**used, k: right}, fixed) if right is not None else None
        except (ValueError, ZeroDivisionError):
            back = None
        if back is None or not _same(back, value):
            needed.append(k)
    if not needed:
        rest = dict(used)
        for k in sorted(used, key=lambda k: (k[0] not in ("value", "loss"),
                                             order.get(k[1], 0) * (1 if k[0] in ("value", "loss") else -1))):
            fewer = {j: v for j, v in rest.items() if j != k}
            try:
                if fewer and _same(_recompute(ctx, kind, of, fewer, fixed), value):
                    rest = fewer
            except (ValueError, ZeroDivisionError):
                pass
        needed = list(rest)
    return value, sorted(needed, key=lambda k: (k[0] not in ("value", "loss"), order.get(k[1], 0)))


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
