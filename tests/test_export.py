"""nnsolve export (issue 18, section 1): Moodle XML, a Canvas QTI 1.2 zip, an IMS QTI 2.1
package and a PrairieLearn question folder. Every export is parsed with lxml and read the
way each importer reads it (question type, blanks, values and tolerances, feedback,
embedded files); the expected blanks come from the answers JSON (the autograding
contract) and the tolerance rules written out here, not from the exporter."""

from __future__ import annotations

import base64
import json
import math
import re
import uuid
import zipfile
from decimal import Decimal
from fractions import Fraction
from itertools import product
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree, html

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
QTI12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
QTI21 = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
#: one scalar network, a training run with plots, a tensor problem, a learning rule, a graph
STEMS = ["relu-2-2-2", "xor-2-2-1-training", "attention", "perceptron-or", "scalar-graph-skip"]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def export(problem: Path, target: str, out: Path, *more: str) -> Path:
    r = run("export", str(problem), "--to", target, "-o", str(out), *more)
    assert r.exit_code == 0, r.output
    return out


def pl_folder(out: Path) -> Path:
    """The one PrairieLearn question folder an export wrote (``<stem>-<8 hex digits of its uuid>``)."""
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    return folder


def answers(problem: Path, tmp: Path, variant: str | None = None) -> dict:
    """The answers JSON of the problem (or of its variant ``SEED-NUMBER``)."""
    args = ["solve", str(problem), "-f", "json", "-o", str(tmp)] + (["--variant", variant] if variant else [])
    assert run(*args).exit_code == 0
    return json.loads((tmp / f"{problem.stem}{'-' + variant if variant else ''}.json").read_text())


def _flat(a: dict):
    if "shape" not in a:
        yield a["exact"], a["display"]
        return
    for index in product(*(range(n) for n in a["shape"])):
        e, d = a["exact"], a["display"]
        for i in index:
            e, d = e[i], d[i]
        yield e, d


def expected(doc: dict, grading: dict | None = None, digits: int = 4) -> list[tuple[Fraction, Fraction]]:
    """(centre, tolerance) of every asked number, in the key's order: by default the displayed
    number and half a unit of its ``digits``-th significant figure (the key's rounding at its
    precision: an exact 0.5, shown as 0.5, is 0.5000 ± 0.00005); the rule of
    ``grading.tolerance`` else. Every bundled problem used here has precision 4."""
    out = []
    for q in doc["questions"]:
        stepless = {(a["kind"], a["of"], json.dumps(a["exact"])) for a in q["answers"] if a.get("step") is None}
        for a in q["answers"]:
            if a["kind"] in ("shape", "derivation") or a.get("upstream"):
                continue
            if a.get("step") == 0 and (a["kind"], a["of"], json.dumps(a["exact"])) in stepless:
                continue  # a training's loss at step 0 is the question's L: one blank
            for exact, shown in _flat(a):
                value = Fraction(str(exact))
                if not grading:
                    d = Decimal(shown)
                    place = d.adjusted() - digits + 1 if d != 0 else -digits
                    out.append((Fraction(d), Fraction(1, 2) * Fraction(10) ** place))
                elif "absolute" in grading:
                    out.append((value, Fraction(str(grading["absolute"]))))
                elif "relative" in grading:
                    out.append((value, Fraction(str(grading["relative"])) * abs(value)))
    return out


def close(text: str, x: Fraction) -> bool:
    """A written number equals ``x`` (exactly, or to 14 significant digits when ``x`` is
    not a short decimal)."""
    return Fraction(Decimal(text)) == x or abs(Fraction(Decimal(text)) - x) <= abs(x) * Fraction(1, 10 ** 14)


MOODLE_BLANK = re.compile(r"\{(\d+):NUMERICAL:=([^:}]+):([^}]+)\}")


def moodle_questions(path: Path) -> list:
    root = etree.parse(str(path)).getroot()
    assert root.tag == "quiz"
    return root.findall("question")


