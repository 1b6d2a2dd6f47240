"""The building blocks of the problem schema: exact numbers, names, the frozen model
base, and the fields that an activation's, a loss's or an optimizer's parameters add
(read from their descriptors, so that a new one adds its fields by itself)."""


import keyword
import re
import unicodedata
from typing import Annotated, Any

import msgspec
import sympy as sp
from msgspec import Meta

from ..core.numbers import display, parse_number
from ..ops.params import article
from .conversion import CustomType, converter, union

#: A name: a letter, then letters, digits or ``_``, optionally indexed (``W1[1,2]``); ASCII
#: only, and matched in full (``fullmatch``: ``$`` would let ``"x1\n"`` pass).
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)?\])?$", re.ASCII)
#: Words that cannot be names: Python's keywords (graph expressions are read with
#: Python's ``ast``, where ``lambda`` or ``if`` cannot be a name).
RESERVED = frozenset(keyword.kwlist)

#: Characters shown escaped in messages: controls, format characters (bidi overrides,
#: zero-width), line and paragraph separators, surrogates, private and unassigned.
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: Any) -> str:
    """``text`` on one line with nothing hidden: newlines, control, escape and bidi
    characters (and spaces other than ' ') shown as ``\\n``, ``\\x1b``, ``\\u202e``.
    Backslashes are left alone, so that the result is unchanged by a second call."""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif cat in _HIDDEN or (cat == "Zs" and ch != " "):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def quoted(text: Any, most: int = 40) -> str:
    """``'text'`` for a message: :func:`printable`, shortened past ``most`` characters."""
    shown = printable(text)
    if len(shown) > most:
        shown = shown[:most - 6] + "…" + shown[-5:]
    return f"'{shown}'"


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


def shown(value: Any) -> str:
    """A short rendering of an offending input, as the YAML file wrote it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str) and type(value) is not str:  # a YAML decimal kept as text
        return str(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:36] + "…" + text[-1]


def written(value: sp.Rational) -> str:
    """A number as a problem file would write it: ``-0.5``, else ``1/3``."""
    shown = display(value, 30)
    return shown.text if shown.exact and "e" not in shown.text else str(value)


def _check_name(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError(f"expected a name, got {_kind(v)}")
    if not NAME_RE.fullmatch(v):
        raise ValueError(f"{quoted(v)} is not a valid name (a letter, then letters, digits or _)")
    if v in RESERVED:
        raise ValueError(f"{quoted(v)} is a reserved word (Python's), not a valid name: choose another name")
    return v


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if v is None:
        return "null"
    return {int: "an integer", dict: "a mapping", list: "a list"}.get(type(v), type(v).__name__)


def to_tensor(v: Any, depth: int = 0):
    """A number, or nested lists of numbers (a vector, a matrix, a tensor), exact."""
    if isinstance(v, list):
        if depth >= 6:
            raise ValueError("a tensor has at most 6 axes")
        if not v:
            raise ValueError("an empty list is not a tensor")
        return [to_tensor(x, depth + 1) for x in v]
    return _to_rational(v)


_NUMBER_SCHEMA = {"type": ["number", "string"]}


def tensor_schema(depth: int = 6) -> dict:
    """The JSON Schema of a number or nested lists of numbers, up to ``depth`` axes."""
    inner: dict = _NUMBER_SCHEMA
    for _ in range(depth):
        inner = {"anyOf": [_NUMBER_SCHEMA, {"type": "array", "minItems": 1, "items": inner}]}
    return {**inner, "description": "a number, or nested lists of numbers (a vector, matrix or tensor)"}


#: A number, exact (sympy ``Rational``): a decimal, an integer or a fraction string.
Number = sp.Rational


class NumberOrTensor(CustomType):
    """A scalar or a tensor as nested lists (shape inferred and checked by the graph stage)."""


class NumberOrList(CustomType):
    """A number, or a list of numbers (one per unit)."""


class Name(CustomType):
    """A name (:data:`NAME_RE`, not a Python keyword)."""


class NameOrList(CustomType):
    """A name, or a list of names."""


converter(Number)(_to_rational)
converter(NumberOrTensor, list, sp.Rational)(lambda v: to_tensor(v))
converter(Name, str)(lambda v: _check_name(v))
union(NumberOrList, Number, list[Number])
union(NameOrList, Name, list[Name])


def described(kind: Any, description: str) -> Any:
    """``kind`` with its description in the JSON Schema."""
    return Annotated[kind, Meta(description=description)]


def schema_as(kind: Any, schema: dict) -> Any:
    """``kind``, whose JSON Schema is ``schema`` as given rather than derived from the type."""
    return Annotated[kind, Meta(extra_json_schema={"$as": schema})]


def bounded_text(name: str, text: str, least: int, most: int) -> None:
    """A text field's length check, in the words validation uses for every field.

    Raises:
        ValueError: ``"title: got ''; string should have at least 1 character"``.
    """
    wrong = wrong_length(text, "string", least, most)
    if wrong:
        raise ValueError(f"{name}: {wrong}")


def not_allowed(value: Any, choices) -> str:
    """Why a value outside a fixed set is refused: ``'relux' is not allowed; input should be
    'relu', 'sigmoid' or 'tanh'``."""
    listed = [repr(c) if isinstance(c, str) else str(c) for c in choices]
    either = listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} or {listed[-1]}"
    return f"{shown(value)} is not allowed; input should be {either}"


def wrong_length(value: Any, word: str, least: int | None, most: int | None) -> str | None:
    """Why a string, list or dictionary (``word``) of this length is refused, or None:
    ``got ''; string should have at least 1 character``, ``got a list; list should have at
    most 16 items after validation, not 17``."""
    if least is not None and len(value) < least:
        side, bound = "least", least
    elif most is not None and len(value) > most:
        side, bound = "most", most
    else:
        return None
    unit = ("character" if word == "string" else "item") + ("" if bound == 1 else "s")
    after = "" if word == "string" else f" after validation, not {len(value)}"
    return f"got {shown(value)}; {word} should have at {side} {bound} {unit}{after}"


class Model(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The base of the problem's models: frozen, no unknown field, and strict (an integer
    field takes an integer, not true (1), "2" or "٢"; a boolean field a boolean, not 1 or
    "yes").

    The modules defining models do not use ``from __future__ import annotations``: msgspec
    would then resolve each field's annotation from its text (``typing.ForwardRef``, one
    ``compile`` and ``eval`` each) at the first ``convert``, about 5 ms of every cold run for
    the 117 annotations; evaluated when the class is made, they cost a third of that."""


