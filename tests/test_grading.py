"""nnsolve grade (issue 17): tolerance at both edges, matrices element by element, error
carried forward recomputed independently, every misconception of the catalogue injected and
recognised by name, seed 001's own numbers, variants, bad submissions (exit 2, one line)."""

import csv
import json
from pathlib import Path

import mpmath
import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.key.misconceptions import MISCONCEPTIONS


@pytest.fixture(autouse=True)
def _fifty_digits():
    """This module's mpmath numbers at 50 digits, whatever an earlier test left."""
    with mpmath.workdps(50):
        yield


ROOT = Path(__file__).resolve().parent.parent
RELU = ROOT / "problems" / "relu-2-2-2.yaml"
SIGMOID = ROOT / "problems" / "sigmoid-2-2-1.yaml"
LEAKY = ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml"


def _key(problem: Path, tmp: Path) -> Path:
    r = CliRunner().invoke(main, ["solve", str(problem), "-f", "json", "-o", str(tmp)])
    assert r.exit_code == 0, r.output
    return tmp / f"{problem.stem}.json"


def _grade(tmp: Path, key: Path, rows: list, problem: Path | None = None, header=("student", "question", "of",
           "answer"), extra=()) -> tuple:
    sub = tmp / "subs.csv"
    with open(sub, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    out = tmp / "out"
    args = ["grade", "--key", str(key), str(sub), "-o", str(out), *(["--problem", str(problem)] if problem else []),
            *extra]
    r = CliRunner().invoke(main, args)
    grades = list(csv.DictReader(open(out / "grades.csv"))) if r.exit_code == 0 else []
    return r, {(g["student"], g["question"], g["of"], g["kind"]): g for g in grades}


def _relu_values():
    """The 2-2-2 ReLU network of relu-2-2-2.yaml, forward and SSE backward, by hand (mpmath)."""
    x = [1, 2]
    w = [0.2, 0.1, 0.3, 0.2, 0.1, 0.2, 0.4, 0.3]
    w = [mpmath.mpf(str(v)) for v in w]
    b1, b2 = mpmath.mpf("0.1"), mpmath.mpf("0.2")
    zh = [w[0] * x[0] + w[1] * x[1] + b1, w[2] * x[0] + w[3] * x[1] + b1]
    h = [max(z, 0) for z in zh]
    zo = [w[4] * h[0] + w[5] * h[1] + b2, w[6] * h[0] + w[7] * h[1] + b2]
    return w, h, zo


def test_tolerance_edges_both_sides(tmp_path):
    key = _key(RELU, tmp_path)
    # the key shows L = 0.2977 (exact); at 4 figures every number within 0.00005 is right, both edges
    rows = [["a", "q2", "L", "0.29765"], ["b", "q2", "L", "0.29775"], ["c", "q2", "L", "0.297649"],
            ["d", "q2", "L", "0.297751"], ["e", "q1", "h1", "0.54"], ["f", "q2", "L", "119081/400000"]]
    r, g = _grade(tmp_path, key, rows)
    assert r.exit_code == 0, r.output
    assert "tolerance only" in r.output
    assert [g[(s, "q2", "L", "loss")]["verdict"] for s in "abcdf"] == ["correct", "correct", "wrong", "wrong",
                                                                      "correct"]
    # an exact key value shown short (0.5) is still marked to 4 figures: 0.54 is wrong
    assert g[("e", "q1", "h1", "value")]["verdict"] == "wrong"


def test_matrix_element_by_element(tmp_path):
    key = _key(LEAKY, tmp_path)
    # dL/dW2 as written (3x2), one element off
    rows = [["s", "b", "W2", "[[-0.000588704, 0.000588704], [0.176611, -0.176611], [0.388545, 0.5]]"],
            ["s", "a", "p", "[0.117741, 0.882259]"]]
    r, g = _grade(tmp_path, key, rows)
    assert r.exit_code == 0, r.output
    assert g[("s", "b", "W2[1,1]", "gradient")]["verdict"] == "correct"
    assert g[("s", "b", "W2[3,1]", "gradient")]["verdict"] == "correct"
    assert g[("s", "b", "W2[3,2]", "gradient")]["verdict"] == "wrong"
    assert g[("s", "a", "p2", "value")]["verdict"] == "correct"


def test_carried_forward_through_the_network(tmp_path):
    key = _key(RELU, tmp_path)
    w, h, zo = _relu_values()
    # the student's z_o1 is wrong (0.43); o1 = ReLU(0.43) and L = (0.43 - 0)^2 + (o2 - 1)^2 follow from it
    wrong_zo1 = mpmath.mpf("0.43")
    loss = wrong_zo1 ** 2 + (zo[1] - 1) ** 2
    # q2: the student's dL/do2 is wrong (-0.8 instead of -0.72): dL/dw7 = -0.8 * h1 carried forward
    rows = [["s", "q1", "z_o1", "0.43"], ["s", "q1", "o1", "0.43"], ["s", "q1", "o2", "0.64"],
            ["s", "q2-all", "o2", "-0.8"], ["s", "q2-all", "w7", mpmath.nstr(-0.8 * h[0], 6)],
            ["s", "q2-all", "w8", mpmath.nstr(-0.8 * h[1], 6)],
            ["t", "q1", "z_o1", "3"], ["t", "q1", "o1", "3"],
            ["u", "q1", "h1", "-0.3"], ["u", "q1", "z_o1", mpmath.nstr(w[4] * -0.3 + w[5] * h[1] + mpmath.mpf("0.2"), 6)]]
    r, g = _grade(tmp_path, key, rows, RELU)
    assert r.exit_code == 0, r.output
    assert g[("s", "q1", "o1", "value")]["verdict"] == "carried forward from z_o1"
    assert g[("s", "q1", "o1", "value")]["points"] == "0.4"  # 0.8 of q1's 4 points over its 8 answers
    assert g[("s", "q2-all", "w7", "gradient")]["verdict"] == "carried forward from dL/do2"
    assert g[("s", "q2-all", "w8", "gradient")]["verdict"] == "carried forward from dL/do2"
    assert g[("s", "q1", "o2", "value")]["verdict"] == "correct"
    assert g[("t", "q1", "o1", "value")]["verdict"] == "carried forward from z_o1"
    # a negative ReLU output is absurd: not carried forward
    assert g[("u", "q1", "z_o1", "value")]["verdict"] == "wrong"
    assert float(loss) > 0


def test_a_right_answer_between_stops_a_wrong_one_from_carrying(tmp_path):
    """fay's z_h1 is wrong (0.6), her h1 right (0.5): her z_o1 = 0.42 follows from 0.6, not from
    her own h1, whose z_o1 is 0.41 (the key's). Carried forward credit went to 0.42 all the same;
    gus, whose h1 = 0.6 follows his z_h1, keeps his. The same on the gradients: uma's dL/dz_o2 is
    right, so her dL/dw7 = -0.4 is not carried from her wrong dL/do2, while vic's is."""
    key = _key(RELU, tmp_path)
    rows = [["fay", "q1", "z_h1", "0.6", "value"], ["fay", "q1", "h1", "0.5", "value"],
            ["fay", "q1", "z_o1", "0.42", "value"],
            ["gus", "q1", "z_h1", "0.6", "value"], ["gus", "q1", "h1", "0.6", "value"],
            ["gus", "q1", "z_o1", "0.42", "value"],
            ["uma", "q2-all", "o2", "-0.8", "gradient"], ["uma", "q2-all", "z_o2", "-0.72", "gradient"],
            ["uma", "q2-all", "w7", "-0.4", "gradient"],
            ["vic", "q2-all", "o2", "-0.8", "gradient"], ["vic", "q2-all", "w7", "-0.4", "gradient"]]
    r, g = _grade(tmp_path, key, rows, RELU, header=("student", "question", "of", "answer", "kind"))
    assert r.exit_code == 0, r.output
    assert g[("fay", "q1", "z_o1", "value")]["verdict"] == "wrong"
    assert g[("gus", "q1", "z_o1", "value")]["verdict"] == "carried forward from h1"
    assert g[("uma", "q2-all", "w7", "gradient")]["verdict"] == "wrong"
    assert g[("vic", "q2-all", "w7", "gradient")]["verdict"] == "carried forward from dL/do2"


def test_a_large_answer_is_graded_at_its_significant_figures(tmp_path):
    """o1 = 100 × 123.4567 + 2 = 12,347.67 shows as 12,350 at 4 figures: the exact answer and
    12,350 are right, 12,360 is not (the tolerance was 0.5 around 12,350)."""
    problem = tmp_path / "big.yaml"
    problem.write_text("title: big\nprecision: 4\nnetwork:\n  inputs: {x1: 123.4567, x2: 2}\n  layers:\n"
                       "    - {units: 1, activation: linear, weights: [[100, 1]], bias: 0}\nloss: sse\n"
                       "target: [0]\nquestions:\n  - {id: q1, ask: [forward, loss]}\n", encoding="utf-8")
    key = _key(problem, tmp_path)
    rows = [["a", "q1", "o1", "12347.67"], ["b", "q1", "o1", "12350"], ["c", "q1", "o1", "12360"]]
    r, g = _grade(tmp_path, key, rows, problem)
    assert r.exit_code == 0, r.output
    assert [g[(s, "q1", "o1", "value")]["verdict"] for s in "abc"] == ["correct", "correct", "wrong"]


def test_carried_forward_from_an_earlier_question(tmp_path):
    """Question 1's wrong o1 carries into question 2's loss (its graph computes o1 the same
    way, then adds the loss): L = (0.45 - 0)^2 + (o2 - 1)^2 from the student's own o1."""
    key = _key(RELU, tmp_path)
    w, h, zo = _relu_values()
    loss = mpmath.mpf("0.45") ** 2 + (zo[1] - 1) ** 2
    rows = [["s", "q1", "z_o1", "0.45"], ["s", "q1", "o1", "0.45"], ["s", "q2", "L", mpmath.nstr(loss, 6)],
            ["t", "q2", "L", mpmath.nstr(loss, 6)]]  # t gave no q1 answers: nothing to carry from
    r, g = _grade(tmp_path, key, rows, RELU)
    assert r.exit_code == 0, r.output
    assert g[("s", "q2", "L", "loss")]["verdict"] in ("carried forward from o1", "carried forward from z_o1")
    assert g[("s", "q2", "L", "loss")]["points"] == "1.6"  # 0.8 of q2's 6 points over its 3 answers
    assert g[("t", "q2", "L", "loss")]["verdict"] == "wrong"


def test_only_nodes_computed_alike_are_lent():
    """A forward value is lent to another question's graph only when the node and all it
    depends on are alike there, and no value the student got right depends on it; every
    answer is lent between identical graphs."""
    import sympy as sp

    from solver.graph.model import Graph, Node
    from solver.key.grading import lent

    x, w, z = sp.symbols("x w z")

    def graph(w_value, loss=False):
        nodes = [Node("x", "input", value=sp.Integer(1)), Node("w", "weight", value=w_value),
                 Node("z", "pre", expr=x * w), Node("h", "act", expr=sp.Max(z, 0))]
        if loss:
            nodes.append(Node("L", "loss", expr=sp.Symbol("h") ** 2))
        return Graph(tuple(nodes), {n.key: n.key for n in nodes}, loss="L" if loss else None)

    wrong = {("value", "z"): sp.Rational(1, 3), ("value", "h"): sp.Rational(1, 3),
             ("gradient", "w"): sp.Integer(2)}
    forward, with_loss, other_w = graph(sp.Rational(1, 2)), graph(sp.Rational(1, 2), True), graph(sp.Integer(1), True)
    assert lent(forward, with_loss, wrong) == {("value", "z"): sp.Rational(1, 3), ("value", "h"): sp.Rational(1, 3)}
    assert lent(forward, other_w, wrong) == {}  # w differs: z and h are other numbers there
    assert lent(with_loss, with_loss, wrong) == wrong
    # a right h from that z: the wrong z was a slip in writing it down, not carried on
    assert lent(forward, with_loss, {("value", "z"): sp.Rational(1, 3)}, fixed={"h"}) == {}


def _slip_rows(problem: Path, key: Path, tmp: Path) -> dict:
    """Every misconception's answers on ``problem``, as the grader computes them (name → rows)."""
    from solver.key.grade_setup import setup_for
    from solver.key.grade_work import slipped
    from solver.problem.answer_keys import read_keys
    from solver.problem.loader import parse_yaml, read_text
    from solver.problem.validation import validate

    data = parse_yaml(read_text(problem), str(problem))
    k = read_keys(key)[0]
    setup = setup_for(k, data, validate(data, str(problem)), str(problem), str(key))
    names = {(a.question, a.kind, a.of) for a in k.answers if not a.upstream}
    out = {}
    for q, ctx in setup.contexts.items():
        for name, answers in slipped(ctx, {}, (k.name, q)).items():
            for (kind, of), values in answers.items():
                if (q, kind, of) in names and name not in out:
                    out[name] = (q, of, kind, values[0])
    return out


def test_every_injected_slip_is_recognised(tmp_path):
    seen = set()
    for problem, grading in ((RELU, ""), (SIGMOID, ""), (LEAKY, ""),
                             (ROOT / "problems" / "weight-decay-batch.yaml", "")):
        tmp = tmp_path / problem.stem
        tmp.mkdir()
        key = _key(problem, tmp)
        slips = _slip_rows(problem, key, tmp)
        rows = [[name, q, of, mpmath.nstr(mpmath.mpf(str(v)), 12), kind] for name, (q, of, kind, v) in slips.items()]
        if not rows:
            continue
        r, g = _grade(tmp, key, rows, problem, header=("student", "question", "of", "answer", "kind"))
        assert r.exit_code == 0, r.output
        for name, q, of, _, kind in rows:
            verdict = g[(name, q, of, kind)]["verdict"]
            assert verdict == f"misconception: {name}", (problem.stem, name, verdict)
            top = float(g[(name, q, of, kind)]["max_points"])  # the CSV's decimals
            assert float(g[(name, q, of, kind)]["points"]) == pytest.approx(top / 2, abs=1e-3), (name, top)
            seen.add(name)
    # every slip but derivative_at_activation's ReLU form (ReLU'(a) = ReLU'(z)) shows on these problems
    assert seen >= set(MISCONCEPTIONS) - {"derivative_at_activation", "mean_instead_of_sum",
                                          "sigmoid_derivative_as_sigmoid"}, seen
    # all ten, each on networks where it shows, with numbers computed independently: test_grading_classes


def test_independent_slip_values(tmp_path):
    """The slips' numbers checked by hand (mpmath) on relu-2-2-2's SSE question."""
    key = _key(RELU, tmp_path)
    w, h, zo = _relu_values()
    do = [2 * (zo[0] - 0), 2 * (zo[1] - 1)]
    # missing transpose: dL/dh1 = w5 do1 + w6 do2 (row 1 of W2, not column 1) → dL/dw1 = that * x1
    dh1_t = w[4] * do[0] + w[5] * do[1]
    # update sign flipped is covered by q: none here; half SSE: relu uses sse (no slip); sum/mean: single example
    rows = [["s", "q2-all", "w1", mpmath.nstr(dh1_t * 1, 8)], ["s", "q2-all", "w2", mpmath.nstr(dh1_t * 2, 8)]]
    r, g = _grade(tmp_path, key, rows, RELU)
    assert r.exit_code == 0, r.output
    assert g[("s", "q2-all", "w1", "gradient")]["verdict"] == "misconception: missing_transpose"
    assert g[("s", "q2-all", "w2", "gradient")]["verdict"] == "misconception: missing_transpose"


def test_seed_001_own_numbers(tmp_path):
    """Seed 001 drops the softmax cross-term (every gradient halved); its updates follow from
    its own gradients. Graded at 1% (the seed prints 6 decimals, not 6 figures)."""
    problem = tmp_path / "leaky.yaml"
    problem.write_text(LEAKY.read_text() + "grading:\n  tolerance: {relative: 0.01}\n")
    key = _key(problem, tmp_path)
    w2 = "[[0.000294, -0.000294], [0.088306, -0.088306], [0.194273, -0.194273]]"
    w1 = ("[[0.001413, -0.158943, -0.035367], [0.000471, -0.052981, -0.011789], [-0.000471, 0.052981, 0.011789],"
          " [0.000942, -0.105962, -0.023578]]")
    w1_new = ("[[-0.2001413, 0.9158943, 0.4035367], [-0.1000471, 0.3052981, 0.4011789], "
              "[0.2000471, 0.4947019, -0.7011789], [0.1999058, -0.4894038, 0.5023578]]")
    rows = [["seed001", "b", "W2", w2], ["seed001", "b", "W1", w1], ["seed001", "c", "W1", w1_new, "update"],
            ["seed001", "b", "L", "0.125269"]]
    rows = [r + [""] * (5 - len(r)) for r in rows]
    r, g = _grade(tmp_path, key, rows, problem, header=("student", "question", "of", "answer", "kind"))
    assert r.exit_code == 0, r.output
    v = {k[2]: m["verdict"] for k, m in g.items() if k[1] == "b" and m["answer"]}
    assert v["L"] == "correct"
    # W2 row 1 carries the seed's sign error as well: wrong; the other four are the slip
    assert v["W2[1,1]"] == "wrong" and v["W2[1,2]"] == "wrong"
    for of in ("W2[2,1]", "W2[2,2]", "W2[3,1]", "W2[3,2]"):
        assert v[of] == "misconception: softmax_cross_term_dropped", of
    slip = [of for of in v if of.startswith("W1") and v[of] == "misconception: softmax_cross_term_dropped"]
    assert len(slip) >= 9, v
    upd = {k[2]: m["verdict"] for k, m in g.items() if k[1] == "c" and k[3] == "update" and m["answer"]}
    # at 1% an update is dominated by the weight itself; those that are not within it follow the seed's gradients
    assert all(x == "correct" or x.startswith("carried forward from dL/dW1") for x in upd.values()), upd
    assert any(x.startswith("carried forward") for x in upd.values()), upd


def test_outputs_and_gradescope(tmp_path):
    key = _key(RELU, tmp_path)
    rows = [["ana", "q2", "w3", "-0.052"], ["ana", "q2", "w7", "0.36"], ["ben", "q1", "h1", "0.5"]]
    r, g = _grade(tmp_path, key, rows, RELU, extra=["-f", "tex"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    res = json.loads((out / "results" / "ana.json").read_text())
    assert set(res) >= {"score", "tests"} and all({"name", "score", "max_score", "output"} <= set(t)
                                                  for t in res["tests"])
    assert res["score"] == sum(t["score"] for t in res["tests"]) == 2.0  # w3 right: q2's 6 points over 3 answers
    assert sum(t["max_score"] for t in res["tests"]) == pytest.approx(24)  # the paper's "Total: 24 points"
    md = (out / "feedback" / "ana.md").read_text()
    assert r"\frac{\partial L}{\partial w_{7}} = \frac{\partial L}{\partial o_{2}}" in md
    assert "yours **0.36**, the key's **-0.36**" in md
    assert (out / "feedback" / "ben.tex").read_text().startswith(r"\documentclass")
    assert g[("ana", "q1", "h1", "value")]["verdict"] == "missing"


def test_variants_key(tmp_path):
    problem = ROOT / "problems" / "relu-2-2-2-variants.yaml"
    r = CliRunner().invoke(main, ["variants", str(problem), "-n", "2", "--seed", "7", "-o", str(tmp_path / "v"),
                                  "--sheet", "key", "-f", "md"])
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "v" / "answers.json").read_text())
    rows = []
    for v in data["variants"]:
        q = v["questions"][-1]
        a = next(a for a in q["answers"] if not a.get("upstream"))
        rows.append([v["student"], q["id"], a["of"], a["display"]])
    # each student against their own variant: v001's right number is wrong for v002 when the variants differ
    other = [["v002", rows[0][1], rows[0][2], rows[0][3]]] if rows[0][3] != rows[1][3] else []
    r, g = _grade(tmp_path, tmp_path / "v" / "answers.json", rows[:1] + other)
    assert r.exit_code == 0, r.output
    verdicts = {k[0]: m["verdict"] for k, m in g.items() if m["answer"]}
    assert verdicts["v001"] == "correct"
    assert not other or verdicts["v002"] == "wrong"
    r, g = _grade(tmp_path, tmp_path / "v" / "answers.json", rows, problem)
    assert r.exit_code == 0, r.output
    assert all(m["verdict"] == "correct" for m in g.values() if m["answer"])
    # a listed student answers their own variant: v001 giving v002's code is refused (it graded
    # v001 against v002's key, right answers copied with the neighbour's code earning full marks)
    codes = {v["student"]: v["variant"] for v in data["variants"]}
    header = ("student", "question", "of", "answer", "variant")
    r, _ = _grade(tmp_path, tmp_path / "v" / "answers.json", [["v001", *rows[1][1:], codes["v002"]]],
                  header=header)
    assert r.exit_code == 2 and f"variant: {codes['v002']} is not student v001's variant ({codes['v001']})" in r.output
    r, _ = _grade(tmp_path, tmp_path / "v" / "answers.json", [["v001", *rows[0][1:], "2026-99"]], header=header)
    assert r.exit_code == 2 and "variant: no key has the variant code or name '2026-99'" in r.output
    r, g = _grade(tmp_path, tmp_path / "v" / "answers.json", [["v001", *rows[0][1:], codes["v001"]]], header=header)
    assert r.exit_code == 0 and [m["verdict"] for m in g.values() if m["answer"]] == ["correct"]


BAD = [
    (("student", "question", "answer"), [["a", "q1", "1"]], "row 1", "the header has no column of"),
    (("student", "question", "of", "answer"), [["a", "q9", "h1", "1"]], "row 2", "question 'q9' is not in the key"),
    (("student", "question", "of", "answer"), [["a", "q1", "h1", "1"], ["a", "q1", "zz", "1"]], "row 3",
     "of: 'zz' is not an answer of question q1"),
    (("student", "question", "of", "answer", "kind"), [["a", "q1", "h1", "1", "update"]], "row 2",
     "kind: question q1 has no update answer of h1"),
    (("student", "question", "of", "answer"), [["a", "q1", "h1", "1"], ["a", "q1", "h1", "2"]], "row 3",
     "answered twice"),
    # a second answer that is not a number is a second answer all the same (it was dropped)
    (("student", "question", "of", "answer"), [["a", "q1", "h1", "1"], ["a", "q1", "h1", "abc"]], "row 3",
     "value h1 of question q1 is answered twice (first in row 2)"),
    (("student", "question", "of", "answer"), [["a", "q1", "h1", "x"], ["a", "q1", "h1", "abc"]], "row 3",
     "value h1 of question q1 is answered twice (first in row 2)"),
]


@pytest.mark.parametrize("header,rows,where,message", BAD)
def test_bad_submissions(tmp_path, header, rows, where, message):
    key = _key(RELU, tmp_path)
    r, _ = _grade(tmp_path, key, rows, header=header)
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output
    assert lines[0].startswith(f"nnsolve: error: {tmp_path / 'subs.csv'}: {where}: "), lines[0]
    assert message in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_key_of_another_problem(tmp_path):
    key = _key(RELU, tmp_path)
    r, _ = _grade(tmp_path, key, [["a", "output", "y", "1"]], SIGMOID)
    assert r.exit_code == 2
    r, _ = _grade(tmp_path, _key(SIGMOID, tmp_path), [["a", "output", "y", "1"]], RELU)
    assert r.exit_code == 2  # sigmoid's key's questions are not relu's: another problem, not a lighter check
    assert "is not in" in r.output and "this key is not of that problem" in r.output


def test_a_problem_that_is_not_the_keys_is_refused(tmp_path):
    """The contexts take the key's given values, so grading against a problem with another
    weight graded by the key's numbers and explained with the other problem's steps ("the key's
    step: (0.7)(1) + …"); a problem without the key's question q2 silently gave no carried-forward
    credit there. Both are one line now, exit 2, nothing written."""
    key = _key(RELU, tmp_path)
    other = tmp_path / "other.yaml"
    other.write_text(RELU.read_text(encoding="utf-8").replace("weights: [[0.2, 0.1],", "weights: [[0.7, 0.1],", 1),
                     encoding="utf-8")
    rows = [["s", "q1", "h1", "0.5"]]
    r, g = _grade(tmp_path, key, rows, other)
    assert r.exit_code == 2 and not g
    assert f"{key}: given.w1: its w1 is 0.2, but {other} gives 0.7: this key is not of that problem" in r.output
    r, g = _grade(tmp_path, key, rows, ROOT / "problems" / "relu-2-2-2-variants.yaml")
    assert r.exit_code == 2 and "questions: its question 'q2' is not in" in r.output
    assert not (tmp_path / "out").exists()


def test_a_blank_answer_is_missing_not_an_error_for_the_class(tmp_path):
    """eve left a cell blank: the class is graded, and eve's z_h1 is missing (it stopped the
    whole class with 'the answer is empty')."""
    key = _key(RELU, tmp_path)
    r, g = _grade(tmp_path, key, [["eve", "q1", "z_h1", ""], ["eve", "q1", "h1", "0.5"], ["al", "q1", "h1", "0.5"]],
                  RELU)
    assert r.exit_code == 0, r.output
    assert g[("eve", "q1", "z_h1", "value")]["verdict"] == "missing"
    assert g[("eve", "q1", "h1", "value")]["verdict"] == g[("al", "q1", "h1", "value")]["verdict"] == "correct"


def test_a_count_is_graded_exactly(tmp_path):
    """Parameter counts were left out of the keys grade reads ("question 'T3' is not in the key
    … (it has )") though every export asks them; a count is an integer, right only when exact."""
    problem = ROOT / "problems" / "parameter-count.yaml"
    key = _key(problem, tmp_path)
    r, g = _grade(tmp_path, key, [["a", "T3", "fc1", "31744"], ["b", "T3", "fc1", "31740"]], problem)
    assert r.exit_code == 0, r.output
    assert [g[(s, "T3", "fc1", "count")]["verdict"] for s in "ab"] == ["correct", "wrong"]


def test_feedback_files_of_students_whose_ids_read_alike_are_all_written(tmp_path):
    """"ann smith" and "ann_smith" both became feedback/ann_smith.md (and "Ann_Smith" the same
    file on macOS and Windows): "wrote 7 files" and one student's feedback lost. The second gets
    ann_smith-2; accented ids keep their letters."""
    key = _key(RELU, tmp_path)
    rows = [["ann smith", "q1", "h1", "0.5"], ["ann_smith", "q1", "h1", "0.4"], ["Ann_Smith", "q1", "h1", "0.5"],
            ["José", "q1", "h1", "0.5"]]
    r, g = _grade(tmp_path, key, rows, RELU)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir())
    assert names == ["Ann_Smith-3.md", "José.md", "ann_smith-2.md", "ann_smith.md"]
    assert len(list((tmp_path / "out" / "results").iterdir())) == 4


