"""Stage 4: a :class:`~solver.key.model.Solution` becomes text, one string per output
file, in each format of :mod:`.formats`. Nothing here writes a file or runs a process:
the writer and the PDF builder (:mod:`solver.files`) do.

:mod:`.environment` holds the Jinja environments, :mod:`.text` breaks equations into
rows, :mod:`.diagram` lays out the key's figure and :mod:`.drawing` draws it (TikZ,
SVG), :mod:`.plots` draws training curves, :mod:`.answers` writes the answers JSON.
"""

from __future__ import annotations

import jinja2
import msgspec

from ..core.collector import collector_paused
from ..core.options import Options
from ..key.model import Solution
from .diagram import diagram
from .environment import environment
from .formats import FORMATS

SHEETS = ("key", "questions")


class Rendered(msgspec.Struct, frozen=True):
    """One output: its file name, its text, and for a built format (PDF) the tool that
    turns the text (LaTeX) into the file."""

    name: str
    text: str
    build: str | None = None


def sheets(options: Options) -> tuple[str, ...]:
    """The sheets asked for: the key, the question paper, or both (``sheet="both"``)."""
    return SHEETS if options.sheet == "both" else (options.sheet,)


def render(solution: Solution, fmt: str, options: Options = Options(),
           cache: jinja2.BytecodeCache | None = None) -> str:
    """The answer key (or, with ``options.sheet == "questions"``, the question paper) in
    the format ``fmt`` as a string.

    Args:
        fmt: a name of :data:`FORMATS` whose text is written by a template or by code.
        options: ``sheet``, ``documentclass``, ``body_only`` and ``templates`` are read.
        cache: a compiled-template cache (see :mod:`solver.files.cache`), or ``None``.

    Raises:
        ValueError: ``fmt`` is not a format, or one that is built from another (PDF).
        jinja2.TemplateError: a user's template is broken.
    """
    f = FORMATS.get(fmt)
    if f is None or f.built_from is not None:
        raise ValueError(f"'{fmt}' is not a format written as text (formats: {', '.join(FORMATS)})")
    if f.text is not None:
        return f.text(solution)
    sheet = options.sheet if options.sheet in SHEETS else "key"
    drawing = diagram(solution.figure, sheet)
    # the weight matrices the drawing shows beside it are not printed again in the Given list
    drawn = tuple(m.name for m in drawing.matrices) if drawing is not None else ()
    context = dict(s=solution, body_only=options.body_only, sheet=sheet, diagram="", image="", drawn=drawn)
    if f.context is not None:
        context.update(f.context(solution, drawing, sheet, options.documentclass))
    env = environment(fmt, options.templates, cache)
    return env.get_template(f.template_for(options.documentclass)).render(**context)


def outputs(solution: Solution, options: Options = Options(),
            cache: jinja2.BytecodeCache | None = None) -> list[Rendered]:
    """Every output of ``solution`` in ``options.formats`` and sheets: per sheet each
    format's file and its companions (a Markdown key's SVGs), then each per-problem
    format (JSON), then each built format (PDF, as LaTeX to compile).

    Python's cyclic garbage collector is paused while they are written
    (:func:`~solver.core.collector.collector_paused`)."""
    with collector_paused():
        return _outputs(solution, options, cache)


def _outputs(solution: Solution, options: Options, cache: jinja2.BytecodeCache | None) -> list[Rendered]:
    out, built = [], []
    for which in sheets(options):
        stem = solution.stem + ("-questions" if which == "questions" else "")
        sheet_options = options.but(sheet=which)
        for name in options.formats:
            f = FORMATS[name]
            if f.built_from is not None and f.per_sheet:
                built.append(Rendered(f"{stem}.{f.extension}",
                                      render(solution, f.built_from, sheet_options.but(body_only=False), cache),
                                      build=name))
            elif f.per_sheet:
                out.append(Rendered(f"{stem}.{f.extension}", render(solution, name, sheet_options, cache)))
        for name in options.formats:
            f = FORMATS[name]
            if f.companions is not None:
                out += [Rendered(n, t) for n, t in f.companions(solution, diagram(solution.figure, which), which)]
    for name in options.formats:
        f = FORMATS[name]
        if not f.per_sheet:
            out.append(Rendered(f"{solution.stem}.{f.extension}", render(solution, name, options, cache)))
    return out + built


__all__ = ["FORMATS", "Rendered", "SHEETS", "outputs", "render", "sheets"]
