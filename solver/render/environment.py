"""Jinja environments, one per template syntax, and where templates are found: a
user's ``--templates`` folder first, then the packaged ones. Templates are read through
Jinja's loader; compiled templates may be cached by a cache the caller passes in (the
writer's, :mod:`solver.files.cache`): nothing here writes a file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from .exam import answer_space, exam_points, part_refs, refer, total_points, unlabelled
from .formats import FORMATS
from .plots import axis_options
from .prose import display_rows, final_rows, given_display, run_in, tex_prose
from .prose_markup import md_prose
from .room import heading_only, needed_lines, part_lines, section_lines
from .text import aligned


def template_dirs(extra: str | None = None) -> list[str]:
    """Where templates are looked for: ``extra`` first, then the packaged ones
    (``solver/templates`` in a wheel, ``templates/`` in a source checkout)."""
    package = Path(__file__).resolve().parents[1]
    dirs = [str(extra)] if extra else []
    for d in (package / "templates", package.parent / "templates"):
        if d.is_dir():
            dirs.append(str(d))
    return dirs


@lru_cache(maxsize=16)
def environment(fmt: str, extra: str | None = None, cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """A cached Jinja environment for the format ``fmt`` (its syntax and escaping).

    Args:
        extra: a folder of templates overriding the packaged ones.
        cache: a compiled-template cache (or ``None``).
    """
    f = FORMATS[fmt]
    loader = jinja2.FileSystemLoader(template_dirs(extra))
    # the packaged templates are not looked at again for changes on every key (a stat per
    # template per key); a user's (``extra``) are, as they may be edited while a notebook runs
    common = dict(loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                  trim_blocks=True, lstrip_blocks=True, autoescape=False, bytecode_cache=cache,
                  auto_reload=extra is not None)
    if f.syntax == "tex":
        env = jinja2.Environment(block_start_string="<%", block_end_string="%>",
                                 variable_start_string="<<", variable_end_string=">>",
                                 comment_start_string="<#", comment_end_string="#>", **common)
    else:
        env = jinja2.Environment(**common)
    env.filters["escape_text"] = f.escape or (lambda text: str(text))
    env.filters["aligned"] = aligned
    env.filters["axis_options"] = axis_options
    env.filters.update(heading_only=heading_only, answer_space=answer_space, display_rows=display_rows, final_rows=final_rows, needed_lines=needed_lines,
                       part_lines=part_lines, part_refs=part_refs, refer=refer, run_in=run_in, tex_prose=tex_prose, md_prose=md_prose, given_display=given_display,
                       section_lines=section_lines,
                       total_points=total_points, unlabelled=unlabelled,
                       exam_points=exam_points)
    return env
