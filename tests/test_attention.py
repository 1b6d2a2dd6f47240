"""Scaled dot-product attention (issue 14 §2): ``attention(Q, K, V[, M])`` and the same as
graph expressions, against

* an independent reference written here from the definitions (Vaswani et al. 2017, eq. 1,
  and the softmax's Jacobian–vector product by rows), over ``tests/tensor_reference.py``'s
  softmax, in floats and in mpmath;
* PyTorch (float64): ``torch.nn.functional.scaled_dot_product_attention`` and the explicit
  formula ``softmax(Q Kᵀ/√d + M) V``, values and gradients;
* central finite differences at 60 digits;

on hypothesis-drawn sizes (at most 4 × 4, a batch axis sometimes) and masks (none, a float
mask added, a 0/1 mask with ``boolean=1``), and on the two bundled problems through the
CLI's answers JSON. Then the key's text: the forward in steps (S, A, O), the per-row JVP
lines with their numbers, the local derivative written Q₁₁/√3, and bad input.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mp, mpf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import tensor_reference as R
import test_tensor_oracle as O

from solver.core.options import Options
from solver.key.solve import solve as solve_problem
from solver.key.tensor_softmax import lane_label, local_latex
from solver.problem.loader import load_problem
from solver.render import render

torch, TF = O.torch, getattr(O, "TF", None)
ROOT = HERE.parent
FD_DPS = 60


# -- the reference ----------------------------------------------------------------------------

def _root(d: int, like) -> object:
    return mpmath.sqrt(d) if any(isinstance(x, mpmath.mpf) for x in np.asarray(like).reshape(-1)) else math.sqrt(d)


def _batches(q):
    return list(np.ndindex(q.shape[:-2]))


def _mask_of(m, b):
    return m if m.ndim == 2 else m[b]


def _weights(q, k, m, boolean, b):
    """(scores, weights) of batch ``b``; a 0/1 mask drops its zeros from each row's softmax."""
    root = _root(q.shape[-1], q)
    s = np.asarray(q[b].dot(k[b].T), dtype=object) / root
    if m is not None and not boolean:
        s = s + _mask_of(m, b)
    if m is None or not boolean:
        return s, R._softmax(s, -1)
    mb = _mask_of(m, b)
    e = R.emap(R._exp, s) * mb
    return s, e / e.sum(axis=-1)[:, None]


def attention_ref(q, k, v, m=None, boolean=0):
    out = np.empty(q.shape[:-1] + (v.shape[-1],), dtype=object)
    for b in _batches(q):
        out[b] = _weights(q, k, m, boolean, b)[1].dot(v[b])
    return out


def attention_back(g, q, k, v, m=None, boolean=0):
    """(δQ, δK, δV[, δM]): δV = Aᵀ G, δA = G Vᵀ, δS_r = A_r ⊙ (δA_r − Σ_k δA_rk A_rk),
    δQ = δS K/√d, δK = δSᵀ Q/√d; δM = δS (a float mask) or δA_rj e^{S_rj}/Σ_k M_rk e^{S_rk}
    minus the row's s_r times the same (a 0/1 mask)."""
    g = np.asarray(g, dtype=object)
    root = _root(q.shape[-1], q)
    dq, dk, dv = (np.empty(x.shape, dtype=object) for x in (q, k, v))
    dm = None if m is None else R.zeros(m.shape)
    for b in _batches(q):
        s, a = _weights(q, k, m, boolean, b)
        dv[b] = a.T.dot(g[b])
        da = g[b].dot(v[b].T)
        row = (da * a).sum(axis=-1)[:, None]
        ds = a * (da - row)
        dq[b], dk[b] = ds.dot(k[b]) / root, ds.T.dot(q[b]) / root
        if m is not None:
            if boolean:
                e = R.emap(R._exp, s)
                part = e / (e * _mask_of(m, b)).sum(axis=-1)[:, None] * (da - row)
            else:
                part = ds
            if m.ndim == 2:
                dm = dm + part
            else:
                dm[b] = part
    return (dq, dk, dv) if m is None else (dq, dk, dv, dm)


REF = (attention_ref, attention_back)


# -- cases ------------------------------------------------------------------------------------

