"""Fuzzing the command line with generated problem files, valid and invalid.

Every generated file goes through ``nnsolve solve -f md -f tex -f json`` (in process,
with click's CliRunner) and the outcome must be one of two:

* exit 0, and the answers JSON is strict JSON (no NaN or Infinity) whose numbers are
  all finite; or
* exit 2 with exactly one line on stderr, ``nnsolve: error: FILE: …``, and nothing on
  stdout;

never exit 1 (an internal error: a bug), never a traceback.

The files start from small random networks and graphs, written independently of the
solver and of ``tests/oracle.py``, and are then mutated: a key deleted or added, a value
replaced by another type, a huge or non-finite number, a hostile string or an unknown
name, a weight row lengthened or dropped; or the YAML text itself is edited at random.
For valid networks the gradients in the answers are also compared with central finite
differences of the loss computed here with plain Python floats.

Run: ``cd /work/main && python -m pytest tests/test_fuzz.py -q`` (about 10–20 s; raise
``FUZZ_EXAMPLES`` for a longer hunt).
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import tempfile
from pathlib import Path

import mpmath
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from solver.cli import main

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                   HealthCheck.data_too_large])

HIDDEN = ["relu", "leaky_relu", "sigmoid", "tanh", "linear", "identity"]


# --- running the command -------------------------------------------------------------

def _reject_constant(name: str):
    raise ValueError(f"not strict JSON: {name}")


def _finite(value, where: str = "") -> None:
    if isinstance(value, float):
        assert math.isfinite(value), f"{where}: {value}"
    elif isinstance(value, dict):
        for k, v in value.items():
            _finite(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _finite(v, f"{where}[{i}]")


def _note(text: str) -> None:
    try:
        note(text)
    except InvalidArgument:  # outside a hypothesis test
        pass


def _event(text: str) -> None:
    try:
        event(text)
    except InvalidArgument:
        pass


def run_cli(text: str | bytes, options: tuple[str, ...] = ()) -> tuple[int, dict | None, str]:
    """Solve ``text`` as a problem file (with extra command-line ``options``); check the
    outcome is a clean success or a clean one-line error. Returns (exit code, answers or
    None, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        out = Path(tmp) / "out"
        os.environ.pop("NNSOLVE_DEBUG", None)
        result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "-f", "md", "-f", "tex",
                                           "-f", "json", *options])
        stderr = result.stderr
        _note(f"exit {result.exit_code}; stderr: {stderr!r}")
        assert "Traceback" not in stderr and "Traceback" not in result.stdout
        assert "internal error" not in stderr, stderr
        assert result.exit_code in (0, 2), (result.exit_code, stderr, result.exception)
        assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)
        if result.exit_code == 2:
            _event("refused")
            lines = stderr.splitlines()
            assert len(lines) == 1, stderr
            assert lines[0].startswith(f"nnsolve: error: {path}: "), lines[0]
            assert result.stdout == ""
            assert not out.exists() or not any(out.iterdir())
            return 2, None, stderr
        _event("solved")
        raw = (out / "fuzz.json").read_text(encoding="utf-8")
        answers = json.loads(raw, parse_constant=_reject_constant)
        _finite(answers, "answers")
        for q in answers["questions"]:
            for a in q["answers"]:
                v = a["value"]
                assert isinstance(v, list) or (isinstance(v, (int, float)) and math.isfinite(v)), a
        stem = "fuzz-questions" if "questions" in options else "fuzz"
        assert (out / f"{stem}.md").stat().st_size > 0 and (out / f"{stem}.tex").stat().st_size > 0
        return 0, answers, stderr


def dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=200)


# --- generating problems -------------------------------------------------------------

numbers = st.integers(-150, 150).map(lambda k: k / 100)


