"""Equation builders: one node's forward line, one chain-rule sum, one update.

An :class:`Equation` is ``lhs rel₁ part₁ rel₂ part₂ …`` with each part already
LaTeX; the templates only lay it out. Every number in a part is the display
rounding of an exact value; a relation is ``\\approx`` when the part holds a
rounded number.
"""

from __future__ import annotations

from functools import cached_property

import sympy as sp

from ..core.numbers import Shown, display, normalize
from ..graph.backprop import Gradients, evaluate
from ..graph.model import Graph, sym
from ..ops.functions import OpFunctionBase
from ..ops.latex import NNLatexPrinter, SubstitutingPrinter, partial
from .model import Equation


class StepBuilder:
    """Builds equations for one graph and its values at a display precision.

    Args:
        graph: the graph.
        values: every node's exact value.
        digits: significant figures shown.
        grads: the backward pass (needed for chain-rule equations).
    """

    def __init__(self, graph: Graph, values: dict[str, sp.Expr], digits: int,
                 grads: Gradients | None = None):
        self.graph = graph
        self.values = values
        self.digits = digits
        self.grads = grads
        self.printer = NNLatexPrinter(graph.latex)
        self.shown = {k: display(v, digits) for k, v in values.items()}
        self._forms: dict = {}

    # -- small helpers -----------------------------------------------------------
    def tex(self, expr: sp.Expr) -> str:
        return self.printer.doprint(expr)

    def subst(self, expr: sp.Expr) -> tuple[str, bool]:
        """``expr`` with shown values substituted, and whether all were exact."""
        p = SubstitutingPrinter(self.graph.latex, self.shown)
        tex = p.doprint(expr)
        return tex, p.exact

    def show(self, value: sp.Expr) -> Shown:
        return display(value, self.digits)

    def name(self, key: str) -> str:
        return self.graph.latex[key]

    def d(self, num: str, den: str) -> str:
        return partial(self.name(num), self.name(den))

    @staticmethod
    def factor(shown: Shown) -> str:
        return f"({shown.latex})" if shown.latex.startswith("-") else shown.latex

    def _terms_line(self, expr: sp.Expr) -> tuple[str, bool] | None:
        """``0.2 + 0.2 + 0.1``: the values of a sum's terms, when that adds a step."""
        if not expr.is_Add or all(a.is_Symbol for a in expr.args):
            return None
        out, exact = "", True
        for i, term in enumerate(expr.args):
            v = evaluate(term, self.values)
            s = self.show(v)
            exact &= s.exact
            if i == 0:
                out = s.latex
            elif s.latex.startswith("-"):
                out += " - " + s.latex[1:]
            else:
                out += " + " + s.latex
        return out, exact

    # -- forward -------------------------------------------------------------------
    def forward(self, key: str) -> Equation:
        """``z = w_1 x_1 + … = (0.2)(1) + … = 0.2 + … = 0.5`` for a computed node."""
        node = self.graph.by_key[key]
        expr = node.expr
        parts = [("=", self.tex(expr))]
        sub, exact = self.subst(expr)
        value = self.shown[key]
        if sub != value.latex:
            parts.append(("=" if exact else r"\approx", sub))
        if isinstance(expr, OpFunctionBase) and expr.args[0].is_Symbol:  # σ(1.2) = 1/(1 + e^{-1.2})
            arg = self.shown[expr.args[0].name]
            step = expr.expanded(arg.latex, arg.exact)
            if step:
                parts.append(step)
        terms = self._terms_line(expr)
        if terms and terms[0] != value.latex:
            parts.append(("=" if terms[1] and exact else r"\approx", terms[0]))
        parts.append((value.relation, value.latex))
        return Equation(self.name(key), tuple(parts))

    def softmax_details(self, keys: list[str]) -> list[Equation]:
        """The exponentials and their sum, shown before softmax probabilities."""
        first = self.graph.by_key[keys[0]].expr
        logits = first.args[1:]
        eqs = []
        exps = []
        for o in logits:
            v = normalize(sp.exp(self.values[o.name]))
            exps.append(v)
            s = self.show(v)
            sub, _ = self.subst(o)
            eqs.append(Equation(rf"e^{{{self.tex(o)}}}", (("=", rf"e^{{{sub}}}"), (s.relation, s.latex))))
        total = normalize(sp.Add(*exps))
        st = self.show(total)
        sym_sum = " + ".join(rf"e^{{{self.tex(o)}}}" for o in logits)
        num_sum = " + ".join(self.show(v).latex for v in exps)
        eqs.append(Equation("S", (("=", sym_sum), (r"\approx", num_sum), (st.relation, st.latex))))
        for k in keys:
            node = self.graph.by_key[k]
            j = node.expr.index
            v = self.shown[k]
            eqs.append(Equation(self.name(k), (
                ("=", rf"\frac{{e^{{{self.tex(logits[j])}}}}}{{S}}"),
                (r"\approx", rf"\frac{{{self.show(exps[j]).latex}}}{{{st.latex}}}"),
                (v.relation, v.latex))))
        return eqs

    # -- backward ------------------------------------------------------------------
    def _local_form(self, child: str, parent: str) -> sp.Expr:
        """∂child/∂parent in the nicest symbols: σ(z) written as h, softmax as p."""
        key = (child, parent)
        if key not in self._forms:
            f = self.grads.local[key].formula.xreplace(self._functions)
            self._forms[key] = sp.factor_terms(f) if f.is_Add else f
        return self._forms[key]

    @cached_property
    def _functions(self) -> dict:
        """Each activation applied to its input, mapped to the node holding it."""
        return {n.expr: n.symbol for n in self.graph.nodes
                if n.expr is not None and isinstance(n.expr, sp.Function)}

    def chain(self, key: str, children: list[str], lhs_chain: list[str] | None = None) -> Equation:
        """∂L/∂key as the sum over ``children`` of ∂L/∂c · ∂c/∂key, written symbolically,
        with formulas, with numbers, and evaluated."""
        loss = self.graph.loss
        lhs = self.d(loss, key)
        parts: list[tuple[str, str]] = []
        if lhs_chain:
            parts.append(("=", " ".join(self.d(a, b) for a, b in zip(lhs_chain, lhs_chain[1:] + [key]))))
        direct = children == [loss]
        if direct:
            form = self._local_form(loss, key)
            parts.append(("=", self.tex(form)))
            sub, exact = self.subst(form)
            parts.append(("=" if exact else r"\approx", sub))
        else:
            parts.append(("=", " + ".join(self.d(loss, c) + " " + self.d(c, key) for c in children)))
            forms = [self._local_form(c, key) for c in children]
            sym_terms = []
            for c, f in zip(children, forms):
                ft = self.tex(f)
                if f.is_Add or f.could_extract_minus_sign():
                    ft = rf"\left({ft}\right)"
                sym_terms.append(self.d(loss, c) + (" " + ft if f != 1 else ""))
            parts.append(("=", " + ".join(sym_terms)))
            num_terms, exact, needs_eval = [], True, False
            for c, f in zip(children, forms):
                up = self.show(self.grads.adjoint[c])
                exact &= up.exact
                fs, fe = self.subst(f)
                exact &= fe
                if not (f.is_Symbol or f.is_Number):
                    needs_eval = True
                if f == 1:
                    num_terms.append(self.factor(up))
                elif f.is_Symbol or f.is_Number:
                    wrapped = fs if fs.startswith("(") else f"({fs})"
                    num_terms.append(f"({up.latex}){wrapped}")
                else:
                    if f.could_extract_minus_sign():
                        fs = rf"\left({fs}\right)"
                    num_terms.append(rf"({up.latex}) \cdot {fs}")
            numbers = " + ".join(num_terms)
            if not (len(children) == 1 and forms[0] == 1):  # (−0.2) = −0.2 says nothing
                parts.append(("=" if exact else r"\approx", numbers))
            if needs_eval:
                ev, ex2 = [], True
                for c in children:
                    up = self.show(self.grads.adjoint[c])
                    lv = self.show(self.grads.local[(c, key)].value)
                    ex2 &= up.exact and lv.exact
                    ev.append(f"({up.latex})({lv.latex})")
                parts.append(("=" if ex2 else r"\approx", " + ".join(ev)))
        value = self.show(self.grads.adjoint[key])
        if parts[-1][1] != value.latex:
            parts.append((value.relation, value.latex))
        return Equation(lhs, tuple(parts))

    def shortcut(self, logit: str, prob: str, target: str) -> Equation:
        """∂L/∂o_k = p_k − y_k for softmax followed by cross-entropy."""
        expr = sp.Add(sym(prob), sp.Mul(-1, sym(target), evaluate=False), evaluate=False)
        sub, exact = self.subst(expr)
        value = self.show(self.grads.adjoint[logit])
        return Equation(self.d(self.graph.loss, logit), (
            ("=", self.tex(expr)), ("=" if exact else r"\approx", sub), (value.relation, value.latex)))

    def update(self, key: str, rate: sp.Expr, new: sp.Expr) -> Equation:
        """``w ← 0.4 − (0.1)(−0.36) = 0.436`` (the rule w ← w − η ∂L/∂w is stated once)."""
        w = self.shown[key]
        g = self.show(self.grads.adjoint[key])
        eta = self.show(rate)
        nv = self.show(new)
        return Equation(self.name(key), (
            (r"\leftarrow", f"{w.latex} - ({eta.latex})({g.latex})"),
            (nv.relation, nv.latex)))
