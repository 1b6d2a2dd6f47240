"""A class whose submissions hold a bad row (a question, an ``of``, a ``kind`` the key does not
have, an answer given twice): that row's student is left ungraded, one line each naming the file
and the row, and the rest of the class is graded and written, exit code 2 at the end (it stopped
the whole class). Students' ids and roster names with LaTeX's specials are text in every PDF."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
RELU = ROOT / "problems" / "relu-2-2-2.yaml"
needs_tex = pytest.mark.skipif(not all(shutil.which(t) for t in ("latexmk", "pdflatex", "pdftotext")),
                               reason="latexmk, pdflatex or pdftotext not installed")


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("key")
    r = CliRunner().invoke(main, ["solve", str(RELU), "-f", "json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out / "relu-2-2-2.json"


def _grade(tmp: Path, key: Path, rows: list, *extra: str):
    sub = tmp / "subs.csv"
    with open(sub, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("student", "question", "of", "answer"), *rows])
    return CliRunner().invoke(main, ["grade", "--key", str(key), str(sub), "-o", str(tmp / "out"), "--problem", str(RELU),
                                     *extra])


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_a_bad_row_leaves_its_student_ungraded_and_the_class_graded(tmp_path, key):
    rows = [["ann", "q1", "h1", "0.5"], ["ann", "q1", "z_h1", "0.5"],
            ["ben", "q1", "h1", "0.5"], ["ben", "q1", "zz", "1"],  # row 5: no such answer
            ["cai", "q9", "h1", "0.5"],  # row 6: no such question
            ["dee", "q1", "h1", "0.5"], ["dee", "q1", "h1", "0.4"],  # row 8: answered twice
            ["eve", "q1", "h1", "0.4"]]
    r = _grade(tmp_path, key, rows)
    sub = tmp_path / "subs.csv"
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"nnsolve: error: {sub}: row 5: of: 'zz' is not an answer of question q1 in the key relu-2-2-2; "
        "student ben is not graded",
        f"nnsolve: error: {sub}: row 6: question 'q9' is not in the key relu-2-2-2 (it has q1, q2, q2-all, q3); "
        "student cai is not graded",
        f"nnsolve: error: {sub}: row 8: value h1 of question q1 is answered twice (first in row 7); "
        "student dee is not graded"]
    out = tmp_path / "out"
    assert r.stdout == f"wrote 7 files to {out}\n"
    assert (out / "ungraded.csv").read_text(encoding="utf-8") == (
        "student,row,reason\n"
        "ben,5,of: 'zz' is not an answer of question q1 in the key relu-2-2-2\n"
        "cai,6,\"question 'q9' is not in the key relu-2-2-2 (it has q1, q2, q2-all, q3)\"\n"
        "dee,8,value h1 of question q1 is answered twice (first in row 7)\n")
    grades = _rows(out / "grades.csv")
    assert sorted({g["student"] for g in grades}) == ["ann", "eve"]
    assert {(g["student"], g["of"]): g["verdict"] for g in grades if g["answer"]} == {
        ("ann", "h1"): "correct", ("ann", "z_h1"): "correct", ("eve", "h1"): "wrong"}
    assert [t["student"] for t in _rows(out / "totals.csv")] == ["ann", "eve"]
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.md", "eve.md"]
    assert sorted(p.name for p in (out / "results").iterdir()) == ["ann.json", "eve.json"]
    assert json.loads((out / "results" / "ann.json").read_text(encoding="utf-8"))["score"] > 0


def test_when_no_student_is_left_nothing_is_written(tmp_path):
    """The key of another problem: every row is bad, each said, and nothing written."""
    other = tmp_path / "key"
    r = CliRunner().invoke(main, ["solve", str(ROOT / "problems" / "sigmoid-2-2-1.yaml"), "-f", "json", "-o", str(other)])
    assert r.exit_code == 0, r.output
    sub = tmp_path / "subs.csv"
    sub.write_text("student,question,of,answer\nann,q1,h1,0.5\nben,q1,h1,0.5\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["grade", "--key", str(other / "sigmoid-2-2-1.json"), str(sub), "-o",
                                  str(tmp_path / "out")])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [
        f"nnsolve: error: {sub}: row {n}: question 'q1' is not in the key sigmoid-2-2-1 (it has output); "
        f"student {s} is not graded" for n, s in ((2, "ann"), (3, "ben"))]
    assert not (tmp_path / "out").exists()


def test_twenty_bad_rows_are_shown_then_a_count(tmp_path, key):
    rows = [[f"s{i:02d}", "q1", "nope", "1"] for i in range(25)] + [["ann", "q1", "h1", "0.5"]]
    r = _grade(tmp_path, key, rows)
    lines = r.stderr.splitlines()
    assert r.exit_code == 2 and len(lines) == 21
    assert lines[0] == (f"nnsolve: error: {tmp_path / 'subs.csv'}: row 2: of: 'nope' is not an answer of question q1 "
                        "in the key relu-2-2-2; student s00 is not graded")
    assert lines[19].startswith(f"nnsolve: error: {tmp_path / 'subs.csv'}: row 21: ")
    assert lines[20] == f"nnsolve: error: {tmp_path / 'subs.csv'}: (file): 5 more bad rows not shown"
    assert [t["student"] for t in _rows(tmp_path / "out" / "totals.csv")] == ["ann"]


IDS = ["O'Brien", "Zoë", "A_B & Co", r"\input{x}", "$x$ 50% #1 ~ ^ {}"]


@needs_tex
def test_student_ids_with_latex_specials_are_text_in_the_feedback_pdf(tmp_path, key):
    r = _grade(tmp_path, key, [[s, "q1", "h1", "0.5"] for s in IDS], "-f", "pdf")
    assert r.exit_code == 0, r.output
    feedback = tmp_path / "out" / "feedback"
    for s, name in zip(IDS, ["O_Brien", "Zoë", "A_B___Co", "_input_x_", "_x__50___1_______"]):
        text = subprocess.run(["pdftotext", str(feedback / f"{name}.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert f"feedback for {s}" in " ".join(text.replace("’", "'").split()), (s, text[:200])


@needs_tex
@pytest.mark.parametrize("documentclass", ["article", "exam"])
def test_roster_names_with_latex_specials_are_text_in_the_papers(tmp_path, documentclass):
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("student", "name"), *[(f"s{i}", n) for i, n in enumerate(IDS + [r"\def\x{y} \\"])]])
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["variants", str(ROOT / "problems" / "relu-2-2-2-variants.yaml"), "--roster",
                                  str(roster), "--seed", "3", "-f", "pdf", "--sheet", "both", "--documentclass",
                                  documentclass, "-o", str(out)])
    assert r.exit_code == 0, r.output
    for i, name in enumerate(IDS + [r"\def\x{y} \\"]):
        for sheet in ("", "-questions"):
            text = subprocess.run(["pdftotext", str(out / f"relu-2-2-2-variants-s{i}{sheet}.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout
            assert f"(variant 3-{i + 1}, {name})" in " ".join(text.replace("’", "'").split()), (name, text[:200])


def _grade_text(tmp: Path, key: Path, text: str):
    sub = tmp / "subs.csv"
    sub.write_bytes(text.encode("utf-8"))
    return sub, CliRunner().invoke(main, ["grade", "--key", str(key), str(sub), "-o", str(tmp / "out"), "--problem",
                                          str(RELU)])


def test_a_row_of_too_few_or_too_many_cells_leaves_only_its_student_ungraded(tmp_path, key):
    """ben's row lost a cell and cai's has one too many: that stopped the whole class ("row 3: 3
    cells where the header has 4"). Each is one line now, the others graded. Blank lines, a
    line of spaces and a byte-order mark are no rows; a quoted cell keeps its comma; the row
    numbers are the file's lines."""
    text = ("\ufeffstudent,question,of,answer\nann,q1,h1,0.5\nben,q1,h1\n\n   \ncai,q1,h1,0.5,extra\n"
            'dee,q1,h1,"0.5"\nfay,q1,h1,[0.1, 0.2]\neve,q1,"h1",0.4\neve,q1,z_h1,"[0.5, 0.1]"\n')
    sub, r = _grade_text(tmp_path, key, text)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"nnsolve: error: {sub}: row 3: has 3 cells, the header has 4; student ben is not graded",
        f"nnsolve: error: {sub}: row 6: has 5 cells, the header has 4; student cai is not graded",
        f"nnsolve: error: {sub}: row 8: has 5 cells, the header has 4: a field with a comma, such as W1[1,2] or "
        '[0.1, 0.2], goes in double quotes ("W1[1,2]"); student fay is not graded']
    out = tmp_path / "out"
    assert r.stdout == f"wrote 9 files to {out}\n"
    assert [t["student"] for t in _rows(out / "totals.csv")] == ["ann", "dee", "eve"]
    assert {(g["student"], g["verdict"]) for g in _rows(out / "grades.csv") if g["of"] == "h1" and g["question"] == "q1"} \
        == {("ann", "correct"), ("dee", "correct"), ("eve", "wrong")}
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.md", "dee.md", "eve.md"]
    assert "yours **\\[0.5, 0.1\\]**, the key's **0.5**: wrong, 0 of 0.5.\n  The wrong shape: a list of 2 where z\\_h1 " \
        "is one number." in (out / "feedback" / "eve.md").read_text(encoding="utf-8")


