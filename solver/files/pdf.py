"""Compile a LaTeX key or sheet to PDF with latexmk (pdflatex), safely.

The build runs in a temporary folder, with shell escape off, no latexmkrc read
(``-norc``), TeX's file access paranoid (``openin_any=p``, ``openout_any=p``: no
reading or writing outside the build folder, no dot files), non-interactive,
halting on the first error, under a time limit. Only a finished PDF leaves the
folder; on an error, the log does (for the user to read) and the PDF does not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BuildError

#: What to install where TeX is missing (the project's CI installs the Debian ones).
INSTALL_HINT = ("install TeX to build PDFs: Debian/Ubuntu 'apt-get install latexmk texlive-latex-base "
                "texlive-latex-recommended texlive-pictures' (add texlive-latex-extra for --documentclass exam); "
                "macOS 'brew install --cask mactex-no-gui'; Windows: MiKTeX from miktex.org")
TIME_LIMIT = 180


@dataclass(frozen=True)
class PdfResult:
    """A build's outcome: the PDF (``None`` on an error), the log, and the first error."""

    pdf: bytes | None
    log: str
    error: str = ""


def tex_available() -> bool:
    """Whether latexmk and pdflatex are on the PATH."""
    return bool(shutil.which("latexmk") and shutil.which("pdflatex"))


def first_error(log: str) -> str:
    """The first LaTeX error of a log, with its line, in one or two lines."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^[^:\s]+\.tex:\d+: ", line):
            where = next((m.group(0) for m in (re.match(r"^l\.(\d+)", l) for l in lines[i:i + 12]) if m), "")
            msg = line.lstrip("! ").strip()
            return f"{msg} (at {where.replace('l.', 'line ')} of the .tex)" if where else msg
    return "LaTeX stopped without a readable error (see the log)"


def build_pdf(tex: str, stem: str, timeout: int = TIME_LIMIT) -> PdfResult:
    """Compile ``tex`` (a whole document) to PDF.

    Raises:
        BuildError: TeX is not installed, or the build took longer than ``timeout`` seconds.
    """
    if not tex_available():
        raise BuildError(f"cannot build a PDF: latexmk or pdflatex is not installed; {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="nnsolve-tex-") as tmp:
        src = Path(tmp) / f"{stem}.tex"
        src.write_text(tex, encoding="utf-8")
        env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f", TEXMFOUTPUT=tmp)
        cmd = ["latexmk", "-norc", "-pdf", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
               "-file-line-error", "-quiet", src.name]
        try:
            run = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BuildError(f"{stem}.tex: LaTeX took longer than {timeout} s; stopped") from None
        log_path = Path(tmp) / f"{stem}.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else run.stdout
        pdf_path = Path(tmp) / f"{stem}.pdf"
        if run.returncode != 0 or not pdf_path.exists():
            return PdfResult(None, log, first_error(log))
        return PdfResult(pdf_path.read_bytes(), log)