def test_an_answer_that_is_not_a_number_is_wrong_with_its_reason(tmp_path):
    """"0,5" (a decimal comma), "abc" or "--0.64" in one student's cell stopped the whole class
    (exit 2): each is now that student's wrong answer, with the reason; a matrix answer that is
    not a list marks each of its elements."""
    key = _key(RELU, tmp_path)
    rows = [["eve", "q1", "h1", "0,5"], ["eve", "q1", "h2", "0.8"], ["max", "q1", "o2", "--0.64"],
            ["al", "q1", "h1", "0.5"], ["bo", "q1", "h1", "[[1, 2], [3]]"]]
    r, g = _grade(tmp_path, key, rows, RELU)
    assert r.exit_code == 0, r.output
    eve = g[("eve", "q1", "h1", "value")]
    assert (eve["verdict"], eve["points"], eve["answer"]) == ("wrong", "0", "0,5")
    assert g[("eve", "q1", "h2", "value")]["verdict"] == g[("al", "q1", "h1", "value")]["verdict"] == "correct"
    assert g[("max", "q1", "o2", "value")]["verdict"] == g[("bo", "q1", "h1", "value")]["verdict"] == "wrong"
    md = (tmp_path / "out" / "feedback" / "eve.md").read_text(encoding="utf-8")
    assert "Not a number: '0,5' has a decimal comma: write 0.5 (a list goes in brackets, \\[0, 5\\])." in md


