"""PDFs an instructor hands out: ``nnsolve solve ... -f pdf``, question sheets, the exam
class, diagrams, and LaTeX that must not escape its sandbox.

Tests that build PDFs need latexmk, pdflatex and pdftotext; they are skipped (with the
reason) where those are missing, unless ``NNSOLVE_REQUIRE_TEX=1`` (CI), where they must run.
Each document is compiled once: the bundled problems are built in one module-scoped CLI run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tex_build import raw_tex_templates

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS_DIR = ROOT / "problems"
PROBLEMS = sorted(PROBLEMS_DIR.glob("*.yaml"))
STEMS = [p.stem for p in PROBLEMS]


def has_diagram(problem: dict) -> bool:
    """A problem with a network or graph is drawn (and lists what is given); one whose
    questions only ask for counts, shapes or derivations over an architecture is not."""
    return "network" in problem or "graph" in problem


SPECS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in PROBLEMS}
DIAGRAM_STEMS = [s for s in STEMS if has_diagram(SPECS[s])]
NO_DIAGRAM_STEMS = [s for s in STEMS if not has_diagram(SPECS[s])]
NUMERIC_ASKS = {"forward", "loss", "gradients", "update", "train", "perceptron", "delta_rule"}
CHECK_MARK = "\u2713"  # ✓, as pdftotext gives \checkmark
#: what pdftotext makes of each bundled derivation's claim (its right-hand side), e.g.
#: "P (y = i) − yi" for P(y=i) - y_i
DERIVATION_CLAIMS = {
    "softmax_ce": r"P\s*\(\s*y\s*=\s*i\s*\)\s*-\s*y\s*i",
    "softmax_jacobian": r"P\s*j\s*\(\s*δ\s*ij\s*-\s*P\s*i\s*\)",
}

REQUIRE_TEX = os.environ.get("NNSOLVE_REQUIRE_TEX") == "1"
MISSING_TOOLS = [t for t in ("latexmk", "pdflatex", "pdftotext") if not shutil.which(t)]
needs_tex = pytest.mark.skipif(
    bool(MISSING_TOOLS) and not REQUIRE_TEX,
    reason=f"{', '.join(MISSING_TOOLS)} not installed (Debian: apt-get install latexmk texlive-latex-base "
           "texlive-latex-recommended texlive-pictures poppler-utils); NNSOLVE_REQUIRE_TEX=1 makes this a failure")


def _kpsewhich(name: str) -> str:
    exe = shutil.which("kpsewhich")
    if not exe:
        return ""
    return subprocess.run([exe, name], capture_output=True, text=True, timeout=60).stdout.strip()


HAVE_EXAM = bool(_kpsewhich("exam.cls")) if not MISSING_TOOLS else False
needs_exam = pytest.mark.skipif(
    not HAVE_EXAM and not REQUIRE_TEX,
    reason=("TeX is not installed" if MISSING_TOOLS else "kpsewhich exam.cls finds nothing")
    + " (the exam class; Debian: apt-get install texlive-latex-extra); NNSOLVE_REQUIRE_TEX=1 makes this a failure")


# -- helpers --------------------------------------------------------------------------------

def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2+ keeps stderr apart by itself
        return CliRunner()


def cli(*args):
    """Run ``nnsolve`` in-process; the result has exit_code, stdout and stderr apart."""
    return _runner().invoke(main, [str(a) for a in args])


def pdf_text(path: Path) -> str:
    """The text of a PDF, with U+2212 (pdftotext's minus) as an ASCII hyphen-minus."""
    run = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                         timeout=60, check=True)
    return run.stdout.replace("\u2212", "-")


def has_number(text: str, num: str) -> bool:
    """Whether ``num`` occurs in ``text`` as a whole number (``0.4`` is not in ``0.41``, and a
    positive ``0.36`` is not found in ``-0.36``)."""
    num = num.replace("\u2212", "-")
    before = r"(?<![\d.])" if num.startswith("-") else r"(?<![\d.\-])"
    return re.search(before + re.escape(num) + r"(?!\d)", text.replace("\u2212", "-")) is not None


def has_magnitude(text: str, num: str) -> bool:
    """Whether the digits of ``num`` occur in ``text`` with either sign (the strict test of absence)."""
    mag = num.replace("\u2212", "-").lstrip("-")
    return re.search(r"(?<![\d.])" + re.escape(mag) + r"(?!\d)", text.replace("\u2212", "-")) is not None