@pytest.mark.parametrize("stem", STEMS)
def test_moodle_blanks_are_the_answers_with_the_displayed_rounding(stem, tmp_path):
    problem = PROBLEMS / f"{stem}.yaml"
    out = export(problem, "moodle", tmp_path / "x")
    qs = moodle_questions(out / f"{stem}-moodle.xml")
    assert [q.get("type") for q in qs] == ["category", "cloze"]
    text = qs[1].find("questiontext/text").text
    found = [(Fraction(Decimal(c)), Fraction(Decimal(t))) for _, c, t in MOODLE_BLANK.findall(text)]
    assert found == expected(answers(problem, tmp_path / "a"))
    feedback = qs[1].find("generalfeedback")
    assert "Worked solution" in feedback.find("text").text and "\\[" in feedback.find("text").text
    for el in (qs[1].find("questiontext"), feedback):  # every image it shows is embedded in it
        shown = set(re.findall(r"@@PLUGINFILE@@/([^\"]+)", el.find("text").text))
        files = {f.get("name"): base64.b64decode(f.text) for f in el.findall("file")}
        assert shown == set(files) and all(b"<svg" in data for data in files.values())
        assert all(f.get("path") == "/" and f.get("encoding") == "base64" for f in el.findall("file"))
    if stem in ("relu-2-2-2", "xor-2-2-1-training"):
        assert len(feedback.findall("file")) >= 1 + (stem == "xor-2-2-1-training")


@pytest.mark.parametrize("rule", [{"absolute": 0.01}, {"relative": 0.02}])
def test_moodle_uses_the_problem_tolerance(rule, tmp_path):
    data = yaml.safe_load((PROBLEMS / "relu-2-2-2.yaml").read_text())
    data["grading"] = {"tolerance": rule, "points": {"loss": 2}}
    problem = tmp_path / "graded.yaml"
    problem.write_text(yaml.safe_dump(data))
    out = export(problem, "moodle", tmp_path / "x")
    text = moodle_questions(out / "graded-moodle.xml")[1].find("questiontext/text").text
    blanks = MOODLE_BLANK.findall(text)
    want = expected(answers(problem, tmp_path / "a"), rule)
    assert len(blanks) == len(want)
    for (w, c, t), (centre, tol) in zip(blanks, want):
        # at most the 14 significant digits Moodle keeps, the tolerance widened by what that moved
        # the centre (tests/test_export_edges.py grades them as Moodle does)
        assert all(len(Decimal(x).normalize().as_tuple().digits) <= 14 for x in (c, t))
        c, t = Fraction(Decimal(c)), Fraction(Decimal(t))
        slack = (abs(centre) + tol) / 10**13
        assert abs(c - centre) <= slack and -slack <= t - tol <= abs(c - centre) + slack
    doc = answers(problem, tmp_path / "b")
    # the grading block's points are the ratios within a question; the question's points its total
    got = iter(Fraction(int(w)) for w, _, _ in blanks)
    unit = None
    for q in doc["questions"]:
        raw = [2 if a["kind"] == "loss" else 1 for a in q["answers"] if not a.get("upstream")]
        weights = [next(got) for _ in raw]
        share = [Fraction(r * int(q["points"]), sum(raw)) for r in raw]
        unit = unit or weights[0] / share[0]
        assert weights == [x * unit for x in share], q["id"]


def test_prairielearn_weights_are_whole_numbers_in_the_points_ratios(tmp_path):
    # pl-number-input reads weight with get_integer_attrib: weight="0.5" stopped grading
    data = yaml.safe_load((PROBLEMS / "relu-2-2-2.yaml").read_text())
    data["grading"] = {"points": {"loss": 2}}
    problem = tmp_path / "graded.yaml"
    problem.write_text(yaml.safe_dump(data))
    page = (pl_folder(export(problem, "prairielearn", tmp_path / "p")) / "question.html").read_text()
    got = re.findall(r'<pl-number-input [^>]*weight="([^"]*)"', page)
    moodle = moodle_questions(export(problem, "moodle", tmp_path / "m") / "graded-moodle.xml")[1]
    want = [w for w, _, _ in MOODLE_BLANK.findall(moodle.find("questiontext/text").text)]
    assert len(got) == len(want) > 20 and all(w.isdigit() for w in got)
    assert got == want  # the same whole numbers, whose ratios the Moodle test checks
    assert len(set(got)) > 1


def test_blanks_after_an_update_say_so_and_step_0_is_not_asked_twice(tmp_path):
    # an update question labelled the new w1 "\\(w_{1}\\) =", which reads as the given w1, and a
    # training question asked L and "L after step 0", the same number, in two blanks
    out = export(PROBLEMS / "nesterov-adamw.yaml", "moodle", tmp_path / "m")
    text = " ".join(q.find("questiontext/text").text for q in moodle_questions(out / "nesterov-adamw-moodle.xml")[1:])
    assert r"\(w_{1} \text{ after the update}\) =" in text
    assert r"\(L \text{ after the update}\) =" in text
    assert r"after step 0" not in text and r"\(L \text{ after step 3}\)" in text


