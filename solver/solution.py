"""From a validated :class:`~solver.problem.Problem` to a :class:`Solution`: the
ordered steps of the answer key (symbolic, substituted, value) and the answers.

Nothing here touches files; :mod:`solver.render` lays a solution out.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .numbers import display
from .problem import Problem
from .steps import Equation


@dataclass(frozen=True)
class Block:
    """A titled group of equations (a neuron, the loss, one gradient, a note).

    ``title`` and ``text`` are prose with inline math in ``$…$``; equations are LaTeX."""

    kind: str
    title: str = ""
    text: str = ""
    equations: tuple[Equation, ...] = ()
    display: str = ""


@dataclass(frozen=True)
class Part:
    """A headed part of a question's solution (forward pass, loss, backward pass…)."""

    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Answer:
    """One answer of the answers JSON (the autograding contract, see :mod:`solver.answers`).

    ``kind`` is value, loss, gradient, update, count, shape or derivation; ``of`` the name
    from the problem file (a node, a parameter, a layer, ``total`` or a derivation's name).
    ``value`` is a float, or a list for a shape."""

    kind: str
    of: str
    latex: str
    exact: str
    value: float | list
    display: str
    step: int | None = None  # training: after how many steps (absent otherwise)
    upstream: bool | None = None  # True for an intermediate ∂L/∂n shown on the way (absent otherwise)
    verified: bool | None = None  # derivations: whether sympy checked every step


@dataclass(frozen=True)
class Table:
    """A titled table of math cells (LaTeX, without dollars)."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def wide(self) -> bool:
        """More columns than fit a page at normal size (LaTeX scales it down)."""
        return len(self.header) > 6


@dataclass(frozen=True)
class Plot:
    """A line plot (the loss against the step of training).

    ``name`` is unique within the key (it names the image file beside a Markdown key)."""

    name: str
    title: str
    xlabel: str
    ylabel: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Section:
    """The solution of one question."""

    id: str
    title: str
    text: str
    parts: tuple[Part, ...]
    tables: tuple[Table, ...]
    final: tuple[str, ...]
    answers: tuple[Answer, ...]
    plots: tuple[Plot, ...] = ()
    asked: str = ""  # what the question asks, in words (for the question sheet)


@dataclass(frozen=True)
class Solution:
    """A whole answer key."""

    stem: str
    title: str
    statement: str
    given: tuple[Block, ...]
    sections: tuple[Section, ...]
    diagram: object = None        # a solver.diagram.Diagram for the key (with values)
    sheet_diagram: object = None  # the same without answers, for the question sheet


def answer(kind: str, of: str, latex: str, value: sp.Expr, digits: int, step: int | None = None,
           upstream: bool | None = None) -> Answer:
    """An answer, with its exact value as sympy prints it and its display rounding."""
    shown = display(value, digits)
    exact = str(value) if value.is_Rational else sp.Float(value, 30).__str__()
    return Answer(kind, of, latex, exact, float(value), shown.text, step, upstream)



def solve(problem: Problem, stem: str, digits: int | None = None, file: str | None = None,
          style: str | None = None) -> Solution:
    """The answer key of ``problem``.

    Args:
        problem: a validated problem.
        stem: the output name (the problem file's stem).
        digits: significant figures shown; defaults to the problem's ``precision``.
        file: the problem file's path, for error messages.
        style: ``neuron`` or ``graph`` (staged); defaults to the problem's ``style``,
            else ``graph`` for graph problems and ``neuron`` for networks.

    Raises:
        ProblemError: a question names an unknown quantity, or needs a loss or target
            that is not given, or the network cannot be evaluated.
    """
    from .given import given_blocks
    from .sections import SectionBuilder

    style = style or problem.style or ("graph" if problem.graph is not None else "neuron")
    digits = digits or problem.precision
    shown: set = set()
    sections = []
    given = ()
    diagrams = (None, None)
    for qi, q in enumerate(problem.questions):
        builder = SectionBuilder(problem, q, qi, digits, shown, file, style)
        if builder.graph is not None:
            if not given:
                given = given_blocks(problem, builder.graph, digits)
            if diagrams[0] is None or (problem.graph is not None and builder.grads is not None and builder.asked()):
                diagrams = _diagrams(problem, builder)
        sections.append(builder.build())
    return Solution(stem, problem.title, problem.statement, given, tuple(sections), *diagrams)


def _diagrams(problem: Problem, builder) -> tuple:
    from .diagram import graph_diagram, network_diagram

    g = builder.graph
    if problem.graph is None:
        return network_diagram(g, values=True), network_diagram(g, values=False)
    adjoint = builder.grads.adjoint if builder.grads is not None and builder.asked() else None
    return graph_diagram(g, builder.values, adjoint), graph_diagram(g, None, None)
