"""``nnsolve validate`` checks a randomize block as far as it can without drawing a class:
a condition naming no quantity, or not parseable, was reported only by ``variants`` at its
first draw ("ok" from validate); a drawn value that breaks the problem blamed the field the
file had right ("target: the target has 3 values"). One line each, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "relu-2-2-2-variants.yaml"

CASES = [
    (('"abs(L) > 0.05"', '"abs(Lx) > 0.05"'), "randomize.require: the condition 'abs(Lx) > 0.05' cannot be "
     "checked: unknown name 'Lx'"),
    (('"abs(L) > 0.05"', '"abs(L) >"'), "randomize.require: the condition 'abs(L) >' cannot be checked"),
    (("target: {choices: [[0, 1], [1, 0]]}", "target: {choices: [[0, 1, 1]]}"),
     "randomize.values: a drawn value makes the problem invalid (target: the target has 3 values but the network "
     "has 2 outputs)"),
]


@pytest.mark.parametrize("change,says", CASES)
def test_validate_finds_what_variants_would(change, says, tmp_path):
    text = PROBLEM.read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "p.yaml"
    bad.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    for args in (["validate", str(bad)], ["variants", str(bad), "-n", "2", "-o", str(tmp_path / "out")]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2, r.output
        last = r.output.strip().splitlines()[-1]
        assert last == f"nnsolve: error: {bad}: {says}" or last.startswith(f"nnsolve: error: {bad}: {says}"), last
        assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_a_requirement_the_files_own_values_miss_is_not_an_error(tmp_path):
    """The file's values are the key's, not a variant's: a requirement they miss is fine."""
    bad = tmp_path / "p.yaml"
    bad.write_text(PROBLEM.read_text(encoding="utf-8").replace('"abs(L) > 0.05"', '"abs(L) > 5"'), encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(bad)])
    assert r.exit_code == 0 and r.output == f"{bad}: ok\n", r.output
