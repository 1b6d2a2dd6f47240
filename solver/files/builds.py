"""PDFs of rendered LaTeX documents: one at a time, or several in a process pool.

Kept apart from :mod:`solver.pipeline` so that a run without PDFs imports none of it
(:mod:`.pdf` brings subprocess handling and signals, a pool ``concurrent.futures``,
``logging`` and ``multiprocessing``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import BuildError
from .pdf import INSTALL_HINT, PdfResult, build_pdf, tex_available
from .writer import write_all

if TYPE_CHECKING:
    from ..render import Rendered


def check_tex() -> None:
    """Raises:
        BuildError: latexmk or pdflatex is not installed."""
    if not tex_available():
        raise BuildError(f"cannot build PDFs: latexmk or pdflatex is not installed; {INSTALL_HINT}")


def _built(result: PdfResult, name: str, outdir: Path) -> tuple[Path, bytes]:
    """``(outdir / name, the PDF)``; when LaTeX failed, its log is written beside the
    outputs and BuildError raised."""
    stem = name.rsplit(".", 1)[0]
    if result.pdf is None:
        log = outdir / f"{stem}.log"
        write_all([(log, result.log)])
        raise BuildError(f"{stem}.tex: LaTeX failed: {result.error}; no PDF written, the full log is {log}")
    return outdir / name, result.pdf


def build_pdf_file(r: Rendered, outdir: Path) -> tuple[Path, bytes]:
    """Compile one LaTeX document into the PDF ``r.name``.

    Raises:
        BuildError: LaTeX failed (its log is written beside the outputs, nothing else is).
    """
    return _built(build_pdf(r.text, r.name.rsplit(".", 1)[0]), r.name, outdir)


def _pdf_job(job: tuple[str, str]) -> PdfResult:
    return build_pdf(*job)


def build_pdfs(builds: list[Rendered], outdir: Path, jobs: int = 1) -> list[tuple[Path, bytes]]:
    """Every PDF of ``builds``, in order, ``jobs`` at a time (a process pool).

    Raises:
        BuildError: TeX is missing, or a document failed (its log is written, nothing else).
    """
    if builds:
        check_tex()
    if jobs <= 1 or len(builds) <= 1:
        return [build_pdf_file(r, outdir) for r in builds]
    from concurrent.futures import ProcessPoolExecutor  # logging, multiprocessing: only for a pool

    work = [(r.text, r.name.rsplit(".", 1)[0]) for r in builds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(_pdf_job, work))
    return [_built(result, r.name, outdir) for r, result in zip(builds, results)]
