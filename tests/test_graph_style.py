"""The staged ("graph") style reads its own reverse sweep: ∂L/∂w = ∂L/∂z · ∂z/∂w with
∂L/∂z from the sweep, path sums only where the question asks for the paths, never
through p after the p − y shortcut; the output's own local derivatives written out;
flat sums; max's and min's derivative as a defined step function H, never sympy's θ."""

from pathlib import Path

import pytest

from solver.core.options import Options
from solver.key.solve import solve
from solver.problem import validate
from solver.problem.loader import load_problem
from solver.render import render

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def d(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def equations(solution, section: int = -1) -> dict[str, object]:
    """lhs → equation of one section's backward pass (the last one of each lhs)."""
    out = {}
    for part in solution.sections[section].parts:
        for block in part.blocks:
            for eq in block.equations:
                out[eq.lhs] = eq
    return out


def graph(nodes: dict, output: str, gradients: list[str], inputs=None, parameters=None, text=None):
    q = {"id": "q", "ask": ["forward", "gradients"], "gradients": gradients}
    if text:
        q["text"] = text
    return validate({"title": "t", "graph": {"inputs": inputs or {"x1": 1, "x2": 0.5},
                                             "parameters": parameters or {"w": 0.5, "v": 2},
                                             "nodes": nodes, "output": output},
                     "questions": [q]})


def test_a_network_gradient_in_graph_style_is_two_factors_from_the_sweep():
    sol = solve(load_problem(PROBLEMS / "relu-3-4-3-softmax-ce.yaml"), "t", Options(style="graph"))
    eqs = equations(sol)
    w11 = eqs[d("L", "W^{(1)}_{11}")]
    assert w11.parts == (
        ("=", d("L", "z^{(1)}_{1}") + " " + d("z^{(1)}_{1}", "W^{(1)}_{11}")),
        ("=", d("L", "z^{(1)}_{1}") + " x_{1}"),
        (r"\approx", "(-0.006927)(0.5)"),
        (r"\approx", "-0.003464"))
    w212 = eqs[d("L", "W^{(2)}_{12}")]
    assert w212.parts[0] == ("=", d("L", "z^{(2)}_{1}") + " " + d("z^{(2)}_{1}", "W^{(2)}_{12}"))
    assert w212.parts[-1] == ("=", "0")
    # the logits' gradients come from the shortcut, stated in the sweep
    assert eqs[d("L", "z^{(2)}_{1}")].parts[0] == ("=", r"\hat{y}_{1} - y_{1}")
    md = render(sol, "md")
    # never expanded through p after the shortcut (the shortcut's note speaks of ŷ_k in general)
    assert not any(rf"\partial \hat{{y}}_{{{k}}}" in md for k in (1, 2, 3))
    assert r"\text{through }" not in md and "-1.795" not in md
    assert "Reverse sweep" in md


def test_every_asked_gradient_of_a_network_has_two_factors():
    sol = solve(load_problem(PROBLEMS / "relu-3-4-3-softmax-ce.yaml"), "t", Options(style="graph"))
    asked = [a.latex for a in sol.sections[-1].answers if a.kind == "gradient" and not a.upstream]
    eqs = equations(sol)
    assert len(asked) == 24
    for lhs in asked:
        first = eqs[lhs].parts[0][1]
        assert first.count(r"\frac") == 2, first


def test_path_sums_only_where_the_question_asks_for_the_paths():
    sol = solve(load_problem(PROBLEMS / "scalar-graph-skip.yaml"), "t")
    eqs = equations(sol)
    assert eqs[d("z", "x_{0}")].parts == (
        ("=", d("z", r"\mathit{xw}_{0}") + " " + d(r"\mathit{xw}_{0}", "x_{0}")
         + r"\;(\text{through } \mathit{xw}_{0})"),
        ("+", d("z", r"\mathit{yx}") + " " + d(r"\mathit{yx}", "x_{0}") + r"\;(\text{skip})"),
        ("=", r"(-0.2) \cdot 0.3\;(\text{through } \mathit{xw}_{0})"),
        ("+", r"1 \cdot 1\;(\text{skip})"),
        ("=", "-0.06 + 1"),
        ("=", "0.94"))
    # one path: ∂z/∂w₀ read from the sweep
    assert eqs[d("z", "w_{0}")].parts[0] == ("=", d("z", r"\mathit{xw}_{0}") + " " + d(r"\mathit{xw}_{0}", "w_{0}"))
    # seed 004 asks the same gradients without asking for the paths: no path sums
    md = render(solve(load_problem(PROBLEMS / "seed-004.yaml"), "t"), "md")
    assert r"\text{skip}" not in md


def test_skip_chain_paths_meet_the_sweep():
    sol = solve(load_problem(PROBLEMS / "skip-chain-l1.yaml"), "t")
    eqs = equations(sol)
    assert eqs[d("L", "w_{0}")].parts[:2] == (
        ("=", " ".join([d("L", "z_{1}"), d("z_{1}", "h_{0}"), d("h_{0}", "z_{0}"), d("z_{0}", "w_{0}")])
         + r"\;(\text{through } z_{1})"),
        ("+", " ".join([d("L", "z_{2}"), d("z_{2}", "h_{0}"), d("h_{0}", "z_{0}"), d("z_{0}", "w_{0}")])
         + r"\;(\text{skip})"))
    assert eqs[d("L", "w_{0}")].parts[-2:] == ((r"\approx", "0.1194 - 0.45"), (r"\approx", "-0.3306"))
    # the sweep holds only what the gradients read
    sweep = [eq.lhs for part in sol.sections[-1].parts for b in part.blocks if b.title == "Reverse sweep"
             for eq in b.equations]
    assert sweep == [d("L", "z_{2}"), d("L", "h_{1}"), d("L", "z_{1}")]


def test_the_output_nodes_own_local_derivative_is_shown():
    p = graph({"a": "w * x1", "f": "a * v - x1"}, "f", ["x1", "w"])
    eqs = equations(solve(p, "t"))
    assert eqs[d("f", "x_{1}")].parts == (
        ("=", d("f", "a") + " " + d("a", "x_{1}") + r" + \left." + d("f", "x_{1}") + r"\right|_{\text{direct}}"),
        ("=", d("f", "a") + " w - 1"),
        ("=", "(2)(0.5) - 1"),
        ("=", "0"))
    # a variable feeding only the output: its local derivative, never ∂f/∂a = ∂f/∂a
    assert eqs[d("f", "a")].parts == (("=", "v"), ("=", "2"))
    p = graph({"f": "x1 * w"}, "f", ["x1"])
    assert equations(solve(p, "t"))[d("f", "x_{1}")].parts == (("=", "w"), ("=", "0.5"))


def test_sums_of_more_than_two_terms_print_flat():
    p = graph({"a": "w * x1", "b": "v * x2", "f": "a + b + x1 - x2"}, "f", ["w"])
    sol = solve(p, "t")
    stage = next(eq for part in sol.sections[0].parts for b in part.blocks for eq in b.equations if eq.lhs == "f")
    assert stage.parts == (("=", "a + b + x_{1} - x_{2}"), ("=", "0.5 + 1 + 1 - 0.5"), ("=", "2"))
    md = render(sol, "md")
    assert r"\left(\left(" not in md and r"\left(a + b\right)" not in md


@pytest.mark.parametrize("name", ["graph-softplus-silu-elu", "scalar-graph-skip", "skip-chain-l1", "seed-004"])
def test_bundled_graph_keys_have_no_nested_sums(name):
    md = render(solve(load_problem(PROBLEMS / f"{name}.yaml"), "t"), "md")
    assert r"\left(\left(" not in md
    if name == "graph-softplus-silu-elu":
        assert r"r = s + e - t" in md


def test_max_and_min_derivatives_are_a_defined_indicator():
    p = graph({"a": "w * x1", "b": "v * x2", "m": "max(a, b)", "n": "min(a, x2)", "f": "m + n"},
              "f", ["w", "v", "x2"])
    sol = solve(p, "t")
    md = render(sol, "md")
    assert r"\theta" not in md and "Heaviside" not in md
    definition = next(b for part in sol.sections[0].parts for b in part.blocks
                      if b.title == r"The indicator $\mathbb{I}$")
    assert definition.text == (
        r"$\mathbb{I}[P]$ is 1 if $P$ holds and 0 otherwise: $\partial \max(a, b)/\partial a = \mathbb{I}[a \ge b]$ "
        r"and $\partial \max(a, b)/\partial b = \mathbb{I}[b > a]$; $\partial \min(a, b)/\partial a = "
        r"\mathbb{I}[a \le b]$ and $\partial \min(a, b)/\partial b = \mathbb{I}[b < a]$. The derivative is 1 with "
        "respect to the first maximal or minimal argument and 0 with respect to the others, so at a tie the whole "
        "gradient goes to the first of the tied arguments, as PyTorch's max(input, dim) and min(input, dim) do.")
    # defined before its first use (the forward pass's local derivatives), and only once
    assert md.index("The indicator") < md.index(r"= \mathbb{I}[a \ge b] = 0")
    assert md.count("The indicator") == 1
    assert r"\frac{\partial n}{\partial a} = \mathbb{I}[a \le x_{2}] = 1" in md  # a = x₂ = 0.5: a tie
    assert r"\frac{\partial n}{\partial x_{2}} = \mathbb{I}[x_{2} < a] = 0" in md
    grads = {a.of: a.exact for a in sol.sections[0].answers if a.kind == "gradient" and not a.upstream}
    assert grads == {"w": "1", "v": "1/2", "x2": "2"}  # as torch's min(dim): all of the tie to a, the first


@pytest.mark.parametrize("path", sorted(PROBLEMS.glob("*.yaml")), ids=lambda p: p.stem)
def test_no_bundled_key_prints_thetas(path):
    problem = load_problem(path)
    styles = ["graph"] if problem.graph is not None else ["neuron", "matrix", "graph"]
    for style in styles:
        md = render(solve(problem, path.stem, Options(style=style)), "md")
        assert r"\theta" not in md and "Heaviside" not in md
