"""The JSON Schema of problem files (draft 2020-12), for editors and ``nnsolve schema``.

Generated from the msgspec models of :mod:`solver.problem.schema` by walking their fields,
in the form that the shipped ``schema/problem.schema.json`` has had since it was first
made (by pydantic): each model is a ``$defs`` entry titled by its class name, each field
is titled by its name; an optional field is ``anyOf: [X, null]``; keys are sorted, except
for a model's properties, which keep the fields' order. The custom field types
(:class:`~solver.problem.fields.Name`, :class:`~solver.problem.fields.NumberOrList`, …)
are written as the types they stand for (:data:`_STANDS_FOR`, :data:`_SCHEMAS`).
"""

from __future__ import annotations

import copy
import inspect
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from msgspec.structs import fields as struct_fields

from ..ops.losses import LOSSES
from .conversion import MEMBERS, is_model
from .fields import NAME_RE, Name, Number, NumberOrTensor, tensor_schema
from .layers import TENSOR_TYPES, AnyLayer
from .loss_spec import Loss
from .recurrent import RECURRENT_TYPES
from .schema import TITLE_LENGTH, Problem
from .text import TexProse, TexText

#: The schemas of the custom field types that are not written as other types.
_SCHEMAS = {
    Number: lambda: {"type": ["number", "string"],
                     "description": "a decimal (exact) or a fraction string such as \"1/3\""},
    NumberOrTensor: tensor_schema,
    Name: lambda: {"type": "string", "pattern": NAME_RE.pattern},
    TexText: lambda: {"type": "string"},
    TexProse: lambda: {"type": "string"},
}

#: The custom union types written as the unions of their members (LossOrName's is the
#: model's, which takes the shorthand itself: see _Builder).
_STANDS_FOR = {kind: Union[members] if len(members) > 1 else members[0]  # noqa: UP007
               for kind, members in MEMBERS.items() if kind is not AnyLayer}

#: Constraints checked after decoding rather than by a ``Meta`` (``title``'s length is
#: checked in ``Problem.__post_init__``, for the message), shown in the schema all the same.
_CHECKED_LATER = {(Problem, "title"): {"minLength": TITLE_LENGTH[0], "maxLength": TITLE_LENGTH[1]}}

#: ``Meta`` constraints → JSON Schema keywords (a length's by the schema's type).
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum",
           "pattern": "pattern", "description": "description", "title": "title"}
_LENGTHS = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems"),
            "object": ("minProperties", "maxProperties")}

_NULL = {"type": "null"}


def _is_union(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType)


def _members(kind: Any) -> list:
    """A union's members, without ``UNSET`` (a field not given: null in the schema)."""
    return [m for m in get_args(kind) if m is not msgspec.UnsetType]


class _Builder:
    """The schemas of types, collecting each model's schema into ``defs``."""

    def __init__(self) -> None:
        self.defs: dict[str, dict] = {}

    def of(self, kind: Any) -> dict:
        """The JSON Schema of ``kind``."""
        if get_origin(kind) is Annotated:
            return self._annotated(kind)
        if _is_union(kind):
            return self._any_of([self.of(m) for m in _members(kind)])
        if kind is type(None):
            return dict(_NULL)
        if kind in _SCHEMAS:
            return _SCHEMAS[kind]()
        if kind in _STANDS_FOR:
            return self.of(_STANDS_FOR[kind])
        if kind is AnyLayer:  # replaced by an if/then/else in json_schema()
            return {"oneOf": [self.of(c) for c in MEMBERS[AnyLayer]]}
        if is_model(kind):
            return self._ref(kind)
        return self._plain(kind)

    def _plain(self, kind: Any) -> dict:
        origin, args = get_origin(kind), get_args(kind)
        if origin is Literal:
            if len(args) == 1:
                return {"const": args[0], "type": "string"}
            return {"enum": list(args), "type": "string"}
        if origin is list:
            return {"items": self.of(args[0]), "type": "array"}
        if origin is dict:
            return self._dict(*args)
        simple = {bool: "boolean", int: "integer", str: "string"}
        if kind in simple:
            return {"type": simple[kind]}
        raise TypeError(f"no JSON Schema for {kind!r}")

    def _dict(self, key: Any, value: Any) -> dict:
        out = {"type": "object"}
        values = self.of(value)
        values.pop("title", None)
        if values:
            out["additionalProperties"] = values
        keys = self.of(key)
        keys.pop("title", None)
        if keys.get("type") == "string" and len(keys) > 1:
            keys.pop("type")
            out["propertyNames"] = keys
        return out

    def _annotated(self, kind: Any) -> dict:
        inner, *metas = get_args(kind)
        schema = self.of(inner)
        for meta in metas:
            if not isinstance(meta, msgspec.Meta):
                continue
            extra = meta.extra_json_schema or {}
            if "$as" in extra:
                schema = copy.deepcopy(extra["$as"])
                continue
            least, most = _LENGTHS.get(schema.get("type"), (None, None))
            for attr, key in (*_BOUNDS.items(), ("min_length", least), ("max_length", most)):
                if getattr(meta, attr) is not None:
                    schema[key] = getattr(meta, attr)
            schema.update(extra)
        return schema

    @staticmethod
    def _any_of(schemas: list[dict]) -> dict:
        """``anyOf`` the schemas, a nested ``anyOf`` flattened into it (pydantic's form)."""
        members: list[dict] = []
        for s in schemas:
            more = s["anyOf"] if list(s) == ["anyOf"] else [s]
            members.extend(m for m in more if m not in members)
        return members[0] if len(members) == 1 else {"anyOf": members}

    def _ref(self, cls: type) -> dict:
        name = cls.__name__
        if name not in self.defs:
            self.defs[name] = {}  # a placeholder while its fields are walked
            self.defs[name] = self.model(cls)
        return {"$ref": f"#/$defs/{name}"}

    def model(self, cls: type) -> dict:
        """A model's schema: its fields as properties, those without a default required."""
        infos = struct_fields(cls)
        out = {"additionalProperties": False, "description": inspect.cleandoc(cls.__doc__ or ""),
               "properties": {f.encode_name: self._field(cls, f) for f in infos}}
        required = [f.encode_name for f in infos
                    if f.default is msgspec.NODEFAULT and f.default_factory is msgspec.NODEFAULT]
        if required:
            out["required"] = required
        out.update(title=cls.__name__, type="object")
        if cls is Loss:  # the schema also takes the shorthand ``loss: sse``
            out = {"anyOf": [{"type": "string", "enum": list(LOSSES)}, out], "description": out["description"]}
        return out

    def _field(self, cls: type, info) -> dict:
        schema = self.of(info.type)
        schema.update(_CHECKED_LATER.get((cls, info.name), {}))
        if _titled(info.type):
            schema["title"] = info.encode_name.title().replace("_", " ")
        if info.default is not msgspec.NODEFAULT:
            schema["default"] = None if info.default is msgspec.UNSET else info.default
        return schema


