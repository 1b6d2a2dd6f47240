"""Diagrams and plots an instructor can hand out: no label of a network diagram touches
another or a node (bundled problems and networks from 1-1-1 to 6-6-4), Markdown SVGs
with readable scripts and true minus signs, plot ticks at whole steps with distinct
labels, and a drawing wider than the page scaled to fit it."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from solver.core.options import Options
from solver.pipeline import solve_file
from solver.render.diagram import diagram, label_boxes, node_circles
from solver.render.drawing import svg, tikz
from solver.render.plots import axis_options, ticks
from solver.render.plots import svg as plot_svg

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"


def _overlap(a, b) -> bool:
    """Whether two boxes share area (touching edges do not count)."""
    return a.x0 < b.x1 - 1e-9 and b.x0 < a.x1 - 1e-9 and a.y0 < b.y1 - 1e-9 and b.y0 < a.y1 - 1e-9


def _hits_circle(box, x, y, r) -> bool:
    dx = max(box.x0 - x, 0.0, x - box.x1)
    dy = max(box.y0 - y, 0.0, y - box.y1)
    return dx * dx + dy * dy < r * r - 1e-9


def collisions(d) -> list[str]:
    """Every pair of labels that overlap, and every label over a node's circle."""
    boxes = label_boxes(d)
    found = [f"{n1} / {n2}" for i, (n1, b1) in enumerate(boxes) for n2, b2 in boxes[i + 1:] if _overlap(b1, b2)]
    found += [f"{name} / node {nid}" for name, b in boxes for nid, x, y, r in node_circles(d)
              if _hits_circle(b, x, y, r)]
    return found


