"""Marking one student's answers against a key (``nnsolve grade``): each answer of the key
is correct (within the tolerance), carried forward (right from the student's own wrong
earlier answers: :mod:`solver.graph.carried`), a named misconception (:mod:`.misconceptions`),
wrong or missing, with its points. Exact arithmetic throughout; see README "Grading"."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from fractions import Fraction

import msgspec
import sympy as sp

from ..core.errors import ProblemError
from ..core.tolerance import Tolerance, accepts, padded
from ..graph.carried import absurd
from ..problem.graded import Key, KeyAnswer
from ..problem.grading import Grading
from .grade_match import label
from .grade_setup import Setup
from .grade_work import carried, slipped
from .misconceptions import MISCONCEPTIONS


class Mark(msgspec.Struct, frozen=True):
    """One answer's mark. ``status`` is correct, carried, misconception, wrong or missing;
    ``verdict`` the words of grades.csv (``carried forward from dL/dh1``, ``misconception:
    update_sign_flipped``); ``explanation`` one line for the feedback; ``equation`` the key's
    step for this quantity (LaTeX, "" when unknown); ``mine`` what the student's own earlier
    numbers give, for a carried-forward answer."""

    student: str
    question: str
    kind: str
    of: str
    answer: str
    expected: str
    points: Fraction
    max_points: Fraction
    status: str
    verdict: str
    explanation: str = ""
    latex: str = ""
    equation: str = ""
    #: The explanation is plain text with no math in it (it quotes the student's own text, as
    #: "not a number: '…' is not a finite number" does): feedback escapes all of it.
    plain: bool = False


def fraction(value) -> Fraction:
    """An exact Rational, or a high-precision Float, as a Fraction."""
    value = sp.sympify(value)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    with localcontext() as ctx:
        ctx.prec = 60
        return Fraction(Decimal(str(sp.Float(value, 50))))


def close(x: Fraction, value, tol: Tolerance, digits: int) -> bool:
    """Whether ``x`` is ``value`` under ``tol`` (the default: the key's rounding at ``digits``
    significant figures, both edges accepted)."""
    v = fraction(value)
    return accepts(x, v, tol, padded(v, digits) if tol.kind == "display" else None)


def _forms(latex: str) -> list[str]:
    """An element's name and the names of its vector or matrix as the key's steps may write
    them: ``W^{(1)}_{11}`` → ``W^{(1)}``; ``z^{(2)}_{1}`` → ``z_{2}``; ``h^{(1)}_{2}`` → ``h``."""
    whole = re.sub(r"_\{[^{}]*\}(\}?)$", r"\1", latex)
    return list(dict.fromkeys([latex, whole, re.sub(r"\^\{\((\d+)\)\}", r"_{\1}", whole),
                               re.sub(r"\^\{\(\d+\)\}", "", whole)]))


def step(eqs: dict, latex: str) -> str:
    r"""The key's step for an answer: the equation of its left-hand side, else of its vector or
    matrix (a matrix-style key computes ∂L/∂W⁽¹⁾ whole), else the one that names its gradient
    on the way (``\delta^{(2)} = \frac{\partial L}{\partial z_{2}} = …``); "" when none does."""
    forms = _forms(latex)
    for f in forms:
        if f in eqs:
            return eqs[f]
    if latex.startswith("\\frac"):
        for f in forms[1:]:
            for eq in eqs.values():
                if f" = {f} = " in eq:
                    return eq
    return ""


def enabled(grading: Grading, file: str = "") -> dict[str, Fraction]:
    """The misconceptions recognised, with their share of the points.

    Raises:
        ProblemError: ``grading.misconceptions`` names one the catalogue does not have.
    """
    m = grading.misconceptions
    if m is True:
        return {k: v.credit for k, v in MISCONCEPTIONS.items()}
    if m is False:
        return {}
    out = {}
    for name, share in m.items():
        if name not in MISCONCEPTIONS:
            raise ProblemError(f"unknown misconception '{name}' (known: {', '.join(MISCONCEPTIONS)})",
                               file=file or None, field="grading.misconceptions")
        out[name] = Fraction(int(share.p), int(share.q))
    return out


def max_points(grading: Grading, a: KeyAnswer, count: dict) -> Fraction:
    """``grading.points`` by name, by the name of its matrix (shared by its elements), by kind;
    an upstream gradient shown on the way counts only when named."""
    base = a.of.split("[")[0]
    if a.of not in grading.points and base != a.of and base in grading.points:
        v = grading.points[base]
        return Fraction(int(v.p), int(v.q)) / count.get((a.question, a.kind, base), 1)
    if a.upstream and a.of not in grading.points:
        return Fraction(0)
    return grading.points_for(a.kind, a.of)


def grade_student(student: str, key: Key, submitted: dict, setup: Setup | None,
                  digits: int, cache: dict) -> list[Mark]:
    """Every mark of ``student`` on ``key``: ``submitted`` maps (question, kind, of) to
    (text, exact value, "") or, for an answer that is not a number, (text, ``None``, why);
    ``setup`` is ``None`` without a problem (tolerance only);
    ``cache`` keeps each key's misconception answers between students."""
    grading = setup.grading if setup else Grading()
    tol = grading.rule()
    shares = enabled(grading, setup.problem_file) if setup else {}
    answers = {(a.question, a.kind, a.of): a for a in key.answers}  # the last of a training's steps
    count: dict = {}
    for (q, kind, of) in answers:
        count[(q, kind, of.split("[")[0])] = count.get((q, kind, of.split("[")[0]), 0) + 1
    marks = []
    # a question with points shares them among its answers in the ratios of their own points
    scale = {}
    for qid, total_points in key.points.items():
        total = sum((max_points(grading, a, count) for k, a in answers.items() if k[0] == qid), Fraction(0))
        if total:
            scale[qid] = total_points / total
    contexts = {qid: (setup.contexts.get(qid) if setup else None) for qid in key.questions()}
    right = {k: v[1] is not None and (v[1] == fraction(answers[k].exact) if k[1] == "count"
                                       else close(v[1], answers[k].exact, tol, digits))
             for k, v in submitted.items() if k in answers}  # a count (of parameters) is exact
    wrong_in: dict = {}
    for k, ok in right.items():  # from here on, (kind, node): a graph's own names
        q, kind, node, ctx, x = k[0], k[1], answers[k].at, contexts.get(k[0]), submitted[k][1]
        if not ok and x is not None and ctx is not None and node in ctx.graph.by_key and not absurd(ctx.graph, node, kind, _rational(x)):
            wrong_in.setdefault(q, {})[(kind, node)] = _rational(x)
    held: dict = {}  # question → (kind, node) → (the key's value, their number), of the answers they got right there
    for k, ok in right.items():
        q, kind, node, ctx = k[0], k[1], answers[k].at, contexts.get(k[0])
        if ok and ctx is not None and kind in ("value", "loss", "gradient"):
            known = (ctx.adjoint if kind == "gradient" else ctx.values).get(node)
            if known is not None:
                held.setdefault(q, {})[(kind, node)] = (known, submitted[k][1])
    people = {a.at: a.of for a in key.answers}  # a node's name as the key writes it, for verdicts
    for qid in key.questions():
        mine = {k: v for k, v in submitted.items() if k[0] == qid}
        items = [a for k, a in answers.items() if k[0] == qid and (not a.upstream or k in mine)]
        ctx = contexts[qid]
        wrong = {}
        own = {answers[k].at for k in mine if k[1] in ("value", "loss") and k in answers}
        for other, w in wrong_in.items():  # another question lends what its graph computes as ours does
            if other != qid and ctx is not None and contexts[other] is not None:
                fixed = {o for (kind, o) in held.get(other, {}) if kind in ("value", "loss")}
                wrong.update(lent(contexts[other].graph, ctx.graph, w, fixed, own))
        wrong.update(wrong_in.get(qid, {}))
        slips = slipped(ctx, cache, (key.name, qid)) if ctx is not None else {}
        eqs = setup.equations.get(qid, {}) if setup else {}
        for a in items:
            k = (qid, a.kind, a.of)
            top = max_points(grading, a, count) * scale.get(qid, 1)
            base = dict(student=student, question=qid, kind=a.kind, of=a.of, expected=a.display,
                        max_points=top, latex=a.shown, equation=step(eqs, a.latex))
            if k not in mine:
                marks.append(Mark(answer="", points=Fraction(0), status="missing", verdict="missing", **base))
                continue
            text, x, unreadable = mine[k]
            if x is None:
                marks.append(Mark(answer=text, points=Fraction(0), status="wrong", verdict="wrong",
                                  explanation=unreadable, plain=True, **base))
                continue
            if right[k]:
                marks.append(Mark(answer=text, points=top, status="correct", verdict="correct", **base))
                continue
            found = _partial(ctx, a, x, wrong, slips, shares, grading, tol, digits, held.get(qid, {}), people)
            if found is None:
                why = ""
                if ctx is not None and a.at in ctx.graph.by_key and absurd(ctx.graph, a.at, a.kind, _rational(x)):
                    why = "impossible for this quantity (outside its range), so not carried forward"
                marks.append(Mark(answer=text, points=Fraction(0), status="wrong", verdict="wrong",
                                  explanation=why, **base))
            else:
                status, verdict, share, why = found
                marks.append(Mark(answer=text, points=min(top, top * share), status=status, verdict=verdict,
                                  explanation=why, **base))
    return marks