@st.composite
def networks(draw) -> dict:
    """A small valid network problem (as plain data), its loss consistent with its output."""
    n_in = draw(st.integers(1, 3))
    batch = draw(st.one_of(st.none(), st.integers(1, 3)))
    widths = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    kind = draw(st.sampled_from(["regression", "softmax", "bce"]))
    if kind == "softmax":
        widths[-1] = max(2, widths[-1])
    orientation = draw(st.sampled_from(["Wx", "xW"]))
    layers = []
    prev = n_in
    for li, units in enumerate(widths):
        last = li == len(widths) - 1
        act = {"regression": draw(st.sampled_from(HIDDEN)), "softmax": "softmax", "bce": "sigmoid"}[kind] \
            if last else draw(st.sampled_from(HIDDEN))
        rows, cols = (units, prev) if orientation == "Wx" else (prev, units)
        layer = {"units": units, "activation": act,
                 "weights": [[draw(numbers) for _ in range(cols)] for _ in range(rows)]}
        if act == "leaky_relu":
            layer["slope"] = draw(st.sampled_from([0.01, 0.1, 0.2]))
        bias = draw(st.sampled_from(["none", "shared", "each"]))
        if bias == "shared":
            layer["bias"] = draw(numbers)
        elif bias == "each":
            layer["bias"] = [draw(numbers) for _ in range(units)]
        layers.append(layer)
        prev = units
    n_out = prev

    def one_target():
        if kind == "softmax":
            k = draw(st.integers(1, n_out))
            return {"class": k} if draw(st.booleans()) else [1 if j + 1 == k else 0 for j in range(n_out)]
        if kind == "bce":
            return [draw(st.sampled_from([0, 1, 0.25])) for _ in range(n_out)]
        return [draw(numbers) for _ in range(n_out)]

    if kind == "regression":
        loss = {"type": draw(st.sampled_from(["sse", "half_sse", "mse"]))}
    elif kind == "softmax":
        loss = {"type": "cross_entropy"}
    else:
        loss = {"type": "bce", "reduction": draw(st.sampled_from(["mean", "sum"]))}
    if batch is not None:
        loss["batch"] = draw(st.sampled_from(["mean", "sum"]))
    inputs = {f"x{i + 1}": (draw(numbers) if batch is None else [draw(numbers) for _ in range(batch)])
              for i in range(n_in)}
    questions = [{"id": "grads", "ask": draw(st.sampled_from([["gradients"], ["forward", "loss", "gradients"]])),
                  "gradients": "all"}]
    extra = draw(st.sampled_from(["none", "update", "train"]))
    if extra == "update":
        questions.append({"id": "step", "ask": ["update"], "learning_rate": 0.1,
                          "update_biases": draw(st.booleans())})
    elif extra == "train":
        opt = draw(st.sampled_from(["sgd", "momentum", "adam"]))
        q = {"id": "run", "ask": ["train"], "steps": draw(st.integers(1, 4))}
        q["optimizer"] = {"type": opt, "learning_rate": 0.05}
        questions.append(q)
    data = {"title": "A generated network", "precision": draw(st.integers(2, 6)),
            "network": {"inputs": inputs, "orientation": orientation,
                        "naming": draw(st.sampled_from(["indexed", "sequential"])), "layers": layers},
            "loss": loss, "target": one_target() if batch is None else [one_target() for _ in range(batch)],
            "questions": questions}
    style = draw(st.sampled_from([None, "neuron", "matrix", "graph"]))
    if style:
        data["style"] = style
    return data


GRAPH_FORMS = ["{a} * {b}", "{a} + {b}", "{a} - {b}", "relu({a})", "sigmoid({a})", "tanh({a})", "square({a})",
               "leaky_relu({a}, 0.1)", "max({a}, {b})", "min({a}, {b})", "{a} * {b} + {c}", "abs({a})",
               "exp({a} * 0.1)", "{a} / 2", "{a}^2", "sqrt(square({a}) + 1)", "log(1 + square({a}))"]