def test_blanks_are_what_the_paper_asks_not_what_is_shown_on_the_way(tmp_path):
    # "(c) Update every weight" had 37 blanks: the loss and 18 gradients before the 18 updates,
    # its points shared over all 37; a training question one blank per optimizer state a step
    out = export(PROBLEMS / "leaky-relu-4-3-2-bce.yaml", "moodle", tmp_path / "m")
    last = moodle_questions(out / "leaky-relu-4-3-2-bce-moodle.xml")[-1].find("questiontext/text").text
    part_c = last[last.index("One step of gradient descent"):]
    assert part_c.count(":NUMERICAL:") == 18 == part_c.count(r"\text{ after the update}")
    assert last.count(":NUMERICAL:") == 10 + 19 + 18  # (a) the forward pass, (b) L and 18 gradients, (c)
    out = export(PROBLEMS / "nesterov-adamw.yaml", "moodle", tmp_path / "n")
    text = " ".join(q.find("questiontext/text").text for q in moodle_questions(out / "nesterov-adamw-moodle.xml")[1:])
    assert r"\(o_{1} \text{ after the update}\) =" not in text  # only the loss after it is asked
    assert "m_{" not in text and r"\text{ after step 3}" in text


def test_moodle_variants_are_one_category_of_questions(tmp_path):
    problem = PROBLEMS / "relu-2-2-2-variants.yaml"
    out = export(problem, "moodle", tmp_path / "x", "--variants", "3", "--seed", "2026")
    qs = moodle_questions(out / "relu-2-2-2-variants-moodle.xml")
    assert [q.get("type") for q in qs] == ["category"] + ["cloze"] * 3
    assert qs[0].find("category/text").text == "$course$/top/nnsolve/problems/relu-2-2-2-variants (seed 2026)"
    for k, q in enumerate(qs[1:], start=1):
        assert q.find("name/text").text.endswith(f"(variant 2026-{k})")
        text = q.find("questiontext/text").text
        found = [(Fraction(Decimal(c)), Fraction(Decimal(t))) for _, c, t in MOODLE_BLANK.findall(text)]
        assert found == expected(answers(problem, tmp_path / f"a{k}", f"2026-{k}"))


def test_moodle_two_problems_of_one_name_are_two_categories(tmp_path):
    """a/relu.yaml and b/relu.yaml both went to $course$/top/nnsolve/relu: imported into one course,
    a quiz's random question from it drew either problem. Each file's folder name now parts them."""
    text = (PROBLEMS / "relu-2-2-2.yaml").read_text(encoding="utf-8")
    cats = {}
    for d, bias in (("a", "0.1"), ("b", "0.3")):
        (tmp_path / d).mkdir()
        (tmp_path / d / "relu.yaml").write_text(text.replace("bias: 0.1 ", f"bias: {bias} "), encoding="utf-8")
        qs = moodle_questions(export(tmp_path / d / "relu.yaml", "moodle", tmp_path / f"x{d}") / "relu-moodle.xml")
        cats[d] = qs[0].find("category/text").text
        assert qs[0].find("info/text").text.startswith(f"nnsolve's questions of {d}/relu:")
    assert cats == {"a": "$course$/top/nnsolve/a/relu", "b": "$course$/top/nnsolve/b/relu"}


def _zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.namelist()[0] == "imsmanifest.xml"
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
        return {n: z.read(n) for n in z.namelist()}


def _manifest_files(files: dict[str, bytes]) -> set[str]:
    root = etree.fromstring(files["imsmanifest.xml"])
    return {el.get("href") for el in root.iter() if el.tag.endswith("}file")}


