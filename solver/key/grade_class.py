"""Grading a class: each student's rows matched to their key (the one key; a class key's
entry for that student or for the row's ``variant``; in a folder of keys, the key named by
``variant`` or the only key with that question), each key's problem set up once, every
student marked. A row that names what no key has (a question, an ``of``, a ``kind``, a variant),
repeats an answer or could not be read (its ``error``) leaves its student ungraded, with the
row's error; the rest of the class is marked all the same. No files are read or written here."""

from __future__ import annotations

import re

import msgspec
from msgspec import field

from ..core.errors import ProblemError
from ..core.tolerance import Tolerance
from ..problem.graded import Key, Submitted
from .grade_match import match
from .grade_setup import Setup, setup_for
from .grading import Mark, grade_student

#: The bad rows reported, one line each; a last line counts the others.
SHOWN = 20


class ClassGrades(msgspec.Struct):
    """Every student's marks (in the CSV's order of students), the key title of each, how
    numbers were marked, whether a problem was there for carried-forward marks, the error of
    each bad row (in the file's order; the first :data:`SHOWN`, then a count), whose student has
    no marks, and every bad row as (its row, its student or "", why)."""

    marks: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)
    tolerance: str = ""
    tolerance_only: bool = True
    errors: list = field(default_factory=list)
    ungraded: list = field(default_factory=list)

    def all_marks(self) -> list[Mark]:
        return [m for ms in self.marks.values() for m in ms]


def _digits(key: Key) -> int:
    """The key's significant figures, read off its displays (4 when none shows more)."""
    best = 0
    for a in key.answers:
        text = re.sub(r"e.*$", "", a.display.lstrip("-")).replace(".", "").lstrip("0")
        best = max(best, len(text))
    return best or 4


def _key_for(keys: list[tuple[Key, str]], r: Submitted, file: str) -> tuple[Key, str]:
    if len(keys) == 1:
        return keys[0]
    mine = [k for k in keys if k[0].student and k[0].student == r.student]
    if r.variant:
        named = [k for k in keys if r.variant in (k[0].variant, k[0].name)]
        if not named:
            raise ProblemError(f"variant: no key has the variant code or name {r.variant!r}", file=file,
                               field=f"row {r.row}")
        if mine and all(k not in named for k in mine):  # a listed student answers their own variant
            raise ProblemError(f"variant: {r.variant} is not student {r.student}'s variant "
                               f"({', '.join(k[0].variant or k[0].name for k in mine)})", file=file,
                               field=f"row {r.row}")
        mine = named if not mine else [k for k in mine if k in named]
    if not mine and not any(k[0].student for k in keys):
        mine = [k for k in keys if r.question in k[0].questions()]
    if len(mine) != 1:
        what = "no key" if not mine else f"{len(mine)} keys"
        raise ProblemError(f"{what} for student {r.student}, question {r.question} (give the variant column: "
                           "a variant code or a key's name)", file=file, field=f"row {r.row}")
    return mine[0]


def _problem_for(key: Key, problems: list) -> tuple | None:
    found = [p for p in problems if key.problem == p[3] or key.problem.startswith(p[3] + "-")]
    return found[0] if found else (problems[0] if len(problems) == 1 else None)


def grade_class(keys: list[tuple[Key, str]], rows: list[Submitted], file: str, problems: list) -> ClassGrades:
    """Marks of every student of ``rows`` (from ``file``); ``keys`` are (key, its file);
    ``problems`` are (data, problem, file, stem), possibly none (tolerance only).

    Raises:
        ProblemError: a key is not its problem's. (A row with no key, or naming what its key
            does not have, is an error of ``errors``: its student is not marked.)
    """
    groups: dict = {}
    bad: list = []  # (row, student, error)
    for r in rows:
        if r.error:  # a row that could not be read: its student is not graded
            bad.append((r.row, r.student, ProblemError(r.error, file=file, field=f"row {r.row}")))
            continue
        if not r.text:
            continue
        try:
            key, kfile = _key_for(keys, r, file)
        except ProblemError as exc:
            bad.append((r.row, r.student, exc))
            continue
        groups.setdefault(r.student, {}).setdefault(id(key), (key, kfile, []))[2].append(r)
    for r in rows:  # a student who left every answer blank is graded (all missing) where a key is theirs
        if not r.text and not r.error and r.student not in groups:
            try:
                key, kfile = _key_for(keys, r, file)
            except ProblemError:
                continue  # as blank rows always were: no answer, no error
            groups[r.student] = {id(key): (key, kfile, [])}
    first: dict = {}
    for r in rows:
        first.setdefault(r.student, r.row)
    groups = dict(sorted(groups.items(), key=lambda g: first[g[0]]))  # the CSV's order of students
    matched: dict = {}
    for student, by_key in groups.items():
        for k, (key, _, mine) in by_key.items():
            errors: list = []
            matched[(student, k)] = match(key, mine, file, errors)
            bad += [(row, student, exc) for row, exc in errors]
    ungraded = {student for _, student, _ in bad}
    setups: dict = {}
    cache: dict = {}
    bad.sort(key=lambda b: b[0])
    errors = [ProblemError(f"{exc.message}; " + (f"student {student} is not graded" if student else
                                                  "the row is not graded (it names no student)"),
                           file=exc.file, field=exc.field) for _, student, exc in bad]
    if len(errors) > SHOWN:  # a wrong key makes every row bad: the first rows say so
        errors[SHOWN:] = [ProblemError(f"{len(errors) - SHOWN} more bad rows not shown", file=file, field="(file)")]
    out = ClassGrades(errors=errors, ungraded=[(row, student, exc.message) for row, student, exc in bad])
    rules = set()
    for student, by_key in groups.items():
        if student in ungraded:
            continue
        marks: list[Mark] = []
        for k, (key, kfile, mine) in by_key.items():
            if id(key) not in setups:
                p = _problem_for(key, problems)
                setups[id(key)] = setup_for(key, p[0], p[1], p[2], kfile) if p else None
            setup: Setup | None = setups[id(key)]
            digits = setup.digits if setup else _digits(key)
            rules.add((setup.grading.rule() if setup else Tolerance()).describe(digits))
            out.tolerance_only = out.tolerance_only and setup is None
            marks += grade_student(student, key, matched[(student, k)], setup, digits, cache)
            out.titles.setdefault(student, key.problem + (f" (variant {key.variant})" if key.variant else ""))
        out.marks[student] = marks
    out.tolerance = " / ".join(sorted(rules))
    return out
