"""Read a problem file (YAML) into a validated :class:`~solver.problem.schema.Problem`.

YAML is parsed with PyYAML's safe loader, changed in three ways: decimals are kept as
written (``0.1`` stays the text ``"0.1"``, exactly 1/10); numbers are resolved as YAML
1.2's core schema reads them (``010`` is ten; ``0x10``, ``1_000``, ``1:30`` and dates stay
text, refused where a number is expected); and the document is checked before anything
is built (:class:`_Checker`): duplicate keys, and tags, aliases and numbers that are not
plain, finite data are refused, naming the field, as is a value that fails to build
(``!!timestamp 2024-02-30``). Only a regular file is read, at most MAX_BYTES + 1 bytes.
libyaml composes the document where PyYAML has it (:mod:`.yaml_c`); whatever it, the limits
or the checks refuse is read again by PyYAML's own parser, whose messages are reported.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..core.errors import ProblemError
from .fields import printable, quoted
from .reading import MAX_BYTES, read_text  # noqa: F401 - read_text is imported from here too
from .schema import Problem
from .validation import validate
from .yaml_c import composed, with_libyaml

#: Limits that keep a hostile file from exhausting time or memory.
MAX_DEPTH = 32          # nested mappings/sequences
MAX_VALUES = 50_000     # values, counting each use of a YAML alias (a 20,000-parameter network holds ~20,000)
MAX_DIGITS = 300        # digits of an integer

_TAG = "tag:yaml.org,2002:"
#: The YAML types a problem file may hold: plain data, nothing that builds objects.
_PLAIN_TAGS = frozenset(_TAG + t for t in ("null", "bool", "int", "float", "str", "seq", "map",
                                           "merge", "timestamp"))
_NON_FINITE = re.compile(r"[-+]?\.(inf|nan)", re.IGNORECASE)
_SURROGATE = re.compile("[\ud800-\udfff]")
#: An integer and a decimal as YAML 1.2's core schema writes them (ASCII digits only).
_INT = re.compile(r"[-+]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", re.ASCII)


class _Decimal(str):
    """A YAML float kept as its text, so that it is read exactly."""


class _TooManyValues(Exception):
    def __init__(self, line: int):
        self.line = line


class _BuildError(Exception):
    """A value that could not be built (``!!bool maybe``, ``!!timestamp 2024-02-30``)."""

    def __init__(self, node: yaml.Node, message: str):
        self.node, self.message = node, message


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, counting the nodes (values and keys) as it composes them
    so that a file of many small values is refused as soon as it passes
    :data:`MAX_VALUES`, without reading the rest (reading 1 MB of ``k: 1`` pairs whole
    takes PyYAML about 6 s; :class:`_Checker` then counts each use of an alias)."""

    composed = 0

    def compose_node(self, parent, index):
        self.composed += 1
        if self.composed > MAX_VALUES:
            raise _TooManyValues(self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (_BuildError, RecursionError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever a constructor raises names the field
            what = "it has no such value" if isinstance(exc, KeyError) or not str(exc) else (
                getattr(exc, "problem", None) or str(exc))
            value = node.value if isinstance(node, yaml.ScalarNode) else "a " + type(node).__name__[:-4].lower()
            raise _BuildError(node, f"cannot read {quoted(value)} as {_short_tag(node.tag)}: "
                                    f"{printable(what)}") from None


# Implicit types: YAML 1.2's core schema for numbers and null, YAML 1.1's boolean words
# (``bias: yes``; refused where a number or key is expected); no timestamps, no ``0x``.
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(
    _TAG + "bool", re.compile(r"(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
                              r"|on|On|ON|off|Off|OFF)$"), list("yYnNtTfFoO"))
_Loader.add_implicit_resolver(_TAG + "null", re.compile(r"(~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver(_TAG + "int", re.compile(_INT.pattern + "$", re.ASCII), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _TAG + "float", re.compile(r"(" + _FLOAT.pattern + r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", re.ASCII),
    list("-+.0123456789"))
_Loader.add_implicit_resolver(_TAG + "merge", re.compile(r"<<$"), ["<"])


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    text = loader.construct_scalar(node)
    if _NON_FINITE.fullmatch(text):  # also caught, naming the field, by _Checker
        raise yaml.constructor.ConstructorError(None, None, f"{quoted(text)} is not a finite number",
                                                node.start_mark)
    return _Decimal(text)


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An integer in plain decimal (``010`` is ten; ``!!int 0x10`` is refused)."""
    text = loader.construct_scalar(node)
    if not _INT.fullmatch(text):
        raise ValueError("write an integer in plain decimal digits (no 0x, 0o, _ or :)")
    return int(text, 10)


_Loader.add_constructor(_TAG + "float", _float)
_Loader.add_constructor(_TAG + "int", _int)

#: Characters on which libyaml and PyYAML may read a text differently (a BOM, tabs, the
#: line breaks NEL, LS and PS; besides those PyYAML refuses, NON_PRINTABLE): such a text is
#: read by PyYAML alone. (One negated Unicode class for all would take 16 ms to compile.)
_UNUSUAL = re.compile("[\t\x85\u2028\u2029\ufeff]")
_FastLoader = with_libyaml(_Loader)
_REFUSED = object()


def _parse_fast(text: str, file: str | None):
    """The document as libyaml reads it, or ``_REFUSED`` for anything that libyaml, the
    limits, the checks or a constructor refuse: PyYAML then reads it, for its message."""
    loader = None
    try:
        loader = _FastLoader(text)
        if loader.raw_scan() > 4 * MAX_VALUES:  # C only, 0.07 s a megabyte: no composing far past the limit
            return _REFUSED
        loader.dispose()
        loader = _FastLoader(text)
        node = loader.get_single_node()
        if node is None or composed(node) > MAX_VALUES:
            return _REFUSED
        _Checker(file).check(node)
        return loader.construct_document(node)
    except Exception:  # noqa: BLE001 - read again by PyYAML, which names the problem as it always has
        return _REFUSED
    finally:
        if loader is not None:
            loader.dispose()


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _line(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


class _Checker:
    """Walks the composed YAML (before any object is built) and rejects what is not
    plain data, naming the field: tags such as ``!!python/object``, duplicate keys,
    keys that are not names, non-finite or enormous numbers, aliases that refer to
    themselves or expand into too many values, and too deep nesting."""

    def __init__(self, file: str | None):
        self.file = file
        self.count = 0
        self.paths: dict[int, str] = {}  # id of a node → the field it is first found at

    def fail(self, path: str, message: str) -> None:
        raise ProblemError(message, file=self.file, field=path or "(top level)")

    def check(self, node: yaml.Node, path: str = "", ancestors: tuple = ()) -> None:
        self.count += 1
        self.paths.setdefault(id(node), path)
        if self.count > MAX_VALUES:
            self.fail(path, f"the file holds more than {MAX_VALUES} values "
                            "(counting each use of a YAML alias)")
        if id(node) in ancestors:
            self.fail(path, f"a YAML alias refers to a value that contains it ({_line(node)})")
        if len(ancestors) >= MAX_DEPTH:
            self.fail(path, f"the file is nested more than {MAX_DEPTH} levels deep")
        if node.tag not in _PLAIN_TAGS:
            self.fail(path, f"the YAML tag '{_short_tag(node.tag)}' is not allowed: a problem file holds "
                            f"plain data only ({_line(node)})")
        inner = ancestors + (id(node),)
        if isinstance(node, yaml.ScalarNode):
            self.scalar(node, path)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.check(item, f"{path}[{i}]", inner)
        elif isinstance(node, yaml.MappingNode):
            self.mapping(node, path, inner)

    def whole_characters(self, node: yaml.ScalarNode, path: str) -> None:  # a value's or a key's
        if half := _SURROGATE.search(node.value):  # a quoted "\\ud800": half a character, nothing writes it
            self.fail(path, f"the text holds U+{ord(half.group()):04X}, half of a character (an escape such as "
                            f"\\ud800 in quotes): write the character itself ({_line(node)})")

    def scalar(self, node: yaml.ScalarNode, path: str) -> None:
        text = node.value
        self.whole_characters(node, path)
        if node.tag == _TAG + "float" and _NON_FINITE.fullmatch(text):
            self.fail(path, f"{quoted(node.value)} is not a finite number")
        if node.tag == _TAG + "int" and len(text.strip().lstrip("+-")) > MAX_DIGITS:
            self.fail(path, f"the number has {len(text.strip().lstrip('+-'))} digits: too large")

    def mapping(self, node: yaml.MappingNode, path: str, inner: tuple) -> None:
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":  # '<<: *base' merges another mapping
                self.check(value_node, path, inner)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(path, f"a key must be a name, not a list or mapping ({_line(key_node)})")
            key = key_node.value
            self.whole_characters(key_node, path)
            sub = f"{path}.{key}" if path else key
            shown = quoted(key, 60)
            if key_node.tag != _TAG + "str":
                kind = {"bool": "a boolean", "null": "null", "int": "an integer", "float": "a number"}.get(
                    key_node.tag[len(_TAG):], _short_tag(key_node.tag))
                self.fail(sub, f"the key {shown} is read as {kind}, not a name; put it in quotes "
                               f"({_line(key_node)})")
            if key in seen:
                lines = sorted({seen[key].start_mark.line + 1, key_node.start_mark.line + 1})
                where = " and ".join(map(str, lines))
                self.fail(sub, f"the key {shown} appears twice in one mapping "
                               f"(line{'s' if len(lines) > 1 else ''} {where})")
            seen[key] = key_node
            self.check(value_node, sub, inner)


def _where(exc: yaml.YAMLError, text: str) -> str | None:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}"
    position = getattr(exc, "position", None)  # a ReaderError (a forbidden character)
    if isinstance(position, int):
        return f"line {text.count(chr(10), 0, position) + 1}"
    return None


def parse_yaml(text: str, file: str | None = None):
    """Plain data from YAML text.

    The document is composed, checked by :class:`_Checker` and only then built: nothing
    but plain data (mappings, lists, strings, numbers, booleans, null) is constructed.

    Raises:
        ProblemError: for malformed YAML (naming the line), or YAML that is not plain
            data or whose values cannot be built (naming the field); every message on
            one line (:func:`~solver.problem.fields.printable`).
    """
    try:
        return _parse(text, file)
    except ProblemError as exc:
        raise ProblemError(printable(exc.message), file=file, field=exc.field and printable(exc.field)) from None


def _parse(text: str, file: str | None):
    if _FastLoader is not None and not (_UNUSUAL.search(text) or yaml.reader.Reader.NON_PRINTABLE.search(text)):
        data = _parse_fast(text, file)
        if data is not _REFUSED:
            return data
    loader = None
    checker = _Checker(file)
    try:
        loader = _Loader(text)  # checks for forbidden characters straight away
        node = loader.get_single_node()
        if node is None:
            return None
        checker.check(node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if getattr(exc, "problem", None) is None and isinstance(exc, yaml.reader.ReaderError):
            what = f"the character U+{exc.character:04X} is not allowed in a text file"
        raise ProblemError(f"malformed YAML: {what}", file=file, field=_where(exc, text)) from None
    except _BuildError as exc:
        field = checker.paths.get(id(exc.node)) or _line(exc.node)
        raise ProblemError(exc.message, file=file, field=field or "(top level)") from None
    except _TooManyValues as exc:
        raise ProblemError(f"the file holds more than {MAX_VALUES} values", file=file,
                           field=f"line {exc.line}") from None
    except RecursionError:
        raise ProblemError(f"the file is nested too deeply (more than {MAX_DEPTH} levels)",
                           file=file, field="(top level)") from None
    finally:
        if loader is not None:
            loader.dispose()


def load_problem(path: str | Path) -> Problem:
    """Read, parse and validate a problem file.

    Raises:
        ProblemError: the file is missing, unreadable, not a regular file, too large,
            not YAML, or invalid; its message on one line.
    """
    return validate(parse_yaml(read_text(path), str(path)), str(path))
