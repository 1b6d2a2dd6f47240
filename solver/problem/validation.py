"""Validation with one-line errors: plain data (from YAML) into a
:class:`~solver.problem.schema.Problem` (msgspec, strict), or a
:class:`~solver.core.errors.ProblemError` naming the first offending field (worded by
:mod:`.messages`)."""

from __future__ import annotations

import re
from typing import Any

from msgspec.structs import fields as struct_fields

from ..core.errors import ProblemError
from .checks import check_problem
from .conversion import convert
from .fields import printable, quoted, shown
from .messages import locate, model_at, worded
from .placeholders import fill
from .randomize import resolve
from .schema import Problem


def _loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# compiled by re when a message is first worded (a valid file needs neither)
_UNKNOWN = r"(?s)^Object contains unknown field `(.*)`$"
_MISSING = r"(?s)^Object missing required field `(.*)`$"


def _message(text: str, data: Any) -> tuple[str, str]:
    """The field (as the file writes its location) and the message of msgspec's error."""
    msg, loc, kind, value = locate(text, data)
    unknown, missing = re.match(_UNKNOWN, msg), re.match(_MISSING, msg)
    if unknown:
        name = unknown.group(1)
        model = model_at(kind, value)
        hint = ""
        if model is not None:
            import difflib  # only for a misspelt field

            names = [f.encode_name for f in struct_fields(model)]
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known fields: {', '.join(names)})"
        return _loc_text(loc) or "(top level)", f"unknown field {quoted(name, 60)}{hint}"
    if missing:
        return _loc_text(loc) or "(top level)", f"missing required field {quoted(missing.group(1), 60)}"
    if msg.startswith(("Expected `", "Invalid enum value ")):
        msg = worded(kind, value)
    if msg.count(": ") and re.match(r"^[a-z_][a-z0-9_]*: ", msg):  # field-naming model validators
        sub, msg = msg.split(": ", 1)
        loc = loc + (sub,)
    return _loc_text(loc) or "(top level)", msg


def validate(data: Any, file: str | None = None) -> Problem:
    """Validate plain data (from YAML) into a :class:`Problem`.

    Raises:
        ProblemError: naming the first offending field, with a suggestion for a
            misspelt field name.
    """
    if not isinstance(data, dict):
        what = "holds no fields" if data is None else f"holds {shown(data)}"
        raise ProblemError(f"the file {what}; it must be a mapping of fields (title, network, questions, ...)",
                           file=file, field="(top level)")
    try:
        problem = convert(data, Problem)
    except ValueError as exc:
        field, msg = _message(str(exc), data)
        raise ProblemError(printable(msg), file=file, field=printable(field)) from None
    if problem.randomize is not None:
        for path in problem.randomize.values:
            try:
                resolve(problem, path)
            except ValueError as exc:
                raise ProblemError(printable(str(exc)), file=file, field=printable(f"randomize.values.{path}")) from None
    try:
        check_problem(problem, file)
    except ProblemError as exc:  # one line, whatever a check echoes
        raise ProblemError(printable(exc.message), file=exc.file,
                           field=None if exc.field is None else printable(exc.field)) from None
    try:
        return fill(problem, file)  # \given{path} in the texts: the values the problem now holds
    except ProblemError as exc:
        raise ProblemError(printable(exc.message), file=file, field=exc.field) from None
