"""Synthetic classes for ``nnsolve grade`` (issue 17, section 5).

Every submission here is generated INDEPENDENTLY of the grader: a small hand-written
multilayer network in mpmath (50 digits) or ``Fraction`` (ReLU/linear networks, exact),
never importing ``solver`` for a number, computes what a student who makes one slip (σ′
taken as σ, f′ left out, f′ at the activation, W δ for Wᵀ δ, w + η g, the ½ of half-SSE
forgotten, sum for mean and back, log₂/log₁₀, the softmax cross-term dropped) or one
arithmetic error would write, rounded to the key's 4 significant figures. A student carries
their own numbers: every later answer is computed from their own wrong (rounded) earlier
answers, and from the exact values where their answer was right. The expected verdict is
decided by the test alone: right within the tolerance (the README's rule, reimplemented
here), else carried forward from the wrong earlier answers that change it, else the slip's
name. Only ``nnsolve grade``'s CSV output is read back.
"""

from __future__ import annotations

import csv
import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import yaml
from click.testing import CliRunner

from solver.cli import main



@pytest.fixture(autouse=True)
def _fifty_digits():
    """This module's mpmath numbers at 50 digits, whatever an earlier test left."""
    with mpmath.workdps(50):
        yield


ROOT = Path(__file__).resolve().parent.parent
DIGITS = 4


# ---------------------------------------------------------------- numbers, independent of solver

def frac(v) -> Fraction:
    if isinstance(v, Fraction):
        return v
    if isinstance(v, int):
        return Fraction(v)
    return Fraction(mpmath.nstr(v, 45, strip_zeros=False, min_fixed=-mpmath.inf, max_fixed=mpmath.inf))


def _dec(v: Fraction) -> Decimal:
    with localcontext() as c:
        c.prec = 200
        return Decimal(v.numerator) / Decimal(v.denominator)


def unit(v: Fraction, n: int = DIGITS) -> Fraction:
    """One unit of the n-th significant figure of v (v already rounded, or exact)."""
    return Fraction(Decimal(1).scaleb(_dec(v).adjusted() - n + 1))


def sig(v, n: int = DIGITS) -> Fraction:
    """v rounded half up to n significant figures, exactly."""
    v = frac(v)
    if v == 0:
        return Fraction(0)
    with localcontext() as c:
        c.prec = 200
        d = _dec(v)
        return Fraction(d.quantize(Decimal(1).scaleb(d.adjusted() - n + 1), rounding=ROUND_HALF_UP))


def text(v: Fraction) -> str:
    """An exact decimal string of a Fraction whose denominator divides a power of ten (else 40 digits)."""
    with localcontext() as c:
        c.prec = 60
        return format(_dec(v).normalize(), "f")


def accepted(x: Fraction, v, rule=("display",)) -> bool:
    """README's tolerance rules: display (x within half a unit of v rounded to 4 figures, both
    edges), absolute a, relative r, sigfigs n (within one unit of v rounded to n figures)."""
    v = frac(v)
    kind = rule[0]
    if kind == "absolute":
        return abs(x - v) <= rule[1]
    if kind == "relative":
        return abs(x - v) <= rule[1] * abs(v)
    n = DIGITS if kind == "display" else rule[1]
    c = sig(v, n)
    if c == 0:
        return x == 0 if kind == "sigfigs" else abs(x) <= Fraction(1, 2 * 10 ** n)  # 0 is shown 0.0000
    return abs(x - c) <= (unit(c, n) / 2 if kind == "display" else unit(c, n))


# ---------------------------------------------------------------- the networks

class Net:
    """A layered network written as nnsolve reads it (orientation Wx, rows = destination units).
    ``inputs``: one input vector per example; ``layers``: (activation, W rows, bias list);
    ``loss``: (type, reduction over outputs, reduction over the batch); ``target``: one vector per
    example, or a class number (softmax); ``naming``: indexed, or sequential (xor's)."""

    def __init__(self, name, inputs, layers, loss, target, eta=None, naming="indexed", exact=False):
        self.name, self.inputs, self.layers, self.loss = name, inputs, layers, loss
        self.target, self.eta, self.naming, self.exact = target, eta, naming, exact

    @property
    def examples(self) -> int:
        return len(self.inputs)

    def num(self, s):
        return Fraction(str(s)) if self.exact else mpmath.mpf(str(s))

    # names as the key writes them
    def node(self, kind: str, layer: int, j: int, n: int) -> str:
        if kind == "z" and self.layers[layer][0] == "linear":
            kind = "a"  # a linear layer's output is one node
        tag = f"#{n + 1}" if self.examples > 1 else ""
        if self.naming == "indexed":
            return f"{'z' if kind == 'z' else 'a'}{layer + 1}[{j + 1}]{tag}"
        last = layer == len(self.layers) - 1
        base = f"{'o' if last else 'h'}{j + 1}"
        return (f"z_{base}" if kind == "z" else base) + tag

    def param(self, layer: int, j: int, c: int | None) -> str:
        if self.naming == "indexed":
            return f"W{layer + 1}[{j + 1},{c + 1}]" if c is not None else f"b{layer + 1}[{j + 1}]"
        w = sum(len(W) * len(W[0]) for _, W, _ in self.layers[:layer])
        b = sum(len(W) for _, W, _ in self.layers[:layer])
        cols = len(self.layers[layer][1][0])
        return f"w{w + j * cols + c + 1}" if c is not None else f"b{b + j + 1}"

    def yaml(self, grading: dict | None = None) -> str:
        cols = list(zip(*self.inputs))
        inputs = {f"x{i + 1}": (list(map(float, c)) if self.examples > 1 else float(c[0])) for i, c in enumerate(cols)}
        layers = [{"units": len(W), "activation": act, "weights": [list(map(float, r)) for r in W],
                   "bias": list(map(float, b))} for act, W, b in self.layers]
        kind, red, batch = self.loss
        loss = {"type": kind, **({"reduction": red} if red else {}), **({"batch": batch} if self.examples > 1 else {})}
        target = self.target if isinstance(self.target, dict) else (
            [list(map(float, t)) for t in self.target] if self.examples > 1 else list(map(float, self.target[0])))
        ask = ["forward", "loss", "gradients"] + (["update"] if self.eta else [])
        q = {"id": "a", "title": "All of it", "ask": ask, "gradients": "all"}
        if self.eta:
            q["learning_rate"] = float(self.eta)
        doc = {"title": self.name, "precision": DIGITS,
               "network": {"inputs": inputs, "orientation": "Wx", "naming": self.naming, "layers": layers},
               "loss": loss, "target": target, "questions": [q]}
        if grading:
            doc["grading"] = grading
        return yaml.safe_dump(doc, sort_keys=False)


