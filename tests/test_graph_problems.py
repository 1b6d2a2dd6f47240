"""Computational-graph problems (``graph:``) against an independent oracle.

The oracle (:mod:`graph_oracle`) reads the node expressions with :mod:`ast` and
evaluates them in mpmath at 60 digits, without sympy or solver code; gradients are
central finite differences (and, where every value is rational, exact Fractions with
forward-mode dual numbers). Covered here:

(a) the bundled graph problems; (b) random DAGs drawn by hypothesis, and fixed graphs
at edges random ones rarely reach (zero bases, literals subtracted, constant nodes),
plus ``gradients: all`` and ``update`` on graphs; (c) hostile or invalid graph files
through the command line, and values that explode (bounded time and memory, no
internal error, strict JSON); (d) ``--style`` across the two kinds of problem.
"""

from __future__ import annotations

import json
import os
import re
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

from solver.render.answers import answers
from solver.cli import main
from solver.problem.loader import load_problem
from solver.problem import validate
from solver.key.solve import solve

sys.path.insert(0, str(Path(__file__).resolve().parent))
from graph_oracle import DPS, GraphOracle, Reject, number  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"

EXACT_TOL = mpf("1e-25")   # the answers' 30-digit 'exact' strings against the oracle
FLOAT_TOL = 1e-13          # the answers' float 'value' against the oracle


# --- helpers ----------------------------------------------------------------------

def exact_of(answer: dict) -> mpf:
    """The answer's ``exact`` string ("-1/5", "0.4650...") as a 60-digit mpf."""
    return number(answer["exact"])


def assert_close(answer: dict, expected: mpf, what: str) -> None:
    with mp.workdps(DPS):
        got = exact_of(answer)
        scale = max(mpf(1), abs(expected))
        assert abs(got - expected) <= EXACT_TOL * scale, (
            f"{what}: exact {answer['exact']} but the oracle gives {mpmath.nstr(expected, 35)}")
    assert abs(answer["value"] - float(expected)) <= FLOAT_TOL * float(scale), (
        f"{what}: value {answer['value']!r} but the oracle gives {mpmath.nstr(expected, 20)}")


def all_answers(data: dict, kind: str) -> dict[str, list[dict]]:
    """``of`` → the answers of this kind (over every question)."""
    out: dict[str, list[dict]] = {}
    for q in data["questions"]:
        for a in q["answers"]:
            if a["kind"] == kind and not a.get("upstream"):  # asked answers, not ∂z/∂n shown on the way
                out.setdefault(a["of"], []).append(a)
    return out


RATIONAL = re.compile(r"^-?[0-9]+(/[0-9]+)?$")


def assert_exact(answer: dict, expected: Fraction | None, what: str) -> None:
    """Where the oracle has an exact rational, the answer's ``exact`` must be that
    rational written as one ("-3/4", "0"), not a rounded decimal."""
    if expected is None:
        return
    assert RATIONAL.match(answer["exact"]) and Fraction(answer["exact"]) == expected, (
        f"{what}: exact {answer['exact']!r} but the value is the rational {expected}")


def check_against_oracle(data: dict, graph: dict, grad_names: list[str]) -> None:
    """Every node value and every asked gradient in ``data`` (an answers dict) agrees
    with the oracle (to 1e-25, and exactly where the value is rational), and every
    node / gradient asked is answered."""
    oracle = GraphOracle(graph)
    values, exact_values = oracle.values(), oracle.exact_values()
    got_values = all_answers(data, "value")
    assert set(got_values) == set(graph["nodes"]), "a value answer for every node, and no other"
    for name, found in got_values.items():
        for a in found:
            assert_close(a, values[name], f"value of {name}")
            assert_exact(a, exact_values[name], f"value of {name}")
    got_grads = all_answers(data, "gradient")
    assert set(got_grads) == set(grad_names)
    grads = oracle.gradients(grad_names)
    for name, found in got_grads.items():
        for a in found:
            what = f"∂{graph['output']}/∂{name}"
            assert_close(a, grads[name], what)
            assert_exact(a, oracle.exact_gradient(name), what)