def test_a_students_text_is_shown_as_written_never_as_tex_or_markup(tmp_path):
    # "$\input{/etc/passwd}$" went into the feedback's LaTeX as math: pdflatex tried to read the
    # file, failed, and nobody in the class got feedback (and a student could typeset their own)
    key = _key(RELU, tmp_path)
    typed = r"$\input{/etc/passwd}$ <b>_x_</b>"
    r, g = _grade(tmp_path, key, [["mallory", "q1", "h1", typed], ["ana", "q1", "h1", "0.5"]], RELU,
                  extra=("-f", "tex"))
    assert r.exit_code == 0, r.output
    assert g[("mallory", "q1", "h1", "value")]["verdict"] == "wrong"
    tex = (tmp_path / "out" / "feedback" / "mallory.tex").read_text(encoding="utf-8")
    assert r"\input{" not in tex and r"\$\textbackslash{}input\{/etc/passwd\}\$" in tex
    md = (tmp_path / "out" / "feedback" / "mallory.md").read_text(encoding="utf-8")
    shown = r"\$\\input\{/etc/passwd\}\$ \<b\>\_x\_\</b\>"
    assert f"yours **{shown}**" in md and f"Not a number: '{shown}' is not a finite number" in md


def test_a_row_without_kind_on_an_update_question_is_the_updated_value(tmp_path):
    # "w1, 0.2204" on nesterov-adamw's update question was graded as ∂L/∂w1 (wrong, -0.204):
    # by hand, ∂L/∂w1 = -0.206 (seed 000) + 0.01 × 0.2 (the L2 penalty) = -0.204, and
    # w1 ← 0.2 - 0.1 × (-0.204) = 0.2204
    problem = ROOT / "problems" / "nesterov-adamw.yaml"
    key = _key(problem, tmp_path)
    rows = [["s", "after", "w1", "0.2204", ""], ["t", "after", "w1", "-0.204", "gradient"]]
    r, g = _grade(tmp_path, key, rows, problem, header=("student", "question", "of", "answer", "kind"))
    assert r.exit_code == 0, r.output
    assert (g[("s", "after", "w1", "update")]["verdict"], g[("s", "after", "w1", "update")]["expected"]) == \
        ("correct", "0.2204")
    assert g[("t", "after", "w1", "gradient")]["verdict"] == "correct"
    assert ("s", "after", "w1", "gradient") not in g or g[("s", "after", "w1", "gradient")]["verdict"] == "missing"


