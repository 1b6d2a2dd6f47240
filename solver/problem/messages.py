"""A validation error of msgspec, as one line naming the field: where it is, as the file
writes it (``network.layers[0].units``), and what is wrong, in the words of every other
message (``got 0; input should be greater than or equal to 1``).

msgspec reports the first error as text (``Expected `int` >= 1 - at `$.units```), and the
custom field types (:mod:`.fields`) join a nested conversion's location to theirs. The
message is worded from the expected type at that location (read from the models) and the
value the file gives there.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from msgspec.structs import fields as struct_fields

from .conversion import NESTED, CustomType, by_shape, convert, is_model, reading
from .fields import not_allowed, shown, wrong_length
from .schema import Problem

_AT = " - at `"
_STEP = r"\.([^.\[]+)|\[(\d+|\.\.\.)\]"  # compiled by re when a message is first written


def _split(text: str) -> tuple[str, list]:
    """msgspec's message and the location it joins (outer first), ``...`` for a mapping's key."""
    parts = text.split(_AT)
    loc: list = []
    for where in reversed(parts[1:]):
        for name, index in re.findall(_STEP, where.rstrip("`").lstrip("$")):
            loc.append(name if name else ("..." if index == "..." else int(index)))
    return parts[0].lstrip(NESTED), loc


def _unwrap(kind: Any) -> tuple[Any, dict]:
    """A type without ``Annotated`` (and its constraints)."""
    meta: dict = {}
    while get_origin(kind) is Annotated:
        kind, *extras = get_args(kind)
        for m in extras:
            if isinstance(m, msgspec.Meta):
                meta.update({k: getattr(m, k) for k in ("ge", "le", "min_length", "max_length", "pattern")
                             if getattr(m, k) is not None})
    return kind, meta


def _members(kind: Any) -> list:
    if get_origin(kind) in (Union, types.UnionType):
        return [m for m in get_args(kind) if m not in (type(None), msgspec.UnsetType)]
    return [kind]


def _concrete(kind: Any, value: Any) -> tuple[Any, Any]:
    """The type that ``value`` is read as where ``kind`` is expected (through unions and the
    custom union types), and the value as read."""
    kind, _ = _unwrap(kind)
    members = _members(kind)
    kind, _ = _unwrap(by_shape(tuple(_unwrap(m)[0] for m in members), value) if members else kind)
    try:
        read, value = reading(kind, value)
    except ValueError:  # a value its reading refuses (a layer's unknown type) is read no further
        return kind, value
    return (kind, value) if read is kind else _concrete(read, value)


def _child(kind: Any, value: Any, step: Any) -> Any:
    """The type found at ``step`` inside ``kind`` (given as ``value``, as read)."""
    if is_model(kind):
        return next((f.type for f in struct_fields(kind) if f.encode_name == step), Any)
    args = get_args(kind)
    if get_origin(kind) is list:
        return args[0]
    if get_origin(kind) is dict:
        return args[1]
    return Any


def _key_at(kind: Any, mapping: dict, keys_only: bool = False) -> Any:
    """The first key of ``mapping`` whose key (or value) does not convert (msgspec names none)."""
    key_type, value_type = get_args(kind)
    for k, v in mapping.items():
        try:
            convert(k, key_type)
            if not keys_only:
                convert(v, value_type)
        except ValueError:
            return k
    return next(iter(mapping), "...")


def _about_mapping(msg: str) -> bool:
    """Whether msgspec's message at a mapping is about the mapping (else about one of its keys)."""
    return msg.startswith(("Expected `object", "Object "))


def locate(text: str, data: Any) -> tuple[str, tuple, Any, Any]:
    """msgspec's message, the location as the file writes it, the type expected there and
    the value given."""
    msg, steps = _split(text)
    kind, value, loc = Problem, data, []
    if not _about_mapping(msg):
        steps.append("(key)")  # dropped unless a mapping's key is what is wrong
    for step in steps:
        read_as, read = _concrete(kind, value)
        if step == "(key)":
            if not (isinstance(read, dict) and get_origin(read_as) is dict):
                break
            key = _key_at(read_as, read, keys_only=True)
            return msg, (*loc, key), get_args(read_as)[0], key
        if step == "..." and isinstance(read, dict):
            step = _key_at(read_as, read)
        kind = _child(read_as, read, step)
        loc.append(step)
        if isinstance(read, dict) and step in read or isinstance(read, list) and isinstance(step, int) \
                and 0 <= step < len(read):
            value = read[step]
        else:
            value = None
    return msg, tuple(loc), kind, value


def model_at(kind: Any, value: Any) -> type | None:
    """The model read at a location (whose fields a misspelt name is compared with)."""
    kind, _ = _concrete(kind, value)
    return kind if is_model(kind) else None


def worded(kind: Any, value: Any) -> str:
    """Why ``value`` is not a ``kind``, as a union's first member words it."""
    kind, meta = _unwrap(kind)
    members = _members(kind)
    if len(members) > 1 or members != [kind]:
        return worded(members[0], value)
    if isinstance(kind, type) and issubclass(kind, CustomType):
        read, value = reading(kind, value)
        if read is not kind:
            return worded(read, value)
    got = f"got {shown(value)}; "
    if get_origin(kind) is Literal:
        return not_allowed(value, get_args(kind))
    if kind is int:
        if type(value) is not int:
            return got + "input should be a valid integer"
        if "ge" in meta and value < meta["ge"]:
            return got + f"input should be greater than or equal to {meta['ge']}"
        return got + f"input should be less than or equal to {meta['le']}"
    if kind is bool:
        return got + "input should be a valid boolean"
    origin = get_origin(kind) or kind
    if origin in (str, list, dict):
        word = {str: "string", list: "list", dict: "dictionary"}[origin]
        if not isinstance(value, origin):
            return got + f"input should be a valid {word}"
        return (wrong_length(value, word, meta.get("min_length"), meta.get("max_length"))
                or got + f"string should match pattern '{meta['pattern']}'")
    if is_model(kind):
        return got + f"input should be a valid dictionary or instance of {kind.__name__}"
    return got + f"input should be a valid {getattr(kind, '__name__', kind)}"
