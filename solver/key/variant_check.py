"""``nnsolve variants --check``: what a pool of variants looks like before any paper is
written: how often the requirements hold and which reject most, how spread the answers
are, how many variants differ, and which students would share every answer."""

from __future__ import annotations

import statistics

import msgspec
from msgspec import field

from ..core.errors import ProblemError
from ..core.options import Options
from ..problem.schema import Problem
from .variants import Tally, attempt, require_variants, solve_variant

#: A pool whose share of accepted draws is below this is refused.
MIN_ACCEPTANCE = 0.01


class PoolReport(msgspec.Struct):
    """The figures of a pool of ``n`` draws.

    Attributes:
        tally: the draws, the accepted ones, each requirement's rejections.
        spread: each answer (question, kind, of, step) → (min, median, max) over the
            accepted variants.
        distinct: how many accepted variants differ in their drawn values.
        coincide: pairs of variant codes whose every answer is displayed alike.
    """

    tally: Tally
    spread: dict = field(default_factory=dict)
    distinct: int = 0
    coincide: list = field(default_factory=list)


def check_pool(data: dict, problem: Problem, seed: int, n: int, file: str | None = None) -> PoolReport:
    """Draw variants 1 to ``n`` once each (their first attempt), solve the accepted ones.

    Raises:
        ProblemError: fewer than 1% of the draws are accepted (naming the requirement that
            rejects most), the problem has no randomize block, or a text states a drawn value.
    """
    require_variants(data, problem, file)
    tally = Tally()
    accepted = [v for v in (attempt(data, problem, seed, k, 0, file, tally) for k in range(1, n + 1)) if v]
    if tally.accepted < MIN_ACCEPTANCE * tally.draws:
        worst = tally.worst()
        raise ProblemError(f"only {tally.accepted} of {tally.draws} draws meet the requirements (under "
                           f"{MIN_ACCEPTANCE:.0%}); '{worst}' rejects {tally.rejected[worst]} of them",
                           file=file, field="randomize.require")
    values: dict[tuple, list[float]] = {}
    keys: dict[tuple, list[str]] = {}
    seen = set()
    for v in accepted:
        seen.add(tuple(repr(x) for x in v.values.values()))
        sol = solve_variant(v, "check", Options(formats=("json",)), file)
        shown = []
        for sec in sol.sections:
            for a in sec.answers:
                if isinstance(a.value, (int, float)):
                    values.setdefault((sec.id, a.kind, a.of, a.step), []).append(a.value)
                shown.append((sec.id, a.kind, a.of, a.step, str(a.display)))
        keys.setdefault(tuple(shown), []).append(v.code)
    spread = {k: (min(xs), statistics.median(xs), max(xs)) for k, xs in values.items()}
    pairs = [(a, b) for codes in keys.values() for i, a in enumerate(codes) for b in codes[i + 1:]]
    return PoolReport(tally, spread, len(seen), pairs)
