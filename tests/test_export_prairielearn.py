"""The PrairieLearn export graded the way PrairieLearn grades it: pl-number-input's
``relabs`` comparison and its "insufficient precision" warning, written out here from
PrairieLearn's source (not from the exporter), applied to the exported answers."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import html

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
#: PrairieLearn's warning on a wrong answer typed coarser than rtol
WARNING = "Your answer does not have precision within the specified relative tolerance."


def pl_grade(typed: str, correct: float, rtol: float, atol: float) -> tuple[bool, str]:
    """PrairieLearn's grading of a typed number (apps/prairielearn/elements/pl-number-input/
    pl-number-input.py, grade() with comparison="relabs": the typed string and the correct
    answer as float64; pl.is_correct_scalar_ra is np.allclose(a_sub, a_tru, rtol, atol), i.e.
    abs(a_sub - a_tru) <= atol + rtol * abs(a_tru) in float64, as Python's floats compute it;
    a wrong answer gets the warning when get_string_precision(typed) > rtol, that precision
    being 10**-(digits after the point), or 10**(trailing zeros) for an integer)."""
    x = float(typed)
    correct_ = abs(x - correct) <= atol + rtol * abs(correct)
    s = typed.strip().lstrip("+-")
    precision = 10.0 ** -len(s.partition(".")[2]) if "." in s else 10.0 ** (len(s) - len(s.rstrip("0")))
    return correct_, WARNING if not correct_ and precision > rtol else ""


def export(problem: Path, out: Path, *more: str) -> Path:
    r = CliRunner().invoke(main, ["export", str(problem), "--to", "prairielearn", "-o", str(out), *more],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    [folder] = [p for p in out.iterdir() if p.is_dir()]  # <stem>-<8 hex digits of its uuid>
    return folder


def graded(folder: Path, seed: int = 0) -> list[tuple[str, float, float, float]]:
    """(answers-name, correct answer, rtol, atol) of each pl-number-input of a variant, as
    PrairieLearn reads them: server.py's generate(), then question.html's attributes with
    their {{params.…}} filled in."""
    space = {}
    exec((folder / "server.py").read_text(encoding="utf-8"), space)  # noqa: S102 - as PrairieLearn runs it
    data = {"variant_seed": seed, "params": {}, "correct_answers": {}}
    space["generate"](data)
    page = (folder / "question.html").read_text(encoding="utf-8")
    out = []
    for el in html.fromstring(f"<div>{page}</div>").iter("pl-number-input"):
        assert el.get("comparison") == "relabs"
        attr = {k: re.sub(r"\{\{params\.(\w+)\}\}", lambda m: str(data["params"][m[1]]), el.get(k)) for k in ("rtol", "atol")}
        name = el.get("answers-name")
        out.append((name, float(data["correct_answers"][name]), float(attr["rtol"]), float(attr["atol"])))
    return out


def _problem(tmp: Path, name: str, grading: dict | None) -> Path:
    """One linear neuron whose exact output is 0.125, shown at 2 figures as 0.13."""
    data = {"title": "Edge", "statement": "One linear neuron.", "precision": 2,
            "network": {"inputs": {"x1": 0.25}, "layers": [{"units": 1, "activation": "linear",
                                                            "weights": [[0.5]], "bias": 0}]},
            "questions": [{"id": "q1", "title": "Forward", "ask": ["forward"]}]}
    if grading:
        data["grading"] = {"tolerance": grading}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_wrong_answer_typed_to_the_keys_figures_is_not_told_it_lacks_precision(tmp_path):
    """rtol="0" made PrairieLearn tell every wrong answer "does not have precision within the
    specified relative tolerance" (its last decimal place, > 0, exceeds rtol 0), however many
    figures it had. The rule's tolerance is now PrairieLearn's relative tolerance."""
    out = export(PROBLEMS / "relu-2-2-2.yaml", tmp_path / "x")
    blanks = {name: rest for name, *rest in graded(out)}
    correct, rtol, atol = blanks["q1_o1"]  # o1 = 0.41 exactly, shown 0.4100 ± 0.00005 at 4 figures
    # 0.00005 widened to |0.41005 − 0.41| in float64, 5.0000000000050004e-05, to take that end
    assert (correct, atol) == (0.41, 0.0) and abs(rtol * 0.41 - 0.00005) < 1e-16
    assert pl_grade("0.41", correct, rtol, atol) == (True, "")
    assert pl_grade("0.40995", correct, rtol, atol) == (True, "") == pl_grade("0.41005", correct, rtol, atol)
    assert pl_grade("0.41004", correct, rtol, atol) == (True, "")
    assert pl_grade("0.4101", correct, rtol, atol) == (False, "")  # wrong, to the key's 4 figures
    assert pl_grade("0.4", correct, rtol, atol) == (False, WARNING)  # wrong, and to 1 figure
    for name, (correct, rtol, atol) in blanks.items():
        assert rtol > 0, name


def test_a_zero_answer_takes_an_absolute_tolerance(tmp_path):
    problem = _problem(tmp_path, "zero", None)
    problem.write_text(problem.read_text().replace("0.25", "0"), encoding="utf-8")
    [(_, correct, rtol, atol)] = graded(export(problem, tmp_path / "x"))
    assert (correct, rtol, atol) == (0.0, 0.005, 0.005)  # 0.00 ± 0.005 at 2 figures
    assert pl_grade("0.004", correct, rtol, atol) == (True, "")
    assert pl_grade("0.006", correct, rtol, atol) == (False, "")
    assert pl_grade("0.1", correct, rtol, atol) == (False, WARNING)


def displays(problem: Path, tmp: Path) -> list[str]:
    """The key's displayed number of every asked answer (the answers JSON's ``display``: what a
    student copies from the key), in the key's order: not shapes, derivations or what is shown
    on the way, a training's loss at step 0 once, a tensor's elements in row-major order."""
    r = CliRunner().invoke(main, ["solve", str(problem), "-f", "json", "-o", str(tmp)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = []
    for q in json.loads((tmp / f"{problem.stem}.json").read_text(encoding="utf-8"))["questions"]:
        stepless = {(a["kind"], a["of"], json.dumps(a["exact"])) for a in q["answers"] if a.get("step") is None}
        for a in q["answers"]:
            if a["kind"] in ("shape", "derivation") or a.get("upstream") or \
                    (a.get("step") == 0 and (a["kind"], a["of"], json.dumps(a["exact"])) in stepless):
                continue
            shown = [a["display"]]
            while isinstance(shown[0], list):
                shown = [x for row in shown for x in row]
            out += shown
    return out


RULES = [None, {"absolute": 0.005}, {"relative": 0.04}, {"sigfigs": 2}]


@pytest.mark.parametrize("rule", RULES)
def test_the_number_on_the_rules_edge_is_accepted(rule, tmp_path):
    """0.125 shown at 2 figures as 0.13, within 0.005 (or 4% of 0.125): 0.13 is on the edge, and
    PrairieLearn's float64 |0.13 − 0.125| = 0.0050000000000000044 > 0.005 refused it (with
    "insufficient precision"). Both ends of the rule are accepted now, and no more."""
    problem = _problem(tmp_path, "edge", rule)
    [(_, correct, rtol, atol)] = graded(export(problem, tmp_path / "x"))
    assert displays(problem, tmp_path / "k") == ["0.13"]
    assert pl_grade("0.13", correct, rtol, atol) == (True, "")
    low, high = {None: ("0.125", "0.135"), "absolute": ("0.12", "0.13"), "relative": ("0.12", "0.13"),
                 "sigfigs": ("0.12", "0.14")}[next(iter(rule)) if rule else None]
    assert pl_grade(low, correct, rtol, atol)[0] and pl_grade(high, correct, rtol, atol)[0]
    for x in (Decimal(low) - Decimal("1e-12"), Decimal(high) + Decimal("1e-12")):
        assert not pl_grade(str(x), correct, rtol, atol)[0], x


def with_rule(stem: str, rule: dict | None, tmp: Path) -> Path:
    """The bundled problem ``stem``, or a copy of it in ``tmp`` with ``grading.tolerance: rule``."""
    problem = PROBLEMS / f"{stem}.yaml"
    if rule:
        data = yaml.safe_load(problem.read_text(encoding="utf-8"))
        data["grading"] = {"tolerance": rule}
        problem = tmp / f"{stem}.yaml"
        problem.write_text(yaml.safe_dump(data), encoding="utf-8")
    return problem


@pytest.mark.parametrize("stem, rule", [(s, None) for s in ("relu-2-2-2", "xor-2-2-1-training", "attention",
                                                            "perceptron-or", "scalar-graph-skip", "parameter-count")]
                         + [("relu-2-2-2", {"absolute": 0.01}), ("relu-2-2-2", {"relative": 0.02}),
                            ("leaky-relu-4-3-2-bce", {"sigfigs": 3})])
def test_every_number_as_the_key_shows_it_is_accepted(stem, rule, tmp_path):
    """Each exported blank, graded by PrairieLearn's formula, accepts the key's displayed number."""
    problem = with_rule(stem, rule, tmp_path)
    blanks = graded(export(problem, tmp_path / "x"))
    shown = displays(problem, tmp_path / "k")
    assert len(shown) == len(blanks) > 0
    refused = [(name, d) for (name, correct, rtol, atol), d in zip(blanks, shown)
               if not pl_grade(d.replace(",", ""), correct, rtol, atol)[0]]
    assert not refused


def test_two_problems_of_one_name_are_two_questions(tmp_path, monkeypatch):
    """a/relu.yaml and b/relu.yaml both became relu/ with uuid5("nnsolve:relu:"): exported into one
    course, the second overwrote the first (or, copied in, PrairieLearn refused the repeated uuid).
    The uuid is now uuid5 of the file's folder name, stem and seed, and names the folder."""
    text = (PROBLEMS / "relu-2-2-2.yaml").read_text(encoding="utf-8")
    for d, bias in (("a", "0.1"), ("b", "0.3")):
        (tmp_path / d).mkdir()
        (tmp_path / d / "relu.yaml").write_text(text.replace("bias: 0.1 ", f"bias: {bias} "), encoding="utf-8")
    course = tmp_path / "questions"
    for d in ("a", "b"):
        CliRunner().invoke(main, ["export", str(tmp_path / d / "relu.yaml"), "--to", "prairielearn", "-o", str(course)],
                           catch_exceptions=False)
    infos = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in course.glob("*/info.json")}
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://nnsolve/prairielearn")
    want = {d: uuid.uuid5(namespace, f"nnsolve:{d}/relu:") for d in ("a", "b")}
    assert infos.keys() == {f"relu-{u.hex[:8]}" for u in want.values()}
    assert sorted(i["uuid"] for i in infos.values()) == sorted(str(u) for u in want.values())
    servers = {p.read_text(encoding="utf-8") for p in course.glob("*/server.py")}
    assert len(servers) == 2  # each its own answers
    # the same file exported again, edited or seen from another folder, keeps its question
    (tmp_path / "a" / "relu.yaml").write_text(text.replace("bias: 0.1 ", "bias: 0.2 "), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "a")
    out = export(Path("relu.yaml"), tmp_path / "again")
    assert out.name == f"relu-{want['a'].hex[:8]}"
    assert json.loads((out / "info.json").read_text(encoding="utf-8"))["uuid"] == str(want["a"])