@st.composite
def graphs(draw, train: bool = True) -> dict:
    """A small valid graph problem; every parameter is used."""
    n_in = draw(st.integers(1, 2))
    n_par = draw(st.integers(1, 3))
    inputs = {f"x{i}": draw(numbers) for i in range(n_in)}
    params = {f"w{i}": draw(numbers) for i in range(n_par)}
    names = list(inputs) + list(params)
    nodes = {}
    unused = list(params)
    for i in range(draw(st.integers(1, 5))):
        pick = lambda: unused.pop(0) if unused else draw(st.sampled_from(names))  # noqa: E731
        form = draw(st.sampled_from(GRAPH_FORMS))
        nodes[f"n{i}"] = form.format(**{k: pick() for k in "abc" if f"{{{k}}}" in form})
        names.append(f"n{i}")
    last = f"n{len(nodes) - 1}"
    rest = [f"{p}" for p in unused] + [n for n in nodes if n != last]
    if rest:  # one last node using everything, so that every parameter reaches the output
        nodes["out"] = " + ".join([last, *rest])
        last = "out"
    questions = [{"id": "q", "ask": ["forward", "gradients"],
                  "gradients": draw(st.sampled_from(["all", list(params)[:1]]))}]
    if train and draw(st.booleans()):
        questions.append({"id": "t", "ask": ["train"], "steps": draw(st.integers(1, 3)), "learning_rate": 0.01})
    return {"title": "A generated graph", "graph": {"inputs": inputs, "parameters": params, "nodes": nodes,
                                                      "output": last}, "questions": questions}


@st.composite
def architectures(draw) -> dict:
    """A problem of count / shapes / derive questions over a small architecture."""
    image = draw(st.booleans())
    layers = []
    if image:
        arch_input = [draw(st.integers(1, 3)), draw(st.integers(4, 32)), draw(st.integers(4, 32))]
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["conv2d", "maxpool2d", "avgpool2d", "batchnorm2d"]))
            layer = {"type": kind}
            if kind != "batchnorm2d":
                layer["kernel"] = draw(st.integers(1, 5))
                if draw(st.booleans()):
                    layer["stride"] = draw(st.integers(1, 3))
                layer["padding"] = draw(st.integers(0, 2))
            if kind == "conv2d":
                layer["out_channels"] = draw(st.integers(1, 16))
            layers.append(layer)
        layers.append({"type": "flatten"})
    else:
        arch_input = [draw(st.integers(1, 2000))]
        if draw(st.booleans()):
            layers.append({"type": "batchnorm1d"})
    for _ in range(draw(st.integers(1, 3))):
        layers.append({"type": "dense", "units": draw(st.integers(1, 1024)), "bias": draw(st.booleans())})
    questions = [{"id": "arch", "ask": draw(st.sampled_from([["count"], ["shapes"], ["shapes", "count"]])),
                  "architecture": {"input": arch_input, "layers": layers}}]
    if draw(st.booleans()):
        questions.append({"id": "derive", "ask": ["derive"], "derivation": draw(st.sampled_from(
            ["softmax_ce", "softmax_jacobian", "sigmoid", "tanh", "bce_sigmoid", "squared_error"]))})
    return {"title": "Counts and shapes", "questions": questions}


@st.composite
def varied_networks(draw) -> dict:
    """A valid network with extra, less common question settings: an output head, a
    per-question loss and target, named gradients, biases excluded from updates."""
    data = draw(networks())
    q = data["questions"][0]
    n_out = data["network"]["layers"][-1]["units"]
    choice = draw(st.sampled_from(["head", "names", "per-question", "none"]))
    if choice == "head" and data["network"]["layers"][-1]["activation"] not in ("softmax", "sigmoid") and n_out > 1:
        q["output_head"] = "softmax"
        q["loss"] = "cross_entropy"
        q["target"] = {"class": draw(st.integers(1, n_out))} if not isinstance(
            next(iter(data["network"]["inputs"].values())), list) else [
            {"class": 1}] * len(next(iter(data["network"]["inputs"].values())))
    elif choice == "names":
        q["gradients"] = draw(st.lists(st.sampled_from(["w1", "w2", "b1", "W1[1,1]", "b1[1]", "x1", "h1",
                                                        "o1", "z1[1]", "a1[1]"]), min_size=1, max_size=3,
                                       unique=True))
    elif choice == "per-question":
        q["loss"], q["target"] = data.pop("loss"), data.pop("target")
    return data