def _act(name: str, z):
    if name == "relu":
        return z if z > 0 else 0 * z
    if name == "linear":
        return z
    if name == "sigmoid":
        return 1 / (1 + mpmath.exp(-z))
    if name == "tanh":
        return mpmath.tanh(z)
    raise ValueError(name)


def _dact(name: str, z, a, slip: str | None):
    """f′ as the student takes it, read off the unit's output a where the rule is written with it
    (σ′ = a(1 − a), tanh′ = 1 − a²)."""
    if name == "linear" or slip == "activation_derivative_missing":
        return 1
    if slip == "sigmoid_derivative_as_sigmoid" and name == "sigmoid":
        return a
    if slip == "derivative_at_activation":
        if name == "relu":
            return 1 if a > 0 else 0
        s = _act(name, a)
        return s * (1 - s) if name == "sigmoid" else 1 - s * s
    if name == "relu":
        return 1 if z > 0 else 0
    return a * (1 - a) if name == "sigmoid" else 1 - a * a


def simulate(net: Net, slip: str | None = None, fixed: dict | None = None) -> dict:
    """Every answer, (kind, name) → value, of a student making ``slip`` and using ``fixed``
    ((kind, name) → their own number) wherever they wrote one."""
    fixed = fixed or {}
    out: dict = {}

    def put(kind, name, v):
        v = fixed.get((kind, name), v)
        if isinstance(v, Fraction) and not net.exact:
            v = mpmath.mpf(v.numerator) / v.denominator
        out[(kind, name)] = v
        return v

    N, L = net.examples, len(net.layers)
    num = net.num
    W = [[[num(w) for w in row] for row in Wl] for _, Wl, _ in net.layers]
    B = [[num(b) for b in bl] for _, _, bl in net.layers]
    acts = [a for a, _, _ in net.layers]
    kind, red, batch = net.loss
    Z, A = [], []
    for n, x in enumerate(net.inputs):
        a = [num(v) for v in x]
        zs, as_ = [], []
        for l in range(L):
            z = [put("value", net.node("z", l, j, n), sum(W[l][j][c] * a[c] for c in range(len(a))) + B[l][j])
                 for j in range(len(W[l]))]
            if acts[l] == "linear":
                a = z
            elif acts[l] == "softmax":
                e = [mpmath.exp(v) for v in z]
                a = [put("value", net.node("a", l, j, n), e[j] / sum(e)) for j in range(len(z))]
            else:
                a = [put("value", net.node("a", l, j, n), _act(acts[l], z[j])) for j in range(len(z))]
            zs.append(z)
            as_.append(a)
        Z.append(zs)
        A.append(as_)
    K = len(W[-1])
    # per-example losses and dL_n/d output
    per, dout = [], []
    for n in range(N):
        o = A[n][-1]
        if kind == "cross_entropy":
            y = [1 if k + 1 == net.target["class"] else 0 for k in range(K)]
            f = {"log2": 1 / mpmath.log(2), "log10": 1 / mpmath.log(10)}.get(slip, 1) if slip else 1
            ln = sum(-y[k] * mpmath.log(o[k]) for k in range(K)) * f
            g = [-y[k] / o[k] * f for k in range(K)]
        else:
            y = [num(t) for t in net.target[n]]
            red = red or ("mean" if kind == "mse" else "sum")
            f = {"half_sse": Fraction(1, 2), "sse": 1}.get(kind) or (Fraction(1, K) if red == "mean" else 1)
            if slip == "half_sse_forgotten":
                f *= 2
            if slip == "sum_instead_of_mean/outputs" and red == "mean":
                f *= K
            if slip == "mean_instead_of_sum/outputs" and red == "sum":
                f /= K
            f = f if net.exact else mpmath.mpf(f.numerator) / f.denominator
            ln = sum((o[k] - y[k]) ** 2 for k in range(K)) * f
            g = [2 * f * (o[k] - y[k]) for k in range(K)]
        per.append(put("loss", f"L#{n + 1}", ln) if N > 1 else ln)
        dout.append(g)
    scale = Fraction(1, N) if (batch or "mean") == "mean" else Fraction(1)
    if slip == "sum_instead_of_mean/batch" and (batch or "mean") == "mean":
        scale = Fraction(1)
    if slip == "mean_instead_of_sum/batch" and batch == "sum":
        scale = Fraction(1, N)
    scale = scale if net.exact else mpmath.mpf(scale.numerator) / scale.denominator
    put("loss", "L", sum(per) * scale)
    # backward, example by example
    gW = [[[0 for _ in row] for row in Wl] for Wl in W]
    gB = [[0 for _ in bl] for bl in B]
    for n in range(N):
        da = [v * scale for v in dout[n]]
        for l in reversed(range(L)):
            a, z = A[n][l], Z[n][l]
            if acts[l] == "softmax":
                # da is dL/dp; the key shows no dL/dp (the fused shortcut), so it is not put
                if slip == "softmax_cross_term_dropped":
                    dz = [da[j] * a[j] * (1 - a[j]) for j in range(len(a))]
                else:
                    dz = [sum(da[k] * a[k] * ((1 if k == j else 0) - a[j]) for k in range(len(a)))
                          for j in range(len(a))]
            elif acts[l] == "linear":
                dz = da
            else:
                da = [put("gradient", net.node("a", l, j, n), da[j]) for j in range(len(a))]
                dz = [da[j] * _dact(acts[l], z[j], a[j], slip) for j in range(len(a))]
            dz = [put("gradient", net.node("z", l, j, n), dz[j]) for j in range(len(dz))]
            prev = A[n][l - 1] if l else [num(v) for v in net.inputs[n]]
            for j in range(len(dz)):
                gB[l][j] += dz[j]
                for c in range(len(prev)):
                    gW[l][j][c] += dz[j] * prev[c]
            if l:
                sq = slip == "missing_transpose" and len(W[l]) == len(W[l][0])
                da = [sum((W[l][c][j] if sq else W[l][j][c]) * dz[j] for j in range(len(dz)))
                      for c in range(len(prev))]
    sign = 1 if slip == "update_sign_flipped" else -1
    for l in range(L):
        for j in range(len(W[l])):
            for c in [*range(len(W[l][j])), None]:
                name = net.param(l, j, c)
                g = put("gradient", name, gW[l][j][c] if c is not None else gB[l][j])
                if net.eta:
                    p = W[l][j][c] if c is not None else B[l][j]
                    put("update", name, p + sign * num(net.eta) * g)
    return out