@pytest.mark.parametrize("stem", ["relu-2-2-2", "xor-2-2-1-training"])
def test_canvas_numerical_questions_score_the_range(stem, tmp_path):
    problem = PROBLEMS / f"{stem}.yaml"
    files = _zip(export(problem, "canvas", tmp_path / "x") / f"{stem}-canvas.zip")
    assert _manifest_files(files) <= set(files) and len(files) == len(_manifest_files(files)) + 1
    quiz = etree.fromstring(files[next(n for n in files if n.startswith("q_"))])
    items = quiz.findall(f".//{QTI12}item")
    types = [i.find(f".//{QTI12}fieldentry").text for i in items]
    assert types[0] == "text_only_question" and set(types[1:]) == {"numerical_question"}
    ranges = []
    for i in items[1:]:
        assert i.find(f".//{QTI12}render_fib").get("fibtype") == "Decimal"
        cond = i.find(f".//{QTI12}respcondition[@continue='No']")
        low, high = cond.find(f".//{QTI12}vargte").text, cond.find(f".//{QTI12}varlte").text
        assert cond.find(f"{QTI12}setvar").text == "100"
        ranges.append((Fraction(Decimal(low)), Fraction(Decimal(high))))
    # the rule's range out to whole 0.0001s: a classic quiz's page keeps 4 decimals of a typed number
    assert ranges == [(Fraction(math.floor((c - t) * 10_000), 10_000), Fraction(math.ceil((c + t) * 10_000), 10_000))
                      for c, t in expected(answers(problem, tmp_path / "a"))]
    assert any(high - low > 2 * t for (low, high), (_, t) in zip(ranges, expected(answers(problem, tmp_path / "a"))))
    fb = items[-1].find(f"{QTI12}itemfeedback/{QTI12}flow_mat/{QTI12}material/{QTI12}mattext").text
    assert "Worked solution" in fb
    # each question's text and its Asked line go with its numbers (Q2's loss and target):
    # without them a student saw only "Question 2: squared error and two gradients: w3 = ?"
    prompts = [i.find(f".//{QTI12}mattext").text for i in items[1:]]
    assert all("<strong>" in p and "Asked:" in p for p in prompts)
    if stem == "relu-2-2-2":
        q2 = [p for p in prompts if "Question 2:" in p]
        assert q2 and all("The ground truth for input" in p and "Target:" in p for p in q2)


def test_qti21_items_equal_with_an_absolute_tolerance(tmp_path):
    problem = PROBLEMS / "relu-2-2-2-variants.yaml"
    files = _zip(export(problem, "qti21", tmp_path / "x", "--variants", "2", "--seed", "4") /
                 "relu-2-2-2-variants-qti21.zip")
    assert _manifest_files(files) == set(files) - {"imsmanifest.xml"}
    test = etree.fromstring(files["test.xml"])
    assert test.find(f".//{QTI21}selection").get("select") == "1"
    refs = [r.get("href") for r in test.iter(f"{QTI21}assessmentItemRef")]
    assert len(refs) == 2
    for k, href in enumerate(refs, start=1):
        item = etree.fromstring(files[href])
        decl = {d.get("identifier"): d for d in item.findall(f"{QTI21}responseDeclaration")}
        entries = [e.get("responseIdentifier") for e in item.iter(f"{QTI21}textEntryInteraction")]
        assert entries == list(decl) and all(d.get("baseType") == "float" for d in decl.values())
        got = []
        for eq in item.iter(f"{QTI21}equal"):
            assert eq.get("toleranceMode") == "absolute"
            t1, t2 = eq.get("tolerance").split()
            assert t1 == t2
            rid = eq.find(f"{QTI21}variable").get("identifier")
            assert eq.find(f"{QTI21}correct").get("identifier") == rid
            centre = decl[rid].find(f"{QTI21}correctResponse/{QTI21}value").text
            got.append((Fraction(Decimal(centre)), Fraction(Decimal(t1))))
        want = expected(answers(problem, tmp_path / f"a{k}", f"4-{k}"))
        assert [c for c, _ in got] == [c for c, _ in want]
        # the rule's tolerance, or wider by the float steps a player needs to take both ends of it
        # (tests/test_export_edges.py grades them as QTIWorks and qti-sdk do)
        assert all(0 <= t - tol <= abs(c) / 10**15 for (c, t), (_, tol) in zip(got, want))
        fb = item.find(f"{QTI21}modalFeedback")
        assert fb.get("showHide") == "show" and "Worked solution" in "".join(fb.itertext())
        assert {i.get("src") for i in item.iter(f"{QTI21}img")} <= set(files)


