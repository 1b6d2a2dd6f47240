"""The Python API (``import solver``): :func:`load` a problem from a file or a dict,
:func:`solve` it into a :class:`Key`, whose methods give the answers and the key in each
format, write files, and show it in Jupyter. The API object wraps the key stage's
:class:`~solver.key.model.Solution` (plain data, which cannot render itself: the stages
import only the ones before them) with the options it was solved with."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any, Mapping

import msgspec
from msgspec.structs import fields

from ..core.errors import BuildError, ProblemError
from ..core.options import Options
from ..key.model import Solution
from ..key.solve import solve as solve_problem
from ..key.variants import parse_code, solve_variant, variant
from ..problem.loader import parse_yaml, read_text
from ..problem.schema import Problem
from ..problem.validation import validate
from ..render import SHEETS, outputs, render
from ..render.answers import answers as answers_of
from ..render.diagram import diagram
from ..render.formats import FORMATS
from .derivative_store import derivative_store
from .lock import output_lock
from .pdf import INSTALL_HINT, build_pdf, tex_available
from .writer import write_all

#: The keyword options of :func:`solve` (those of :class:`~solver.core.options.Options` but
#: ``formats``, which :meth:`Key.write` takes).
OPTIONS = tuple(f.name for f in fields(Options) if f.name != "formats")
_STYLES = ("neuron", "matrix", "graph")


def _read(source) -> tuple[dict | None, Problem, str, str | None]:
    """(plain data or None, validated problem, stem, file name for messages) of a path, a
    mapping or an already loaded problem."""
    if isinstance(source, Problem):
        return None, source, "", None
    if isinstance(source, Mapping):
        data = dict(source)
        return data, validate(data, "<dict>"), "", "<dict>"
    if isinstance(source, (str, Path)):
        path = Path(source)
        data = parse_yaml(read_text(path), str(path))
        return data, validate(data, str(path)), path.stem, str(path)
    raise TypeError(f"a problem is a file path, a dict or a solver.Problem, not {type(source).__name__}")


def load(source: str | Path | Mapping[str, Any]) -> Problem:
    """The validated problem of a YAML file or of a dict written as the file would be
    (numbers may be ints, floats — read by their shortest repr, ``0.1`` is exactly 1/10 —
    or strings such as ``"1/3"``).

    Raises:
        ProblemError: naming the file (``<dict>`` for a dict) and the offending field.
    """
    return _read(source)[1]


def slug(title: str) -> str:
    """A file stem made of a title (``"A 2-2-1 net"`` → ``a-2-2-1-net``), ``problem`` if empty."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48].strip("-") or "problem"


