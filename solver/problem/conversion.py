"""msgspec's conversion of plain data (from YAML) into the problem's models, with the custom
field types that msgspec does not know: leaves (an exact number, a name, a tensor), each
converted by a function, and unions that msgspec cannot tell apart by itself (a number or a
list; a loss or its name; a layer by its ``type``), each read as one of its members.
"""


import abc
from collections.abc import Callable
from typing import Any, get_origin

import msgspec


class CustomType(abc.ABC):
    """A field type that msgspec hands to :func:`dec_hook` (registered with :func:`converter`
    or :func:`union`); the classes of the values it yields are its virtual subclasses (msgspec
    checks the result's type)."""


#: The custom field types. A leaf's converter: ``value → converted value``, raising
#: ValueError with the message. A union's members, and its reading: ``value → (the member it
#: is read as, the value as read)``, by default the member of the value's shape (a mapping: a
#: model or a dict; a list: a list; else the first other member); msgspec converts it (a
#: nested conversion's message carries its location, `` - at `$[1]` ``, which the validation
#: stage joins to the outer one).
_CONVERTERS: dict[type, Callable[[Any], Any]] = {}
MEMBERS: dict[type, tuple] = {}
_READINGS: dict[type, Callable[[Any], tuple[Any, Any]]] = {}


def converter(kind: type, *results: type):
    """Register the converter of the leaf type ``kind``, whose values are ``results`` (a decorator)."""
    for r in results:
        kind.register(r)

    def register(fn):
        _CONVERTERS[kind] = fn
        return fn
    return register


def union(kind: type, *members: Any, read: Callable[[Any], tuple[Any, Any]] | None = None) -> None:
    """Register the custom union type ``kind``: its members and (when not by shape) its reading."""
    MEMBERS[kind] = members
    for m in members:
        kind.register(get_origin(m) or m)
    _READINGS[kind] = read or (lambda v: (by_shape(members, v), v))


def by_shape(members: tuple, value: Any) -> Any:
    """The member of a union that a value of this shape is read as."""
    want = dict if isinstance(value, dict) else list if isinstance(value, list) else None
    for m in members:
        origin = get_origin(m) or m
        shape = list if origin is list else dict if origin is dict or is_model(m) else None
        if shape is want:
            return m
    return members[0]


def is_model(kind: Any) -> bool:
    """Whether ``kind`` is a model (a msgspec ``Struct`` class)."""
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)


def reading(kind: Any, value: Any) -> tuple[Any, Any]:
    """The type that ``value`` is read as where ``kind`` is expected, and the value as read
    (``kind`` and ``value`` themselves but for a custom union type)."""
    read = _READINGS.get(kind)
    return (kind, value) if read is None else read(value)


def dec_hook(kind: type, value: Any) -> Any:
    """msgspec's hook for the custom field types."""
    if kind in _READINGS:
        concrete, value = _READINGS[kind](value)
        return convert(value, concrete)
    fn = _CONVERTERS.get(kind)
    if fn is None:
        raise NotImplementedError(kind)
    return fn(value)


def convert(value: Any, kind: Any) -> Any:
    """``value`` converted to ``kind`` (strictly: no ``"2"`` for 2, no ``1`` for true).

    Raises:
        ValueError: msgspec's message with its location (`` - at `$.units` ``), for the
            enclosing conversion to join to its own.
    """
    try:
        return msgspec.convert(value, kind, strict=True, dec_hook=dec_hook, from_attributes=False)
    except msgspec.ValidationError as exc:
        raise ValueError(NESTED + str(exc)) from None


#: The mark that starts a message carrying a nested location.
NESTED = "\x00"
