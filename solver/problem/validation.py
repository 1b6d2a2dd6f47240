"""Validation with one-line errors: plain data (from YAML) into a
:class:`~solver.problem.schema.Problem`, or a :class:`~solver.core.errors.ProblemError`
naming the first offending field; and the JSON Schema of problem files."""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from ..core.errors import ProblemError
from .checks import check_problem
from .fields import printable, quoted, tensor_schema
from .norm_layers import NORM_TYPES
from .randomize import resolve
from .recurrent import RECURRENT_TYPES
from .schema import Problem


def _loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class whose fields live at ``loc`` (for 'did you mean' hints)."""
    current: Any = Problem
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _find_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _find_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _find_model(arg)
        if found is not None:
            return found
    return None


_UNION_TAGS = {"int", "str", "float", "bool", "none", "dict", "list"}
#: The tags of a network layer's kinds (schema.Network.layers).
_LAYER_TAGS = {"dense", "tensor", "recurrent"}


def _clean_loc(loc: tuple, data: Any) -> tuple:
    """The location as the file writes it. Walking the input along ``loc``, a part that is
    a key of the mapping (or an index of the list) reached so far stays, whatever it holds
    (a key such as ``0[title`` or ``ClassTarget`` written in the file); a part that is not
    in the data is a tag pydantic adds for union members ('list[...]',
    'function-before[...]', a model's class name) and goes, unless it names a field (a
    missing one), which stays and ends the walk."""
    models = {m.__name__ for m in _models()}
    out, current = [], data
    for p in loc:
        if isinstance(current, dict) and not isinstance(p, int) and p in current:
            out.append(p)
            current = current[p]
        elif isinstance(current, list) and isinstance(p, int) and 0 <= p < len(current):
            out.append(p)
            current = current[p]
        elif isinstance(p, int) or not ("[" in str(p) or str(p) in models or str(p) in _UNION_TAGS
                                        or str(p) in _LAYER_TAGS):
            out.append(p)
            current = None
    return tuple(out)


def _models() -> list[type]:
    out, todo = [], [Problem]
    while todo:
        m = todo.pop()
        if m in out:
            continue
        out.append(m)
        for f in m.model_fields.values():
            found = _all_models(f.annotation)
            todo.extend(x for x in found if x not in out)
    return out


def _all_models(annotation: Any) -> list[type]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _all_models(arg)]


def _shown(value: Any) -> str:
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


def _message(err: dict, data: Any) -> tuple[str, str]:
    loc = _clean_loc(tuple(err["loc"]), data)
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        model = _model_at(loc[:-1])
        hint = ""
        if model is not None:
            import difflib  # only for a misspelt field

            fields = [f.alias or k for k, f in model.model_fields.items()]
            close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known fields: {', '.join(fields)})"
        return _loc_text(loc[:-1]) or "(top level)", f"unknown field {quoted(name, 60)}{hint}"
    if kind == "missing":
        return _loc_text(loc[:-1]) or "(top level)", f"missing required field {quoted(loc[-1], 60)}"
    msg = err["msg"]
    msg = re.sub(r"^(Value error|Assertion failed), ", "", msg)
    if kind == "literal_error":
        msg = f"{_shown(err.get('input'))} is not allowed; {msg[0].lower()}{msg[1:]}"
    elif re.match(r"^(Input|String|List|Dictionary) should ", msg):
        msg = msg.replace(", unable to parse string as an integer", "")
        msg = f"got {_shown(err.get('input'))}; {msg[0].lower()}{msg[1:]}"
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
        what = "holds no fields" if data is None else f"holds {_shown(data)}"
        raise ProblemError(f"the file {what}; it must be a mapping of fields (title, network, questions, ...)",
                           file=file, field="(top level)")
    try:
        problem = Problem.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # Prefer the most specific error (longest location) among union alternatives.
        err = max(errors, key=lambda e: (e["type"] == "extra_forbidden", len(e["loc"])))
        field, msg = _message(err, data)
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
    return problem


def _tensor_refs(node):
    """``node`` with every inline tensor schema (:func:`tensor_schema`, depth-limited for
    pydantic) replaced by a reference to the recursive ``NumberOrTensor``."""
    if node == tensor_schema():
        return {"$ref": "#/$defs/NumberOrTensor"}
    if isinstance(node, dict):
        return {k: _tensor_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_tensor_refs(v) for v in node]
    return node


def json_schema() -> dict:
    """The JSON Schema of problem files (draft 2020-12), for editors and ``nnsolve schema``."""
    schema = Problem.model_json_schema(by_alias=True)
    # Exactly one of network / graph, each given as an object (not null).
    for key, ref in (("network", "Network"), ("graph", "GraphSpec"), ("architecture", "Architecture")):
        schema["properties"][key] = {"$ref": f"#/$defs/{ref}"}
    # An optional object as its own schema (not "anyOf: [X, null]"), so that editors point
    # at the field inside it that is wrong.
    question = schema["$defs"]["Question"]["properties"]
    for key, ref in (("architecture", "Architecture"), ("optimizer", "Optimizer"), ("loss", "Loss")):
        if key in question:
            question[key] = {"$ref": f"#/$defs/{ref}", "description": question[key].get("description", "")}
    schema = _tensor_refs(schema)
    # A layer is a TensorLayer when its type says so, else a dense Layer: if/then/else rather
    # than oneOf, so that editors point at the field inside the layer that is wrong.
    schema["$defs"]["Network"]["properties"]["layers"]["items"] = {
        "if": {"properties": {"type": {"enum": ["conv2d", "maxpool2d", "avgpool2d", "flatten", *NORM_TYPES]}},
               "required": ["type"]},
        "then": {"$ref": "#/$defs/TensorLayer"},
        "else": {"if": {"properties": {"type": {"enum": list(RECURRENT_TYPES)}}, "required": ["type"]},
                 "then": {"$ref": "#/$defs/RecurrentLayer"}, "else": {"$ref": "#/$defs/Layer"}}}
    schema["$defs"]["NumberOrTensor"] = {
        "anyOf": [{"type": ["number", "string"]},
                  {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/NumberOrTensor"}}],
        "description": "a number, or nested lists of numbers (a vector, matrix or tensor)"}
    schema["not"] = {"required": ["network", "graph"]}  # one or the other (or neither, for counts)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nnsolve problem file"
    return schema