def solved(path: Path) -> dict:
    return answers(solve(load_problem(path), path.stem))


# --- (a) the bundled graph problems ---------------------------------------------------

def test_scalar_graph_skip_exact_answers():
    path = PROBLEMS / "scalar-graph-skip.yaml"
    data = solved(path)
    grads = {of: found for of, found in all_answers(data, "gradient").items()}
    expected = {"w0": "-1/5", "w1": "2/5", "b0": "-1/5", "b1": "1", "x0": "47/50"}
    assert set(grads) == set(expected)
    for name, want in expected.items():
        (a,) = grads[name]
        assert Fraction(a["exact"]) == Fraction(want), (name, a["exact"])
        assert a["value"] == float(Fraction(want))
    (z,) = all_answers(data, "value")["z"]
    assert Fraction(z["exact"]) == Fraction(31, 50) and z["value"] == 0.62
    # Every node's value, exactly, by hand: xw0 = 0.3, xwb0 = 0.4, x1 = 0.4,
    # xw1 = -0.08, y1 = -0.38, yx = 0.62.
    hand = {"xw0": "3/10", "xwb0": "2/5", "x1": "2/5", "xw1": "-2/25", "y1": "-19/50", "yx": "31/50"}
    vals = all_answers(data, "value")
    for name, want in hand.items():
        assert Fraction(vals[name][0]["exact"]) == Fraction(want), name
    # And the oracle agrees with all of it.
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    check_against_oracle(data, spec["graph"], list(expected))


def test_skip_chain_l1_against_oracle():
    path = PROBLEMS / "skip-chain-l1.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = solved(path)
    check_against_oracle(data, spec["graph"], spec["questions"][1]["gradients"])
    # The oracle's own sanity: z2 < t here, so dL/dz2 = -1 and dL/dw3 = -h0 = -0.85.
    (w3,) = all_answers(data, "gradient")["w3"]
    assert Fraction(w3["exact"]) == Fraction(-17, 20)


def test_oracle_finite_differences_are_accurate():
    """The oracle itself: a central difference at 60 digits on smooth functions with
    known derivatives agrees to far better than the 1e-25 used above."""
    graph = {"inputs": {"x": "0.7"}, "parameters": {"w": "-1.3"},
             "nodes": {"a": "exp(w * x) + tanh(x) ^ 3", "b": "sigmoid(a) * log(square(w) + 1)",
                       "c": "b / sqrt(square(x) + 0.5)"},
             "output": "c"}
    oracle = GraphOracle(graph)
    with mp.workdps(DPS):
        def c(x, w):
            a = mpmath.exp(w * x) + mpmath.tanh(x) ** 3
            b = 1 / (1 + mpmath.exp(-a)) * mpmath.log(w ** 2 + 1)
            return b / mpmath.sqrt(x ** 2 + mpf("0.5"))
        x, w = mpf(7) / 10, mpf(-13) / 10
        assert abs(oracle.values()["c"] - c(x, w)) < mpf("1e-55")
        dx = mpmath.diff(lambda t: c(t, w), x)
        dw = mpmath.diff(lambda t: c(x, t), w)
        assert abs(oracle.gradient("x") - dx) < mpf("1e-35")
        assert abs(oracle.gradient("w") - dw) < mpf("1e-35")


# --- (b) random DAGs -----------------------------------------------------------------

# Decimals with at most 2 decimals in [-2, 2], with the round values (0 above all) that
# make products vanish drawn more often than chance would.
VALUE = st.one_of(st.integers(-200, 200).map(lambda i: str(Decimal(i) / 100)),
                  st.sampled_from(["0", "1", "-1", "0.5", "-0.5", "2"]))
CONSTANT = st.sampled_from(["0.5", "2", "1", "1.5", "(-0.25)", "3"])

UNARY = ["relu({a})", "leaky_relu({a}, 0.1)", "leaky_relu({a}, 0.25)", "sigmoid({a})", "tanh({a})",
         "exp({a})", "log(square({a}) + 1)", "abs({a})", "sqrt(square({a}) + 0.5)", "square({a})",
         "-({a})", "({a}) ^ 2", "({a}) ** 3"]
