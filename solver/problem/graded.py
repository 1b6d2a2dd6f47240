"""The plain data of grading's inputs: a key's answers (:class:`Key`, read by
:mod:`.answer_keys`) and a submitted row (:class:`Submitted`, read by :mod:`.submissions`).
No file is touched here, so that later stages may import it."""


import msgspec
import sympy as sp
from msgspec import field

from ..core.names import element_label


class KeyAnswer(msgspec.Struct, frozen=True):
    """One answer of a key: ``exact`` the exact value (a Rational; a 30-digit decimal where the
    value is irrational), ``display`` the key's rounding of it. ``of`` is its name as people
    write it (a tensor's element ``Q[1,1]``, numbered from 1 as the key writes Q₁₁); ``node``
    the name of its node in the question's graph where that differs (``Q[0,0]``, numbered
    from 0 as PyTorch indexes it)."""

    question: str
    kind: str
    of: str
    latex: str
    exact: sp.Rational
    display: str
    upstream: bool = False
    step: int | None = None
    node: str = ""

    @property
    def at(self) -> str:
        """The answer's node in the question's graph."""
        return self.node or self.of

    @property
    def shown(self) -> str:
        """The LaTeX that names this answer in feedback: ``latex``, with a tensor element's
        indices from 1 after it (``Q\\,[1, 2]``, as the exports label its blank)."""
        if not self.node:
            return self.latex
        return element_label(self.latex, tuple(int(i) for i in self.of[self.of.index("[") + 1:-1].split(",")))


class Key(msgspec.Struct, frozen=True):
    """One key: its ``name`` (the file's stem, or the class file's student), the problem's
    stem, its variant code ("" when not a variant), the student it belongs to ("" for
    everyone), the given values by name, and its questions' answers in order."""

    name: str
    problem: str
    variant: str
    student: str
    given: dict
    answers: tuple[KeyAnswer, ...]
    titles: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)  # question id → its points (Fraction), where the problem gives them

    def questions(self) -> list[str]:
        return list(dict.fromkeys(a.question for a in self.answers))


class Submitted(msgspec.Struct, frozen=True):
    """One row: ``value`` is an exact Rational, or nested lists of them (a vector, a matrix), or
    ``None`` when the answer is not a number (``unreadable`` says why). A row that cannot be
    read as a row (``error`` says why: too few or too many cells) leaves its student ungraded."""

    row: int
    student: str
    question: str
    of: str
    text: str
    value: object
    variant: str = ""
    kind: str = ""
    unreadable: str = ""  # why ``text`` is not a number (``value`` is then ``None``)
    error: str = ""  # why the row cannot be read (its student is not graded)


def flat(value) -> list[tuple[tuple[int, ...], sp.Rational]]:
    """Each number of an answer with its index (``()`` for a plain number), row-major."""
    if not isinstance(value, list):
        return [((), value)]
    return [((i,) + idx, v) for i, item in enumerate(value) for idx, v in flat(item)]