def test_a_short_row_without_its_student_cell_is_said_and_the_rest_graded(tmp_path, key):
    sub = tmp_path / "subs.csv"
    sub.write_text("question,of,answer,student\nq1,h1,0.5,ann\nq1,h1\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["grade", "--key", str(key), str(sub), "-o", str(tmp_path / "out")])
    assert r.exit_code == 2
    assert r.stderr == (f"nnsolve: error: {sub}: row 3: has 2 cells, the header has 4; the row is not graded (it "
                        "names no student)\n")
    assert [t["student"] for t in _rows(tmp_path / "out" / "totals.csv")] == ["ann"]


@pytest.mark.parametrize("header,message", [
    ("student,question,of,answer,answer", "the column 'answer' is named twice (columns 4 and 5)"),
    ("student,Student,question,of,answer", "the column 'student' is named twice (columns 1 and 2)"),
    ("student,question,of,answer,", "column 5 has no name (the header is student,question,of,answer,; delete the "
                                    "empty column or name it)"),
    ("student,,question,of,answer", "column 2 has no name (the header is student,,question,of,answer; delete the "
                                    "empty column or name it)"),
])
def test_a_header_naming_a_column_twice_or_not_at_all_stops_the_run(tmp_path, key, header, message):
    """No row can be read by such a header (which 'answer' is the answer?): one line, nothing written."""
    sub, r = _grade_text(tmp_path, key, f"{header}\nann,q1,h1,0.5,1\n")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == f"nnsolve: error: {sub}: row 1: {message}\n"
    assert not (tmp_path / "out").exists()


def _listing(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def test_a_student_ungraded_now_keeps_no_feedback_of_an_earlier_run(tmp_path, key):
    """ben and cai were graded, then ben's row lost a cell and cai left the file: their
    feedback and results of the first run stayed, looking current beside a grades.csv without
    them. They are removed now (only what grade wrote and nobody changed since), ann's .tex of
    the first run too (this run writes no .tex), and ungraded.csv says who was not graded and
    why; it goes once every student is graded again."""
    out = tmp_path / "out"
    r = _grade(tmp_path, key, [["ann", "q1", "h1", "0.5"], ["ben", "q1", "h1", "0.5"], ["cai", "q1", "h1", "0.4"]],
               "-f", "tex")
    assert r.exit_code == 0 and r.stdout == f"wrote 11 files to {out}\n"
    (out / "feedback" / "notes.md").write_text("my notes\n", encoding="utf-8")  # not the tool's
    (out / "feedback" / "cai.tex").write_text("% edited by hand\n", encoding="utf-8")  # changed since
    (out / "results" / "old.json").write_text("{}\n", encoding="utf-8")  # never written by grade
    sub = tmp_path / "subs.csv"
    sub.write_text("student,question,of,answer\nann,q1,h1,0.5\nben,q1,h1\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["grade", "--key", str(key), str(sub), "-o", str(out), "--problem", str(RELU)])
    assert r.exit_code == 2
    assert r.stderr == f"nnsolve: error: {sub}: row 3: has 3 cells, the header has 4; student ben is not graded\n"
    assert r.stdout == f"wrote 5 files to {out}; removed 6 stale files\n"
    assert _listing(out) == [".nnsolve-grade.json", "feedback/ann.md", "feedback/cai.tex", "feedback/notes.md",
                             "grades.csv", "results/ann.json", "results/old.json", "totals.csv", "ungraded.csv"]
    assert (out / "ungraded.csv").read_text(encoding="utf-8") == \
        'student,row,reason\nben,3,"has 3 cells, the header has 4"\n'
    assert [t["student"] for t in _rows(out / "totals.csv")] == ["ann"]
    assert (out / "feedback" / "notes.md").read_text(encoding="utf-8") == "my notes\n"
    sub.write_text("student,question,of,answer\nann,q1,h1,0.5\nben,q1,h1,0.4\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["grade", "--key", str(key), str(sub), "-o", str(out), "--problem", str(RELU)])
    assert r.exit_code == 0 and r.stdout == f"wrote 6 files to {out}; removed 1 stale file\n"
    assert _listing(out) == [".nnsolve-grade.json", "feedback/ann.md", "feedback/ben.md", "feedback/cai.tex",
                             "feedback/notes.md", "grades.csv", "results/ann.json", "results/ben.json",
                             "results/old.json", "totals.csv"]


def test_a_wrong_key_leaves_the_earlier_run_as_it_was(tmp_path, key):
    """No student graded: nothing is written, and nothing removed."""
    out = tmp_path / "out"
    assert _grade(tmp_path, key, [["ann", "q1", "h1", "0.5"]]).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    r = _grade(tmp_path, key, [["ann", "q9", "h1", "0.5"]])
    assert r.exit_code == 2 and r.stdout == ""
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_link_or_a_manifest_naming_other_files_removes_nothing_else(tmp_path, key):
    """Only grade's own names are ever removed: a manifest listing grades.csv's neighbours or a
    path out of the folder is not obeyed, and a feedback file replaced by a link is kept."""
    out = tmp_path / "out"
    assert _grade(tmp_path, key, [["ann", "q1", "h1", "0.5"], ["ben", "q1", "h1", "0.5"]]).exit_code == 0
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    (out / "feedback" / "ben.md").unlink()
    (out / "feedback" / "ben.md").symlink_to(tmp_path / "keep.txt")
    manifest = json.loads((out / ".nnsolve-grade.json").read_text(encoding="utf-8"))
    manifest["files"]["../keep.txt"] = manifest["files"]["notes.txt"] = hashlib.sha256(b"x").hexdigest()
    (out / ".nnsolve-grade.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / "notes.txt").write_text("x", encoding="utf-8")
    r = _grade(tmp_path, key, [["ann", "q1", "h1", "0.5"]])
    assert r.exit_code == 0 and r.stdout == f"wrote 4 files to {out}; removed 1 stale file\n"
    assert (tmp_path / "keep.txt").exists() and (out / "feedback" / "ben.md").is_symlink()
    assert _listing(out) == [".nnsolve-grade.json", "feedback/ann.md", "feedback/ben.md", "grades.csv", "notes.txt",
                             "results/ann.json", "totals.csv"]


def _why(out: Path, student: str) -> str:
    """The reason under a student's h1 in their feedback."""
    lines = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8").splitlines()
    return next(lines[i + 1].strip() for i, line in enumerate(lines) if line.startswith("- $h_{1}$"))


def test_one_bad_cell_is_that_answer_or_that_row_never_the_class(tmp_path, key):
    """Each of these stopped the whole class or lost students without a word: a cell over 131,072
    characters ("malformed CSV (field larger than field limit)"), brackets nested thousands deep
    (an internal error), an empty student, question or of ("question is empty", exit 2, nothing
    written), a double quote left open (the rows after it swallowed into one answer, those
    students never graded). A student who left every answer blank vanished from totals.csv."""
    text = ("student,question,of,answer\nann,q1,h1,0.5\nbo,q1,h1,\"0,5\"\ncy,q1,h1,0.5.2\ndi,q1,h1,nan\n"
            f"fy,q1,h1,{'[' * 3000}1{']' * 3000}\ngil,q1,h1,{'9' * 200_000}\nivy,q1,h1,\n,q1,h1,0.5\njo,,h1,0.5\n"
            "oz,q1,h1,0,5\nlee,q1,h1,\"0.5\nmo,q1,h1,0.4\nnat,q1,z_h1,\"\n0.5\n\"\n")
    sub, r = _grade_text(tmp_path, key, text)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"nnsolve: error: {sub}: row 9: student is empty; the row is not graded (it names no student)",
        f"nnsolve: error: {sub}: row 10: question is empty; student jo is not graded",
        f"nnsolve: error: {sub}: row 11: has 5 cells, the header has 4: the decimal comma of 0,5 split the answer "
        "in two (write 0.5); student oz is not graded",
        f"nnsolve: error: {sub}: row 12: a double quote is not closed (the row runs on to line 14; the lines after "
        "it are read as rows); student lee is not graded"]
    out = tmp_path / "out"
    totals = {t["student"]: t["points"] for t in _rows(out / "totals.csv")}
    assert totals == {"ann": "0.5", "bo": "0", "cy": "0", "di": "0", "fy": "0", "gil": "0", "ivy": "0", "mo": "0",
                      "nat": "0.5"}
    assert _why(out, "bo") == "Not a number: '0,5' has a decimal comma: write 0.5 (a list goes in brackets, \\[0, 5\\])."
    assert _why(out, "cy") == ("Not a number: '0.5.2' is not a finite number (write a decimal such as 0.25 or 1e-3, "
                               'an integer, or a fraction such as "1/3").')
    assert _why(out, "di").startswith("Not a number: 'nan' is not a finite number (")
    assert _why(out, "fy") == "Not a number: its brackets nest 3000 deep; an answer has at most 8 (a tensor's dimensions)."
    assert _why(out, "gil") == "Not a number: '999999999999999999999999999999…99999' has 200,000 significant digits; at most 300."
    assert _why(out, "ivy").startswith("The key's step:")  # missing, no reason
    gil = next(g for g in _rows(out / "grades.csv") if g["student"] == "gil" and g["answer"])
    assert gil["answer"] == "9" * 960 + "… (200,000 characters)"
    grades = {(g["student"], g["of"]): g["verdict"] for g in _rows(out / "grades.csv") if g["question"] == "q1"}
    assert [grades[(s, "h1")] for s in ("ann", "bo", "ivy", "mo")] == ["correct", "wrong", "missing", "wrong"]
    assert grades[("nat", "z_h1")] == "correct"  # a quoted cell over lines is one answer
    assert (out / "ungraded.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        ",9,student is empty", "jo,10,question is empty", 'oz,11,"has 5 cells, the header has 4: the decimal comma '
        'of 0,5 split the answer in two (write 0.5)"', "lee,12,a double quote is not closed (the row runs on to line "
        "14; the lines after it are read as rows)"]


def test_a_file_of_blank_answers_only_is_refused(tmp_path, key):
    sub, r = _grade_text(tmp_path, key, "student,question,of,answer\nann,q1,h1,\nben,q1,h1, \n")
    assert r.exit_code == 2 and r.stderr == f"nnsolve: error: {sub}: (file): the file has a header but no answers\n"
    assert not (tmp_path / "out").exists()


def test_old_mac_line_ends_are_rows(tmp_path, key):
    sub, r = _grade_text(tmp_path, key, "student,question,of,answer\rann,q1,h1,0.5\rben,q1,h1,0.4\r")
    assert r.exit_code == 0, r.output
    assert [(t["student"], t["points"]) for t in _rows(tmp_path / "out" / "totals.csv")] == [("ann", "0.5"), ("ben", "0")]