BINARY = ["({a}) + ({b})", "({a}) - ({b})", "({a}) * ({b})", "({a}) / (square({b}) + 1)",
          "max({a}, {b})", "min({a}, {b})", "({a}) * {c} + ({b})", "({a}) - {c}", "{c} - ({b})",
          "(square({a}) + 1) ^ -1 * ({b})", "square(({a}) * ({b}))"]


@st.composite
def expressions(draw, names: list[str], depth: int) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.integers(0, 7)) == 0:
            return draw(CONSTANT)
        return draw(st.sampled_from(names))
    if draw(st.booleans()):
        return draw(st.sampled_from(UNARY)).format(a=draw(expressions(names, depth - 1)))
    return draw(st.sampled_from(BINARY)).format(a=draw(expressions(names, depth - 1)),
                                                b=draw(expressions(names, depth - 1)),
                                                c=draw(CONSTANT))


@st.composite
def graph_problems(draw) -> dict:
    inputs = {f"x{i}": draw(VALUE) for i in range(draw(st.integers(1, 3)))}
    params = {f"w{i}": draw(VALUE) for i in range(draw(st.integers(1, 4)))}
    nodes: dict[str, str] = {}
    names = [*inputs, *params]
    for i in range(draw(st.integers(2, 8))):
        expr = draw(expressions(names, 2))
        if i and draw(st.booleans()):  # often chain on the previous node, so the DAG is deep
            op = draw(st.sampled_from(["+", "*", "-"]))
            expr = f"{list(nodes)[-1]} {op} ({expr})"
        nodes[f"n{i}"] = expr
        names.append(f"n{i}")
    graph = {"inputs": inputs, "parameters": params, "nodes": nodes, "output": f"n{len(nodes) - 1}"}
    return {
        "title": "A random graph",
        "precision": 4,
        "graph": graph,
        "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": [*params, *inputs]}],
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(graph_problems())
def test_random_graphs_against_oracle(data):
    graph = data["graph"]
    oracle = GraphOracle(graph)
    try:
        margin = oracle.min_kink_margin()
    except Reject:
        assume(False)
    assume(margin > mpf("1e-6"))  # no relu / abs / max / min at (or near) its kink
    solution = solve(validate(data, "random.yaml"), "random")
    check_against_oracle(answers(solution), graph, data["questions"][0]["gradients"])


# --- (b') fixed graphs at the edges the random ones rarely reach -----------------------

def small_problem(nodes: dict, inputs: dict, parameters: dict, output: str | None = None) -> dict:
    return {"title": "Edge case", "precision": 4,
            "graph": {"inputs": inputs, "parameters": parameters, "nodes": nodes,
                      "output": output or list(nodes)[-1]},
            "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": [*parameters, *inputs]}]}


EDGE_CASES = {
    # A power of a product whose value is 0: the value and every gradient are 0.
    "square-of-zero-product": small_problem({"a": "square(0.5 * x0)", "out": "a + w0"}, {"x0": "0"}, {"w0": "0.3"}),
    "cube-of-zero-product": small_problem({"a": "(x0 * w0) ^ 3", "out": "a + w0"}, {"x0": "0"}, {"w0": "0.5"}),
    "square-of-square-at-zero": small_problem({"a": "square(square(x0))", "out": "a * w0"}, {"x0": "0"},
                                              {"w0": "2"}),
    "weight-decay-at-zero": small_problem({"y": "w0 * x0", "r": "square(w0 * w1)", "L": "square(y - 1) + r"},
                                          {"x0": "2"}, {"w0": "0.5", "w1": "0"}),
    # A literal subtracted: exact values (the solver keeps rationals exact).
    "literal-subtracted": small_problem({"a": "x0 - 1", "out": "a * w0"}, {"x0": "1.5"}, {"w0": "0.5"}),
    "literal-subtracted-to-zero": small_problem({"a": "x0 - 1", "out": "a * w0"}, {"x0": "1"}, {"w0": "0.5"}),
    "squared-error-at-target": small_problem({"y": "w0 * x0", "L": "square(y - 1)"}, {"x0": "2"}, {"w0": "0.5"}),
    "constant-node": small_problem({"a": "0.5 + 0.5", "out": "a * x0 + w0"}, {"x0": "0.3"}, {"w0": "0.2"}),
    "min-of-constant-difference": small_problem({"a": "min(0.5 - 0.5, 0.5)", "out": "a + w0 * x0"}, {"x0": "3"},
                                                {"w0": "0.5"}),
    "leaky-of-shifted": small_problem({"a": "leaky_relu(x0 - 2, 0.1)", "out": "a * w0"}, {"x0": "1"}, {"w0": "3"}),
    # Sanity: the same shapes the solver does get right.
    "square-of-sum-at-zero": small_problem({"a": "square(x0 + w0)", "out": "a + w0"}, {"x0": "0"}, {"w0": "0"}),
    "literal-added": small_problem({"a": "x0 + -1", "out": "a * w0"}, {"x0": "1"}, {"w0": "0.5"}),
}


