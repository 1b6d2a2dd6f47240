"""Derivatives of shapes kept between runs (``solver.files.derivative_store``) and their
encoding (``solver.graph.shape_codec``): a tree decoded is, node for node, the tree encoded;
a derivative read back from the store is sympy's; a run that reads the store writes the
same key as one that differentiates; a damaged, unwritable or switched-off store costs time
only."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_shapes import _SYMBOLS, _same, _terms

from solver.cli import main
from solver.files import derivative_store as ds
from solver.graph import backprop, shapes
from solver.graph.shape_codec import decode, encode
from solver.graph.shapes import derivative
from solver.ops.activations.sigmoid import Sigmoid
from solver.ops.tensor.attention import MaskedSoftmax
from solver.pipeline import solve_file

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
x, y = sp.symbols("x y", real=True)


@pytest.mark.parametrize("name", ["attention-masked", "dropout", "gelu-huber-hinge", "lstm-two-steps"])
def test_every_term_and_derivative_of_a_bundled_problem_decodes_as_it_was(name, monkeypatch):
    seen = []

    def kept(term, symbol):
        seen.append(term)
        seen.append(sp.diff(term, symbol))
        return derivative(term, symbol)

    monkeypatch.setattr(backprop, "_diff", kept)
    solve_file(PROBLEMS / f"{name}.yaml")
    assert seen
    for expr in seen:
        code = encode(expr)
        assert code is not None, expr
        data = json.loads(json.dumps(code))
        named = {s.name: s for s in expr.free_symbols}
        assert _same(decode(data, named), expr), expr
        assert _same(decode(data, named, checked=True), expr), expr  # the limits taken as seen
        alone = decode(data)  # its own symbols: equal, with every assumption given
        assert alone == expr and all(s.assumptions0 == x.assumptions0 for s in alone.free_symbols)


@pytest.mark.parametrize("expr", [
    x + sp.Float("0.5"),              # a float: its digits are not the codec's
    sp.Dummy("d") * x,                # another kind of symbol
    sp.Derivative(sp.Function("f")(x), x),
    sp.Piecewise((x, x > 0), (0, True)),
    sp.Max(x, y),                     # not a sympy Function
    sp.Function("f")(x),              # an undefined function
])
def test_nodes_the_codec_does_not_write(expr):
    assert encode(expr) is None


@pytest.mark.parametrize("nodes", [
    [], [["x"]], [["q", 1, 0]], [["q", 1.5, 2]], [["q", "1", 2]], [["+", 5]], [["+", 0]],
    [["s", 1, {}]], [["s", "x", {"real": "yes"}]], [["c", "oo"]], [["^", 0, 0]],
    [["s", "x", {}], ["f", "builtins:eval", 0]],           # not a module it may name
    [["s", "x", {}], ["f", "os:system", 0]],
    [["s", "x", {}], ["f", "solver.ops.nowhere:F", 0]],    # a module not imported
    [["s", "x", {}], ["f", "sympy.functions.elementary.exponential:exp"]],  # exp()
    [["s", "x", {}], ["f", "sympy.core.symbol:Symbol", 0]],  # not a Function
    [["s", "x", {}], ["+", 0, -1]], [["s", "x", {}], ["+", 0, True]], "[]", 5, None,
])
def test_malformed_data_does_not_decode(nodes):
    assert decode(nodes) is None


def _chain(n: int) -> list:
    """x·x·…·x nested ``n`` deep, a function on top."""
    return [["s", "x", {}]] + [["*", 0, i] for i in range(n)] + \
        [["f", "solver.ops.activations.sigmoid:Sigmoid", n]]


@pytest.mark.parametrize("nodes", [
    _chain(3000),                                            # too deep for sympy to hash
    [["s", "x", {}]] + [["+", i, i] for i in range(61)],     # 2^61 leaves once expanded
    [["q", 10 ** 7000, 1]],                                  # an integer too wide
    [["s", "x", {}], ["f", "sympy.functions.elementary.exponential:exp.__base__", 0]],  # a path
    [["s", "x", {}], ["f", "solver.ops.functions:OpFunctionBase", 0]],  # not a registered class
    [["s", "x", {}], ["f", "solver.ops.activations.sigmoid:Sigmoid", 0, 0]],  # two arguments
    [["s", "x", {}], ["f", "solver.ops.tensor.attention:MaskedSoftmax", 0, 0]],  # fewer than 3
    [["s", "x", {}], ["f", "solver.ops.activations.sigmoid:Sigmoid"]],  # no argument
])
def test_data_beyond_the_limits_does_not_decode(nodes):
    assert decode(nodes) is None
    assert decode(_chain(150)) is not None  # a deep but possible expression does


def test_a_decoded_node_is_not_evaluated_and_names_map_to_symbols():
    u = sp.Symbol("u", positive=True)
    expr = sp.Mul._from_args((sp.Integer(2), sp.Add._from_args((x, x))))  # 2*(x + x), as stored
    assert _same(decode(encode(expr), {"x": x}), expr)
    code = encode(MaskedSoftmax(x, y, 1, 0, 0) * Sigmoid(u), {x: "_s0", y: "_s1", u: "_s2"})
    assert code[0] == ["s", "_s0", x.assumptions0]
    assert decode(code, {"_s0": y, "_s1": x, "_s2": u}) == MaskedSoftmax(y, x, 1, 0, 0) * Sigmoid(u)
    assert decode(code, {"_s0": y, "_s1": x}) is None  # a name the mapping lacks


def test_checked_decodes_in_a_graphs_symbols_share_their_common_nodes():
    """Two derivatives with a subexpression in common decode to trees that hold one object
    for it, each tree node for node the one encoded; symbols named otherwise share nothing."""
    z = sp.Symbol("z", real=True)
    score = sp.Add._from_args((sp.Mul._from_args((x, y)), z))
    first = sp.Mul._from_args((sp.exp(score), z))
    second = sp.Pow(sp.exp(score), 2, evaluate=False)
    names = {x: "_s0", y: "_s1", z: "_s2"}
    back = {"_s0": x, "_s1": y, "_s2": z}
    a = decode(encode(first, names), back, checked=True)
    b = decode(encode(second, names), back, checked=True)
    assert _same(a, first) and _same(b, second)
    assert a.args[0] is b.args[0] and a.args[0].args[0] is b.args[0].args[0]  # one exp, one sum
    c = decode(encode(second, names), {"_s0": y, "_s1": x, "_s2": z}, checked=True)
    assert c.args[0] is not b.args[0] and c.args[0].args[0].args[0].args == (y, x)  # y·x as stored
    assert decode(encode(first, names), back) is not a and decode(encode(first, names), back) == a  # unchecked: built anew


class _Memory:
    """A store in memory, as the command line's is on disk."""

    def __init__(self):
        self.entries: dict[str, str] = {}

    def get(self, key):
        return self.entries.get(key)

    def put(self, key, text):
        self.entries[key] = text


