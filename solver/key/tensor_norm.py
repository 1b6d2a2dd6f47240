"""Batch normalisation, layer normalisation and dropout in the key, as a course shows them.

Forward: per channel (batchnorm, over the batch and any spatial axes) or per row
(layernorm, over the last axis) the mean μ, the biased variance σ², the normalised
x̂ = (x − μ)/√(σ² + ε) and the output y = γ x̂ + β, worked for the first channel or row
with the numbers substituted, then μ, σ², x̂ and y whole; dropout y = x ⊙ m / (1 − p)
with its mask. Backward in the usual closed form (Ioffe and Szegedy 2015, §3; CS231n
assignment 2): ∂L/∂β = Σ δ^Y, ∂L/∂γ = Σ δ^Y ⊙ x̂, δ^x̂ = δ^Y ⊙ γ and, over the m values
of a channel (row),

    ∂L/∂x_i = (m δ^x̂_i − Σ_j δ^x̂_j − x̂_i Σ_j δ^x̂_j x̂_j) / (m √(σ² + ε)).

Every number printed is checked against the graph's own values and adjoints (the chain
rule the engine computed element by element): equal when both are exact, within 1e-40
(relative) when the engine rounded to 50 digits; a disagreement raises
:class:`~solver.core.errors.NNSolveError` rather than print a wrong number.
"""

from __future__ import annotations

import re

import sympy as sp

from ..core.numbers import display, normalize
from ..graph.model import TensorInfo
from ..graph.tensor_spec import element_latex
from ..ops.latex import bmatrix
from ..ops.tensor import indices
from ..problem.tensor_expressions import Apply, Ref
from .model import Block, Equation
from .question import QuestionWork
from .tensor_display import tensor_equations
from .tensor_dropout import agree, dropout_backward, dropout_forward

NORMS = ("batchnorm", "layernorm")
#: Up to this many values of a channel (row), its sums are written term by term.
_TERMS = 8


def norm_op(t: TensorInfo) -> str | None:
    """``batchnorm``, ``layernorm`` or ``dropout`` when ``t`` is made by one of them from named
    tensors (the only form this module shows), else ``None``."""
    tree = t.tree
    if isinstance(tree, Apply) and tree.op.name in (*NORMS, "dropout") and all(isinstance(a, Ref) for a in tree.args):
        return tree.op.name
    return None


