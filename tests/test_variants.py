"""Per-student variants (issue 16): the generator's stream, the requirements on every
accepted variant (checked independently with the oracle), ``--check``'s figures on a pool
whose figures are known, the answers against the oracle, question papers without their
answers, byte-identical reruns, ``solve --variant``, and the errors."""

from __future__ import annotations

import json
import re
from fractions import Fraction
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mpmath import mpf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle as O  # noqa: E402
from test_oracle import check_solution  # noqa: E402

from solver.cli import main  # noqa: E402
from solver.core.errors import ProblemError  # noqa: E402
from solver.core.options import Options  # noqa: E402
from solver.key.variant_check import check_pool  # noqa: E402
from solver.key.variants import parse_code, variant  # noqa: E402
from solver.pipeline import run_variants  # noqa: E402
from solver.problem import parse_yaml, validate  # noqa: E402
from solver.problem.randomize import Stream  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "relu-2-2-2-variants.yaml"


def _data(path: Path = PROBLEM) -> dict:
    return parse_yaml(path.read_text(encoding="utf-8"), str(path))


def test_the_stream_is_pinned():
    """Python's MT19937 seeded with the text, integers by rejection from getrandbits: these
    draws must never change (a change would give every student of a course new numbers)."""
    def draws(args):
        s = Stream(*args)
        return [s.below(n) for n in (2, 3, 10, 19, 1000)]
    got = {args: draws(args) for args in [(2026, 1, 0), (2026, 2, 0), (0, 1, 3)]}
    assert got == {(2026, 1, 0): [0, 1, 9, 17, 210], (2026, 2, 0): [0, 2, 2, 6, 916], (0, 1, 3): [1, 0, 8, 5, 638]}
    s = Stream(2026, 1, 0)
    assert [s.below(7) for _ in range(8)] == [1, 6, 2, 5, 4, 6, 4, 1]
    assert [Stream(7, 7, 7).below(1) for _ in range(3)] == [0, 0, 0]


@pytest.mark.parametrize("number", range(1, 13))
def test_every_accepted_variant_meets_every_requirement(number):
    """Recomputed by the independent oracle: |z| ≥ 0.05 for every ReLU (no kinks), every
    hidden unit active (no dead units), |L| > 0.05; and the values on their grids."""
    data = _data()
    v = variant(data, validate(data), 2026, number)
    orc = O.Oracle.from_problem(v.problem)
    fwd = orc.forward()
    zs = [z for ex in fwd.examples for z in ex.z.values()]
    assert all(abs(z) >= mpf("0.05") for z in zs), zs
    assert all(fwd.examples[0].a[(1, j)] > 0 for j in range(2)), "a dead hidden unit"
    assert abs(fwd.loss) > mpf("0.05")
    net = v.problem.network
    for row in net.layers[0].weights:
        assert all(w != 0 and abs(Fraction(int(w.p), int(w.q))) <= Fraction(9, 10) and (w * 10).is_integer
                   for w in row)  # exact: an mpf of "0.9" at 15 digits is not 9/10
    assert net.inputs["x1"] in (1, 2, 3)
    assert [int(t) for t in v.problem.target] in ([0, 1], [1, 0])


@pytest.mark.parametrize("number", [1, 2, 3])
def test_variant_answers_match_the_oracle(number):
    data = _data()
    v = variant(data, validate(data), 2026, number)
    counts = check_solution(v.problem, f"variant-{number}")
    assert counts["gradient"] == 10 and counts["loss"] == 1


def _pool(tmp_path: Path, require: str) -> Path:
    path = tmp_path / "pool.yaml"
    path.write_text(f"""title: "A pool"
network:
  inputs: {{x1: 1}}
  layers:
    - {{units: 1, activation: linear, weights: [[0.5]], bias: 0}}
loss: sse
target: [0]
randomize:
  values:
    network.inputs.x1: {{choices: [1, 2, 3, 4]}}
  require: ["{require}"]
questions:
  - {{id: q, ask: [forward, loss]}}
""", encoding="utf-8")
    return path


