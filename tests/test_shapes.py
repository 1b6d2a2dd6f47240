"""``solver.graph.shapes.derivative``: sympy's derivative worked out once per shape of term
and named back must be, node for node, what ``sympy.diff`` gives on the term itself
(the printed key is read off the formula's form, so equal in value is not enough: the
trees must match, arguments in their order). Checked on every local derivative of the bundled tensor problems,
which repeat their formulas in other symbols, and on generated terms in symbols whose
names sort in other orders than their indices."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solver.graph.backprop as backprop
from solver.graph import shapes
from solver.graph.shapes import derivative
from solver.ops.activations.sigmoid import Sigmoid
from solver.pipeline import solve_file

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def _same(mine: sp.Basic, theirs: sp.Basic) -> bool:
    """The same tree: node types, arguments in their stored order (``srepr`` and ``==`` alone
    would not do: ``srepr`` prints a sum's terms sorted), atoms equal with equal ``srepr``."""
    if type(mine) is not type(theirs) or len(mine.args) != len(theirs.args):
        return False
    if not mine.args:
        return mine == theirs and sp.srepr(mine) == sp.srepr(theirs)
    return all(_same(a, b) for a, b in zip(mine.args, theirs.args))

#: Problems whose local derivatives go to sympy, and how many of them at least share a shape.
TENSOR = ["attention-masked", "attention", "dropout", "batchnorm", "layernorm", "gru-sequence",
          "lstm-two-steps", "conv-relu-maxpool", "skip-chain-l1", "gelu-huber-hinge"]


@pytest.mark.parametrize("name", TENSOR)
def test_every_local_derivative_of_a_bundled_problem_is_sympys(name, monkeypatch):
    calls = []

    def checked(term, symbol):
        mine, theirs = derivative(term, symbol), sp.diff(term, symbol)
        calls.append((term, symbol))
        assert _same(mine, theirs), (term, symbol)
        return mine

    monkeypatch.setattr(backprop, "_diff", checked)
    solve_file(PROBLEMS / f"{name}.yaml")
    if name in ("attention-masked", "dropout", "batchnorm"):
        assert len(calls) >= 30


def test_one_shape_is_differentiated_once(monkeypatch):
    """The 3 rows of a masked attention differentiate one shape: sympy runs once."""
    monkeypatch.setattr(shapes, "_known", {})
    calls = []
    original = shapes._differentiated
    monkeypatch.setattr(shapes, "_differentiated", lambda *a: calls.append(a) or original(*a))
    rows = []
    for i in range(3):
        q = [sp.Symbol(f"Q[{i},{j}]", real=True) for j in range(2)]
        k = [[sp.Symbol(f"K[{r},{j}]", real=True) for j in range(2)] for r in range(3)]
        v = sp.Symbol("V[0,0]", real=True)
        scores = [sum(k[r][j] * q[j] for j in range(2)) for r in range(3)]
        rows.append((v * sp.exp(scores[0]) / sum(sp.exp(s) for s in scores), q[0]))
    for term, symbol in rows:
        assert _same(derivative(term, symbol), sp.diff(term, symbol))
    assert len(calls) == 1
    assert len(shapes._known) == 1


def test_a_term_is_encoded_once_for_all_its_symbols(monkeypatch):
    """A tensor graph differentiates one term by many of its symbols: its canonical names and
    code are worked out once, and each derivative is still sympy's."""
    shapes._encoded.cache_clear()
    calls = []
    original = shapes.encode
    monkeypatch.setattr(shapes, "encode", lambda *a: calls.append(a[0]) or original(*a))
    x, y, z = sp.symbols("x y z", real=True)
    term = sp.exp(x * y) * z / (1 + sp.exp(x))
    for s in (x, y, z, x):
        assert _same(derivative(term, s), sp.diff(term, s))
    assert sum(1 for c in calls if c is term) == 1


def test_a_term_without_the_symbol_and_other_kinds_of_symbol():
    x, y = sp.symbols("x y", real=True)
    assert derivative(x * y, sp.Symbol("z")) is sp.S.Zero
    assert derivative(x * y, sp.Symbol("x")) is sp.S.Zero  # another symbol: no assumptions
    d = sp.Dummy("d", real=True)
    assert derivative(d * sp.exp(x), x) == d * sp.exp(x)  # not renamed: sympy's own


# Names whose string order differs from their index order, and assumptions that differ.
_NAMES = ["w[10,0]", "w[2,0]", "x", "X[1]", "b", "_a", "z1[3,1]", "gamma[0]"]
_SYMBOLS = [sp.Symbol(n, real=True) for n in _NAMES] + [sp.Symbol("p", positive=True), sp.Symbol("u")]


def _terms():
    leaf = st.one_of(st.sampled_from(_SYMBOLS),
                     st.sampled_from([sp.Integer(2), sp.Rational(1, 4), sp.Integer(-3), sp.Rational(1, 100000)]))

    def grow(children):
        return st.one_of(
            st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
            children.map(lambda a: a ** 2),
            children.map(lambda a: 1 / (a ** 2 + sp.Rational(1, 100))),
            children.map(sp.exp),
            children.map(lambda a: sp.sqrt(a ** 2 + 1)),
            children.map(Sigmoid),
            children.map(lambda a: sp.Max(a, 0)),
            st.lists(leaf, min_size=2, max_size=4).map(_normalised),
        )
    return st.recursive(leaf, grow, max_leaves=12)


def _normalised(xs):
    """A batch norm's first element, (x₀ − μ)/√(σ² + ε): signs and orders of sums of differences."""
    mean = sp.Add(*xs) / len(xs)
    var = sp.Add(*[(x - mean) ** 2 for x in xs]) / len(xs)
    return (xs[0] - mean) / sp.sqrt(var + sp.Rational(1, 100000))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_terms(), st.sampled_from(_SYMBOLS),
       st.permutations(_SYMBOLS))
def test_generated_terms_and_their_renamings(term, symbol, permutation):
    """A term and the same term in permuted symbols (one shape, or two): each derivative is
    sympy's, whichever of them was differentiated first."""
    renamed = term.xreplace(dict(zip(_SYMBOLS, permutation)))
    target = permutation[_SYMBOLS.index(symbol)]
    for t, s in ((term, symbol), (renamed, target), (term, symbol)):
        assert _same(derivative(t, s), sp.diff(t, s)), (t, s)