@pytest.mark.parametrize("case", list(EDGE_CASES), ids=list(EDGE_CASES))
def test_graph_edge_cases_against_oracle(case):
    data = EDGE_CASES[case]
    graph = data["graph"]
    assert GraphOracle(graph).min_kink_margin() > mpf("1e-6")
    solution = solve(validate(data, f"{case}.yaml"), case)
    check_against_oracle(answers(solution), graph, data["questions"][0]["gradients"])


def test_graph_gradients_all_means_every_parameter():
    """``gradients`` left out (``all``, the default) asks for every parameter of the
    graph (not the inputs), as it does for networks."""
    path = PROBLEMS / "scalar-graph-skip.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"] = [{"id": "all", "ask": ["gradients"]}]
    got = all_answers(answers(solve(validate(data, str(path)), "all")), "gradient")
    expected = {"w0": "-1/5", "w1": "2/5", "b0": "-1/5", "b1": "1"}
    assert sorted(got) == sorted(expected), f"gradients answered: {sorted(got)}"
    for name, want in expected.items():
        assert Fraction(got[name][0]["exact"]) == Fraction(want), name


def test_graph_update_moves_every_parameter():
    """``ask: [update]`` on a graph: one gradient step for each asked parameter,
    p - η ∂z/∂p, exactly; inputs are not updated."""
    path = PROBLEMS / "scalar-graph-skip.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"] = [{"id": "u", "ask": ["gradients", "update"], "learning_rate": 0.1,
                          "gradients": ["w0", "w1", "b0", "b1", "x0"]}]
    result = answers(solve(validate(data, str(path)), "u"))
    oracle = GraphOracle(data["graph"])
    updates = all_answers(result, "update")
    # w0: 0.3 - 0.1(-0.2) = 0.32; w1: -0.2 - 0.1(0.4) = -0.24; b0: 0.1 + 0.02; b1: -0.3 - 0.1.
    expected = {"w0": Fraction("0.32"), "w1": Fraction("-0.24"), "b0": Fraction("0.12"), "b1": Fraction("-0.4")}
    assert sorted(updates) == sorted(expected), f"updates answered: {sorted(updates)}"
    for name, want in expected.items():
        (a,) = updates[name]
        assert RATIONAL.match(a["exact"]) and Fraction(a["exact"]) == want, (name, a["exact"])
        assert want == Fraction(str(data["graph"]["parameters"][name])) - Fraction(1, 10) * oracle.exact_gradient(name)


# --- (c) hostile and invalid graph files through the command line ---------------------

def graph_yaml(nodes: dict, output: str = "out", parameters: dict | None = None) -> str:
    return yaml.safe_dump({
        "title": "Hostile",
        "graph": {"inputs": {"x0": 1}, "parameters": parameters or {"w0": 0.5},
                  "nodes": nodes, "output": output},
        "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": ["w0"]}],
    }, sort_keys=False)


def expr_case(expr: str) -> str:
    return graph_yaml({"a": "x0 * w0", "bad": expr, "out": "a + 1"})


