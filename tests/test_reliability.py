"""Reliability: the documented limits hold (and keep their promises of time), outputs
are replaced atomically even when the process is killed, and the same problem gives
byte-identical outputs on every run.

* Limits: the README's "Limits" table says what ``solver/checks.py`` and
  ``solver/loader.py`` enforce; the benchmark's 10,954-parameter network is within
  them; a problem at each limit is accepted, one past it refused with one line
  naming the field; the longest training run allowed finishes well within a minute.
  (The bad files of each limit are in ``tests/bad/``; see ``tests/test_bad_input.py``.)
* Atomic output: a run killed with SIGKILL, while computing or while writing, leaves
  the previous outputs byte for byte (or, for a file already renamed into place, the
  complete new one); a run that fails on a later problem leaves them as they were.
* Reproducible: every bundled problem, solved twice in fresh processes with different
  hash seeds (``PYTHONHASHSEED``), cold and warm template cache, gives the same bytes
  in every output file (md, tex, json, svg; key and question sheet); no output holds
  today's date or the time.

Run: ``cd /work/main && python -m pytest tests/test_reliability.py -q``.
"""

from __future__ import annotations

import datetime
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from solver.problem import checks, loader
from solver.core.errors import ProblemError
from solver.problem import validate

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
XOR = PROBLEMS / "xor-2-2-1-training.yaml"
GOOD = PROBLEMS / "relu-2-2-2.yaml"


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("NNSOLVE_DEBUG", None)
    return env


