"""What the exam class and a question paper need besides the worked solution: a title
without its own numbering (the class numbers the parts), back-references that name the
parts, the points and their total, and the answer space a question paper leaves."""

from __future__ import annotations

import re

from .room import answer_lines

#: A question's own label at the start of its title: "Question 2, continued:", "Q1 (a)",
#: "(a)", "1.", "T3:". The exam class numbers its parts itself, so the label would print twice.
#: Text, compiled by ``re`` when an exam-class document first needs it (an article does not).
_LABEL = r"""(?ix)^\s*(?:
      (?:Question|Exercise|Task|Part|Q|T)\s*\d+[a-z]?(?:\s*,\s*continued)?(?:\s*\([a-z]{1,3}\))?
    | \([a-z]{1,3}\) | [a-z]\) | \d+(?:\.\d+)*(?=[.:)])
    )\s*[:.)]?\s+"""


def unlabelled(title: str) -> str:
    """A question's title without its own numbering (``"Q1 (a) Forward pass"`` →
    ``"Forward pass"``), first letter capitalised; ``""`` when it is only a label
    (``"Question 3"``)."""
    m = re.match(_LABEL, title + " ")
    rest = (title + " ")[m.end():].strip() if m else title
    return rest[:1].upper() + rest[1:]


def answer_space(sec, per_line_cm: float = 0.35, least_cm: float = 3.0, most_cm: float = 16.0) -> str:
    """The height of the space a question paper leaves for the answer, as a TeX length:
    proportional to the worked solution's length, between ``least_cm`` and ``most_cm``."""
    return f"{min(most_cm, max(least_cm, per_line_cm * answer_lines(sec))):.1f}cm"


def total_points(sections) -> str:
    """The sum of the questions' points as written (``"12"``, ``"7.5"``), or ``""`` if none has points."""
    from fractions import Fraction

    given = [Fraction(s.points) for s in sections if s.points]
    if not given:
        return ""
    total = sum(given, Fraction(0))
    return str(total.numerator) if total.denominator == 1 else f"{float(total):g}"




def exam_points(points: str) -> str:
    r"""A question's points as the exam class reads them, whole and half points only (the key
    stage refuses others): ``2``, ``1\half``, ``\half`` (``\part[1.5]`` reads 1 and prints ".5")."""
    from fractions import Fraction

    whole, half = divmod(Fraction(points) * 2, 2)
    return (str(int(whole)) if whole or not half else "") + (r"\half" if half else "")


def part_refs(sections) -> dict[str, str]:
    """How the exam class names each question in a back-reference: the label the key uses
    (``Question 2``, ``Q1 (a)``, ``part (a)``) → ``part (b)``, the class's own numbering."""
    from ..key.recap import question_label

    return {question_label(sec.title, i): f"part ({chr(ord('a') + i)})" for i, sec in enumerate(sections)}


def refer(text: str, refs: dict[str, str]) -> str:
    """``text`` with each back-reference label of ``refs`` replaced (whole labels only:
    ``Question 1`` is not ``Question 10``)."""
    for label in sorted(refs, key=len, reverse=True):
        text = re.sub(re.escape(label) + r"(?![\w(])", lambda m, new=refs[label]: new, text)
    return text
