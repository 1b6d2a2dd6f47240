"""Running the stages for files: problem files → solutions → rendered outputs →
files written all-or-nothing (PDFs compiled on the way). The command line and the
Python API call these; every error is an :class:`~solver.core.errors.NNSolveError`."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import jinja2

from .core.errors import BuildError, ProblemError, TemplateError
from .core.options import Options
from .files.cache import template_cache
from .files.pdf import INSTALL_HINT, build_pdf, tex_available
from .files.writer import write_all
from .key.model import Solution
from .key.solve import solve
from .problem.loader import load_problem
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
    problem = load_problem(path)
    if options.style in ("neuron", "matrix") and problem.graph is not None:
        raise ProblemError(f"a graph problem has no neurons or layers; --style {options.style} applies to networks",
                           file=str(path), field="(file)")
    return solve(problem, path.stem, options, file=str(path))


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


def build_pdfs(built: list[Rendered], outdir: Path, progress: Progress | None = None) -> list[tuple[Path, bytes]]:
    """Compile every LaTeX document, with a progress bar when there are several.

    Raises:
        BuildError: TeX is missing, or LaTeX failed (its log is written beside the outputs
            and nothing else is).
    """
    if not built:
        return []
    if not tex_available():
        raise BuildError(f"cannot build PDFs: latexmk or pdflatex is not installed; {INSTALL_HINT}")
    out = []
    bar = progress(built, "Building PDFs") if progress and len(built) > 1 else nullcontext(built)
    with bar as items:
        for r in items:
            stem = r.name.rsplit(".", 1)[0]
            result = build_pdf(r.text, stem)
            if result.pdf is None:
                log = outdir / f"{stem}.log"
                write_all([(log, result.log)])
                raise BuildError(f"{stem}.tex: LaTeX failed: {result.error}; no PDF written, the full log is {log}")
            out.append((outdir / r.name, result.pdf))
    return out


def run(problems, outdir: Path, options: Options = Options(), progress: Progress | None = None,
        on_problem: Callable[[Path], None] | None = None) -> list[Path]:
    """Solve every problem and write every output, or nothing: everything is computed
    (and every PDF built) before the first file is written.

    Args:
        on_problem: called with each problem's path before it is solved (for error
            messages naming the file being worked on).

    Returns:
        The files written, in order.

    Raises:
        NNSolveError: a bad problem file, a broken template, a failed build.
    """
    paths = expand(problems)
    stems: dict[str, Path] = {}
    for path in paths:
        if path.stem in stems:
            raise ProblemError(f"{stems[path.stem]} has the same name, and both would be written to "
                               f"{outdir / path.stem}.*; rename one", file=str(path), field="(file)")
        stems[path.stem] = path
    cache = template_cache()
    texts: list[tuple[Path, str]] = []
    built: list[Rendered] = []
    for path in paths:
        if on_problem:
            on_problem(path)
        for r in render_outputs(solve_file(path, options), options, cache):
            (built if r.build else texts).append(r if r.build else (outdir / r.name, r.text))
    files = texts + build_pdfs(built, outdir, progress)
    write_all(files)
    return [target for target, _ in files]
