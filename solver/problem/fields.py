"""The building blocks of the problem schema: exact numbers, names, the frozen model
base, and the fields that an activation's, a loss's or an optimizer's parameters add
(read from their descriptors, so that a new one adds its fields by itself)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import sympy as sp
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, create_model

from ..core.numbers import parse_number
from ..ops.params import article

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)?\])?$")


def _to_rational(v: Any) -> sp.Rational:
    if isinstance(v, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(v, sp.Rational):
        return v
    if isinstance(v, int):
        return sp.Integer(v)
    if isinstance(v, float):
        return parse_number(repr(v))
    if isinstance(v, str):
        return parse_number(v)
    raise ValueError(f"expected a number, got {type(v).__name__}")


def _check_name(v: Any) -> str:
    if not isinstance(v, str) or not NAME_RE.match(v):
        raise ValueError(f"{v!r} is not a valid name (a letter, then letters, digits or _)")
    return v


Number = Annotated[sp.Rational, BeforeValidator(_to_rational),
                   WithJsonSchema({"type": ["number", "string"],
                                   "description": "a decimal (exact) or a fraction string such as \"1/3\""})]
Name = Annotated[str, BeforeValidator(_check_name),
                 WithJsonSchema({"type": "string", "pattern": NAME_RE.pattern})]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def with_params(base: type[BaseModel], descriptors, exclude: tuple[str, ...] = ()) -> type[BaseModel]:
    """``base`` with one optional numeric field per parameter that ``descriptors`` declare
    (a slope, a margin), named as in problem files; the first description given wins."""
    fields: dict[str, tuple] = {}
    for d in descriptors:
        for p in d.params:
            if p.name not in exclude:
                fields.setdefault(p.name, (Number | None, Field(None, description=p.description or None)))
    return create_model(base.__name__.lstrip("_"), __base__=base, __module__=base.__module__,
                        __doc__=base.__doc__, **fields)


def check_params(model: BaseModel, chosen, descriptors) -> None:
    """Every parameter ``chosen`` requires is given, and none that it does not take.

    Raises:
        ValueError: ``"slope: leaky_relu needs a slope (for example slope: 0.01)"``, or
            ``"slope: only leaky_relu takes a slope"`` (the field first, for the message).
    """
    own = {p.name for p in chosen.params}
    for p in chosen.params:
        if p.required and getattr(model, p.name, None) is None:
            raise ValueError(f"{p.name}: {chosen.key} needs {article(p.name)} (for example {p.name}: {p.example})")
    every = {p.name for d in descriptors for p in d.params}
    for name in sorted(every - own):
        if getattr(model, name, None) is not None:
            users = list(dict.fromkeys(d.key for d in descriptors if any(p.name == name for p in d.params)))
            verb = "takes" if len(users) == 1 else "take"
            raise ValueError(f"{name}: only {' and '.join(users)} {verb} {article(name)}")