def test_prairielearn_server_gives_each_variant_its_answers(tmp_path):
    problem = PROBLEMS / "relu-2-2-2-variants.yaml"
    out = pl_folder(export(problem, "prairielearn", tmp_path / "x", "--variants", "3", "--seed", "9"))
    info = json.loads((out / "info.json").read_text())
    assert uuid.UUID(info["uuid"]).version == 5 and info["type"] == "v3"
    other = json.loads((pl_folder(export(problem, "prairielearn", tmp_path / "y", "--variants", "3", "--seed", "10"))
                        / "info.json").read_text())
    assert other["uuid"] != info["uuid"]
    page = (out / "question.html").read_text()
    assert "{{{params.prompt_0}}}" in page  # each question's text, per variant
    inputs = html.fromstring(f"<div>{page}</div>").findall(".//pl-number-input")
    assert all(i.get("comparison") == "relabs" for i in inputs)
    space, shown = {}, set()
    exec((out / "server.py").read_text(), space)  # noqa: S102 - the generated file, as PrairieLearn runs it
    for seed in range(3):
        data = {"variant_seed": seed, "params": {}, "correct_answers": {}}
        space["generate"](data)
        k = seed % 3 + 1
        want = expected(answers(problem, tmp_path / f"a{k}", f"9-{k}"))
        def param(i, attr):
            return float(data["params"][re.fullmatch(r"\{\{params\.(\w+)\}\}", i.get(attr)).group(1)])
        centres = [data["correct_answers"][i.get("answers-name")] for i in inputs]
        assert [Fraction(Decimal(repr(c))) for c in centres] == [c for c, _ in want]
        # PrairieLearn accepts |x - c| <= atol + rtol*|c|: that half-width is the rule's, give or
        # take the few float steps of c its float64 comparison needs to accept the rule's edges
        widths = [Fraction(param(i, "atol")) + Fraction(param(i, "rtol")) * abs(Fraction(c)) for i, c in zip(inputs, centres)]
        assert all(abs(w - t) <= (abs(c) + t) * Fraction(1, 10 ** 14) for w, (c, t) in zip(widths, want))
        assert "Worked solution" in data["params"]["key_html"]
        assert "Asked: the forward pass" in data["params"]["prompt_0"]
        shown |= set(re.findall(r'client_files_question_url\}\}/([^"]+)',
                                data["params"]["given_html"] + data["params"]["key_html"]))
    assert shown and shown <= {p.name for p in (out / "clientFilesQuestion").iterdir()}


@pytest.mark.parametrize("target", ["moodle", "canvas", "qti21", "prairielearn"])
def test_reruns_are_byte_identical(target, tmp_path):
    problem = PROBLEMS / "relu-2-2-2-variants.yaml"
    a = export(problem, target, tmp_path / "a", "--variants", "2")
    b = export(problem, target, tmp_path / "b", "--variants", "2")
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


@pytest.mark.parametrize("args, says", [
    (["problems/relu-2-2-2.yaml", "--to", "moodle", "--variants", "2"], "randomize"),
    (["problems/relu-2-2-2.yaml", "--to", "blackboard"], "--to"),
    (["problems/relu-2-2-2.yaml", "--to", "moodle", "--variants", "0"], "--variants"),
    (["problems/relu-2-2-2.yaml"], "--to"),
    (["problems/softmax-ce-derivation.yaml", "--to", "moodle"], "questions"),
    # --seed alone exported the one problem and ignored it
    (["problems/relu-2-2-2-variants.yaml", "--to", "moodle", "--seed", "7"], "--seed: it seeds a pool of variants, so it needs --variants N"),
])
def test_bad_usage_is_one_line(args, says, tmp_path):
    r = CliRunner().invoke(main, ["export", *[str(ROOT / a) if a.startswith("problems/") else a for a in args],
                                  "-o", str(tmp_path / "x")])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnsolve: error:") and says in lines[0]
    assert not (tmp_path / "x").exists()


def test_the_command_lists_every_export_without_importing_them():
    from solver.cli import _export_targets
    from solver.render.exports import EXPORTS

    assert _export_targets() == sorted(EXPORTS)  # each module's target is its name


def test_a_count_blank_wants_the_whole_count(tmp_path):
    """A count is shown whole (31,744): its blank is that integer, not 4 figures of it
    ('=31740:0.5' refused the exact count)."""
    out = export(PROBLEMS / "parameter-count.yaml", "moodle", tmp_path / "x")
    text = moodle_questions(out / "parameter-count-moodle.xml")[1].find("questiontext/text").text
    blanks = MOODLE_BLANK.findall(text)
    assert ("1", "31744", "0.5") in blanks and ("1", "557057", "0.5") in blanks


