"""The answers JSON: every answer of the key, for autograders (see :mod:`..answers`)."""

from __future__ import annotations

from ..answers import answers_json
from .base import Format

FORMAT = Format("json", "json", "the answers, for autograding (one per problem)", text=answers_json,
                per_sheet=False, order=3)