# which answers each answer is computed from (its direct inputs), by my own reading of the network
def deps(net: Net) -> dict:
    d: dict = {}
    L, N = len(net.layers), net.examples
    for n in range(N):
        for l, (act, W, _) in enumerate(net.layers):
            for j in range(len(W)):
                z, a = ("value", net.node("z", l, j, n)), ("value", net.node("a", l, j, n))
                d[z] = [("value", net.node("a", l - 1, c, n)) for c in range(len(W[0]))] if l else []
                if act != "linear":
                    d[a] = [("value", net.node("z", l, k, n)) for k in range(len(W))] if act == "softmax" else [z]
                gz, ga = ("gradient", z[1]), ("gradient", a[1])
                if act == "linear":
                    pass
                elif act == "softmax":
                    d[gz] = [("value", net.node("a", l, k, n)) for k in range(len(W))]
                else:
                    d[gz] = [ga, z]
                if l == L - 1:
                    d[ga] = [a]
                else:
                    d[ga] = [("gradient", net.node("z", l + 1, k, n)) for k in range(len(net.layers[l + 1][1]))]
                for c in [*range(len(W[0])), None]:
                    p = ("gradient", net.param(l, j, c))
                    d.setdefault(p, []).append(gz)
                    if c is not None and l:
                        d[p].append(("value", net.node("a", l - 1, c, n)))
                    d[("update", p[1])] = [p]
        outs = [("value", net.node("a", L - 1, k, n)) for k in range(len(net.layers[-1][1]))]
        if N > 1:
            d[("loss", f"L#{n + 1}")] = outs
        else:
            d[("loss", "L")] = outs
    if N > 1:
        d[("loss", "L")] = [("loss", f"L#{n + 1}") for n in range(N)]
    return d


def _ancestors(d: dict, k) -> set:
    seen, stack = set(), list(d.get(k, []))
    while stack:
        x = stack.pop()
        if x not in seen:
            seen.add(x)
            stack.extend(d.get(x, []))
    return seen


def label(k) -> str:
    return {"gradient": f"dL/d{k[1]}", "update": f"{k[1]} (update)"}.get(k[0], k[1])


# ---------------------------------------------------------------- students