def flat(text: str) -> str:
    """Whitespace made single spaces, and TeX's typographic apostrophe (’) the typed one."""
    return " ".join(text.replace("\u2019", "'").split())


def elements(answer: dict) -> list[dict]:
    """An answer, or a tensor's answer as one answer per element (its value and display)."""
    if "shape" not in answer:
        return [answer]

    def flat(v):
        return [x for item in v for x in flat(item)] if isinstance(v, list) else [v]
    return [dict(answer, value=v, display=d) for v, d in zip(flat(answer["value"]), flat(answer["display"]))]


def final_answers(data: dict) -> list[dict]:
    """A few final answers of an answers JSON: the first and last of each kind (loss,
    gradient, value, update), not the intermediate (upstream) ones."""
    answers = [e for q in data["questions"] for a in q["answers"] if not a.get("upstream") for e in elements(a)
               if re.fullmatch(r"-?\d+(\.\d+)?", e["display"].replace("\u2212", "-"))]
    picked: dict[str, dict] = {}
    for kind in ("loss", "gradient", "value", "update"):
        of_kind = [a for a in answers if a["kind"] == kind]
        for a in of_kind[:2] + of_kind[-1:]:
            picked.setdefault(a["display"], a)
    return list(picked.values())


def shows_shape(text: str, display: str) -> bool:
    """Whether a shape answer (``16 \\times 32 \\times 32``) occurs in a PDF's text, where
    pdftotext gives ``16 × 32 × 32``."""
    sizes = display.split(r" \times ")
    return re.search(r"(?<![\d.])" + r"\s*×\s*".join(map(re.escape, sizes)) + r"(?!\d)", text) is not None


def structural_answers(data: dict, kind: str) -> list[dict]:
    return [a for q in data["questions"] for a in q["answers"] if a["kind"] == kind]


def secret_counts(data: dict, source: str) -> list[dict]:
    """Parameter counts a question sheet must not show: non-zero, and not written in the
    problem file (with or without the thousands separator)."""
    return [a for a in structural_answers(data, "count") if a["value"] > 0
            and not has_magnitude(source, a["display"]) and not has_magnitude(source, a["display"].replace(",", ""))]


def secret_shapes(data: dict, source: str) -> list[dict]:
    """Output shapes of several axes a question sheet must not show (unless the file
    writes them, as the input image's)."""
    return [a for a in structural_answers(data, "shape") if len(a["value"]) > 1 and a["display"] not in source]


def secret_answers(data: dict, source: str) -> list[dict]:
    """Final answers a question sheet must not show: decimals whose digits do not occur in
    the problem file (so they are not also given values)."""
    return [a for a in final_answers(data) if "." in a["display"] and not has_magnitude(source, a["display"])]


def given_numbers(problem: dict) -> list[str]:
    """The weights (or a graph's parameters) of a problem file, as they are written."""
    values: list = []

    def walk(x):
        if isinstance(x, list):
            for y in x:
                walk(y)
        else:
            values.append(x)

    if "network" in problem:
        for layer in problem["network"]["layers"]:
            walk(layer.get("weights", []))
            for gate in layer.get("gates", {}).values():  # an LSTM's or a GRU's, per gate
                walk(gate.get("weights", []))
    else:  # its parameters, or its inputs when it has none (the attention problem's Q, K, V)
        for value in (problem["graph"].get("parameters") or problem["graph"]["inputs"]).values():
            walk(value)
    # a whole number is shown as one (0.0 as 0, as the key writes it)
    return [repr(int(v)) if float(v).is_integer() else repr(v) for v in values
            if isinstance(v, (int, float)) and not isinstance(v, bool) and "e" not in repr(v)]


def tikz_of(tex: str) -> str:
    """The first tikzpicture of a LaTeX document (the diagram; plots come later)."""
    m = re.search(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", tex, re.S)
    assert m, "no tikzpicture in the .tex"
    return m.group(0)


def problem_file(path: Path, **changes) -> Path:
    """A small one-layer network problem, with ``changes`` applied."""
    data = {
        "title": "A tiny network",
        "statement": "A linear neuron.",
        "precision": 4,
        "network": {"inputs": {"x1": 1, "x2": 2}, "orientation": "Wx", "naming": "sequential",
                    "layers": [{"units": 1, "activation": "linear", "weights": [[0.25, 0.5]], "bias": 0.125}]},
        "questions": [{"id": "q1", "title": "Question 1", "ask": ["forward"]}],
    }
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("nnsolve: error:")]