@pytest.mark.parametrize("target", ["canvas", "qti21"])
def test_identifiers_are_xml_names_whatever_the_file_is_called(target, tmp_path):
    """A problem saved as "Übung 1 (NN).yaml" gave identifier="nnsolve_Übung 1 (NN)" and
    img_…-key-diagram.svg with spaces: not XML identifiers (NCNames), which importers refuse."""
    problem = tmp_path / "Übung 1 (NN).yaml"
    problem.write_text((PROBLEMS / "relu-2-2-2.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = export(problem, target, tmp_path / "x")
    files = _zip(next(out.glob("*.zip")))
    ids = [v for name, data in files.items() if name.endswith(".xml")
           for el in etree.fromstring(data).iter() for k, v in el.attrib.items()
           if k.split("}")[-1] in ("identifier", "ident", "identifierref")]
    assert ids and all(re.fullmatch(r"[^\W\d][\w.-]*", v) for v in ids), [v for v in ids if " " in v][:3]
    assert any(v.startswith("nnsolve_Übung_1__NN_") for v in ids)


def test_a_tensors_blanks_are_labelled_from_1_as_the_key_writes_them(tmp_path):
    """The quiz asked for "Q [0, 0]" beside the worked key's Q₁₁ (its feedback): the label and
    the blank's name now number from 1, over every axis, in the key's row-major order."""
    problem = PROBLEMS / "attention-masked.yaml"
    text = moodle_questions(export(problem, "moodle", tmp_path / "x") / "attention-masked-moodle.xml")[1] \
        .find("questiontext/text").text
    labels = re.findall(r"\\\(Q\\,\[(\d), (\d)\]\\\) = \{", text)
    assert labels == [(str(i), str(j)) for i in (1, 2, 3) for j in (1, 2)]
    assert "\\(Q_{11}" not in text and "[0, 0]" not in text
    page = (pl_folder(export(problem, "prairielearn", tmp_path / "p")) / "question.html").read_text()
    assert 'answers-name="q1_Q_1_1"' in page and 'answers-name="q1_Q_3_2"' in page and "_0_" not in page


def test_the_default_tolerance_is_said_in_figures_a_student_can_follow(tmp_path):
    """"Numbers are accepted as the key rounds it": a student taking the quiz has no key."""
    text = moodle_questions(export(PROBLEMS / "relu-2-2-2.yaml", "moodle", tmp_path / "x") / "relu-2-2-2-moodle.xml")[1] \
        .find("questiontext/text").text
    assert "<p><em>Numbers are accepted to 4 significant figures, as the key rounds them.</em></p>" in text


def test_prairielearn_images_inside_a_variants_html_get_their_url(tmp_path):
    """The diagrams are inside params (the variant's Given values and worked key), which
    question.html inserts with {{{ }}}: Mustache does not expand a tag inside a value, so the
    page showed <img src="{{options.client_files_question_url}}/…">, a broken image. server.py's
    render() now puts the URL in; rendered here as PrairieLearn does (Mustache, then render())."""
    import chevron

    out = pl_folder(export(PROBLEMS / "relu-2-2-2.yaml", "prairielearn", tmp_path / "x"))
    space = {}
    exec((out / "server.py").read_text(), space)  # noqa: S102 - the generated file, as PrairieLearn runs it
    data = {"variant_seed": 0, "params": {}, "correct_answers": {}, "options": {}}
    space["generate"](data)
    url = "/pl/course/1/question/7/clientFilesQuestion"
    page = chevron.render((out / "question.html").read_text(), {"params": data["params"]})
    assert "{{options.client_files_question_url}}/relu-2-2-2" in page  # what Mustache leaves
    data["options"]["client_files_question_url"] = url
    page = space["render"](data, page)
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources and all(s.startswith(url + "/") for s in sources) and "{{" not in page
    assert {s.rsplit("/", 1)[1] for s in sources} <= {p.name for p in (out / "clientFilesQuestion").iterdir()}


def test_a_learning_rules_blanks_are_after_each_epoch(tmp_path):
    """A learning rule's answers are per epoch (the key's table), but its blanks read "w1 after
    step 1"; a training run's stay per step."""
    def labels(stem):
        text = moodle_questions(export(PROBLEMS / f"{stem}.yaml", "moodle", tmp_path / stem) / f"{stem}-moodle.xml")[1] \
            .find("questiontext/text").text
        return re.findall(r"\\text\{ after (\w+) (\d+)\}", text)
    rule, run = labels("perceptron-or"), labels("xor-2-2-1-training")
    assert rule and {u for u, _ in rule} == {"epoch"} and rule[0] == ("epoch", "1")
    assert run and {u for u, _ in run} == {"step"}