def network_problem(path: Path, sizes: tuple[int, ...], bias: str = "none") -> Path:
    """A network with ``sizes`` units per layer (inputs first), weights of both signs,
    and no bias, a shared bias or one bias per neuron."""
    layers = []
    for n, (fan_in, units) in enumerate(pairwise(sizes)):
        layer = {"units": units, "activation": "relu" if n < len(sizes) - 2 else "linear",
                 "weights": [[round((-1) ** (i + j) * 0.1 * (1 + (i + 2 * j) % 7), 1) for j in range(fan_in)]
                             for i in range(units)]}
        if bias == "shared":
            layer["bias"] = 0.1
        elif bias == "each":
            layer["bias"] = [round(-0.1 * (k + 1), 1) for k in range(units)]
        layers.append(layer)
    data = {"title": "A network", "statement": "A network.", "precision": 4,
            "network": {"inputs": {f"x{i + 1}": i + 1 for i in range(sizes[0])}, "orientation": "Wx",
                        "naming": "sequential", "layers": layers},
            "questions": [{"id": "q1", "title": "Question 1", "ask": ["forward"]}]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# -- 1. no label touches another, nor a node ---------------------------------------------------

@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
@pytest.mark.parametrize("sheet", ["key", "questions"])
def test_bundled_diagrams_have_no_colliding_labels(path, sheet):
    d = diagram(solve_file(path).figure, sheet)
    if d is None:
        pytest.skip("no diagram")
    assert not collisions(d)


SIZES = [(1, 1, 1), (2, 2, 2), (2, 2, 1), (3, 2, 1), (2, 3, 2), (3, 3, 3), (4, 3, 2), (3, 4, 3), (4, 4, 4),
         (5, 3, 2), (5, 5, 3), (6, 4, 2), (6, 6, 4), (2, 3, 3, 2), (8, 8, 2)]


@pytest.mark.parametrize("sizes", SIZES, ids=["-".join(map(str, s)) for s in SIZES])
@pytest.mark.parametrize("bias", ["none", "shared", "each"])
def test_synthetic_networks_have_no_colliding_labels(tmp_path, sizes, bias):
    solution = solve_file(network_problem(tmp_path / "net.yaml", sizes, bias))
    for sheet in ("key", "questions"):
        d = diagram(solution.figure, sheet)
        assert not collisions(d), (sheet, collisions(d))
        labelled = [e for e in d.edges if e.label]
        if sheet == "key" and not labelled or sheet == "key" and "=" not in labelled[0].label:
            # the values are not on the edges: they are in one matrix per layer under the drawing
            assert [m.name for m in d.matrices] == [f"W^{{({i + 1})}}" for i in range(len(sizes) - 1)]
            assert all(m.y < min(n.y for n in d.nodes) for m in d.matrices)
        if labelled:  # every weight's edge carries its label, each on its own edge, nearer its source
            assert len(labelled) == sum(e.src.startswith("c") for e in d.edges)
            assert all(0 < e.pos < 1 for e in labelled)


def test_small_networks_keep_their_values_on_the_edges(tmp_path):
    for sizes in [(1, 1, 1), (2, 2, 2), (2, 2, 1)]:
        d = diagram(solve_file(network_problem(tmp_path / "n.yaml", sizes, "each")).figure, "key")
        assert all(" = " in e.label for e in d.edges if e.src.startswith("c")), sizes
        assert d.matrices == ()


def test_the_2_2_2_key_labels_its_crossing_edges_apart():
    """The issue's cases: w2/w3 and w6/w7 at the crossings, labels near their sources."""
    d = diagram(solve_file(ROOT / "problems" / "relu-2-2-2.yaml").figure, "key")
    by = {e.label.split(" =")[0]: e for e in d.edges if e.label}
    assert set(by) == {f"w_{{{i}}}" for i in range(1, 9)}
    for a, b in (("w_{2}", "w_{3}"), ("w_{6}", "w_{7}")):
        assert not _overlap(by[a].box, by[b].box)
    assert all(e.pos < 0.5 for e in by.values())
    assert by["w_{1}"].label == "w_{1} = 0.2"


def test_xor_bias_tags_clear_the_weights():
    d = diagram(solve_file(ROOT / "problems" / "xor-2-2-1-training.yaml").figure, "key")
    tags = [(n.label, n) for n in d.nodes if n.kind == "tag"]
    assert [t for t, _ in tags] == ["+b_{1} = 0.1", "+b_{2} = -0.2", "+b_{3} = 0.05"]
    assert not collisions(d)


def test_big_networks_give_their_weights_as_matrices():
    d = diagram(solve_file(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml").figure, "key")
    assert [m.name for m in d.matrices] == ["W^{(1)}", "W^{(2)}"]
    assert d.matrices[0].rows[0] == ("-0.2", "0.9", "0.4")  # x W: a row per input
    pic = tikz(d)
    assert r"W^{(1)} = \left[\begin{array}{rrr} -0.2 & 0.9 & 0.4 \\ -0.1 & 0.3 & 0.4" in pic  # right-aligned
    drawn = svg(d)
    for entry in ("−0.2", "0.9", "−0.7", "−0.5"):
        assert f">{entry}</tspan>" in drawn, entry


# -- 2. Markdown SVGs: readable sizes, true minus signs ------------------------------------------

def _texts(document: str) -> list[ET.Element]:
    root = ET.fromstring(document)
    return [e for e in root.iter() if e.tag in (SVG + "text", SVG + "tspan")]


@pytest.mark.parametrize("stem", ["relu-2-2-2", "xor-2-2-1-training", "leaky-relu-4-3-2-bce",
                                  "relu-3-4-3-softmax-ce", "scalar-graph-skip", "graph-softplus-silu-elu"])
def test_svg_text_is_readable_with_true_minus_signs(stem):
    figure = solve_file(ROOT / "problems" / f"{stem}.yaml").figure
    for sheet in ("key", "questions"):
        texts = _texts(svg(diagram(figure, sheet)))
        sizes = [float(e.get("font-size")) for e in texts if e.get("font-size")]
        assert sizes and min(sizes) >= 11, (sheet, min(sizes))
        content = "".join(e.text or "" for e in texts)
        assert "-" not in content.replace("each box", ""), content
        if sheet == "key" and stem != "relu-2-2-2":
            assert "\u2212" in content  # every one of these has a negative weight or value


def test_svg_of_xor_shows_its_negative_weight_and_bias():
    texts = _texts(svg(diagram(solve_file(ROOT / "problems" / "xor-2-2-1-training.yaml").figure, "key")))
    runs = [e.text for e in texts if e.text]
    assert "−0.4" in "".join(runs) and "−0.2" in "".join(runs)
    subscripts = [e for e in texts if e.tag == SVG + "tspan" and e.get("dy", "").startswith("4")]
    assert subscripts and all(float(e.get("font-size")) >= 11 for e in subscripts)


# -- 3. plots: whole steps, distinct labels ------------------------------------------------------

def _plots(stem: str):
    return [p for sec in solve_file(ROOT / "problems" / f"{stem}.yaml").sections for p in sec.plots]


def _option(options: str, name: str) -> list[str]:
    m = re.search(rf"\b{name}=\{{(.*?)\}},?\s*(?:\n|$)", options, re.MULTILINE)
    assert m, (name, options)
    return [s.strip() for s in re.split(r",\s*", m.group(1))]


@pytest.mark.parametrize("stem", ["xor-2-2-1-training", "relu-2-2-2-adam"])
def test_pgfplots_ticks_are_whole_steps_and_distinct(stem):
    plots = _plots(stem)
    assert plots
    for p in plots:
        options = axis_options(p)
        xs = [int(v) for v in _option(options, "xtick")]
        steps = {b - a for a, b in pairwise(xs)}
        assert len(steps) == 1 and steps.pop() >= 1 and xs[0] == p.points[0][0]
        labels = _option(options, "yticklabels")
        assert len(labels) == len(set(labels)) >= 3, labels
        values = [float(v) for v in _option(options, "ytick")]
        assert [float(s.strip("{$}")) for s in labels] == values
        assert values[0] <= min(y for _, y in p.points) and values[-1] >= max(y for _, y in p.points)


def test_xor_three_step_loss_has_the_issues_ticks():
    three = next(p for p in _plots("xor-2-2-1-training") if p.name == "three-steps-loss")
    options = axis_options(three)
    assert "xtick={0, 1, 2, 3}" in options
    assert "yticklabels={{$0.2510$}, {$0.2511$}, {$0.2512$}, {$0.2513$}, {$0.2514$}, {$0.2515$}}" in options
    long = next(p for p in _plots("xor-2-2-1-training") if p.name == "long-run-loss")
    assert ticks(long).x == (0, 200, 400, 600, 800, 1000)


@pytest.mark.parametrize("stem", ["xor-2-2-1-training", "relu-2-2-2-adam"])
def test_svg_plot_ticks_are_whole_steps_and_distinct(stem):
    for p in _plots(stem):
        root = ET.fromstring(plot_svg(p))
        axes = {g.get("class"): [t.text for tick in g.iter(SVG + "g") if tick.get("class") == "tick"
                                 for t in tick.iter(SVG + "text")]
                for g in root.iter(SVG + "g") if (g.get("class") or "").startswith("axis ")}
        x, y = axes["axis bottom"], axes["axis left"]
        assert x and all(re.fullmatch(r"\d{1,3}(,\d{3})*", v) for v in x), x
        assert len(set(y)) == len(y) >= 3, y
        assert sorted(y) == sorted(ticks(p).y_labels)  # leather draws the zero tick last


def test_tiny_losses_get_an_exponent_not_a_row_of_zeros():
    from solver.key.model import Plot

    t = ticks(Plot("p", "t", "step", "loss", ((0, 2e-7), (1, 1.5e-7), (2, 1e-7))))
    assert t.exponent == -7 and t.y_labels == ("1.0", "1.2", "1.4", "1.6", "1.8", "2.0") and t.x == (0, 1, 2)
    assert r"ylabel={loss ($\times 10^{-7}$)}" in axis_options(Plot("p", "t", "step", "loss", ((0, 2e-7), (1, 1e-7))))


# -- 4. a drawing wider than the page is scaled to fit ------------------------------------------

def chain_problem(path: Path, stages: int) -> Path:
    nodes = {"h0": "x * w0"}
    for i in range(1, stages):
        nodes[f"h{i}"] = f"tanh(h{i - 1}) * w{i % 3}" if i % 2 else f"h{i - 1} + b"
    data = {"title": "A long chain", "statement": "A chain of stages.", "precision": 4,
            "graph": {"inputs": {"x": 1}, "parameters": {"w0": 0.5, "w1": -0.25, "w2": 0.75, "b": 0.125},
                      "nodes": nodes, "output": f"h{stages - 1}"},
            "questions": [{"id": "q1", "title": "Question 1", "ask": ["forward", "gradients"],
                           "gradients": ["w0", "b"]}]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_long_graph_is_scaled_to_the_line_width(tmp_path):
    d = diagram(solve_file(chain_problem(tmp_path / "chain.yaml", 14)).figure, "key")
    width = max(n.x + n.w / 2 for n in d.nodes) - min(n.x - n.w / 2 for n in d.nodes)
    assert width > 20  # far wider than a page's 15 to 17 cm of text
    assert not collisions(d)
    pic = tikz(d)
    assert pic.startswith(r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%" + "\n"
                          r"\begin{tikzpicture}")
    assert pic.endswith(r"\end{tikzpicture}}")


@pytest.mark.skipif(not shutil.which("latexmk") or not shutil.which("pdflatex"), reason="needs TeX")
@pytest.mark.parametrize("documentclass", ["article", "exam"])
def test_a_long_graph_compiles_within_the_text_width(tmp_path, documentclass):
    from solver.pipeline import render_outputs

    solution = solve_file(chain_problem(tmp_path / "chain.yaml", 14))
    tex = next(r.text for r in render_outputs(solution, Options(formats=("tex",), documentclass=documentclass))
               if r.name.endswith(".tex"))
    (tmp_path / "k.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "k.tex"], check=False, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    log = (tmp_path / "k.log").read_text(encoding="latin-1")
    lines = tex.splitlines()
    first = next(i for i, line in enumerate(lines, 1) if line.startswith(r"\resizebox{\ifdim"))
    last = next(i for i, line in enumerate(lines, 1) if line == r"\end{tikzpicture}}" and i > first)
    found = re.findall(r"Overfull \\hbox \((\d+\.\d+)pt too wide\) "
                       r"(?:in paragraph at lines (\d+)--(\d+)|detected at line (\d+))", log)
    wide = [(w, a or c) for w, a, b, c in found
            if float(w) > 1 and int(a or c) <= last + 2 and int(b or c) >= first - 2]
    assert not wide, wide
