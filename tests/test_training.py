"""Training questions (``ask: [train]``) against an independent training oracle.

The oracle (:func:`oracle_run`) is this file's own loop in mpmath at 60 digits over
tests/oracle.py's network (its hand-written reverse mode, itself checked against
finite differences here and in test_oracle.py), with the optimizers written from
their definitions:

* SGD: ``w ← w − η g``;
* momentum, PyTorch's form: ``v ← μ v + g``, ``w ← w − η v`` (``v₀ = 0``);
* Adam (Kingma & Ba 2015, Algorithm 1): ``m ← β₁ m + (1 − β₁) g``,
  ``v ← β₂ v + (1 − β₂) g²``, ``m̂ = m / (1 − β₁ᵗ)``, ``v̂ = v / (1 − β₂ᵗ)``,
  ``w ← w − η m̂ / (√v̂ + ε)``.

Every training answer (kind ``loss`` or ``update`` with a ``step``) of the bundled
training problems and of small hand-made ones is checked to 1e-20 relative; the
exact first step against the compiled run's; optionally the whole run against
``torch.optim`` in float64; and the command line's loss plots and its errors.

Run: ``cd /work/main && python -m pytest tests/test_training.py -q``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mpmath import mp, mpf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle as O  # noqa: E402

from solver.cli import main  # noqa: E402
from solver.key.solve import solve  # noqa: E402
from solver.problem import validate  # noqa: E402
from solver.render.answers import answers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
def _dense(data: dict) -> bool:
    """A dense network (this oracle's kind); convolutional networks have theirs in
    tests/test_tensor_graph.py."""
    return "network" in data and not any(layer.get("type", "dense") != "dense" for layer in data["network"]["layers"])


def _this_oracles(data: dict) -> bool:
    """Optimizers this file's oracle writes out (SGD, momentum, Adam, no weight decay) and no
    regularisation; every optimizer and option is checked against tests/reference_ops.py in
    tests/test_optimizers.py."""
    loss = data.get("loss")
    if isinstance(loss, dict) and loss.get("regularization"):
        return False
    for q in data["questions"]:
        o = q.get("optimizer") or {}
        if o.get("type", "sgd") not in ("sgd", "momentum", "adam") or set(o) - {
                "type", "learning_rate", "momentum", "beta1", "beta2", "epsilon"} or \
                (o.get("type", "sgd") == "sgd" and "momentum" in o):
            return False
    return True


BUNDLED = {p.stem: p for p in sorted((ROOT / "problems").glob("*.yaml"))
           if any("train" in q.get("ask", []) for q in yaml.safe_load(p.read_text(encoding="utf-8"))["questions"])
           and _dense(yaml.safe_load(p.read_text(encoding="utf-8")))
           and _this_oracles(yaml.safe_load(p.read_text(encoding="utf-8")))}
REL = "1e-20"


# --- hand-made training problems -----------------------------------------------------------

HAND = {
    # momentum with μ = 0.5, biases frozen, a batch of three summed, bce per example
    "momentum-batch-sum-frozen-biases": {
        "title": "momentum, batch of 3 (sum), biases not updated",
        "network": {"inputs": {"x1": ["0.5", "-1", "1.5"], "x2": ["1", "0.25", "-0.5"]}, "layers": [
            {"units": 2, "activation": "tanh", "weights": [["0.3", "-0.4"], ["0.2", "0.6"]], "bias": ["0.1", "-0.1"]},
            {"units": 1, "activation": "sigmoid", "weights": [["0.5", "-0.7"]], "bias": "0.2"}]},
        "loss": {"type": "bce", "batch": "sum"}, "target": ["1", "0", "0.75"],
        "questions": [{"id": "run", "ask": ["train"], "steps": 15, "update_biases": False,
                       "optimizer": {"type": "momentum", "learning_rate": "0.3", "momentum": "0.5"}}]},
    # Adam with non-default betas and epsilon, leaky ReLU and softmax, cross-entropy on a class
    "adam-betas-softmax": {
        "title": "Adam, beta1 0.8, beta2 0.99",
        "network": {"inputs": {"x1": "1", "x2": "-0.5"}, "layers": [
            {"units": 3, "activation": "leaky_relu", "slope": "0.1",
             "weights": [["0.2", "0.1"], ["-0.3", "0.4"], ["0.5", "0.6"]], "bias": "0.05"},
            {"units": 3, "activation": "softmax",
             "weights": [["0.1", "0.2", "-0.1"], ["0.3", "-0.2", "0.2"], ["0.0", "0.1", "0.4"]]}]},
        "loss": "cross_entropy", "target": {"class": 2},
        "questions": [{"id": "adam", "ask": ["loss", "gradients", "train"], "steps": 12, "table_every": 4,
                       "optimizer": {"type": "adam", "learning_rate": "0.05", "beta1": "0.8", "beta2": "0.99",
                                     "epsilon": "1e-6"}}]},
    # momentum with the default μ = 0.9, z = x W, indexed names, a batch of two (mean)
    "momentum-default-xw": {
        "title": "momentum (default 0.9), z = x W",
        "network": {"inputs": {"a": ["1", "-2"], "b": ["0.5", "0.5"]}, "orientation": "xW", "naming": "indexed",
                    "layers": [
                        {"units": 2, "activation": "sigmoid", "weights": [["0.1", "0.2"], ["-0.3", "0.4"]],
                         "bias": "0.1"},
                        {"units": 2, "activation": "linear", "weights": [["0.5", "-0.5"], ["0.25", "0.75"]],
                         "bias": ["0", "0.1"]}]},
        "loss": {"type": "half_sse"}, "target": [["1", "0"], ["0", "1"]],
        "questions": [{"id": "m", "ask": ["train"], "steps": 25,
                       "optimizer": {"type": "momentum", "learning_rate": "0.2"}}]},
    # SGD named as an optimizer, a softmax head on a linear output, a two-question file
    "sgd-head-two-questions": {
        "title": "SGD with a softmax head",
        "network": {"inputs": {"x1": "0.4", "x2": "-0.6"}, "layers": [
            {"units": 2, "activation": "tanh", "weights": [["0.7", "0.1"], ["-0.2", "0.3"]], "bias": ["0.1", "0"]},
            {"units": 2, "weights": [["0.4", "-0.3"], ["0.2", "0.6"]], "bias": ["0.05", "-0.05"]}]},
        "loss": "cross_entropy", "target": ["0.2", "0.8"],
        "questions": [{"id": "fwd", "ask": ["forward", "loss"], "output_head": "softmax"},
                      {"id": "sgd", "ask": ["forward", "train"], "output_head": "softmax", "steps": 8,
                       "optimizer": {"type": "sgd", "learning_rate": "0.5"}}]},
    # Adam, default betas, biases frozen, a batch of three classes (mean), ReLU
    "adam-batch-classes-frozen": {
        "title": "Adam on a batch of classes",
        "network": {"inputs": {"x1": ["1", "0.5", "-1"], "x2": ["2", "-1", "0.5"]}, "layers": [
            {"units": 2, "activation": "relu", "weights": [["0.3", "0.2"], ["-0.1", "0.4"]], "bias": "0.1"},
            {"units": 3, "activation": "softmax", "weights": [["0.2", "-0.1"], ["0.1", "0.3"], ["-0.2", "0.1"]],
             "bias": ["0", "0.1", "-0.1"]}]},
        "loss": {"type": "cross_entropy", "batch": "mean"}, "target": [{"class": 1}, {"class": 3}, {"class": 2}],
        "questions": [{"id": "a", "ask": ["train"], "steps": 6, "update_biases": False,
                       "optimizer": {"type": "adam", "learning_rate": "0.1"}}]},
    # one step of plain SGD asked both as an update and as training: the same numbers
    "sgd-one-step-and-update": {
        "title": "one step",
        "network": {"inputs": {"x1": "1", "x2": "2"}, "layers": [
            {"units": 2, "activation": "relu", "weights": [["0.2", "0.1"], ["0.3", "0.2"]], "bias": "0.1"},
            {"units": 2, "activation": "sigmoid", "weights": [["0.1", "0.2"], ["0.4", "0.3"]], "bias": "0.2"}]},
        "loss": "mse", "target": ["0", "1"],
        "questions": [{"id": "one", "ask": ["update", "train"], "steps": 1, "learning_rate": "0.1"}]},
}


def _problem(name: str):
    from solver.problem.loader import load_problem
    return load_problem(BUNDLED[name]) if name in BUNDLED else validate(HAND[name])


CASES = sorted(BUNDLED) + sorted(HAND)


# --- the training oracle -------------------------------------------------------------------

def optimizer(q) -> dict:
    """The question's optimizer settings as mpf (plain SGD when only a learning rate is given)."""
    with mp.workdps(O.DPS):
        if q.optimizer is None:
            return {"type": "sgd", "eta": O.to_mpf(q.learning_rate)}
        o = q.optimizer

        def given(name: str, default: str):  # PyTorch's defaults where the file gives none
            value = getattr(o, name, None)
            return O.to_mpf(value if value is not None else default)

        return {"type": o.type, "eta": O.to_mpf(o.learning_rate), "mu": given("momentum", "0.9"),
                "b1": given("beta1", "0.9"), "b2": given("beta2", "0.999"), "eps": given("epsilon", "1e-8")}


def trained_names(problem, q) -> list[str]:
    """The parameters a training question moves: every weight, and every bias unless
    ``update_biases: false``."""
    names = O.parameter_names(problem)
    return [k for k, pid in names.items() if q.update_biases or pid[0] != "b"]


def oracle_run(problem, q, keep: set[int]) -> dict[int, tuple[mpf, dict[str, mpf]]]:
    """``q.steps`` steps of the question's optimizer on the network, at 60 digits.

    Returns:
        step → (loss after that many steps, every parameter's value by name), for the
        steps in ``keep`` (step 0: before training).
    """
    orc = O.Oracle.from_problem(problem, q)
    names = O.parameter_names(problem)
    trained = trained_names(problem, q)
    opt = optimizer(q)
    out = {}
    with mp.workdps(O.DPS):
        P = {pid: O.to_mpf(v) for pid, v in orc.params.items()}
        m = {k: mpf(0) for k in trained}
        v = {k: mpf(0) for k in trained}
        for t in range(q.steps + 1):
            loss, grad = orc.backprop(P)
            if t in keep:
                out[t] = (loss, {k: P[pid] for k, pid in names.items()})
            if t == q.steps:
                break
            for k in trained:
                pid = names[k]
                g = grad[pid]
                if opt["type"] == "sgd":
                    P[pid] -= opt["eta"] * g
                elif opt["type"] == "momentum":
                    m[k] = opt["mu"] * m[k] + g
                    P[pid] -= opt["eta"] * m[k]
                else:
                    step = t + 1
                    m[k] = opt["b1"] * m[k] + (1 - opt["b1"]) * g
                    v[k] = opt["b2"] * v[k] + (1 - opt["b2"]) * g * g
                    mhat = m[k] / (1 - opt["b1"] ** step)
                    vhat = v[k] / (1 - opt["b2"] ** step)
                    P[pid] -= opt["eta"] * mhat / (mp.sqrt(vhat) + opt["eps"])
    return out


def rel_close(got: mpf, want: mpf, rel: str = REL) -> bool:
    """|got − want| ≤ rel · |want| (plus 1e-45 for a value that is 0)."""
    with mp.workdps(O.DPS):
        return abs(got - want) <= mpf(rel) * abs(want) + mpf("1e-45")


def training_answers(sol: dict, qid: str) -> list[dict]:
    (sec,) = [s for s in sol["questions"] if s["id"] == qid]
    return [a for a in sec["answers"] if "step" in a and a["kind"] != "state"]  # state: tests/test_optimizers.py


def check_structure(problem, q, found: list[dict]) -> tuple[set[int], set[int]]:
    """The shape of a training question's answers: losses of ``L`` at step 0, the last
    step and every ``table_every`` in between; the parameters trained (all of them,
    nothing else) at step 1 and at every later step whose loss is given. Returns (loss
    steps, update steps)."""
    where = q.id
    assert found, f"{where}: no training answers"
    assert {a["kind"] for a in found} <= {"loss", "update", "state"}, where
    found = [a for a in found if a["kind"] != "state"]  # the optimizer's state: tests/test_optimizers.py
    keys = [(a["kind"], a["of"], a["step"]) for a in found]
    assert len(keys) == len(set(keys)), f"{where}: an answer given twice"
    loss_steps = {a["step"] for a in found if a["kind"] == "loss"}
    assert all(a["of"] == "L" for a in found if a["kind"] == "loss"), where
    assert {0, q.steps} <= loss_steps <= set(range(q.steps + 1)), (where, sorted(loss_steps))
    if q.table_every:
        assert set(range(0, q.steps + 1, q.table_every)) <= loss_steps, (where, sorted(loss_steps))
    update_steps = {a["step"] for a in found if a["kind"] == "update"}
    assert update_steps == {1} | (loss_steps - {0}), (where, sorted(update_steps), sorted(loss_steps))
    trained = sorted(trained_names(problem, q))
    for s in update_steps:
        got = sorted(a["of"] for a in found if a["kind"] == "update" and a["step"] == s)
        assert got == trained, f"{where}: step {s} updates {got}, expected {trained}"
    return loss_steps, update_steps


@pytest.mark.parametrize("name", CASES)
def test_training_answers_match_the_oracle(name):
    problem = _problem(name)
    sol = answers(solve(problem, name))
    n_checked = 0
    for q in problem.questions:
        if "train" not in q.ask:
            assert not training_answers(sol, q.id)
            continue
        found = training_answers(sol, q.id)
        loss_steps, update_steps = check_structure(problem, q, found)
        found = [a for a in found if a["kind"] != "state"]
        run = oracle_run(problem, q, loss_steps | update_steps)
        for a in found:
            loss, params = run[a["step"]]
            want = loss if a["kind"] == "loss" else params[a["of"]]
            got = O.read_exact(a["exact"])
            assert rel_close(got, want), \
                f"{name}/{q.id} step {a['step']}: {a['kind']} {a['of']}: solver {O.show(got)}, oracle {O.show(want)}"
            assert abs(a["value"] - float(want)) <= 1e-12 * abs(float(want)) + 1e-300, (name, q.id, a)
            n_checked += 1
    assert n_checked > 0


@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_made_problems_match_the_network_oracle(name):
    """The other answers of the hand-made training problems (values, losses, gradients)."""
    from test_oracle import check_solution

    counts = check_solution(_problem(name), name)
    assert not counts["kinked"] and counts["gradient"] > 0 and counts["training"] > 0


def test_update_and_first_training_step_agree():
    """A question asking for both an update and training gives the same step-1 numbers."""
    problem = _problem("sgd-one-step-and-update")
    (sec,) = answers(solve(problem, "one"))["questions"]
    updates = {a["of"]: a["exact"] for a in sec["answers"] if a["kind"] == "update" and "step" not in a}
    step1 = {a["of"]: a["exact"] for a in sec["answers"] if a["kind"] == "update" and a.get("step") == 1}
    assert updates and updates == step1


def test_oracle_run_agrees_with_finite_differences():
    """The oracle's loop with finite-difference gradients gives the same run as with
    its reverse mode (a short Adam run, where every gradient matters)."""
    problem = _problem("adam-betas-softmax")
    q = problem.questions[0]
    run = oracle_run(problem, q, {4})
    orc = O.Oracle.from_problem(problem, q)
    names = O.parameter_names(problem)
    opt = optimizer(q)
    with mp.workdps(O.DPS):
        P = {pid: O.to_mpf(v) for pid, v in orc.params.items()}
        m = {k: mpf(0) for k in names}
        v = {k: mpf(0) for k in names}
        for t in range(1, 5):
            grads = {}
            for k, pid in names.items():
                h = mpf(O.STEP)
                up = orc.forward(override={**P, pid: P[pid] + h}).loss
                down = orc.forward(override={**P, pid: P[pid] - h}).loss
                grads[k] = (up - down) / (2 * h)
            for k, pid in names.items():
                m[k] = opt["b1"] * m[k] + (1 - opt["b1"]) * grads[k]
                v[k] = opt["b2"] * v[k] + (1 - opt["b2"]) * grads[k] ** 2
                P[pid] -= opt["eta"] * (m[k] / (1 - opt["b1"] ** t)) / (mp.sqrt(v[k] / (1 - opt["b2"] ** t))
                                                                        + opt["eps"])
        for k, pid in names.items():
            assert rel_close(run[4][1][k], P[pid], "1e-30"), k


def test_graph_problem_training_matches_finite_differences():
    """A ``graph:`` problem trains its parameters (not its inputs) with plain SGD; the
    oracle's gradients are finite differences of the graph oracle."""
    data = {"title": "g", "graph": {"inputs": {"x": "2"}, "parameters": {"w": "0.5", "b": "0.1"},
                                    "nodes": {"z": "w*x + b", "L": "square(sigmoid(z) - 0.3)"}, "output": "L"},
            "questions": [{"id": "t", "ask": ["train"], "steps": 5, "learning_rate": "1"}]}
    problem = validate(data)
    found = training_answers(answers(solve(problem, "g")), "t")
    orc = O.GraphOracle.from_problem(problem)
    with mp.workdps(O.DPS):
        P = {k: O.to_mpf(v) for k, v in orc.leaves.items() if k in orc.parameters}
        want = {}
        for t in range(6):
            h = mpf(O.STEP)
            loss = orc.forward(override=P)["__loss__"]
            want[("loss", "L", t)] = loss
            for k in P:
                if t:
                    want[("update", k, t)] = P[k]
            grads = {k: (orc.forward(override={**P, k: P[k] + h})["__loss__"]
                         - orc.forward(override={**P, k: P[k] - h})["__loss__"]) / (2 * h) for k in P}
            for k in P:
                P[k] -= grads[k]
    assert {(a["kind"], a["of"], a["step"]) for a in found} == set(want)
    for a in found:
        w = want[(a["kind"], a["of"], a["step"])]
        assert rel_close(O.read_exact(a["exact"]), w), (a, O.show(w))


# --- the exact first step against the compiled run ------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_exact_first_step_agrees_with_the_compiled_run(name):
    """Step 1 of the key is derived exactly (sympy); the run is compiled to mpmath. The
    step-1 answers and the compiled run's first step agree to the 30 digits printed,
    and the loss at step 0 is the loss of the question's forward pass."""
    from solver.graph.backprop import backward, forward
    from solver.graph.network import build_network
    from solver.graph.training import train
    from solver.key.training import optimizer_of

    problem = _problem(name)
    sol = answers(solve(problem, name))
    for q in problem.questions:
        if "train" not in q.ask:
            continue
        graph = build_network(problem, q)
        values = forward(graph)
        grads = backward(graph, values)
        params = trained_names(problem, q)
        snaps = {s.step: s for s in train(graph, grads, params, optimizer_of(q), 1, lambda t: True)}
        found = training_answers(sol, q.id)
        step1 = {a["of"]: a for a in found if a["kind"] == "update" and a["step"] == 1}
        assert sorted(step1) == sorted(params)
        with mp.workdps(O.DPS):
            for k in params:
                compiled = +snaps[1].params[k]
                assert rel_close(O.read_exact(step1[k]["exact"]), compiled, "1e-28"), (name, q.id, k)
            (l0,) = [a for a in found if a["kind"] == "loss" and a["step"] == 0]
            (plain,) = [a for s in sol["questions"] if s["id"] == q.id for a in s["answers"]
                        if a["kind"] == "loss" and a["of"] == "L" and "step" not in a]
            assert rel_close(O.read_exact(l0["exact"]), O.read_exact(plain["exact"]), "1e-28")
            assert rel_close(O.read_exact(l0["exact"]), +snaps[0].loss, "1e-28")


# --- PyTorch, when installed -------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_training_matches_torch_optim(name):
    """The whole run against torch.optim.SGD (momentum, dampening 0) / Adam in float64."""
    torch = pytest.importorskip("torch")
    from test_oracle import _torch_network_loss

    problem = _problem(name)
    sol = answers(solve(problem, name))
    n = 0
    for q in problem.questions:
        if "train" not in q.ask:
            continue
        orc = O.Oracle.from_problem(problem, q)
        names = O.parameter_names(problem)
        trained = set(trained_names(problem, q))
        leaf = {pid: torch.tensor(float(v), dtype=torch.float64, requires_grad=names_of(names, pid) in trained)
                for pid, v in orc.params.items()}
        leaf.update({("x", i, k): torch.tensor(float(v), dtype=torch.float64)
                     for k, xs in enumerate(orc.examples, start=1) for i, v in enumerate(xs)})
        opt_params = [leaf[names[k]] for k in names if k in trained]
        h = optimizer(q)  # the settings, PyTorch's defaults where the file gives none
        if h["type"] == "sgd":
            opt = torch.optim.SGD(opt_params, lr=float(h["eta"]))
        elif h["type"] == "momentum":
            opt = torch.optim.SGD(opt_params, lr=float(h["eta"]), momentum=float(h["mu"]))
        else:
            opt = torch.optim.Adam(opt_params, lr=float(h["eta"]), betas=(float(h["b1"]), float(h["b2"])),
                                   eps=float(h["eps"]))
        found = [a for a in training_answers(sol, q.id) if a["kind"] != "state"]
        want: dict = {}
        for t in range(q.steps + 1):
            opt.zero_grad()
            loss = _torch_network_loss(torch, orc, leaf)
            want[("loss", "L", t)] = float(loss.detach())
            for k, pid in names.items():
                want[("update", k, t)] = float(leaf[pid].detach())
            if t < q.steps:
                loss.backward()
                opt.step()
        for a in found:
            w = want[(a["kind"], a["of"], a["step"])]
            assert abs(a["value"] - w) <= 1e-9 * abs(w) + 1e-12, (name, q.id, a["kind"], a["of"], a["step"],
                                                                   a["value"], w)
            n += 1
    assert n > 0


def names_of(names: dict, pid: tuple) -> str:
    (k,) = [k for k, p in names.items() if p == pid]
    return k


# --- the command line: plots and errors ------------------------------------------------------

XOR = ROOT / "problems" / "xor-2-2-1-training.yaml"


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_markdown_key_writes_one_loss_plot_per_training_question(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(XOR), "-o", str(out), "-f", "md"])
    assert result.exit_code == 0, result.stderr
    train_ids = [q["id"] for q in yaml.safe_load(XOR.read_text(encoding="utf-8"))["questions"]
                 if "train" in q["ask"]]
    svgs = [f"{XOR.stem}-{qid}-loss.svg" for qid in train_ids]
    written = {p.name for p in out.iterdir()}
    assert f"{XOR.stem}.md" in written
    assert sorted(n for n in written if n.endswith("-loss.svg")) == sorted(svgs)  # beside it, one per question
    md = (out / f"{XOR.stem}.md").read_text(encoding="utf-8")
    for name in svgs:
        assert f"]({name})" in md, f"the key does not show {name}"
        text = (out / name).read_text(encoding="utf-8")
        assert "<svg" in text and text.rstrip().endswith("</svg>")
        assert f"wrote {out / name}\n" in result.stdout


