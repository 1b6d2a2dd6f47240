"""Stage 1: a problem file becomes a validated, frozen :class:`Problem`.

:mod:`.loader` reads YAML (the only module of this stage that touches files),
:mod:`.schema` holds the models, :mod:`.validation` turns plain data into a
:class:`Problem` with one-line errors, :mod:`.checks` checks across fields and the
limits, :mod:`.expressions` parses graph expressions by a whitelisted grammar.
"""

from .json_schema import json_schema
from .loader import load_problem, parse_yaml
from .schema import Problem, Question
from .validation import validate

__all__ = ["Problem", "Question", "json_schema", "load_problem", "parse_yaml", "validate"]
