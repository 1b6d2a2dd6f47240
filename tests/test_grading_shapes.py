"""Grading a tensor's answers: its elements are named from 1 as the key writes them (Q₃₂ is
``Q[3,2]``) in the submissions, grades.csv, the feedback and the exports; a list must have the
answer's shape, and one that has not is that student's wrong answer with the reason, not an
error that stops the class."""

import csv
import re
from fractions import Fraction
from pathlib import Path

import mpmath
import yaml
from click.testing import CliRunner

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
ATTENTION = ROOT / "problems" / "attention-masked.yaml"
RNN = ROOT / "problems" / "rnn-elman.yaml"
RELU = ROOT / "problems" / "relu-2-2-2.yaml"


def _grade(tmp: Path, problem: Path, rows: list) -> tuple:
    r = CliRunner().invoke(main, ["solve", str(problem), "-f", "json", "-o", str(tmp)])
    assert r.exit_code == 0, r.output
    sub = tmp / "subs.csv"
    with open(sub, "w", newline="") as fh:
        csv.writer(fh).writerows([("student", "question", "of", "answer"), *rows])
    out = tmp / "out"
    r = CliRunner().invoke(main, ["grade", "--key", str(tmp / f"{problem.stem}.json"), str(sub), "-o", str(out),
                                  "--problem", str(problem)])
    grades = list(csv.DictReader(open(out / "grades.csv"))) if r.exit_code == 0 else []
    return r, {(g["student"], g["of"]): g for g in grades if g["question"] == "q1" and g["kind"] == "value"}


def _query() -> list[list[Fraction]]:
    """Q = X W_Q from the problem file's own numbers (the oracle: plain matrix product)."""
    g = yaml.safe_load(ATTENTION.read_text(encoding="utf-8"))["graph"]
    x, w = ([[Fraction(str(v)) for v in row] for row in m] for m in (g["inputs"]["X"], g["parameters"]["W_Q"]))
    return [[sum(x[i][k] * w[k][j] for k in range(len(w))) for j in range(len(w[0]))] for i in range(len(x))]


def _text(m) -> str:
    return "[" + ", ".join("[" + ", ".join(str(float(v)) for v in row) + "]" for row in m) + "]"


def test_a_list_of_another_shape_is_that_students_wrong_answer(tmp_path):
    """A transposed Q stopped the whole class (exit 2, "the shape of this list does not match");
    a 2 × 1 list was graded against Q[1,1] and Q[2,1] of the 0-based names, the wrong elements."""
    q = _query()
    transposed = [list(col) for col in zip(*q)]
    rows = [["ana", "q1", "Q", _text(q)], ["ben", "q1", "Q", _text(q[:2])], ["cai", "q1", "Q", _text(transposed)],
            ["dee", "q1", "Q", _text([[q[0][0]], [q[1][0]]])], ["eve", "q1", "Q", str(float(q[0][0]))],
            ["fay", "q1", "Q[3,2]", str(float(q[2][1]))], ["fay", "q1", "Q[1,2]", str(float(q[0][1]) + 1)]]
    r, g = _grade(tmp_path, ATTENTION, rows)
    assert r.exit_code == 0, r.output
    cells = [f"Q[{i},{j}]" for i in (1, 2, 3) for j in (1, 2)]
    assert [g[("ana", c)]["verdict"] for c in cells] == ["correct"] * 6
    assert [g[("ana", c)]["expected"] for c in cells] == [f"{float(v):g}" for row in q for v in row]
    for who in ("ben", "cai", "dee", "eve"):
        assert [g[(who, c)]["verdict"] for c in cells] == ["wrong"] * 6, who
    assert [g[("fay", c)]["verdict"] for c in cells] == ["missing", "wrong", "missing", "missing", "missing",
                                                         "correct"]
    why = {who: (tmp_path / "out" / "feedback" / f"{who}.md").read_text(encoding="utf-8") for who in "ben cai eve".split()}
    assert "The wrong shape: a 2 × 2 list where Q is a 3 × 2 list." in why["ben"]
    assert "The wrong shape: a 2 × 3 list where Q is a 3 × 2 list." in why["cai"]
    assert "The wrong shape: one number where Q is a 3 × 2 list (give it in brackets)." in why["eve"]
    assert r"- $Q\,[3, 2]$ (value): yours **" in why["cai"]


def test_a_list_for_one_number_is_wrong_with_the_reason(tmp_path):
    r, g = _grade(tmp_path, RELU, [["a", "q1", "h1", "[1, 2]"], ["b", "q1", "h1", "0.5"]])
    assert r.exit_code == 0, r.output
    assert (g[("a", "h1")]["verdict"], g[("b", "h1")]["verdict"]) == ("wrong", "correct")
    md = (tmp_path / "out" / "feedback" / "a.md").read_text(encoding="utf-8")
    assert "The wrong shape: a list of 2 where h1 is one number." in md


