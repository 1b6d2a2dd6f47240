"""``max(a, b, …)`` and ``min(a, b, …)`` in graph expressions (issue 13): two or more
arguments, the gradient to the first extremal argument at a tie, as PyTorch's
``torch.max(input, dim)`` / ``torch.min(input, dim)`` route it.

References: mpmath finite differences of Python's ``max``/``min`` away from ties; the
first-index rule worked by hand at ties; PyTorch itself (skipped where torch is not
installed). Then the LaTeX, the key's note at a tie, a training run through a tie, and
the error for ``max`` of one argument."""

from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from solver.cli import main
from solver.core.errors import ProblemError
from solver.graph.backprop import evaluate
from solver.graph.exact import Exact
from solver.key.solve import solve
from solver.ops.extremum import Above, AboveOrAt, BelowOrAt
from solver.ops.functions import AmbiguousBranch
from solver.ops.latex import NNLatexPrinter
from solver.problem import validate
from solver.problem.expressions import ExpressionError, parse_expression
from solver.render import render
from solver.render.answers import answers

NAMES = "abcde"


def solved(text: str, values: list[str]):
    """The value and the gradient (per name, in order) of ``text`` over the first
    ``len(values)`` names, exactly, as the solver computes them."""
    symbols = {c: sp.Symbol(c, real=True) for c in NAMES[:len(values)]}
    expr = parse_expression(text, symbols)
    at = {c: sp.Rational(v) for c, v in zip(symbols, values)}
    return evaluate(expr, at), [evaluate(sp.diff(expr, s), at) for s in symbols.values()]


def call(kind: str, n: int) -> str:
    return f"{kind}({', '.join(NAMES[:n])})"


def mpf(v: str):
    f = Fraction(v)
    return mpmath.mpf(f.numerator) / f.denominator


# -- away from ties: mpmath finite differences ------------------------------------------------

def distinct_cases():
    rnd = random.Random(13)
    for kind in ("max", "min"):
        for n in range(2, 6):
            for _ in range(4):
                values = rnd.sample(range(-30, 31), n)  # distinct tenths: every gap at least 0.1
                yield kind, [str(Fraction(v, 10)) for v in values]


@pytest.mark.parametrize("kind, values", list(distinct_cases()))
def test_value_and_gradient_match_finite_differences_away_from_ties(kind, values):
    value, grads = solved(call(kind, len(values)), values)
    f = max if kind == "max" else min
    with mpmath.workdps(40):
        xs = [mpf(v) for v in values]
        want = [mpmath.diff(lambda t, i=i: f(xs[:i] + [t] + xs[i + 1:]), xs[i]) for i in range(len(xs))]
        assert value == sp.Rational(f(values, key=Fraction))
        assert all(abs(mpmath.mpf(sp.Float(g, 45)) - w) < mpmath.mpf("1e-30") for g, w in zip(grads, want))
    assert sorted(grads) == [0] * (len(values) - 1) + [1]


# -- at ties: the first extremal argument gets it all -----------------------------------------

#: (kind, values, index of the argument that gets the gradient), worked by hand.
TIES = [
    ("max", ["3", "3"], 0),
    ("max", ["1", "2", "2"], 1),
    ("max", ["2", "1", "2"], 0),
    ("max", ["-1", "-1", "-1", "-1"], 0),
    ("max", ["0", "5", "1", "5", "5"], 1),
    ("max", ["1/3", "0", "1/3"], 0),
    ("min", ["0.1", "0.1"], 0),
    ("min", ["2", "1", "1"], 1),
    ("min", ["3", "3", "3"], 0),
    ("min", ["4", "-2", "7", "-2", "0"], 1),
]


@pytest.mark.parametrize("kind, values, first", TIES)
def test_at_a_tie_the_first_extremal_argument_gets_the_gradient(kind, values, first):
    value, grads = solved(call(kind, len(values)), values)
    assert value == sp.Rational(values[first])
    assert grads == [1 if i == first else 0 for i in range(len(values))]


def test_ties_are_decided_on_exact_values():
    """0.3 and 0.30000000000000001 are one binary double but two numbers: no tie, the
    second is larger and takes the gradient."""
    assert float("0.3") == float("0.30000000000000001")
    assert solved("max(a, b)", ["0.3", "0.30000000000000001"]) == (sp.Rational("0.30000000000000001"), [0, 1])
    assert solved("min(a, b)", ["0.3", "0.30000000000000001"]) == (sp.Rational("0.3"), [1, 0])