HOSTILE = {
    # id: (file text, field expected, a piece of the message expected (lower case))
    "import-os-system": (expr_case("__import__('os').system('touch pwned')"), "graph.nodes.bad", "unknown function"),
    "open-etc-passwd": (expr_case("open('/etc/passwd').read()"), "graph.nodes.bad", "unknown function"),
    "attribute": (expr_case("x0.real"), "graph.nodes.bad", "not allowed"),
    "lambda": (expr_case("lambda: x0"), "graph.nodes.bad", "not allowed"),
    "comprehension": (expr_case("[x0 for x0 in w0]"), "graph.nodes.bad", "not allowed"),
    # sum() is a tensor reduction now: the generator inside it is what is refused.
    "generator": (expr_case("sum(t for t in x0)"), "graph.nodes.bad", "'(t for t in x0)' is not allowed"),
    "string-literal": (expr_case("'hello'"), "graph.nodes.bad", "not allowed"),
    "keyword-args": (expr_case("leaky_relu(x0, slope=0.1)"), "graph.nodes.bad", "keyword"),
    "unknown-function": (expr_case("foo(x0)"), "graph.nodes.bad", "unknown function 'foo'"),
    "unknown-name": (expr_case("x0 + y9"), "graph.nodes.bad", "unknown name 'y9'"),
    "subscript": (expr_case("x0[0]"), "graph.nodes.bad", "not allowed"),
    "comparison": (expr_case("x0 < w0"), "graph.nodes.bad", "not allowed"),
    "modulo": (expr_case("x0 % 2"), "graph.nodes.bad", "not allowed"),
    "walrus": (expr_case("(y := x0)"), "graph.nodes.bad", "not allowed"),
    "syntax-error": (expr_case("x0 +* w0"), "graph.nodes.bad", "cannot parse"),
    # The message quotes the expression: a line break inside it must not break the line.
    "syntax-error-over-lines": (expr_case("x0 +\n* w0"), "graph.nodes.bad", "cannot parse"),
    "syntax-error-carriage-return": (expr_case("x0 +\r* w0"), "graph.nodes.bad", "cannot parse"),
    "syntax-error-line-separator": (expr_case("x0 \u2028+ w0"), "graph.nodes.bad", "not ascii (u+2028)"),
    # Python reads identifiers in NFKC: a fullwidth x0 or a script e in exp would be read as
    # x0 and exp; and a few thousand signs overflowed its parser before the length was checked
    "fullwidth-name": (expr_case("\uff580 + w0"), "graph.nodes.bad", "not ascii (u+ff58)"),
    "script-e-exp": (expr_case("\u212fxp(x0)"), "graph.nodes.bad", "not ascii (u+212f)"),
    "unary-chain": (expr_case("-" * 5000 + "x0"), "graph.nodes.bad", "longer than 500"),
    "two-statements": (expr_case("x0; import os"), "graph.nodes.bad", "cannot parse"),
    "dunder-name": (expr_case("__builtins__"), "graph.nodes.bad", "unknown name"),
    "wrong-arity": (expr_case("relu(x0, w0)"), "graph.nodes.bad", "argument"),
    "leaky-slope-not-number": (expr_case("leaky_relu(x0, w0)"), "graph.nodes.bad", "slope"),
    "division-by-literal-zero": (expr_case("x0 / 0"), "graph.nodes.bad", "division by zero"),
    "division-by-literal-zero-decimal": (expr_case("x0 / 0.0"), "graph.nodes.bad", "division by zero"),
    "power-non-numeric-exponent": (expr_case("x0 ** w0"), "graph.nodes.bad", "exponent"),
    "caret-non-numeric-exponent": (expr_case("x0 ^ a"), "graph.nodes.bad", "exponent"),
    "over-long": (expr_case(" + ".join(["x0"] * 120)), "graph.nodes.bad", "longer than 500"),
    "deep-nesting-sums": (expr_case("(1+" * 100 + "x0" + ")" * 100), "graph.nodes.bad", "nested too deeply"),
    "deep-nesting-negations": (expr_case("-(" * 100 + "x0" + ")" * 100), "graph.nodes.bad", "nested too deeply"),
    "deep-nesting-calls": (expr_case("relu(" * 60 + "x0" + ")" * 60), "graph.nodes.bad", "nested too deeply"),
    "too-many-parentheses": (expr_case("(" * 240 + "x0" + ")" * 240), "graph.nodes.bad", "cannot parse"),
    "cycle": (graph_yaml({"a": "b + 1", "b": "a * 2", "out": "a + x0 * w0"}), ("graph.nodes.a", "graph.nodes.b"),
              "cycle"),
    "self-loop": (graph_yaml({"a": "a + x0 * w0", "out": "a"}), "graph.nodes.a", "cycle"),
    "node-named-like-parameter": (graph_yaml({"w0": "x0 * 2", "out": "w0 + 1"}), "graph.nodes.w0", "twice"),
    "node-named-like-input": (graph_yaml({"x0": "w0 * 2", "out": "x0 + 1"}), "graph.nodes.x0", "twice"),
    "output-not-a-node": (graph_yaml({"a": "x0 * w0"}, output="w0"), "graph.output", "not one of the nodes"),
    "output-unknown": (graph_yaml({"a": "x0 * w0"}, output="nowhere"), "graph.output", "not one of the nodes"),
    "expression-not-a-string": (graph_yaml({"a": "x0 * w0", "out": 3}), "graph.nodes.out", ""),
    "expression-a-list": (graph_yaml({"a": "x0 * w0", "out": ["a"]}), "graph.nodes.out", ""),
    "node-name-invalid": (graph_yaml({"a": "x0 * w0", "1bad": "a", "out": "a"}), ("graph.nodes.1bad", "graph.nodes"), "not a valid name"),
}