def _titled(kind: Any) -> bool:
    """Whether a field of this type has a title: not when it is a model, optional or not
    (its title is the model's)."""
    while True:
        if get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        elif _is_union(kind):
            given = [m for m in _members(kind) if m is not type(None)]
            if len(given) != 1:
                return True
            kind = given[0]
        elif kind in _STANDS_FOR and not _is_union(_STANDS_FOR[kind]):
            kind = _STANDS_FOR[kind]
        else:
            return not is_model(kind)


def _sorted(node: Any, parent: str | None = None) -> Any:
    """``node`` with the keys of every mapping sorted, except a model's properties (in
    the fields' order) and a default (as given)."""
    if isinstance(node, dict):
        keys = node if parent in ("properties", "default") else sorted(node)
        return {k: _sorted(node[k], k) for k in keys}
    if isinstance(node, list):
        return [_sorted(v, parent) for v in node]
    return node


def _tensor_refs(node: Any) -> Any:
    """``node`` with every inline tensor schema (:func:`tensor_schema`, depth-limited)
    replaced by a reference to the recursive ``NumberOrTensor``."""
    if node == tensor_schema():
        return {"$ref": "#/$defs/NumberOrTensor"}
    if isinstance(node, dict):
        return {k: _tensor_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_tensor_refs(v) for v in node]
    return node


def _layer_items() -> dict:
    """A network's layer: a TensorLayer or a RecurrentLayer when its type says so, else a
    dense Layer (if/then/else rather than oneOf, so that editors point at the field inside
    the layer that is wrong)."""
    def when(kinds) -> dict:
        return {"properties": {"type": {"enum": list(kinds)}}, "required": ["type"]}

    return {"if": when(TENSOR_TYPES),
            "then": {"$ref": "#/$defs/TensorLayer"},
            "else": {"if": when(RECURRENT_TYPES), "then": {"$ref": "#/$defs/RecurrentLayer"},
                     "else": {"$ref": "#/$defs/Layer"}}}


def json_schema() -> dict:
    """The JSON Schema of problem files (draft 2020-12), for editors and ``nnsolve schema``."""
    builder = _Builder()
    root = builder.model(Problem)
    schema = _sorted({**root, "$defs": builder.defs})
    # Exactly one of network / graph, each given as an object (not null).
    for key, ref in (("network", "Network"), ("graph", "GraphSpec"), ("architecture", "Architecture")):
        schema["properties"][key] = {"$ref": f"#/$defs/{ref}"}
    # An optional object as its own schema (not "anyOf: [X, null]"), so that editors point
    # at the field inside it that is wrong.
    question = schema["$defs"]["Question"]["properties"]
    for key, ref in (("architecture", "Architecture"), ("optimizer", "Optimizer"), ("loss", "Loss")):
        question[key] = {"$ref": f"#/$defs/{ref}", "description": question[key].get("description", "")}
    schema = _tensor_refs(schema)
    schema["$defs"]["Network"]["properties"]["layers"]["items"] = _layer_items()
    schema["$defs"]["NumberOrTensor"] = {
        "anyOf": [{"type": ["number", "string"]},
                  {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/NumberOrTensor"}}],
        "description": "a number, or nested lists of numbers (a vector, matrix or tensor)"}
    schema["not"] = {"required": ["network", "graph"]}  # one or the other (or neither, for counts)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nnsolve problem file"
    return schema