def _cli(*args: str, cwd: Path = ROOT, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def dense_network(shape: tuple[int, ...], seed: int = 1, batch: int | None = None, activation: str = "relu",
                  questions: list[dict] | None = None) -> dict:
    """A dense network problem (as plain data): ``shape`` is (inputs, units…), two-decimal
    values in [-1, 1], a bias per neuron, a linear output layer and half_sse."""
    rng = random.Random(seed)

    def num() -> str:
        return f"{rng.randint(-100, 100) / 100:.2f}"

    def value():
        return num() if batch is None else [num() for _ in range(batch)]

    layers = []
    for li, (n_in, n_out) in enumerate(zip(shape, shape[1:])):
        layers.append({"units": n_out, "activation": activation if li < len(shape) - 2 else "linear",
                       "weights": [[num() for _ in range(n_in)] for _ in range(n_out)],
                       "bias": [num() for _ in range(n_out)]})
    target = [num() for _ in range(shape[-1])]
    return {"title": f"A {'-'.join(map(str, shape))} network",
            "network": {"inputs": {f"x{i + 1}": value() for i in range(shape[0])}, "layers": layers},
            "loss": "half_sse", "target": target if batch is None else [target] * batch,
            "questions": questions or [{"id": "all", "ask": ["forward", "loss", "gradients"]}]}


def parameters(shape: tuple[int, ...]) -> int:
    return sum(a * b + b for a, b in zip(shape, shape[1:]))


def refused(data: dict) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        validate(data, "p.yaml")
    return info.value


# --- limits ------------------------------------------------------------------------------

def _readme_limits() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Limits\n")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_states_the_limits_the_code_enforces():
    section = _readme_limits()
    numbers = {int(n.replace(",", "")) for n in re.findall(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b", section)}
    for limit in (checks.MAX_PARAMETERS, checks.MAX_KEY_WORK, checks.MAX_TRAIN_WORK, checks.MAX_GRAPH_SIZE,
                  checks.MAX_GRAPH_KEY_WORK, checks.MAX_GRAPH_TRAIN_WORK, checks.MAX_NESTED_POWER,
                  loader.MAX_VALUES, loader.MAX_DEPTH, loader.MAX_DIGITS):
        assert limit in numbers, f"README's Limits section does not state {limit:,}"
    assert loader.MAX_BYTES == 1_000_000 and "1 MB" in section
    # The section sits before the layout (the Performance section may stand between them).
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("\n## Limits\n") < text.index("\n## Layout\n")


def test_the_benchmark_network_is_within_the_limits():
    # bench/bench.py's "10,000-parameter key": 30-64-64-64-10, 10,954 parameters, one question.
    shape = (30, 64, 64, 64, 10)
    assert parameters(shape) == 10_954
    problem = validate(dense_network(shape), "bench.yaml")
    assert len(problem.network.layers) == 4
    # ... and so is asking it twice.
    validate(dense_network(shape, questions=[{"id": "a", "ask": ["forward"]}, {"id": "b", "ask": ["gradients"]}]))


def test_parameter_limit():
    # 64 inputs, 64-unit layers: 4,160 parameters each; the last layer tops up to the limit.
    base = (64, 64, 64, 64, 64)  # 16,640
    rest = checks.MAX_PARAMETERS - parameters(base)  # 3,360 = 52 units × 65 − 20
    units, extra = divmod(rest, 65)
    at_limit = dense_network(base + (units,))
    data = dense_network(base + (units + 1,))
    assert parameters(base + (units,)) <= checks.MAX_PARAMETERS < parameters(base + (units + 1,))
    validate(at_limit, "p.yaml")
    err = refused(data)
    n = parameters(base + (units + 1,))
    assert (err.field, err.message) == ("network.layers", f"the network has {n:,} parameters (weights and "
                                        f"biases); at most {checks.MAX_PARAMETERS:,}")
    # A shared bias counts once, and a layer without biases counts none.
    for layer in data["network"]["layers"]:
        layer["bias"] = "0.1"
    validate(data, "p.yaml")


def test_key_work_limit():
    shape = (8, 12, 4)  # 160 parameters: a batch of 187 is 29,920, of 188 is 30,080
    per = parameters(shape)
    most = checks.MAX_KEY_WORK // per
    validate(dense_network(shape, batch=most), "p.yaml")
    err = refused(dense_network(shape, batch=most + 1))
    assert err.field == "questions[0]"
    assert err.message.startswith(f"the questions up to this one write out {per * (most + 1):,} parameters × "
                                  f"examples ({per} parameters × {most + 1} examples per question); at most "
                                  f"{checks.MAX_KEY_WORK:,}")
    # Questions add up; a training question counts twice.
    big = (64, 64, 64, 40)  # 10,920 parameters
    two = dense_network(big, questions=[{"id": "a", "ask": ["forward"]}, {"id": "b", "ask": ["gradients"]}])
    validate(two, "p.yaml")
    three = dense_network(big, questions=[{"id": k, "ask": ["forward"]} for k in "abc"])
    assert refused(three).field == "questions[2]"
    train = dense_network(big, questions=[{"id": "a", "ask": ["forward"]},
                                          {"id": "t", "ask": ["train"], "steps": 1, "learning_rate": 0.1}])
    err = refused(train)
    assert err.field == "questions[1]" and "a training question counts twice" in err.message
    # Structural questions (counts, shapes) compute no values, so they cost nothing here.
    arch = {"input": [64], "layers": [{"type": "dense", "units": 10}]}
    validate(dense_network(big, questions=[{"id": "a", "ask": ["gradients"]},
                                           *({"id": f"c{i}", "ask": ["count"], "architecture": arch}
                                             for i in range(10))]), "p.yaml")


def _xor(steps: int, *more: int) -> dict:
    data = yaml.safe_load(XOR.read_text(encoding="utf-8"))
    data["questions"] = [{"id": f"run{i}", "ask": ["train"], "steps": s, "learning_rate": 2.5,
                          "table_every": max(1, s // 10)} for i, s in enumerate((steps, *more))]
    return data


def test_training_work_limit():
    per = 9 * 4  # XOR: 9 parameters, 4 examples
    most = checks.MAX_TRAIN_WORK // per
    assert most == 6_944
    validate(_xor(most), "xor.yaml")
    err = refused(_xor(most + 1))
    assert (err.field, err.message) == (
        "questions[0].steps", f"training takes {(most + 1) * per:,} steps × parameters × examples "
        f"({most + 1:,} steps × 9 parameters × 4 examples); at most {checks.MAX_TRAIN_WORK:,}: take fewer steps")
    # Training questions add up.
    validate(_xor(most - 1000, 1000), "xor.yaml")
    err = refused(_xor(most - 1000, 1001))
    assert err.field == "questions[1].steps" and "with the training questions before it" in err.message


def test_graph_limits_accept_the_bundled_graphs_and_refuse_past_them():
    data = yaml.safe_load((PROBLEMS / "scalar-graph-skip.yaml").read_text(encoding="utf-8"))
    size = sum((1 + len({m for m in re.findall(r"[A-Za-z_]\w*", t) if m != "relu"})) * len(t)
               for t in data["graph"]["nodes"].values())
    assert size == 147
    most = checks.MAX_GRAPH_TRAIN_WORK // size
    data["questions"] = [{"id": "t", "ask": ["train"], "steps": most, "learning_rate": 0.01}]
    validate(data, "g.yaml")
    data["questions"][0]["steps"] = most + 1
    assert refused(data).field == "questions[0].steps"
    # Nested powers: 2^10 is allowed, 2^11 is not; powers in separate nodes do not multiply.
    expr = "x0 * w0"
    for _ in range(10):
        expr = f"square({expr})"
    data = {"title": "powers", "graph": {"inputs": {"x0": "0.3"}, "parameters": {"w0": "0.7"},
                                         "nodes": {"a": expr, "b": "a^64", "c": "b^64", "z": "c^2"}, "output": "z"},
            "questions": [{"id": "q", "ask": ["forward", "gradients"]}]}
    validate(data, "g.yaml")
    data["graph"]["nodes"]["a"] = f"({expr})^2"
    err = refused(data)
    assert (err.field, err.message) == ("graph.nodes.a", "the powers nested in this node multiply to an "
                                        "exponent of 2,048; at most 1,024 (values are exact)")
    data["graph"]["nodes"]["a"] = "sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(x0 * w0)))))))))))"
    assert refused(data).message.startswith("the powers nested in this node multiply to an exponent of 2,048")


def test_nested_powers_at_the_limit_solve_quickly(tmp_path):
    # square() ten deep: x^1024 exactly, then powers of 64 in later nodes (kept as 50-digit
    # floats once exact values grow past 2,000 bits). Before the limit, 20 deep took 98 s.
    expr = "x0 * w0"
    for _ in range(10):
        expr = f"square({expr})"
    path = tmp_path / "powers.yaml"
    path.write_text(yaml.safe_dump({
        "title": "powers", "graph": {"inputs": {"x0": 0.9}, "parameters": {"w0": 1.1},
                                     "nodes": {"a": expr, "b": "a^64", "z": "b^2 + a"}, "output": "z"},
        "questions": [{"id": "q", "ask": ["forward", "gradients"]}]}), encoding="utf-8")
    start = time.perf_counter()
    proc = _cli("solve", str(path), "-o", str(tmp_path / "out"), "-f", "json", "-f", "md", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert time.perf_counter() - start < 20


def test_the_longest_training_run_allowed_finishes_well_within_a_minute(tmp_path):
    # XOR at the training limit: 6,944 steps × 9 parameters × 4 examples (~8 s on CI).
    path = tmp_path / "xor-long.yaml"
    path.write_text(yaml.safe_dump(_xor(checks.MAX_TRAIN_WORK // 36)), encoding="utf-8")
    start = time.perf_counter()
    proc = _cli("solve", str(path), "-o", str(tmp_path / "out"), "-f", "json", timeout=120)
    took = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    assert took < 45, f"{took:.1f} s"


# --- atomic output -----------------------------------------------------------------------

#: A 30-64-40-1 ReLU network (4,625 parameters, all gradients): several seconds to solve,
#: about 20 MB of Markdown, LaTeX and JSON to write.
SLOW_SHAPE = (30, 64, 40, 1)
FORMATS = ("-f", "md", "-f", "tex", "-f", "json")


@pytest.fixture(scope="module")
def slow_problem(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("slow")
    path = folder / "slow.yaml"
    path.write_text(yaml.safe_dump(dense_network(SLOW_SHAPE), width=10_000), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def slow_run(slow_problem, tmp_path_factory) -> tuple[dict[str, bytes], float]:
    """The complete outputs of a run of the slow problem, by file name, and its time."""
    out = tmp_path_factory.mktemp("reference")
    start = time.perf_counter()
    proc = _cli("solve", str(slow_problem), "-o", str(out), *FORMATS)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    return {p.name: p.read_bytes() for p in out.iterdir()}, seconds


@pytest.fixture(scope="module")
def slow_reference(slow_run) -> dict[str, bytes]:
    return slow_run[0]


def _plant(out: Path, names) -> dict[str, bytes]:
    """Previous outputs with known content (as a user's earlier run would have left them)."""
    out.mkdir(parents=True, exist_ok=True)
    old = {}
    for name in names:
        content = f"the previous version of {name}\n".encode() * 100
        (out / name).write_bytes(content)
        old[name] = content
    return old


def _listing(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _start(problem: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "solver", "solve", str(problem), "-o", str(out), *FORMATS],
                            cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def test_killed_while_computing_leaves_previous_outputs(slow_problem, slow_run, tmp_path):
    reference, seconds = slow_run
    out = tmp_path / "out"
    old = _plant(out, reference)
    proc = _start(slow_problem, out)
    time.sleep(min(1.0, seconds / 3))  # after the imports, well before the writing
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert _listing(out) == old  # every file byte for byte, nothing new (not even a temporary file)


def test_killed_while_writing_leaves_each_file_whole(slow_problem, slow_reference, tmp_path):
    """SIGKILL the moment the first temporary output appears: every output is still either
    the previous version or the complete new one, never a part. (SIGKILL leaves no chance
    to remove the temporary files: hidden ``.<name>.*.tmp`` files may remain.)"""
    out = tmp_path / "out"
    old = _plant(out, slow_reference)
    proc = _start(slow_problem, out)
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if any(_temporary(e.name) for e in os.scandir(out)):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.0005)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it wrote anything"
    after = _listing(out)
    for name, content in after.items():
        if _temporary(name):
            continue
        assert name in old, f"{name}: a file that was not there before"
        assert content in (old[name], slow_reference[name]), f"{name} is neither the old nor the new version"
    assert {n for n in after if not _temporary(n)} == set(old)


@pytest.mark.parametrize("order", ["bad-second", "bad-first"])
def test_a_bad_file_keeps_its_previous_outputs_and_the_good_one_is_written(tmp_path, order):
    """As a compiler goes on past a bad file: the bad file gets one line and writes
    nothing (its earlier outputs stay byte for byte), the good file is solved and
    written whole, and the exit code is 2 at the end."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.read_text(encoding="utf-8").replace("activation: relu", "activation: relux", 1),
                   encoding="utf-8")
    out = tmp_path / "out"
    old = _plant(out, ["relu-2-2-2.md", "relu-2-2-2.tex", "relu-2-2-2.json", "relu-2-2-2-diagram.svg",
                       "bad.md", "bad.json", "unrelated.txt"])
    problems = [str(GOOD), str(bad)] if order == "bad-second" else [str(bad), str(GOOD)]
    proc = _cli("solve", *problems, "-o", str(out), *FORMATS, "--sheet", "both")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [proc.stderr.splitlines()[0]]
    assert proc.stderr.startswith(f"nnsolve: error: {bad}: network.layers[0].activation: ")
    written = {line.removeprefix("wrote ") for line in proc.stdout.splitlines()}
    assert written and all(Path(w).name.startswith("relu-2-2-2") for w in written)
    now = _listing(out)
    for name in ("bad.md", "bad.json", "unrelated.txt"):
        assert now[name] == old[name]
    for name in ("relu-2-2-2.md", "relu-2-2-2.tex", "relu-2-2-2.json", "relu-2-2-2-diagram.svg"):
        assert now[name] != old[name] and str(out / name) in written
    assert not any(n.startswith("bad") for n in set(now) - set(old))


def test_an_output_that_cannot_be_replaced_leaves_the_others(tmp_path):
    """A target that is a folder cannot be renamed over: the run must fail with the
    one-line write error (exit 1) before any target is replaced, not half way through
    the renames with an "internal error"."""
    out = tmp_path / "out"
    old = _plant(out, ["relu-2-2-2.md", "relu-2-2-2.tex", "relu-2-2-2-diagram.svg"])
    (out / "relu-2-2-2.json").mkdir()
    proc = _cli("solve", str(GOOD), "-o", str(out), *FORMATS)
    assert proc.returncode == 1
    assert "internal error" not in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith(f"nnsolve: error: {out / 'relu-2-2-2.json'}: "), proc.stderr
    after = _listing_files(out)
    assert after == old


def _listing_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


# --- reproducible outputs ----------------------------------------------------------------

@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    """Every bundled problem solved twice (md, tex, json; key and question sheet), in
    fresh processes with different hash seeds; the first with an empty template cache,
    the second with the cache the first left."""
    base = tmp_path_factory.mktemp("repro")
    cache = base / "cache"
    outs = []
    for seed in ("1", "12345"):
        out = base / f"out-{seed}"
        proc = _cli("solve", str(PROBLEMS), "-o", str(out), *FORMATS, "--sheet", "both",
                    PYTHONHASHSEED=seed, XDG_CACHE_HOME=str(cache))
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    return outs[0], outs[1]


def test_every_bundled_problem_gives_the_same_bytes_every_run(two_runs):
    a, b = two_runs
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    stems = [p.stem for p in PROBLEMS.glob("*.yaml")]
    for stem in stems:  # the key, the sheet and the answers of every problem are there
        for name in (f"{stem}.md", f"{stem}.tex", f"{stem}.json", f"{stem}-questions.md", f"{stem}-questions.tex"):
            assert name in names
    assert any(n.endswith(".svg") for n in names)
    different = [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()]
    assert different == []


def test_no_output_holds_the_date_or_time(two_runs):
    a, _ = two_runs
    now = datetime.datetime.now()
    stamps = {now.strftime("%Y-%m-%d"), now.strftime("%Y/%m/%d"), now.strftime("%d/%m/%Y"),
              now.strftime("%m/%d/%Y"), now.strftime("%B %-d, %Y"), now.strftime("%-d %B %Y"),
              now.strftime("%b %-d, %Y"), now.strftime("%-d %b %Y"),
              datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")}
    clock = re.compile(rf"\b{now:%H}:\d\d:\d\d\b")
    for p in a.iterdir():
        text = p.read_text(encoding="utf-8")
        for stamp in stamps:
            assert stamp not in text, f"{p.name} holds today's date ({stamp})"
        assert not clock.search(text), f"{p.name} holds the time of day"
        assert r"\today" not in text, f"{p.name} prints the date when compiled"


def test_two_processes_share_a_fresh_template_cache(tmp_path):
    """The compiled-template cache (solver/files/cache.py) is written by the writer side,
    entry by entry through a temporary file and a rename: two runs started together on
    an empty cache both succeed, give the same key, and leave only whole entries."""
    cache = tmp_path / "cache"
    env = _env(XDG_CACHE_HOME=str(cache))
    procs = [subprocess.Popen([sys.executable, "-m", "solver", "solve", str(PROBLEMS / "relu-2-2-2.yaml"),
                               "-o", str(tmp_path / f"out{k}"), "-f", "md", "-f", "tex"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for k in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    for name in ("relu-2-2-2.md", "relu-2-2-2.tex"):
        assert (tmp_path / "out0" / name).read_bytes() == (tmp_path / "out1" / name).read_bytes()
    entries = list(cache.rglob("*"))
    assert any(e.suffix == ".cache" for e in entries) and not any(e.suffix == ".tmp" for e in entries)