@st.composite
def attention_cases(draw):
    lead = draw(st.sampled_from([(), (), (2,)]))
    n_q, n_k, d, d_v = (draw(st.integers(1, 4)) for _ in range(4))
    leaves = {"Q": O.fill(draw, lead + (n_q, d), O.tenths), "K": O.fill(draw, lead + (n_k, d), O.tenths),
              "V": O.fill(draw, lead + (n_k, d_v), O.tenths)}
    kind = draw(st.sampled_from(["none", "float", "boolean"]))
    mshape = draw(st.sampled_from([(n_q, n_k), lead + (n_q, n_k)]))
    if kind == "float":
        leaves["M"] = O.fill(draw, mshape, O.tenths)
    elif kind == "boolean":
        mask = O.fill(draw, mshape, st.sampled_from([Fraction(0), Fraction(1)]))
        for idx in np.ndindex(mask.shape[:-1]):  # every row keeps one entry at least
            if not any(mask[idx]):
                mask[idx + (draw(st.integers(0, n_k - 1)),)] = Fraction(1)
        leaves["M"] = mask
    args = tuple(leaves)
    text = f"attention({', '.join(args)}{', boolean=1' if kind == 'boolean' else ''})"
    case = O.Case(text, leaves, args, REF, {"boolean": int(kind == "boolean")}, exact=False)
    return O.with_upstream(draw, case)


def torch_attention(case: O.Case):
    """(O, grads) by PyTorch's scaled_dot_product_attention and by the explicit formula."""
    env = {n: O._torch(a).requires_grad_() for n, a in case.leaves.items()}
    boolean = case.kw["boolean"]
    mask = env.get("M")
    attn_mask = None if mask is None else (mask.detach() != 0 if boolean else mask)
    out = TF.scaled_dot_product_attention(env["Q"], env["K"], env["V"], attn_mask=attn_mask)
    scores = env["Q"] @ env["K"].transpose(-2, -1) / math.sqrt(env["Q"].shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask.detach() == 0, float("-inf")) if boolean else scores + mask
    explicit = torch.softmax(scores, dim=-1) @ env["V"]
    g = O._torch(case.upstream)
    grads = {}
    for name, y in (("sdpa", out), ("explicit", explicit)):
        for t in env.values():
            t.grad = None
        (y * g).sum().backward()
        grads[name] = (y, {n: t.grad.clone() for n, t in env.items() if not (boolean and n == "M")})
    return grads


def check_attention(case: O.Case) -> None:
    solved = O.solve(case)
    out, grads = case.reference()
    assert solved["Y"][0] == out.shape
    O.assert_agree(solved["Y"][1], out, False, "Y")
    for n in case.leaves:
        O.assert_agree(solved[n][2], grads[n], False, f"dL/d{n}")
    if torch is None:
        return
    for name, (y, tgrads) in torch_attention(case).items():
        O._agree_torch(solved["Y"][1], y, f"Y ({name})")
        for n, t in tgrads.items():
            O._agree_torch(solved[n][2], t, f"dL/d{n} ({name})")


@O.examples()
@given(case=attention_cases())
def test_attention_against_reference_and_torch(case):
    check_attention(case)


@O.examples(0.5)
@given(case=attention_cases())
def test_attention_gradients_against_finite_differences(case):
    """The solver's gradients against central differences of the reference at 60 digits."""
    solved = O.solve(case)
    with mp.workdps(FD_DPS):
        fd = O.finite_differences(case)
        for n in case.leaves:
            for i, (got, want) in enumerate(zip(solved[n][2], fd[n])):
                assert abs(O._mp(got) - want) <= O.FD_TOL * max(mpf(1), abs(want)), \
                    f"dL/d{n}[{i}]: solver {got}, differences {want}"


def test_the_explicit_formula_and_the_function_agree_exactly():
    """``softmax(Q Kᵀ/√3 + M) V`` written out and ``attention(Q, K, V, M)``: the same values
    and gradients to 50 digits."""
    q, k = R.array([[Fraction(1), 0, 1], [0, 1, 0]]), R.array([[1, 1, 0], [0, 1, 1]])
    v, m = R.array([[1, 2], [3, -1]]), R.array([[0, Fraction(-1, 2)], [Fraction(3, 10), 0]])
    g = R.array([[1, 0], [Fraction(1, 2), 1]])
    leaves = {"Q": q, "K": k, "V": v, "M": m}
    a = O.solve(O.Case("attention(Q, K, V, M)", leaves, tuple(leaves), REF, {"boolean": 0}, False, g))
    b = O.solve(O.Case("softmax(Q @ transpose(K) / sqrt(3) + M, axis=1) @ V", leaves, tuple(leaves), REF,
                       {"boolean": 0}, False, g))
    for n in ("Y", *leaves):
        for x, y in zip(a[n][2 if n != "Y" else 1], b[n][2 if n != "Y" else 1]):
            assert abs(float(x) - float(y)) < 1e-40 or abs(sp.N(x - y, 60)) < 1e-45, n


