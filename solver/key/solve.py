"""From a validated problem to its :class:`~solver.key.model.Solution`: the driver of
the key stage. Each question's section is built by :mod:`.section`; nothing here
touches files or lays anything out."""

from __future__ import annotations

from ..core.options import Options
from ..graph.tensor_spec import tensor_level
from ..problem.schema import Problem
from .given import given_blocks
from .model import Figure, Solution
from .question import QuestionWork
from .recap import Derived
from .section import build_section


def solve(problem: Problem, stem: str, options: Options = Options(), file: str | None = None) -> Solution:
    """The answer key of ``problem``.

    Args:
        problem: a validated problem.
        stem: the output name (the problem file's stem).
        options: ``style`` (``neuron``, ``matrix`` or ``graph``; default the problem's
            ``style``, else ``graph`` for graph problems and ``neuron`` for networks) and
            ``precision`` (significant figures; default the problem's) are read here.
        file: the problem file's path, for error messages.

    Raises:
        ProblemError: a question names an unknown quantity, or needs a loss or target
            that is not given, or the network cannot be evaluated.
    """
    style = options.style or problem.style or ("graph" if problem.graph is not None else "neuron")
    digits = options.precision or problem.precision
    shown: set = set()
    derived = Derived()
    sections = []
    given = ()
    figure = None
    for qi, q in enumerate(problem.questions):
        work = QuestionWork(problem, q, qi, digits, shown, file, style, derived)
        if work.graph is not None:
            if not given:
                given = given_blocks(problem, work.graph, digits)
            if figure is None or (problem.graph is not None and work.grads is not None and work.asked()):
                figure = _figure(problem, work)
        sections.append(build_section(work))
    return Solution(stem, problem.title, problem.statement, given, tuple(sections), figure)


def _figure(problem: Problem, work: QuestionWork) -> Figure:
    """The network as drawn (weights from the graph), or a graph problem's stages with
    their values and, where gradients are asked, their gradients."""
    if work.graph.tensors:  # one box per tensor, its shape in it
        shapes = {t.key: r" \times ".join(map(str, t.shape)) if t.shape else r"\text{scalar}" for t in work.graph.tensors}
        return Figure("tensors", tensor_level(work.graph), shapes)
    if problem.graph is None:
        return Figure("network", work.graph)
    adjoint = work.grads.adjoint if work.grads is not None and work.asked() else None
    return Figure("graph", work.graph, work.values, adjoint)