DUPLICATE_NODE = """\
title: Hostile
graph:
  inputs: {x0: 1}
  parameters: {w0: 0.5}
  nodes:
    a: x0 * w0
    a: x0 + w0
    out: a + 1
  output: out
questions:
  - id: q
    ask: [forward, gradients]
    gradients: [w0]
"""


def run_cli(runner, tmp_path, monkeypatch, text: str, name: str = "hostile.yaml"):
    """Run ``nnsolve solve`` on ``text`` from inside ``tmp_path`` (so that a stray
    'touch pwned' would land there), with ``os.system`` and friends booby-trapped."""
    monkeypatch.chdir(tmp_path)
    called: list = []

    def trap(*args, **kwargs):
        called.append(args)
        raise AssertionError(f"a process was started: {args!r}")

    for attr in ("system", "popen", "execv", "execvp", "spawnv", "posix_spawn"):
        if hasattr(os, attr):
            monkeypatch.setattr(os, attr, trap)
    import subprocess
    monkeypatch.setattr(subprocess, "Popen", trap)
    import builtins
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if str(file) == "/etc/passwd":
            called.append(("open", file))
            raise AssertionError("/etc/passwd was opened")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", name, "-o", "out", "-f", "md", "-f", "tex", "-f", "json"])
    assert called == [], called
    return result, out


def assert_one_line_error(result, out: Path, file: str, fields, fragment: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout
    assert err.endswith("\n") and len(err.splitlines()) == 1, f"not one line: {err!r}"
    fields = (fields,) if isinstance(fields, str) else fields
    assert any(err.startswith(f"nnsolve: error: {file}: {f}: ") for f in fields), err
    assert fragment in err.lower(), err
    assert result.stdout == ""
    assert not out.exists() or list(out.iterdir()) == []
    return err


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_graph_file(runner, tmp_path, monkeypatch, case):
    text, field, fragment = HOSTILE[case]
    result, out = run_cli(runner, tmp_path, monkeypatch, text)
    assert_one_line_error(result, out, "hostile.yaml", field, fragment)
    assert not (tmp_path / "pwned").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) in (["hostile.yaml"], ["hostile.yaml", "out"])


def test_duplicate_node_key(runner, tmp_path, monkeypatch):
    result, out = run_cli(runner, tmp_path, monkeypatch, DUPLICATE_NODE)
    err = assert_one_line_error(result, out, "hostile.yaml", ("graph.nodes.a", "line 7"), "twice")
    assert "7" in err  # names the line of the second definition


