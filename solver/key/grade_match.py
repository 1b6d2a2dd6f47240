"""Which answer of the key each submitted row is: by question, ``of`` (a vector or matrix
answer's elements ``W1[1,2]``, numbered from 1 as the key names them, or from 0 for a
tensor's) and ``kind`` (default: the first answer about ``of`` in the key's order among
gradient, value, loss and update, else the first)."""

from __future__ import annotations

from ..core.errors import ProblemError
from ..problem.fields import written
from ..problem.graded import Key, Submitted, flat

PREFERRED = ("gradient", "value", "loss", "update")


def label(kind: str, of: str) -> str:
    """How an answer is named in verdicts: ``dL/dh1``, ``o1``, ``L``, ``w3 (update)``."""
    return {"gradient": f"dL/d{of}", "update": f"{of} (update)"}.get(kind, of)


def _kinds(key: Key, question: str, of: str) -> list[str]:
    found = [a.kind for a in key.answers if a.question == question
             and (a.of == of or a.of.startswith(of + "[") or (a.of[len(of):].isdigit() and a.of.startswith(of)))]
    return list(dict.fromkeys(found))


def match(key: Key, rows: list[Submitted], file: str) -> dict:
    """(question, kind, of) → (the number as text, exact Fraction, "") for ``rows`` of one
    student; (the text, ``None``, why it is not a number) for an answer that is not one.

    Raises:
        ProblemError: a row names a question, ``of`` or ``kind`` the key does not have, gives
            a list where the key has one number (or the wrong shape), or repeats an answer.
    """
    from fractions import Fraction

    names = {(a.question, a.kind, a.of) for a in key.answers}
    out: dict = {}
    where: dict = {}
    questions = key.questions()
    for r in rows:
        here = f"row {r.row}"
        if r.question not in questions:
            raise ProblemError(f"question '{r.question}' is not in the key {key.name} (it has "
                               f"{', '.join(questions) or 'no numeric answers'})", file=file, field=here)
        kinds = _kinds(key, r.question, r.of)
        if not kinds:
            raise ProblemError(f"of: '{r.of}' is not an answer of question {r.question} in the key {key.name}",
                               file=file, field=here)
        if r.kind and r.kind not in kinds:
            raise ProblemError(f"kind: question {r.question} has no {r.kind} answer of {r.of} (it has "
                               f"{', '.join(kinds)})", file=file, field=here)
        kind = r.kind or next((k for k in kinds if k in PREFERRED), kinds[0])
        if r.value is None:  # not a number: every answer it stands for is marked wrong, with the reason
            ofs = [r.of] if (r.question, kind, r.of) in names else \
                [o for q, k, o in names if q == r.question and k == kind and o.split("[")[0] == r.of]
            for of in ofs:
                out.setdefault((r.question, kind, of), (_plain(r.text), None, r.unreadable))
                where.setdefault((r.question, kind, of), here)
            continue
        items = flat(r.value)
        if items[0][0] == ():
            targets = [(r.of, items[0][1], r.text)]
        else:
            targets = None
            forms = [[f"{r.of}[{','.join(str(i + start) for i in idx)}]" for idx, _ in items] for start in (1, 0)]
            forms.append([f"{r.of}{idx[0] + 1}" if len(idx) == 1 else "" for idx, _ in items])  # p → p1, p2
            for ofs in forms:
                if all((r.question, kind, o) in names for o in ofs):
                    targets = [(o, v, written(v)) for o, (_, v) in zip(ofs, items)]
                    break
            if targets is None:
                raise ProblemError(f"answer: the shape of this list does not match {kind} {r.of} of question "
                                   f"{r.question}", file=file, field=here)
        for of, value, text in targets:
            k = (r.question, kind, of)
            if k not in names:
                raise ProblemError(f"answer: the key's {kind} {of} is a list; give it in brackets", file=file,
                                   field=here)
            if k in out:
                raise ProblemError(f"{kind} {of} of question {r.question} is answered twice (first in "
                                   f"{where[k]})", file=file, field=here)
            out[k] = (_plain(text), Fraction(int(value.p), int(value.q)), "")
            where[k] = here
    return out


def _plain(text: str) -> str:
    return text.strip()