OPTIONS = st.lists(st.sampled_from([("--style", "neuron"), ("--style", "matrix"), ("--style", "graph"),
                                    ("--sheet", "both"), ("--sheet", "questions"), ("--precision", "1"),
                                    ("--precision", "15"), ("--body-only",), ("--documentclass", "exam")]),
                   max_size=3, unique_by=lambda o: o[0]).map(lambda os_: tuple(x for o in os_ for x in o))


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.integers(min_value=10**20, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["1/0", "1e400", "-1e-400", ".nan", "relux", "squared", "w99", "h0", "all", "W9[9,9]",
                     "__import__('os').system('touch pwned')", "x0.__class__", r"\input{/etc/passwd}",
                     "$\\def\\x{\\x}\\x$", "{{ 7*7 }}", "<< 7*7 >>", "0x10", "1_000", "", " ", "\t", "ü",
                     "square(square(square(square(square(square(square(square(square(square(square(x0)))))))))))",
                     "x0 ^ 1000", "exp(exp(exp(x0 * 100)))", "log(0)", "1/(x0 - x0)", "sqrt(-1)"]),
    st.lists(st.integers(-3, 3), max_size=4), st.lists(st.lists(numbers, max_size=3), max_size=3),
    st.dictionaries(st.sampled_from(["class", "type", "units", "x", "a b"]), st.integers(-2, 5), max_size=2),
)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _get(data, path):
    for p in path:
        data = data[p]
    return data


@st.composite
def mutated(draw, base) -> dict:
    """``base`` with one to three random mutations."""
    data = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        how = draw(st.sampled_from(["delete", "replace", "replace", "add-key", "lengthen", "shorten",
                                    "unknown-name", "huge"]))
        if how == "delete":
            del parent[key]
        elif how == "replace":
            parent[key] = draw(JUNK)
        elif how == "add-key":
            target = _get(data, path) if isinstance(_get(data, path), dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(["activaton", "weight", "biases", "extra", "steps", "units",
                                             "output_head", "class"]))] = draw(JUNK)
        elif how in ("lengthen", "shorten"):
            value = _get(data, path)
            if isinstance(value, list):
                if how == "lengthen":
                    value.append(copy.deepcopy(value[-1]) if value else draw(numbers))
                elif value:
                    value.pop(draw(st.integers(0, len(value) - 1)))
        elif how == "unknown-name":
            parent[key] = draw(st.sampled_from(["w_unknown", "zz", "h9", "W1[9,9]", "n99", "x0"]))
        else:
            parent[key] = draw(st.sampled_from([10**300, -(10**299), 1e300, 1e-300, 5e-324, 1.7976931348623157e308,
                                                "9" * 299, 2**63, 100_000, 65, 257]))
    return data


# --- a float oracle for the gradients of a network -------------------------------------

def _act(name: str, zs: list[float], slope: float) -> list[float]:
    if name == "softmax":
        m = max(zs)
        es = [mpmath.exp(z - m) for z in zs]
        return [e / sum(es) for e in es]
    f = {"relu": lambda z: z if z > 0 else 0.0, "leaky_relu": lambda z: z if z > 0 else slope * z,
         "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)), "tanh": mpmath.tanh,
         "linear": lambda z: z, "identity": lambda z: z}[name]
    return [f(z) for z in zs]


