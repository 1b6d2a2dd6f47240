"""The ``nnsolve`` command.

Exit codes: 0 success; 2 a bad problem file, a broken ``--templates`` template or
bad usage (one line naming the file and the field); 1 an internal failure or an
output that cannot be written (one line; ``NNSOLVE_DEBUG=1`` shows a traceback).
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
from pathlib import Path

# The collector and the objects of imports (sympy's, msgspec's, the problem models: long-lived
# ones): it is paused while the imports below run and what they made is frozen (gc.freeze), so
# no later collection traverses it (their collections: ~50 ms of a small key's 0.6 s); and at
# exit (_Command.main) all is frozen before the teardown's collections (0.15-0.2 s after every
# output is written; objects in cycles are then left to the operating system).
from .core.collector import collector_paused  # noqa: I001 - before the imports it pauses for

with collector_paused(freeze=True):
    import click

    from .core.errors import NNSolveError
    from .core.options import DEFAULT_FORMATS, Options
    from .core.version import __version__
    from .problem.fields import printable
    from .render.formats import FORMATS


def _say(err) -> None:
    """One error line on stderr: whatever it echoes (a file name, a key) with line
    breaks, control, escape and bidi characters shown escaped."""
    click.echo(f"nnsolve: error: {printable(err)}", err=True)


def _fail(err: NNSolveError) -> None:
    _say(err)
    sys.exit(err.exit_code)


def _internal(exc: Exception, path: Path, stop: bool = True) -> None:
    """An unexpected exception (a bug): one line, and exit code 1 (at once, or at the end
    of the run when ``stop`` is False); the traceback only when ``NNSOLVE_DEBUG`` is set."""
    if os.environ.get("NNSOLVE_DEBUG"):
        raise exc
    first = printable((str(exc).splitlines() or [""])[0])
    click.echo(f"nnsolve: internal error: {printable(path)}: {type(exc).__name__}: {first} "
               "(this is a bug in nnsolve; set NNSOLVE_DEBUG=1 to see the traceback)", err=True)
    if stop:
        sys.exit(1)


class _Command(click.Group):
    """The ``nnsolve`` group: click's own usage errors (an unknown option, an output path
    that is a file) in the same one-line form as every other error, exit code 2."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        atexit.unregister(gc.freeze)  # at exit only (see the imports): a long-lived process
        atexit.register(gc.freeze)  # collects as usual until then
        if not standalone_mode:
            return self._main(*args, **kwargs)
        try:
            code = self._main(*args, **kwargs)
        except getattr(click.exceptions, "NoArgsIsHelpError", ()) as err:  # plain ``nnsolve``: the help
            err.show()
            sys.exit(err.exit_code)
        except click.ClickException as err:
            hint = " (see nnsolve --help)" if isinstance(err, click.UsageError) else ""
            _say(f"{err.format_message()}{hint}")
            sys.exit(err.exit_code)
        except click.Abort:  # Ctrl-C: the shell's convention, 128 + SIGINT
            click.echo("nnsolve: aborted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)

    def _main(self, *args, **kwargs):
        """click's ``main``, sympy's derivatives of shapes kept between runs (however it ends)."""
        from .files.derivative_store import derivative_store

        with derivative_store():
            return super().main(*args, standalone_mode=False, **kwargs)


@click.group(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnsolve")
def main() -> None:
    """Write worked solutions (answer keys) of neural-network exercises."""


@main.command()
@click.argument("problems", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
              help="Output format; repeat for several (default: md and tex). "
                   + "; ".join(f"{f.name}: {f.help}" for f in FORMATS.values()) + ".")
@click.option("--sheet", type=click.Choice(["key", "questions", "both"]), default="key", show_default=True,
              help="The answer key, the question sheet (<stem>-questions.*, no answers), or both.")
@click.option("--documentclass", type=click.Choice(["article", "exam"]), default="article", show_default=True,
              help="LaTeX class: article, or exam (questions/parts/solution; \\printanswers for the key).")
@click.option("--precision", type=click.IntRange(1, 15), default=None,
              help="Significant figures shown (default: the problem's precision).")
@click.option("--style", type=click.Choice(["neuron", "matrix", "graph"]), default=None,
              help="Layout: neuron by neuron, matrix (vectorised), or staged as a computational graph "
                   "(default: the problem's).")
@click.option("--body-only", is_flag=True, help="LaTeX: write a fragment to \\input, not a document.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True), default=None,
              help="A folder of templates overriding the packaged ones.")
@click.option("--variant", default=None, metavar="CODE",
              help="Solve one per-student variant (its code, SEED-NUMBER, as printed on the paper).")
def solve(problems, outdir, formats, sheet, documentclass, precision, style, body_only, templates, variant) -> None:
    """Write the answer key of each PROBLEM file (or of every .yaml in a PROBLEM folder)
    to OUTPUT/<stem>.{md,tex,json,pdf}. A bad file is reported in one line and writes
    nothing; the others are written all the same, and the exit code is 2 at the end."""
    from .pipeline import run

    options = Options(style=style, precision=precision, sheet=sheet, documentclass=documentclass,
                      body_only=body_only, templates=templates,
                      formats=tuple(dict.fromkeys(formats or DEFAULT_FORMATS)), variant=variant)

    def report(path: Path, err: Exception) -> None:
        if isinstance(err, NNSolveError):
            _say(err)
        else:
            _internal(err, path, stop=False)

    try:
        result = run(problems, outdir, options, _progress, on_error=report)
    except NNSolveError as err:
        _fail(err)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
        _internal(exc, problems[0])
    for target in result.written:
        click.echo(f"wrote {target}")
    if result.exit_code:
        sys.exit(result.exit_code)


def _progress(items: list, label: str):
    return click.progressbar(items, label=label, file=sys.stderr,
                             item_show_func=lambda item: item[1].name.rsplit(".", 1)[0] if item else "")


@main.command()
@click.argument("problem", type=click.Path(path_type=Path))
@click.option("-n", "count", type=click.IntRange(1, 100_000), default=None,
              help="How many variants (default 1; with --roster, one per student).")
@click.option("--seed", type=click.IntRange(0, 10**18), default=0, show_default=True,
              help="The seed: the same problem, seed and roster give the same papers, byte for byte.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A CSV file with a 'student' column (and optionally 'name'): one variant per student.")
@click.option("-o", "--output", "outdir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
              help="Output format; repeat for several (default: md and tex).")
@click.option("--sheet", type=click.Choice(["key", "questions", "both"]), default="both", show_default=True,
              help="Each student's key, question paper, or both.")
@click.option("--documentclass", type=click.Choice(["article", "exam"]), default="article", show_default=True,
              help="LaTeX class of the papers.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="PDFs built at a time (a process pool).")
@click.option("--check", is_flag=True,
              help="Report on the pool (acceptance, each requirement's rejections, the answers' spread, "
                   "distinct variants, students sharing every answer) and write nothing.")
def variants(problem, count, seed, roster, outdir, formats, sheet, documentclass, jobs, check) -> None:
    """Write a different variant of PROBLEM for every student: each one's question paper and
    key (its variant code on every page), the class's answers.json and answers.csv, and
    with -f pdf one key book. The values that vary and what they must satisfy are the
    problem's randomize block."""
    from .pipeline import run_variants

    options = Options(sheet=sheet, documentclass=documentclass,
                      formats=tuple(dict.fromkeys(formats or DEFAULT_FORMATS)))
    try:
        if check:
            from .key.variant_check import check_pool
            from .problem.loader import parse_yaml, read_text
            from .problem.validation import validate as check_file
            from .render.classbook import pool_text

            data = parse_yaml(read_text(problem), str(problem))
            click.echo(pool_text(check_pool(data, check_file(data, str(problem)), seed, count or 100, str(problem))),
                       nl=False)
            return
        written = run_variants(problem, outdir, options, count, seed, roster, jobs,
                               lambda items, label: click.progressbar(items, label=label, file=sys.stderr))
    except NNSolveError as err:
        _fail(err)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
        _internal(exc, problem)
    click.echo(f"wrote {len(written)} files to {outdir}")


@main.command()
@click.argument("problems", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(problems) -> None:
    """Check PROBLEM files (or every .yaml in a PROBLEM folder); print 'ok' or the first
    error of each, going on past a bad one; exit 2 if any was bad."""
    from .pipeline import expand, validate_file

    codes = []
    try:
        paths = expand(problems)
    except NNSolveError as err:
        _fail(err)
    for path in paths:
        try:
            validate_file(path)
            click.echo(f"{path}: ok")
        except NNSolveError as err:
            _say(err)
            codes.append(err.exit_code)
        except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
            _internal(exc, path, stop=False)
            codes.append(1)
    if codes:
        sys.exit(2 if 2 in codes else 1)


@main.command()
def schema() -> None:
    """Print the JSON Schema of problem files."""
    from .problem.json_schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


def _export_targets() -> list[str]:
    """The export modules' names (each module's target is its name), read without importing
    them: lxml and the exports cost ~15 ms that a plain ``nnsolve solve`` does not need."""
    import importlib.util
    import pkgutil

    spec = importlib.util.find_spec(".render.exports", __package__)
    return sorted(m.name for m in pkgutil.iter_modules(spec.submodule_search_locations) if m.name != "base")


@main.command()
@click.argument("problem", type=click.Path(path_type=Path))
@click.option("--to", "target", required=True, type=click.Choice(_export_targets()),
              help="The learning-management system: moodle (Moodle XML), canvas (QTI 1.2 zip for classic "
                   "quizzes), qti21 (IMS QTI 2.1 content package), prairielearn (a question folder).")
@click.option("-o", "--output", "outdir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the export.")
@click.option("--variants", "count", type=click.IntRange(1, 10_000), default=None,
              help="A pool of N variants (the problem's randomize block), one question each.")
@click.option("--seed", type=click.IntRange(0, 10**18), default=None,
              help="The variants' seed (with --variants; default 0).")
@click.option("--precision", type=click.IntRange(1, 15), default=None,
              help="Significant figures shown (default: the problem's precision).")
def export(problem, target, outdir, count, seed, precision) -> None:
    """Export PROBLEM as auto-graded questions: each asked number a blank with the problem's tolerance
    (grading.tolerance, else the key's displayed rounding), the worked key as the feedback, the diagrams embedded."""
    from .pipeline import run_export

    try:
        written = run_export(problem, target, outdir, count, seed, Options(precision=precision))
    except NNSolveError as err:
        _fail(err)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
        _internal(exc, problem)
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--key", "key", required=True, type=click.Path(path_type=Path),
              help="The answers JSON (nnsolve solve -f json), a folder of them, or a class's answers.json "
                   "(nnsolve variants: each student against their own variant).")
@click.option("--problem", "problems", multiple=True, type=click.Path(path_type=Path),
              help="The key's problem file (repeat for several): needed for error carried forward, "
                   "misconceptions, the key's steps and the grading block; without it, tolerance only.")
@click.option("-o", "--output", "outdir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(["md", "tex", "pdf"]),
              help="Feedback formats besides Markdown (always written): tex, pdf.")
def grade(submissions, key, problems, outdir, formats) -> None:
    """Mark SUBMISSIONS (a CSV: student, question, of, answer; optional variant, kind) against the key: grades.csv,
    totals.csv, feedback/<student>.md (with -f pdf a PDF) showing the key's step for every lost point, and
    results/<student>.json for Gradescope. A wrong answer that is right from the student's own earlier numbers is
    carried forward; a recognised slip is named, each with partial credit (the problem's grading block). A bad
    row's student is not graded (one line each); the others are written, and the exit code is 2 at the end."""
    from .pipeline import run_grade

    try:  # a bad row is said at once (its student left out), the rest of the class graded
        written, tolerance_only, bad, removed = run_grade(key, submissions, outdir, problems, ("md", *formats), _say)
    except NNSolveError as err:
        _fail(err)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
        _internal(exc, submissions)
    if written:
        if tolerance_only:
            click.echo("no --problem: answers marked by tolerance only (no error carried forward, no misconceptions)")
        click.echo(f"wrote {len(written)} files to {outdir}" + (f"; removed {len(removed)} stale file{'s' * (len(removed) != 1)}" if removed else ""))
    sys.exit(2 if bad else 0)
