"""The descriptor of an output format: everything the command line, the renderer and
the writer read about it. A format is added by one module in this package defining
``FORMAT`` (and, if it is laid out by a template, that template in ``templates/``)."""

from __future__ import annotations

from typing import Callable

import msgspec

#: Jinja syntaxes: ordinary delimiters, or ``<< >>`` / ``<% %>`` so that TeX braces never clash.
SYNTAXES = ("markup", "tex")


class Format(msgspec.Struct, frozen=True):
    """An output format.

    Attributes:
        name: the ``-f`` name (``md``); ``extension`` the file's (``md``).
        help: one line for ``--help`` and the README.
        template: the template that lays out a key or question paper (``key.md.j2``),
            ``exam_template`` the one used with ``--documentclass exam``; ``None`` for a
            format not laid out by a template.
        syntax: the Jinja syntax of its templates (:data:`SYNTAXES`).
        escape: how plain text (a title) is escaped in it.
        context: ``(solution, diagram, sheet, documentclass) -> dict`` of extra template
            variables (a TikZ drawing, an image's file name).
        companions: ``(solution, diagram, sheet) -> [(file name, text)]`` written beside
            it (the SVG diagram and plots of a Markdown key).
        text: ``solution -> str`` for a format written by code, not a template (JSON).
        per_sheet: one file per sheet (key, question paper); False: one per problem.
        built_from: the format whose text an external tool turns into this one (``tex``
            for ``pdf``); ``needs_tex``: that tool is TeX.
        order: where it stands in ``--help`` and the README; then by name.
    """

    name: str
    extension: str
    help: str
    template: str | None = None
    exam_template: str | None = None
    syntax: str = "markup"
    escape: Callable[[str], str] | None = None
    context: Callable | None = None
    companions: Callable | None = None
    text: Callable | None = None
    per_sheet: bool = True
    built_from: str | None = None
    needs_tex: bool = False
    order: int = 100

    def template_for(self, documentclass: str) -> str | None:
        """The template for a LaTeX document class (the exam class has its own)."""
        return self.exam_template if documentclass == "exam" and self.exam_template else self.template
