"""From a validated problem to its :class:`~solver.key.model.Solution`: the driver of
the key stage. Each question's section is built by :mod:`.section`; nothing here
touches files or lays anything out."""

from __future__ import annotations

from ..core.collector import collector_paused
from ..core.errors import ProblemError
from ..core.options import Options
from ..graph.network import build_network
from ..problem.fields import written
from ..problem.schema import Problem
from .given import given_blocks, given_values
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

    Python's cyclic garbage collector is paused while the key is built
    (:func:`~solver.core.collector.collector_paused`).
    """
    with collector_paused():
        return _solve(problem, stem, options, file)


def _solve(problem: Problem, stem: str, options: Options, file: str | None) -> Solution:
    if options.documentclass == "exam":
        for qi, q in enumerate(problem.questions):
            if q.points is not None and (2 * q.points).q != 1:  # \part[1\half]; \part[0.25] misreads
                raise ProblemError(f"the exam class counts whole and half points only (got "
                                   f"{written(q.points)}); give points in halves, or use --documentclass article",
                                   file=file, field=f"questions[{qi}].points")
    style = options.style or problem.style or ("graph" if problem.graph is not None else "neuron")
    digits = options.precision or problem.precision
    shown: set = set()
    derived = Derived()
    graphs: dict = {}  # questions with the same graph share it, its values and gradients
    sections = []
    given = ()
    values = ()
    figure = None
    for qi, q in enumerate(problem.questions):
        work = QuestionWork(problem, q, qi, digits, shown, file, style, derived, graphs)
        if work.graph is not None:
            if not given:
                given = given_blocks(problem, work.graph, digits)
            known = {k for k, _ in values}  # once per question: a set, not a dict of values per name
            values += tuple(kv for kv in given_values(work.graph) if kv[0] not in known)
            if figure is None or (problem.graph is not None and work.grads is not None and work.asked()):
                figure = _figure(problem, work)
        sections.append(build_section(work))
    if not values and problem.network is not None and not problem.network.recurrent \
            and not problem.network.convolutional:  # learning rules: no question built a graph
        graph = build_network(problem, problem.questions[0], file)
        given, figure = given_blocks(problem, graph, digits), Figure("network", graph)
        values = given_values(graph)
        if problem.target is not None:
            values += (("target", _written(problem.target)),)
    return Solution(stem, problem.title, problem.statement, given, tuple(sections), figure, given_values=values,
                    digits=digits)


def _written(value):
    """A target as written (numbers as exact text; a class as ``{"class": k}``)."""
    if isinstance(value, list):
        return [_written(v) for v in value]
    return {"class": value.class_} if hasattr(value, "class_") else written(value)


def _figure(problem: Problem, work: QuestionWork) -> Figure:
    """The network as drawn (weights from the graph), or a graph problem's stages with
    their values and, where gradients are asked, their gradients."""
    if work.graph.tensors:  # one box per tensor, its shape in it
        # a tensor graph's modules (ops.tensor, tensor expressions): imported for one only
        from ..graph.tensor_spec import tensor_level

        shapes = {t.key: r" \times ".join(map(str, t.shape)) if t.shape else r"\text{scalar}" for t in work.graph.tensors}
        return Figure("tensors", tensor_level(work.graph), shapes)
    if problem.graph is None:
        return Figure("network", work.graph)
    adjoint = work.grads.adjoint if work.grads is not None and work.asked() else None
    return Figure("graph", work.graph, work.values, adjoint)
