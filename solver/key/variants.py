"""Per-student variants of a problem: drawn, checked against the problem's requirements on
the graph's exact values, solved.

Variant ``k`` of seed ``s`` has the code ``"s-k"``; its values are the first of its
attempts (each a fresh stream, :class:`~solver.problem.randomize.Stream`) that meets every
requirement, so one variant is regenerated from its code alone, whatever the others were.
"""

from __future__ import annotations

import re
from collections import Counter

import msgspec
from msgspec import field
from msgspec.structs import replace

from ..core.errors import ProblemError
from ..core.options import Options
from ..graph.backprop import forward
from ..graph.conditions import failed
from ..graph.network import build_network
from ..graph.spec import build_graph_spec
from ..problem.randomize import Stream, draw, with_values
from ..problem.schema import Problem
from ..problem.validation import validate
from .model import Solution
from .question import NUMERIC
from .solve import solve
from .stated_check import check_stated

#: Attempts at one variant before the pool is declared too narrow.
MAX_ATTEMPTS = 1000
#: What a draw whose numbers cannot be evaluated (a log of a negative number) is counted as.
UNEVALUABLE = "the network can be evaluated"
_CODE = re.compile(r"([0-9]{1,18})-([0-9]{1,9})", re.ASCII)  # as variants --seed: 0 to 10^18


class Variant(msgspec.Struct, frozen=True):
    """One variant: its number (from 1), its code, the problem with its drawn values and
    the drawn values by path."""

    number: int
    code: str
    problem: Problem
    values: dict


class Tally(msgspec.Struct):
    """What the draws were: how many, how many accepted, and each requirement's rejections
    (a draw may fail several)."""

    draws: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)

    def worst(self) -> str:
        return self.rejected.most_common(1)[0][0] if self.rejected else ""


def code_of(seed: int, number: int) -> str:
    """``2026-17``: the seed and the variant number."""
    return f"{seed}-{number}"


def parse_code(code: str) -> tuple[int, int]:
    """(seed, number) of a variant code.

    Raises:
        ValueError: not a code of the form SEED-NUMBER.
    """
    m = _CODE.fullmatch(code.strip())
    if not m or int(m.group(2)) < 1:
        raise ValueError(f"'{code}' is not a variant code (SEED-NUMBER, as printed on the paper, e.g. 2026-17)")
    return int(m.group(1)), int(m.group(2))


def graphs(problem: Problem, file: str | None = None) -> list:
    """Each numeric question's graph with its forward values.

    Raises:
        ProblemError: a graph cannot be built; ValueError: its values cannot be computed.
    """
    build = build_graph_spec if problem.graph is not None else build_network
    return [(g, forward(g)) for g in (build(problem, q, file) for q in problem.questions
                                      if any(a in q.ask for a in NUMERIC))]


def attempt(data: dict, problem: Problem, seed: int, number: int, tries: int, file: str | None,
            tally: Tally | None = None) -> Variant | None:
    """Attempt ``tries`` (from 0) at variant ``number``: the variant, or ``None`` when its
    values miss a requirement (counted in ``tally``).

    Raises:
        ProblemError: the drawn values make an invalid problem, or a condition cannot be read.
    """
    rz = problem.randomize
    values = draw(problem, rz, Stream(seed, number, tries))
    try:
        drawn = validate(with_values(data, values), file)
        misses = _misses(drawn, file, first=tally is None)
    except ProblemError as exc:
        if exc.field == "randomize.require":
            raise
        # the file's own values were valid: say that a draw broke them
        raise ProblemError(f"a drawn value makes the problem invalid ({exc.field}: {exc.message})", file=file,
                           field="randomize.values") from None
    except ValueError:
        misses = [UNEVALUABLE]
    if tally is not None:
        tally.draws += 1
        tally.accepted += not misses
        tally.rejected.update(misses)
    return None if misses else Variant(number, code_of(seed, number), drawn, values)


def _misses(problem: Problem, file: str | None, first: bool = False) -> list[str]:
    """The requirements of ``problem``'s randomize block that its values miss (:func:`failed`).

    Raises:
        ProblemError: a condition that cannot be read (``randomize.require``).
        ValueError: the values cannot be evaluated.
    """
    try:
        return failed(graphs(problem, file), problem.randomize.requirements(), first=first)
    except ValueError as exc:
        if "condition" in str(exc):
            raise ProblemError(str(exc), file=file, field="randomize.require") from None
        raise


def require_randomize(problem: Problem, file: str | None = None) -> None:
    """Raises ProblemError (field ``randomize``) when ``problem`` has no variants to draw."""
    if problem.randomize is None:
        raise ProblemError("the problem has no randomize block, so it has no variants", file=file,
                           field="randomize")


def require_variants(data: dict, problem: Problem, file: str | None = None) -> None:
    """What a pool of variants needs before its first draw: a randomize block, and texts that
    state none of the values it draws (:func:`~.stated_check.check_stated`: each paper's Given
    section lists its own).

    Raises:
        ProblemError: no randomize block (``randomize``), or a text stating a drawn value (its field).
    """
    require_randomize(problem, file)
    check_stated(data, problem, file)


def check_randomize(data: dict, problem: Problem, file: str | None = None) -> None:
    """What ``nnsolve validate`` can tell of a randomize block without drawing a class: every
    condition of ``require`` reads on the problem's own values (a name no graph has is found
    here, not at the first draw), and a first draw makes a valid problem. Whether the problem's
    own values meet the requirements is not asked: they are the key's, not a variant's.

    Raises:
        ProblemError: a condition that cannot be read (``randomize.require``), a drawn value
            that makes the problem invalid (its field), or a text stating a drawn value (its field).
    """
    if problem.randomize is None:
        return
    try:
        _misses(problem, file)
    except ValueError:  # the file's own values cannot be evaluated: solving it says so
        pass
    attempt(data, problem, 0, 1, 0, file)
    check_stated(data, problem, file)


def variant(data: dict, problem: Problem, seed: int, number: int, file: str | None = None) -> Variant:
    """Variant ``number`` of ``seed``: its first attempt that meets every requirement.

    Raises:
        ProblemError: the problem has no ``randomize`` block, or no attempt in
            :data:`MAX_ATTEMPTS` meets the requirements (naming the one that rejects most).
    """
    require_randomize(problem, file)
    for tries in range(MAX_ATTEMPTS):
        found = attempt(data, problem, seed, number, tries, file)
        if found is not None:
            return found
    tally = Tally()  # why: every requirement's rejections, counted over a second pass
    for tries in range(MAX_ATTEMPTS):
        attempt(data, problem, seed, number, tries, file, tally)
    raise ProblemError(f"no draw of {MAX_ATTEMPTS} met the requirements; '{tally.worst()}' rejected "
                       f"{tally.rejected[tally.worst()]} of them (widen the ranges or relax it)",
                       file=file, field="randomize.require")


def solve_variant(v: Variant, stem: str, options: Options = Options(), file: str | None = None,
                  name: str = "") -> Solution:
    """The key of one variant, its code in the title (as every paper carries it), and the
    student's ``name`` beside it when the roster gives one: ``(variant 2026-17, Ada Lovelace)``."""
    sol = solve(v.problem, stem, options, file)
    return replace(sol, title=f"{sol.title} (variant {v.code}{', ' + name if name else ''})", variant=v.code)
