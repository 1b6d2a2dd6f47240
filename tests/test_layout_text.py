"""The text helpers the templates use (solver.render.text), as tables of exact strings:
labels stripped for the exam class's own numbering, run-in headings, long rows broken,
final answers aligned, answer space and points; and the Markdown key's math in display
blocks, never a multi-row matrix inline in a list item."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from solver.key.model import Equation, Section
from solver.render.exam import answer_space, total_points, unlabelled
from solver.render.prose import final_rows, run_in
from solver.render.text import aligned, break_long

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("title, expected", [
    ("Question 1: forward pass", "Forward pass"),
    ("Question 2, continued: every gradient", "Every gradient"),
    ("Q1 (a) Forward pass", "Forward pass"),
    ("Q1 (b) Loss and gradients", "Loss and gradients"),
    ("(a) Forward pass", "Forward pass"),
    ("(c) One step of gradient descent", "One step of gradient descent"),
    ("1. The graph: forward pass and gradients", "The graph: forward pass and gradients"),
    ("T3. Learnable parameters", "Learnable parameters"),
    ("T4: the derivative of the loss", "The derivative of the loss"),
    ("The output of the network", "The output of the network"),
    ("A 1,000-step run", "A 1,000-step run"),
    ("A small convolutional network", "A small convolutional network"),
    ("Five steps of Adam", "Five steps of Adam"),
    ("1.5 times the rate", "1.5 times the rate"),
    ("Question 3", ""),  # only a label: the exam class's own "(c)" says it all
])
def test_unlabelled(title, expected):
    assert unlabelled(title) == expected


@pytest.mark.parametrize("title, text, expected", [
    ("Neuron $h_{1}$", "Inputs $x_{1} = 1$.", "Neuron $h_{1}$."),
    ("Loss: sum of squared errors", "with targets $y_1 = 0$.", "Loss: sum of squared errors"),
    ("Update", "One step of gradient descent.", "Update."),
    ("Layer 2: error.", "Back through…", "Layer 2: error."),
    ("Optimizer:", "Adam with", "Optimizer:"),
    ("Values from the forward pass", "", "Values from the forward pass"),
    ("Layer 2 (softmax)", r"$W^{(2)} \in \mathbb{R}^{3\times 2}$ holds", "Layer 2 (softmax)."),
])
def test_run_in(title, text, expected):
    assert run_in(title, text) == expected


BCE = (r"-\frac{1}{2} \left(\left(y_{1} \ln{\left(p_{1} \right)} + \left(1 - y_{1}\right) \ln{\left(1 - p_{1} "
       r"\right)}\right) + \left(y_{2} \ln{\left(p_{2} \right)} + \left(1 - y_{2}\right) \ln{\left(1 - p_{2} "
       r"\right)}\right)\right)")


@pytest.mark.parametrize("tex, width, rows", [
    ("a + b", 40, ["a + b"]),  # fits: unchanged
    ("a_{1} + a_{2} + a_{3} + a_{4}", 8, ["a_{1} + a_{2}", "+ a_{3} + a_{4}"]),
    # a sum inside the outermost parentheses: \left( \right) become \Bigl( \Bigr) across rows
    (BCE, 50, [r"-\frac{1}{2} \Bigl(\left(y_{1} \ln{\left(p_{1} \right)} + \left(1 - y_{1}\right) "
               r"\ln{\left(1 - p_{1} \right)}\right)",
               r"+ \left(y_{2} \ln{\left(p_{2} \right)} + \left(1 - y_{2}\right) \ln{\left(1 - p_{2} "
               r"\right)}\right)\Bigr)"]),
    # a product of matrices goes on before a factor, an operator staying with its factor
    (r"\left[\begin{array}{r} 1 \\ 2 \end{array}\right] \odot \left[\begin{array}{r} 3 & 4 & 5 & 6 & 7 \end{array}\right]",
     10, [r"\left[\begin{array}{r} 1 \\ 2 \end{array}\right]",
          r"\odot \left[\begin{array}{r} 3 & 4 & 5 & 6 & 7 \end{array}\right]"]),
    (r"\sigma\left(z_{1}\right)^{2}", 3, [r"\sigma\left(z_{1}\right)^{2}"]),  # nothing to break: unchanged
    ("{a + b + c + d + e + f}", 5, ["{a + b + c + d + e + f}"]),  # inside braces: no break
    # a term too wide alone, a sum in its parentheses (a GRU's candidate, 5 units: 79 pt past the
    # margin), is broken in turn
    (r"x_{1} + b_{1} + r_{1} \left(w_{1} h_{1} + w_{2} h_{2} + w_{3} h_{3} + w_{4} h_{4} + c\right)", 24,
     [r"x_{1} + b_{1}", r"+ r_{1} \Bigl(w_{1} h_{1} + w_{2} h_{2} + w_{3} h_{3} + w_{4} h_{4}", r"+ c\Bigr)"]),
])
def test_break_long(tex, width, rows):
    assert break_long(tex, width) == rows


def test_aligned_goes_on_in_indented_rows():
    eq = Equation("L", (("=", BCE), (r"\approx", "0.1253")))
    assert aligned([eq], 52).splitlines() == [
        r"L &= -\frac{1}{2} \Bigl(\left(y_{1} \ln{\left(p_{1} \right)} + \left(1 - y_{1}\right) "
        r"\ln{\left(1 - p_{1} \right)}\right) \\",
        r"&\qquad {} + \left(y_{2} \ln{\left(p_{2} \right)} + \left(1 - y_{2}\right) \ln{\left(1 - p_{2} "
        r"\right)}\right)\Bigr) \\",
        r"&\approx 0.1253",
    ]


@pytest.mark.parametrize("finals, body", [
    (["o_{1} = 0.41", "o_{2} = 0.64"], "o_{1} & = 0.41 \\\\\no_{2} & = 0.64"),
    ([r"L \approx 0.2977"], r"L & \approx 0.2977"),
    ([r"W^{(1)} \leftarrow \left[\begin{array}{r} 1 \end{array}\right]"],
     r"W^{(1)} & \leftarrow \left[\begin{array}{r} 1 \end{array}\right]"),
    ([r"\frac{\partial L}{\partial w_{3}} = -0.052"], r"\frac{\partial L}{\partial w_{3}} & = -0.052"),
    ([r"f_{\{a = b\}} = 1"], r"f_{\{a = b\}} & = 1"),  # a relation inside braces is not the one
    (["no relation"], "no relation"),
])
def test_final_rows(finals, body):
    assert final_rows(finals) == body


def _section(points="", rows=1):
    from solver.key.model import Block, Part
    eqs = tuple(Equation(f"a_{i}", (("=", "1"),)) for i in range(rows))
    return Section("q", "Q", "", (Part("P", (Block("b", "t", "x", eqs),)),), (), ("a = 1",), (), points=points)


def test_answer_space_grows_with_the_answer_between_bounds():
    assert answer_space(_section(rows=1)) == "3.0cm"
    assert answer_space(_section(rows=25)) == "9.8cm"  # (1 heading + 1 text + 25 rows + 1 final) × 0.35 cm
    assert answer_space(_section(rows=500)) == "16.0cm"


@pytest.mark.parametrize("points, total", [
    (["4", "6", "6", "8"], "24"), (["2.5", "1"], "3.5"), (["1/2", "1/2"], "1"), ([], ""), (["", "3"], "3")])
def test_total_points(points, total):
    assert total_points([_section(p) for p in points]) == total


def test_markdown_keys_put_multirow_math_in_display_blocks(tmp_path):
    """No matrix, ``gathered`` or ``\\\\`` inside inline ``$…$`` math (it wraps badly and breaks
    GitHub's renderer): every such formula stands in a ``$$`` block of its own."""
    from click.testing import CliRunner

    from solver.cli import main

    r = CliRunner().invoke(main, ["solve", str(ROOT / "problems"), "-f", "md", "--sheet", "both", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    for md in sorted(tmp_path.glob("*.md")):
        text = md.read_text(encoding="utf-8")
        inline = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
        spans = re.findall(r"\$[^$]+\$", inline)
        assert spans or "count" in md.name or "derivation" in md.name, md.name
        bad = [s for s in spans if "\\\\" in s or "\\begin" in s]
        assert not bad, (md.name, bad[:3])
        assert not re.search(r"^\s*- .*\$\$", text, re.M), md.name  # no display math in a list item


@pytest.mark.parametrize("name, arg, tex", [
    (r"\operatorname{ReLU}", "z", r"\operatorname{ReLU}(z)"),  # no gap: plain parentheses
    (r"\sigma", "-0.5", r"\sigma(-0.5)"),
    (r"\ln", r"1 + \frac{x}{y}", r"\ln\mathopen{}\left(1 + \frac{x}{y}\right)\mathclose{}"),  # tall: sized, no gap
    (r"\max", r"0, \left(a\right)", r"\max\mathopen{}\left(0, \left(a\right)\right)\mathclose{}"),
])
def test_applied(name, arg, tex):
    from solver.ops.functions import applied

    assert applied(name, arg) == tex


def test_printer_applies_functions_without_a_gap():
    import sympy as sp

    from solver.ops.latex import NNLatexPrinter

    x, y = sp.symbols("x y")
    printer = NNLatexPrinter({"x": "x", "y": "y"})
    assert printer.doprint(sp.log(x)) == r"\ln(x)"
    assert printer.doprint(sp.Max(x, y)) == r"\max(x, y)"
    assert printer.doprint(sp.log(1 + x / y)) == r"\ln\mathopen{}\left(1 + \frac{x}{y}\right)\mathclose{}"


def test_matrix_style_uses_the_layer_vector_names_the_problem_gives():
    """relu-3-4-3's statement writes z₁, h, z₂, ŷ: so does its key (not z⁽¹⁾, a⁽¹⁾, a⁽²⁾)."""
    from solver.key.solve import solve
    from solver.problem.loader import load_problem
    from solver.render import render

    path = ROOT / "problems" / "relu-3-4-3-softmax-ce.yaml"
    md = render(solve(load_problem(path), path.stem), "md")
    assert r"z_{1} &= W^{(1)} x = " in md
    assert r"h &= \operatorname{ReLU}(z_{1}) = " in md
    assert r"\hat{y} &= \operatorname{softmax}(z_{2}) \approx " in md
    assert r"\frac{\partial L}{\partial W^{(2)}} &= \delta^{(2)} h^\top" in md
    assert not re.search(r"(?<![A-Za-z\\])a\^\{\((1|2)\)\}", md) and "z^{(1)} =" not in md  # not δ^{(1)}


@pytest.mark.parametrize("tex, expected", [
    (r"\operatorname{softmax}(o)_k = \frac{e^{o_k}}{\sum_j e^{o_j}}",
     r"\operatorname{softmax}(z^{(2)})_k = \frac{e^{z^{(2)}_{k}}}{\sum_j e^{z^{(2)}_{j}}}"),
    (r"L = -\sum_k y_k \ln p_k", r"L = -\sum_k y_k \ln \hat{y}_{k}"),
    (r"With $p = \operatorname{softmax}(o)$", r"With $\hat{y} = \operatorname{softmax}(z^{(2)})$"),
    (r"\frac{y_k}{p_k}\, p_k(\delta_{kj} - p_j)", r"\frac{y_k}{\hat{y}_{k}}\, \hat{y}_{k}(\delta_{kj} - \hat{y}_{j})"),
    (r"\operatorname{relu}(z) = \max(0, z),\ \hat{p}_k, \exp_k", r"\operatorname{relu}(z) = \max(0, z),\ \hat{p}_k, \exp_k"),
])
def test_softmax_formulas_in_the_networks_names(tex, expected):
    from solver.ops.latex import in_softmax_names

    assert in_softmax_names(tex, "z^{(2)}", r"\hat{y}") == expected
    assert in_softmax_names(tex, "o", "p") == tex  # the generic letters: unchanged


@pytest.mark.parametrize("style", ["neuron", "matrix", "graph"])
def test_relu_3_4_3_key_writes_the_softmax_in_its_own_names(style):
    """Its statement names the logits z₂ and the probabilities ŷ: no o_k or p_k in its key."""
    from solver.core.options import Options
    from solver.key.solve import solve
    from solver.problem.loader import load_problem
    from solver.render import render

    path = ROOT / "problems" / "relu-3-4-3-softmax-ce.yaml"
    md = render(solve(load_problem(path), path.stem, Options(style=style)), "md")
    assert not re.search(r"(?<![\\A-Za-z])[op]_[jk]", md)
    assert r"\ln \hat{y}_{k}" in md


@pytest.mark.parametrize("stem, in_given", [("relu-2-2-2", True), ("relu-3-4-3-softmax-ce", False),
                                            ("leaky-relu-4-3-2-bce", False)])
def test_weight_matrices_printed_once(stem, in_given):
    """A network too big for labelled edges shows its weight matrices under the drawing: the
    Given list does not print them a second time. A small one keeps them in the Given list."""
    from solver.key.solve import solve
    from solver.problem.loader import load_problem
    from solver.render import render

    path = ROOT / "problems" / f"{stem}.yaml"
    solution = solve(load_problem(path), path.stem)
    tex = render(solution, "tex")
    given = tex[tex.index(r"\section*{Given}"):tex.index(r"\section*", tex.index(r"\section*{Given}") + 1)]
    drawing = tex[tex.index(r"\begin{tikzpicture}"):tex.index(r"\end{tikzpicture}")]
    assert (r"\[ W^{(1)} = " in given) == in_given
    assert (r"$W^{(1)} = \left[" in drawing) == (not in_given)
    md = render(solution, "md")
    assert ("\nW^{(1)} = " in md) == in_given


def test_no_row_break_inside_plain_parentheses():
    tex = r"-\frac{1}{2} \left(y_{1} \ln(p_{1}) + (1 - y_{1}) \ln(1 - p_{1}) + y_{2} \ln(p_{2}) + (1 - y_{2}) \ln(1 - p_{2})\right)"
    rows = break_long(tex, 30)
    assert len(rows) > 1 and all(r.count("(") - r.count(r"\left(") - r.count(r"\Bigl(")
                                 == r.count(")") - r.count(r"\right)") - r.count(r"\Bigr)") for r in rows), rows


def test_exam_back_references_name_the_parts():
    from solver.key.model import Section
    from solver.render.exam import part_refs, refer

    sections = [Section(str(i), t, "", (), (), (), ()) for i, t in
                enumerate(["Question 1: forward pass", "Q1 (b) Loss", "(c) Update", "Every gradient"])]
    refs = part_refs(sections)
    assert refs == {"Question 1": "part (a)", "Q1 (b)": "part (b)", "part (c)": "part (c)", "Question 4": "part (d)"}
    assert refer("From Question 1. Defined in Q1 (b) and Question 4; Question 10.", refs) == (
        "From part (a). Defined in part (b) and part (d); Question 10.")


@pytest.mark.parametrize("stem, title", [("relu-3-4-3-softmax-ce", "ReLU"), ("scalar-graph-skip", "ReLU"),
                                         ("graph-softplus-silu-elu", "softplus")])
def test_graph_style_defines_its_activations_and_the_loss_before_the_stages(stem, title):
    """Every function the stages apply is defined before the stages (once), and the loss
    (a stage of its own) is defined before the forward pass computes it."""
    from solver.core.options import Options
    from solver.key.solve import solve
    from solver.problem.loader import load_problem

    path = ROOT / "problems" / f"{stem}.yaml"
    sol = solve(load_problem(path), path.stem, Options(style="graph"))
    first = sol.sections[0]
    headings = [p.heading for p in first.parts]
    if "Loss" in headings:
        assert headings.index("Loss") < headings.index("Forward pass")
    forward = next(p for p in first.parts if p.heading == "Forward pass")
    definitions = [b for b in forward.blocks if b.kind == "definition"]
    assert [b.title for b in definitions].count(title) == 1
    assert forward.blocks.index(definitions[0]) < next(i for i, b in enumerate(forward.blocks) if b.kind == "stage")


def test_a_long_definition_display_goes_on_in_rows():
    from solver.render.prose import display_rows

    long = (r"L = \sum_k \operatorname{huber}_{\delta}(o_k - y_k),\quad \operatorname{huber}_{\delta}(r) = "
            r"\begin{cases} \tfrac{1}{2} r^2 & |r| < \delta \\ \delta\,(|r| - \tfrac{1}{2}\delta) & |r| \ge \delta "
            r"\end{cases},\quad \delta = 0.05")
    assert display_rows(long, 40) == (
        r"\begin{gathered} L = \sum_k \operatorname{huber}_{\delta}(o_k - y_k), \\ \operatorname{huber}_{\delta}(r) = "
        r"\begin{cases} \tfrac{1}{2} r^2 & |r| < \delta \\ \delta\,(|r| - \tfrac{1}{2}\delta) & |r| \ge \delta "
        r"\end{cases}, \\ \delta = 0.05 \end{gathered}")
    assert display_rows(r"f(z) = z,\quad f'(z) = 1", 40) == r"f(z) = z,\quad f'(z) = 1"  # fits: one row


@pytest.mark.parametrize("stem", ["skip-chain-l1", "scalar-graph-skip", "seed-004"])
def test_a_skip_connection_arcs_over_no_box(stem):
    """The arc of a skip connection is drawn above the centre line; every box in the columns
    it spans (its ends' included) sits on or below that line, so the arc crosses none."""
    from solver.key.solve import solve
    from solver.problem.loader import load_problem
    from solver.render.diagram import diagram

    path = ROOT / "problems" / f"{stem}.yaml"
    d = diagram(solve(load_problem(path), path.stem).figure, "key")
    where = {n.id: n for n in d.nodes}
    arcs = [e for e in d.edges if e.bend]
    assert arcs
    for e in arcs:
        lo, hi = sorted((where[e.src].x, where[e.dst].x))
        above = [n.id for n in d.nodes if n.y > 0 and lo - n.w / 2 <= n.x <= hi + n.w / 2 and n.id != e.src]
        assert above == [], (e.src, e.dst, above)


@pytest.mark.parametrize("gate, arg, tex", [(r"\Phi", "0.54", r"0.54\,\Phi(0.54)"),
                                            (r"\sigma", "-0.5", r"(-0.5)\,\sigma(-0.5)")])
def test_gated(gate, arg, tex):
    from solver.ops.functions import gated

    assert gated(gate, arg) == tex
