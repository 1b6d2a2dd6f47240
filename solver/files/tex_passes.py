"""How many LaTeX passes a document needs: one, unless a later pass could change it.

latexmk runs pdflatex a second time whenever the ``.aux`` file is new, which it always
is in a fresh build folder; for a document with no cross-reference, citation, table of
contents or page or point total, that second pass changes nothing (the PDF is the same
bytes), so :mod:`.pdf` runs one pdflatex pass, and latexmk only when :func:`needs_passes`
says so, or when that pass's log asks for a rerun (:func:`rerun_asked`).
"""

from __future__ import annotations

import re

#: The flags of every pass (pdflatex's own, and latexmk's, which it passes on): no shell escape,
#: never waiting for input, stopping at the first error, errors as file:line.
LATEX_FLAGS = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
#: A single pdflatex pass's: batchmode is nonstopmode without the terminal copy of the log (as
#: latexmk's -quiet), so that a flooding document fills the .log alone and the cap names it.
ONE_PASS_FLAGS = [f.replace("nonstopmode", "batchmode") for f in LATEX_FLAGS]

#: What a later pass may change: a cross-reference (\ref, \eqref, \pageref, \autoref, …),
#: a label, a citation, a table of contents or list, a page or point total (the exam class
#: writes them to the .aux), a remembered TikZ picture, the last page.
_NEEDS_PASSES = re.compile(
    r"\\(?:[a-z]*ref|label|cite[a-z]*|tableofcontents|listof[a-z]+|numpages|num[a-z]*points|"
    r"total[a-z]*points|pointtable|[a-z]*gradetable)(?![A-Za-z])"
    r"|\\documentclass\s*(?:\[[^\]]*\])?\s*\{exam\}|remember picture|lastpage",
    re.IGNORECASE)

#: A log asking for another pass: LaTeX's "Rerun to get cross-references right", "There were
#: undefined references", "Label(s) may have changed", or a package's own rerun request.
_RERUN = re.compile(r"rerun|undefined references|may have changed", re.IGNORECASE)


def needs_passes(tex: str) -> bool:
    """Whether the document may need more than one pass (then latexmk builds it)."""
    return _NEEDS_PASSES.search(tex) is not None


def rerun_asked(log: str) -> bool:
    """Whether a pass's log asks for another pass."""
    return _RERUN.search(log) is not None