def test_check_figures_on_a_known_pool(tmp_path):
    """x1 drawn from {1, 2, 3, 4}, required x1 > 2.5: the accepted draws are exactly those
    whose first draw is 2 or 3 (of 0..3); each accepted variant's answers are o = x1/2 and
    L = (x1/2)²; variants with the same x1 coincide."""
    path = _pool(tmp_path, "x1 > 2.5")
    data = _data(path)
    n = 200
    picks = [Stream(11, k, 0).below(4) + 1 for k in range(1, n + 1)]
    report = check_pool(data, validate(data), 11, n)
    accepted = [x for x in picks if x > 2.5]
    assert report.tally.draws == n and report.tally.accepted == len(accepted)
    assert report.tally.rejected == {"x1 > 2.5": n - len(accepted)}
    assert 0.3 < len(accepted) / n < 0.7
    assert report.distinct == 2
    assert report.spread[("q", "value", "o1", None)] == (1.5, sorted(x / 2 for x in accepted)[len(accepted) // 2]
                                                          if len(accepted) % 2 else
                                                          (sorted(x / 2 for x in accepted)[len(accepted) // 2 - 1]
                                                           + sorted(x / 2 for x in accepted)[len(accepted) // 2]) / 2,
                                                          2.0)
    threes, fours = accepted.count(3), accepted.count(4)
    assert len(report.coincide) == threes * (threes - 1) // 2 + fours * (fours - 1) // 2


def test_a_pool_that_rejects_almost_everything_is_an_error(tmp_path):
    path = _pool(tmp_path, "x1 > 10")
    data = _data(path)
    with pytest.raises(ProblemError) as exc:
        check_pool(data, validate(data), 1, 50)
    assert exc.value.field == "randomize.require"
    assert "only 0 of 50 draws meet the requirements" in exc.value.message
    assert "'x1 > 10' rejects 50 of them" in exc.value.message
    result = CliRunner().invoke(main, ["variants", str(path), "--check", "-n", "50"])
    assert result.exit_code == 2
    assert "randomize.require: only 0 of 50 draws" in result.output


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"-?\d+\.\d+", text))


def test_papers_keys_class_files_and_byte_identical_reruns(tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("student,name\nada,Ada Lovelace\nalan,Alan Turing\ngrace,Grace Hopper\n", encoding="utf-8")
    options = Options(sheet="both", formats=("md", "tex", "json"))
    first = run_variants(PROBLEM, tmp_path / "a", options, None, 2026, roster)
    again = run_variants(PROBLEM, tmp_path / "b", options, None, 2026, roster)
    names = sorted(p.name for p in first)
    assert names == sorted(p.name for p in again)
    assert "relu-2-2-2-variants-ada.md" in names and "relu-2-2-2-variants-grace-questions.tex" in names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    book = json.loads((tmp_path / "a" / "answers.json").read_text(encoding="utf-8"))
    assert [v["student"] for v in book["variants"]] == ["ada", "alan", "grace"]
    assert [v["variant"] for v in book["variants"]] == ["2026-1", "2026-2", "2026-3"]
    assert book["variants"][1]["name"] == "Alan Turing"
    csv_rows = (tmp_path / "a" / "answers.csv").read_text(encoding="utf-8").splitlines()
    assert csv_rows[0] == "student,name,variant,question,kind,of,step,display,value"
    assert csv_rows[1].startswith("ada,Ada Lovelace,2026-1,q1,value,")
    checked = 0
    for v in book["variants"]:
        key = json.loads((tmp_path / "a" / f"relu-2-2-2-variants-{v['student']}.json").read_text(encoding="utf-8"))
        assert key["variant"] == v["variant"] and key["given"] == v["given"]
        assert key["given"]["x1"] in ("1", "2", "3")
        paper = (tmp_path / "a" / f"relu-2-2-2-variants-{v['student']}-questions.md").read_text(encoding="utf-8")
        assert paper.startswith(f"# A 2-2-2 ReLU network, one per student (variant {v['variant']}, {v['name']}) "
                                "— questions\n")
        given = {x for x in _numbers(json.dumps(key["given"]))}
        secret = {a["display"] for q in key["questions"] for a in q["answers"]
                  if a["kind"] in ("gradient", "loss") and "." in a["display"]} - given
        checked += len(secret)
        assert not (secret & _numbers(paper)), (v["student"], secret & _numbers(paper))
    assert checked > 5


def test_solve_variant_regenerates_one_key(tmp_path):
    runner = CliRunner()
    out = tmp_path / "class"
    assert runner.invoke(main, ["variants", str(PROBLEM), "-n", "3", "--seed", "5", "-f", "json", "-o",
                                str(out)]).exit_code == 0
    result = runner.invoke(main, ["solve", str(PROBLEM), "--variant", "5-2", "-f", "json", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    one = json.loads((tmp_path / "relu-2-2-2-variants-5-2.json").read_text(encoding="utf-8"))
    same = json.loads((out / "relu-2-2-2-variants-v002.json").read_text(encoding="utf-8"))
    assert one["questions"] == same["questions"] and one["given"] == same["given"] and one["variant"] == "5-2"


@pytest.mark.parametrize("args, message", [
    (["solve", "problems/relu-2-2-2.yaml", "--variant", "1-1"], "randomize: the problem has no randomize block"),
    (["solve", str(PROBLEM), "--variant", "abc"], "--variant: 'abc' is not a variant code"),
    (["variants", "problems/relu-2-2-2.yaml", "-n", "2"], "randomize: the problem has no randomize block"),
])
def test_variant_errors(args, message, tmp_path):
    result = CliRunner().invoke(main, args + ["-o", str(tmp_path)] if args[0] == "solve" else args + ["-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output  # no "Solving variants" before it


@pytest.mark.parametrize("text, message", [
    ("student\nada\nada\n", "line 3: the student 'ada' is listed twice (lines 2 and 3)"),
    ("student,name\nada,Ada \U0001f600\n", "line 2: name: the character U+1F600 (\U0001f600) cannot be typeset"),
    ("student,name\nada," + "A" * 101 + "\n", "line 2: name: the name is longer than 100 characters"),
    ("student\ns1\nS1\n", "line 3: the student 'S1' and 's1' differ only in case (their files would be one on "
                          "macOS and Windows) (lines 2 and 3)"),
    ("student,name\n", "(file): the roster has a header but no students"),
])
def test_a_bad_roster_names_the_line(tmp_path, text, message):
    roster = tmp_path / "r.csv"
    roster.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["variants", str(PROBLEM), "--roster", str(roster), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{roster}: {message}" in result.output
    assert not (tmp_path / "o").exists()


def test_a_roster_name_is_on_the_paper_and_the_key_escaped(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("student,name\nana,Ana López & Co_\nbo,\n", encoding="utf-8")
    run_variants(PROBLEM, tmp_path / "o", Options(sheet="both", formats=("md", "tex")), None, 3, roster)
    tex = (tmp_path / "o" / "relu-2-2-2-variants-ana-questions.tex").read_text(encoding="utf-8")
    assert r"\title{A 2-2-2 ReLU network, one per student (variant 3-1, Ana López \& Co\_) --- questions}" in tex
    key = (tmp_path / "o" / "relu-2-2-2-variants-ana.md").read_text(encoding="utf-8")
    assert key.startswith(r"# A 2-2-2 ReLU network, one per student (variant 3-1, Ana López & Co\_) — answer key")
    nameless = (tmp_path / "o" / "relu-2-2-2-variants-bo.md").read_text(encoding="utf-8")
    assert nameless.startswith("# A 2-2-2 ReLU network, one per student (variant 3-2) — answer key")


def test_parse_code():
    assert parse_code("2026-17") == (2026, 17)
    for bad in ("2026-0", "-1-1"):  # a seed is 0 to 10^18, as variants --seed takes it
        with pytest.raises(ValueError):
            parse_code(bad)


def test_pdfs_in_a_process_pool_are_the_same_bytes_and_the_key_book_holds_every_key(tmp_path):
    from test_pdf import MISSING_TOOLS, REQUIRE_TEX  # the same skip rule: TeX present, or required in CI
    if MISSING_TOOLS and not REQUIRE_TEX:
        pytest.skip("TeX is not installed")
    from pypdf import PdfReader

    options = Options(sheet="both", formats=("pdf",))
    one = run_variants(PROBLEM, tmp_path / "one", options, 2, 7, jobs=1)
    two = run_variants(PROBLEM, tmp_path / "two", options, 2, 7, jobs=2)
    assert sorted(p.name for p in one) == sorted(p.name for p in two)
    for p in one:
        assert p.read_bytes() == (tmp_path / "two" / p.name).read_bytes(), p.name
    book = PdfReader(tmp_path / "one" / "relu-2-2-2-variants-keys.pdf")
    pages = [len(PdfReader(tmp_path / "one" / f"relu-2-2-2-variants-v00{k}.pdf").pages) for k in (1, 2)]
    assert len(book.pages) == sum(pages)
    assert "(variant 7-2)" in book.pages[pages[0]].extract_text().replace("\n", " ")


def test_an_excel_roster_with_a_byte_order_mark_and_capitalised_headers_is_read(tmp_path):
    """Excel's "CSV UTF-8" starts with a BOM and people write "Student,Name": both were refused
    as "a roster is a CSV file with a 'student' column" (grade's submissions accepted both)."""
    from solver.problem.roster import load_roster

    roster = tmp_path / "r.csv"
    roster.write_bytes("\ufeffStudent,Name\nana,Ana López\n".encode("utf-8"))
    assert load_roster(roster) == [{"student": "ana", "name": "Ana López"}]
