"""The files of ``nnsolve grade``: the key(s), the submissions and the problem file(s) read,
the class graded (:mod:`solver.key.grade_class`), and every output rendered (and each
feedback PDF built with ``-f pdf``): ``grades.csv``, ``totals.csv``, ``feedback/<student>.md`` (``.tex``
and ``.pdf`` with ``-f tex`` / ``-f pdf``), ``results/<student>.json`` (Gradescope), ``ungraded.csv``
when a bad row left a student ungraded; and a run's outputs written as one set, the files an
earlier run wrote that this one does not (a student ungraded now, or no longer in the
submissions) removed, so that no feedback in the folder is older than its grades.csv."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from pathlib import Path

from ..core.errors import BuildError
from ..key.grade_class import ClassGrades, grade_class
from ..problem.answer_keys import read_keys
from ..problem.loader import parse_yaml, read_text
from ..problem.submissions import read_submissions
from ..problem.validation import validate
from ..render.grades import (
    TOLERANCE_ONLY,
    feedback_md,
    feedback_tex,
    grades_csv,
    gradescope,
    totals_csv,
    ungraded_csv,
)
from .lock import output_lock
from .pdf import INSTALL_HINT, build_pdf, tex_available
from .writer import write_all

#: The list of what the last run wrote (path in the folder → SHA-256 of its content).
MANIFEST = ".nnsolve-grade.json"
#: The files ``grade`` writes that one run may write and the next not.
_OWN = re.compile(r"(feedback/[^/]+\.(md|tex|pdf)|results/[^/]+\.json|ungraded\.csv)")


def safe_name(student: str) -> str:
    """A student's id as a file name (anything but letters, digits, ``.``, ``-``, ``_`` as ``_``;
    accented letters kept, in Unicode's composed form)."""
    name = re.sub(r"[^\w.-]", "_", unicodedata.normalize("NFC", student)).strip(".") or "_"
    return name[:100]


def _unique(name: str, used: set) -> str:
    """``name``, or ``name-2``, ``name-3`` … when another student's file already has it, letter
    case aside (one folder on macOS and Windows): "ann smith" and "ann_smith" both read ann_smith."""
    k, out = 2, name
    while out.casefold() in used:
        out, k = f"{name}-{k}", k + 1
    used.add(out.casefold())
    return out


def graded(key: Path, submissions: Path, problems=()) -> ClassGrades:
    """The class's marks.

    Raises:
        ProblemError: a bad key, submissions file or problem file (one line, naming it and the row or field).
    """
    keys = [(k, str(f)) for f in _key_files(key) for k in read_keys(f)]
    rows = read_submissions(submissions)
    loaded = []
    for p in map(Path, problems):
        data = parse_yaml(read_text(p), str(p))
        loaded.append((data, validate(data, str(p)), str(p), p.stem))
    return grade_class(keys, rows, str(submissions), loaded)


def _key_files(key: Path) -> list[Path]:
    return sorted(key.glob("*.json")) or [key] if key.is_dir() else [key]


def grade_outputs(grades: ClassGrades, outdir: Path, formats=("md",)) -> list[tuple[Path, str | bytes]]:
    """Every output file of a graded class (PDFs built, one line on a failure).

    Raises:
        BuildError: ``-f pdf`` without LaTeX, or a feedback PDF that fails to build.
    """
    note = TOLERANCE_ONLY if grades.tolerance_only else ""
    files: list[tuple[Path, str | bytes]] = [(outdir / "grades.csv", grades_csv(grades.all_marks())),
                                             (outdir / "totals.csv", totals_csv(grades.marks, grades.titles))]
    if grades.ungraded:
        files.append((outdir / "ungraded.csv", ungraded_csv(grades.ungraded)))
    if "pdf" in formats and not tex_available():
        raise BuildError(f"cannot build PDFs: latexmk or pdflatex is not installed; {INSTALL_HINT}")
    used: set = set()
    for student, marks in grades.marks.items():
        name = _unique(safe_name(student), used)
        title = grades.titles.get(student, "")
        files.append((outdir / "feedback" / f"{name}.md",
                      feedback_md(student, title, marks, grades.tolerance, note)))
        if "tex" in formats or "pdf" in formats:
            tex = feedback_tex(student, title, marks, grades.tolerance, note)
            if "tex" in formats:
                files.append((outdir / "feedback" / f"{name}.tex", tex))
            if "pdf" in formats:
                result = build_pdf(tex, name)
                if result.pdf is None:
                    raise BuildError(f"feedback for {student}: LaTeX failed: {result.error}")
                files.append((outdir / "feedback" / f"{name}.pdf", result.pdf))
        files.append((outdir / "results" / f"{name}.json", gradescope(marks, grades.tolerance)))
    return files


def write_grades(files: list[tuple[Path, str | bytes]], outdir: Path) -> list[Path]:
    """Write a run's outputs (all or none) and remove the files the last run wrote in
    ``outdir`` that this one does not: only those its :data:`MANIFEST` lists, named as
    ``grade`` names them and unchanged since (a file edited or replaced since is kept).
    Returns the files removed.

    Raises:
        BuildError: a file cannot be written (nothing is replaced or removed then).
    """
    with output_lock(outdir):
        mine = {target.relative_to(outdir).as_posix(): _digest(content) for target, content in files}
        stale = {rel: digest for rel, digest in _manifest(outdir).items()
                 if rel not in mine and _OWN.fullmatch(rel) and _unchanged(outdir / rel, digest)}
        # listed until removed: a run stopped before the removal leaves them to the next
        write_all([*files, (outdir / MANIFEST, json.dumps({"files": {**mine, **stale}}, indent=1) + "\n")])
        removed = []
        for rel in stale:
            try:
                (outdir / rel).unlink()
                removed.append(outdir / rel)
            except OSError:
                pass
    return removed


def _digest(content: str | bytes) -> str:
    return hashlib.sha256(content.encode("utf-8") if isinstance(content, str) else content).hexdigest()


def _manifest(outdir: Path) -> dict:
    try:
        files = json.loads((outdir / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(files, dict) else {}


def _unchanged(path: Path, digest: str) -> bool:
    """Whether ``path`` is this user's regular file (not a link) holding what was written."""
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            return False
        return _digest(path.read_bytes()) == digest
    except OSError:
        return False