def test_a_key_value_beyond_any_typed_number_is_graded_at_once(tmp_path):
    # sigmoid(-1e20) ≈ 7.711e-43429448190325182766: reading the key's exact value as a Rational
    # (10 to the 43 quintillion) never finished; it is read at 1e-20000, further out than any
    # number a student can type, so the verdicts stay what they are
    spec = {"title": "A far tail", "network": {"inputs": {"x1": 1}, "layers": [
        {"units": 1, "activation": "sigmoid", "weights": [[-1e20]], "bias": 0}]},
        "loss": "sse", "target": [0], "questions": [{"id": "q1", "ask": ["forward", "loss"]}]}
    problem = tmp_path / "tail.yaml"
    problem.write_text(json.dumps(spec), encoding="utf-8")
    key = _key(problem, tmp_path)
    assert json.loads(key.read_text())["questions"][0]["answers"][1]["display"] == "7.711e-43429448190325182766"
    rows = [["a", "q1", "o1", "0"], ["b", "q1", "o1", "1e-9999"], ["c", "q1", "z_o1", "-1e20"]]
    r, g = _grade(tmp_path, key, rows, problem)
    assert r.exit_code == 0, r.output
    assert [g[(s, "q1", o, "value")]["verdict"] for s, o in (("a", "o1"), ("b", "o1"), ("c", "z_o1"))] == \
        ["wrong", "wrong", "correct"]
    spec["grading"] = {"tolerance": {"absolute": 0.001}}
    problem.write_text(json.dumps(spec), encoding="utf-8")
    r, g = _grade(tmp_path, key, rows, problem)
    assert r.exit_code == 0 and g[("a", "q1", "o1", "value")]["verdict"] == "correct"