def test_no_plot_without_markdown(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(XOR), "-o", str(out), "-f", "tex", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    written = {p.name for p in out.iterdir()}
    assert {f"{XOR.stem}.tex", f"{XOR.stem}.json"} <= written
    assert not [n for n in written if n.endswith("-loss.svg")], written


def test_two_runs_write_byte_identical_svg(tmp_path):
    """Two separate processes write the same bytes (no date, no random ids)."""
    path = _write(tmp_path, "mom", HAND["momentum-default-xw"])
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        proc = subprocess.run([sys.executable, "-m", "solver", "solve", str(path), "-o", str(out), "-f", "md"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs.append(out / "mom-m-loss.svg")
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert outs[0].stat().st_size > 1000


DIVERGING = {
    # an exp-based net: the sigmoid saturates to 1 at 50 digits, so ln(1 − p) = −∞
    "sigmoid-bce": {
        "title": "diverges", "network": {"inputs": {"x1": "2"}, "layers": [
            {"units": 1, "activation": "sigmoid", "weights": [["0.5"]], "bias": "0.1"}]},
        "loss": "bce", "target": ["0.25"],
        "questions": [{"id": "t", "ask": ["train"], "steps": 50, "learning_rate": "1e6"}]},
    # a linear net whose parameters grow tenfold each step, past 1e300 (a float64 grader's inf)
    "linear-sse": {
        "title": "diverges", "network": {"inputs": {"x1": "2"}, "layers": [
            {"units": 1, "activation": "linear", "weights": [["0.5"]], "bias": "0.1"}]},
        "loss": "sse", "target": ["1"],
        "questions": [{"id": "t", "ask": ["train"], "steps": 400, "learning_rate": "10"}]},
}


@pytest.mark.parametrize("case", sorted(DIVERGING))
def test_diverging_run_is_a_one_line_error(runner, tmp_path, case):
    path = _write(tmp_path, case, DIVERGING[case])
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(path), "-o", str(out), "-f", "md", "-f", "json"])
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.stderr.strip()}"
    assert len(lines) == 1 and lines[0].startswith(f"nnsolve: error: {path}"), result.stderr
    assert "questions[0]" in lines[0]
    assert not out.exists() or not any(out.iterdir()), "a failed run wrote files"


