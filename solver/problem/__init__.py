"""Stage 1: a problem file becomes a validated, frozen :class:`Problem`.

:mod:`.loader` reads YAML (the only module of this stage that touches files),
:mod:`.schema` holds the models, :mod:`.validation` turns plain data into a
:class:`Problem` with one-line errors, :mod:`.checks` checks across fields and the
limits, :mod:`.expressions` parses graph expressions by a whitelisted grammar.
"""

from .loader import load_problem, parse_yaml
from .schema import Problem, Question
from .validation import validate

__all__ = ["Problem", "Question", "json_schema", "load_problem", "parse_yaml", "validate"]


def __getattr__(name: str):
    """``json_schema``, imported when first asked for: only ``nnsolve schema`` and tooling
    need the schema's builder, not every run."""
    if name == "json_schema":
        from .json_schema import json_schema

        # importing the submodule bound its name here to the module: bind the function instead
        globals()["json_schema"] = json_schema
        return json_schema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
