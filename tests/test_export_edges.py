"""Each learning-management system's own comparison of a typed number with an exported blank,
written out here from its source (not from the exporter), applied to every bundled problem: the
number the key shows and both ends of the tolerance rule are accepted, and a number 10^-9 of its
scale beyond either end is not. (PrairieLearn's: tests/test_export_prairielearn.py.)"""

from __future__ import annotations

import json
import re
import zipfile
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from itertools import product
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from solver.cli import main
from solver.core.tolerance import Tolerance, bound, centre, padded

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
STEMS = sorted(p.stem for p in PROBLEMS.glob("*.yaml") if p.stem != "softmax-ce-derivation")  # that one asks no number
RULES = [None, {"absolute": 0.005}, {"relative": 0.04}, {"sigfigs": 3}]


def run(*args: str):
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def _short(x: Fraction) -> bool:
    """Whether ``x`` is a decimal of at most 17 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 200
        d = Decimal(x.numerator) / Decimal(x.denominator)
        return Fraction(d) == x and len(d.normalize().as_tuple().digits) <= 17


def _decimal(x: Fraction, rounding: str) -> str:
    """``x`` exactly when it is a short decimal, else at 17 significant digits rounded ``rounding``."""
    with localcontext() as ctx:
        ctx.prec = 200 if _short(x) else 17
        ctx.rounding = rounding
        d = Decimal(x.numerator) / Decimal(x.denominator)
        return format(d.normalize() if _short(x) else +d, "f")


def typed(problem: Path, tmp: Path, rule: dict | None, *more: str) -> list[tuple[str, str, str, str, str]]:
    """Per asked number, in the key's order (from the answers JSON and the rule of
    solver.core.tolerance): the key's display as a student types it (no thousands separator:
    Moodle refuses one, and Canvas takes it for the decimal point), the rule's two ends, and a number
    beyond each. An end that is no decimal of at most 17 figures (an exact 0.1328256436… ± 0.005)
    cannot be typed: a number 10^-12 of the scale inside it stands for it."""
    run("solve", str(problem), "-f", "json", "-o", str(tmp), *more)
    doc = json.loads((tmp / f"{problem.stem}.json").read_text(encoding="utf-8"))
    digits = int(more[1]) if more else yaml.safe_load(problem.read_text(encoding="utf-8")).get("precision", 4)
    kind, amount = next(iter(rule.items())) if rule else ("display", None)
    tol = Tolerance(kind, Fraction(str(amount)) if amount is not None else None)
    out = []
    for q in doc["questions"]:
        stepless = {(a["kind"], a["of"], json.dumps(a["exact"])) for a in q["answers"] if a.get("step") is None}
        for a in q["answers"]:
            if a["kind"] in ("shape", "derivation") or a.get("upstream") or \
                    (a.get("step") == 0 and (a["kind"], a["of"], json.dumps(a["exact"])) in stepless):
                continue
            for index in product(*(range(n) for n in a.get("shape", ()))):
                exact, shown = a["exact"], a["display"]
                for i in index:
                    exact, shown = exact[i], shown[i]
                value = Fraction(str(exact))
                at = padded(value, digits) if kind == "display" and a["kind"] != "count" else shown
                c, t = centre(value, tol, at), bound(value, tol, at)
                scale = max(abs(c), t)
                inside = min(scale / 10**12, t / 2)
                low, high = (x if _short(x) else x + sign * inside for x, sign in ((c - t, 1), (c + t, -1)))
                beyond = scale / 10**9 + Fraction(1, 10**13)  # and past Moodle's 10^-14 around 0
                out.append((shown.replace(",", ""), _decimal(low, ROUND_CEILING), _decimal(high, ROUND_FLOOR),
                            _decimal(c - t - beyond, ROUND_FLOOR), _decimal(c + t + beyond, ROUND_CEILING)))
    return out


def _problem(stem: str, rule: dict | None, tmp: Path) -> Path:
    from test_export_prairielearn import with_rule

    return with_rule(stem, rule, tmp)


def _exports(stem: str, target: str, tmp_path: Path):
    """For each rule of :data:`RULES`: the rule, the folder ``stem``'s export to ``target`` was
    written to, and the numbers typed (:func:`typed`)."""
    for k, rule in enumerate(RULES):
        (tmp_path / f"p{k}").mkdir()
        problem = _problem(stem, rule, tmp_path / f"p{k}")
        run("export", str(problem), "--to", target, "-o", str(tmp_path / f"x{k}"))
        yield rule, tmp_path / f"x{k}", typed(problem, tmp_path / f"k{k}", rule)


def _check(accepts, blanks: list, numbers: list) -> list:
    """The typed numbers graded the wrong way: (blank, which, typed)."""
    assert len(blanks) == len(numbers) > 0
    wrong = []
    for blank, (shown, low, high, below, above) in zip(blanks, numbers):
        for which, text, want in (("shown", shown, True), ("low", low, True), ("high", high, True),
                                  ("below", below, False), ("above", above, False)):
            if accepts(text, *blank) != want:
                wrong.append((blank, which, text))
    return wrong


# Moodle: a cloze NUMERICAL blank {w:NUMERICAL:=answer:tolerance} is a qtype_numerical subquestion
# (question/type/multianswer/questiontype.php, qtype_multianswer_extract_question and its
# NUMERICAL_ALTERNATIVE_REGEX). qtype_numerical::save_question_options (question/type/numerical/
# questiontype.php) saves apply_unit(answer) and apply_unit(tolerance), PHP floats, in text columns:
# PHP writes a float at its `precision`, 14 significant digits. A response is parsed by
# qtype_numerical_answer_processor::apply_units (same file) and compared by
# qtype_numerical_answer::within_tolerance (question/type/numerical/question.php): min <= value <= max,
# get_tolerance_interval's 'nominal' type (2, the default) answer ∓ (tolerance + ε·max(tolerance,
# |answer|, ε)) with ε = 10^-precision; earlier versions added ε·max(1, |answer|).
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"  # multianswer's NUMBER_REGEX
CLOZE = re.compile(r"\{(\d+):NUMERICAL:=([^:}]+):([^}]+)\}")


def moodle_number(text: str) -> float | None:
    """apply_units without units: spaces dropped, ×10^ forms made e, a comma a thousands separator
    beside a point (or when repeated) else the decimal point, then the leading number."""
    s = re.sub(r"(?:e|E|(?:x|\*|×)10(?:\^|\*\*))([+-]?\d+)", r"e\1", text.replace(" ", ""))
    s = s.replace(",", "") if "." in s or s.count(",") > 1 else s.replace(",", ".")
    m = re.match(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?", s)
    return float(m[0]) if m else None


def moodle_accepts(typed_: str, answer: str, tolerance: str, earlier: bool = False) -> bool:
    a, t = (float(f"{moodle_number(x):.14G}") for x in (answer, tolerance))  # saved, read back
    eps = 10.0 ** -14
    t += eps * max(1, abs(a)) if earlier else eps * max(abs(t), abs(a), eps)
    return a - t <= moodle_number(typed_) <= a + t


def moodle_blanks(xml: Path) -> list[tuple[str, str]]:
    out = []
    for q in etree.parse(str(xml)).getroot().findall("question[@type='cloze']"):
        for _, answer, tolerance in CLOZE.findall(q.find("questiontext/text").text):
            assert re.fullmatch(f"({NUMBER})(:{NUMBER})?", f"{answer}:{tolerance}")
            out.append((answer, tolerance))
    return out


@pytest.mark.parametrize("stem", STEMS)
def test_moodle_accepts_the_key_and_both_ends_of_the_rule(stem, tmp_path):
    """Moodle saves a blank's answer at 14 significant digits: an answer of more (the exact
    -0.13282564362043332686… of a rule within 0.005, a key shown at 15 figures) moved by up to
    5·10^-14 of itself, past the 10^-14 it allows, and one end of the rule, or the key's own number,
    was refused. Every blank of every bundled problem, under each kind of rule, now takes both."""
    for rule, out, numbers in _exports(stem, "moodle", tmp_path):
        blanks = moodle_blanks(out / f"{stem}-moodle.xml")
        for earlier in (False, True):
            assert not _check(lambda x, a, t: moodle_accepts(x, a, t, earlier), blanks, numbers), (rule, earlier)


@pytest.mark.parametrize("stem", ["relu-2-2-2", "batchnorm"])
def test_moodle_takes_a_key_shown_at_15_figures(stem, tmp_path):
    problem = PROBLEMS / f"{stem}.yaml"
    run("export", str(problem), "--to", "moodle", "-o", str(tmp_path / "x"), "--precision", "15")
    blanks = moodle_blanks(tmp_path / "x" / f"{stem}-moodle.xml")
    assert not _check(moodle_accepts, blanks, typed(problem, tmp_path / "k", None, "--precision", "15"))


def test_moodle_writes_a_short_answer_as_it_is(tmp_path):
    """0.4100 ± 0.00005 (relu-2-2-2's o1) stays so; a long exact answer is written at the 14 digits
    Moodle keeps, its tolerance widened by what that moved it."""
    run("export", str(PROBLEMS / "relu-2-2-2.yaml"), "--to", "moodle", "-o", str(tmp_path / "x"))
    assert dict(moodle_blanks(tmp_path / "x" / "relu-2-2-2-moodle.xml"))["0.41"] == "0.00005"
    problem = _problem("relu-2-2-2", {"absolute": 0.005}, tmp_path)
    run("export", str(problem), "--to", "moodle", "-o", str(tmp_path / "y"))
    blanks = dict(moodle_blanks(tmp_path / "y" / "relu-2-2-2-moodle.xml"))
    assert blanks["-0.13282564362043"] == "0.0050000000000034"  # exactly -0.13282564362043332686…
    assert blanks["0.41"] == "0.005"


# IMS QTI 2.1 (the information model's equal): with toleranceMode="absolute", y (the second
# expression) equals x (the first) when x − t0 ≤ y ≤ x + t1, each bound included unless
# includeLowerBound / includeUpperBound is false. Players compute that in float64: QTIWorks
# (qtiworks-jqtiplus, uk/ac/ed/ph/jqtiplus/node/expression/operator/ToleranceMode.java, ABSOLUTE:
# lower = first − tolerance1, refused when second < lower; upper = first + tolerance2, refused when
# second > upper, in Java doubles) and TAO's qti-sdk (src/qtism/runtime/expressions/operators/
# EqualProcessor.php: $t0 = op1 − tol0, $t1 = op1 + tol1, op2 >= $t0 && op2 <= $t1 in PHP floats),
# each number read from its text correctly rounded, as Python's float() does.
QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"


def qti_accepts(typed_: str, first: str, centre: str, t0: str, t1: str, low: bool, high: bool,
                swapped: bool = False) -> bool:
    """``first``: which of response and correct value ``<equal>`` names first; ``swapped``: as a
    player taking them the other way round would."""
    response, correct = float(typed_), float(centre)
    x, y = (response, correct) if (first == "variable") != swapped else (correct, response)
    lower, upper = x - float(t0), x + float(t1)
    return (y >= lower if low else y > lower) and (y <= upper if high else y < upper)


def qti_blanks(package: Path) -> list[tuple]:
    out = []
    with zipfile.ZipFile(package) as z:
        for name in sorted(n for n in z.namelist() if n.startswith("item_")):
            item = etree.fromstring(z.read(name))
            correct = {d.get("identifier"): d.find(f"{QTI}correctResponse/{QTI}value").text
                       for d in item.iter(f"{QTI}responseDeclaration")}
            for eq in item.iter(f"{QTI}equal"):
                assert eq.get("toleranceMode") == "absolute"
                first, second = (etree.QName(el).localname for el in eq)
                assert {first, second} == {"variable", "correct"}
                t0, t1 = eq.get("tolerance").split()
                out.append((first, correct[eq[0].get("identifier")], t0, t1,
                            eq.get("includeLowerBound", "true") == "true", eq.get("includeUpperBound", "true") == "true"))
    return out


@pytest.mark.parametrize("stem", STEMS)
def test_qti21_accepts_the_key_and_both_ends_of_the_rule(stem, tmp_path):
    """QTI players refused 0.41005, the upper end of the key's 0.4100 ± 0.00005 (relu-2-2-2's o1):
    0.41005 − 0.00005 is 0.41000000000000003 > 0.41 in float64. The tolerance is widened by the
    float steps that takes; every blank of every bundled problem, under each kind of rule, now
    takes the key's number and both ends, and with the two expressions either way round."""
    for rule, out, numbers in _exports(stem, "qti21", tmp_path):
        blanks = qti_blanks(out / f"{stem}-qti21.zip")
        for swapped in (False, True):
            assert not _check(lambda x, *b: qti_accepts(x, *b, swapped=swapped), blanks, numbers), (rule, swapped)