def test_a_0_based_element_name_is_refused(tmp_path):
    r, _ = _grade(tmp_path, ATTENTION, [["a", "q1", "Q[0,0]", "1"]])
    assert r.exit_code == 2 and "of: 'Q[0,0]' is not an answer of question q1" in r.output
    assert "(elements are numbered from 1, as the key writes them: Q[1,1])" in r.output


def test_error_carried_forward_through_a_tensor_names_elements_from_1(tmp_path):
    """z_1 wrong in its first element, h_1 = tanh of it: carried forward, and the verdict names
    z_1[1] as the key writes z₁₁ (it said z_1[0])."""
    z = [mpmath.mpf("0.2"), mpmath.mpf("0.4")]
    h = [mpmath.tanh(v) for v in z]
    rows = [["s", "q1", "z_1", "[0.2, 0.4]"], ["s", "q1", "h_1", f"[{mpmath.nstr(h[0], 6)}, {mpmath.nstr(h[1], 6)}]"]]
    r, g = _grade(tmp_path, RNN, rows)
    assert r.exit_code == 0, r.output
    assert g[("s", "z_1[1]")]["verdict"] == "wrong" and g[("s", "z_1[2]")]["verdict"] == "correct"
    assert g[("s", "h_1[1]")]["verdict"] == "carried forward from z_1[1]"
    assert g[("s", "h_1[2]")]["verdict"] == "correct"
    assert not re.search(r"\[0[],]", (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8"))


def test_totals_are_each_students_exact_total(tmp_path):
    """grades.csv shows each answer's points to 3 decimals: relu-2-2-2's q2 shares 6 points
    among 11 answers, so its max_points column summed to 23.996. totals.csv has the totals,
    summed exactly (the README's example class: ana 7 of 24)."""
    key = tmp_path / "relu-2-2-2.json"
    assert CliRunner().invoke(main, ["solve", str(RELU), "-f", "json", "-o", str(tmp_path)]).exit_code == 0
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["grade", "--key", str(key), str(ROOT / "examples" / "grading" / "submissions.csv"),
                                  "--problem", str(RELU), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(out / "totals.csv")))
    marks = list(csv.DictReader(open(out / "grades.csv")))
    assert [(t["student"], t["problem"], t["max_points"]) for t in rows] == [("ana", "relu-2-2-2", "24"),
                                                                            ("ben", "relu-2-2-2", "24")]
    assert rows[0]["points"] == "7"
    shown = sum(Fraction(m["max_points"]) for m in marks if m["student"] == "ana")
    assert shown != 24 and abs(shown - 24) < Fraction(1, 100)  # why totals.csv exists
    for t in rows:
        text = (out / "feedback" / f"{t['student']}.md").read_text(encoding="utf-8")
        assert f"**Score: {t['points']} / {t['max_points']}**" in text


def test_one_number_answers_an_answer_of_one_element_however_bracketed(tmp_path):
    # ∂L/∂b of conv-relu-maxpool has shape [1], and the key prints it as one number: a student
    # writing 2.5 got "the wrong shape" and 0 (and no error carried forward from it). b is
    # shared by every position, so ∂L/∂b = ΣT over the pooled maxima (all have Z > 0) = 2.5.
    problem = ROOT / "problems" / "conv-relu-maxpool.yaml"
    assert CliRunner().invoke(main, ["solve", str(problem), "-f", "json", "-o", str(tmp_path)]).exit_code == 0
    sub = tmp_path / "subs.csv"
    rows = [("a", "grads", "b", "2.5"), ("b", "grads", "b", "[2.5]"), ("c", "grads", "b", "[[5/2]]"),
            ("d", "grads", "b", "2.4"), ("e", "grads", "b", "[2.5, 0]"), ("f", "fwd", "L", "[3.4]")]
    with open(sub, "w", newline="") as fh:
        csv.writer(fh).writerows([("student", "question", "of", "answer"), *rows])
    r = CliRunner().invoke(main, ["grade", "--key", str(tmp_path / "conv-relu-maxpool.json"), str(sub), "-o",
                                  str(tmp_path / "out"), "--problem", str(problem)])
    assert r.exit_code == 0, r.output
    got = {(g["student"], g["of"]): (g["answer"], g["verdict"])
           for g in csv.DictReader(open(tmp_path / "out" / "grades.csv")) if g["of"] in ("b[1]", "L")}
    assert got[("a", "b[1]")] == ("2.5", "correct") and got[("b", "b[1]")] == ("2.5", "correct")
    assert got[("c", "b[1]")] == ("2.5", "correct") and got[("f", "L")] == ("3.4", "correct")
    assert got[("d", "b[1]")] == ("2.4", "wrong") and got[("e", "b[1]")] == ("[2.5, 0]", "wrong")
    assert "The wrong shape: a list of 2 where b is a list of 1." in \
        (tmp_path / "out" / "feedback" / "e.md").read_text(encoding="utf-8")