# -- 1. every bundled problem: key and question sheet as PDFs, in one run -----------------------

@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """One CLI run on the folder ``problems/``: keys and question sheets as PDFs, plus the
    answers JSON of the same run."""
    out = tmp_path_factory.mktemp("bundled") / "out"
    result = cli("solve", PROBLEMS_DIR, "--sheet", "both", "-f", "pdf", "-f", "json", "-o", out)
    assert result.exit_code == 0, result.stderr
    return out, result


@needs_tex
def test_folder_run_writes_every_pdf_and_nothing_else(bundled):
    out, result = bundled
    expected = {f"{s}{suffix}" for s in STEMS for suffix in (".pdf", "-questions.pdf", ".json")}
    assert {p.name for p in out.iterdir()} == expected  # no .log, .aux, temporary files
    assert sorted(result.stdout.splitlines()) == sorted(f"wrote {out / n}" for n in expected)
    umask = os.umask(0)
    os.umask(umask)
    for name in expected:
        if name.endswith(".pdf"):
            assert (out / name).read_bytes().startswith(b"%PDF"), name
        # an ordinary file (0666 less the umask), not mkstemp's private 0600: it is handed out
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~umask, (name, oct((out / name).stat().st_mode))
    # several PDFs: a progress bar on stderr, and no error
    assert "Building PDFs" in result.stderr
    assert "error" not in result.stderr


@needs_tex
@pytest.mark.parametrize("stem", STEMS)
def test_key_pdf_holds_the_final_answers(bundled, stem):
    out, _ = bundled
    data = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    text = pdf_text(out / f"{stem}.pdf")
    assert "answer key" in text
    answers = final_answers(data)
    # numeric answers wherever a question asks for numbers (not for counts, shapes, derivations)
    assert bool(answers) == any(set(q["ask"]) & NUMERIC_ASKS for q in SPECS[stem]["questions"])
    missing = [(a["kind"], a["of"], a["display"]) for a in answers if not has_number(text, a["display"])]
    assert not missing, f"{stem}.pdf lacks these answers: {missing}"
    # parameter counts as the key prints them (557{,}057 -> "557,057") and output shapes (16 × 32 × 32)
    missing = [(a["of"], a["display"]) for a in structural_answers(data, "count") if not has_number(text, a["display"])]
    missing += [(a["of"], a["display"]) for a in structural_answers(data, "shape") if not shows_shape(text, a["display"])]
    assert not missing, f"{stem}.pdf lacks these counts or shapes: {missing}"
    if stem in ("parameter-count", "seed-004"):  # seed 004, T3: the 30-1024-512-1 network
        assert has_number(text, "557,057")
    # derivations: the claim in the final answers, every step checked (no step unverified)
    derivations = structural_answers(data, "derivation")
    finals = [text[m.end():m.end() + 300] for m in re.finditer("Final answers", text)]
    for a in derivations:
        assert any(re.search(DERIVATION_CLAIMS[a["of"]], f) for f in finals), (a["of"], finals)
    if derivations:
        from solver.key.derivations import DERIVATIONS
        assert all(a["verified"] for a in derivations)
        assert text.count(CHECK_MARK) == sum(len(DERIVATIONS[a["of"]]().steps) - 1 for a in derivations)
        assert "Proof" in text and "checked by sympy" in text and "not verified" not in text
    else:
        assert CHECK_MARK not in text


