"""Running the stages for files: problem files → solutions → rendered outputs →
files written all-or-nothing (PDFs compiled on the way). The command line and the
Python API call these; every error is an :class:`~solver.core.errors.NNSolveError`."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import jinja2
import msgspec
from msgspec import field

from .core.errors import ProblemError, TemplateError, counted
from .core.options import Options
from .files.cache import template_cache
from .files.lock import output_lock
from .files.writer import write_all
from .key.model import Solution
from .key.solve import solve
from .problem.loader import parse_yaml, read_text
from .problem.validation import validate
from .render import FORMATS, Rendered, outputs

#: ``(items, label) -> context manager yielding the items``: a progress bar over PDF builds.
Progress = Callable[[list, str], object]


def expand(problems) -> list[Path]:
    """Files as given; a folder stands for its ``*.yaml`` files, in name order.

    Raises:
        ProblemError: a folder holds no problem files.
    """
    out: list[Path] = []
    for p in map(Path, problems):
        if p.is_dir():
            found = sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
            if not found:
                raise ProblemError("the folder holds no .yaml problem files", file=str(p), field="(file)")
            out += found
        else:
            out.append(p)
    return list(dict.fromkeys(out))  # the same file named twice is solved once


def solve_file(path: Path, options: Options = Options()) -> Solution:
    """Load, validate and solve one problem file.

    Raises:
        ProblemError: the file is bad, or ``--style`` does not apply to it.
    """
    data = parse_yaml(read_text(path), str(path))
    return _solve_loaded(path, data, validate(data, str(path)), options)


def _solve_loaded(path: Path, data: dict, problem, options: Options) -> Solution:
    """:func:`solve_file` of a file read and validated already (``data`` as parsed)."""
    if options.style in ("neuron", "matrix") and problem.graph is not None:
        raise ProblemError(f"a graph problem has no neurons or layers; --style {options.style} applies to networks",
                           file=str(path), field="(file)")
    if options.variant is None:
        return solve(problem, path.stem, options, file=str(path))
    from .key.variants import parse_code, solve_variant, variant  # only for --variant

    try:
        seed, number = parse_code(options.variant)
    except ValueError as exc:
        raise ProblemError(str(exc), file=str(path), field="--variant") from None
    v = variant(data, problem, seed, number, str(path))
    return solve_variant(v, f"{path.stem}-{v.code}", options, str(path))


def validate_file(path: Path) -> None:
    """Load, validate and solve one problem file, and check its randomize block
    (:func:`~solver.key.variants.check_randomize`) as ``nnsolve validate`` does.

    Raises:
        ProblemError: the file is bad.
    """
    data = parse_yaml(read_text(path), str(path))
    problem = validate(data, str(path))
    _solve_loaded(path, data, problem, Options())
    if problem.randomize is not None:
        from .key.variants import check_randomize

        check_randomize(data, problem, str(path))


def render_outputs(solution: Solution, options: Options, cache=None) -> list[Rendered]:
    """Every output of a solution (see :func:`solver.render.outputs`).

    Raises:
        TemplateError: a ``--templates`` template is broken (naming it and its line).
    """
    try:
        return outputs(solution, options, cache)
    except jinja2.TemplateError as exc:
        names = [FORMATS[f].template_for(options.documentclass) for f in options.formats if FORMATS[f].template]
        default = str(Path(options.templates) / names[0]) if options.templates and names else (names or ["?"])[0]
        msg = getattr(exc, "message", None) or str(exc)
        raise TemplateError(f"the template is broken: {msg}", file=getattr(exc, "filename", None) or default,
                            line=getattr(exc, "lineno", None)) from None


class Report(msgspec.Struct):
    """What a run did: the files written, and each problem file that failed with its error
    (the others were solved and written all the same, as a compiler goes on past a bad file)."""

    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, Exception]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every file was solved; 2 when a problem file or template was bad; 1 for
        anything else (a failed build, a bug)."""
        codes = [getattr(err, "exit_code", 1) for _, err in self.failed]
        return 0 if not codes else 2 if 2 in codes else 1