# -- the bundled problems, through the answers JSON -----------------------------------------------

def _answers(name: str, tmp_path) -> dict:
    path, data = O._problem(name)
    return {(a["kind"], a["of"]): a for _, a in O._answers(path, tmp_path)}, data


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_attention_problem_against_torch(tmp_path):
    got, data = _answers("attention.yaml", tmp_path)
    env = {n: O._given(v).requires_grad_() for n, v in data["graph"]["inputs"].items()}
    s = env["Q"] @ env["K"].T / math.sqrt(3)
    a = torch.softmax(s, dim=1)
    o = a @ env["V"]
    (o * env["T"]).sum().backward()
    sdpa = TF.scaled_dot_product_attention(env["Q"], env["K"], env["V"])
    for name, want in (("S", s), ("A", a), ("O", o), ("O", sdpa)):
        assert np.allclose(O._flat(got["value", name]["exact"]), want.detach().reshape(-1).tolist(), rtol=1e-12,
                           atol=1e-15), name
    for n in "QKV":
        assert np.allclose(O._flat(got["gradient", n]["exact"]), env[n].grad.reshape(-1).tolist(), rtol=1e-12,
                           atol=1e-15), n


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_masked_problem_against_torch(tmp_path):
    path, data = O._problem("attention-masked.yaml")
    answers = [a for _, a in O._answers(path, tmp_path)]
    g = data["graph"]
    env = {n: O._given(v) for n, v in {**g["inputs"], **g["parameters"]}.items()}
    for n in g["parameters"]:
        env[n].requires_grad_()
    x = env["X"]
    q, k, v = x @ env["W_Q"], x @ env["W_K"], x @ env["W_V"]
    o = TF.scaled_dot_product_attention(q, k, v, attn_mask=env["M"] != 0)
    (o * env["T"]).sum().backward()
    value = next(a for a in answers if a["of"] == "O" and a["kind"] == "value")
    assert np.allclose(O._flat(value["exact"]), o.detach().reshape(-1).tolist(), rtol=1e-12, atol=1e-15)
    for n in g["parameters"]:
        grad = next(a for a in answers if a["of"] == n and a["kind"] == "gradient")
        assert np.allclose(O._flat(grad["exact"]), env[n].grad.reshape(-1).tolist(), rtol=1e-12, atol=1e-15), n
    assert O._flat(value["exact"])[:2] == [1.0, -1.0]  # token 1 sees only itself: O_1 = V_1 exactly
    assert value["exact"][0] == ["1", "-1"]


# -- the key's text -------------------------------------------------------------------------------

def _markdown(name: str) -> str:
    path = ROOT / "problems" / name
    return render(solve_problem(load_problem(path), path.stem, Options(), file=str(path)), "md")


def test_backward_through_the_softmax_is_shown_by_rows():
    md = _markdown("attention.yaml")
    assert (r"s_{1} &= \delta^{A}_{11} A_{11} + \delta^{A}_{12} A_{12} \approx (1)(0.5000) + (3)(0.5000) "
            r"\approx 2.000 \\") in md
    assert (r"\delta^{S}_{1,:} &= A_{1,:} \odot \left(\delta^{A}_{1,:} - s_{1}\right) \approx \left[\begin{array}{rr} "
            r"0.5000 & 0.5000 \end{array}\right] \odot \left(\left[\begin{array}{rr} 1 & 3 \end{array}\right] - 2.000"
            r"\right) \\" + "\n" + r"&\approx \left[\begin{array}{rr} -0.5000 & 0.5000 \end{array}\right] \\") in md
    assert (r"s_{2} &= \delta^{A}_{21} A_{21} + \delta^{A}_{22} A_{22} \approx (2)(0.5000) + (-1)(0.5000) "
            r"\approx 0.5000 \\") in md
    assert r"&\approx \left[\begin{array}{rr} 0.7500 & -0.7500 \end{array}\right] \\" in md
    assert r"$\delta^{S}_{r} = A_{r} \odot (\delta^{A}_{r} - s_r)$" in md
    assert r"Through the softmax's Jacobian" not in md