def test_hostile_expression_does_not_run_even_via_api(tmp_path, monkeypatch):
    """The expression reader never evaluates: the same payload through the Python API
    raises the solver's error and touches nothing."""
    from solver.core.errors import ProblemError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "system", lambda *a: pytest.fail("os.system was called"))
    data = yaml.safe_load(expr_case("__import__('os').system('touch pwned')"))
    with pytest.raises(ProblemError) as info:
        solve(validate(data, "api.yaml"), "api")
    assert info.value.field == "graph.nodes.bad"
    assert not (tmp_path / "pwned").exists()


def test_redundant_parentheses_are_harmless(runner, tmp_path, monkeypatch):
    """100 levels of parentheses around a name add no depth to the expression (the
    parser drops them): the node is x0 itself, solved normally."""
    text = graph_yaml({"a": "(" * 100 + "x0 * w0" + ")" * 100, "out": "a + 1"})
    result, out = run_cli(runner, tmp_path, monkeypatch, text, "parens.yaml")
    assert result.exit_code == 0, result.stderr
    data = json.loads((out / "parens.json").read_text(encoding="utf-8"))
    (a,) = all_answers(data, "value")["a"]
    assert Fraction(a["exact"]) == Fraction(1, 2)
    (g,) = all_answers(data, "gradient")["w0"]
    assert Fraction(g["exact"]) == 1


# --- (d) --style across the two kinds of problem ---------------------------------------

def test_style_graph_on_a_network_gives_the_same_gradients(runner, tmp_path):
    path = PROBLEMS / "relu-2-2-2.yaml"
    outs = {}
    for style in (None, "graph"):
        out = tmp_path / (style or "default")
        args = ["solve", str(path), "-o", str(out), "-f", "md", "-f", "json"]
        result = runner.invoke(main, args + (["--style", style] if style else []))
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        outs[style] = out
    default = json.loads((outs[None] / "relu-2-2-2.json").read_text(encoding="utf-8"))
    graph = json.loads((outs["graph"] / "relu-2-2-2.json").read_text(encoding="utf-8"))

    def grads(data):
        return {(q["id"], a["of"]): (a["exact"], a["value"]) for q in data["questions"]
                for a in q["answers"] if a["kind"] == "gradient" and not a.get("upstream")}

    assert grads(default) and grads(graph) == grads(default)
    # Spot values by hand: L = (o1 - 0)^2 + (o2 - 1)^2 with o = (0.41, 0.64);
    # dL/dw3 = 2*0.41*0.2 + 2*(-0.36)*0.3 = -0.052, dL/dw7 = 2*(-0.36)*h1 = -0.72*0.5 = -0.36.
    assert Fraction(grads(graph)[("q2", "w3")][0]) == Fraction("-0.052")
    assert Fraction(grads(graph)[("q2", "w7")][0]) == Fraction("-0.36")
    md_graph = (outs["graph"] / "relu-2-2-2.md").read_text(encoding="utf-8")
    md_default = (outs[None] / "relu-2-2-2.md").read_text(encoding="utf-8")
    assert "Reverse sweep" in md_graph and r"\text{through }" not in md_graph  # read from the sweep, no path sums
    assert md_graph != md_default


def test_style_neuron_on_a_graph_problem_exits_2(runner, tmp_path):
    path = PROBLEMS / "scalar-graph-skip.yaml"
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(path), "-o", str(out), "--style", "neuron"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"nnsolve: error: {path}: ")
    assert "neuron" in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


# --- (c') values that explode: bounded time, no internal error, strict JSON -------------

def _chain(n: int) -> dict:
    nodes = {"n0": "x0 * w0"}
    for i in range(1, n + 1):
        nodes[f"n{i}"] = f"square(n{i - 1})"
    return nodes


