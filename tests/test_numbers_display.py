"""How numbers look in a key (issue 12, "Numbers"): fixed significant figures with
trailing zeros kept, exact values shown as they are, decimals lined up on the point in
every matrix and table, one number style, and no step that says nothing. Exact strings,
table by table."""

from pathlib import Path

import mpmath
import pytest
import sympy as sp

from solver.core.numbers import display, normalize, parse_number, written_latex
from solver.core.options import Options
from solver.graph.structure import evaluate_architecture
from solver.key.solve import solve
from solver.ops.latex import bmatrix, columns_aligned, decimal_aligned
from solver.problem import validate
from solver.problem.loader import load_problem, parse_yaml
from solver.render import render
from solver.render.answers import answers

ROOT = Path(__file__).resolve().parent.parent


# -- display: rounding, significant figures, exactness ------------------------------------
@pytest.mark.parametrize("value, digits, text, latex, relation", [
    # rounded values: exactly `digits` significant figures, trailing zeros kept
    ("1.48996", 4, "1.490", "1.490", r"\approx"),
    ("0.25099", 4, "0.2510", "0.2510", r"\approx"),
    ("0.2511", 3, "0.251", "0.251", r"\approx"),
    ("-0.0395001", 4, "-0.03950", "-0.03950", r"\approx"),
    ("9.99996", 4, "10.00", "10.00", r"\approx"),  # the rounding changed the magnitude
    ("0.09000001", 4, "0.09000", "0.09000", r"\approx"),
    ("1/3", 4, "0.3333", "0.3333", r"\approx"),
    ("2/3", 2, "0.67", "0.67", r"\approx"),
    ("-0.22215", 4, "-0.2222", "-0.2222", r"\approx"),  # half away from zero, on the exact value
    ("0.000028345", 4, "0.00002835", "0.00002835", r"\approx"),
    # exact values with no more significant digits than asked: as they are
    ("0.5", 4, "0.5", "0.5", "="),
    ("0.251", 4, "0.251", "0.251", "="),
    ("-0.2", 6, "-0.2", "-0.2", "="),
    ("0", 4, "0", "0", "="),
    ("100", 4, "100", "100", "="),
    ("3", 1, "3", "3", "="),
    # thousands grouped in LaTeX only; large and tiny values as powers of ten
    ("1234", 4, "1234", "1{,}234", "="),
    ("12345.6", 4, "12350", "12{,}350", r"\approx"),
    ("-1234567.5", 8, "-1234567.5", "-1{,}234{,}567.5", "="),
    ("1e-8", 15, "1e-08", "10^{-8}", "="),
    ("-1e-9", 4, "-1e-09", "-10^{-9}", "="),
    ("1.2e-7", 4, "1.2e-07", r"1.2 \times 10^{-7}", "="),
    ("1.20004e-7", 4, "1.200e-07", r"1.200 \times 10^{-7}", r"\approx"),
    ("123456789", 4, "1.235e+08", r"1.235 \times 10^{8}", r"\approx"),
])
def test_display(value, digits, text, latex, relation):
    shown = display(parse_number(value), digits)
    assert (shown.text, shown.latex, shown.relation) == (text, latex, relation)


def test_a_float_is_never_exact_even_when_it_looks_round():
    v = normalize(sp.exp(sp.Rational(41, 100)))  # 1.50681779...
    assert display(v, 4).text == "1.507" and display(v, 4).relation == r"\approx"
    assert display(sp.Float("0.25", 50), 4).text == "0.2500"  # a rounding, not the exact 1/4


def _powers_of_ten(x: mpmath.mpf, digits: int) -> tuple[str, str]:
    """``x`` as text and LaTeX at ``digits`` figures, worked out by mpmath alone."""
    mant, _, exp = mpmath.nstr(x, digits, min_fixed=1, max_fixed=0).partition("e")
    return f"{mant}e{exp}", rf"{mant} \times 10^{{{int(exp)}}}"


@pytest.mark.parametrize("power", [20, 30, 299])
@pytest.mark.parametrize("sign", [-1, 1])
def test_powers_of_ten_beyond_a_decimals_range(sign, power):
    """e^{-1e20} is about 10^{-43429448190325182766}: its exponent is past a Decimal's ±10^18,
    where display crashed (InvalidOperation); it is shown as the rounding of the value."""
    with mpmath.workdps(power + 60):  # 10^299 itself exact, and e^x's mantissa to 60 digits
        text, latex = _powers_of_ten(mpmath.exp(sign * mpmath.mpf(10) ** power), 4)
    v = sp.Float(sp.exp(sign * sp.Integer(10) ** power).evalf(60), 50)
    shown = display(v, 4)
    assert (shown.text, shown.latex, shown.relation) == (text, latex, r"\approx")
    assert shown.text.startswith("7.711e-43429448190325182766" if (sign, power) == (-1, 20) else "")