def test_the_local_derivative_through_a_root_reads_over_the_root():
    md = _markdown("attention.yaml")
    assert (r"\frac{\partial L}{\partial K_{11}} &= \delta^{S}_{11}\, \frac{Q_{11}}{\sqrt{3}} \approx (-0.5000)(0.5774) "
            r"\approx -0.2887 \\") in md
    assert r"\frac{1}{3} Q_{11} \sqrt{3}" not in md and r"\sqrt{3}}" in md


def test_attention_forward_in_steps_and_its_backward():
    md = _markdown("attention-masked.yaml")
    assert (r"S_{11} &= \frac{Q_{11} K_{11} + Q_{12} K_{12}}{\sqrt{2}} = \frac{(1)(0.5) + (0)(0)}{\sqrt{2}} "
            r"\approx 0.3536 \\") in md
    assert (r"A_{11} &= \frac{M_{11}\, e^{S_{11}}}{M_{11}\, e^{S_{11}} + M_{12}\, e^{S_{12}} + M_{13}\, e^{S_{13}}} \\"
            "\n" + r"&\approx \frac{1\, e^{0.3536}}{1\, e^{0.3536} + 0\, e^{0} + 0\, e^{0.3536}} = 1 \\") in md
    assert (r"A &\approx \left[\begin{array}{rrr} 1\phantom{.0000} & 0\phantom{.0000} & 0\phantom{.0000} \\ "
            r"0.3704 & 0.6296 & 0\phantom{.0000} \\ 0.2369 & 0.2827 & 0.4804 \end{array}\right] \\") in md
    assert "a masked-out weight is exactly 0" in md
    assert (r"s_{3} &= \delta^{A}_{31} A_{31} + \delta^{A}_{32} A_{32} + \delta^{A}_{33} A_{33} \\" + "\n"
            r"&\approx (2)(0.2369) + (-2)(0.2827) + (0)(0.4804) \approx -0.09161 \\") in md
    assert (r"\delta^{Q}_{21} &= \frac{\delta^{S}_{21} K_{11} + \delta^{S}_{22} K_{21} + \delta^{S}_{23} K_{31}}"
            r"{\sqrt{2}} \\" + "\n" + r"&\approx \frac{(-0.6996)(0.5) + (0.6996)(0) + (0)(0.5)}{\sqrt{2}} "
            r"\approx -0.2474 \\") in md
    assert md.count(r"s_{1} &=") == 1  # δ^A, the rows and δ^S once, for δ^K; δ^Q uses them


def test_local_latex_and_lane_labels():
    x = sp.Symbol("x")
    tex = sp.latex
    assert local_latex(tex, sp.sqrt(3) * x / 3) == r"\frac{x}{\sqrt{3}}"
    assert local_latex(tex, -sp.sqrt(2) * x / 2) == r"-\frac{x}{\sqrt{2}}"
    assert local_latex(tex, sp.sqrt(3) * x / 2) == tex(sp.sqrt(3) * x / 2)  # not 1/√m: as sympy prints it
    assert local_latex(tex, 2 * x) == "2 x"
    assert lane_label((2, 3), 1, (0,)) == "{1,:}" and lane_label((2, 3), 0, (2,)) == "{:,3}"
    assert lane_label((4,), 0, ()) == ""


def test_softmax_along_axis_0_is_shown_by_columns(tmp_path):
    path = tmp_path / "cols.yaml"
    path.write_text("title: t\ngraph:\n  inputs:\n    S: [[0, 1], [1, 0]]\n    T: [[1, 0], [0, 1]]\n"
                    "  nodes:\n    A: softmax(S, axis=0)\n    L: sum(A * T)\n  output: L\n"
                    "questions:\n  - {id: q, ask: [gradients], gradients: [S]}\n", encoding="utf-8")
    md = render(solve_problem(load_problem(path), "cols", Options(), file=str(path)), "md")
    assert r"\frac{\partial L}{\partial S}_{:,1}" not in md
    assert r"s_{1} &= \delta^{A}_{11} A_{11} + \delta^{A}_{21} A_{21}" in md
    assert r"\delta^{S}_{:,1} &= A_{:,1} \odot \left(\delta^{A}_{:,1} - s_{1}\right)" in md


# -- bad input --------------------------------------------------------------------------------------

