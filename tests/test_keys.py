"""What the keys say, beyond the numbers: conventions at kinks, the softmax shortcut
and its absence, user templates."""

from pathlib import Path

from solver.core.options import Options
from solver.render.answers import answers
from solver.cli import main
from solver.problem.loader import load_problem
from solver.problem import validate
from solver.render import render
from solver.key.solve import solve

ROOT = Path(__file__).resolve().parent.parent


def network(layers, inputs=None, **extra):
    data = {"title": "t", "network": {"inputs": inputs or {"x1": 1, "x2": 2}, "layers": layers},
            "questions": [{"id": "q", "ask": ["forward", "loss", "gradients"]}]}
    data.update(extra)
    return validate(data)


def key(problem, fmt="md", **kw):
    return render(solve(problem, "t", Options(**kw)), fmt)


def test_relu_at_zero_is_stated():
    # z_h1 = 1·1 + (−0.5)·2 = 0 exactly: ReLU'(0) = 0 must be said.
    p = network([{"units": 1, "activation": "relu", "weights": [["1", "-0.5"]]},
                 {"units": 1, "weights": [["2"]]}], loss="sse", target=[1])
    md = key(p)
    assert "Non-differentiable point" in md
    assert r"this key uses $\operatorname{ReLU}'(0) = 0$, as PyTorch does." in md
    grads = {a.of: a.value for a in solve(p, "t").sections[0].answers if a.kind == "gradient" and not a.upstream}
    assert grads["w1"] == 0 and grads["w2"] == 0


def test_no_kink_note_away_from_zero():
    md = render(solve(load_problem(ROOT / "problems" / "relu-2-2-2.yaml"), "x"), "md")
    assert "Non-differentiable" not in md


def test_abs_and_max_kinks_are_stated():
    p = validate({"title": "t", "graph": {"inputs": {"x": 1, "t": 1}, "parameters": {"a": 2},
                                          "nodes": {"m": "max(a*x, 2)", "L": "abs(x - t) + m"}, "output": "L"},
                  "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": ["a", "x"]}]})
    md = key(p)
    assert (r"At $L$: $\left|x - t\right|$ has a kink at $x - t = 0$; this key uses $\operatorname{sgn}(0) = 0$, "
            "as PyTorch does.") in md
    assert (r"At $m$: $\max(a x, 2)$ has a tie at its maximum, $a x = 2$: the gradient goes to the first "
            r"maximal argument, $a x$ (1 for it, 0 for the others), as PyTorch's max(input, dim) does.") in md
    grads = {a.of: a.exact for a in solve(p, "t").sections[0].answers if a.kind == "gradient" and not a.upstream}
    assert grads == {"a": "1", "x": "2"}  # the tie's gradient all to a·x; sgn(0) = 0 for |x - t|


def test_softmax_cross_entropy_shortcut_is_justified():
    md = key(load_problem(ROOT / "problems" / "relu-2-2-2.yaml"))
    assert "Softmax with cross-entropy" in md
    assert r"= p_j \sum_k y_k - y_j = p_j - y_j" in md
    assert r"\frac{\partial L}{\partial o_{2}} &= p_{2} - y_{2}" in md


def test_target_not_summing_to_one_uses_the_full_jacobian():
    # Seed 003's literal y = (1, 1, 0): the shortcut p - y does not hold.
    p = network([{"units": 3, "activation": "softmax", "weights": [["0.1", "0.2"], ["-0.2", "0.3"], ["0.2", "-0.1"]]}],
                loss="cross_entropy", target=[1, 1, 0])
    md = key(p)
    assert "Softmax with cross-entropy" not in md
    assert "p_{1} - y_{1}" not in md
    s = solve(p, "t")
    logits = {a.of: a.value for a in s.sections[0].answers if a.kind == "value" and a.of.startswith("z")}
    assert logits  # pre-activations are answered
    # dL/dz = 2p - y when sum(y) = 2 (seed_answers.md, seed 003 errors)
    import math
    z = [0.1 * 1 + 0.2 * 2, -0.2 * 1 + 0.3 * 2, 0.2 * 1 - 0.1 * 2]
    e = [math.exp(v) for v in z]
    prob = [v / sum(e) for v in e]
    grads = {a.of: a.value for a in s.sections[0].answers if a.kind == "gradient" and not a.upstream}
    assert abs(grads["w1"] - (2 * prob[0] - 1) * 1) < 1e-12  # w1: x1 -> output 1


