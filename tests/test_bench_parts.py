"""The benchmark's parts, without running it: which cold-start target each bundled problem gets,
the generated networks (the forms issue 19 names, valid problems of the stated sizes), the verdicts,
the paired ratios and slopes, the summary's rows when a measure is not run, ``--only`` and
``--write``."""

import sys
from pathlib import Path

import pytest

from solver.problem import parse_yaml, validate
from solver.problem.checks import MAX_PARAMETERS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import networks  # noqa: E402
import runner  # noqa: E402
import summary  # noqa: E402
from coldstart import classify  # noqa: E402
from scaling import _extrapolate  # noqa: E402

import bench  # noqa: E402

# Read from the problem files by hand: questions asking train (steps of an optimizer), a learning
# rule (epochs) or a derivation.
TRAINING = {"cnn-small": "train (20 steps)", "delta-rule": "delta_rule", "nesterov-adamw": "train (3 and 3 steps)",
            "perceptron-or": "perceptron", "relu-2-2-2-adam": "train (5 steps)",
            "xor-2-2-1-training": "train (3 and 1,000 steps)"}
DERIVATION = {"seed-004": "derive (softmax_ce)", "softmax-ce-derivation": "derive (softmax_jacobian, softmax_ce)"}


def test_every_bundled_problem_gets_its_cold_start_target():
    problems = sorted((ROOT / "problems").glob("*.yaml"))
    assert len(problems) >= 28
    for path in problems:
        kind = classify(path)
        if path.stem in TRAINING:
            assert (kind.name, kind.why, kind.target) == ("training", TRAINING[path.stem], 2.0)
        elif path.stem in DERIVATION:
            assert (kind.name, kind.why, kind.target) == ("derivation", DERIVATION[path.stem], 2.0)
        else:
            assert (kind.name, kind.why, kind.target) == ("key", "", 1.3), path.stem


@pytest.mark.parametrize("shape, count", [(networks.SMALL, 124), (networks.ONE_K, 1_054), (networks.FOUR_K, 4_394),
                                          (networks.BIG, 10_954), (networks.LARGER, 19_914)])
def test_generated_networks_have_their_sizes(shape, count):
    assert networks.parameter_count(shape) == count <= MAX_PARAMETERS
    assert max(shape[1:]) <= 64  # the benchmark's style: dense layers of at most 64 units


def test_the_twins_are_the_same_network_in_another_form():
    relu, matrix, sigmoid = (validate(parse_yaml(networks.network_yaml(networks.BIG, act, style), "n.yaml"))
                             for act, style in (("relu", None), ("relu", "matrix"), ("sigmoid", None)))
    assert (relu.style, matrix.style, sigmoid.style) == (None, "matrix", None)
    assert [x.activation for x in relu.network.layers] == ["relu"] * 3 + ["linear"]
    assert [x.activation for x in sigmoid.network.layers] == ["sigmoid"] * 3 + ["linear"]
    for p in (relu, matrix, sigmoid):
        layers = p.network.layers
        assert sum(len(x.weights) * len(x.weights[0]) + len(x.bias) for x in layers) == 10_954
        assert [x.weights for x in layers] == [x.weights for x in relu.network.layers]
        assert [q.id for q in p.questions] == ["all"] and p.questions[0].gradients == "all"
    assert networks.Network(networks.BIG, "sigmoid").stem == "dense-30-64-64-64-10-sigmoid"
    assert networks.Network(networks.BIG, style="matrix").label == "30-64-64-64-10 (matrix style)"


def test_verdicts_ratios_and_slopes():
    assert summary.verdict(3.0, 3.0, " s") == "met"
    assert summary.verdict(3.456, 3.0, " s") == "missed by 0.46 s"
    assert summary.verdict(34.0, 100.0, " keys/s", "{:.1f}", at_least=True) == "missed by 66.0 keys/s"
    assert summary.verdict(120.0, 100.0, " keys/s", at_least=True) == "met"
    assert runner.slope([1, 2, 4], [3, 6, 12]) == pytest.approx(1.0)
    assert runner.slope([1_000, 10_000, 20_000], [x ** 1.05 for x in (1_000, 10_000, 20_000)]) == pytest.approx(1.05)
    runs = [runner.Run(s, None, 0) for s in (2.0, 3.0, 10.0, 1.0, 1.0, 4.0)]
    assert runner.paired_ratio(runs[:3], runs[3:]) == pytest.approx(2.5)  # ratios 2, 3, 2.5 (medians give 3)
    assert _extrapolate("built 10 1.0\ngradient 1 2.0\ngradient 2 3.0\n", 10) == (11.0, 2)
    assert _extrapolate("built 10 1.0\n", 10) is None


