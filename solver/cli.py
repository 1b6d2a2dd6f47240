"""The ``nnsolve`` command.

Exit codes: 0 success; 2 a bad problem file or bad usage (one line naming the file
and the field); 1 an internal failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import NNSolveError, ProblemError


def _fail(err: NNSolveError) -> None:
    click.echo(f"nnsolve: error: {err}", err=True)
    sys.exit(err.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnsolve")
def main() -> None:
    """Write worked solutions (answer keys) of neural-network exercises."""


@main.command()
@click.argument("problems", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "outdir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(["md", "tex", "json"]),
              help="Output format; repeat for several (default: md and tex).")
@click.option("--precision", type=click.IntRange(1, 15), default=None,
              help="Significant figures shown (default: the problem's precision).")
@click.option("--body-only", is_flag=True, help="LaTeX: write a fragment to \\input, not a document.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True), default=None,
              help="A folder of templates overriding the packaged ones.")
def solve(problems, outdir, formats, precision, body_only, templates) -> None:
    """Write the answer key of each PROBLEM file to OUTPUT/<stem>.{md,tex,json}."""
    from .answers import answers_json
    from .loader import load_problem
    from .output import write_atomic
    from .render import render
    from .solution import solve as solve_problem

    formats = formats or ("md", "tex")
    try:
        # Everything is computed before anything is written: a bad file writes nothing.
        outputs: list[tuple[Path, str]] = []
        for path in problems:
            problem = load_problem(path)
            solution = solve_problem(problem, path.stem, precision, file=str(path))
            for fmt in dict.fromkeys(formats):
                text = (answers_json(solution) if fmt == "json"
                        else render(solution, fmt, body_only=body_only, templates=templates))
                outputs.append((outdir / f"{path.stem}.{fmt}", text))
        for target, text in outputs:
            write_atomic(target, text)
            click.echo(f"wrote {target}")
    except NNSolveError as err:
        _fail(err)


@main.command()
@click.argument("problems", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
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
    if failed is not None:
        sys.exit(failed.exit_code)


@main.command()
def schema() -> None:
    """Print the JSON Schema of problem files."""
    from .problem import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
