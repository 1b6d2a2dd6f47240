"""Hardening of problem input (issue 11, items 6–12) where a file in ``tests/bad/`` cannot
express the case: files that are not regular files, YAML read as the user means it, the
digits a number may have and what reading the longest takes, parameter ranges, names,
and one-line messages whatever the input holds."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy as sp

from solver.core.errors import ProblemError
from solver.core.numbers import MAX_NUMBER_DIGITS, parse_number
from solver.ops.activations import ACTIVATIONS
from solver.ops.losses import LOSSES
from solver.ops.optimizers import OPTIMIZERS
from solver.problem.fields import NAME_RE, printable
from solver.problem.loader import load_problem, parse_yaml
from solver.problem.validation import validate

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "problems" / "relu-2-2-2.yaml"


def _one_line(stderr: str, file: str) -> tuple[str, str]:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    prefix = f"nnsolve: error: {file}: "
    assert lines[0].startswith(prefix), lines[0]
    field, _, message = lines[0][len(prefix):].partition(": ")
    return field, message


def _cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NNSOLVE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


# --- item 10: only regular files, never more than MAX_BYTES + 1 bytes read ---------------

def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    return path


def _loop(tmp_path: Path) -> Path:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _folder(tmp_path: Path) -> Path:
    # A folder given on the command line is a folder of problems; one named like a
    # problem inside it is a problem file that is a folder.
    (tmp_path / "problems" / "folder.yaml").mkdir(parents=True)
    return tmp_path / "problems"


@pytest.mark.parametrize("make, fragment", [
    (_fifo, "cannot read the file: it is a FIFO (named pipe), not a regular file"),
    (lambda tmp: Path("/dev/zero"), "cannot read the file: it is a device, not a regular file"),
    (_folder, "cannot read the file: it is a folder, not a regular file"),
    (_loop, "cannot read the file (Too many levels of symbolic links)"),
], ids=["fifo", "dev-zero", "folder", "symlink-loop"])
def test_not_a_regular_file_is_refused_at_once(tmp_path, make, fragment):
    path = make(tmp_path)
    start = time.perf_counter()
    proc = _cli("validate", str(path))  # a hang fails by the timeout
    assert time.perf_counter() - start < 15
    assert proc.returncode == 2
    shown = path / "folder.yaml" if path.is_dir() else path
    assert _one_line(proc.stderr, str(shown)) == ("(file)", fragment)


def test_a_fifo_does_not_block_load_problem(tmp_path):
    with pytest.raises(ProblemError, match="FIFO"):
        load_problem(_fifo(tmp_path))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_the_size_is_what_is_read_not_what_stat_says():
    # /proc files claim a size of 0; /dev/zero never ends: both are refused without
    # reading more than MAX_BYTES + 1 bytes (the first is not a regular file either).
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(ProblemError, match="not a regular file|not UTF-8|malformed|holds"):
        load_problem("/proc/self/status")


# --- item 6: errors while building values name the field --------------------------------

@pytest.mark.parametrize("value, fragment", [
    ("!!int 0x10", "cannot read '0x10' as !!int"),
    ("!!int 1_000", "cannot read '1_000' as !!int"),
    ("!!int '٢'", "cannot read '٢' as !!int"),
    ("!!int 1:30", "cannot read '1:30' as !!int"),
    ("!!bool maybe", "cannot read 'maybe' as !!bool"),
    ("!!timestamp 2024-02-30", "cannot read '2024-02-30' as !!timestamp"),
    ("!!timestamp not-a-date", "cannot read 'not-a-date' as !!timestamp"),
    ("!!float .nan", "'.nan' is not a finite number"),
    ("[1, !!int x]", "cannot read 'x' as !!int"),
    ("{a: !!bool 2}", "cannot read '2' as !!bool"),
])
def test_a_value_that_cannot_be_built_names_its_field(value, fragment):
    with pytest.raises(ProblemError) as info:
        parse_yaml(f"title: t\nnetwork:\n  x: {value}\n", "f.yaml")
    assert info.value.field.startswith("network.x")
    assert fragment in info.value.message and "\n" not in info.value.message


# --- item 7: YAML 1.1's surprises -------------------------------------------------------

def test_numbers_read_as_the_user_means_them():
    data = parse_yaml("a: 010\nb: 0x10\nc: 1_000\nd: 1:30\ne: 2024-01-01\nf: 1e3\ng: -0.5\nh: yes\ni: ~\n")
    assert data == {"a": 10, "b": "0x10", "c": "1_000", "d": "1:30", "e": "2024-01-01", "f": "1e3",
                    "g": "-0.5", "h": True, "i": None}


@pytest.mark.parametrize("text", ["٠.٢", "0.٢", "١/٢", "1_000", "0x10", "0o10", "1:30", "yes", "1e3.5",
                                  "½", "1/0x2", "1\n", "\t1", "."])
def test_only_plain_ascii_numbers(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("field, value", [
    ("units", "true"), ("units", "'2'"), ("units", "2.0"), ("units", "'٢'"),
])
def test_integer_fields_are_strict(field, value):
    text = GOOD.read_text(encoding="utf-8").replace("- units: 2             # h1, h2", f"- units: {value}")
    with pytest.raises(ProblemError) as info:
        validate(parse_yaml(text, "f.yaml"), "f.yaml")
    assert info.value.field == "network.layers[0].units"
    assert "input should be a valid integer" in info.value.message


@pytest.mark.parametrize("extra, field", [
    ("    steps: yes\n", "questions[0].steps"), ("    table_every: on\n", "questions[0].table_every"),
])
def test_booleans_are_not_counts(extra, field):
    text = GOOD.read_text(encoding="utf-8").replace("    ask: [forward]\n", "    ask: [forward]\n" + extra, 1)
    with pytest.raises(ProblemError) as info:
        validate(parse_yaml(text, "f.yaml"), "f.yaml")
    assert info.value.field == field and "got true" in info.value.message


# --- item 11: bounded numbers and parameters --------------------------------------------

def test_the_longest_allowed_decimal_is_read_at_once():
    worst = ["9" * MAX_NUMBER_DIGITS + "e-300", "0." + "9" * MAX_NUMBER_DIGITS + "e300",
             "9" * MAX_NUMBER_DIGITS + "/" + "7" * MAX_NUMBER_DIGITS, "-" + "9" * 150 + "." + "9" * 150]
    start = time.perf_counter()
    for text in worst:
        assert parse_number(text) != 0
    assert time.perf_counter() - start < 0.5
    for text in ("1" * (MAX_NUMBER_DIGITS + 1), "0." + "1" * (MAX_NUMBER_DIGITS + 1), "1" * 900_000,
                 "1/" + "3" * (MAX_NUMBER_DIGITS + 1), "1e" + "9" * 5000):
        start = time.perf_counter()
        with pytest.raises(ValueError):
            parse_number(text)
        assert time.perf_counter() - start < 0.5


def test_leading_and_trailing_zeros():
    assert parse_number("0." + "0" * 200 + "1") == sp.Rational(1, 10 ** 201)
    assert parse_number("000" + "9" * MAX_NUMBER_DIGITS) == 10 ** MAX_NUMBER_DIGITS - 1


def _every_param():
    for registry in (ACTIVATIONS, LOSSES, OPTIMIZERS):
        for d in registry.values():
            yield from ((d.key, p) for p in d.params)


@pytest.mark.parametrize("owner, param", list(_every_param()), ids=lambda x: getattr(x, "name", x))
def test_every_parameter_has_a_range_that_holds_its_default(owner, param):
    assert param.low is not None or param.high is not None, f"{owner}.{param.name} is unbounded"
    assert param.range_text().startswith("must be ")
    if param.default is not None:
        assert param.allows(param.default)
    assert param.allows(parse_number(param.example))


def test_adam_at_the_edges_of_its_ranges_trains():
    text = (ROOT / "problems" / "relu-2-2-2-adam.yaml").read_text(encoding="utf-8")
    assert "beta1: 0.9, beta2: 0.999" in text
    edge = text.replace("beta1: 0.9, beta2: 0.999", "beta1: 0, beta2: 0.999999")
    validate(parse_yaml(edge, "f.yaml"), "f.yaml")


# --- items 8, 9: unknown keys and one-line messages -------------------------------------

HOSTILE = ["x\ny", "x\x1by", "x\u202ey", "x\u2028y", "x\u200by", "x\ry", "x\u00a0y", "x\x00y", "[\u202e", "Network\n"]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t) for t in HOSTILE])
def test_printable_escapes_what_would_hide_or_break_a_line(text):
    shown = printable(text)
    assert shown.isprintable() and "\n" not in shown
    assert printable(shown) == shown  # the same, escaped twice
    assert "\\" in shown  # something was escaped


def test_printable_keeps_plain_text():
    text = "x\\input{/etc/passwd} é ü → ✓ 'q' \"d\""
    assert printable(text) == text


@pytest.mark.parametrize("where", ["(top)", "network", "network.layers.0", "questions.0", "network.inputs"])
@pytest.mark.parametrize("key", HOSTILE, ids=[repr(t) for t in HOSTILE])
def test_a_hostile_key_anywhere_gives_one_line_naming_the_mapping(key, where):
    data = parse_yaml(GOOD.read_text(encoding="utf-8"))
    target = data
    if where != "(top)":
        for part in where.split("."):
            target = target[int(part)] if part.isdigit() else target[part]
    target[key] = 1
    with pytest.raises(ProblemError) as info:
        validate(data, "f.yaml")
    line = str(info.value)
    assert line.isprintable() and "\n" not in line
    assert printable(key) in line


def test_hostile_text_in_a_yaml_error_is_one_line():
    with pytest.raises(ProblemError) as info:
        parse_yaml('title: t\n"a\\u202eb\\nc": !!int "x\\ny"\n', "f.yaml")
    assert str(info.value).isprintable()
    assert info.value.field == "a\\u202eb\\nc"


# --- item 12: names -----------------------------------------------------------------------

@pytest.mark.parametrize("name, ok", [
    ("x1", True), ("W1[1,2]", True), ("x1\n", False), ("W1[1,2]\n", False), ("x\u0661", False),
    ("é", False), ("x-1", False), ("1x", False),
])
def test_names_match_their_pattern_in_full(name, ok):
    assert bool(NAME_RE.fullmatch(name)) is ok


@pytest.mark.parametrize("name", ["lambda", "if", "None", "True", "class", "not"])
def test_keywords_are_not_names(name):
    text = GOOD.read_text(encoding="utf-8").replace("inputs: {x1: 1, x2: 2}", f"inputs: {{x1: 1, '{name}': 2}}")
    with pytest.raises(ProblemError) as info:
        validate(parse_yaml(text, "f.yaml"), "f.yaml")
    assert info.value.field == f"network.inputs.{name}"
    assert "is a reserved word" in info.value.message


def test_names_colliding_with_generated_ones_are_refused(tmp_path):
    text = GOOD.read_text(encoding="utf-8").replace("inputs: {x1: 1, x2: 2}", "inputs: {h1: 1, x2: 2}")
    path = tmp_path / "clash.yaml"
    path.write_text(text, encoding="utf-8")
    proc = _cli("validate", str(path), timeout=120)
    assert proc.returncode == 2
    _, message = _one_line(proc.stderr, str(path))
    assert "'h1'" in message and "used twice" in message