def _loss(loss: dict, o: list[float], y: list[float]) -> float:
    kind = loss["type"]
    if kind == "sse":
        return sum((a - b) ** 2 for a, b in zip(o, y))
    if kind == "half_sse":
        return 0.5 * sum((a - b) ** 2 for a, b in zip(o, y))
    if kind == "mse":
        return sum((a - b) ** 2 for a, b in zip(o, y)) / len(o)
    if kind == "cross_entropy":
        return -sum(b * mpmath.log(a) for a, b in zip(o, y) if b)
    if kind == "bce":
        terms = [-(b * mpmath.log(a) + (1 - b) * mpmath.log(1 - a)) for a, b in zip(o, y)]
        return sum(terms) / (len(terms) if loss.get("reduction", "mean") == "mean" else 1)
    raise AssertionError(kind)


def _target(t, n_out: int) -> list[float]:
    if isinstance(t, dict):
        return [1.0 if j + 1 == t["class"] else 0.0 for j in range(n_out)]
    if isinstance(t, (int, float)):
        return [float(t)]
    return [float(v) for v in t]


def float_loss(data: dict, kinks: list[float] | None = None) -> float:
    """The problem's loss in mpmath's numbers (the values as written, at the working precision);
    records |z| of every kinked pre-activation."""
    net = data["network"]
    xs = list(net["inputs"].values())
    batch = len(xs[0]) if isinstance(xs[0], list) else None
    examples = [[v[n] for v in xs] for n in range(batch)] if batch else [xs]
    targets = data["target"] if batch else [data["target"]]
    losses = []
    for x, t in zip(examples, targets):
        a = [mpmath.mpf(str(v)) for v in x]
        for layer in net["layers"]:
            w = layer["weights"]
            units = layer["units"]
            if net["orientation"] == "Wx":
                z = [sum(w[j][i] * a[i] for i in range(len(a))) for j in range(units)]
            else:
                z = [sum(w[i][j] * a[i] for i in range(len(a))) for j in range(units)]
            b = layer.get("bias")
            if isinstance(b, list):
                z = [zj + bj for zj, bj in zip(z, b)]
            elif b is not None:
                z = [zj + b for zj in z]
            if kinks is not None and layer["activation"] in ("relu", "leaky_relu"):
                kinks.extend(abs(v) for v in z)
            a = _act(layer["activation"], z, layer.get("slope", 0.0))
        losses.append(_loss(data["loss"], a, _target(t, len(a))))
    if batch and data["loss"].get("batch", "mean") == "mean":
        return sum(losses) / len(losses)
    return sum(losses)


def _sequential(data: dict) -> dict[str, tuple]:
    """Sequential names: weights w1, w2, … per destination neuron (by source), layer after
    layer; biases b1, b2, … in one sequence (one per layer if shared, else per neuron, one
    number skipped for a layer without a bias)."""
    net = data["network"]
    out, w, b = {}, 0, 0
    for layer in net["layers"]:
        weights = layer["weights"]
        bias = layer.get("bias")
        if isinstance(bias, list):
            for j in range(layer["units"]):
                b += 1
                out[f"b{b}"] = (bias, j)
        elif bias is not None:
            b += 1
            out[f"b{b}"] = (layer, "bias")
        else:  # a layer without a bias still takes its number
            b += 1
        n_src = len(weights[0]) if net["orientation"] == "Wx" else len(weights)
        for dest in range(layer["units"]):
            for src in range(n_src):
                w += 1
                out[f"w{w}"] = (weights[dest], src) if net["orientation"] == "Wx" else (weights[src], dest)
    return out


def _parameter(data: dict, name: str):
    """(container, index) of the parameter a name stands for, or None."""
    layers = data["network"]["layers"]
    if data["network"]["naming"] == "sequential":
        return _sequential(data).get(name)
    m = re.fullmatch(r"W(\d+)\[(\d+),(\d+)\]", name)
    if m:
        l, r, c = (int(g) for g in m.groups())
        return layers[l - 1]["weights"][r - 1], c - 1
    m = re.fullmatch(r"b(\d+)(?:\[(\d+)\])?", name)
    if m:
        layer = layers[int(m.group(1)) - 1]
        return (layer, "bias") if m.group(2) is None else (layer["bias"], int(m.group(2)) - 1)
    return None