@needs_tex
@pytest.mark.parametrize("stem", STEMS)
def test_question_sheet_pdf_has_the_givens_and_no_answers(bundled, stem):
    out, _ = bundled
    source = (PROBLEMS_DIR / f"{stem}.yaml").read_text(encoding="utf-8")
    problem = yaml.safe_load(source)
    text = pdf_text(out / f"{stem}-questions.pdf")
    assert flat(problem["title"]) in flat(text)
    assert "answer key" not in text and "Final answers" not in text
    assert "Asked" in text
    data = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    if has_diagram(problem):
        assert re.search(r"^Given$", text, re.M)
        givens = given_numbers(problem)
        assert givens
        absent = [g for g in givens if not has_number(text, g)]
        assert not absent, f"{stem}-questions.pdf lacks the given values {absent}"
        secrets = secret_answers(data, source)
        rules = {a for q in problem["questions"] for a in q["ask"]} <= {"perceptron", "delta_rule"}
        if rules:  # a learning rule's weights move on the problem's own 0.1 grid: none is a new decimal
            assert "Every presentation" not in text and "Converged" not in text and "mistakes" not in text
        else:
            assert secrets, "no answer to look for: pick others"
        leaked = [(a["kind"], a["of"], a["display"]) for a in secrets if has_magnitude(text, a["display"])]
        assert not leaked, f"{stem}-questions.pdf shows answers: {leaked}"
    else:  # counts, shapes and derivations only: no Given section (and no numeric answers)
        assert not re.search(r"^Given$", text, re.M)
        assert not final_answers(data)
    asks = {a for q in problem["questions"] for a in q["ask"]}
    counts = secret_counts(data, source)
    assert bool(counts) == ("count" in asks)
    leaked = [(a["of"], a["display"]) for a in counts
              if has_magnitude(text, a["display"]) or has_magnitude(text, a["display"].replace(",", ""))]
    shapes = secret_shapes(data, source)
    assert bool(shapes) == ("shapes" in asks)
    leaked += [(a["of"], a["display"]) for a in shapes if shows_shape(text, a["display"])]
    assert not leaked, f"{stem}-questions.pdf shows counts or shapes: {leaked}"
    assert CHECK_MARK not in text  # no derivation's checked steps
    if "derive" in asks:
        assert "verified" not in text.lower() and "sympy" not in text and "Proof" not in text
        assert "Asked: a derivation" in flat(text)


# -- 2. hostile text ----------------------------------------------------------------------------

@needs_tex
@pytest.mark.parametrize("tail", ["", r" \undefinedmacro"], ids=["builds", "then-fails"])
def test_write18_runs_no_command(tmp_path, monkeypatch, tail):
    monkeypatch.chdir(tmp_path)
    statement = (r"Before \immediate\write18{touch pwned}"
                 rf"\immediate\write18{{touch {tmp_path}/pwned-abs}} after." + tail)
    problem_file(tmp_path / "w18.yaml")
    templates = raw_tex_templates(tmp_path / "templates", statement)
    result = cli("solve", "w18.yaml", "-f", "pdf", "-o", "out", "--templates", templates)
    assert result.exit_code in (0, 1), result.stderr
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith("pwned")]
    assert not (ROOT / "pwned").exists()
    if tail:  # the log is kept: TeX saw the \write18 and refused it
        assert result.exit_code == 1
        log = (tmp_path / "out" / "w18.log").read_text(encoding="utf-8", errors="replace")
        assert "runsystem(touch pwned)...disabled" in log
    else:
        assert result.exit_code == 0, result.stderr
        assert "Before after." in flat(pdf_text(tmp_path / "out" / "w18.pdf"))


@needs_tex
@pytest.mark.parametrize("statement", [
    r'Before \input{|"touch {dir}/pwned-pipe"} after.',
    r'Before \input|"touch {dir}/pwned-pipe" after.',
    r"\immediate\openout5={dir}/pwned-out.tex\immediate\write5{{x}}\immediate\closeout5 after.",
], ids=["input-pipe-braced", "input-pipe", "openout-absolute"])
def test_pipes_and_writes_outside_are_refused(tmp_path, monkeypatch, statement):
    monkeypatch.chdir(tmp_path)
    problem_file(tmp_path / "p.yaml")
    templates = raw_tex_templates(tmp_path / "templates",
                                  statement.replace("{dir}", str(tmp_path)).replace("{{x}}", "{x}"))
    result = cli("solve", "p.yaml", "-f", "pdf", "-o", "out", "--templates", templates)
    assert result.exit_code in (0, 1), result.stderr
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith("pwned")]


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("secret") / "secret.tex"
    path.write_text("SECRETMARKER42 the instructor's private notes\n", encoding="utf-8")
    return path