@pytest.mark.parametrize("value, latex", [
    ("0.1", "0.1"), ("0.01", "0.01"), ("0.999", "0.999"), ("1e-8", "10^{-8}"), ("2.5e-3", "0.0025"),
    ("1/3", r"\frac{1}{3}"), ("-2/3", r"-\frac{2}{3}"), ("1/4", "0.25"), ("1000", "1{,}000"),
])
def test_given_values_print_as_written(value, latex):
    """Decimals in, decimals out: 0.1 never becomes 1/10; a fraction with no short
    decimal stays a fraction rather than a rounded 0.333333333333333."""
    assert written_latex(parse_number(value)) == latex


# -- decimal alignment ----------------------------------------------------------------------
@pytest.mark.parametrize("cells, aligned", [
    (["0.2511", "0.2511", "0.2510"], ["0.2511", "0.2511", "0.2510"]),
    (["0.5", "0.4256", "-0.04"], [r"0.5\phantom{000}", "0.4256", r"-0.04\phantom{00}"]),
    (["2", "0.25", "-1"], [r"2\phantom{.00}", "0.25", r"-1\phantom{.00}"]),
    (["3", "12", "0"], ["3", "12", "0"]),
    (["1{,}234.5", "0.25"], [r"1{,}234.5\phantom{0}", "0.25"]),
    (["x_{1}", "0.5", r"1.2 \times 10^{-7}", "0.25"], ["x_{1}", r"0.5\phantom{0}", r"1.2 \times 10^{-7}", "0.25"]),
    ([], []),
])
def test_decimal_aligned(cells, aligned):
    assert decimal_aligned(cells) == aligned


def test_columns_are_aligned_one_by_one():
    rows = [["0", "0.2514", "0.5"], ["1", "0.2511", "0.4953"]]
    assert columns_aligned(rows) == [["0", "0.2514", r"0.5\phantom{000}"], ["1", "0.2511", "0.4953"]]


@pytest.mark.parametrize("cells, latex", [
    ([["0.5", "-0.4"], ["0.3", "0.8"]], r"\left[\begin{array}{rr} 0.5 & -0.4 \\ 0.3 & 0.8 \end{array}\right]"),
    ([["1.2"], ["0"], ["0.15"]], r"\left[\begin{array}{r} 1.2\phantom{0} \\ 0\phantom{.00} \\ 0.15 \end{array}\right]"),
    ([["0.5250", "0.4256"], ["0.45", "1"]],
     r"\left[\begin{array}{rr} 0.5250 & 0.4256 \\ 0.45\phantom{00} & 1\phantom{.0000} \end{array}\right]"),
    ([["p_{1} - y_{1}", "p_{2} - y_{2}"]], r"\left[\begin{array}{rr} p_{1} - y_{1} & p_{2} - y_{2} \end{array}\right]"),
])
def test_matrices_are_right_aligned_arrays(cells, latex):
    assert bmatrix(cells) == latex


# -- whole keys ----------------------------------------------------------------------------
def _key(path, style=None):
    problem = load_problem(ROOT / "problems" / path)
    return solve(problem, Path(path).stem, Options(style=style) if style else Options())


def _blocks(solution):
    for sec in solution.sections:
        for part in sec.parts:
            yield from part.blocks


def test_xor_training_table_shows_its_progress():
    s = _key("xor-2-2-1-training.yaml")
    table = next(t for sec in s.sections for t in sec.tables if t.title == "Loss and parameters during training")
    assert [row[1] for row in table.rows] == ["0.2514", "0.2511", "0.2511", "0.2510"]
    assert table.rows[0][2] == r"0.5\phantom{000}"  # the exact start, lined up with 0.4953
    assert table.rows[1][2] == "0.4953"
    assert [row[10] for row in table.rows] == [r"0.05\phantom{0000}", r"0.02599\phantom{0}",
                                               r"0.01420\phantom{0}", "0.008164"]
    data = answers(s)
    losses = [a["display"] for q in data["questions"] for a in q["answers"] if a["kind"] == "loss"
              and q["id"] == "three-steps" and a.get("step") is not None]
    assert losses == ["0.2514", "0.2511", "0.2511", "0.2510"]


