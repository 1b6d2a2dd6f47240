"""A class roster for ``nnsolve variants --roster``: a CSV file whose ``student`` column
names each student (an id, used in file names), one variant per student in the file's
order; a ``name`` column, if present, is printed on the student's paper and key (beside the
variant code) and carried into the class answers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..core.errors import ProblemError
from .fields import quoted
from .loader import read_text
from .text import check_typesettable

MAX_STUDENTS = 10_000
#: The longest name printed on a paper (characters).
MAX_NAME = 100
#: A student id as it may appear in a file name.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)


def load_roster(path: str | Path) -> list[dict[str, str]]:
    """The students of a roster, in order: ``{"student": id, "name": name or ""}``.

    Raises:
        ProblemError: the file cannot be read, has no ``student`` column, an id that is
            empty, repeated or not usable in a file name, a name longer than :data:`MAX_NAME`
            or holding a character LaTeX cannot typeset (naming the row), or no students.
    """
    file = str(path)
    text = read_text(path).lstrip("\ufeff")  # Excel's "CSV UTF-8" starts with a byte-order mark
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames:
        reader.fieldnames = [h.strip().lower() for h in reader.fieldnames]  # "Student", "Name" too
    rows = list(reader)
    if "student" not in (reader.fieldnames or ()):
        raise ProblemError("a roster is a CSV file with a 'student' column (and optionally 'name')",
                           file=file, field="(file)")
    if not rows:
        raise ProblemError("the roster has a header but no students", file=file, field="(file)")
    if len(rows) > MAX_STUDENTS:
        raise ProblemError(f"the roster has more than {MAX_STUDENTS:,} students", file=file, field="(file)")
    seen: dict[str, tuple[str, int]] = {}  # id, case aside → (id as written, its line)
    out = []
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        sid = (row.get("student") or "").strip()
        if not _ID.fullmatch(sid):
            raise ProblemError(f"{quoted(sid)} is not a student id (letters, digits, '.', '_', '-'; "
                               "up to 64 characters)", file=file, field=f"line {i}")
        if sid.casefold() in seen:
            first, line = seen[sid.casefold()]
            again = "is listed twice" if first == sid else f"and {quoted(first)} differ only in case (their files " \
                "would be one on macOS and Windows)"
            raise ProblemError(f"the student {quoted(sid)} {again} (lines {line} and {i})",
                               file=file, field=f"line {i}")
        seen[sid.casefold()] = (sid, i)
        name = (row.get("name") or "").strip()
        try:
            if len(name) > MAX_NAME:
                raise ValueError(f"the name is longer than {MAX_NAME} characters")
            check_typesettable(name)
        except ValueError as e:
            raise ProblemError(f"name: {e}", file=file, field=f"line {i}") from None
        out.append({"student": sid, "name": name})
    return out