def test_the_summary_says_what_was_not_measured():
    text = summary.targets_table({"pdf": {"skipped": "latexmk not found on the PATH"}}, networks.BIG,
                                 networks.LARGER, quick=False)
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 10
    assert sum(r[-1] == "not run |" for r in rows) == 9
    assert rows[-1][-1] == "not measured: latexmk not found on the PATH |"
    assert "Targets: 0 met, 0 missed, 10 not measured." in text


def test_only_picks_measures(capsys):
    assert bench._args(["--only", "cold,pdf", "--only", "warm"]).sections == {"cold", "pdf", "warm"}
    assert bench._args([]).sections == set(bench.SECTIONS)
    with pytest.raises(SystemExit) as e:
        bench._args(["--only", "colds"])
    assert e.value.code == 2 and "unknown measure colds" in capsys.readouterr().err


def test_write_replaces_only_the_marked_block(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Perf\n\nbefore\n\n{bench.BEGIN}\nold\n{bench.END}\n\nafter\n", encoding="utf-8")
    bench.write_markdown(doc, "new table\n")
    assert doc.read_text(encoding="utf-8") == f"# Perf\n\nbefore\n\n{bench.BEGIN}\nnew table\n{bench.END}\n\nafter\n"
    fresh = tmp_path / "new.md"
    bench.write_markdown(fresh, "t")
    assert fresh.read_text(encoding="utf-8") == f"# Performance\n\n{bench.BEGIN}\nt\n{bench.END}\n"


def test_the_summary_scales_the_absolute_limits_by_the_floor():
    """Issue 19 set its seconds and keys per second on a machine whose floor took 0.29 s: a run
    whose floor took twice as long shows its seconds halved and its keys per second doubled,
    beside verdicts that stay on its own figures."""
    res = {"cold": {"floor": 0.58, "rows": []},
           "scale": {"twins": {"relu": {"seconds": 3.2}, "matrix": {"seconds": 2.0}},
                     "rows": [{"parameters": 10_954, "seconds": 3.2}, {"parameters": 19_914, "seconds": 6.4}]},
           "warm": {"keys_per_s": 60.0, "ms_per_key": 16.7, "rounds": 3, "keys": 100}}
    text = summary.at_issue_speed(res)
    assert text.startswith("This run's floor took 0.580 s, 2.00× the 0.29 s")
    assert ("the 10,954-parameter key 1.60 s; in matrix style 1.00 s; 19,914 parameters 3.20 s; "
            "warm 120 keys/s.") in text
    assert summary.at_issue_speed({"warm": res["warm"]}) is None  # no floor measured: nothing to scale by
    assert summary.at_issue_speed({"cold": {"floor": 0.58}}) is None
    part = {"cold": {"floor": 0.58, "rows": [], "runs": 5}, "warm": res["warm"]}
    table = summary.targets_table(part, networks.BIG, networks.LARGER, quick=False)
    assert "missed by 40.0 keys/s" in table  # the verdict: this run's own 60 keys/s
    assert table.endswith("Scaled by that ratio (for information; the verdicts above are on this run's own "
                          "figures): warm 120 keys/s.\n")


def test_the_summary_says_when_the_machine_was_loaded():
    """A floor well over the issue's 0.29 s, or floors far apart within one run, is a loaded
    machine: the table says its ratio verdicts are not a record. A quiet run says nothing."""
    quiet = {"cold": {"floor": 0.281, "floor_range": (0.276, 0.290), "rows": []}}
    assert summary.load_note(quiet) is None
    assert summary.load_note({}) is None
    slow = summary.load_note({"cold": {"floor": 0.508, "floor_range": (0.49, 0.52), "rows": []}})
    assert slow.startswith("**The machine was loaded during this run** (the floor: its median 0.508 s is 1.75× "
                           "the 0.29 s of a quiet machine).")
    assert "`python bench/instructions.py`" in slow
    moving = summary.load_note({"cold": {"floor": 0.30, "floor_range": (0.28, 0.41), "rows": []}})
    assert "(the floor: its runs took 0.280–0.410 s)" in moving
    table = summary.targets_table({"cold": {"floor": 0.508, "floor_range": (0.49, 0.52), "rows": [], "runs": 5}},
                                  networks.BIG, networks.LARGER, quick=False)
    assert "**The machine was loaded during this run**" in table
