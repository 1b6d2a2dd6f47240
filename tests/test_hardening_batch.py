"""Batches of files and the command line's own errors: a bad file among good ones is
reported in one line and the others are solved (exit 2 at the end, as a compiler does);
``validate`` takes folders as ``solve`` does; click's usage errors are one line too; two
runs writing one folder at once write one after the other."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "problems" / "relu-2-2-2.yaml"
OTHER = ROOT / "problems" / "sigmoid-2-2-1.yaml"
BAD = ROOT / "tests" / "bad" / "wrong-shape.yaml"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    for p in (GOOD, BAD, OTHER):
        shutil.copy(p, folder / p.name)
    return folder


def test_solve_goes_on_past_a_bad_file(runner, tmp_path):
    result = runner.invoke(main, ["solve", str(_folder(tmp_path)), "-o", str(tmp_path / "out"), "-f", "json"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "wrong-shape.yaml: network.layers[1].weights:" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["relu-2-2-2.json", "sigmoid-2-2-1.json"]


def test_validate_takes_a_folder_and_goes_on(runner, tmp_path):
    result = runner.invoke(main, ["validate", str(_folder(tmp_path))])
    assert result.exit_code == 2
    assert sorted(result.stdout.splitlines()) == [f"{tmp_path / 'set' / 'relu-2-2-2.yaml'}: ok",
                                                  f"{tmp_path / 'set' / 'sigmoid-2-2-1.yaml'}: ok"]
    assert result.stderr.count("\n") == 1 and "wrong-shape.yaml" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(main, ["validate", str(empty)])
    assert result.exit_code == 2 and "the folder holds no .yaml problem files" in result.stderr


def test_every_good_file_alone_exits_0(runner, tmp_path):
    result = runner.invoke(main, ["validate", str(GOOD), str(OTHER)])
    assert result.exit_code == 0 and result.stderr == ""


def test_click_usage_errors_are_one_line(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    for args, fragment in ((["solve", str(GOOD), "-o", str(a_file)], "is a file"),
                           (["solve", "--no-such-option", str(GOOD)], "No such option"),
                           (["solve", str(GOOD), "-f", "docx"], "Invalid value for '-f'"),
                           (["solve", str(GOOD), "--precision", "99"], "Invalid value for '--precision'")):
        proc = subprocess.run([sys.executable, "-m", "solver", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, args
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("nnsolve: error: ") and fragment in lines[0], proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_two_runs_into_one_folder_keep_each_problems_files_together(tmp_path):
    """Two runs at different precisions write the same folder at once: each problem's
    Markdown key and answers JSON come from the same run (their displayed values agree)."""
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-m", "solver", "solve", str(GOOD), str(OTHER), "-o", str(out),
                               "-f", "md", "-f", "json", "--precision", p], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in ("3", "6")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    for stem in ("relu-2-2-2", "sigmoid-2-2-1"):
        md = (out / f"{stem}.md").read_text(encoding="utf-8")
        shown = [a["display"] for q in json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))["questions"]
                 for a in q["answers"]]
        assert shown and all(d in md for d in shown), stem