def test_seed_001_uses_the_full_softmax_jacobian():
    s = solve(load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml"), "x", Options(style="neuron"))
    md = render(s, "md")
    # The seed's half-size 0.0588705 is wrong; the full Jacobian gives p - y = 0.117741.
    assert r"\frac{\partial L}{\partial o_{1}} &= \frac{\partial L}{\partial p_{1}} \frac{\partial p_{1}}{\partial o_{1}}" \
        r" + \frac{\partial L}{\partial p_{2}} \frac{\partial p_{2}}{\partial o_{1}}" in md
    grads = {a["of"]: a["display"] for q in answers(s)["questions"] for a in q["answers"] if a["kind"] == "gradient" and not a.get("upstream")}
    assert grads["W2[1,1]"] == "-0.000588704" and grads["W1[1,2]"] == "-0.317900"  # rounded: six figures


def test_exact_values_use_equals_and_rounded_ones_approx():
    md = key(load_problem(ROOT / "problems" / "relu-2-2-2.yaml"))
    assert r"&= 0.1681 + 0.1296 = 0.2977" in md
    assert r"\approx 0.5847" in md


def test_user_templates_override_packaged_ones(tmp_path, runner):
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "key.md.j2").write_text("{{ s.title }}: {% for sec in s.sections %}{{ sec.final | join('; ') }}{% endfor %}\n")
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(ROOT / "problems" / "scalar-graph-skip.yaml"), "-o", str(out),
                                  "-f", "md", "-f", "tex", "--templates", str(tpl)])
    assert result.exit_code == 0, result.output
    assert (out / "scalar-graph-skip.md").read_text() == (
        r"A scalar graph with a skip connection: z = 0.62; \frac{\partial z}{\partial w_{0}} = -0.2; "
        r"\frac{\partial z}{\partial w_{1}} = 0.4; \frac{\partial z}{\partial b_{0}} = -0.2; "
        r"\frac{\partial z}{\partial b_{1}} = 1; \frac{\partial z}{\partial x_{0}} = 0.94")  # trim_blocks eats the last newline
    assert "\\documentclass" in (out / "scalar-graph-skip.tex").read_text()  # tex falls back to the packaged one


def test_seed_001_matrix_style_shows_the_jacobian_and_deltas():
    s = solve(load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml"), "x")  # style: matrix in the file
    md = render(s, "md")
    # in the statement's names: a = LeakyReLU(net h), o = a W2, p = softmax(o)
    assert r"J &= \frac{\partial p}{\partial o}" in md  # the Jacobian is defined, then used
    assert r"\delta^{(2)} &= \frac{\partial L}{\partial p} J" in md  # rows (z = x W): ∂L/∂p · J
    assert r"\left[\begin{array}{rr} 0.117741 & -0.117741 \end{array}\right]" in md  # δ(2) = p − y, a row (z = x W)
    assert r"\frac{\partial L}{\partial W^{(2)}} &= a^\top \delta^{(2)}" in md
    assert r"W^{(1)} \in \mathbb{R}^{4\times 3}" in md


def test_styles_agree_on_every_answer():
    path = ROOT / "problems" / "relu-2-2-2.yaml"
    results = {style: answers(solve(load_problem(path), "x", Options(style=style))) for style in ("neuron", "matrix", "graph")}
    def exact(d):  # intermediate ∂L/∂n differ by style (each shows its own); the answers asked do not
        return [(q["id"], a["kind"], a["of"], a["exact"]) for q in d["questions"] for a in q["answers"]
                if not a.get("upstream")]
    assert exact(results["neuron"]) and exact(results["neuron"]) == exact(results["matrix"])
    grads = lambda d: sorted(t for t in exact(d) if t[1] == "gradient")  # noqa: E731
    assert grads(results["neuron"]) == grads(results["graph"])


def test_the_given_section_states_every_form_of_target():
    """The paper states the target (a variant's statement cannot): a vector, a class, a batch
    of classes, a batch of one class (which once failed: a class inside a one-example list)."""
    def given(inputs, target, loss="cross_entropy"):
        data = {"title": "t", "network": {"inputs": inputs, "layers": [
            {"units": 2, "activation": "softmax", "weights": [[0.1, 0.2], [0.3, 0.4]], "bias": 0}]},
            "loss": loss, "target": target, "questions": [{"id": "q", "ask": ["loss"]}]}
        md = render(solve(validate(data), "t"), "md")
        return [line for line in md.splitlines() if "Target" in line]
    assert given({"x1": 1, "x2": 0}, [0, 1]) == ["**Target:** $(0, 1)$."]
    assert given({"x1": 1, "x2": 0}, {"class": 2}) == ["**Target:** class 2."]
    assert given({"x1": [1, 2], "x2": [0, 1]}, [{"class": 1}, {"class": 2}]) == [
        "**Targets (one per example):** class 1, class 2."]
    assert given({"x1": [1], "x2": [0]}, [{"class": 1}]) == [r"**Target:** $(\text{class 1})$."]
