"""How a key is solved and laid out: one frozen object passed from the command line
(or the Python API) to every stage, instead of long argument lists."""

from __future__ import annotations

import msgspec
from msgspec.structs import replace

#: The output formats written when none is asked for.
DEFAULT_FORMATS = ("md", "tex")


class Options(msgspec.Struct, frozen=True):
    """Choices of the user, each ``None`` where the problem file decides.

    Attributes:
        style: ``neuron``, ``matrix`` or ``graph`` layout of the key (``None``: the problem's
            ``style``, else ``graph`` for graph problems and ``neuron`` for networks).
        precision: significant figures shown (``None``: the problem's ``precision``).
        sheet: ``key`` (with the answers) or ``questions`` (the question paper).
        documentclass: ``article`` or ``exam`` for LaTeX.
        body_only: LaTeX: a fragment to ``\\input`` instead of a whole document.
        templates: a folder whose templates override the packaged ones.
        formats: the output formats wanted (names of :mod:`solver.render.formats`).
        variant: a per-student variant's code (``2026-17``) to solve instead of the problem
            as written (``nnsolve solve --variant``), or ``None``.
    """

    style: str | None = None
    precision: int | None = None
    sheet: str = "key"
    documentclass: str = "article"
    body_only: bool = False
    templates: str | None = None
    formats: tuple[str, ...] = DEFAULT_FORMATS
    variant: str | None = None

    def but(self, **changes) -> "Options":
        """A copy with some choices changed (``options.but(sheet="questions")``)."""
        return replace(self, **changes)