@needs_tex
@pytest.mark.parametrize("which", ["etc-passwd", "absolute-tex-file"])
def test_input_outside_the_build_folder_fails(tmp_path, monkeypatch, secret_file, which):
    if which == "etc-passwd":
        if not Path("/etc/passwd").is_file():
            pytest.skip("this system has no /etc/passwd")
        target, marker = "/etc/passwd", Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    else:
        target, marker = str(secret_file), "SECRETMARKER42"
    assert marker.strip()
    monkeypatch.chdir(tmp_path)
    problem_file(tmp_path / "leak.yaml")
    templates = raw_tex_templates(tmp_path / "templates", rf"Here: \input{{{target}}} end.")
    result = cli("solve", "leak.yaml", "-f", "pdf", "-o", "out", "--templates", templates)
    for pdf in tmp_path.rglob("*.pdf"):
        assert marker not in pdf_text(pdf), pdf
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("nnsolve: error: ") and "LaTeX" in lines[0], lines[0]
    assert target.rsplit("/", 1)[-1].split(".")[0] in lines[0], lines[0]  # names the file it refused
    log = tmp_path / "out" / "leak.log"
    assert str(Path("out") / "leak.log") in lines[0]
    assert log.is_file()
    assert marker not in log.read_text(encoding="utf-8", errors="replace")  # never read
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["leak.log"]


# (\input and \relax are refused in a title now, tests/test_commands.py; an allowed command is
# escaped as text all the same)
HOSTILE_TITLE = r"T \textbf{/etc/passwd} {}$&%#_^~ end"
HOSTILE_QUESTION = r"Q: 50% of $x & y_2 #1 ~ ^ \\ {} \emph{x}"


@needs_tex
@pytest.mark.parametrize("documentclass", [
    "article", pytest.param("exam", marks=needs_exam)])
def test_titles_are_escaped(tmp_path, documentclass):
    path = problem_file(tmp_path / "title.yaml", title=HOSTILE_TITLE, statement="Plain.",
                        questions=[{"id": "q1", "title": HOSTILE_QUESTION, "ask": ["forward"]}])
    out = tmp_path / "out"
    result = cli("solve", path, "--sheet", "both", "--documentclass", documentclass, "-f", "pdf", "-o", out)
    assert result.exit_code == 0, result.stderr
    for name in ("title.pdf", "title-questions.pdf"):
        text = flat(pdf_text(out / name))
        assert HOSTILE_TITLE in text, (name, text[:300])
        assert HOSTILE_QUESTION in text, (name, text[:600])
        assert "root:" not in text


# -- 3. a LaTeX error ---------------------------------------------------------------------------

@needs_tex
@pytest.mark.parametrize("statement, tex, message", [
    ("Plain.", r"\undefinedmacro", "Undefined control sequence"),  # from a template: problem text cannot hold it
    (r"An unbalanced $x", "", "Missing $ inserted"),
], ids=["undefined-macro", "unbalanced-dollar"])
def test_latex_error_writes_only_the_log(tmp_path, statement, tex, message):
    path = problem_file(tmp_path / "broken.yaml", statement=statement)
    out = tmp_path / "out"
    templates = ("--templates", raw_tex_templates(tmp_path / "templates", tex)) if tex else ()
    result = cli("solve", path, "--sheet", "both", "-f", "pdf", "-f", "md", "-f", "tex", "-f", "json", "-o", out,
                 *templates)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    errors = error_lines(result.stderr)
    assert len(errors) == 1, result.stderr
    assert all(line == errors[0] or not line.strip() or line.startswith("Building PDFs") for line in lines), lines
    assert message in errors[0], errors[0]
    assert str(out / "broken.log") in errors[0], errors[0]
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["broken.log"]  # no PDF, no md/tex/json/svg
    assert message in (out / "broken.log").read_text(encoding="utf-8", errors="replace")