class Student:
    """A student's rows and the verdict the test expects for each (kind, name)."""

    def __init__(self, name, answers: dict, expected: dict, shares: dict | None = None):
        self.name, self.answers, self.expected = name, answers, expected


def make_student(net: Net, who: str, keys: list, right: dict, slip: str | None = None,
                 error: tuple | None = None, rule=("display",), shares: dict | None = None,
                 carried_share=Fraction(4, 5)) -> Student:
    """The student's rounded answers to ``keys`` (each computed from their own earlier numbers),
    and the verdict expected for each: correct; else the best of carried forward (from the wrong
    earlier answers that change it) and the slip's name (when the slip's own value, and enabled
    in ``shares``), carried forward winning a tie; else wrong."""
    fixed = dict([error]) if error else {}
    d = deps(net)
    order = sorted(keys, key=lambda k: len(_ancestors(d, k)))  # as they are computed: backprop from the loss
    while True:
        vals = simulate(net, slip, fixed)
        for k in order:
            if k in fixed:
                continue
            x = sig(vals[k])
            if not accepted(x, right[k], rule):
                fixed[k] = x
                break
        else:
            break
    slip_name = slip.split("/")[0] if slip else None
    slip_name = "log_base" if slip in ("log2", "log10") else slip_name
    shares = {slip_name: Fraction(1, 2)} if shares is None else shares
    pure = simulate(net, slip) if slip else {}
    answers, expected = {}, {}
    for k in keys:
        x = fixed.get(k, sig(vals[k]))
        answers[k] = x
        if accepted(x, right[k], rule):
            expected[k] = "correct"
            continue
        names = []
        if not (error and k == error[0]):
            own = {j: v for j, v in fixed.items() if j != k}
            mine = simulate(net, slip, own)[k]
            for a in sorted(_ancestors(d, k) & set(fixed), key=keys.index):
                if abs(simulate(net, slip, {**own, a: right[a]})[k] - mine) > 1e-30 * max(1, abs(mine)):
                    names.append(a)
        best = ("carried forward from " + ", ".join(label(a) for a in names), carried_share) if names else None
        if slip and slip_name in shares and accepted(x, pure[k], rule) and (best is None or shares[slip_name] > best[1]):
            best = (f"misconception: {slip_name}", shares[slip_name])
        expected[k] = best[0] if best else "wrong"
    return Student(who, answers, expected)


# ---------------------------------------------------------------- grading through the CLI

def solve_key(net: Net, tmp: Path, grading=None) -> tuple[Path, Path, dict]:
    problem = tmp / f"{net.name}.yaml"
    problem.write_text(net.yaml(grading))
    r = CliRunner().invoke(main, ["solve", str(problem), "-f", "json", "-o", str(tmp)])
    assert r.exit_code == 0, r.output
    key = tmp / f"{net.name}.json"
    return problem, key, json.loads(key.read_text())


def key_answers(data: dict, upstream: bool) -> list:
    out = []
    for q in data["questions"]:
        for a in q["answers"]:
            if a["kind"] in ("value", "loss", "gradient", "update") and (upstream or not a.get("upstream")):
                if not (a["kind"] == "gradient" and a["of"].startswith("L")):
                    out.append((a["kind"], a["of"]))
    return out


def grade(tmp: Path, key: Path, problem: Path, students: list, extra=()) -> dict:
    qid = json.loads(key.read_text())["questions"][0]["id"]
    sub = tmp / "subs.csv"
    with open(sub, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("student", "question", "of", "answer", "kind"))
        for s in students:
            for (kind, of), x in s.answers.items():
                w.writerow((s.name, qid, of, x if isinstance(x, str) else text(x), kind))
    out = tmp / "out"
    r = CliRunner().invoke(main, ["grade", "--key", str(key), str(sub), "--problem", str(problem), "-o", str(out),
                                  *extra])
    assert r.exit_code == 0, r.output
    return {(g["student"], g["kind"], g["of"]): g for g in csv.DictReader(open(out / "grades.csv"))}


ALL_SLIPS = ["activation_derivative_missing", "derivative_at_activation", "sigmoid_derivative_as_sigmoid",
             "missing_transpose", "update_sign_flipped", "half_sse_forgotten", "sum_instead_of_mean/outputs",
             "sum_instead_of_mean/batch", "mean_instead_of_sum/outputs", "mean_instead_of_sum/batch", "log2", "log10",
             "softmax_cross_term_dropped"]


def wrong_or_slip(net: Net, k, x: Fraction, rule) -> tuple:
    """What a number that is not the answer may be marked: wrong, or a slip whose value (by my
    network) the rule accepts (a wide absolute tolerance on a small update reaches a slip's)."""
    out = ["wrong"]
    for slip in ALL_SLIPS:
        v = simulate(net, slip).get(k)
        if v is not None and accepted(x, v, rule):
            out.append("misconception: " + ("log_base" if slip.startswith("log") else slip.split("/")[0]))
    return tuple(out)


def check(students: list, g: dict) -> int:
    bad = []
    for s in students:
        for k, want in s.expected.items():
            got = g[(s.name, *k)]["verdict"]
            if got != want and not (isinstance(want, tuple) and got in want):
                bad.append(f"{s.name} {k}: answer {g[(s.name, *k)]['answer']} expected {g[(s.name, *k)]['expected']}"
                           f" → {got!r}, want {want!r}")
    assert not bad, f"{len(bad)} wrong verdicts:\n" + "\n".join(bad[:25])
    return sum(len(s.expected) for s in students)


