"""Recurrent keys met by an instructor's own problems: a ReLU RNN of two units (its gradient
norms are surds, which stopped the key with "cannot create mpf from 179*sqrt(2)/500"), and an
LSTM whose sequence output has its loss at the last step (the outputs before it do not reach
the loss: their blocks printed tanh'(z) = 0 where it is 0.9096)."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import yaml
from click.testing import CliRunner
from mpmath import mp, mpf, sqrt, tanh

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
ELMAN = ROOT / "problems" / "rnn-elman.yaml"
LSTM = Path(__file__).resolve().parent / "problems" / "lstm-sequence-loss-at-last.yaml"


def _solve(path: Path, tmp: Path) -> tuple[str, dict]:
    r = CliRunner().invoke(main, ["solve", str(path), "-f", "md", "-f", "json", "-o", str(tmp)])
    assert r.exit_code == 0, r.output
    return (tmp / f"{path.stem}.md").read_text(encoding="utf-8"), json.loads((tmp / f"{path.stem}.json").read_text())


def _relu_norms(net: dict, target: Fraction) -> list:
    """‖∂L/∂h_t‖ of the Elman network with ReLU, by hand in exact fractions (last step first)."""
    F = lambda m: [[Fraction(str(v)) for v in row] for row in m]  # noqa: E731
    rnn, out = net["layers"]
    x, w, u = F(net["inputs"]["x"]), F(rnn["weights"]), F(rnn["recurrent_weights"])
    b, v = [Fraction(str(c)) for c in rnn["bias"]], F(out["weights"])[0]
    h, zs = [Fraction(0)] * len(b), []
    for xt in x:
        z = [sum(w[i][j] * xt[j] for j in range(len(xt))) + sum(u[i][j] * h[j] for j in range(len(h))) + b[i]
             for i in range(len(b))]
        zs.append(z)
        h = [max(zi, Fraction(0)) for zi in z]
    y = sum(vi * hi for vi, hi in zip(v, h)) + Fraction(str(out["bias"]))
    dh, norms = [2 * (y - target) * vi for vi in v], []
    for z in reversed(zs):
        norms.append(sqrt(mpf(sum(d * d for d in dh).numerator) / sum(d * d for d in dh).denominator))
        dz = [d if zi > 0 else Fraction(0) for d, zi in zip(dh, z)]
        dh = [sum(u[i][j] * dz[i] for i in range(len(dz))) for j in range(len(dz))]
    return norms


def test_a_relu_rnn_of_two_units_has_its_gradient_norms(tmp_path):
    data = yaml.safe_load(ELMAN.read_text(encoding="utf-8"))
    data["network"]["layers"][0]["activation"] = "relu"
    path = tmp_path / "rnn-relu.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    md, _ = _solve(path, tmp_path)
    table = md.split("### Gradient norms through time (last step first)")[1].split("###")[0]
    rows = re.findall(r"^\| \$(\d)\$ \| \$([0-9.]+)\$ \| \$([0-9.]+)\$ \|$", table, re.M)
    mp.dps = 40
    want = _relu_norms(data["network"], Fraction(str(data["target"][0])))
    assert [int(t) for t, _, _ in rows] == [3, 2, 1] and mp.almosteq(want[0], sqrt(mpf(2)) * 179 / 500)
    for (_, norm, ratio), n in zip(rows, want):
        for shown, exact in ((norm, n), (ratio, n / want[0])):
            digits = len(shown.replace(".", "").lstrip("0"))
            assert abs(mpf(shown) - exact) <= mpf(10) ** (mp.floor(mp.log10(abs(exact))) - digits + 1) / 2, (shown, exact)


def test_outputs_that_do_not_reach_the_loss_are_not_worked(tmp_path):
    md, doc = _solve(LSTM, tmp_path)
    values = {a["of"]: a for q in doc["questions"] for a in q["answers"] if a["kind"] == "value"}
    z3 = mpf(values["z2_3"]["exact"][0])
    shown = re.search(r"\\tanh'\(z\^\{\(2\)\}_\{3\}\) &\\approx \\left\[\\begin\{array\}\{r\} ([0-9.]+) ", md)
    assert shown and abs(mpf(shown[1]) - (1 - tanh(z3) ** 2)) < mpf("5e-5")
    assert "\\tanh'(z^{(2)}_{1})" not in md and "\\tanh'(z^{(2)}_{2})" not in md  # were "= [0]"
    assert not re.search(r"\\delta\^\{\\hat\{y\}_\{[12]\}\}", md)
    ups = [a["of"] for q in doc["questions"] for a in q["answers"] if a["kind"] == "gradient"]
    assert "yhat_3" in ups and "yhat_1" not in ups and "yhat_2" not in ups