def lent(theirs, ours, wrong: dict, fixed=frozenset(), own=frozenset()) -> dict:
    """The wrong answers ``wrong`` ((kind, of) → value) of a question on the graph ``theirs``
    that carry forward into a question on ``ours``: all of them when the graphs are the same
    (the same loss), and otherwise each forward value whose node ``ours`` computes the same way
    (the node and every node it depends on alike: Question 1's o1 in Question 2's loss), unless
    a node that depends on it is among ``fixed``, the values the student got right in that
    question (a slip in writing z2 down, with ŷ from the right z2, is not carried on), or the
    student answered it or a node it depends on in the question lent to (``own``: their own
    chain there is the one to follow)."""
    if theirs.nodes == ours.nodes:
        return wrong
    upstream = set().union(*(theirs.ancestors_of(f) for f in fixed if f in theirs.by_key))
    return {(kind, of): v for (kind, of), v in wrong.items()
            if kind == "value" and of not in upstream and _same_cone(theirs, ours, of)
            and not (ours.ancestors_of(of) | {of}) & own}


def _same_cone(theirs, ours, key: str) -> bool:
    """True when node ``key`` and every node it depends on are alike in both graphs (the same
    kind, expression and value)."""
    if key not in theirs.by_key:
        return False
    for k in theirs.ancestors_of(key) | {key}:
        a, b = theirs.by_key[k], ours.by_key.get(k)
        if b is None or (a.kind, a.expr, a.value) != (b.kind, b.expr, b.value):
            return False
    return True