# ---------------------------------------------------------------- the class

F = Fraction
NETS = {
    # one hidden unit off (z1[1] = -0.5): ReLU′ missing changes row 1; W2 square, not symmetric
    "relu-half-sse": Net("relu-half-sse", [[1, 2]], [("relu", [[F("0.2"), F("-0.4")], [F("0.3"), F("0.1")]],
                                                     [F("0.1"), F("-0.2")]),
                                                    ("linear", [[F("0.5"), F("-0.3")], [F("0.2"), F("0.6")]],
                                                     [F("0.1"), F("0.05")])],
                         ("half_sse", None, None), [[F("0.3"), F("-0.2")]], eta=F("0.1"), exact=True),
    # every hidden unit active: ReLU′ = 1 everywhere, so leaving it out changes nothing
    "relu-active-mse": Net("relu-active-mse", [[1, 2]], [("relu", [[F("0.2"), F("0.1")], [F("0.3"), F("0.1")]],
                                                          [F("0.1"), F("0.1")]),
                                                         ("linear", [[F("0.5"), F("-0.3")], [F("0.2"), F("0.6")]],
                                                          [F("0.1"), F("0.05")])],
                           ("mse", "mean", None), [[F("0.3"), F("-0.2")]], eta=F("0.1"), exact=True),
    "sigmoid-mse": Net("sigmoid-mse", [[1, -2]], [("sigmoid", [[0.3, -0.2], [0.5, 0.4]], [0.1, -0.1]),
                                                  ("sigmoid", [[0.6, -0.3], [0.2, 0.7]], [0.05, 0.1])],
                       ("mse", "mean", None), [[0, 1]], eta=0.5),
    "tanh-batch-mean": Net("tanh-batch-mean", [[1, -2], [0.5, 1], [-1, 0.5]],
                           [("tanh", [[0.3, -0.2], [0.5, 0.4]], [0.1, -0.1]),
                            ("linear", [[0.6, -0.3], [0.2, 0.7]], [0.05, 0.1])],
                           ("mse", "mean", "mean"), [[0, 1], [1, 0], [0.5, 0.5]], eta=0.1),
    "tanh-batch-sum": Net("tanh-batch-sum", [[1, -2], [0.5, 1], [-1, 0.5]],
                          [("tanh", [[0.3, -0.2], [0.5, 0.4]], [0.1, -0.1]),
                           ("linear", [[0.6, -0.3], [0.2, 0.7]], [0.05, 0.1])],
                          ("half_sse", None, "sum"), [[0, 1], [1, 0], [0.5, 0.5]], eta=0.1),
    "relu-softmax-ce": Net("relu-softmax-ce", [[1, -0.5, 2]],
                           [("relu", [[0.3, -0.2, 0.1], [0.5, 0.4, -0.6], [-0.1, 0.2, 0.3]], [0.1, -0.1, 0.2]),
                            ("softmax", [[0.6, -0.3, 0.2], [0.2, 0.7, -0.4], [-0.5, 0.1, 0.3]], [0.05, 0.1, 0])],
                           ("cross_entropy", None, None), {"class": 2}, eta=0.1),
}
# the slips each network shows, and those it cannot show (its students must be marked correct)
SLIPS = {
    "relu-half-sse": (["activation_derivative_missing", "missing_transpose", "half_sse_forgotten",
                       "update_sign_flipped"], ["derivative_at_activation"]),
    "relu-active-mse": (["missing_transpose", "sum_instead_of_mean/outputs", "update_sign_flipped"],
                        ["activation_derivative_missing", "derivative_at_activation"]),
    "sigmoid-mse": (["sigmoid_derivative_as_sigmoid", "derivative_at_activation", "activation_derivative_missing",
                     "missing_transpose", "sum_instead_of_mean/outputs", "update_sign_flipped"], []),
    "tanh-batch-mean": (["derivative_at_activation", "activation_derivative_missing", "missing_transpose",
                         "sum_instead_of_mean/batch", "sum_instead_of_mean/outputs", "update_sign_flipped"], []),
    "tanh-batch-sum": (["half_sse_forgotten", "mean_instead_of_sum/batch", "mean_instead_of_sum/outputs",
                        "update_sign_flipped"], []),
    "relu-softmax-ce": (["softmax_cross_term_dropped", "log2", "log10", "activation_derivative_missing",
                         "missing_transpose", "update_sign_flipped"], ["derivative_at_activation"]),
    "xor": (["sigmoid_derivative_as_sigmoid", "derivative_at_activation", "activation_derivative_missing",
             "sum_instead_of_mean/batch"], []),
}


def _xor() -> tuple[Net, str]:
    """The bundled XOR problem's network (its gradients question only), read with yaml alone."""
    doc = yaml.safe_load((ROOT / "problems" / "xor-2-2-1-training.yaml").read_text())
    doc["questions"] = [q for q in doc["questions"] if q["id"] == "gradients"]
    nw = doc["network"]
    inputs = [list(x) for x in zip(*nw["inputs"].values())]
    layers = [(ly["activation"], ly["weights"], ly["bias"]) for ly in nw["layers"]]
    net = Net("xor", inputs, layers, ("mse", None, "mean"), [[t] for t in doc["target"]], naming="sequential")
    return net, yaml.safe_dump(doc, sort_keys=False)