EXPLODING = {
    # id: (nodes, x0, must fail) — "must fail": the value is not a finite number at all.
    "negative-power-of-zero": ({"a": "(x0 - 1) ^ -2", "out": "a * w0"}, 1, True),
    "exp-beyond-double": ({"a": "exp(1000 * x0)", "out": "a * w0"}, 1, False),
    "product-beyond-double": ({"a": "1e300 * 1e300 * 1e300 * x0", "out": "a * w0"}, 1, False),
    "exact-power-100000": ({"a": "x0 ^ 100000", "out": "a * w0"}, 1.5, False),
    "exact-power-1e9": ({"a": "x0 ^ 1e9", "out": "a * w0"}, 1.5, False),
    "exp-exp": ({"a": "exp(exp(20))", "out": "a * w0"}, 1.5, False),
    "exp-huge-argument": ({"a": "exp(1e300 * x0)", "out": "a * w0"}, 1.5, False),
    "exp-tower": ({"a": "exp(exp(exp(10)))", "out": "a * w0"}, 1.5, False),
    "tanh-of-exp-tower": ({"a": "tanh(exp(exp(exp(x0 * 3))))", "out": "a * w0"}, 1.5, False),
    "square-chain-40": (_chain(40), 1.5, False),
}

TIME_LIMIT = 15  # seconds for each file; a normal graph problem takes about one
MEMORY_LIMIT = 2 * 1024 ** 3


def _limit_memory():  # pragma: no cover - runs in the child
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.fixture(scope="module")
def exploding_runs(tmp_path_factory):
    """Runs ``nnsolve solve`` on every EXPLODING file at once (each in its own process,
    with a time and memory limit), so that the hanging ones cost TIME_LIMIT in all."""
    import subprocess
    import time

    base = tmp_path_factory.mktemp("exploding")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NNSOLVE_DEBUG", None)
    procs = {}
    for case, (nodes, x0, _) in EXPLODING.items():
        folder = base / case
        folder.mkdir()
        (folder / f"{case}.yaml").write_text(yaml.safe_dump({
            "title": case, "graph": {"inputs": {"x0": x0}, "parameters": {"w0": 0.5}, "nodes": nodes,
                                     "output": list(nodes)[-1]},
            "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": ["w0", "x0"]}]}),
            encoding="utf-8")
        procs[case] = subprocess.Popen(
            [sys.executable, "-m", "solver", "solve", f"{case}.yaml", "-o", "out", "-f", "json", "-f", "md"],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_limit_memory)
    deadline = time.monotonic() + TIME_LIMIT
    results = {}
    for case, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            results[case] = (proc.returncode, out, err)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            results[case] = (None, "", f"still running after {TIME_LIMIT} s")
    return base, results


@pytest.mark.parametrize("case", list(EXPLODING), ids=list(EXPLODING))
def test_exploding_values_end_cleanly(exploding_runs, case):
    """A file whose values leave every sensible range must end within the time limit,
    either with exit 2 and one line naming the file (nothing written), or with exit 0
    and answers JSON that is strict JSON (no Infinity / NaN) whose values are finite."""
    base, results = exploding_runs
    code, stdout, stderr = results[case]
    assert code is not None, f"{case}: {stderr}"
    assert code in (0, 2), f"{case}: exit {code}: {stderr.strip()}"
    out = base / case / "out"
    if EXPLODING[case][2]:
        assert code == 2, f"{case}: the value is not finite, but the solve succeeded: {stdout}"
    if code == 2:
        assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
        assert stderr.startswith(f"nnsolve: error: {case}.yaml: "), stderr
        assert not out.exists() or list(out.iterdir()) == []
        return
    text = (out / f"{case}.json").read_text(encoding="utf-8")

    def refuse(constant):
        raise AssertionError(f"{case}: the answers JSON holds {constant}, which is not JSON")

    data = json.loads(text, parse_constant=refuse)
    for q in data["questions"]:
        for a in q["answers"]:
            assert a["value"] is None or isinstance(a["value"], (int, float)), a


def test_a_constant_node_is_written_once_then_its_value():
    # "c = 5/2 = 5/2 = 2.5" wrote the constant's numbers, which are its formula, twice
    from solver.render import render

    data = yaml.safe_load(graph_yaml({"c": "5/2", "out": "x0 * w0 * c"}))
    text = render(solve(validate(data), "const"), "md")
    assert re.search(r"^c &= \\frac\{5\}\{2\} = 2\.5 \\\\$", text, re.M), text
    assert r"\mathit{out} &= x_{0} w_{0} c = (1)(0.5)(2.5) = 1.25" in text