def test_adam_settings_and_first_step_in_one_number_style():
    s = _key("relu-2-2-2-adam.yaml")
    note = next(b for b in _blocks(s) if b.title == "Optimizer")
    assert r"learning rate $\eta = 0.01$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$" in note.text
    w5 = next(e for b in _blocks(s) for e in b.equations if e.lhs == "w_{5}" and r"\leftarrow" in e.parts[0][0])
    assert w5.parts == ((r"\leftarrow", r"w_{5} - \eta\, \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}"),
                        ("=", r"0.1 - (0.01)\, \frac{0.41}{\sqrt{0.1681} + 10^{-8}}"), (r"\approx", "0.09000"))


@pytest.mark.parametrize("optimizer, settings", [
    # each setting named by its field, unless the field is its letter's name (β₁, ε)
    ({"type": "momentum", "learning_rate": 0.1, "momentum": "1/3"},
     r"learning rate $\eta = 0.1$, momentum $\mu = \frac{1}{3}$"),
    ({"type": "sgd", "learning_rate": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05},
     r"learning rate $\eta = 0.1$, momentum $\mu = 0.9$, dampening $\tau = 0.3$, weight decay $\lambda = 0.05$"),
    ({"type": "adam", "learning_rate": 0.001},
     r"learning rate $\eta = 0.001$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$"),
])
def test_optimizer_settings_decimals_in_decimals_out(optimizer, settings):
    p = validate({"title": "t", "precision": 4, "loss": "sse", "target": [1], "network": {
        "inputs": {"x1": 1}, "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]], "bias": 0.1}]},
        "questions": [{"id": "q", "ask": ["train"], "steps": 2, "optimizer": optimizer}]})
    note = next(b for b in _blocks(solve(p, "t")) if b.title == "Optimizer")
    assert f"with {settings}, for 2 steps" in note.text


def _net(hidden_bias, out_bias, orientation="Wx", style="matrix"):
    layers = [{"units": 2, "activation": "relu", "weights": [[0.2, 0.1], [0.3, 0.2]]},
              {"units": 1, "activation": "linear", "weights": [[0.5, -0.5]]}]
    if orientation == "xW":
        layers[1]["weights"] = [[0.5], [-0.5]]
    if hidden_bias is not None:
        layers[0]["bias"] = hidden_bias
    if out_bias is not None:
        layers[1]["bias"] = out_bias
    return validate({"title": "t", "precision": 4, "loss": "sse", "target": [1], "style": style, "network": {
        "inputs": {"x1": 1, "x2": 2}, "orientation": orientation, "naming": "sequential", "layers": layers},
        "questions": [{"id": "q", "ask": ["forward", "gradients"]}]})


@pytest.mark.parametrize("hidden_bias, out_bias, names", [
    (None, 0.1, ["b2"]),               # the output layer's bias is named by its layer, not b1
    (0.1, 0.2, ["b1", "b2"]),
    ([0.1, 0.2], [0.3], ["b1", "b2", "b3"]),  # per-neuron biases number through the network
    (None, [0.3], ["b2"]),
    (0.1, None, ["b1"]),
])
def test_sequential_bias_names(hidden_bias, out_bias, names):
    s = solve(_net(hidden_bias, out_bias), "t")
    got = sorted(a.of for sec in s.sections for a in sec.answers if a.kind == "gradient" and a.of.startswith("b"))
    assert got == names


@pytest.mark.parametrize("hidden_bias, out_bias, orientation, form", [
    (None, None, "Wx", "Orientation $z = W x$; vectors are columns."),
    (None, None, "xW", "Orientation $z = x W$; vectors are rows."),
    (None, 0.1, "xW", "Orientation $z = x W + b$; vectors are rows."),
    (0.1, 0.2, "Wx", "Orientation $z = W x + b$; vectors are columns."),
])
def test_matrix_form_mentions_b_only_with_biases(hidden_bias, out_bias, orientation, form):
    s = solve(_net(hidden_bias, out_bias, orientation), "t")
    assert next(b for b in _blocks(s) if b.title == "Matrix form").text == form


@pytest.mark.parametrize("path, first, second", [
    # a softmax layer's weight feeds a logit: then every layer's arrow ends at a pre-activation
    # (the arrow inside the weight's formula: "w = 0.2\ (x → h)" cannot break before it)
    ("relu-3-4-3-softmax-ce.yaml", r"\ (x_{1} \to z^{(1)}_{1})$", r"\ (h^{(1)}_{1} \to z^{(2)}_{1})$"),
    ("leaky-relu-4-3-2-bce.yaml", r"\ (x_{1} \to z^{(1)}_{1})$", r"\ (a^{(1)}_{1} \to o_{1})$"),
    # otherwise at the neurons
    ("relu-2-2-2.yaml", r"\ (x_{1} \to h_{1})$", r"\ (h_{1} \to o_{1})$"),
])
def test_given_uses_one_arrow_form(path, first, second):
    s = _key(path)
    layers = [b for b in s.given if b.title.startswith("Layer")]
    assert first in layers[0].text and second in layers[1].text


def test_given_matrices_line_up():
    s = _key("relu-3-4-3-softmax-ce.yaml")
    w1 = next(b for b in s.given if b.title.startswith("Layer 1")).equations[0]
    assert w1.parts == (("=", (r"\left[\begin{array}{rrr} 0.2 & -0.3 & 0.4 \\ 0.1 & 0.2 & -0.5 \\ "
                                r"-0.3 & 0.1 & 0.2 \\ 0.4 & -0.1 & 0.3 \end{array}\right]")),)


# -- structure: no step that says nothing -----------------------------------------------------
def _count_equations(layers, input_shape):
    p = validate({"title": "t", "questions": [{"id": "q", "ask": ["count"], "architecture": {
        "input": input_shape, "layers": layers}}]})
    block = solve(p, "t").sections[0].parts[0].blocks[0]
    return {e.lhs: e.parts for e in block.equations}


@pytest.mark.parametrize("layers, input_shape, lhs, parts", [
    ([{"type": "dense", "units": 25, "name": "fc"}], [30], r"\text{without biases}", (("=", "750"),)),
    ([{"type": "dense", "units": 25, "name": "fc"}], [30], r"\text{total}", (("=", r"30 \cdot 25 + 25"), ("=", "775"))),
    ([{"type": "dense", "units": 25, "name": "fc"}], [30], r"\text{fc}", (("=", r"30 \cdot 25 + 25"), ("=", "775"))),
    ([{"type": "dense", "units": 40, "name": "a"}, {"type": "dense", "units": 1, "name": "b"}], [30],
     r"\text{without biases}", (("=", "1{,}200 + 40"), ("=", "1{,}240"))),
    ([{"type": "dense", "units": 40, "name": "a", "bias": False}], [30], r"\text{total}",
     (("=", r"30 \cdot 40"), ("=", "1{,}200"))),
])
def test_parameter_count_steps(layers, input_shape, lhs, parts):
    assert _count_equations(layers, input_shape)[lhs] == parts


@pytest.mark.parametrize("kernel, stride, padding, line", [
    (3, 1, 1, r"H_{\text{out}} = \left\lfloor \frac{32 + 2\cdot1 - 1\cdot(3-1) - 1}{1} \right\rfloor + 1 = 31 + 1 = 32"),
    (2, 2, 0, r"H_{\text{out}} = \left\lfloor \frac{32 + 2\cdot0 - 1\cdot(2-1) - 1}{2} \right\rfloor + 1 = 15 + 1 = 16"),
    (5, 2, 0, (r"H_{\text{out}} = \left\lfloor \frac{32 + 2\cdot0 - 1\cdot(5-1) - 1}{2} \right\rfloor + 1 "
               r"= \left\lfloor \frac{27}{2} \right\rfloor + 1 = 14")),
])
def test_shape_steps_take_the_floor_only_of_a_fraction(kernel, stride, padding, line):
    from solver.problem.conversion import convert
    from solver.problem.schema import Architecture
    arch = convert({"input": [3, 32, 32], "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel": kernel, "stride": stride, "padding": padding}]}, Architecture)
    assert evaluate_architecture(arch)[0].shape_steps[1] == line