def finite_difference(data: dict, name: str) -> float:
    """∂L/∂name by central differences at 50 digits (step 1e-20): in floats, with a step of 1e-6,
    rounding left 1e-6 of error where the loss was large (a BCE of saturated sigmoids)."""
    holder, i = _parameter(data, name)
    w = holder[i]
    with mpmath.workdps(50):
        h = mpmath.mpf("1e-20")
        holder[i] = mpmath.mpf(str(w)) + h
        up = float_loss(data)
        holder[i] = mpmath.mpf(str(w)) - h
        down = float_loss(data)
        holder[i] = w
        return float((up - down) / (2 * h))


# --- the tests -----------------------------------------------------------------------

@SETTINGS
@given(networks())
def test_valid_networks_solve_and_match_finite_differences(data):
    code, answers, stderr = run_cli(dump(data))
    if code == 2:
        # A valid-looking network may still be refused for its values (a saturated
        # sigmoid makes log(0) in BCE); never for its shape.
        assert any(s in stderr for s in ("cannot evaluate", "diverged", "not a finite", "left every sensible")), stderr
        return
    kinks: list[float] = []
    float_loss(data, kinks)
    if any(k < 1e-4 for k in kinks):
        event("at a ReLU kink: finite differences skipped")
        return
    grads = [a for a in next(q for q in answers["questions"] if q["id"] == "grads")["answers"]
             if a["kind"] == "gradient" and not a.get("upstream") and _parameter(data, a["of"]) is not None]
    n_params = sum(len(r) for layer in data["network"]["layers"] for r in layer["weights"]) + sum(
        len(layer["bias"]) if isinstance(layer.get("bias"), list) else int("bias" in layer)
        for layer in data["network"]["layers"])
    assert len(grads) == n_params, [a["of"] for a in grads]
    for a in grads:
        want = finite_difference(data, a["of"])
        assert math.isclose(a["value"], want, rel_tol=1e-6, abs_tol=1e-6), (a["of"], a["value"], want)


@SETTINGS
@given(st.one_of(mutated(networks()), mutated(varied_networks()), mutated(graphs(train=False)), graphs(),
                 mutated(architectures()), varied_networks()),
       OPTIONS)
def test_mutated_problems_solve_or_fail_in_one_line(data, options):
    run_cli(dump(data), options)


TEXT_EDITS = st.text(alphabet=st.sampled_from(list("\t\n :-[]{},&*!|>'\"#%@`?\\0123456789.eE+axw_\u00a0\u2028")),
                     max_size=8)


@st.composite
def edited_text(draw) -> str | bytes:
    """The YAML text of a valid problem with random edits, or random text or bytes."""
    choice = draw(st.sampled_from(["edit", "edit", "edit", "text", "bytes"]))
    if choice == "text":
        return draw(st.text(max_size=200))
    if choice == "bytes":
        return draw(st.binary(max_size=200))
    text = dump(draw(st.one_of(networks(), graphs(train=False))))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 10)))
        text = text[:i] + draw(TEXT_EDITS) + text[j:]
    return text


@SETTINGS
@given(edited_text())
def test_edited_yaml_text_solves_or_fails_in_one_line(text):
    run_cli(text)


def test_graph_training_with_an_unused_parameter():
    """Found by this fuzzer: a graph parameter that no node uses made ``train`` crash
    with ``KeyError`` (exit 1, "internal error") instead of training the others or
    refusing the file with one line."""
    data = {"title": "An unused parameter", "graph": {"inputs": {"x": 1}, "parameters": {"w": 0.5, "v": 0.2},
                                                      "nodes": {"y": "x * w"}, "output": "y"},
            "questions": [{"id": "t", "ask": ["train"], "steps": 2, "learning_rate": 0.1}]}
    run_cli(dump(data))