def test_an_argument_used_twice_gets_the_derivative_of_the_first_maximal():
    # a = 1: a and 2a - 1 tie at 1; the first of them carries the gradient, times its derivative.
    assert solved("max(a, 2*a - 1)", ["1"]) == (1, [1])
    assert solved("max(2*a - 1, a)", ["1"]) == (1, [2])
    assert solved("min(3 - a, a + 1, 2)", ["1"]) == (2, [-1])


# -- PyTorch: max / min along a dimension ----------------------------------------------------

TORCH_CASES = [(kind, values) for kind, values, _ in TIES] + list(distinct_cases())[::3]


@pytest.mark.parametrize("kind, values", TORCH_CASES)
def test_gradients_are_torch_max_along_a_dimension(kind, values):
    """``torch.stack([a, b, …]).max(dim=0)``: its backward routes the gradient to the index
    it returns, the first maximal element (torch 2.13, CPU, float64)."""
    torch = pytest.importorskip("torch")
    leaves = [torch.tensor(float(Fraction(v)), dtype=torch.float64, requires_grad=True) for v in values]
    stacked = torch.stack(leaves)
    out = stacked.max(dim=0) if kind == "max" else stacked.min(dim=0)
    out.values.backward()
    value, grads = solved(call(kind, len(values)), values)
    assert out.values.item() == float(value)
    assert [t.grad.item() for t in leaves] == [float(g) for g in grads]
    assert grads.index(1) == out.indices.item()


def test_torch_max_along_a_dimension_with_an_argument_used_twice():
    torch = pytest.importorskip("torch")
    a = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    torch.stack([2 * a - 1, a]).max(dim=0).values.backward()
    assert a.grad.item() == float(solved("max(2*a - 1, a)", ["1"])[1][0]) == 2.0


def test_torch_amax_and_maximum_split_a_tie_which_this_rule_does_not_follow():
    """Why the key cites max(input, dim): the other maxima of PyTorch split a tie evenly."""
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64, requires_grad=True)
    x.amax().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]
    pair = torch.tensor([2.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.maximum(pair[0], pair[1]).backward()
    assert pair.grad.tolist() == [0.5, 0.5]
    assert solved("max(a, b, c)", ["1", "2", "2"])[1] == [0, 1, 0]


# -- LaTeX ---------------------------------------------------------------------------------

def test_latex_of_max_min_and_their_derivatives():
    symbols = {c: sp.Symbol(c, real=True) for c in "abc"}
    printer = NNLatexPrinter({"a": "a", "b": "b", "c": "x_{1}"})
    m = parse_expression("max(a, b, c)", symbols)
    assert printer.doprint(m) == r"\max(a, b, x_{1})"
    assert printer.doprint(parse_expression("min(a/2, b)^2", symbols)) == \
        r"\min\mathopen{}\left(\frac{a}{2}, b\right)\mathclose{}^{2}"
    assert [printer.doprint(sp.diff(m, s)) for s in symbols.values()] == [
        r"\mathbb{I}[a \ge \max(b, x_{1})]", r"\mathbb{I}[b > a] \mathbb{I}[b \ge x_{1}]",
        r"\mathbb{I}[x_{1} > \max(a, b)]"]
    n = parse_expression("min(a, b, c)", symbols)
    assert printer.doprint(sp.diff(n, symbols["b"])) == r"\mathbb{I}[b < a] \mathbb{I}[b \le x_{1}]"
    assert printer.doprint(sp.diff(parse_expression("max(2*a, 1)", symbols), symbols["a"])) == \
        r"2 \mathbb{I}[2 a \ge 1]"


# -- the key ---------------------------------------------------------------------------------

def tie_problem(c: str = "0.5") -> dict:
    return {"title": "t", "graph": {"inputs": {"x": "1"}, "parameters": {"u": "0.5", "v": "2", "c": c},
                                    "nodes": {"a": "u * x", "b": "v / 4", "m": "max(c, a, b)", "L": "square(m)"},
                                    "output": "L"},
            "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": ["u", "v", "c"]}]}


def test_a_key_with_a_tie_states_it_and_routes_the_gradient_to_the_first():
    """c = a = b = 0.5: a three-way tie at the maximum; the gradient all goes to c, the first."""
    sol = solve(validate(tie_problem()), "t")
    md = render(sol, "md")
    assert (r"**Non-differentiable point.** At $m$: $\max(c, a, b)$ has a tie at its maximum, $c = a = b = 0.5$: "
            r"the gradient goes to the first maximal argument, $c$ (1 for it, 0 for the others), as PyTorch's "
            "max(input, dim) does.") in md
    assert r"\frac{\partial m}{\partial a} = \mathbb{I}[a > c] \mathbb{I}[a \ge b] = 0" in md
    assert r"\frac{\partial m}{\partial c} = \mathbb{I}[c \ge \max(a, b)] = 1" in md
    grads = {a.of: a.exact for a in sol.sections[0].answers if a.kind == "gradient" and not a.upstream}
    assert grads == {"u": "0", "v": "0", "c": "1"}  # dL/dm = 2m = 1, all of it to c