@needs_tex
def test_latex_error_in_a_single_document_is_exactly_one_stderr_line(tmp_path):
    path = problem_file(tmp_path / "broken.yaml")
    out = tmp_path / "out"
    result = cli("solve", path, "-f", "pdf", "-o", out, "--templates",
                 raw_tex_templates(tmp_path / "templates", r"\undefinedmacro"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnsolve: error:"), lines
    assert "Undefined control sequence" in lines[0] and str(out / "broken.log") in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["broken.log"]


@needs_tex
def test_latex_error_in_a_folder_writes_the_good_problems_only(tmp_path):
    """A LaTeX error in one problem of a folder: that problem writes its log and nothing
    else (no PDF, no Markdown); the good problem is written whole; exit code 1."""
    folder = tmp_path / "set"
    folder.mkdir()
    problem_file(folder / "a-good.yaml")
    problem_file(folder / "b-bad.yaml", statement=r"An unbalanced $x")  # allowed text, broken LaTeX
    out = tmp_path / "out"
    result = cli("solve", folder, "-f", "pdf", "-f", "md", "-o", out)
    assert result.exit_code == 1
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "b-bad" in errors[0] and str(out / "b-bad.log") in errors[0], result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-good-diagram.svg", "a-good.md", "a-good.pdf", "b-bad.log"]


# -- 4. no TeX on the PATH ----------------------------------------------------------------------

def _run_without_tex(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(sys.executable)
    env = dict(os.environ, PATH=str(bin_dir),
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in sys.path if p and Path(p).is_dir()]))
    env.pop("NNSOLVE_DEBUG", None)
    return subprocess.run([str(bin_dir / "python"), "-m", "solver", *map(str, args)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_pdf_without_tex_says_what_to_install(tmp_path):
    run = _run_without_tex(tmp_path, "solve", PROBLEMS_DIR / "relu-2-2-2.yaml", "-f", "pdf", "-f", "md",
                           "-o", "out")
    assert run.returncode != 0
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    line = lines[0]
    assert line.startswith("nnsolve: error:"), line
    assert "latexmk" in line
    for package in ("texlive-latex-base", "texlive-latex-recommended", "texlive-pictures"):
        assert package in line, (package, line)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_md_and_tex_work_without_tex(tmp_path):
    run = _run_without_tex(tmp_path, "solve", PROBLEMS_DIR / "relu-2-2-2.yaml", "--sheet", "both",
                           "-f", "md", "-f", "tex", "-o", "out")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"relu-2-2-2.md", "relu-2-2-2.tex", "relu-2-2-2-questions.md", "relu-2-2-2-questions.tex",
            "relu-2-2-2-diagram.svg", "relu-2-2-2-questions-diagram.svg"} == names


# -- 5. the exam class --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exam(tmp_path_factory):
    out = tmp_path_factory.mktemp("exam") / "out"
    path = PROBLEMS_DIR / "relu-2-2-2.yaml"
    result = cli("solve", path, "--documentclass", "exam", "--sheet", "both", "-f", "pdf", "-f", "tex", "-f", "json",
                 "-o", out)
    assert result.exit_code == 0, result.stderr
    data = json.loads((out / "relu-2-2-2.json").read_text(encoding="utf-8"))
    return out, data, path.read_text(encoding="utf-8")


@needs_tex
@needs_exam
def test_exam_key_compiles_with_solutions(exam):
    out, data, _ = exam
    assert r"\documentclass[11pt,addpoints]{exam}" in (out / "relu-2-2-2.tex").read_text(encoding="utf-8")
    text = pdf_text(out / "relu-2-2-2.pdf")
    assert "Solution" in text
    answers = final_answers(data)
    missing = [a["display"] for a in answers if not has_number(text, a["display"])]
    assert not missing, missing
    for display in ("0.2977", "-0.052", "-0.36", "0.5847"):
        assert has_number(text, display), display


@needs_tex
@needs_exam
def test_exam_question_sheet_pdf_holds_no_answers(exam):
    out, data, source = exam
    assert r"\documentclass[11pt,addpoints]{exam}" in (out / "relu-2-2-2-questions.tex").read_text(encoding="utf-8")
    text = pdf_text(out / "relu-2-2-2-questions.pdf")
    assert "Solution" not in text
    assert "A 2-2-2 ReLU network" in text and "Asked" in text
    secrets = secret_answers(data, source)
    assert len(secrets) >= 3
    leaked = [a["display"] for a in secrets if has_magnitude(text, a["display"])]
    assert not leaked, leaked


@needs_tex
@needs_exam
def test_exam_question_sheet_tex_holds_no_answers(exam):
    """The sheet is ``<stem>-questions.{md,tex,pdf}`` with no answers: the .tex handed out
    (or shared on Overleaf) must not carry the solutions either."""
    out, data, source = exam
    tex = (out / "relu-2-2-2-questions.tex").read_text(encoding="utf-8")
    # answers with three or more decimals: a tikz coordinate such as 0.5 is not an answer
    secrets = [a for a in secret_answers(data, source) if re.search(r"\.\d{3}", a["display"])]
    assert len(secrets) >= 3
    leaked = [a["display"] for a in secrets if has_magnitude(tex, a["display"])]
    assert not leaked, f"relu-2-2-2-questions.tex (exam class) holds the answers {leaked}"
    # only the answer space: every solution environment is empty
    assert tex.count(r"\begin{solution}") == 4
    assert not re.search(r"\\begin\{solution\}\[[\d.]+cm\]\n(?!\\end\{solution\})", tex)


# -- 6. Markdown and its SVG diagrams -----------------------------------------------------------

@pytest.fixture(scope="module")
def md_tex(tmp_path_factory):
    """Markdown and LaTeX keys and sheets of every bundled problem (no TeX needed)."""
    out = tmp_path_factory.mktemp("mdtex") / "out"
    result = cli("solve", PROBLEMS_DIR, "--sheet", "both", "-f", "md", "-f", "tex", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return out


@pytest.mark.parametrize("stem", STEMS)
def test_markdown_links_its_diagrams(md_tex, stem):
    out = md_tex
    key = (out / f"{stem}.md").read_text(encoding="utf-8")
    sheet = (out / f"{stem}-questions.md").read_text(encoding="utf-8")
    if stem in NO_DIAGRAM_STEMS:  # no network or graph: no diagram written, linked or drawn in TikZ
        for name in (f"{stem}-diagram.svg", f"{stem}-questions-diagram.svg"):
            assert not (out / name).exists(), name
        assert not list(out.glob(f"{stem}-*.svg"))
        assert "diagram.svg" not in key and "diagram.svg" not in sheet
        assert not re.search(r"!\[[^]]*\]\(", key + sheet)  # no image at all
        for name in (f"{stem}.tex", f"{stem}-questions.tex"):
            assert r"\begin{tikzpicture}" not in (out / name).read_text(encoding="utf-8"), name
        assert "## Given" not in key and "## Given" not in sheet
        return
    assert "## Given" in key and "## Given" in sheet
    assert f"]({stem}-diagram.svg)" in key
    assert f"]({stem}-questions-diagram.svg)" in sheet
    assert f"]({stem}-diagram.svg)" not in sheet  # the sheet links its own, value-free diagram
    for name in (f"{stem}-diagram.svg", f"{stem}-questions-diagram.svg"):
        root = ET.parse(out / name).getroot()
        assert root.tag.endswith("svg"), name


@pytest.mark.parametrize("stem", STEMS)
def test_markdown_sheet_asks_and_does_not_answer(md_tex, stem):
    problem = yaml.safe_load((PROBLEMS_DIR / f"{stem}.yaml").read_text(encoding="utf-8"))
    sheet = (md_tex / f"{stem}-questions.md").read_text(encoding="utf-8")
    assert "Final answers" not in sheet
    assert not re.search(r"\\frac\{\\partial[^$\n]*=", sheet), "an answer line in the sheet"
    partial_lines = [line for line in sheet.splitlines() if r"\frac{\partial" in line]
    assert all(line.startswith("*Asked:") for line in partial_lines), partial_lines
    asked = [line for line in sheet.splitlines() if line.startswith("*Asked: ")]
    assert len(asked) == len(problem["questions"]), asked
    # each question's section has its Asked line
    sections = re.split(r"^## ", sheet, flags=re.M)[1:]
    question_sections = [s for s in sections if not s.startswith("Given")]
    assert len(question_sections) == len(problem["questions"])
    assert all("\n*Asked: " in s for s in question_sections)


def test_svgs_are_byte_identical_across_runs(md_tex, tmp_path):
    """A second run, in another process, draws the same bytes (no dates, ids or hashes)."""
    out2 = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "solver", "solve", str(PROBLEMS_DIR), "--sheet", "both", "-f", "md",
                          "-o", str(out2)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    first = sorted(p.name for p in md_tex.glob("*.svg"))
    assert first == sorted(p.name for p in out2.glob("*.svg"))
    assert len(first) >= 2 * len(DIAGRAM_STEMS)
    assert {f"{s}{suffix}" for s in DIAGRAM_STEMS for suffix in ("-diagram.svg", "-questions-diagram.svg")} <= set(first)
    assert not [n for n in first if any(n.startswith(f"{s}-") for s in NO_DIAGRAM_STEMS)]
    differ = [n for n in first if (md_tex / n).read_bytes() != (out2 / n).read_bytes()]
    assert not differ, differ


# -- 7. what the diagrams show ------------------------------------------------------------------

def test_network_diagram_in_key_and_sheet(md_tex):
    key = tikz_of((md_tex / "relu-2-2-2.tex").read_text(encoding="utf-8"))
    sheet = tikz_of((md_tex / "relu-2-2-2-questions.tex").read_text(encoding="utf-8"))
    for name in ("x_{1}", "x_{2}", "h_{1}", "h_{2}", "o_{1}", "o_{2}"):
        assert f"{{${name}$}}" in key, name
        assert f"{{${name}$}}" in sheet, name
    key_edges = [line for line in key.splitlines() if line.startswith(r"\draw")]
    sheet_edges = [line for line in sheet.splitlines() if line.startswith(r"\draw")]
    assert any("$w_{1} = 0.2$" in e for e in key_edges)
    assert any("$w_{7} = 0.4$" in e for e in key_edges)
    assert any("$w_{1}$" in e for e in sheet_edges)
    sheet_labels = [m for e in sheet_edges for m in re.findall(r"\{\$([^$]*)\$\}", e)]
    assert "w_{1}" in sheet_labels and len(sheet_labels) == 8, sheet_labels
    assert not [lab for lab in sheet_labels if "=" in lab], sheet_labels
    assert "= 0.2" not in sheet and "= 0.1" not in sheet  # nor on the bias nodes


def test_graph_diagram_shows_values_only_in_the_key(md_tex):
    key = tikz_of((md_tex / "scalar-graph-skip.tex").read_text(encoding="utf-8"))
    sheet = tikz_of((md_tex / "scalar-graph-skip-questions.tex").read_text(encoding="utf-8"))
    z_node = next(line for line in key.splitlines() if line.startswith(r"\node") and "(z)" in line)
    assert "0.62" in z_node
    x0_node = next(line for line in key.splitlines() if line.startswith(r"\node") and "(x0)" in line)
    assert "0.94" in x0_node  # the gradient reaching x0 by both paths
    assert ".north) .. controls (" in key  # the skip connection, arcing over the boxes between
    for value in ("0.62", "0.94", "0.4", "-0.38", "0.3", r"\mid"):
        assert value not in sheet, value
    assert "$z$" in sheet and "$x_{0}$" in sheet


def _wide_problem(path: Path) -> Path:
    return problem_file(path, title="A wide network", statement="Eight inputs, eight hidden units.",
                        network={"inputs": {f"x{i}": i for i in range(1, 9)}, "orientation": "Wx",
                                 "naming": "sequential",
                                 "layers": [{"units": 8, "activation": "relu", "bias": 0.1,
                                             "weights": [[round(0.01 * (i + j), 2) for j in range(8)]
                                                         for i in range(8)]},
                                            {"units": 2, "activation": "linear",
                                             "weights": [[0.1] * 8, [0.2] * 8]}]})


@pytest.mark.parametrize("fmt", ["tex", "md"])
def test_wide_layer_is_drawn_compactly(tmp_path, fmt):
    path = _wide_problem(tmp_path / "wide.yaml")
    out = tmp_path / "out"
    result = cli("solve", path, "--sheet", "both", "-f", fmt, "-o", out)
    assert result.exit_code == 0, result.stderr
    if fmt == "tex":
        for name in ("wide.tex", "wide-questions.tex"):
            pic = tikz_of((out / name).read_text(encoding="utf-8"))
            assert r"\vdots" in pic
            for shown in ("x_{1}", "x_{8}", "h_{1}", "h_{3}", "h_{7}", "h_{8}", "o_{1}", "o_{2}"):
                assert f"${shown}$" in pic, (name, shown)
            hidden = [n for n in ("x_{4}", "x_{5}", "h_{4}", "h_{5}", "h_{6}") if f"${n}$" in pic]
            assert not hidden, (name, hidden)
            assert pic.count(r"\node[circle") == 3 + 2 + 3 + 2 + 2  # inputs, hidden, outputs
    else:
        for name in ("wide-diagram.svg", "wide-questions-diagram.svg"):
            ET.parse(out / name)


@needs_tex
def test_wide_layer_compiles(tmp_path):
    path = _wide_problem(tmp_path / "wide.yaml")
    out = tmp_path / "out"
    result = cli("solve", path, "-f", "pdf", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "wide.pdf").read_bytes().startswith(b"%PDF")