def _changed(text: str) -> str:
    """An entry still whole and written as the store writes one, its code changed: the first
    number of it negated (so that only its hash tells)."""
    entry = json.loads(text)
    node = next(n for n in entry["code"] if n[0] == "q")
    node[1] = -node[1] or 1
    return json.dumps(entry, separators=(",", ":"))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_terms(), st.sampled_from(_SYMBOLS))
def test_a_derivative_read_back_from_a_store_is_sympys(term, symbol):
    """Differentiated into an empty store, then read back by a fresh process (nothing known
    in it: sympy not asked), then read from a store damaged seven ways (not JSON, not an
    entry, another entry's text, a number changed, the entry written with spaces): sympy's
    derivative each time."""
    store = _Memory()
    before = shapes.use_store(store)
    calls = []
    original = shapes._differentiated
    shapes._differentiated = lambda *a: calls.append(a) or original(*a)
    try:
        shapes._known.clear()  # an earlier test's derivative of this shape would not be stored
        assert _same(derivative(term, symbol), sp.diff(term, symbol))
        kept = dict(store.entries)
        for damage in (None, "[", '{"a": 1}', "swapped", "changed", "spaced", '{"key": 1, "sum": 2, "code": []}'):
            shapes._known.clear()
            calls.clear()
            if damage == "swapped" and len(kept) >= 2:  # each entry under the next one's name
                texts = list(kept.values())
                store.entries = dict(zip(kept, texts[1:] + texts[:1]))
            elif damage == "changed":
                store.entries = {k: _changed(t) if '"q"' in t else t for k, t in kept.items()}
            elif damage == "spaced":  # the same entry, not as written: read as damaged, made again
                store.entries = {k: json.dumps(json.loads(t)) for k, t in kept.items()}
            elif damage is not None:
                store.entries = dict.fromkeys(kept, damage)
            assert _same(derivative(term, symbol), sp.diff(term, symbol)), (term, symbol, damage)
            if damage is None:
                assert calls == []  # read back, not differentiated again
            store.entries = dict(kept)
    finally:
        shapes._differentiated = original
        shapes.use_store(before)
        shapes._known.clear()