@pytest.mark.parametrize("step, lhs, parts", [
    (r"K = 3,\ S = 1,\ P = 1,\ D = 1", "K", (("=", r"3,\ S = 1,\ P = 1,\ D = 1"),)),
    (r"H_{\text{out}} = \left\lfloor \frac{30}{1} \right\rfloor + 1 = 30 + 1 = 31", r"H_{\text{out}}",
     (("=", r"\left\lfloor \frac{30}{1} \right\rfloor + 1"), ("=", "30 + 1"), ("=", "31"))),
    (r"32 \cdot 2 \cdot 2 = 128", r"32 \cdot 2 \cdot 2", (("=", "128"),)),
])
def test_shape_steps_are_equations_that_break_between_sides(step, lhs, parts):
    from solver.key.structure import _shape_equation
    eq = _shape_equation(step)
    assert (eq.lhs, eq.parts) == (lhs, parts)


def test_long_runs_print_thousands_in_one_style():
    p = validate({"title": "t", "precision": 4, "loss": "sse", "target": [1], "network": {
        "inputs": {"x1": 1}, "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]], "bias": 0.1}]},
        "questions": [{"id": "q", "ask": ["train"], "steps": 1000, "learning_rate": 0.01}]})
    sec = solve(p, "t").sections[0]
    table = sec.tables[-1]
    assert table.title == "Loss and parameters during training (every 100 steps)"
    assert table.rows[-1][0] == "1{,}000"
    assert any(line.endswith(r"\ \text{after 1,000 steps}") for line in sec.final)
    note = next(b for part in sec.parts for b in part.blocks if b.title == "Optimizer")
    assert "for 1,000 steps" in note.text


def test_layer_sentence_names_components_and_can_break():
    """One example: ``z = (…)`` (a line may break after ``=``); past three components the
    middle ones are ``\\dots``."""
    s = _key("relu-3-4-3-softmax-ce.yaml", "matrix")
    layer1 = next(b for b in _blocks(s) if b.title == "Layer 1 (ReLU)")
    # the layer's vectors as the problem names them (z1, h)
    assert layer1.text == (r"$W^{(1)} \in \mathbb{R}^{4\times 3}$; $z_{1} = (z^{(1)}_{1}, z^{(1)}_{2}, \dots, "
                           r"z^{(1)}_{4})$ and $h = (h^{(1)}_{1}, h^{(1)}_{2}, \dots, h^{(1)}_{4})$.")
    xor = _key("xor-2-2-1-training.yaml")
    layer2 = next(b for b in _blocks(xor) if b.title == "Layer 2 (sigmoid)")
    assert layer2.text == (r"$W^{(2)} \in \mathbb{R}^{1\times 2}$; $Z^{(2)}$ holds $(z_{o_{1}}^{[1]})$ and "
                           r"$A^{(2)}$ holds $(o_{1}^{[1]})$, example by example.")


SIGMOID_FAR = """\
title: "sigmoid far into its tail"
network:
  inputs: {x1: 1}
  layers:
    - {units: 1, activation: sigmoid, weights: [[-1e20]]}
loss: sse
target: [0]
questions:
  - {id: a, ask: [forward, loss, gradients]}
"""


def test_a_sigmoid_far_into_its_tail_is_worked_out_not_a_crash():
    """σ(-1e20) = 1/(1 + e^{1e20}) is tiny but positive; showing it crashed the key (an
    internal error). The answers are the roundings of the values mpmath gives."""
    data = answers(solve(validate(parse_yaml(SIGMOID_FAR, "far.yaml")), "far", Options()))["questions"][0]["answers"]
    shown = {(a["kind"], a["of"]): a["display"] for a in data}
    with mpmath.workdps(60):
        o = 1 / (1 + mpmath.exp(mpmath.mpf(10) ** 20))
        loss, grad = o ** 2, 2 * o * o * (1 - o)  # (o - 0)², ∂L/∂w = 2 o σ'(z) x
    assert shown[("value", "o1")] == _powers_of_ten(o, 4)[0] == "7.711e-43429448190325182766"
    assert shown[("loss", "L")] == _powers_of_ten(loss, 4)[0]
    assert shown[("gradient", "w1")] == _powers_of_ten(grad, 4)[0]


SOFTMAX_691 = """\
title: "softmax with a huge logit"
network:
  inputs: {x1: 1}
  layers:
    - {units: 2, activation: softmax, weights: [[691], [0]]}
loss: cross_entropy
target: {class: 1}
questions:
  - {id: a, ask: [forward]}
"""


def test_a_softmax_shows_its_exponentials_above_1e300():
    """e^{691} > 1e300 is only a worked line of the key (the probabilities, 1 and
    e^{-691}, are its answers): it crashed as an internal error from 691 up."""
    md = render(solve(validate(parse_yaml(SOFTMAX_691, "sm.yaml")), "sm", Options()), "md")
    with mpmath.workdps(60):
        e691 = _powers_of_ten(mpmath.exp(691), 4)[1]
        p2 = _powers_of_ten(1 / (1 + mpmath.exp(691)), 4)[1]
    assert e691 == r"1.252 \times 10^{300}" and p2 == r"7.989 \times 10^{-301}"
    assert rf"e^{{z_{{o_{{1}}}}}} &= e^{{691}} \approx {e691} \\" in md
    assert rf"S &= e^{{z_{{o_{{1}}}}}} + e^{{z_{{o_{{2}}}}}} \approx {e691} + 1 \approx {e691} \\" in md
    assert rf"o_{{2}} &= \frac{{e^{{z_{{o_{{2}}}}}}}}{{S}} \approx \frac{{1}}{{{e691}}} \approx {p2}" in md