def test_an_update_question_is_marked_on_the_updates_it_asks_for(tmp_path):
    # "(c) Update every weight" was marked out of 37: the loss and the 18 gradients shown before
    # the update were 'missing' for a student who gave exactly the 18 updated weights (18 / 37)
    key = _key(LEAKY, tmp_path)
    c = next(q for q in json.loads(key.read_text())["questions"] if q["id"] == "c")
    updates = [a for a in c["answers"] if a["kind"] == "update"]
    assert len(updates) == 18 and all(a.get("upstream") for a in c["answers"] if a["kind"] != "update")
    rows = [["ann", "c", a["of"], a["display"]] for a in updates]
    r, g = _grade(tmp_path, key, rows, LEAKY)
    assert r.exit_code == 0, r.output
    mine = [v for k, v in g.items() if k[0] == "ann" and k[1] == "c"]
    assert sorted({v["kind"] for v in mine}) == ["update"] and len(mine) == 18
    assert all(v["verdict"] == "correct" and v["points"] == v["max_points"] == "1" for v in mine)
    totals = list(csv.DictReader(open(tmp_path / "out" / "totals.csv")))
    assert (totals[0]["points"], totals[0]["max_points"]) == ("18", str(10 + 19 + 18))


def test_a_cell_a_spreadsheet_would_run_is_text(tmp_path):
    """CSV injection: a student's id or answer that begins with = + - @ (and is not a number)
    begins with ' in every CSV grade writes, so a spreadsheet shows it instead of running it."""
    key = _key(RELU, tmp_path)
    r, g = _grade(tmp_path, key, [["=HYPERLINK(\"http://x\")", "q1", "h1", "0.5"], ["=HYPERLINK(\"http://x\")", "q1", "h2",
                                   "@SUM(1+1)*cmd"], ["bo", "q1", "h1", "-0.5"]])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(open(tmp_path / "out" / "grades.csv")))
    evil = [row for row in rows if row[0].startswith("'=")]
    assert {row[0] for row in evil} == {"'=HYPERLINK(\"http://x\")"}
    assert "'@SUM(1+1)*cmd" in [row[4] for row in evil]
    assert "-0.5" in [row[4] for row in rows if row[0] == "bo" and row[2] == "h1"]  # a number as it is
    assert not any(c.startswith("'-") for row in rows for c in row)
    totals = list(csv.reader(open(tmp_path / "out" / "totals.csv")))
    assert sorted(row[0] for row in totals[1:]) == ["'=HYPERLINK(\"http://x\")", "bo"]