def test_qti21_widens_a_tolerance_by_float_steps_only(tmp_path):
    run("export", str(PROBLEMS / "relu-2-2-2.yaml"), "--to", "qti21", "-o", str(tmp_path / "x"))
    blanks = {c: t0 for _, c, t0, t1, *_ in qti_blanks(tmp_path / "x" / "relu-2-2-2-qti21.zip")}
    assert blanks["0.41"] == "0.000050000000000050004"  # |float(0.41005) − float(0.41)|
    assert blanks["0.5"] == "0.00005"  # 0.5 ± 0.00005 was right as it was


# Canvas (classic quizzes): the QTI import reads a range's vargte and varlte as Ruby floats
# (gems/plugins/qti_exporter/lib/qti/numeric_interaction.rb, answer[:start] = lower.text.to_f,
# answer[:end] = upper.text.to_f); grading (app/models/quizzes/quiz_question/numerical_question.rb,
# FlexRange) covers BigDecimal(start.to_s)..BigDecimal(end.to_s), Float#to_s being the shortest
# decimal of the float, against BigDecimal(answer_text): exact decimals, no float comparison.
# (The quiz page, ui/features/take_quiz/jquery/index.js, first rewrites a typed number as
# val.toFixed(4): a response has at most 4 decimals. Not modelled here; see the README.)
def to_fixed_4(typed_: str) -> Decimal:
    """JavaScript's ``Number(typed).toFixed(4)``, which a classic quiz's page applies to a typed number
    before sending it (canvas-lms ui/features/take_quiz/jquery/index.js, ``numerical_question_input``):
    the n / 10^4 nearest the double's exact value, the larger n on a tie (ECMA-262, Number.prototype.toFixed)."""
    exact = Decimal(float(typed_)) * 10_000
    n = exact.to_integral_value(rounding="ROUND_FLOOR")
    return (n + 1 if exact - n >= Decimal("0.5") else n) / 10_000


