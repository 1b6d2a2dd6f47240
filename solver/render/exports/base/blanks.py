"""The blanks of an exported question: every numeric answer the question asks (not the
upstream gradients shown on the way, not shapes or derivations; a tensor's answer gives
one blank per element), each with the number it is compared with and the largest
distance accepted, from the problem's tolerance rule (:mod:`solver.core.tolerance`)."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from itertools import product

import msgspec

from ....core.names import element_label
from ....core.tolerance import Tolerance, bound, centre, padded
from ....key.model import Answer, Solution

#: Answer kinds that are not a number to type.
NOT_NUMERIC = ("shape", "derivation")
#: Significant digits of a number that is not a short exact decimal.
DIGITS = 15


class Blank(msgspec.Struct, frozen=True):
    """One auto-graded blank.

    Attributes:
        name: an identifier unique in the question (``q1_L``, ``q1_W1_0_1``).
        section: the index of its question (section) in the key.
        label: LaTeX of what is asked (``\\frac{\\partial L}{\\partial w_{1}}``), with a
            tensor element's index and a training step where they apply.
        kind, of: the answer's kind and name (as in the answers JSON).
        display: the key's displayed text; ``exact`` the exact value's text.
        centre, tolerance: what a typed number is compared with and the largest
            accepted distance, as exact decimal text when they are one (else 15 digits;
            the tolerance then rounded down, never accepting more than the rule).
        low, high: ``centre ∓ tolerance``, the accepted range (both ends included).
        points: the answer's points (``grading.points``; 1 by default), scaled so that a
            question's blanks share its ``points`` where it has them.
        quantity: what is asked, as plain text (``dL/dw3``, ``Q[1, 2]``, ``w1 after the update``,
            ``L after step 3``), for titles.
    """

    name: str
    section: int
    label: str
    kind: str
    of: str
    display: str
    exact: str
    centre: str
    tolerance: str
    low: str
    high: str
    points: Fraction
    quantity: str = ""


def decimal_text(x: Fraction, down: bool = False) -> str:
    """``x`` as plain decimal text: exact when it is a decimal of at most 40 digits, else
    rounded to :data:`DIGITS` significant digits (towards zero with ``down``)."""
    if x == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(x.numerator) / Decimal(x.denominator)
        if Fraction(d) != x or len(d.as_tuple().digits) > 40:
            q = Decimal(1).scaleb(d.adjusted() - DIGITS + 1)
            d = d.quantize(q, rounding=ROUND_DOWN if down else ROUND_HALF_EVEN)
        text = format(d.normalize(), "f") if -30 < d.adjusted() < 30 else format(d.normalize(), "e")
    return text


def _flat(value, shape):
    """(index, item) of a nested list in its shape, in row-major order."""
    for index in product(*(range(n) for n in shape)):
        item = value
        for i in index:
            item = item[i]
        yield index, item


_PREFIX = {"value": "", "loss": "", "gradient": "dL_d", "update": "new_"}


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


def asked(answer: Answer) -> bool:
    """Whether an answer is a number the question asks for."""
    return answer.kind not in NOT_NUMERIC and not answer.upstream and answer.display is not None


def blanks(solution: Solution, rule: Tolerance = Tolerance(), grading=None) -> list[Blank]:
    """Every blank of ``solution``, in the key's order, under the tolerance ``rule``;
    ``grading`` (the problem's grading block, or ``None``) gives each answer's points."""
    out: list[Blank] = []
    names: set[str] = set()
    for si, sec in enumerate(solution.sections):
        stepless = {(a.kind, a.of, str(a.exact)) for a in sec.answers if a.step is None}
        for a in filter(asked, sec.answers):
            if a.step == 0 and (a.kind, a.of, str(a.exact)) in stepless:
                continue  # a training's loss at step 0 is the question's L, one blank
            points = grading.points_for(a.kind, a.of) if grading is not None else Fraction(1)
            after = (f" after {sec.steps} {a.step}" if a.step is not None
                     else " after the update" if a.kind == "update" or a.kind.endswith("_after") else "")
            elements = (_flat(a.exact, a.shape) if a.shape else [((), a.exact)])
            shown = dict(_flat(a.display, a.shape)) if a.shape else {(): a.display}
            for index, exact in elements:
                display = str(shown[index])
                suffix = "_".join(str(i + 1) for i in index)  # numbered from 1, as the key writes Q₁₂
                base = _ident(f"{sec.id}_{_PREFIX.get(a.kind, a.kind + '_')}{a.of}"
                              + (f"_s{a.step}" if a.step is not None else "") + (f"_{suffix}" if suffix else ""))
                name, k = base, 2
                while name in names:
                    name, k = f"{base}_{k}", k + 1
                names.add(name)
                label = element_label(a.latex, tuple(i + 1 for i in index)) + (f" \\text{{{after}}}" if after else "")
                quantity = ({"gradient": f"dL/d{a.of}"}.get(a.kind, a.of)
                            + (f"[{', '.join(str(i + 1) for i in index)}]" if index else "") + after)
                value = Fraction(str(exact))
                # a count is shown whole (31,744): its blank wants that integer, not 4 figures of it
                shown_at = padded(value, solution.digits) if rule.kind == "display" and a.kind != "count" else display
                c, t = centre(value, rule, shown_at), bound(value, rule, shown_at)
                out.append(Blank(name, si, label, a.kind, a.of, display, str(exact), decimal_text(c),
                                 decimal_text(t, down=True), decimal_text(c - t), decimal_text(c + t), points, quantity))
    return _question_points(solution, out)


def _question_points(solution: Solution, out: list[Blank]) -> list[Blank]:
    """A question with ``points`` shares them among its blanks in the ratios of their own points
    (the paper's "[4 points]" is what the quiz gives for the question too)."""
    for si, sec in enumerate(solution.sections):
        mine = [b for b in out if b.section == si]
        total = sum((b.points for b in mine), Fraction(0))
        if sec.points and total:
            factor = Fraction(str(sec.points)) / total
            out = [msgspec.structs.replace(b, points=b.points * factor) if b.section == si else b for b in out]
    return out


def weights(items: list[Blank]) -> list[int]:
    """The blanks' points as whole numbers in the same ratios (Moodle's cloze weights)."""
    from math import lcm

    den = lcm(*(b.points.denominator for b in items)) if items else 1
    return [int(b.points * den) for b in items]