def _setup(name: str, tmp: Path, grading=None):
    if name == "xor":
        net, text_ = _xor()
        problem = tmp / "xor.yaml"
        problem.write_text(text_)
        r = CliRunner().invoke(main, ["solve", str(problem), "-f", "json", "-o", str(tmp)])
        assert r.exit_code == 0, r.output
        key = tmp / "xor.json"
        return net, problem, key, json.loads(key.read_text())
    net = NETS[name]
    return (net, *solve_key(net, tmp, grading))


def _right(net: Net, data: dict) -> dict:
    """The right answers (mine), checked against the key's numbers on the way."""
    right = simulate(net)
    for q in data["questions"]:
        for a in q["answers"]:
            k = (a["kind"], a["of"])
            if k in right:
                assert abs(frac(right[k]) - Fraction(a["exact"])) < Fraction(1, 10 ** 20), (net.name, k)
    missing = [k for k in key_answers(data, True) if k not in right]
    assert not missing, missing
    return right


@pytest.mark.parametrize("name", list(SLIPS))
def test_class_of_slips_and_errors(tmp_path, name):
    """One student per slip (all the key's non-upstream answers) and one per arithmetic error
    (every answer, upstream gradients too, carried on from the wrong one)."""
    net, problem, key, data = _setup(name, tmp_path)
    right = _right(net, data)
    main_keys, every = key_answers(data, False), key_answers(data, True)
    shows, silent = SLIPS[name]
    students = [make_student(net, f"slip-{s}", main_keys, right, slip=s) for s in shows + silent]
    for s in students[len(shows):]:
        assert set(s.expected.values()) == {"correct"}, (s.name, s.expected)
    for s in students[:len(shows)]:
        named = [k for k, v in s.expected.items() if v.startswith("misconception")]
        assert named, f"{s.name} changes no answer of {name}"
    # arithmetic errors: a hidden pre-activation, an output, a per-example loss, an output's
    # gradient, a hidden unit's gradient, a weight's gradient
    L = len(net.layers)
    active = next(j for j in range(len(net.layers[0][1])) if right[("value", net.node("a", 0, j, 0))] != 0)
    sites = [("value", net.node("z", 0, active, 0)), ("value", net.node("a", L - 1, 0, 0)),
             ("gradient", net.node("z", L - 1, 0, 0)), ("gradient", net.node("a", 0, active, 0)),
             ("gradient", net.param(0, active, 0))]
    if net.examples > 1:
        sites.append(("loss", "L#1"))
    for site in sites:
        v = frac(right[site])
        wrong = sig(v * F(9, 10)) if abs(v) > F(1, 1000) else v + F(1, 20)
        students.append(make_student(net, f"error-{site[0]}-{site[1]}", every, right, error=(site, wrong)))
    g = grade(tmp_path, key, problem, students)
    check(students, g)
    carried = [v for s in students for v in s.expected.values() if v.startswith("carried")]
    assert len(carried) >= len(sites), carried


# ---------------------------------------------------------------- tolerance edges, matrices, points

RULES = [({}, ("display",)), ({"tolerance": {"absolute": 0.005}}, ("absolute", F("0.005"))),
         ({"tolerance": {"relative": 0.01}}, ("relative", F("0.01"))), ({"tolerance": {"sigfigs": 3}}, ("sigfigs", 3))]


def _edges(v: Fraction, rule) -> tuple[Fraction, Fraction]:
    """The centre and the half-width of what ``rule`` accepts around the exact ``v`` (README)."""
    if rule[0] == "absolute":
        return v, rule[1]
    if rule[0] == "relative":
        return v, rule[1] * abs(v)
    n = DIGITS if rule[0] == "display" else rule[1]
    c = sig(v, n)
    if c == 0:
        return c, (Fraction(1, 2 * 10 ** n) if rule[0] == "display" else Fraction(0))
    return c, unit(c, n) / 2 if rule[0] == "display" else unit(c, n)


@pytest.mark.parametrize("grading,rule", RULES, ids=[r[0] for _, r in RULES])
def test_tolerance_edges_every_answer(tmp_path, grading, rule):
    """Exact network (Fractions): every answer at both edges of the rule is right; a hair
    (10⁻¹² of a unit) beyond either edge is wrong, one answer at a time."""
    net = NETS["relu-half-sse"]
    problem, key, data = solve_key(net, tmp_path, grading or None)
    right = {k: frac(v) for k, v in _right(net, data).items()}
    keys = key_answers(data, False)
    hair = Fraction(1, 10 ** 12)
    students = [Student(side, {}, {}) for side in ("low", "high")]
    for k in keys:
        c, b = _edges(right[k], rule)
        students[0].answers[k], students[0].expected[k] = c - b, "correct"
        students[1].answers[k], students[1].expected[k] = c + b, "correct"
        for side, x in (("below", c - b - hair * max(b, hair)), ("above", c + b + hair * max(b, hair))):
            students.append(Student(f"{side}-{k[0]}-{k[1]}", {k: x}, {k: wrong_or_slip(net, k, x, rule)}))
    g = grade(tmp_path, key, problem, students)
    assert check(students, g) == 2 * len(keys) + 2 * len(keys) == 4 * len(keys)


