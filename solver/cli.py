"""The ``nnsolve`` command.

Exit codes: 0 success; 2 a bad problem file, a broken ``--templates`` template or
bad usage (one line naming the file and the field); 1 an internal failure or an
output that cannot be written (one line; ``NNSOLVE_DEBUG=1`` shows a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import nullcontext
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


def _render(solution, fmt: str, body_only: bool, templates: str | None, sheet: str = "key",
            documentclass: str = "article") -> str:
    import jinja2

    from .render import FORMATS, render

    try:
        return render(solution, fmt, body_only=body_only, templates=templates, sheet=sheet,
                      documentclass=documentclass)
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
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(["md", "tex", "json", "pdf"]),
              help="Output format; repeat for several (default: md and tex). pdf needs TeX (latexmk).")
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
def solve(problems, outdir, formats, sheet, documentclass, precision, style, body_only, templates) -> None:
    """Write the answer key of each PROBLEM file (or of every .yaml in a PROBLEM folder)
    to OUTPUT/<stem>.{md,tex,json,pdf}."""
    from .answers import answers_json
    from .loader import load_problem
    from .output import write_all
    from .solution import solve as solve_problem

    formats = tuple(dict.fromkeys(formats or ("md", "tex")))
    sheets = ("key", "questions") if sheet == "both" else (sheet,)
    stems: dict[str, Path] = {}
    outputs: list[tuple[Path, str | bytes]] = []
    pdfs: list[tuple[Path, str, str]] = []  # (target, stem, LaTeX)
    path = problems[0]
    try:
        problems = _expand(problems)
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
            for which in sheets:
                outputs += _text_outputs(solution, which, formats, outdir, body_only, templates, documentclass)
                if "pdf" in formats:
                    stem = path.stem + ("-questions" if which == "questions" else "")
                    pdfs.append((outdir / f"{stem}.pdf", stem,
                                 _render(solution, "tex", False, templates, which, documentclass)))
            if "json" in formats:
                outputs.append((outdir / f"{path.stem}.json", answers_json(solution)))
        outputs += _build_pdfs(pdfs, outdir)
        write_all(outputs)
    except NNSolveError as err:
        _fail(err)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
        _internal(exc, path)
    for target, _ in outputs:
        click.echo(f"wrote {target}")


def _expand(problems) -> list[Path]:
    """Files as given; a folder stands for its *.yaml files, in name order."""
    out: list[Path] = []
    for p in problems:
        if p.is_dir():
            found = sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
            if not found:
                raise ProblemError("the folder holds no .yaml problem files", file=str(p), field="(file)")
            out += found
        else:
            out.append(p)
    return list(dict.fromkeys(out))  # the same file named twice is solved once


def _text_outputs(solution, which: str, formats, outdir: Path, body_only: bool, templates, documentclass: str):
    from .diagram import svg as diagram_svg
    from .plots import svg as plot_svg
    from .render import image_name

    stem = solution.stem + ("-questions" if which == "questions" else "")
    out = []
    for fmt in formats:
        if fmt in ("md", "tex"):
            out.append((outdir / f"{stem}.{fmt}", _render(solution, fmt, body_only, templates, which, documentclass)))
    if "md" in formats:  # the Markdown embeds its diagram and plots as SVG files beside it
        diagram = solution.sheet_diagram if which == "questions" else solution.diagram
        if diagram is not None:
            out.append((outdir / image_name(solution, which), diagram_svg(diagram)))
        if which == "key":
            out += [(outdir / f"{solution.stem}-{p.name}.svg", plot_svg(p))
                    for sec in solution.sections for p in sec.plots]
    return out


def _build_pdfs(pdfs, outdir: Path) -> list[tuple[Path, bytes]]:
    """Compile every document, with a progress bar when there are several. On a LaTeX
    error, the log is written beside the outputs and nothing else is."""
    from .output import write_all
    from .pdf import build_pdf, tex_available, INSTALL_HINT

    if not pdfs:
        return []
    if not tex_available():
        raise BuildError(f"cannot build PDFs: latexmk or pdflatex is not installed; {INSTALL_HINT}")
    out = []
    with click.progressbar(pdfs, label="Building PDFs", file=sys.stderr,
                           item_show_func=lambda p: p[1] if p else "") if len(pdfs) > 1 else nullcontext(pdfs) as bar:
        for target, stem, tex in bar:
            result = build_pdf(tex, stem)
            if result.pdf is None:
                log = outdir / f"{stem}.log"
                write_all([(log, result.log)])
                raise BuildError(f"{stem}.tex: LaTeX failed: {result.error}; no PDF written, "
                                 f"the full log is {log}")
            out.append((target, result.pdf))
    return out


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