def test_train_without_steps_is_a_clear_error(runner, tmp_path):
    data = json.loads(json.dumps(HAND["adam-betas-softmax"]))
    del data["questions"][0]["steps"]
    path = _write(tmp_path, "nosteps", data)
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(path), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"nnsolve: error: {path}") and "questions[0].steps" in lines[0], lines[0]
    assert "steps" in lines[0].split("questions[0].steps", 1)[1], lines[0]
    assert not out.exists()


def test_table_every_longer_than_the_run_heads_what_the_table_shows():
    # table_every: 10 over 3 steps headed the table "(every 10 steps)" above steps 0 and 3
    data = {"title": "Short run", "network": {"inputs": {"x1": 1, "x2": 2}, "layers": [
        {"units": 1, "activation": "sigmoid", "weights": [[0.1, 0.2]], "bias": 0}]}, "loss": "sse",
        "target": [1], "questions": [{"id": "t", "ask": ["train"], "steps": 3, "table_every": 10,
                                      "learning_rate": 0.5}]}
    (table,) = [t for t in solve(validate(data), "short").sections[0].tables if t.title.startswith("Loss and")]
    assert table.title == "Loss and parameters during training (every 3 steps)"
    assert [row[0] for row in table.rows] == ["0", "3"]


def test_a_training_questions_final_answers_give_the_parameters_it_ends_with():
    """Final answers of a run: each layer's weights as its matrix, each bias, and the loss, all
    after the last step, each the same number as the step's answer (checked against the oracle
    above) and as the table's last row. Before, they gave the loss alone."""
    sol = solve(validate(yaml.safe_load(XOR.read_text(encoding="utf-8"))), XOR.stem)
    section = next(s for s in sol.sections if s.id == "three-steps")
    assert section.final == (
        r"W^{(1)} \approx \left[\begin{array}{rr} 0.4891 & -0.3974 \\ 0.2926 & 0.7904 \end{array}\right]"
        r"\ \text{after 3 steps}",
        r"W^{(2)} \approx \left[\begin{array}{rr} 0.6704 & -0.6126 \end{array}\right]\ \text{after 3 steps}",
        r"b_{1} \approx 0.08568\ \text{after 3 steps}",
        r"b_{2} \approx -0.2005\ \text{after 3 steps}",
        r"b_{3} \approx 0.008164\ \text{after 3 steps}",
        r"L \approx 0.2510\ \text{after 3 steps}")
    last = {a.of: a.display for a in section.answers if a.kind == "update" and a.step == 3}
    assert [last[k] for k in ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")] == [
        "0.4891", "-0.3974", "0.2926", "0.7904", "0.6704", "-0.6126", "0.08568", "-0.2005", "0.008164"]
    (table,) = [t for t in section.tables if t.title.startswith("Loss and")]
    assert [c.replace(r"\phantom{0}", "") for c in table.rows[-1][1:]] == [
        "0.2510", "0.4891", "-0.3974", "0.2926", "0.7904", "0.08568", "-0.2005", "0.6704", "-0.6126", "0.008164"]
