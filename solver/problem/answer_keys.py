"""Answer keys read back for grading (``nnsolve grade --key``): an answers JSON of
``nnsolve solve -f json``, a folder of them, or a class's ``answers.json`` of ``nnsolve
variants`` (one key per student). A tensor's answer is read as one answer per element,
``of`` written ``name[i,j]`` numbered from 1 as the key writes the element (Q₁₂ is ``Q[1,2]``),
its graph node numbered from 0 as PyTorch indexes it (the JSON's own order)."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import sympy as sp

from ..core.errors import ProblemError
from .graded import Key, KeyAnswer
from .loader import read_text

#: A key's exact value beyond 10^±BEYOND (sigmoid(-1e20) ≈ 7.711 × 10^{-43429448190325182766}) is
#: read at 10^±BEYOND with its own digits: still further out than any number a student can type
#: (four exponent digits), so every verdict is the same, and it is read at once (as a Rational
#: of 43-quintillion digits it would never be).
BEYOND = 20_000
_POWER = re.compile(r"([+-]?[0-9]*\.?[0-9]*)[eE]([+-]?[0-9]+)")


def _exact(text) -> sp.Rational:
    text = str(text).strip()
    m = _POWER.fullmatch(text)
    if m and (len(m.group(2)) > 40 or abs(int(m.group(2))) > BEYOND):
        text = f"{m.group(1)}e{'-' if m.group(2).startswith('-') else ''}{BEYOND}"
    return sp.Rational(text)


def _elements(exact, display, prefix=()):
    if isinstance(exact, list):
        for i, (e, d) in enumerate(zip(exact, display)):
            yield from _elements(e, d, prefix + (i,))
    else:
        yield prefix, exact, display


def _answers(questions: list, file: str) -> tuple[KeyAnswer, ...]:
    out = []
    try:
        for q in questions:
            for a in q["answers"]:
                if a["kind"] in ("shape", "derivation"):  # a count is a number: graded exactly
                    continue
                common = dict(question=str(q["id"]), kind=a["kind"], latex=a.get("latex", ""),
                              upstream=bool(a.get("upstream")), step=a.get("step"))
                if isinstance(a["exact"], list):
                    for idx, e, d in _elements(a["exact"], a["display"]):
                        out.append(KeyAnswer(of=f"{a['of']}[{','.join(str(i + 1) for i in idx)}]",
                                             node=f"{a['of']}[{','.join(map(str, idx))}]", exact=_exact(e),
                                             display=str(d), **common))
                else:
                    out.append(KeyAnswer(of=a["of"], exact=_exact(a["exact"]), display=str(a["display"]),
                                         **common))
    except (KeyError, TypeError, ValueError, SyntaxError) as exc:
        raise ProblemError(f"not an answers JSON of nnsolve ({type(exc).__name__}: {exc})", file=file,
                           field="questions") from None
    return tuple(out)


def _titles(questions: list) -> dict:
    return {str(q.get("id")): q.get("title", "") for q in questions if isinstance(q, dict)}


def _points(questions: list) -> dict:
    """Each question's ``points`` (a Fraction of its decimal), where the key gives them."""
    return {str(q.get("id")): Fraction(str(q["points"])) for q in questions
            if isinstance(q, dict) and isinstance(q.get("points"), (int, float)) and q["points"] > 0}


def read_keys(path: Path) -> list[Key]:
    """The keys of ``path`` (a file or a folder of ``*.json``).

    Raises:
        ProblemError: a file that is not an answers JSON, or a folder without one.
    """
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise ProblemError("the folder holds no .json answer keys", file=str(path), field="(file)")
        return [k for f in files for k in read_keys(f)]
    file = str(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ProblemError(f"not JSON ({exc.msg})", file=file, field=f"line {exc.lineno}") from None
    if not isinstance(data, dict) or ("questions" not in data and "variants" not in data):
        raise ProblemError("not an answers JSON of nnsolve (no questions or variants)", file=file,
                           field="(top level)")
    if "variants" in data:
        return [Key(str(v.get("student", "")), str(data.get("problem", path.stem)), str(v.get("variant", "")),
                    str(v.get("student", "")), dict(v.get("given", {})), _answers(v["questions"], file),
                    _titles(v["questions"]), _points(v["questions"]))
                for v in data["variants"]]
    return [Key(path.stem, str(data.get("problem", path.stem)), str(data.get("variant", "")), "",
                dict(data.get("given", {})), _answers(data["questions"], file), _titles(data["questions"]),
                _points(data["questions"]))]