def solve(problem: str | Path | Mapping[str, Any] | Problem, *, stem: str | None = None, **options) -> "Key":
    """The worked key of a problem (a path, a dict, or what :func:`load` returned).

    Args:
        stem: the name of the files :meth:`Key.write` writes (default: the file's stem, else
            the title made a file name).
        options: ``style`` (neuron, matrix, graph), ``precision`` (significant figures),
            ``sheet`` (key or questions: what the ``to_*`` methods give), ``documentclass``
            (article or exam), ``body_only``, ``templates`` (a folder), ``variant`` (a
            per-student variant's code; needs a file or dict, not a loaded problem).

    Raises:
        TypeError: an unknown option.
        ValueError: a bad option value.
        ProblemError: the problem is bad, or a style that does not apply to it.
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TypeError(f"unknown option {', '.join(unknown)}; the options are {', '.join(OPTIONS)}")
    opts = Options(**options)
    if opts.style is not None and opts.style not in _STYLES:
        raise ValueError(f"style is one of {', '.join(_STYLES)}, not {opts.style!r}")
    if opts.sheet not in SHEETS:
        raise ValueError(f"sheet is one of {', '.join(SHEETS)}, not {opts.sheet!r}")
    data, prob, file_stem, file = _read(problem)
    stem = stem or file_stem or slug(prob.title)
    if opts.style in ("neuron", "matrix") and prob.graph is not None:
        raise ProblemError(f"a graph problem has no neurons or layers; style {opts.style} applies to networks",
                           file=file, field="style")
    if opts.variant is None:
        with derivative_store():
            return Key(solve_problem(prob, stem, opts, file=file), opts)
    if data is None:
        raise ValueError("a variant is drawn from the problem's file or dict, not from a loaded problem")
    try:
        seed, number = parse_code(opts.variant)
    except ValueError as exc:
        raise ProblemError(str(exc), file=file, field="variant") from None
    v = variant(data, prob, seed, number, file)
    with derivative_store():
        return Key(solve_variant(v, f"{stem}-{v.code}", opts, file), opts)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


class Key(msgspec.Struct, frozen=True):
    """A solved problem: ``solution`` (the key stage's plain data) and the ``options`` it was
    solved and is rendered with. What :func:`solver.solve` returns."""

    solution: Solution
    options: Options = Options()

    def answers(self) -> dict:
        """The answers JSON (``-f json``) as a dict: every answer's kind, name, exact value,
        float value and display, for autograders."""
        return answers_of(self.solution)

    def _render(self, fmt: str, **changes) -> str:
        return render(self.solution, fmt, self.options.but(**changes))

    def to_markdown(self, embed_images: bool = False) -> str:
        """The key (or question sheet) in Markdown with ``$…$`` math. Its diagram and plots
        are SVG files that :meth:`write` puts beside it; with ``embed_images`` they are
        ``data:`` URIs inside the text instead (what Jupyter shows)."""
        text = self._render("md")
        if embed_images:
            figure = diagram(self.solution.figure, self.options.sheet)
            for name, svg in FORMATS["md"].companions(self.solution, figure, self.options.sheet):
                text = text.replace(f"]({name})", f"]({_data_uri(svg)})")
        return text

    def to_latex(self) -> str:
        """The key as a LaTeX document (a fragment with ``body_only=True``)."""
        return self._render("tex")

    def to_html(self, body_only: bool | None = None) -> str:
        """The key as one self-contained HTML page (MathML math, the diagram inline as SVG),
        or with ``body_only`` a fragment to place in a page."""
        return self._render("html", body_only=self.options.body_only if body_only is None else body_only)

    def write(self, directory: str | Path, formats=("md", "tex"), sheet: str | None = None) -> list[Path]:
        """Write the key in ``formats`` (names of ``nnsolve solve -f``) into ``directory``, as
        ``nnsolve solve`` does: all the files or none. ``sheet``: key, questions or both
        (default: the key's sheet). Returns the paths written.

        Raises:
            ValueError: an unknown format.
            BuildError: a PDF is asked for and TeX is missing or fails (nothing is written).
        """
        formats = (formats,) if isinstance(formats, str) else tuple(dict.fromkeys(formats))
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown format {', '.join(unknown)}; the formats are {', '.join(FORMATS)}")
        directory = Path(directory)
        opts = self.options.but(formats=formats, sheet=sheet or self.options.sheet)
        rendered = outputs(self.solution, opts)
        files: list[tuple[Path, str | bytes]] = [(directory / r.name, r.text) for r in rendered if not r.build]
        builds = [r for r in rendered if r.build]
        if builds and not tex_available():
            raise BuildError(f"cannot build PDFs: latexmk or pdflatex is not installed; {INSTALL_HINT}")
        for r in builds:
            stem = r.name.rsplit(".", 1)[0]
            result = build_pdf(r.text, stem)
            if result.pdf is None:
                raise BuildError(f"{stem}.tex: LaTeX failed: {result.error}; no file written")
            files.append((directory / r.name, result.pdf))
        with output_lock(directory):
            write_all(files)
        return [path for path, _ in files]

    def __repr__(self) -> str:
        s = self.solution
        return (f"<nnsolve key {s.stem!r}: {s.title}; {len(s.sections)} question"
                f"{'' if len(s.sections) == 1 else 's'}, {sum(len(sec.answers) for sec in s.sections)} answers>")

    def _repr_markdown_(self) -> str:
        return self.to_markdown(embed_images=True)

    def _repr_html_(self) -> str:
        return self.to_html(body_only=True)


__all__ = ["Key", "OPTIONS", "load", "slug", "solve"]