def _rational(x: Fraction) -> sp.Rational:
    return sp.Rational(x.numerator, x.denominator)


def _partial(ctx, a: KeyAnswer, x: Fraction, wrong: dict, slips: dict, shares: dict, grading: Grading,
             tol: Tolerance, digits: int, held: dict, people: dict):
    """(status, verdict, share, explanation) of a wrong answer that earns partial credit, or None
    (``held``: the answers the student got right in this question, at the key's values;
    ``people``: graph node → the name the key gives it)."""
    if ctx is None or a.step is not None:
        return None
    best = None
    got = carried(ctx, a.kind, a.at, wrong, lambda v: close(x, v, tol, digits), held,
                  lambda y, v: close(y, v, tol, digits))
    if got is not None:
        value, used = got
        names = ", ".join(label(kind, people.get(node, node)) for kind, node in used)
        best = ("carried", f"carried forward from {names}", grading.share_carried(),
                f"right from your own {names} (your earlier numbers give "
                f"{format(Decimal(padded(fraction(value), digits)), 'f')})")
    for name, share in shares.items():
        if best is not None and share <= best[2]:
            continue
        if any(close(x, v, tol, digits) for v in slips.get(name, {}).get((a.kind, a.at), [])):
            best = ("misconception", f"misconception: {name}", share, MISCONCEPTIONS[name].title)
    return best