def test_a_tie_below_the_maximum_is_no_tie():
    """c = 0.75 is the maximum; a = b = 0.5 tie below it, which no gradient sees."""
    md = render(solve(validate(tie_problem(c="0.75")), "t"), "md")
    assert "has a tie" not in md and "Non-differentiable" not in md
    assert r"\frac{\partial m}{\partial a} = \mathbb{I}[a > c] \mathbb{I}[a \ge b] = 0" in md
    assert r"\frac{\partial m}{\partial c} = \mathbb{I}[c \ge \max(a, b)] = 1" in md


def test_a_training_run_through_ties_follows_the_first_index_rule():
    """L = (max(u, v, w) − 1)², all three 2 at the start: each SGD step moves only the
    first maximal parameter, as a hand-written exact run does."""
    problem = validate({"title": "t", "graph": {"parameters": {"u": "2", "v": "2", "w": "2"},
                                                "nodes": {"m": "max(u, v, w)", "L": "square(m - 1)"}, "output": "L"},
                        "questions": [{"id": "run", "ask": ["train"], "steps": 5, "table_every": 1,
                                       "optimizer": {"type": "sgd", "learning_rate": "0.1"}}]})
    params, want = {"u": Fraction(2), "v": Fraction(2), "w": Fraction(2)}, {}
    for step in range(1, 6):
        first = max(params, key=params.get)  # Python's max: the first maximal key
        params[first] -= Fraction(1, 10) * 2 * (params[first] - 1)
        want.update({(step, k): v for k, v in params.items()})
    got = {(a["step"], a["of"]): Fraction(a["exact"]) for a in answers(solve(problem, "t"))["questions"][0]["answers"]
           if a["kind"] == "update"}
    assert got == want
    assert want[(3, "u")] == want[(3, "v")] == want[(3, "w")] == Fraction(9, 5)  # a tie again at step 3


def test_a_rounded_near_tie_is_refused_and_an_exact_tie_decided():
    with mpmath.workdps(50):
        with pytest.raises(AmbiguousBranch):
            Above.numeric(mpmath.mpf(1) + mpmath.mpf("1e-45"), mpmath.mpf(1))
        assert Above.numeric(mpmath.mpf(1) + mpmath.mpf("1e-30"), mpmath.mpf(1)) == 1
    assert (AboveOrAt.numeric(Exact(1, 3), Exact(1, 3)), Above.numeric(Exact(1, 3), Exact(1, 3))) == (1, 0)
    assert BelowOrAt.numeric(Exact(1, 3), Exact(1, 2), Exact(1, 3)) == 1


# -- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, got", [("max(a)", 1), ("min()", 0)])
def test_max_or_min_of_fewer_than_two_arguments_is_an_error(text, got):
    name = text.split("(")[0]
    with pytest.raises(ExpressionError, match=rf"^{name}\(\) takes at least 2 arguments \(got {got}\)$"):
        parse_expression(text, {"a": sp.Symbol("a")})
    with pytest.raises(ProblemError) as info:  # reported when the graph is built
        solve(validate({"title": "t", "graph": {"parameters": {"a": "1"}, "nodes": {"m": text}, "output": "m"},
                        "questions": [{"id": "q", "ask": ["forward"]}]}), "t")
    assert info.value.field == "graph.nodes.m"
    assert f"{name}() takes at least 2 arguments (got {got})" in info.value.message


@pytest.mark.parametrize("text, message", [
    ("leaky_relu(a)", "leaky_relu(x, slope) takes 2 arguments (got 1); slope is required, e.g. leaky_relu(x, 0.01)"),
    ("leaky_relu(a, 0.1, 2)", "leaky_relu(x, slope) takes 2 arguments (got 3)"),
    ("elu(a, 1, 2)", "elu(x, alpha) takes 1 to 2 arguments (got 3)"),
    ("relu(a, 1)", "relu(x) takes 1 argument (got 2)"),
])
def test_an_activation_with_the_wrong_arguments_names_them(text, message):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"a": sp.Symbol("a")})
    assert str(info.value) == message


def test_the_cli_reports_a_one_argument_max_on_one_line(runner, tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text("title: t\ngraph:\n  parameters: {a: 1}\n  nodes: {m: 'max(a)'}\n  output: m\n"
                    "questions:\n  - {id: q, ask: [forward]}\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"nnsolve: error: {path}: graph.nodes.m: max() takes at least 2 arguments (got 1)\n"
