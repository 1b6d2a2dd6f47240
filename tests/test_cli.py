"""The command line on the bundled problems: files, formats, options and the answers
JSON contract."""

import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
import yaml

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent

PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
IDS = [p.stem for p in PROBLEMS]
KINDS = {"value", "loss", "gradient", "update", "penalty", "value_after", "loss_after", "state", "mistakes",
         "converged"}
#: issue 7: answers to count, shapes and derive questions, by the ask item calling for each
STRUCTURAL = {"count": "count", "shape": "shapes", "derivation": "derive"}


def spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def has_diagram(problem: dict) -> bool:
    """A problem with a network or graph has a diagram (and a Given section); one with only
    count, shapes or derive questions over an architecture has neither."""
    return "network" in problem or "graph" in problem


DIAGRAM_STEMS = [p.stem for p in PROBLEMS if has_diagram(spec(p))]
NO_DIAGRAM_STEMS = [p.stem for p in PROBLEMS if not has_diagram(spec(p))]


def solve(runner, tmp_path, *args):
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", *map(str, args), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return out, result


def answers(out, stem) -> dict:
    return json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))


def find(data: dict, question: str, kind: str, of: str) -> dict:
    (q,) = [q for q in data["questions"] if q["id"] == question]
    found = [a for a in q["answers"] if a["kind"] == kind and a["of"] == of and not a.get("upstream")]
    assert len(found) == 1, (question, kind, of)
    return found[0]


@pytest.mark.parametrize("path", PROBLEMS, ids=IDS)
def test_solve_writes_every_format(runner, tmp_path, path):
    out, result = solve(runner, tmp_path, path, "-f", "md", "-f", "tex", "-f", "json")
    problem = spec(path)
    diagram = has_diagram(problem)
    names = [f"{path.stem}.{fmt}" for fmt in ("md", "tex", "json")]
    images = ([f"{path.stem}-diagram.svg"] if diagram else []) + [
        f"{path.stem}-{q['id']}-loss.svg" for q in problem["questions"] if "train" in q["ask"]]
    assert sorted(p.name for p in out.iterdir()) == sorted(names + images)
    written = [line.removeprefix(f"wrote {out}/") for line in result.stdout.splitlines()]
    assert sorted(written) == sorted(names + images)
    title = problem["title"]
    md = (out / names[0]).read_text(encoding="utf-8")
    assert md.startswith(f"# {title} — answer key\n")
    assert "### Final answers" in md
    tex = (out / names[1]).read_text(encoding="utf-8")
    assert tex.lstrip().startswith(r"\documentclass")
    assert r"\begin{document}" in tex and tex.rstrip().endswith(r"\end{document}")
    if diagram:
        assert "## Given" in md and r"\section*{Given}" in tex
        assert f"]({path.stem}-diagram.svg)" in md and r"\begin{tikzpicture}" in tex
    else:  # only counts, shapes or derivations: nothing given to list, nothing to draw
        assert "## Given" not in md and r"\section*{Given}" not in tex
        assert "diagram.svg" not in md and r"\begin{tikzpicture}" not in tex
    assert answers(out, path.stem)["title"] == title


def test_default_formats_are_md_and_tex(runner, tmp_path):
    out, result = solve(runner, tmp_path, *PROBLEMS)
    keys = sorted(p.name for p in out.iterdir() if not p.name.endswith(".svg"))  # svg: diagrams and plots of the md
    assert keys == sorted(f"{p.stem}.{f}" for p in PROBLEMS for f in ("md", "tex"))
    assert {f"{stem}-diagram.svg" for stem in DIAGRAM_STEMS} <= {p.name for p in out.iterdir()}
    assert NO_DIAGRAM_STEMS  # parameter-count, softmax-ce-derivation
    assert not {f"{stem}-diagram.svg" for stem in NO_DIAGRAM_STEMS} & {p.name for p in out.iterdir()}
    assert result.stdout.count("wrote ") == len(list(out.iterdir()))


def test_a_file_named_twice_is_solved_once(runner, tmp_path):
    path = ROOT / "problems" / "relu-2-2-2.yaml"
    out, result = solve(runner, tmp_path, path, path, "-f", "json")
    assert result.stdout == f"wrote {out / 'relu-2-2-2.json'}\n"


