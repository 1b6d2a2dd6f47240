"""Problem files are read by libyaml where PyYAML has it (solver/problem/yaml_c.py), and again
by PyYAML's pure-Python parser for anything refused: the data, and every message, must be
what PyYAML alone gives. Checked on every YAML file of the repository and on edge cases of
the YAML syntax where two parsers could part."""

from pathlib import Path

import pytest

from solver.core.errors import ProblemError
from solver.problem import loader

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(loader._FastLoader is None, reason="PyYAML without libyaml")


def _typed(x):
    if isinstance(x, dict):
        return {k: _typed(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_typed(v) for v in x]
    return type(x).__name__, x


def _read(text: str, fast: bool):
    saved = loader._FastLoader
    if not fast:
        loader._FastLoader = None
    try:
        return "data", _typed(loader.parse_yaml(text, "f.yaml"))
    except ProblemError as exc:
        return "error", str(exc)
    finally:
        loader._FastLoader = saved


def _files() -> list[Path]:
    return sorted(p for d in ("problems", "tests", "examples") for p in (ROOT / d).rglob("*.y*ml"))


EDGE = {
    "flow json keys": '{"a":1, "b":[1,2]}\n', "flow plain colon": "x: {a:1}\n", "flow trailing": "x: [1, 2, ]\n",
    "flow keys only": "x: {a, b}\n", "complex key": "? [a, b]\n: 1\n", "set": "? a\n? b\n",
    "anchors and merges": "a: &x [1, 2]\nb: *x\nc:\n  <<: [{p: 1}, {q: 2}]\n  r: 3\n",
    "recursive alias": "a: &r [1, *r]\n", "alias as key": "x: &k a\n*k : 1\n", "undefined alias": "a: *nope\n",
    "multi-line plain": "a: this is\n  a multi line\n\n  plain scalar\nb: 2\n",
    "literal": "a: |\n  l1\n   l2\n\n  l3\n\nb: |-\n  x\nc: |+\n  y\n\nd: |2\n    indented\n",
    "folded": "a: >\n  folded\n  text\n\n  para\n   more indented\n  back\nb: >-\n  z\n",
    "double-quoted escapes": 'a: "\\x41\\u263A\\U0001F600\\N\\_\\L\\P\\e\\0\\a\\b\\t\\/\\ \\""\n',
    "double-quoted lines": 'a: "first\n  second\n\n  third \\\n  fourth"\n',
    "single-quoted": "a: 'it''s'\nb: 'multi\n  line\n\n  x'\n",
    "trailing spaces": "a: 1   \nb: text   \n", "empty values": "a:\nb: \nc: ~\nd: null\ne: []\nf: {}\n",
    "markers": "---\na: 1\n...\n", "YAML 1.1": "%YAML 1.1\n---\na: 1\n", "YAML 1.2": "%YAML 1.2\n---\na: 1\n",
    "YAML 2.0": "%YAML 2.0\n---\na: 1\n", "tag directive": "%TAG !e! tag:e.com,2000:\n---\na: !e!foo 1\n",
    "indicators": 'a: -x\nb: ?x\nc: :x\nd: x:y\ne: x#y\nf: x #y\ng: "#"\nh: [http://x, b]\n',
    "nested sequences": "- - x\n  - y\n- - z\n", "CRLF": 'a: 1\r\nb: |\r\n  x\r\n  y\r\nc: "p\r\n  q"\r\n',
    "CR": "a: 1\rb: 2\r", "numbers": "a: 1e3\nb: .5\nc: +1\nd: 0o7\ne: 1_000\nf: 0x1F\ng: 010\nh: -0.0\n"
    "i: 1.\nj: +.inf\nk: 2024-01-01\nl: 1:30\nm: 190:20:30.15\n", "booleans": "a: yes\nb: No\nc: on\nd: OFF\ne: y\n",
    "long key": "k" * 1100 + ": 1\n", "long quoted key": '"' + "k" * 1100 + '": 1\n',
    "key of 1020": "k" * 1020 + ": 1\n",
    "unicode": 'title: "σ(x) × 2 — ok"\nb: é\nc: 日本\nd: 😀\n', "BOM": "\ufeffa: 1\n", "tab": 'a: "x\ty"\n',
    "explicit tags": 'a: !!str 1\nb: !!int "2"\nc: !!float "1.5"\nd: !!bool "yes"\ne: !!null ""\nf: !!seq [1]\n',
    "non-specific tag": "a: ! 1\nb: ! x\n", "verbatim tag": "a: !<tag:yaml.org,2002:str> 1\n",
    "two documents": "a: 1\n---\nb: 2\n", "empty": "", "comment only": "# nothing\n", "scalar": "hello\n",
    "bad indent": "a:\n  b: 1\n c: 2\n", "mapping in plain": "a: b: c\n", "reserved @": "a: @x\n",
    "no final newline": "a: |\n  x", "nested 40": "a: " + "[" * 40 + "]" * 40 + "\n",
    "pairs past the limit": "".join(f"k{i}: 1\n" for i in range(25_001)),
    "list at the limit": "a: [" + ", ".join(["1"] * 49_997) + "]\n",
    "list past the limit": "a: [" + ", ".join(["1"] * 49_998) + "]\n",
    "aliases past the limit": "a: &x [1, 2, 3]\nb: [" + ", ".join(["*x"] * 20_000) + "]\n",
}


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files_read_alike(path):
    text = path.read_bytes().decode("utf-8", errors="replace")
    assert _read(text, fast=True) == _read(text, fast=False)


@pytest.mark.parametrize("name", EDGE)
def test_edge_cases_read_alike(name):
    assert _read(EDGE[name], fast=True) == _read(EDGE[name], fast=False)


def test_libyaml_reads_the_bundled_problems():
    """Not a fallback each time: libyaml gives the data of every bundled problem itself."""
    for path in sorted((ROOT / "problems").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert not loader._UNUSUAL.search(text) and not loader.yaml.reader.Reader.NON_PRINTABLE.search(text), path
        assert loader._parse_fast(text, str(path)) is not loader._REFUSED, path


@pytest.mark.parametrize("name", ["anchors and merges", "recursive alias", "alias as key", "list at the limit"])
def test_nodes_counted_as_pyyaml_composes_them(name):
    py = loader._Loader(EDGE[name])
    py.get_single_node()
    c = loader._FastLoader(EDGE[name])
    assert loader.composed(c.get_single_node()) == py.composed
    py.dispose()
    c.dispose()
