"""Lay a :class:`~solver.solution.Solution` out as Markdown or LaTeX with Jinja2.

Python decides how math is broken into lines (:func:`math_rows`); the templates
(``key.md.j2``, ``key.tex.j2``) only place strings. Templates are looked up first
in a user's ``--templates DIR``, then in the installed package. The LaTeX
environment uses ``<< >>``/``<% %>`` delimiters so that TeX braces never clash.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from .solution import Solution
from .steps import Equation

FORMATS = {"md": "key.md.j2", "tex": "key.tex.j2", "exam": "key.exam.tex.j2"}
SHEETS = ("key", "questions")
_WIDTH = 64


def template_dirs(extra: str | None = None) -> list[str]:
    """Where templates are looked for: ``extra`` first, then the packaged ones
    (``solver/templates`` in a wheel, ``templates/`` in a source checkout)."""
    here = Path(__file__).resolve().parent
    dirs = [str(extra)] if extra else []
    for d in (here / "templates", here.parent / "templates"):
        if d.is_dir():
            dirs.append(str(d))
    return dirs


def _visual_length(tex: str) -> int:
    tex = re.sub(r"\\(left|right|operatorname|mathit|textstyle)", "", tex)
    tex = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: max(m.group(1), m.group(2), key=len), tex)
    tex = re.sub(r"\\partial ", "d", tex)
    tex = re.sub(r"[{}^_]", "", tex)
    return len(tex)


def math_rows(eq: Equation, width: int = _WIDTH) -> list[tuple[str, str, str]]:
    """Break an equation into aligned rows ``(lhs, relation, rhs)``.

    Parts stay on the first row while it is shorter than ``width`` visible characters."""
    rows: list[tuple[str, str, str]] = []
    lhs, rel, cur = eq.lhs, None, ""
    length = _visual_length(eq.lhs)
    for r, tex in eq.parts:
        piece_len = _visual_length(tex) + 3
        if rel is None:
            rel, cur, length = r, tex, length + piece_len
            continue
        if length + piece_len > width or (r == "+" and rel == "+"):
            rows.append((lhs, rel, cur))
            lhs, rel, cur, length = "", r, tex, _visual_length(eq.lhs) + piece_len
        else:
            cur += f" {r} {tex}"
            length += piece_len
    rows.append((lhs, rel or "", cur))
    return rows


def aligned(equations, width: int = _WIDTH) -> str:
    """The body of an ``aligned``/``align*`` environment for several equations."""
    lines = []
    for eq in equations:
        for lhs, rel, rhs in math_rows(eq, width):
            lines.append(f"{lhs} &{rel} {rhs}".strip())
    return " \\\\\n".join(lines)


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """Escape plain text (a title) for LaTeX."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in str(text))


def md_escape(text: str) -> str:
    """Escape plain text for Markdown headings."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", str(text))


def _bytecode_cache():
    """Compiled templates cached between runs (a third of a small key's time is
    compiling them), in the user's cache folder; none where it cannot be written."""
    import os

    from . import __version__

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "nnsolve" / f"templates-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return None
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@lru_cache(maxsize=8)
def environment(fmt: str, extra: str | None = None) -> jinja2.Environment:
    """A cached Jinja environment for ``fmt`` (``md`` or ``tex``)."""
    loader = jinja2.FileSystemLoader(template_dirs(extra))
    common = dict(loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                  trim_blocks=True, lstrip_blocks=True, autoescape=False, bytecode_cache=_bytecode_cache())
    if fmt == "tex":
        env = jinja2.Environment(block_start_string="<%", block_end_string="%>",
                                 variable_start_string="<<", variable_end_string=">>",
                                 comment_start_string="<#", comment_end_string="#>", **common)
        env.filters["escape_text"] = tex_escape
    else:
        env = jinja2.Environment(**common)
        env.filters["escape_text"] = md_escape
    env.filters["aligned"] = aligned
    return env


def image_name(solution: Solution, sheet: str = "key") -> str:
    """The file name of the diagram a Markdown key or sheet embeds (written beside it)."""
    return f"{solution.stem}{'-questions' if sheet == 'questions' else ''}-diagram.svg"


def render(solution: Solution, fmt: str, *, body_only: bool = False, templates: str | None = None,
           sheet: str = "key", documentclass: str = "article") -> str:
    """The answer key (or, with ``sheet="questions"``, the question sheet) as a string.

    Args:
        fmt: ``md`` or ``tex``.
        body_only: for ``tex``, a fragment to ``\\input`` instead of a whole document.
        templates: a directory whose templates override the packaged ones.
        sheet: ``key`` (everything) or ``questions`` (no answers).
        documentclass: for ``tex``, ``article`` or ``exam`` (the exam class's
            questions/parts/solution environments).

    Raises:
        jinja2.TemplateError: a user's template is broken.
    """
    from .diagram import tikz

    name = "exam" if fmt == "tex" and documentclass == "exam" else fmt
    env = environment("md" if fmt == "md" else "tex", templates)
    diagram = solution.sheet_diagram if sheet == "questions" else solution.diagram
    context = dict(s=solution, body_only=body_only, sheet=sheet,
                   diagram=tikz(diagram) if diagram is not None and fmt == "tex" else "",
                   image=image_name(solution, sheet) if diagram is not None and fmt == "md" else "")
    return env.get_template(FORMATS[name]).render(**context)
