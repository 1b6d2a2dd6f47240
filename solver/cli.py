"""The ``nnsolve`` command.

Exit codes: 0 success; 2 a bad problem file, a broken ``--templates`` template or
bad usage (one line naming the file and the field); 1 an internal failure or an
output that cannot be written (one line; ``NNSOLVE_DEBUG=1`` shows a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import BuildError, NNSolveError, ProblemError, TemplateError


def _fail(err: NNSolveError) -> None:
    click.echo(f"nnsolve: error: {err}", err=True)
    sys.exit(err.exit_code)


def _internal(exc: Exception, path: Path) -> None:
    """An unexpected exception (a bug): one line, exit code 1; the traceback only
    when ``NNSOLVE_DEBUG`` is set."""
    if os.environ.get("NNSOLVE_DEBUG"):
        raise exc
    first = (str(exc).splitlines() or [""])[0]
    click.echo(f"nnsolve: internal error: {path}: {type(exc).__name__}: {first} "
               "(this is a bug in nnsolve; set NNSOLVE_DEBUG=1 to see the traceback)", err=True)
    sys.exit(1)


def _render(solution, fmt: str, body_only: bool, templates: str | None) -> str:
    import jinja2

    from .render import FORMATS, render

    try:
        return render(solution, fmt, body_only=body_only, templates=templates)
    except jinja2.TemplateError as exc:
        name = getattr(exc, "filename", None) or (
            str(Path(templates) / FORMATS[fmt]) if templates else FORMATS[fmt])
        msg = getattr(exc, "message", None) or str(exc)
        raise TemplateError(f"the template is broken: {msg}", file=name,
                            line=getattr(exc, "lineno", None)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnsolve")
def main() -> None:
    """Write worked solutions (answer keys) of neural-network exercises."""


@main.command()
@click.argument("problems", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(["md", "tex", "json"]),
              help="Output format; repeat for several (default: md and tex).")
@click.option("--precision", type=click.IntRange(1, 15), default=None,
              help="Significant figures shown (default: the problem's precision).")
@click.option("--style", type=click.Choice(["neuron", "matrix", "graph"]), default=None,
              help="Layout: neuron by neuron, matrix (vectorised), or staged as a computational graph "
                   "(default: the problem's).")
@click.option("--body-only", is_flag=True, help="LaTeX: write a fragment to \\input, not a document.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True), default=None,
              help="A folder of templates overriding the packaged ones.")
def solve(problems, outdir, formats, precision, style, body_only, templates) -> None:
    """Write the answer key of each PROBLEM file to OUTPUT/<stem>.{md,tex,json}."""
    from .answers import answers_json
    from .loader import load_problem
    from .output import write_all
    from .solution import solve as solve_problem

    formats = tuple(dict.fromkeys(formats or ("md", "tex")))
    problems = list(dict.fromkeys(problems))  # the same file named twice is solved once
    stems: dict[str, Path] = {}
    outputs: list[tuple[Path, str]] = []
    path = problems[0]
    try:
        for path in problems:
            if path.stem in stems:
                raise ProblemError(f"{stems[path.stem]} has the same name, and both would be written to "
                                   f"{outdir / path.stem}.*; rename one", file=str(path), field="(file)")
            stems[path.stem] = path
        # Everything is computed before anything is written: a bad file writes nothing.
        for path in problems:
            problem = load_problem(path)
            if style in ("neuron", "matrix") and problem.graph is not None:
                raise ProblemError(f"a graph problem has no neurons or layers; --style {style} applies to networks",
                                   file=str(path), field="(file)")
            solution = solve_problem(problem, path.stem, precision, file=str(path), style=style)
            for fmt in formats:
                text = (answers_json(solution) if fmt == "json"
                        else _render(solution, fmt, body_only, templates))
                outputs.append((outdir / f"{path.stem}.{fmt}", text))
                if fmt == "md":  # the Markdown key embeds its plots as SVG files beside it
                    from .plots import svg
                    outputs.extend((outdir / f"{path.stem}-{p.name}.svg", svg(p))
                                   for sec in solution.sections for p in sec.plots)
        write_all(outputs)
    except NNSolveError as err:
        _fail(err)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
        _internal(exc, path)
    for target, _ in outputs:
        click.echo(f"wrote {target}")


@main.command()
@click.argument("problems", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(problems) -> None:
    """Check PROBLEM files; print 'ok' or the first error of each."""
    from .loader import load_problem
    from .solution import solve as solve_problem

    failed = None
    for path in problems:
        try:
            solve_problem(load_problem(path), path.stem, file=str(path))
            click.echo(f"{path}: ok")
        except ProblemError as err:
            click.echo(f"nnsolve: error: {err}", err=True)
            failed = err
        except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
            _internal(exc, path)
    if failed is not None:
        sys.exit(failed.exit_code)


@main.command()
def schema() -> None:
    """Print the JSON Schema of problem files."""
    from .problem import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
