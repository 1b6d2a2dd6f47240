"""nnsolve export read as each learning-management system reads it: the text between formulas
as MathJax sees it (the exports leave math as LaTeX for MathJax: Moodle's filter and Canvas load
MathJax 2 with ``\\( \\)``, ``\\[ \\]`` and ``$$ $$``; PrairieLearn MathJax 4 with ``$ $`` too),
and each package's own files."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
QTI21 = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
#: What stands for a dollar sign that is text: MathJax 2 (Moodle, Canvas) skips ``tex2jax_ignore``,
#: and PrairieLearn's MathJax skips ``mathjax_ignore`` (its ``ignoreHtmlClass``).
DOLLAR = '<span class="tex2jax_ignore mathjax_ignore">$</span>'


def export(problem: Path, target: str, out: Path, *more: str) -> Path:
    r = CliRunner().invoke(main, ["export", str(problem), "--to", target, "-o", str(out), *more],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return out


def moodle_html(path: Path) -> str:
    root = etree.parse(str(path)).getroot()
    return "\n".join(t.text for q in root.findall("question[@type='cloze']")
                     for t in (q.find("questiontext/text"), q.find("generalfeedback/text")))


def outside_math(page: str) -> str:
    """A page's text as MathJax searches it for delimiters: without its formulas and its
    ignored elements."""
    page = page.replace(DOLLAR, " ")
    return re.sub(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", " ", re.sub(r"<[^>]+>", " ", page), flags=re.S)


def test_text_between_formulas_is_what_latex_prints(tmp_path):
    """perceptron-or's key says "(step\\_at\\_zero, the default)": TeX's escape, right in the LaTeX
    and Markdown keys, reached every LMS with its backslashes, as the HTML key once did."""
    page = moodle_html(export(PROBLEMS / "perceptron-or.yaml", "moodle", tmp_path / "m") / "perceptron-or-moodle.xml")
    assert "(step_at_zero, the default)" in page and "\\_" not in outside_math(page)
    [server] = export(PROBLEMS / "perceptron-or.yaml", "prairielearn", tmp_path / "p").glob("perceptron-or-*/server.py")
    assert "(step_at_zero, the default)" in server.read_text(encoding="utf-8")


COSTS = r"""title: "Costs $5 and $10"
statement: |
  A price of \$3 -- or \$4 -- per unit~$u$, and $x_{\mathrm{step\_size}} = 2$.

  A second paragraph: step\_size \& 50\%.
graph:
  inputs: {x: 2}
  parameters: {w: 0.5}
  nodes: {L: x * w}
  output: L
questions:
  - {id: q1, title: "Question 1: $3 or $4", ask: [forward]}
"""


def test_a_dollar_that_is_text_is_no_formula(tmp_path):
    """Titles are plain text (the keys show "Costs $5 and $10" as written) and a statement's
    ``\\$3`` is a dollar sign: PrairieLearn's MathJax read "$3 or $" as a formula, Moodle's and
    Canvas's any "$$"; every export read "\\$3 -- or \\$" as the formula "3 -- or \\", and showed
    "--", "~", "\\&", "\\%" as typed, not as LaTeX prints them."""
    problem = tmp_path / "costs.yaml"
    problem.write_text(COSTS, encoding="utf-8")
    page = moodle_html(export(problem, "moodle", tmp_path / "m") / "costs-moodle.xml")
    assert (f"<p>A price of {DOLLAR}3 \u2013 or {DOLLAR}4 \u2013 per unit\u00a0\\(u\\), and "
            r"\(x_{\mathrm{step\_size}} = 2\).</p>" "\n"
            "<p>A second paragraph: step_size &amp; 50%.</p>") in page
    assert f"<h3>Question 1: {DOLLAR}3 or {DOLLAR}4</h3>" in page
    assert "$" not in outside_math(page)
    [pl] = export(problem, "prairielearn", tmp_path / "p").glob("costs-*")
    question = (pl / "question.html").read_text(encoding="utf-8")
    assert f"<h3>Question 1: {DOLLAR}3 or {DOLLAR}4</h3>" in question and "$" not in outside_math(question)
    quiz = etree.fromstring(zipfile.ZipFile(export(problem, "canvas", tmp_path / "c") / "costs-canvas.zip")
                            .read("q_costs/q_costs.xml"))
    texts = [m.text for m in quiz.iter("{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}mattext")]
    assert f"<p><strong>Question 1: {DOLLAR}3 or {DOLLAR}4</strong></p>" in texts[1]
    assert all("$" not in outside_math(t) for t in texts)
    files = zipfile.ZipFile(export(problem, "qti21", tmp_path / "q") / "costs-qti21.zip")
    item = etree.fromstring(files.read("item_costs.xml"))
    spans = [s for s in item.iter(f"{QTI21}span") if s.get("class") == "tex2jax_ignore mathjax_ignore"]
    assert [s.text for s in spans] == ["$"] * len(spans) and len(spans) >= 4


CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
CC = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


def test_each_item_of_a_pool_lists_its_own_images(tmp_path):
    """Each variant's item (QTI 2.1) or quiz (Canvas) listed the images of every variant in its
    manifest resource: an importer copying one item's files took the other students' diagrams
    too, keys among them. Each now lists the images its own HTML shows."""
    problem = PROBLEMS / "relu-2-2-2-variants.yaml"
    files = zipfile.ZipFile(export(problem, "qti21", tmp_path / "q", "--variants", "2", "--seed", "3")
                            / "relu-2-2-2-variants-qti21.zip")
    items = [r for r in etree.fromstring(files.read("imsmanifest.xml")).iter(f"{CP}resource")
             if r.get("type") == "imsqti_item_xmlv2p1"]
    assert len(items) == 2
    for r in items:
        shown = {i.get("src") for i in etree.fromstring(files.read(r.get("href"))).iter(f"{QTI21}img")}
        listed = {f.get("href") for f in r.iter(f"{CP}file")} - {r.get("href")}
        assert listed == shown and len(shown) == 2 and all(s in files.namelist() for s in shown)
    files = zipfile.ZipFile(export(problem, "canvas", tmp_path / "c", "--variants", "2", "--seed", "3")
                            / "relu-2-2-2-variants-canvas.zip")
    resources = {r.get("identifier"): r for r in etree.fromstring(files.read("imsmanifest.xml")).iter(f"{CC}resource")}
    quizzes = [r for r in resources.values() if r.get("type") == "imsqti_xmlv1p2"]
    assert len(quizzes) == 2
    for r in quizzes:
        quiz = etree.fromstring(files.read(r.get("href")))
        html = "".join(m.text for m in quiz.iter("{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}mattext"))
        shown = set(re.findall(r'<img src="([^"]+)"', html))
        listed = {resources[d.get("identifierref")].get("href") for d in r.iter(f"{CC}dependency")}
        assert listed == shown and len(shown) == 2 and all(s in files.namelist() for s in shown)