def run(problems, outdir: Path, options: Options = Options(), progress: Progress | None = None,
        on_error: Callable[[Path, Exception], None] | None = None) -> Report:
    """Solve every problem and write the outputs of every one that succeeds. A file that
    fails (bad input, a broken template, a failed PDF build, a bug) is reported through
    ``on_error`` as soon as it fails, and writes nothing; the others go on. Each problem's
    outputs are written all or none, together, once everything is computed (and every
    PDF built); a folder stands for its ``*.yaml`` files.

    Raises:
        NNSolveError: the run itself cannot start (two problems share a name, a folder
            holds no problem file), or the outputs cannot be written.
    """
    paths = expand(problems)
    stems: dict[str, Path] = {}
    for path in paths:
        if path.stem in stems:
            raise ProblemError(f"{stems[path.stem]} has the same name, and both would be written to "
                               f"{outdir / path.stem}.*; rename one", file=str(path), field="(file)")
        stems[path.stem] = path
    report = Report()
    cache = template_cache()
    outputs: dict[Path, list[tuple[Path, str]]] = {}
    pdfs: dict[Path, list[tuple[Path, bytes]]] = {}
    built: list[tuple[Path, Rendered]] = []

    def fail(path: Path, err: Exception) -> None:
        report.failed.append((path, err))
        outputs.pop(path, None)
        pdfs.pop(path, None)
        if on_error:
            on_error(path, err)

    for path in paths:
        try:
            rendered = render_outputs(solve_file(path, options), options, cache)
        except Exception as err:  # noqa: BLE001 - reported per file; the others go on
            fail(path, err)
            continue
        outputs[path] = [(outdir / r.name, r.text) for r in rendered if not r.build]
        pdfs[path] = []
        built += [(path, r) for r in rendered if r.build]
    if built:
        from .files.builds import (  # subprocesses, signals: only for PDFs
            build_pdf_file,
            check_tex,
        )

        check_tex()
    bar = progress(built, "Building PDFs") if progress and len(built) > 1 else nullcontext(built)
    with bar as items:
        for path, r in items:
            if path not in outputs:  # an earlier PDF of this problem failed
                continue
            try:
                pdfs[path].append(build_pdf_file(r, outdir))
            except Exception as err:  # noqa: BLE001 - this problem's files are not written
                fail(path, err)
    files = [f for path in paths if path in outputs for f in outputs[path]]
    files += [f for path in paths if path in pdfs for f in pdfs[path]]
    if files:
        with output_lock(outdir):
            write_all(files)
    report.written = [target for target, _ in files]
    return report


def run_variants(path: Path, outdir: Path, options: Options, count: int | None, seed: int,
                 roster: Path | None = None, jobs: int = 1, progress: Progress | None = None) -> list[Path]:
    """Write a paper and a key per student (``<stem>-<student>.*``; without a roster the
    students are ``v001``, ``v002``, …), the class's ``answers.json`` and ``answers.csv``,
    and with ``-f pdf`` the key book ``<stem>-keys.pdf``: all or nothing.

    Raises:
        NNSolveError: a bad problem file or roster, no randomize block, a text stating a drawn
            value, a pool whose requirements reject every draw, a failed PDF; nothing is written then.
    """
    from .files.builds import build_pdfs
    from .key.variants import require_variants, solve_variant, variant
    from .problem.roster import load_roster
    from .render.classbook import class_answers, class_answers_csv, class_answers_json

    file = str(path)
    data = parse_yaml(read_text(path), file)
    problem = validate(data, file)
    require_variants(data, problem, file)  # before the progress bar: the error is then the only line
    if roster is not None:
        students = load_roster(roster)
        if count is not None and count != len(students):
            raise ProblemError(f"-n {count} but the roster lists {counted(len(students), 'student')} (leave -n out)",
                               file=str(roster), field="(file)")
    else:
        students = [{"student": f"v{k:03d}", "name": ""} for k in range(1, (count or 1) + 1)]
    cache = template_cache()
    texts, builds, entries = [], [], []
    numbered = list(enumerate(students, start=1))
    bar = progress(numbered, "Solving variants") if progress and len(numbered) > 1 else nullcontext(numbered)
    with bar as items:
        for number, student in items:
            sol = solve_variant(variant(data, problem, seed, number, file), f"{path.stem}-{student['student']}",
                                options, file, student["name"])
            rendered = render_outputs(sol, options, cache)
            texts += [(outdir / r.name, r.text) for r in rendered if not r.build]
            builds += [r for r in rendered if r.build]
            entries.append((student, sol))
    pdfs = build_pdfs(builds, outdir, jobs)
    keys = [pdf for target, pdf in pdfs if not target.stem.endswith("-questions")]
    from .files.book import (
        merge_pdfs,  # pypdf: 55 ms of imports that a plain solve does not need
    )

    book = [(outdir / f"{path.stem}-keys.pdf", merge_pdfs(keys, "Key"))] if keys else []
    summary = class_answers(path.stem, seed, entries)
    files = texts + pdfs + book + [(outdir / "answers.json", class_answers_json(summary)),
                                   (outdir / "answers.csv", class_answers_csv(summary))]
    with output_lock(outdir):
        write_all(files)
    return [target for target, _ in files]