def _as_a_new_process(monkeypatch):
    """Nothing worked out in this process: no derivative known by shape or by term."""
    monkeypatch.setattr(shapes, "_known", {})
    backprop._diff.cache_clear()
    backprop._function_derivative.cache_clear()


def _run(runner, *args, env=None):
    result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_second_run_reads_the_store_and_writes_the_same_key(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NNSOLVE_DERIVATIVE_CACHE", raising=False)
    calls = []
    original = shapes._differentiated
    monkeypatch.setattr(shapes, "_differentiated", lambda *a: calls.append(a) or original(*a))
    problem = str(PROBLEMS / "attention-masked.yaml")
    _as_a_new_process(monkeypatch)
    _run(runner, "solve", problem, "-o", str(tmp_path / "first"), "-f", "md", "-f", "tex", "-f", "json")
    (folder,) = (tmp_path / "cache" / "nnsolve").glob("derivatives-*")
    entries = sorted(folder.glob("*.json"))
    assert len(calls) == len(entries) >= 30
    assert shapes._store is None  # put back once the run ends
    calls.clear()
    _as_a_new_process(monkeypatch)
    _run(runner, "solve", problem, "-o", str(tmp_path / "second"), "-f", "md", "-f", "tex", "-f", "json")
    assert calls == []
    _as_a_new_process(monkeypatch)
    _run(runner, "solve", problem, "-o", str(tmp_path / "plain"), "-f", "md", "-f", "tex", "-f", "json",
         env={"NNSOLVE_DERIVATIVE_CACHE": "0"})
    assert len(calls) == len(entries)
    first = _outputs(tmp_path / "first")
    assert first == _outputs(tmp_path / "second") == _outputs(tmp_path / "plain")
    assert "attention-masked.md" in first

    # Damaged entries: each made again, the key the same.
    whole = entries[0].read_text()
    assert json.loads(whole)["key"] == entries[0].stem
    for i, entry in enumerate(entries):
        damaged = [b"", b"[", b"[]", b'[["q",1,0]]', b"\xff\xfe[]",  # the last not UTF-8
                   whole.encode(),  # another entry's text under this name
                   _changed(entry.read_text()).encode() if '"q"' in entry.read_text() else b"{}"][i % 7]
        entry.write_bytes(damaged)
    calls.clear()
    _as_a_new_process(monkeypatch)
    _run(runner, "solve", problem, "-o", str(tmp_path / "damaged"), "-f", "md", "-f", "tex", "-f", "json")
    assert len(calls) == len(entries)
    assert _outputs(tmp_path / "damaged") == first
    assert all(json.loads(e.read_text())["key"] == e.stem for e in entries)  # written again, whole


def test_a_command_that_differentiates_nothing_makes_no_folder_and_the_api_keeps_entries(
        runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NNSOLVE_DERIVATIVE_CACHE", raising=False)
    _run(runner, "--version")
    assert not (tmp_path / "cache").exists()
    _as_a_new_process(monkeypatch)
    import solver

    key = solver.solve(PROBLEMS / "dropout.yaml")
    assert "Batch normalisation and dropout" in key.to_markdown().splitlines()[0]
    (folder,) = (tmp_path / "cache" / "nnsolve").glob("derivatives-*")
    assert len(list(folder.glob("*.json"))) >= 20
    assert shapes._store is None


def test_a_switched_off_or_unwritable_store_costs_time_only(runner, tmp_path, monkeypatch):
    problem = str(PROBLEMS / "dropout.yaml")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("NNSOLVE_DERIVATIVE_CACHE", "off")
    _as_a_new_process(monkeypatch)
    _run(runner, "solve", problem, "-o", str(tmp_path / "off"), "-f", "json")
    assert not list((tmp_path / "cache" / "nnsolve").glob("derivatives-*"))
    monkeypatch.delenv("NNSOLVE_DERIVATIVE_CACHE")
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    _as_a_new_process(monkeypatch)
    _run(runner, "solve", problem, "-o", str(tmp_path / "unwritable"), "-f", "json")
    assert _outputs(tmp_path / "off") == _outputs(tmp_path / "unwritable")


def test_an_entry_that_is_not_a_plain_file_is_not_read(tmp_path):
    store = ds.DerivativeStore(tmp_path)
    (tmp_path / "elsewhere.json").write_text("[]")
    (tmp_path / f"{'a' * 64}.json").symlink_to(tmp_path / "elsewhere.json")
    os.mkfifo(tmp_path / f"{'b' * 64}.json")          # would block a plain read for ever
    (tmp_path / f"{'c' * 64}.json").mkdir()
    (tmp_path / f"{'d' * 64}.json").write_bytes(b" " * (ds.LARGEST_ENTRY + 1))
    (tmp_path / f"{'e' * 64}.json").write_text('{"key": "e"}')
    for k in "abcd":
        assert store.get(k * 64) is None
    assert store.get("e" * 64) == '{"key": "e"}'


def test_two_stores_ending_out_of_order_leave_none_installed(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NNSOLVE_DERIVATIVE_CACHE", raising=False)
    first, second = ds.derivative_store(), ds.derivative_store()
    a = first.__enter__()
    b = second.__enter__()
    assert shapes._store is b
    first.__exit__(None, None, None)   # as two threads would: the first to start ends first
    second.__exit__(None, None, None)
    assert shapes._store is None and a is not b
    with ds.derivative_store() as outer:  # nested, in order: the outer one put back
        with ds.derivative_store():
            pass
        assert shapes._store is outer
    assert shapes._store is None


def test_a_full_disk_keeps_nothing(tmp_path, monkeypatch):
    store = ds.DerivativeStore(tmp_path)
    store.put("a" * 64, "[]")

    def full(files):
        raise ds.BuildError("no space left on device")
    monkeypatch.setattr(ds, "write_all", full)
    store.flush()
    assert store.new == {} and list(tmp_path.iterdir()) == []


def test_the_oldest_entries_and_folders_are_removed(tmp_path, monkeypatch):
    monkeypatch.delenv("NNSOLVE_DERIVATIVE_CACHE", raising=False)
    monkeypatch.setattr(ds, "KEEP_ENTRIES", 3)
    store = ds.DerivativeStore(tmp_path)
    for i in range(2):
        store.put(f"{i:064x}", "[]")
    store.flush()
    old = time.time() - 100
    for p in tmp_path.iterdir():
        os.utime(p, (old, old))
    for i in range(2, 5):
        store.put(f"{i:064x}", "[]")
    store.flush()
    assert sorted(p.name[-6:] for p in tmp_path.iterdir()) == ["2.json", "3.json", "4.json"]

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    base = tmp_path / "cache" / "nnsolve"
    for i in range(6):
        (base / f"derivatives-{i:016x}").mkdir(parents=True)
        os.utime(base / f"derivatives-{i:016x}", (old + i, old + i))
    (base / "templates-x").mkdir()
    store = ds.open_store()
    assert not (base / f"derivatives-{ds.fingerprint()}").exists()  # made when first used
    folder = store.folder
    left = sorted(p.name for p in base.iterdir())
    assert folder is not None
    assert store.folder.name in left and "templates-x" in left
    assert [n for n in left if n.startswith("derivatives-") and n != store.folder.name] == \
        [f"derivatives-{i:016x}" for i in (3, 4, 5)]


def test_the_fingerprint_follows_the_operations_code(tmp_path, monkeypatch):
    for rel in ("ops/a.py", "ops/sub/b.py", "graph/shapes.py", "graph/shape_codec.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    monkeypatch.setattr(ds, "_PACKAGE", tmp_path)
    ds.fingerprint.cache_clear()
    try:
        first = ds.fingerprint()
        ds.fingerprint.cache_clear()
        assert ds.fingerprint() == first
        (tmp_path / "ops/sub/b.py").write_text("x = 22\n")  # its size changes with it
        ds.fingerprint.cache_clear()
        assert ds.fingerprint() != first
    finally:
        ds.fingerprint.cache_clear()