def test_precision_changes_the_displayed_values(runner, tmp_path):
    path = ROOT / "problems" / "relu-3-4-3-softmax-ce.yaml"  # precision: 4
    out4, _ = solve(runner, tmp_path / "p4", path, "-f", "md", "-f", "json")
    out3, _ = solve(runner, tmp_path / "p3", path, "-f", "md", "-f", "json", "--precision", "3")
    loss4, loss3 = find(answers(out4, path.stem), "b", "loss", "L"), find(answers(out3, path.stem), "b", "loss", "L")
    assert (loss4["display"], loss3["display"]) == ("1.034", "1.03")
    assert loss4["value"] == loss3["value"] and loss4["exact"] == loss3["exact"]  # only the display changes
    grad4 = find(answers(out4, path.stem), "b", "gradient", "W2[1,1]")
    grad3 = find(answers(out3, path.stem), "b", "gradient", "W2[1,1]")
    assert (grad4["display"], grad3["display"]) == ("-0.7732", "-0.773")
    md4 = (out4 / f"{path.stem}.md").read_text(encoding="utf-8")
    md3 = (out3 / f"{path.stem}.md").read_text(encoding="utf-8")
    assert "\nL & \\approx 1.034 \\\\\n" in md4  # a row of the final answers' display block
    assert "\nL & \\approx 1.03 \\\\\n" in md3 and "1.034" not in md3


def test_body_only_tex_is_a_fragment(runner, tmp_path):
    path = ROOT / "problems" / "relu-2-2-2.yaml"
    full, _ = solve(runner, tmp_path / "full", path, "-f", "tex")
    body, _ = solve(runner, tmp_path / "body", path, "-f", "tex", "--body-only")
    text = (body / "relu-2-2-2.tex").read_text(encoding="utf-8")
    for command in (r"\documentclass", r"\usepackage", r"\begin{document}", r"\end{document}", r"\maketitle"):
        assert command not in text
    assert r"\section*{Given}" in text
    assert r"\section*{Question 1: forward pass \hfill\normalfont\normalsize [4 points]}" in text
    assert text.startswith("\\providecommand{\\needspace}[1]{}")  # works without the needspace package
    assert r"\documentclass" in (full / "relu-2-2-2.tex").read_text(encoding="utf-8")


