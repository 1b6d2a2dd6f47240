"""The baseline a user would otherwise write with sympy: the whole loss as one expression
of all weights and biases, ``diff`` for each parameter, then ``subs`` the values.

    python bench/naive.py PROBLEM.yaml OUT.json [subs|xreplace]

``subs`` (the default) is what one writes first: ``sp.diff(loss, w).subs(values)`` with a
dict, which sympy applies one symbol after another, re-evaluating the expression each time.
``xreplace`` is the quicker spelling for plain numbers (one structural pass); both
differentiate the whole loss expression once per parameter. Progress goes to stderr
(``built P t``, then ``gradient k t`` after each gradient, t in seconds since start).

Reads a dense-network problem as ``bench.py`` generates it (``orientation: Wx``,
``naming: sequential``, one bias per neuron, ReLU hidden layers, a linear output layer,
``half_sse`` loss) and writes ``{"w1": "exact value", ..., "b1": ...}`` to OUT.json, named
as nnsolve names them, so ``bench.py`` can check that both compute the same gradients.
Decimals are read exactly (``0.12`` is 3/25), as nnsolve reads them.
"""

from __future__ import annotations

import time

START = time.perf_counter()  # before sympy is imported

import json  # noqa: E402
import sys  # noqa: E402

import sympy as sp  # noqa: E402
import yaml  # noqa: E402


def report(what: str) -> None:
    """Progress on stderr (``bench.py`` extrapolates a capped run from it)."""
    print(f"{what} {time.perf_counter() - START:.4f}", file=sys.stderr, flush=True)


def exact(v) -> sp.Rational:
    return sp.Rational(repr(v)) if isinstance(v, float) else sp.Rational(v)


def main(problem: str, out: str, mode: str = "subs") -> None:
    with open(problem, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    net = data["network"]
    a = [exact(v) for v in net["inputs"].values()]  # the inputs are numbers
    target = [exact(v) for v in data["target"]]

    params: list[sp.Symbol] = []
    values: dict[sp.Symbol, sp.Rational] = {}
    nw = nb = 0
    layers = net["layers"]
    for li, layer in enumerate(layers):
        W, b = layer["weights"], layer["bias"]
        z = []
        for i, row in enumerate(W):  # z = W a + b: row i of W feeds neuron i
            terms = []
            for j, w in enumerate(row):
                nw += 1
                s = sp.Symbol(f"w{nw}")
                params.append(s)
                values[s] = exact(w)
                terms.append(s * a[j])
            z.append(sp.Add(*terms))
        for i in range(len(W)):
            nb += 1
            s = sp.Symbol(f"b{nb}")
            params.append(s)
            values[s] = exact(b[i])
            z[i] = z[i] + s
        last = li == len(layers) - 1
        a = z if last else [sp.Max(0, zi) for zi in z]  # ReLU hidden layers, linear output

    loss = sp.Rational(1, 2) * sp.Add(*[(o - y) ** 2 for o, y in zip(a, target)])

    report(f"built {len(params)}")
    grads = {}
    for k, p in enumerate(params, 1):
        d = sp.diff(loss, p)
        g = d.subs(values) if mode == "subs" else d.xreplace(values)
        grads[str(p)] = str(g)
        report(f"gradient {k}")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(grads, f)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["subs"], ["xreplace"]):
        sys.exit("usage: python bench/naive.py PROBLEM.yaml OUT.json [subs|xreplace]")
    main(*sys.argv[1:])