def test_tolerance_near_edges_irrational(tmp_path):
    """Sigmoid network (irrational answers, keyed to 30 digits): 10⁻¹⁵ of the half-width inside
    either edge right, as far outside wrong (default rule and relative)."""
    net = NETS["sigmoid-mse"]
    for grading, rule in (RULES[0], RULES[2]):
        tmp = tmp_path / rule[0]
        tmp.mkdir()
        problem, key, data = solve_key(net, tmp, grading or None)
        right = {k: frac(v) for k, v in _right(net, data).items()}
        keys = key_answers(data, False)
        inside = [Student("in-low", {}, {}), Student("in-high", {}, {}), Student("out-low", {}, {}),
                  Student("out-high", {}, {})]
        for k in keys:
            c, b = _edges(right[k], rule)
            e = b / 10 ** 15
            for s, x, want in zip(inside, (c - b + e, c + b - e, c - b - e, c + b + e),
                                  ("correct", "correct", None, None)):
                s.answers[k] = sig(x, 40)
                s.expected[k] = want or "wrong"
        g = grade(tmp, key, problem, inside[:2])
        check(inside[:2], g)
        outside = [Student(f"{s.name}-{k[1]}-{k[0]}", {k: s.answers[k]}, {k: wrong_or_slip(net, k, s.answers[k], rule)})
                   for s in inside[2:] for k in keys]
        check(outside, grade(tmp, key, problem, outside))


def test_matrices_element_by_element(tmp_path):
    """A matrix (dL/dW2, the updated W1) and a vector (a1) written in brackets: each element
    marked on its own, one wrong element among right ones."""
    net = NETS["relu-half-sse"]
    problem, key, data = solve_key(net, tmp_path)
    right = {k: frac(v) for k, v in _right(net, data).items()}

    def mat(kind, name, rows, cols, off=None):
        cells = [[sig(right[(kind, f"{name}[{r},{c}]" if cols else f"{name}[{r}]")]) + (F(1, 10) if (r, c) == off else 0)
                  for c in (range(1, cols + 1) if cols else [None])] for r in range(1, rows + 1)]
        return "[" + ", ".join("[" + ", ".join(text(x) for x in row) + "]" if cols else text(row[0])
                               for row in cells) + "]"

    s = Student("m", {("gradient", "W2"): mat("gradient", "W2", 2, 2, (2, 1)),
                      ("update", "W1"): mat("update", "W1", 2, 2, (1, 2)),
                      ("value", "a1"): mat("value", "a1", 2, 0, (2, None))}, {})
    g = grade(tmp_path, key, problem, [s])
    got = {k[1:]: v["verdict"] for k, v in g.items() if v["answer"]}
    assert got == {("gradient", "W2[1,1]"): "correct", ("gradient", "W2[1,2]"): "correct",
                   ("gradient", "W2[2,1]"): "wrong", ("gradient", "W2[2,2]"): "correct",
                   ("update", "W1[1,1]"): "correct", ("update", "W1[1,2]"): "wrong",
                   ("update", "W1[2,1]"): "correct", ("update", "W1[2,2]"): "correct",
                   ("value", "a1[1]"): "correct", ("value", "a1[2]"): "wrong"}, got


def test_points_add_up(tmp_path):
    """Points by name, by a matrix's name (shared by its elements) and by kind; the
    carried-forward share; a misconception's share set by name (and one left out: not named)."""
    net = NETS["relu-half-sse"]
    grading = {"points": {"default": 1, "L": 2, "update": 0.5, "W2": 4}, "carried_forward": 0.75,
               "misconceptions": {"missing_transpose": 0.9, "update_sign_flipped": 0.25}}
    shares = {"missing_transpose": F(9, 10), "update_sign_flipped": F(1, 4)}
    problem, key, data = solve_key(net, tmp_path, grading)
    right = _right(net, data)
    keys, every = key_answers(data, False), key_answers(data, True)
    students = [make_student(net, f"slip-{s}", keys, right, slip=s, shares=shares, carried_share=F(3, 4))
                for s in ("missing_transpose", "update_sign_flipped", "half_sse_forgotten")]
    site = ("value", "z1[2]")
    students.append(make_student(net, "error", every, right, error=(site, sig(frac(right[site]) * F(9, 10))),
                                 shares=shares, carried_share=F(3, 4)))
    g = grade(tmp_path, key, problem, students)
    check(students, g)
    verdicts = {v for s in students for v in s.expected.values()}
    assert {"misconception: missing_transpose", "misconception: update_sign_flipped"} <= verdicts
    assert not any("half_sse" in v for v in verdicts) and "wrong" in verdicts

    def top(kind, of, upstream):
        if of.startswith("W2["):
            return F(1)  # W2: 4 points shared by its 4 elements, gradient and update alike
        if of == "L":
            return F(2)
        if upstream:
            return F(0)
        return F(1, 2) if kind == "update" else F(1)

    up = {(a["kind"], a["of"]) for q in data["questions"] for a in q["answers"] if a.get("upstream")}
    for s in students:
        total = F(0)
        for k, want in s.expected.items():
            m = top(*k, k in up)
            share = {"correct": F(1), "wrong": F(0)}[want] if want in ("correct", "wrong") else \
                F(3, 4) if want.startswith("carried") else shares[want.split(": ")[1]]
            row = g[(s.name, *k)]
            assert float(row["max_points"]) == pytest.approx(float(m)), (s.name, k, row)
            assert float(row["points"]) == pytest.approx(float(m * share), abs=5e-4), (s.name, k, row)
            total += m * share
        res = json.loads((tmp_path / "out" / "results" / f"{s.name}.json").read_text())
        assert res["score"] == pytest.approx(float(total)), s.name