def test_validate_bundled_problems(runner):
    result = runner.invoke(main, ["validate", *map(str, PROBLEMS)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "".join(f"{p}: ok\n" for p in PROBLEMS)
    assert result.stderr == ""


def _run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_help_and_version():
    proc = _run("--help")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("Usage: nnsolve [OPTIONS] COMMAND [ARGS]...")
    for command in ("solve", "validate", "schema"):
        assert f"\n  {command} " in proc.stdout
    proc = _run("solve", "--help")
    assert proc.returncode == 0
    for option in ("--output", "--format", "--precision", "--body-only", "--templates"):
        assert option in proc.stdout
    proc = _run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("nnsolve, version ")


def test_the_program_ends_with_the_commands_status_and_all_of_its_output(tmp_path, runner):
    """``python -m solver`` leaves without the interpreter's teardown (solver.__main__): the
    status is the command's, standard output (a pipe here: block-buffered) is whole, and the
    files are those the command writes in a process that goes on."""
    relu = ROOT / "problems" / "relu-2-2-2.yaml"
    proc = _run("solve", str(relu), "-o", str(tmp_path / "a"), "-f", "md", "-f", "json")
    assert proc.returncode == 0 and proc.stderr == ""
    names = ["relu-2-2-2.md", "relu-2-2-2-diagram.svg", "relu-2-2-2.json"]
    assert proc.stdout == "".join(f"wrote {tmp_path / 'a' / n}\n" for n in names)
    result = runner.invoke(main, ["solve", str(relu), "-o", str(tmp_path / "b"), "-f", "md", "-f", "json"])
    assert result.exit_code == 0
    assert {n: (tmp_path / "a" / n).read_bytes() for n in names} == {n: (tmp_path / "b" / n).read_bytes() for n in names}
    bad = tmp_path / "bad.yaml"
    bad.write_text("titel: x\n", encoding="utf-8")
    proc = _run("solve", str(bad), "-o", str(tmp_path / "c"))
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1
    assert "unknown field 'titel'" in proc.stderr and not (tmp_path / "c").exists()


def test_the_program_runs_every_exit_handler_before_it_leaves(tmp_path):
    """An exit handler the command registers (a temporary folder's finalizer, a pool's) runs
    before the process leaves, with the command's status and its output flushed; the teardown
    that frees every object does not run. The console script is this entry."""
    script = ("import atexit, sys, solver.__main__ as m\n"
              "class Late:\n"
              "    def __del__(self):\n"
              "        open(sys.argv[2], 'w').write('freed')\n"
              "late = Late()\n"
              "def command(prog_name):\n"
              "    atexit.register(lambda: open(sys.argv[1], 'w').write('ran'))\n"
              "    print('partial', end='')\n"
              "    sys.exit(3)\n"
              "m.main = command\n"
              "m.run()\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "handler"), str(tmp_path / "teardown")],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)
    assert (proc.returncode, proc.stdout, (tmp_path / "handler").read_text()) == (3, "partial", "ran")
    assert not (tmp_path / "teardown").exists()  # the teardown that frees every object is skipped
    from solver import __main__ as program

    assert program._status == [] and program._end() is None  # in a process that goes on: nothing ends
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"nnsolve": "solver.__main__:run"}


# --- the answers JSON contract ---------------------------------------------------------

def _check_tensor_answer(a: dict) -> None:
    """A tensor's answer: ``value`` (floats), ``exact`` and ``display`` (strings) nested lists in its ``shape``."""
    assert set(a) <= {"kind", "of", "latex", "exact", "value", "display", "step", "upstream", "shape"}
    assert a["kind"] in KINDS and all(isinstance(a[k], str) and a[k] for k in ("of", "latex"))
    shape = a["shape"]
    assert shape and all(isinstance(n, int) and n >= 1 for n in shape)

    def walk(v, depth, leaf):
        if depth == len(shape):
            assert leaf(v), (a["of"], v)
            return [v]
        assert isinstance(v, list) and len(v) == shape[depth], (a["of"], depth)
        return [x for item in v for x in walk(item, depth + 1, leaf)]
    values = walk(a["value"], 0, lambda v: type(v) is float and math.isfinite(v))
    exact = walk(a["exact"], 0, lambda v: isinstance(v, str) and v)
    shown = walk(a["display"], 0, lambda v: isinstance(v, str) and v)
    for v, e, d in zip(values, exact, shown):
        assert float(d) == pytest.approx(v, rel=1e-3, abs=1e-12)
        assert float(sp.Rational(e)) == pytest.approx(v, rel=1e-12, abs=1e-300) if "/" in e or "." not in e \
            else float(e) == pytest.approx(v, rel=1e-12)




def _check_given(given: dict, problem: dict) -> None:
    """``given``: every value exact text (or nested lists of it); a network's inputs as written."""
    def texts(v):
        return [v] if isinstance(v, str) else [t for x in v for t in texts(x)] if isinstance(v, list) else [None]
    for name, value in given.items():
        assert all(isinstance(t, str) and Fraction(t) is not None for t in texts(value)), (name, value)
    inputs = (problem.get("network") or {}).get("inputs") or {}
    for name, value in inputs.items():
        if name in given:
            assert [Fraction(t) for t in texts(given[name])] == [Fraction(str(x)) for x in texts_of(value)], name
    assert bool(given) == ("network" in problem or "graph" in problem)


def texts_of(v):
    return [t for x in v for t in texts_of(x)] if isinstance(v, list) else [v]


@pytest.mark.parametrize("path", PROBLEMS, ids=IDS)
def test_answers_json_contract(runner, tmp_path, path):
    out, _ = solve(runner, tmp_path, path, "-f", "json")
    data = answers(out, path.stem)
    problem = spec(path)
    assert set(data) == {"problem", "title", "given", "questions"}
    assert data["problem"] == path.stem and data["title"] == problem["title"]
    _check_given(data["given"], problem)
    assert [q["id"] for q in data["questions"]] == [q["id"] for q in problem["questions"]]
    for q, asked in zip(data["questions"], problem["questions"]):
        assert set(q) == {"id", "title", "answers"} | ({"points"} if "points" in asked else set())
        assert q.get("points") == asked.get("points")
        assert isinstance(q["title"], str) and q["answers"]
        # a count, shape or derivation answer exactly where the question asks for one
        assert {a["kind"] for a in q["answers"]} & set(STRUCTURAL) == {
            kind for kind, ask in STRUCTURAL.items() if ask in asked["ask"]}, (q["id"], asked["ask"])
        for a in q["answers"]:
            if "shape" in a:  # a tensor: value, exact and display nested in its shape
                _check_tensor_answer(a)
                continue
            assert all(isinstance(a.get(k), str) and a[k] for k in ("kind", "of", "latex", "exact", "display")), a
            if a["kind"] in STRUCTURAL:
                _check_structural_answer(a)
                continue
            # the contract's keys, and the optional ones: step (training), upstream (shown on the way)
            assert {"kind", "of", "latex", "exact", "value", "display"} <= set(a)
            assert set(a) <= {"kind", "of", "latex", "exact", "value", "display", "step", "upstream"}
            assert a.get("upstream", True) is True and isinstance(a.get("step", 0), int)
            assert a["kind"] in KINDS
            assert all(isinstance(a[k], str) and a[k] for k in ("of", "latex", "exact", "display"))
            assert type(a["value"]) is float and math.isfinite(a["value"])
            assert float(a["display"]) == pytest.approx(a["value"], rel=1e-3, abs=1e-12)
        counts = [a for a in q["answers"] if a["kind"] == "count"]
        shapes = [a for a in q["answers"] if a["kind"] == "shape"]
        derivations = [a for a in q["answers"] if a["kind"] == "derivation"]
        arch = asked.get("architecture") or problem.get("architecture")
        if counts:  # one per layer, in order (named as the file names them), then the total
            layers = arch["layers"]
            assert [a["of"] for a in counts][-1] == "total" and len(counts) == len(layers) + 1
            per_layer = counts[:-1]
            assert len({a["of"] for a in per_layer}) == len(layers) and "total" not in {a["of"] for a in per_layer}
            for a, layer in zip(per_layer, layers):
                if "name" in layer:
                    assert a["of"] == layer["name"], (a["of"], layer)
            assert counts[-1]["value"] == sum(a["value"] for a in per_layer)
        if shapes:  # one per layer, in order
            assert len(shapes) == len(arch["layers"])
            for a, layer in zip(shapes, arch["layers"]):
                if "name" in layer:
                    assert a["of"] == layer["name"], (a["of"], layer)
            if counts:
                assert [a["of"] for a in shapes] == [a["of"] for a in counts[:-1]]
        if derivations:  # one, named as the file names it, and checked by sympy
            assert [a["of"] for a in derivations] == [asked["derivation"]]
            assert derivations[0]["verified"] is True


def _check_structural_answer(a: dict) -> None:
    """The documented fields of a count, shape or derivation answer, with their types."""
    kind = a["kind"]
    if kind == "derivation":
        assert set(a) == {"kind", "of", "latex", "exact", "value", "display", "verified"}, a
        assert type(a["verified"]) is bool
        assert type(a["value"]) is float and a["value"] == (1.0 if a["verified"] else 0.0)
        assert a["display"] == ("verified" if a["verified"] else "not verified")
        return
    assert set(a) == {"kind", "of", "latex", "exact", "value", "display"}, a  # no step, upstream, verified
    if kind == "count":  # of: a layer's name or "total"; the value a float holding a whole number
        assert type(a["value"]) is float and math.isfinite(a["value"])
        assert a["value"] >= 0 and a["value"].is_integer()
        n = int(a["value"])
        assert a["exact"] == str(n)
        assert a["display"] == f"{n:,}"
    else:  # shape: a list of positive ints; exact its str; display the sizes joined by \times
        assert type(a["value"]) is list and a["value"]
        assert all(type(n) is int and n >= 1 for n in a["value"]), a["value"]
        assert a["exact"] == str(a["value"])
        assert a["display"] == r" \times ".join(map(str, a["value"]))


def test_answers_count_shape_and_derivation(runner, tmp_path):
    """The new kinds, by value: seed 004's T3 (a 30-1024-512-1 network) and the small CNN."""
    out, _ = solve(runner, tmp_path, ROOT / "problems" / "parameter-count.yaml",
                   ROOT / "problems" / "softmax-ce-derivation.yaml", ROOT / "problems" / "seed-004.yaml", "-f", "json")
    counts = answers(out, "parameter-count")
    total = find(counts, "T3", "count", "total")
    assert (total["exact"], total["value"], total["display"]) == ("557057", 557057.0, "557,057")
    assert [find(counts, "T3", "count", f"fc{i}")["value"] for i in (1, 2, 3)] == [31744.0, 524800.0, 513.0]
    assert find(counts, "cnn", "count", "pool1")["value"] == 0.0
    conv2 = find(counts, "cnn", "shape", "conv2")
    assert (conv2["value"], conv2["exact"], conv2["display"]) == ([32, 6, 6], "[32, 6, 6]", r"32 \times 6 \times 6")
    assert find(counts, "cnn", "shape", "fc")["value"] == [10]
    assert find(counts, "cnn", "count", "total")["display"] == "14,570"
    derived = answers(out, "softmax-ce-derivation")
    ce = find(derived, "T4", "derivation", "softmax_ce")
    assert (ce["verified"], ce["value"], ce["display"]) == (True, 1.0, "verified")
    assert "P(y=i) - y_i" in ce["latex"]
    seed = answers(out, "seed-004")
    assert find(seed, "T3", "count", "total")["value"] == 557057.0
    assert find(seed, "T4", "derivation", "softmax_ce")["verified"] is True
    assert find(seed, "1", "value", "z")["exact"] == "31/50"


def test_answers_relu_2_2_2(runner, tmp_path):
    # By hand: h = (0.5, 0.8), o = (0.41, 0.64); with y = (0, 1), dL/do = (0.82, -0.72),
    # dL/dh2 = 0.82·0.2 − 0.72·0.3 = −0.052, so dL/dw3 = −0.052·x1 and dL/dw7 = −0.72·h1.
    out, _ = solve(runner, tmp_path, ROOT / "problems" / "relu-2-2-2.yaml", "-f", "json")
    data = answers(out, "relu-2-2-2")
    assert [(a["of"], a["exact"]) for a in data["questions"][0]["answers"] if a["of"] in ("o1", "o2")] == [
        ("o1", "41/100"), ("o2", "16/25")]
    assert find(data, "q2", "loss", "L")["exact"] == "2977/10000"
    w3, w7 = find(data, "q2", "gradient", "w3"), find(data, "q2", "gradient", "w7")
    assert (w3["exact"], w3["value"], w3["display"]) == ("-13/250", -0.052, "-0.052")
    assert (w7["exact"], w7["value"], w7["display"]) == ("-9/25", -0.36, "-0.36")
    assert [a["of"] for a in data["questions"][1]["answers"]
            if a["kind"] == "gradient" and not a.get("upstream")] == ["w3", "w7"]
    # Softmax head on o = (0.41, 0.64), class 2: L = ln(1 + e^(0.41 − 0.64)).
    ce = find(data, "q3", "loss", "L")
    assert ce["value"] == pytest.approx(math.log(1 + math.exp(-0.23)), rel=1e-14)
    assert ce["display"] == "0.5847"
    assert find(data, "q3", "gradient", "b2")["value"] == 0  # Σ(p − y) = 0 through a shared bias


def test_answers_relu_3_4_3_against_a_plain_forward_pass(runner, tmp_path):
    path = ROOT / "problems" / "relu-3-4-3-softmax-ce.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    x = list(spec["network"]["inputs"].values())
    w1, w2 = (layer["weights"] for layer in spec["network"]["layers"])
    h = [max(0.0, sum(w * v for w, v in zip(row, x))) for row in w1]
    z = [sum(w * v for w, v in zip(row, h)) for row in w2]
    p = [math.exp(v) / sum(math.exp(u) for u in z) for v in z]
    out, _ = solve(runner, tmp_path, path, "-f", "json")
    data = answers(out, path.stem)
    assert find(data, "b", "loss", "L")["value"] == pytest.approx(-math.log(p[0]), rel=1e-12)
    for k in range(3):
        assert find(data, "a", "value", f"yhat[{k + 1}]")["value"] == pytest.approx(p[k], rel=1e-12)
        for j in range(4):  # dL/dW2[k,j] = (p_k − y_k) h_j
            grad = (p[k] - (k == 0)) * h[j]
            assert find(data, "b", "gradient", f"W2[{k + 1},{j + 1}]")["value"] == pytest.approx(grad, abs=1e-12)


def test_answers_leaky_relu_updates_are_one_sgd_step(runner, tmp_path):
    path = ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    out, _ = solve(runner, tmp_path, path, "-f", "json")
    data = answers(out, path.stem)
    (q,) = [q for q in data["questions"] if q["id"] == "c"]
    updates = [a for a in q["answers"] if a["kind"] == "update"]
    assert len(updates) == 4 * 3 + 3 * 2  # every weight, no biases
    for a in updates:
        layer, i, j = int(a["of"][1]), *map(int, a["of"][3:-1].split(","))
        weight = spec["network"]["layers"][layer - 1]["weights"][i - 1][j - 1]
        grad = find(data, "b", "gradient", a["of"])["value"]
        assert a["value"] == pytest.approx(weight - 0.1 * grad, abs=1e-12)
