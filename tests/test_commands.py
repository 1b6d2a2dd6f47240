"""The LaTeX commands problem text may use (:mod:`solver.problem.commands`): an allow-list,
refused otherwise in one line naming the file, the field and the command; every command the
bundled problems, the tests and the README use is on it, the README lists it as it is, and
each one compiles in a key's PDF (article and exam class)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from solver.cli import main
from solver.core.errors import ProblemError
from solver.problem.commands import COMMANDS, ENVIRONMENTS, PROSE, SYMBOLS, refused
from solver.problem.validation import validate

ROOT = Path(__file__).resolve().parent.parent
BASE = yaml.safe_load((ROOT / "problems" / "relu-2-2-2.yaml").read_text(encoding="utf-8"))
needs_tex = pytest.mark.skipif(not (shutil.which("latexmk") and shutil.which("pdflatex")),
                               reason="latexmk or pdflatex not installed")

_WHY = ("problem text uses only the LaTeX math and text commands that both the PDF and the exports' MathJax "
        "typeset (the README lists them)")
_ACTIVE = "the PDF has no links or styles, and a learning-management system's MathJax would act on it"
_ENVS = ("problem text uses only the math environments matrix, pmatrix, bmatrix, Bmatrix, vmatrix, Vmatrix, "
         "smallmatrix, cases, aligned, gathered and array")


def _error(field: str, text: str) -> str:
    """The one line validation gives ``text`` in ``field`` (statement, title, questions[0].text
    or questions[0].title) of relu-2-2-2, or "" when it is accepted."""
    data = dict(BASE, questions=[dict(q) for q in BASE["questions"]])
    if field.startswith("questions[0]."):
        data["questions"][0][field.split(".", 1)[1]] = text
    else:
        data[field] = text
    try:
        validate(data, "p.yaml")
    except ProblemError as exc:
        return str(exc)
    return ""


REFUSED = [
    ("statement", r"Read \input{/etc/passwd} here.", rf"p.yaml: statement: the command \input is not allowed: {_WHY}"),
    ("statement", r"$\immediate\write18{rm -rf x}$",
     rf"p.yaml: statement: the command \immediate is not allowed: {_WHY}"),
    ("statement", r"\def\x{1}", rf"p.yaml: statement: the command \def is not allowed: {_ACTIVE}"),
    ("statement", r"$\href{javascript:alert(1)}{x}$", rf"p.yaml: statement: the command \href is not allowed: {_ACTIVE}"),
    ("statement", r"$\bbox[red]{x}$", rf"p.yaml: statement: the command \bbox is not allowed: {_ACTIVE}"),
    ("statement", r"$\unicode{x263A}$", rf"p.yaml: statement: the command \unicode is not allowed: {_ACTIVE}"),
    ("statement", r"$\mmlToken{mi}{x}$", rf"p.yaml: statement: the command \mmlToken is not allowed: {_ACTIVE}"),
    ("statement", r"$\texttip{x}{tip}$", rf"p.yaml: statement: the command \texttip is not allowed: {_ACTIVE}"),
    ("statement", r"$\toggle{a}{b}\endtoggle$", rf"p.yaml: statement: the command \toggle is not allowed: {_ACTIVE}"),
    ("statement", r"$\fbox{x}$", rf"p.yaml: statement: the command \fbox is not allowed: {_WHY}"),
    ("statement", r"$\sigam(z)$", rf"p.yaml: statement: the command \sigam is not allowed (did you mean \sigma?): {_WHY}"),
    ("statement", r"$\hrefx$", rf"p.yaml: statement: the command \hrefx is not allowed: {_WHY}"),
    ("statement", r"$\\\data{x=1}{y}$", rf"p.yaml: statement: the command \data is not allowed: {_ACTIVE}"),
    ("statement", r"Schr\"odinger", r"p.yaml: statement: the command \" is not allowed: write the accented letter "
                                    r"itself (ö)"),
    ("statement", r"\[ x \]", r"p.yaml: statement: the command \[ is not allowed: write display math as $$…$$"),
    ("statement", "ends in \\", r"p.yaml: statement: the command \ at the end is not allowed: " + _WHY),
    ("statement", r"\begin{itemize} \end{itemize}",
     rf"p.yaml: statement: the environment 'itemize' (\begin) is not allowed: {_ENVS}"),
    ("statement", r"$\begin{matrix} a \end{document}$",
     rf"p.yaml: statement: the environment 'document' (\end) is not allowed: {_ENVS}"),
    ("statement", r"\begin x", rf"p.yaml: statement: the environment with no name in braces (\begin) is not allowed: {_ENVS}"),
    ("statement", r"$\begin{ matrix} a \end{ matrix}$",
     rf"p.yaml: statement: the environment ' matrix' (\begin) is not allowed: {_ENVS}"),
    ("statement", r"$x^^5cinput{y}$", "p.yaml: statement: the characters ^^ are not allowed: TeX reads ^^ and two "
                                      "hex digits as another character (^^5c is a backslash)"),
    ("title", r"T \input{/etc/passwd}", rf"p.yaml: title: the command \input is not allowed: {_WHY}"),
    ("title", r"Net $\style{color:red}{x}$", rf"p.yaml: title: the command \style is not allowed: {_ACTIVE}"),
    ("questions[0].text", r"Use $\require{action}$.",
     rf"p.yaml: questions[0].text: the command \require is not allowed: {_ACTIVE}"),
    ("questions[0].title", r"Q \relax", rf"p.yaml: questions[0].title: the command \relax is not allowed: {_WHY}"),
]


@pytest.mark.parametrize("field, text, line", REFUSED, ids=[f"{f}-{t[:24]}" for f, t, _ in REFUSED])
def test_a_command_not_on_the_list_is_refused_in_one_line(field, text, line):
    assert _error(field, text) == line


ACCEPTED = [
    ("statement", r"$z = \mathbf{W}\boldsymbol{x} + b$, $\hat{y} = \sigma(z)$, $\frac{\partial L}{\partial w_{3}}$"),
    ("statement", r"$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}$ and $\begin{pmatrix} a \\ b \end{pmatrix}$"),
    ("statement", r"$$\begin{aligned} h &= \tanh\left(W^\top x\right) \\ \operatorname{ReLU}(z) &= \max(0, z) "
                  r"\end{aligned}$$"),
    ("statement", r"$f(x) = \begin{cases} x & x \geq 0 \\ 0.01x & x < 0 \end{cases}$, $x \in \mathbb{R}^{2}$"),
    ("statement", r"$\nabla_{W} L \odot M$, $W^\intercal$, $\lVert w \rVert_2^2$, $\ldots$, $a \leq b$, $\exp(-x)$"),
    ("statement", r"\emph{Note}: 50\% of \textbf{all} \$ and \& and a\_b, \# \{ \} ~ ``quoted'' \texttt{code}\\ next"),
    ("statement", "Spacing: $a\\,b\\;c\\:d\\!e\\ f$ \\quad \\qquad \\\n next line"),
    # "\\data" is a row break and the word "data", not MathJax's \data
    ("statement", r"$\begin{array}{c} x \\data \end{array}$"),
    ("title", r"Backprop: $\hat{y}$ and 50\% of $\alpha$"),
    ("questions[0].text", r"Compute $\frac{\partial L}{\partial w_{1}}$ for $\eta = 0.1$."),
    ("questions[0].title", r"Question 1: $\sigma(z)$"),
]


@pytest.mark.parametrize("field, text", ACCEPTED, ids=[f"{f}-{t[:24]}" for f, t in ACCEPTED])
def test_the_commands_an_instructor_writes_are_accepted(field, text):
    assert _error(field, text) == ""


def _problem_texts(data, path=()) -> list[str]:
    if isinstance(data, dict):
        return [t for k, v in data.items() for t in _problem_texts(v, (*path, k))]
    if isinstance(data, list):
        return [t for v in data for t in _problem_texts(v, path)]
    return [data] if isinstance(data, str) and path and path[-1] in ("title", "statement", "text") else []


def test_every_command_the_bundled_problems_use_is_allowed():
    files = sorted((ROOT / "problems").glob("*.yaml")) + sorted((ROOT / "tests" / "problems").glob("*.yaml"))
    texts = [t for f in files for t in _problem_texts(yaml.safe_load(f.read_text(encoding="utf-8")))]
    used = {m for t in texts for m in re.findall(r"\\([A-Za-z]+)", t)}
    assert {"frac", "partial", "operatorname", "lVert", "mathcal", "tfrac", "backslash", "leftarrow"} <= used
    assert [(t, refused(t)) for t in texts if refused(t)] == []


def _readme_list() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("<!-- commands:")
    return text[start:text.index("\n\n", start)]


def test_the_readme_lists_the_allowed_commands_as_they_are():
    listed = _readme_list()
    names = set(re.findall(r"`\\([A-Za-z]+)`", listed)) - {"begin", "end"}
    assert names == COMMANDS - {"begin", "end"}
    envs = re.search(r"environments .*?: (.*?)\n- prose", listed, re.S).group(1)
    assert re.findall(r"`(\w+)`", envs) == list(ENVIRONMENTS)
    assert PROSE == set(re.findall(r"`\\(\w+)`", listed.split("- prose:")[1].split("\n")[0]))


def test_a_refused_command_writes_nothing_and_exits_2(tmp_path):
    data = dict(BASE, statement=r"See \input{notes}.")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    r = CliRunner().invoke(main, ["solve", str(tmp_path / "p.yaml"), "-o", str(tmp_path / "out")])
    assert r.exit_code == 2
    assert r.stderr == f"nnsolve: error: {tmp_path / 'p.yaml'}: statement: the command \\input is not allowed: {_WHY}\n"
    assert not (tmp_path / "out").exists()


ONE = {"mathbf", "mathrm", "mathit", "mathsf", "mathtt", "mathcal", "mathbb", "mathfrak", "boldsymbol",
       "operatorname", "text", "mbox", "sqrt", "hat", "widehat", "bar", "overline", "tilde", "widetilde", "vec",
       "dot", "ddot", "check", "underline", "overbrace", "underbrace", "phantom", "substack"} | PROSE
TWO = {"frac", "dfrac", "tfrac", "binom", "dbinom", "tbinom", "overset", "underset", "stackrel"}


def _in_math(c: str) -> str:
    """``\\c`` used as math uses it."""
    if c in ONE:
        return rf"\{c}{{A}}"
    if c in TWO:
        return rf"\{c}{{a}}{{b}}"
    if c.startswith(("big", "Big")):
        base = c.rstrip("lr") if c[-1] in "lr" else c
        return rf"\{base}l( x \{base}r)" if c[-1] in "lr" else rf"\{c}( x \{c})"
    special = {"left": r"\left( x \middle| y \right)", "right": r"\left( x \right)", "middle": r"\left( x \middle| y \right)",
               "limits": r"\sum\limits_{i} x_i", "nolimits": r"\sum\nolimits_{i} x_i", "pmod": r"a \equiv b \pmod{3}",
               "not": r"a \not= b", "displaystyle": r"{\displaystyle x}", "textstyle": r"{\textstyle x}",
               "hline": r"\begin{array}{c} a \\ \hline b \end{array}", "begin": "", "end": ""}
    return special.get(c, rf"a \{c} b")


def every_command() -> str:
    """A statement that uses every allowed command, environment and control symbol."""
    math = [_in_math(c) for c in sorted(COMMANDS)]
    math += [rf"\begin{{{e}}} a & b \\ c & d \end{{{e}}}" for e in ENVIRONMENTS if e not in ("array", "gathered")]
    math += [r"\begin{array}{cc} a & b \\ c & d \end{array}", r"\begin{gathered} a \\ b \end{gathered}"]
    math += [rf"a \{s} b" for s in sorted(SYMBOLS - set("\\\n\t"))]
    prose = [rf"\{c}{{word}}" for c in sorted(PROSE)] + [r"a \% b \$ c \& d \_ e \# f \{ g \} h\, i\\ j"]
    return " ".join(f"${m}$" for m in math if m) + "\n\n" + " ".join(prose)


@needs_tex
@pytest.mark.parametrize("documentclass", ["article", "exam"])
def test_every_allowed_command_compiles_in_a_key(tmp_path, documentclass):
    statement = every_command()
    assert refused(statement) is None
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(dict(BASE, statement=statement)), encoding="utf-8")
    r = CliRunner().invoke(main, ["solve", str(tmp_path / "all.yaml"), "-o", str(tmp_path / "out"), "-f", "pdf",
                                  "--documentclass", documentclass])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "all.pdf").read_bytes().startswith(b"%PDF")
