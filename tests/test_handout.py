"""Keys and question papers an instructor hands out as they are (issue 12): every bundled
problem built as key and question paper, article and exam class, compiles with no overfull
box wider than 1 pt and no float too large; the exam class's one ``.tex`` is a question
paper under ``\\noprintanswers`` (no answer shown, answer space left) and a key under
``\\printanswers``; points are shown and totalled.

The TeX builds need latexmk and pdftotext (skipped without them unless
``NNSOLVE_REQUIRE_TEX=1``); they run two at a time, each document once.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from test_pdf import (PROBLEMS_DIR, STEMS, cli, has_diagram, has_magnitude, needs_exam, needs_tex,
                      pdf_text, secret_answers)

STYLES = {"relu-2-2-2": "neuron", "xor-2-2-1-training": "matrix", "relu-3-4-3-softmax-ce": "graph"}
#: (document class, sheet) of every build; "exam-paper" is the exam key's .tex under \noprintanswers.
BUILDS = ("article-key", "article-questions", "exam-key", "exam-questions", "exam-paper")


def _latexmk(tex: Path) -> tuple[Path, str]:
    subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={tex.parent}",
                    str(tex)], cwd=tex.parent, capture_output=True, timeout=300, check=False)
    log = tex.with_suffix(".log").read_text(encoding="latin-1")
    return tex.with_suffix(".pdf"), log


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{(stem, build): (pdf, log)} for every bundled problem and build of :data:`BUILDS`."""
    root = tmp_path_factory.mktemp("handout")
    for cls in ("article", "exam"):
        out = root / cls
        r = cli("solve", PROBLEMS_DIR, "--sheet", "both", "-f", "tex", "-f", "json", "--documentclass", cls, "-o", out)
        assert r.exit_code == 0, r.stderr
    jobs = {}
    for stem in STEMS:
        for build in BUILDS:
            cls, sheet = build.split("-")
            src = root / cls / (stem + ("-questions" if sheet == "questions" else "") + ".tex")
            text = src.read_text(encoding="utf-8")
            if sheet == "paper":
                assert text.count("\\printanswers\n") == 1
                text = text.replace("\\printanswers\n", "\\noprintanswers\n")
            folder = root / "build" / build / stem
            folder.mkdir(parents=True)
            (folder / "doc.tex").write_text(text, encoding="utf-8")
            jobs[(stem, build)] = folder / "doc.tex"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(jobs, pool.map(_latexmk, jobs.values())))
    return root, results


def _bad_boxes(log: str) -> list[str]:
    bad = []
    for line in log.splitlines():
        m = re.search(r"Overfull \\[hv]box \(([\d.]+)pt too (wide|high)\)", line)
        if (m and float(m.group(1)) > 1.0) or "Float too large" in line:
            bad.append(line.strip())
    return bad


def _failures(results, build: str, check) -> dict[str, list[str]]:
    """``check(pdf, log)`` on every bundled problem's build, where it finds something."""
    found = {stem: check(*results[(stem, build)]) for stem in STEMS}
    return {stem: f for stem, f in found.items() if f}


@needs_tex
@needs_exam
@pytest.mark.parametrize("build", BUILDS)
def test_no_overfull_box_and_no_float_too_large(built, build):
    _, results = built
    assert all(results[(stem, build)][0].exists() for stem in STEMS)
    bad = _failures(results, build, lambda pdf, log: _bad_boxes(log))
    assert not bad, bad