def canvas_accepts(typed_: str, low: str, high: str) -> bool:
    start, end = sorted(Decimal(repr(float(x))) for x in (low, high))
    return start <= to_fixed_4(typed_) <= end


def canvas_typed(numbers: list) -> list:
    """The typed numbers for Canvas: the key's, the rule's ends, and a whole 0.0001 beyond each end's
    4-decimal rounding outwards (the page keeps 4 decimals, so nothing nearer can be told apart)."""
    step = Decimal("0.0001")
    return [(shown, low, high, str(Decimal(low).quantize(step, "ROUND_FLOOR") - step),
             str(Decimal(high).quantize(step, "ROUND_CEILING") + step)) for shown, low, high, _, _ in numbers]


def canvas_blanks(package: Path) -> list[tuple[str, str]]:
    q12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
    out = []
    with zipfile.ZipFile(package) as z:
        for name in sorted(n for n in z.namelist() if n.startswith("q_") and n.endswith(".xml")):
            for cond in etree.fromstring(z.read(name)).iter(f"{q12}respcondition"):
                if cond.get("continue") == "No":
                    out.append((cond.find(f".//{q12}vargte").text, cond.find(f".//{q12}varlte").text))
    return out


@pytest.mark.parametrize("stem", STEMS)
def test_canvas_accepts_the_key_and_both_ends_of_the_rule(stem, tmp_path):
    """Canvas grades on exact decimals, but reads the range's ends as floats: an end of more than 15
    figures came back as another decimal, inside it or out (nesterov-adamw's exact 0.27116233424014092
    within 0.005 had the end 0.27616233424014092, read as 0.2761623342401409, refusing it). The ends
    are written at 15 figures at most, rounded outwards; every blank of every bundled problem, under
    each kind of rule, takes the key's number and both ends. The page rounds a typed number to 4
    decimals (:func:`to_fixed_4`): the key's 0.02977 arrived as 0.0298, outside 0.029765–0.029775."""
    for rule, out, numbers in _exports(stem, "canvas", tmp_path):
        blanks = canvas_blanks(out / f"{stem}-canvas.zip")
        assert not _check(canvas_accepts, blanks, canvas_typed(numbers)), rule
        assert all(len(Decimal(x).normalize().as_tuple().digits) <= 15 for b in blanks for x in b)


@pytest.mark.parametrize("stem", STEMS)
def test_prairielearn_accepts_the_key_and_both_ends_of_the_rule(stem, tmp_path):
    """PrairieLearn's relabs (|x − c| ≤ atol + rtol·|c| in float64, test_export_prairielearn.pl_grade)
    refused 0.41005, the upper end of the key's 0.4100 ± 0.00005: |0.41005 − 0.41| is
    5.0000000000050004e-05, and 64 float steps of rtol (1.2e-4) added 4·10^-19 of the 5·10^-17 missing."""
    from test_export_prairielearn import graded, pl_grade

    for rule, out, numbers in _exports(stem, "prairielearn", tmp_path):
        [folder] = out.iterdir()
        blanks = [rest for _, *rest in graded(folder)]
        assert not _check(lambda x, *b: pl_grade(x, *b)[0], blanks, numbers), rule
