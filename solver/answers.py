"""The answers JSON: the contract autograders read.

Shape (more keys may be added, none removed)::

    {"problem": stem, "title": ...,
     "questions": [{"id", "title",
                    "answers": [{"kind": value|loss|gradient|update, "of": name,
                                 "latex", "exact", "value", "display"}]}]}
"""

from __future__ import annotations

import json
from dataclasses import asdict

from .solution import Solution


def answers(solution: Solution) -> dict:
    """The answers of ``solution`` as plain data."""
    return {
        "problem": solution.stem,
        "title": solution.title,
        "questions": [
            {"id": sec.id, "title": sec.title,
             "answers": [{k: v for k, v in asdict(a).items() if v is not None} for a in sec.answers]}
            for sec in solution.sections
        ],
    }


def answers_json(solution: Solution) -> str:
    """The answers JSON text (stable key order, UTF-8, trailing newline)."""
    return json.dumps(answers(solution), indent=2, ensure_ascii=False) + "\n"
