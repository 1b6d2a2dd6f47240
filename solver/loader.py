"""Read a problem file (YAML) into a validated :class:`~solver.problem.Problem`.

YAML is parsed with PyYAML's safe loader, changed in two ways: decimals are kept as
written (``0.1`` stays the text ``"0.1"`` and becomes exactly 1/10), and a key that
appears twice in one mapping is an error rather than silently overwritten.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ProblemError
from .problem import Problem, validate

MAX_BYTES = 1_000_000


class _Decimal(str):
    """A YAML float kept as its text, so that it is read exactly."""


class _Loader(yaml.SafeLoader):
    pass


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    text = loader.construct_scalar(node).replace("_", "")
    if text.lower().lstrip("+-") in (".inf", ".nan"):
        raise yaml.constructor.ConstructorError(None, None, f"'{text}' is not a finite number", node.start_mark)
    return _Decimal(text)


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse_yaml(text: str, file: str | None = None):
    """Plain data from YAML text.

    Raises:
        ProblemError: for malformed YAML, naming the line.
    """
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ProblemError(f"malformed YAML: {what}", file=file, field=where) from None


def load_problem(path: str | Path) -> Problem:
    """Read, parse and validate a problem file.

    Raises:
        ProblemError: the file is missing, unreadable, too large, not YAML, or invalid.
    """
    file = str(path)
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise ProblemError(f"the file is larger than {MAX_BYTES // 1000} kB", file=file)
        raw = p.read_bytes()
    except OSError as exc:
        raise ProblemError(f"cannot read the file ({exc.strerror})", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError("the file is not UTF-8 text", file=file) from None
    if not text.strip():
        raise ProblemError("the file is empty", file=file)
    data = parse_yaml(text, file)
    return validate(data, file)