BAD = [
    ("attention(Q, K, V, Z, boolean=2)", "graph.nodes.O", "attention(): boolean must be 0 (a float mask, added) or 1"),
    ("attention(Q, K, V, boolean=1)", "graph.nodes.O", "attention(): boolean=1 needs a mask, the fourth argument"),
    ("attention(Q, V, V)", "graph.nodes.O", "attention(): Q and K must have the same last axis (d_k)"),
    ("attention(Q, K, V, T)", "graph.nodes.O", "attention(): the mask must have the scores' shape 2×2"),
    ("attention(Q, K)", "graph.nodes.O", "attention() takes 3 to 4 arguments"),
    ("attention(Q, K, V, Z, boolean=1)", "questions[0]", "every entry of a row of the attention mask is 0"),
    ("attention(Q, K, mask=Z)", "graph.nodes.O", "attention(): 'mask=' comes after 3 arguments; give them first"),
    ("attention(Q, K, V, Z, mask=Z)", "graph.nodes.O", "attention(): 'mask' is given twice"),
]


def test_the_mask_may_be_passed_by_name():
    """``attention(Q, K, V, mask=M)`` (the issue's spelling) is ``attention(Q, K, V, M)``."""
    q, k = R.array([[Fraction(1), 0, 1], [0, 1, 0]]), R.array([[1, 1, 0], [0, 1, 1]])
    v, m = R.array([[1, 2], [3, -1]]), R.array([[0, Fraction(-1, 2)], [Fraction(3, 10), 0]])
    g = R.array([[1, 0], [Fraction(1, 2), 1]])
    leaves = {"Q": q, "K": k, "V": v, "M": m}
    a = O.solve(O.Case("attention(Q, K, V, mask=M)", leaves, tuple(leaves), REF, {"boolean": 0}, False, g))
    b = O.solve(O.Case("attention(Q, K, V, M)", leaves, tuple(leaves), REF, {"boolean": 0}, False, g))
    assert a == b


@pytest.mark.parametrize("node, field, message", BAD)
def test_bad_attention_is_one_line_naming_the_field(tmp_path, node, field, message):
    import subprocess

    path = tmp_path / "bad.yaml"
    path.write_text("title: t\ngraph:\n  inputs:\n    Q: [[1, 0, 1], [0, 1, 0]]\n    K: [[1, 1, 0], [0, 1, 1]]\n"
                    "    V: [[1, 2], [3, -1]]\n    T: [[1, 0, 1]]\n    Z: [[1, 0], [0, 0]]\n"
                    f"  nodes:\n    O: \"{node}\"\n    L: sum(O)\n  output: L\n"
                    "questions:\n  - {id: q, ask: [forward, gradients], gradients: [Q]}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "solver", "solve", str(path), "-o", str(tmp_path / "out")],
                         check=False, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert str(path) in lines[0] and field in lines[0] and message in lines[0], lines[0]


def test_a_key_with_a_float_mask_shared_by_the_batch(tmp_path):
    """Q, K, V of a batch of 2 and one 2 × 3 float mask for both, its gradient asked: the key
    stopped with KeyError (0, 0, 0), looking for the mask's element at the batch's index. Now
    δ^M is δ^S summed over the batch, and the key says so; its values against the reference."""
    import json

    import yaml
    from click.testing import CliRunner

    from solver.cli import main

    path = Path(__file__).resolve().parent / "problems" / "attention-batch-shared-float-mask.yaml"
    r = CliRunner().invoke(main, ["solve", str(path), "-f", "md", "-f", "json", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    g = yaml.safe_load(path.read_text(encoding="utf-8"))["graph"]
    exact = lambda v: [exact(x) for x in v] if isinstance(v, list) else mpf(str(v))  # noqa: E731
    with mp.workdps(40):
        leaf = {k: R.array(exact(v)) for k, v in {**g["inputs"], **g["parameters"]}.items()}
        want = dict(zip("QKVM", attention_back(leaf["T"], leaf["Q"], leaf["K"], leaf["V"], leaf["M"])))
    doc = json.loads((tmp_path / f"{path.stem}.json").read_text())
    got = {a["of"]: a["exact"] for q in doc["questions"] for a in q["answers"] if a["kind"] == "gradient"}
    for name in "QKVM":
        for x, y in zip(np.asarray(got[name], dtype=object).reshape(-1), np.asarray(want[name]).reshape(-1)):
            assert abs(mpf(x) - mpf(y)) < mpf(10) ** -25, name
    md = (tmp_path / f"{path.stem}.md").read_text(encoding="utf-8")
    assert r"the mask is added to the scores of every batch element, so $\delta^{M}$ is $\delta^{S}$ summed" in md