def _stranded(tex: str, pdf: Path) -> list[str]:
    """Pages whose last line of text is a heading of the document (a section, a part, a
    block's bold title, "Solution."): a heading stranded at the bottom of a page."""
    heads = set(re.findall(r"\\(?:sub)*section\*\{([^{}$\\]*)", tex))
    heads |= {h.rstrip(".") for h in re.findall(r"\\textbf\{([^{}$\\]*)\}", tex)} | {"Solution"}
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    stranded = []
    for number, page in enumerate(text.split("\f")[:-1], 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if len(lines) >= 2 and re.fullmatch(r"(Page )?\d+", lines[-1]):
            lines.pop()
        if lines and lines[-1].rstrip(".:") in heads:
            stranded.append(f"page {number}: {lines[-1]}")
    return stranded


@needs_tex
@needs_exam
@pytest.mark.parametrize("build", BUILDS)
def test_no_heading_stranded_at_the_bottom_of_a_page(built, build):
    _, results = built
    stranded = _failures(results, build,
                         lambda pdf, log: _stranded(pdf.with_suffix(".tex").read_text(encoding="utf-8"), pdf))
    assert not stranded, stranded


@needs_tex
@needs_exam
@pytest.mark.parametrize("stem", STEMS)
def test_exam_key_tex_is_the_question_paper_under_noprintanswers(built, stem):
    root, results = built
    source = (PROBLEMS_DIR / f"{stem}.yaml").read_text(encoding="utf-8")
    data = json.loads((root / "exam" / f"{stem}.json").read_text(encoding="utf-8"))
    paper = " ".join(pdf_text(results[(stem, "exam-paper")][0]).split())
    key = " ".join(pdf_text(results[(stem, "exam-key")][0]).split())
    assert "questions" in paper and "answer key" not in paper and "Solution" not in paper
    assert "answer key" in key and "Solution" in key
    secrets = secret_answers(data, source)
    leaked = [a["display"] for a in secrets if has_magnitude(paper, a["display"])]
    assert not leaked, f"{stem}: the exam paper (\\noprintanswers) shows {leaked}"
    shown = [a["display"] for a in secrets if has_magnitude(key, a["display"])]
    assert shown == [a["display"] for a in secrets]
    # parts are numbered once: no "(a) (a)", "(a) Q1 (a)", "(a) 1." left from the titles
    assert not re.search(r"\([a-z]\) (\([a-z]\)|Q\d|\d+\.|Question \d)", paper), paper[:400]


@needs_tex
@needs_exam
def test_points_per_question_and_total_on_the_front_page(built):
    root, results = built
    spec = yaml.safe_load((PROBLEMS_DIR / "relu-2-2-2.yaml").read_text(encoding="utf-8"))
    points = [q["points"] for q in spec["questions"]]
    assert points == [4, 6, 6, 8]
    paper = " ".join(pdf_text(results[("relu-2-2-2", "exam-paper")][0]).split())
    assert "Total: 24 points" in paper
    assert re.search(r"\(a\) \(4 points\)", paper) and re.search(r"\(d\) \(8 points\)", paper), paper[:800]
    tex = (root / "exam" / "relu-2-2-2.tex").read_text(encoding="utf-8")
    assert tex.startswith("\\documentclass[11pt,addpoints]{exam}")
    assert re.findall(r"\\part\[(\d+)\]", tex) == ["4", "6", "6", "8"]
    article = (root / "article" / "relu-2-2-2-questions.tex").read_text(encoding="utf-8")
    assert "Total: 24 points" in article and "[8 points]" in article
    data = json.loads((root / "exam" / "relu-2-2-2.json").read_text(encoding="utf-8"))
    assert [q["points"] for q in data["questions"]] == [4.0, 6.0, 6.0, 8.0]


@needs_tex
@needs_exam
def test_question_paper_leaves_answer_space_sized_to_the_answer(built):
    root, results = built
    tex = (root / "exam" / "relu-2-2-2-questions.tex").read_text(encoding="utf-8")
    spaces = [float(x) for x in re.findall(r"\\begin\{solution\}\[([\d.]+)cm\]\n\\end\{solution\}", tex)]
    assert len(spaces) == 4 and all(3 <= s <= 16 for s in spaces)
    # the forward pass alone needs less room than every gradient
    assert spaces[0] < spaces[2]
    # the sheet's .tex carries no answer at all: its solutions are empty
    assert not re.search(r"\\begin\{solution\}\[[\d.]+cm\]\n(?!\\end\{solution\})", tex)
    # each part asks for room for itself and all of its space: a page break inside the space
    # would discard the rest of it (vertical space vanishes there), as it did to part (a)
    needs = [float(x) for x in re.findall(r"\\needspace\{\\dimexpr ([\d.]+)cm \+ 6\\baselineskip\\relax\}", tex)]
    assert needs == spaces
    pages = pdf_text(results[("relu-2-2-2", "exam-paper")][0]).split("\f")
    first = [n for n, page in enumerate(pages, 1) if re.search(r"\(a\) \(4 points\)", page)]
    assert first == [2], first  # page 1 has no room left for (a) with its 7.7 cm: (a) starts page 2


@needs_tex
@needs_exam
@pytest.mark.parametrize("stem", [s for s in STEMS if "graph" in yaml.safe_load(
    (PROBLEMS_DIR / f"{s}.yaml").read_text(encoding="utf-8"))])
def test_graph_diagram_values_only_inside_a_solution(built, stem):
    """A graph key's diagram shows each node's value and gradient: in the exam class it is
    drawn inside a solution; the question's own drawing (names only) stands outside."""
    root, _ = built
    tex = (root / "exam" / f"{stem}.tex").read_text(encoding="utf-8")
    outside = re.sub(r"\\begin\{solution\}.*?\\end\{solution\}", "", tex, flags=re.S)
    assert "\\mid" not in outside and "\\begin{tikzpicture}" in outside
    assert has_diagram(yaml.safe_load((PROBLEMS_DIR / f"{stem}.yaml").read_text(encoding="utf-8")))


@needs_tex
@needs_exam
def test_half_points_in_the_exam_class_and_quarters_refused(tmp_path):
    # \part[1.5] stopped pdflatex ("perhaps a missing \item"), and \part[0.5] printed ".5" and
    # totalled 1000002 for 1000002.5: the exam class reads whole points and \half only
    spec = yaml.safe_load((PROBLEMS_DIR / "relu-2-2-2.yaml").read_text(encoding="utf-8"))
    spec["questions"][0]["points"], spec["questions"][1]["points"] = 1.5, 0.5
    problem = tmp_path / "halves.yaml"
    problem.write_text(yaml.safe_dump(spec), encoding="utf-8")
    r = cli("solve", problem, "-o", tmp_path / "o", "-f", "tex", "-f", "pdf", "--sheet", "questions",
            "--documentclass", "exam")
    assert r.exit_code == 0, r.output
    tex = (tmp_path / "o" / "halves-questions.tex").read_text(encoding="utf-8")
    assert re.findall(r"\\part\[([^\]]*)\]", tex) == ["1\\half", "\\half", "6", "8"]
    paper = " ".join(pdf_text(tmp_path / "o" / "halves-questions.pdf").split())
    assert "Total: 16 points" in paper and ".5" not in paper
    spec["questions"][0]["points"] = 0.25
    problem.write_text(yaml.safe_dump(spec), encoding="utf-8")
    r = cli("solve", problem, "-o", tmp_path / "q", "-f", "tex", "--documentclass", "exam")
    assert r.exit_code == 2 and not (tmp_path / "q").exists()
    assert r.stderr.strip() == (f"nnsolve: error: {problem}: questions[0].points: the exam class counts whole and "
                                "half points only (got 0.25); give points in halves, or use --documentclass article")


def test_a_question_without_a_statement_opens_with_given_not_the_diagram(tmp_path):
    # the exam class sets "1." beside a question's first line: under the diagram, before the
    # list of given values, when the problem has no statement (12 bundled problems)
    for stem, first in (("dropout", r"\question \textbf{Given}"), ("relu-2-2-2", r"\question Inputs $x_1 = 1$")):
        r = cli("solve", PROBLEMS_DIR / f"{stem}.yaml", "-o", tmp_path, "-f", "tex", "--sheet", "questions",
                "--documentclass", "exam")
        assert r.exit_code == 0, r.output
        lines = (tmp_path / f"{stem}-questions.tex").read_text(encoding="utf-8").splitlines()
        assert next(line for line in lines if line.startswith(r"\question")).startswith(first), stem