def with_params(base: type, descriptors, exclude: tuple[str, ...] = ()) -> type:
    """``base`` with one optional numeric field per parameter that ``descriptors`` declare
    (a slope, a margin), named as in problem files. A parameter that several declare in other
    words is described by each wording with the keys that use it (Adam's ε and Adamax's), and
    has a range in the schema only where they all give the same one (each is checked anyway:
    :func:`check_params`)."""
    declared: dict[str, list] = {}
    for d in dict.fromkeys(descriptors):  # a registry lists a descriptor under each of its names
        for p in d.params:
            if p.name not in exclude:
                declared.setdefault(p.name, []).append((d.key, p))
    return _extended(base, [(name, Annotated[Number | None, _param_meta(uses)], None) for name, uses in declared.items()])


def with_flags(base: type, descriptors) -> type:
    """``base`` with one optional boolean field per flag that ``descriptors`` declare
    (``nesterov``, ``decoupled_weight_decay``), named and described as the flag is."""
    fields: dict[str, tuple] = {}
    for d in dict.fromkeys(descriptors):
        for f in d.flags:
            fields.setdefault(f.name, (f.name, Annotated[bool | None, Meta(description=f.description or None)], None))
    return _extended(base, list(fields.values()))


def _extended(base: type, fields: list) -> type:
    """A frozen, strict subclass of ``base`` (its name without the leading ``_``) with ``fields``."""
    made = msgspec.defstruct(base.__name__.lstrip("_"), fields, bases=(base,),
                             module=base.__module__, frozen=True, forbid_unknown_fields=True, kw_only=True)
    made.__doc__ = base.__doc__
    return made


def _param_meta(uses: list) -> Meta:
    """The schema's description and range of a parameter declared by ``uses`` ((key, Param) each)."""
    wordings: dict[str, list[str]] = {}
    for key, p in uses:
        if p.description:
            wordings.setdefault(p.description, []).append(key)
    text = next(iter(wordings), "") if len(wordings) <= 1 else \
        "; ".join(f"{words} ({', '.join(keys)})" for words, keys in wordings.items())
    ranges = [p.json_range() for _, p in uses]
    same = all(r == ranges[0] for r in ranges)
    return Meta(description=text or None, extra_json_schema=(ranges[0] if same else None) or None)


def check_params(model, chosen, descriptors) -> None:
    """Every parameter ``chosen`` requires is given, none that it does not take, and
    each given one within its range (:meth:`~solver.ops.params.Param.allows`).

    Raises:
        ValueError: ``"slope: leaky_relu needs a slope (for example slope: 0.01)"``, or
            ``"slope: only leaky_relu takes a slope"``, ``"beta1: must be at least 0 and
            less than 1 (got 1)"`` (the field first, for the message).
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
    for p in chosen.params:
        value = getattr(model, p.name, None)
        if value is not None and not p.allows(value):
            raise ValueError(f"{p.name}: {p.range_text()} (got {written(value)})")
