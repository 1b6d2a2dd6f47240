"""The benchmark keeps working: ``bench/bench.py --quick`` exits 0 and prints both tables
with every bundled problem, the floor and the smallest generated network."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted(p.stem for p in (ROOT / "problems").glob("*.yaml"))


def _row(out: str, first_cell: str) -> list[str]:
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row starting with {first_cell!r} in:\n{out}")


def test_quick_benchmark_prints_its_tables():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout

    # Cold start: a header with the ratio and the target, the floor, one row per problem.
    header = _row(out, "problem")
    assert header == ["problem", "time (s)", "floor (s)", "ratio", "target ≤ 1.3×", "CPU (s)", "CPU ratio",
                      "peak (MB)"]
    floor = _row(out, 'floor: `python -c "import sympy, jinja2, click"`')
    assert floor[3] == "1.00×"
    for stem in PROBLEMS:
        cells = _row(out, f"`{stem}`")
        assert len(cells) == len(header)
        assert float(cells[1]) > 0 and cells[2] == floor[1]
        assert re.fullmatch(r"\d+\.\d\d×", cells[3])
        assert cells[4] == "met" or re.fullmatch(r"missed by \d+\.\d\d×", cells[4])
        assert float(cells[5]) > 0 and re.fullmatch(r"\d+\.\d\d×", cells[6])  # CPU time of that child
        assert re.fullmatch(r"\d+", cells[7])  # peak memory of that child, in MB
    assert re.search(rf"Cold start: \d+ of {len(PROBLEMS)} problems within 1\.3× the floor", out)

    # Scaling: --quick runs the smallest network only, nnsolve and both naive baselines.
    header = _row(out, "network")
    assert header == ["network", "parameters", "nnsolve (s)", "CPU (s)", "peak (MB)", "naive, subs (s)",
                      "subs / nnsolve", "naive, xreplace (s)", "xreplace / nnsolve"]
    row = _row(out, "10-8-4")
    assert row[1] == "124"
    assert float(row[2]) > 0 and float(row[3]) > 0 and re.fullmatch(r"\d+", row[4])
    for t, ratio in (row[5:7], row[7:9]):  # a time and its ratio; "> cap" (and an estimate) when capped
        assert re.fullmatch(r"\d+\.\d\d|> \d+(\.\d+)?( \(≈ [\d,.]+ est\.\))?", t), t
        assert re.fullmatch(r"\d+\.\d×|> \d+\.\d×|≈ [\d,.]+×", ratio), ratio
    assert "20-30-12-4" not in out
    assert "Log-log slope of time against parameters: n/a (one size)" in out
    assert "10,000-parameter key: not run (--quick)" in out


def test_phases_breakdown_runs():
    """``bench/phases.py`` (the per-phase profile docs/performance.md quotes) still calls
    the functions the CLI calls: one problem, one run."""
    problem = ROOT / "problems" / "sigmoid-2-2-1.yaml"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "phases.py"), str(problem), "--runs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    header = _row(proc.stdout, "problem")
    assert header[1:] == ["floor imports", "nnsolve imports", "load", "solve", "md", "tex", "json", "svg",
                          "rest", "total (ms)"]
    cells = _row(proc.stdout, "`sigmoid-2-2-1`")
    assert len(cells) == len(header) and all(re.fullmatch(r"-?\d+", c) for c in cells[1:])


def test_tensor_benchmark_prints_its_table():
    """bench/tensors.py: a row per image size with its elements and edges, and the slope."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "tensors.py"), "--sizes", "4", "6", "--runs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert _row(proc.stdout, "N") == ["N", "elements", "edges", "time (s)", "minus start-up (s)", "CPU (s)",
                                      "peak (MB)"]
    sys.path.insert(0, str(ROOT / "bench"))
    from tensors import problem

    from solver.graph.spec import build_graph_spec
    from solver.problem.validation import validate

    for n in (4, 6):  # the table's counts are the graph's own
        p = validate(problem(n))
        g = build_graph_spec(p, p.questions[0])
        edges = sum(len(node.expr.free_symbols) for node in g.nodes if node.expr is not None)
        assert _row(proc.stdout, str(n))[1:3] == [f"{len(g.nodes):,}", f"{edges:,}"]
    assert re.search(r"slope of \(time − floor\) against edges: -?\d+\.\d\d", proc.stdout)