def _groups(op: str, shape: tuple[int, ...]) -> list[list[int]]:
    """The flat indices normalised together: each channel's (axis 1) or each row's (last axis)."""
    if op == "batchnorm":
        flat = list(indices(shape))
        return [[k for k, i in enumerate(flat) if i[1] == c] for c in range(shape[1])]
    d = shape[-1]
    return [list(range(r * d, (r + 1) * d)) for r in range(len(list(indices(shape))) // d)]


def _hat(latex: str) -> str:
    """x̂'s name from the input's: ``\\hat{X}``, ``\\hat{z}^{(1)}``."""
    m = re.match(r"^([A-Za-z])(.*)$", latex)
    return rf"\hat{{{m.group(1)}}}{m.group(2)}" if m else r"\hat{x}"


class NormWork:
    """The exact statistics of one norm node ``t`` of the question ``w``.

    Attributes:
        op: ``batchnorm`` or ``layernorm``; x, gamma, beta: the argument tensors.
        groups: flat indices of each channel (row); m: values per group.
        mu, var, root: per group μ, σ² (biased) and √(σ² + ε), exact.
        xhat: x̂ per flat index, exact.
    """

    def __init__(self, w: QuestionWork, t: TensorInfo):
        tensors = {u.key: u for u in w.graph.tensors}
        self.w, self.t, self.op = w, t, t.tree.op.name
        self.x, self.gamma, self.beta = (tensors[a.name] for a in t.tree.args)
        self.eps = t.tree.kwargs["eps"]
        self.groups = _groups(self.op, t.shape)
        self.m = len(self.groups[0])
        xs = [sp.sympify(w.values[k]) for k in self.x.elements]
        self.mu, self.var, self.root, self.xhat = [], [], [], [sp.Integer(0)] * len(xs)
        for grp in self.groups:
            mu = sp.Add(*[xs[k] for k in grp]) / self.m
            var = sp.Add(*[(xs[k] - mu) ** 2 for k in grp]) / self.m
            root = sp.sqrt(var + self.eps)
            self.mu.append(mu), self.var.append(var), self.root.append(root)
            for k in grp:
                self.xhat[k] = (xs[k] - mu) / root
        for k, key in enumerate(t.elements):
            agree(self.param(self.gamma, k) * self.xhat[k] + self.param(self.beta, k), w.values[key], f"{t.key}")

    @staticmethod
    def of(w: QuestionWork, t: TensorInfo) -> NormWork:
        """The statistics of ``t`` in ``w``, worked out (and checked) once per question: its
        forward block and the δ of each of its arguments read them."""
        return w.once("norm statistics", t.key, lambda: NormWork(w, t))

    def pindex(self, k: int) -> int:
        """The index into γ and β of flat element ``k``."""
        return next(g for g, grp in enumerate(self.groups) if k in grp) if self.op == "batchnorm" \
            else k % self.t.shape[-1]

    def param(self, p: TensorInfo, k: int) -> sp.Expr:
        return self.w.values[p.elements[self.pindex(k)]]

    def name(self, base: str, k: int) -> str:
        return element_latex(base, self.t.shape, tuple(list(indices(self.t.shape))[k]))

    def num(self, v: sp.Expr) -> str:
        return display(normalize(v), self.w.digits).latex

    def rel(self, *vals) -> str:
        return "=" if all(display(normalize(v), self.w.digits).exact for v in vals) else r"\approx"

    def vector(self, name: str, vals: list) -> Equation:
        return Equation(name, ((self.rel(*vals), bmatrix([[self.num(v) for v in vals]])),))

    def full(self, name: str, vals: list) -> list[Equation]:
        info = TensorInfo(name, name, "stage", self.t.shape, tuple(str(i) for i in range(len(vals))))
        return tensor_equations(name, info, lambda k: normalize(vals[int(k)]), self.w.digits)


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _sum(terms: list[str]) -> str:
    return " + ".join(terms) if len(terms) <= _TERMS else f"{terms[0]} + {terms[1]} + \\dots + {terms[-1]}"


def _signed(numbers: list[str]) -> str:
    """Numbers as one sum, a negative one subtracted (``1 - 0.5``)."""
    if len(numbers) > _TERMS:
        numbers = [numbers[0], numbers[1], r"\dots", numbers[-1]]
    return numbers[0] + "".join(f" - {n[1:]}" if n.startswith("-") else f" + {n}" for n in numbers[1:])


def norm_forward_block(w: QuestionWork, t: TensorInfo, title: str) -> Block:
    """The forward block of a batchnorm, layernorm or dropout node ``t`` (see the module)."""
    if t.tree.op.name == "dropout":
        return dropout_forward(w, t, title)
    s = NormWork.of(w, t)
    x, hat, g0 = s.x.latex, _hat(s.x.latex), s.groups[0]
    which = "channel" if s.op == "batchnorm" else "row"
    lbl = "1"
    mu, var = rf"\mu_{{{lbl}}}", rf"\sigma^2_{{{lbl}}}"
    xs = [s.name(x, k) for k in g0]
    vals = [s.num(w.values[s.x.elements[k]]) for k in g0]
    k0, eps = g0[0], s.num(s.eps)
    gam, bet = s.param(s.gamma, k0), s.param(s.beta, k0)
    gname = element_latex(s.gamma.latex, s.gamma.shape, (s.pindex(k0),))
    bname = element_latex(s.beta.latex, s.beta.shape, (s.pindex(k0),))
    frac = rf"\frac{{1}}{{{s.m}}}"
    eqs = [
        Equation(mu, (("=", rf"{frac} \left({_sum(xs)}\right)"),
                      ("=", rf"{frac} \left({_signed(vals)}\right)"), (s.rel(s.mu[0]), s.num(s.mu[0])))),
        Equation(var, (("=", rf"{frac} \left({_sum([f'({a} - {mu})^2' for a in xs])}\right)"),
                       (s.rel(s.mu[0]), rf"{frac} \left({_sum([f'({v} - {_paren(s.num(s.mu[0]))})^2' for v in vals])}\right)"),
                       (s.rel(s.var[0]), s.num(s.var[0])))),
        Equation(s.name(hat, k0), (("=", rf"\frac{{{xs[0]} - {mu}}}{{\sqrt{{{var} + \varepsilon}}}}"),
                                   (s.rel(s.mu[0], s.var[0]), (rf"\frac{{{vals[0]} - {_paren(s.num(s.mu[0]))}}}"
                                                               rf"{{\sqrt{{{s.num(s.var[0])} + {eps}}}}}")),
                                   (s.rel(s.xhat[k0]), s.num(s.xhat[k0])))),
        Equation(s.name(t.latex, k0), (("=", f"{gname} {s.name(hat, k0)} + {bname}"),
                                       (s.rel(s.xhat[k0]), f"({s.num(gam)})({s.num(s.xhat[k0])}) + {_paren(s.num(bet))}"),
                                       (s.rel(w.values[t.elements[k0]]), s.num(w.values[t.elements[k0]])))),
        s.vector(r"\mu", s.mu), s.vector(r"\sigma^2", s.var),
        *s.full(hat, s.xhat), *tensor_equations(t.latex, t, w.values.__getitem__, w.digits)]
    over = (f"the {s.m} values of each channel (over the batch{' and the spatial axes' if len(t.shape) > 2 else ''})"
            if s.op == "batchnorm" else f"the {s.m} values of each row (the last axis)")
    text = (rf"{t.tree.op.note} The statistics are taken over {over}, with the biased variance (divided by "
            rf"$m = {s.m}$) and $\varepsilon = {eps}$; $\gamma$ and $\beta$ are per "
            rf"{'channel' if s.op == 'batchnorm' else 'feature of the last axis'}. Worked for {which} 1; "
            rf"the others the same way.")
    return Block("stage", title, text, tuple(eqs))


def norm_backward(w: QuestionWork, t: TensorInfo, readers: list[TensorInfo], name) -> tuple[list[str], list] | None:
    """(rule sentences, equations) of δ of ``t`` in closed form when its only reader is a
    batchnorm, layernorm or dropout node taking ``t`` once, else ``None``; every number
    checked against the engine's adjoints. ``name(key)`` is an element's gradient's LaTeX."""
    if len(readers) != 1 or norm_op(readers[0]) is None:
        return None
    u = readers[0]
    args = [a.name for a in u.tree.args]
    if args.count(t.key) != 1:
        return None
    pos = args.index(t.key)
    adj = lambda key: w.grads.adjoint.get(key, sp.Integer(0))
    if u.tree.op.name == "dropout":
        return dropout_backward(w, t, u, pos, adj, name)
    s = NormWork.of(w, u)
    dy = [adj(k) for k in u.elements]
    dlt = rf"\delta^{{{u.latex}}}"
    hat = _hat(s.x.latex)
    if pos in (1, 2):  # γ or β: a sum over what each parameter multiplies (adds to)
        per = [[k for k in range(len(dy)) if s.pindex(k) == j] for j in range(len(t.elements))]
        vals = [sp.Add(*[dy[k] * (s.xhat[k] if pos == 1 else 1) for k in ks]) for ks in per]
        for j, v in enumerate(vals):
            agree(v, adj(t.elements[j]), f"{t.key}")
        terms = [(s.name(dlt, k), s.name(hat, k), dy[k], s.xhat[k]) for k in per[0]]
        sym = _sum([f"{d}\\, {h}" if pos == 1 else d for d, h, _, _ in terms])
        nums = (_sum if pos == 1 else _signed)([f"({s.num(a)})({s.num(b)})" if pos == 1 else s.num(a) for _, _, a, b in terms])
        over = "the batch and the spatial axes" if s.op == "batchnorm" and len(u.shape) > 2 else \
            "the batch" if s.op == "batchnorm" else "the rows"
        rule = (rf"$\partial {w.out}/\partial {t.latex} = \sum {dlt} \odot {hat}$" if pos == 1 else
                rf"$\partial {w.out}/\partial {t.latex} = \sum {dlt}$") + f", summed over {over}."
        eq = Equation(name(t.elements[0]), (("=", sym), (s.rel(*vals[:1]), nums), (s.rel(vals[0]), s.num(vals[0]))))
        return [rule], [eq]
    g0 = s.groups[0]
    dxh = [dy[k] * s.param(s.gamma, k) for k in range(len(dy))]
    out = [sp.Integer(0)] * len(dy)
    sums = []
    for gi, grp in enumerate(s.groups):
        s1 = sp.Add(*[dxh[k] for k in grp])
        s2 = sp.Add(*[dxh[k] * s.xhat[k] for k in grp])
        sums.append((s1, s2))
        for k in grp:
            out[k] = (s.m * dxh[k] - s1 - s.xhat[k] * s2) / (s.m * s.root[gi])
    for k, key in enumerate(t.elements):
        agree(out[k], adj(key), f"{t.key}")
    k0 = g0[0]
    dh = rf"\delta^{{{hat}}}"
    s1, s2 = sums[0]
    which = "channel" if s.op == "batchnorm" else "row"
    gname = s.gamma.latex
    fulls = s.full(dh, dxh)
    if len(fulls) == 1:
        fulls = [Equation(dh, (("=", rf"{dlt} \odot {gname}"), *fulls[0].parts))]
    eqs = [*fulls,
           Equation(rf"\sum_{{\text{{{which} 1}}}} {dh}", (("=", _sum([s.name(dh, k) for k in g0])),
                                                            (s.rel(s1), _signed([s.num(dxh[k]) for k in g0])),
                                                            (s.rel(s1), s.num(s1)))),
           Equation(rf"\sum_{{\text{{{which} 1}}}} {dh} \odot {hat}",
                    (("=", _sum([f"{s.name(dh, k)}\\, {s.name(hat, k)}" for k in g0])),
                     (r"\approx" if s.rel(s2) != "=" else "=",
                      _sum([f"({s.num(dxh[k])})({s.num(s.xhat[k])})" for k in g0])), (s.rel(s2), s.num(s2)))),
           Equation(name(t.elements[k0]),
                    (("=", (rf"\frac{{{s.m}\, {s.name(dh, k0)} - \sum {dh} - {s.name(hat, k0)} \sum {dh} \odot {hat}}}"
                            rf"{{{s.m} \sqrt{{\sigma^2_1 + \varepsilon}}}}")),
                     (s.rel(out[k0], s.root[0]),
                      (rf"\frac{{{s.m} ({s.num(dxh[k0])}) - {_paren(s.num(s1))} - ({s.num(s.xhat[k0])})({s.num(s2)})}}"
                       rf"{{{s.m} \cdot {s.num(s.root[0])}}}")),
                     (s.rel(out[k0]), s.num(out[k0]))))]
    over = "channel" if s.op == "batchnorm" else "row (the last axis)"
    cite = "Ioffe and Szegedy 2015; CS231n" if s.op == "batchnorm" else "Ba, Kiros and Hinton 2016; as CS231n's for batches"
    rule = (rf"The closed form of {'batch' if s.op == 'batchnorm' else 'layer'} normalisation's backward pass "
            rf"({cite}), per {over} over its $m = {s.m}$ values: ${dh} = {dlt} \odot {gname}$, "
            rf"$\partial {w.out}/\partial x_i = \frac{{1}}{{m \sqrt{{\sigma^2 + \varepsilon}}}}\bigl(m\, {dh}_i - "
            rf"\sum_j {dh}_j - {hat}_i \sum_j {dh}_j {hat}_j\bigr)$, with $\sqrt{{\sigma^2_1 + \varepsilon}} "
            rf"{s.rel(s.root[0])} {s.num(s.root[0])}$. Worked for {which} 1 (agrees with the chain rule through the graph).")
    return [rule], eqs
