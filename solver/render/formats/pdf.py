"""PDF: the LaTeX document compiled by latexmk (pdflatex), by the PDF builder."""

from __future__ import annotations

from .base import Format

FORMAT = Format("pdf", "pdf", "the LaTeX compiled with latexmk (needs TeX)", built_from="tex", needs_tex=True,
                order=4)