# ---------------------------------------------------------------- the seed's own mistakes

def test_seed_003_own_numbers(tmp_path):
    """Seed 003 (relu-3-4-3-softmax-ce) as it printed its numbers (shared/reference/seed_answers.md,
    to 3 figures: graded to 3 significant figures): its dL/dz2 = ŷ − (1, 1, 0), the shortcut
    p − y with a target that does not sum to 1, is not in the catalogue (wrong); every later
    gradient follows from it and is carried forward, but dL/dW2[2,4] (−0.734 for −0.821 × 0.9 =
    −0.7389, the seed's own slip) and the transcription slip z2[2] = −0.445 of its forward pass."""
    src = ROOT / "problems" / "relu-3-4-3-softmax-ce.yaml"
    problem = tmp_path / "relu-3-4-3-softmax-ce.yaml"
    problem.write_text(src.read_text() + "grading:\n  tolerance: {sigfigs: 3}\n")
    r = CliRunner().invoke(main, ["solve", str(problem), "-f", "json", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    key = tmp_path / "relu-3-4-3-softmax-ce.json"
    rows = [("a", "z1", "value", "[1.2, -1.15, 0.15, 0.9]"), ("a", "h1", "value", "[1.2, 0, 0.15, 0.9]"),
            ("a", "z2", "value", "[0.195, -0.445, 0.465]"), ("a", "yhat", "value", "[0.356, 0.179, 0.466]"),
            ("b", "L", "loss", "1.032"), ("b", "z2", "gradient", "[-0.644, -0.821, 0.466]"),
            ("b", "h1", "gradient", "[0.193, -0.422, 0.122, 0.275]"),
            ("b", "z1", "gradient", "[0.193, 0, 0.122, 0.275]"),
            ("b", "W2", "gradient", "[[-0.773, 0, -0.0966, -0.58], [-0.985, 0, -0.123, -0.734], "
                                    "[0.559, 0, 0.0699, 0.419]]"),
            ("b", "W1", "gradient", "[[0.0965, -0.193, 0.386], [0, 0, 0], [0.061, -0.122, 0.244], "
                                    "[0.138, -0.275, 0.55]]")]
    sub = tmp_path / "seed.csv"
    with open(sub, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("student", "question", "of", "kind", "answer"))
        w.writerows(("seed003", q, of, kind, a) for q, of, kind, a in rows)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["grade", "--key", str(key), str(sub), "--problem", str(problem), "-o", str(out)])
    assert r.exit_code == 0, r.output
    v = {(g["question"], g["kind"], g["of"]): g["verdict"] for g in csv.DictReader(open(out / "grades.csv"))
         if g["answer"]}
    want = {("a", "value", "z2[2]"): "wrong", ("b", "loss", "L"): "correct",
            ("b", "gradient", "z2[1]"): "correct", ("b", "gradient", "z2[2]"): "wrong",
            ("b", "gradient", "z2[3]"): "correct", ("b", "gradient", "z1[2]"): "correct",
            ("b", "gradient", "W2[2,1]"): "carried forward from dL/dz2[2]",
            ("b", "gradient", "W2[2,3]"): "carried forward from dL/dz2[2]",
            ("b", "gradient", "W2[2,4]"): "wrong"}
    for j in range(1, 5):
        want[("b", "gradient", f"h1[{j}]")] = "carried forward from dL/dz2[2]"
    for j in (1, 3, 4):
        want[("b", "gradient", f"z1[{j}]")] = f"carried forward from dL/dh1[{j}]"
        for c in range(1, 4):
            want[("b", "gradient", f"W1[{j},{c}]")] = f"carried forward from dL/dz1[{j}]"
    for k, verdict in v.items():
        assert verdict == want.get(k, "correct"), (k, verdict, want.get(k, "correct"))
    assert len(v) == 4 + 4 + 3 + 3 + 1 + 3 + 4 + 4 + 12 + 12


def test_every_catalogued_slip_has_a_class():
    """Every misconception the grader discovers is injected, by its name, on some network above."""
    from solver.key.misconceptions import MISCONCEPTIONS

    named = {("log_base" if s.startswith("log") else s.split("/")[0]) for shows, _ in SLIPS.values() for s in shows}
    assert named == set(MISCONCEPTIONS), set(MISCONCEPTIONS) ^ named