def run_export(path: Path, target: str, outdir: Path, count: int | None = None, seed: int | None = None,
               options: Options = Options()) -> list[Path]:
    """Export PROBLEM's questions to a learning-management system (``target``, a name of
    :data:`solver.render.exports.EXPORTS`): the problem as written, or with ``count`` its
    variants ``1..count`` of ``seed`` (default 0; one question each); all or nothing.

    Raises:
        NNSolveError: a bad problem file, ``count`` without a randomize block or with a text stating
            a drawn value, ``seed`` without ``count``, a pool rejecting every draw; nothing is written.
    """
    from .key.variants import require_variants, solve_variant, variant
    from .render.exports import EXPORTS, item

    file = str(path)
    if seed is not None and count is None:
        raise ProblemError("it seeds a pool of variants, so it needs --variants N", file=file, field="--seed")
    seed = seed or 0
    data = parse_yaml(read_text(path), file)
    problem = validate(data, file)
    if count is None:
        items = [item(solve(problem, path.stem, options, file=file), problem.grading)]
    else:
        require_variants(data, problem, file)
        items = []
        for number in range(1, count + 1):
            v = variant(data, problem, seed, number, file)
            items.append(item(solve_variant(v, f"{path.stem}-{v.code}", options, file), v.problem.grading, v.code))
    if not items[0].blanks:
        raise ProblemError("the questions ask no number to type (only derivations or shapes), so there is "
                           "nothing to grade; export a problem that asks for values", file=file, field="questions")
    files = [(outdir / name, content) for name, content in EXPORTS[target].write(  # source: a/relu, not b/relu
        items, path.stem, None if count is None else seed, f"{path.resolve().parent.name}/{path.stem}")]
    with output_lock(outdir):
        write_all(files)
    return [target for target, _ in files]


def run_grade(key: Path, submissions: Path, outdir: Path, problems=(), formats=("md",),
              on_error=None) -> tuple[list[Path], bool, int, list[Path]]:
    """Grade ``submissions`` against ``key`` (an answers JSON, a folder of them, or a class's
    answers.json) and write grades.csv, each student's feedback and Gradescope results.json:
    all or nothing. A bad row (an unknown question, ``of``, ``kind`` or variant, an answer
    given twice) leaves its student out, its error passed to ``on_error``; the others are
    written, and nothing when no student is left. Returns the files written, whether marking
    was by tolerance only (no problem file), how many errors were reported and the files of
    an earlier run removed as this one does not write them (:mod:`solver.files.grading`).

    Raises:
        NNSolveError: a bad key, submissions or problem file; a failed feedback PDF.
    """
    from .files.grading import grade_outputs, graded, write_grades

    grades = graded(key, submissions, problems)
    for err in grades.errors if on_error else ():
        on_error(err)
    if not grades.marks:
        return [], grades.tolerance_only, len(grades.errors), []
    files = grade_outputs(grades, outdir, formats)
    removed = write_grades(files, outdir)
    return [target for target, _ in files], grades.tolerance_only, len(grades.errors), removed
