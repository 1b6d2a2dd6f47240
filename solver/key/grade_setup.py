"""What grading needs from a problem for one key: each question's graph with the key's given
values, its exact values and gradients, the learning rate of its update, its loss's
reductions (a :class:`~.misconceptions.Context`), and the key's equations by their left-hand
side (the step the feedback shows). A variant key's problem is its variant, regenerated from
its code as ``nnsolve solve --variant`` does; every key is checked against the problem
(the key's numbers must be the problem's)."""

from __future__ import annotations

import msgspec
import sympy as sp
from msgspec import field

from ..core.errors import ProblemError
from ..graph.backprop import backward, forward
from ..graph.carried import with_given
from ..graph.network import build_network
from ..graph.spec import build_graph_spec
from ..ops.losses import LOSSES
from ..problem.graded import Key
from ..problem.grading import Grading
from ..problem.schema import Problem
from .misconceptions import Context
from .question import NUMERIC
from .solve import solve
from .variants import parse_code, variant


class Setup(msgspec.Struct):
    """A key's problem as grading reads it: contexts by question id, the key's significant
    figures, the grading block, the equations by question id then left-hand side (LaTeX) and
    the problem file's name."""

    contexts: dict = field(default_factory=dict)
    digits: int = 4
    grading: Grading = field(default_factory=Grading)
    equations: dict = field(default_factory=dict)
    problem_file: str = ""


def _context(problem: Problem, q, key: Key, file: str) -> Context | None:
    build = build_graph_spec if problem.graph is not None else build_network
    try:
        graph = with_given(build(problem, q, file), key.given)
        values = forward(graph)
        adjoint = backward(graph, values).adjoint if graph.loss else {}
    except (ProblemError, ValueError, KeyError):
        return None
    spec = q.loss if getattr(q, "loss", None) is not None else problem.loss
    loss = getattr(spec, "type", "") if spec is not None else ""
    reduction = (getattr(spec, "reduction", None) or (LOSSES[loss].default_reduction if loss else "")) \
        if spec is not None else ""
    batch = (getattr(spec, "batch", None) or "mean") if spec is not None else "mean"
    eta = q.learning_rate if "update" in q.ask and q.learning_rate is not None else None
    return Context(graph, values, adjoint, eta, loss, reduction, batch, q.update_biases)


def _check(key: Key, contexts: dict, key_file: str, problem_file: str) -> None:
    """The key's exact values must be the problem's (else: another problem, or another variant)."""
    for a in key.answers:
        ctx = contexts.get(a.question)
        if ctx is None or a.step is not None or a.at not in ctx.graph.by_key:
            continue
        mine = ctx.values.get(a.at) if a.kind in ("value", "loss") else ctx.adjoint.get(a.at) \
            if a.kind == "gradient" else None
        if mine is None:
            continue
        if abs(sp.Float(mine, 40) - a.exact) > sp.Rational(1, 10**20) * max(1, abs(a.exact)):
            who = f" (variant {key.variant})" if key.variant else ""
            raise ProblemError(f"its {a.kind} of {a.of} in {a.question} is {a.display}, but {problem_file}"
                               f"{who} gives {sp.Float(mine, 6)}: this key is not of that problem",
                               file=key_file, field=f"{a.question}.{a.of}")


def _same_problem(key: Key, problem: Problem, sol, key_file: str, problem_file: str) -> None:
    """The key's questions must be the problem's, and its given values the problem's own: the
    contexts take the key's given values, so a problem with another weight would otherwise
    grade by the key's numbers and explain with its own steps."""
    who = f" (variant {key.variant})" if key.variant else ""
    ids = {q.id for q in problem.questions}
    for qid in key.questions():
        if qid not in ids:
            raise ProblemError(f"its question {qid!r} is not in {problem_file}{who}: this key is not of that problem",
                               file=key_file, field="questions")
    theirs = msgspec.json.decode(msgspec.json.encode(dict(sol.given_values))) if sol is not None else {}
    for name, value in key.given.items():
        if name in theirs and theirs[name] != value:
            raise ProblemError(f"its {name} is {value}, but {problem_file}{who} gives {theirs[name]}: this key is "
                               "not of that problem", file=key_file, field=f"given.{name}")


def setup_for(key: Key, data: dict, problem: Problem, problem_file: str, key_file: str) -> Setup:
    """Everything grading reads from ``problem`` (its ``data`` as parsed) for ``key``.

    Raises:
        ProblemError: the key's variant code cannot be regenerated, or its numbers are not the problem's.
    """
    if key.variant:
        try:
            seed, number = parse_code(key.variant)
        except ValueError as exc:
            raise ProblemError(str(exc), file=key_file, field="variant") from None
        problem = variant(data, problem, seed, number, problem_file).problem
    contexts = {}
    wanted = set(key.questions())
    for q in problem.questions:
        if q.id in wanted and any(a in q.ask for a in NUMERIC):
            ctx = _context(problem, q, key, problem_file)
            if ctx is not None:
                contexts[q.id] = ctx
    _check(key, contexts, key_file, problem_file)
    equations: dict = {}
    try:
        sol = solve(problem, key.problem)
    except (ProblemError, ValueError):
        sol = None
    _same_problem(key, problem, sol, key_file, problem_file)
    for sec in sol.sections if sol else ():
        eqs = equations.setdefault(sec.id, {})
        for part in sec.parts:
            for block in part.blocks:
                for eq in block.equations:
                    eqs.setdefault(eq.lhs, eq.inline)
    grading = problem.grading if getattr(problem, "grading", None) is not None else Grading()
    return Setup(contexts, problem.precision, grading, equations, problem_file)
