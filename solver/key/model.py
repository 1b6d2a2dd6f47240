"""The answer key as plain data: a :class:`Solution` is a title, the given values and
one :class:`Section` per question, each of ordered :class:`Part` s of :class:`Block` s
of :class:`Equation` s (LaTeX strings), tables, plots and the :class:`Answer` s of the
answers JSON. Rendering (:mod:`solver.render`) only lays these out.
"""

from __future__ import annotations

import sys

import msgspec
import sympy as sp
from mpmath.libmp import dps_to_prec

from ..core.numbers import display, exact_text, float_text
from ..graph.model import Graph


class Equation(msgspec.Struct, frozen=True):
    """``lhs`` followed by (relation, LaTeX) parts, e.g. ``("=", "0.5")``."""

    lhs: str
    parts: tuple[tuple[str, str], ...]

    @property
    def inline(self) -> str:
        """The whole equation on one line."""
        return self.lhs + "".join(f" {rel} {tex}" for rel, tex in self.parts)


class Block(msgspec.Struct, frozen=True):
    """A titled group of equations (a neuron, the loss, one gradient, a note).

    ``title`` and ``text`` are prose with inline math in ``$…$``; equations are LaTeX."""

    kind: str
    title: str = ""
    text: str = ""
    equations: tuple[Equation, ...] = ()
    display: str = ""


class Part(msgspec.Struct, frozen=True):
    """A headed part of a question's solution (forward pass, loss, backward pass…)."""

    heading: str
    blocks: tuple[Block, ...]
    #: Whether every value it writes is new (the network after an update): a name an earlier
    #: question derived means another value here, so it is not recalled for this part.
    fresh: bool = False
    #: What else an equation of this part must share with one shown before to be recalled (the
    #: loss, for a backward pass: ∂L/∂o₁ = 1 under two losses is two derivations); ``None``: nothing.
    scope: object = None


class Answer(msgspec.Struct, frozen=True):
    """One answer of the answers JSON (the autograding contract, see :mod:`solver.answers`).

    ``kind`` is value, loss, gradient, update, count, shape or derivation; ``of`` the name
    from the problem file (a node, a parameter, a layer, ``total`` or a derivation's name).
    ``value`` is a float, or a list for a shape; for a tensor, ``value``, ``exact`` and
    ``display`` are nested lists in its ``shape``."""

    kind: str
    of: str
    latex: str
    exact: str | list
    value: float | list
    display: str | list
    step: int | None = None  # training: after how many steps (absent otherwise)
    upstream: bool | None = None  # True for what is shown on the way, not asked (absent otherwise): ASKED_KINDS
    verified: bool | None = None  # derivations: whether sympy checked every step
    shape: list | None = None  # a tensor's shape; its value, exact and display nested in it (absent otherwise)


#: The kinds of answer each ask of a question asks for, as its question paper names them
#: (:func:`solver.key.section.asked_text`). A question's answer of another kind is shown on the
#: way (``upstream``): the gradients and the loss before an update, the outputs after it where
#: only the loss after it is asked, a training run's first gradients and its optimizer's state.
#: Exports make no blank of it, and grading gives it points only where ``grading.points`` names it.
ASKED_KINDS = {"forward": ("value",), "loss": ("loss", "penalty"), "gradients": ("gradient",),
               "update": ("update",), "forward_after": ("value_after",), "loss_after": ("loss_after",),
               "train": ("update", "loss"), "count": ("count",), "shapes": ("shape",), "derive": ("derivation",),
               "perceptron": ("update", "mistakes", "converged"), "delta_rule": ("update", "loss")}


def on_the_way(asks, answers, loss: str | None = None) -> tuple[Answer, ...]:
    """``answers`` of a question that ``asks`` these, each of a kind no ask names marked
    ``upstream`` (:data:`ASKED_KINDS`). ``loss``: a graph's node that is its loss (a graph
    without a named loss), a ``value`` (``value_after``) that the loss (after) ask asks."""
    kinds = {k for a in asks for k in ASKED_KINDS[a]}
    named = {(k, loss) for ask, k in (("loss", "value"), ("loss_after", "value_after")) if ask in asks}
    return tuple(a if a.upstream or a.kind in kinds or (a.kind, a.of) in named
                 else msgspec.structs.replace(a, upstream=True) for a in answers)


class Table(msgspec.Struct, frozen=True):
    """A titled table of math cells (LaTeX, without dollars)."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def wide(self) -> bool:
        """More columns than fit a page at normal size (LaTeX scales it down)."""
        return len(self.header) > 6


class Plot(msgspec.Struct, frozen=True):
    """A line plot (the loss against the step of training).

    ``name`` is unique within the key (it names the image file beside a Markdown key)."""

    name: str
    title: str
    xlabel: str
    ylabel: str
    points: tuple[tuple[float, float], ...]


class Figure(msgspec.Struct, frozen=True, weakref=True):
    """What the key's diagram shows: a ``network`` (its weights' names and values), a
    ``graph`` problem's stages with each node's value and gradient (``None`` where not
    shown), or ``tensors``: one node per tensor, ``values`` its shape (LaTeX). The question sheet draws the same without numbers. Laid out by
    :mod:`solver.render.diagram`."""

    kind: str
    graph: Graph
    values: dict | None = None
    adjoint: dict | None = None


class Section(msgspec.Struct, frozen=True):
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
    points: str = ""  # the marks, as written in the problem file ("" when not given)
    steps: str = "step"  # what an answer's ``step`` counts: a training run's steps, or a learning rule's ``epoch``s


class Solution(msgspec.Struct, frozen=True):
    """A whole answer key."""

    stem: str
    title: str
    statement: str
    given: tuple[Block, ...]
    sections: tuple[Section, ...]
    figure: Figure | None = None  # what the key's diagram shows (the sheet's: the same without answers)
    variant: str = ""  # a per-student variant's code (``nnsolve variants``), or ""
    given_values: tuple[tuple[str, object], ...] = ()  # every input, parameter and target by name (exact text)
    digits: int = 4  # significant figures shown (the key's displayed rounding, for tolerances)


def answer(kind: str, of: str, latex: str, value: sp.Expr, digits: int, step: int | None = None,
           upstream: bool | None = None) -> Answer:
    """An answer, with its exact value as sympy prints it and its display rounding."""
    shown = display(value, digits)
    exact = exact_text(value) if value.is_Rational else _float_text(value)
    return Answer(kind, of, latex, exact, as_float(value), shown.text, step, upstream)


def as_float(value: sp.Expr) -> float:
    """``float(value)``; a ``Rational`` as ``p / q`` in integers (Python's division is correctly
    rounded, as sympy's evalf to 53 bits is) unless the result is below the normal floats."""
    if isinstance(value, sp.Rational):
        f = value.p / value.q
        if abs(f) >= _SMALLEST_NORMAL or value.p == 0:
            return f
    return float(value)


_SMALLEST_NORMAL = sys.float_info.min

_PREC_30 = dps_to_prec(30)


def _float_text(value: sp.Expr) -> str:
    """``str(Float(value, 30))``: for a ``Float``, what ``Float.__new__`` does with a number and
    ``dps=30`` (its value at 30 digits' precision, zero kept a Float), written by
    :func:`~solver.core.numbers.float_text` (12,000 answers of a sigmoid network, 28 µs each
    through ``str``)."""
    if type(value) is not sp.Float:
        return str(sp.Float(value, 30))
    return float_text(sp.Float._new(value._as_mpf_val(_PREC_30), _PREC_30, zero=False))
