"""Equation builders: one node's forward line, one chain-rule sum, one update.

An :class:`Equation` is ``lhs rel₁ part₁ rel₂ part₂ …`` with each part already
LaTeX; the templates only lay it out. Every number in a part is the display
rounding of an exact value; a relation is ``\\approx`` when the part holds a
rounded number.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import sympy as sp

from ..core.numbers import DIGITS, Shown, display, normalize
from ..graph.backprop import Gradients, evaluate
from ..graph.model import Graph, sym
from ..graph.regularization import PENALTY
from ..ops.functions import OpFunctionBase
from ..ops.latex import NNLatexPrinter, SubstitutingPrinter, partial, printed_terms
from .model import Equation


def _joined(terms: list[str]) -> str:
    """Terms added, one that begins with a minus sign subtracted: ``a - 1``, not ``a + -1``."""
    out = terms[0]
    for t in terms[1:]:
        out += f" - {t[1:].lstrip()}" if t.startswith("-") else f" + {t}"
    return out


@lru_cache(maxsize=1024)
def _factored(f: sp.Expr) -> sp.Expr:
    """``factor_terms(f)``, once per formula (the same in every variant of a network)."""
    return sp.factor_terms(f)


def _is_one(f: sp.Expr) -> bool:
    """``f == 1``, asked of numbers only (an expression that is not a number never equals 1)."""
    return f.is_Number and f == 1


def _penalty_term(sb: "StepBuilder", key: str, local: Shown) -> tuple[str, str, str, str]:
    """The penalty's term of ∂L/∂key: ∂R/∂key, with λ's value (``0.01 w_{1}``), with numbers,
    evaluated."""
    pen = sb.graph.penalty
    return (sb.d(PENALTY, key), pen.gradient_latex(sb.name(key)), pen.gradient_latex(f"({sb.shown[key].latex})"),
            local.latex)


def _shown_only(value: sp.Expr) -> sp.Expr:
    """``normalize(value)`` of a softmax's exponential ``e^{o}`` or their sum ``S``, which the
    key shows but never asks for: above 1e300 too (``e^{691}``), as a ``DIGITS``-digit Float;
    the probabilities, its answers, are then within range (1 and ``e^{-691}``)."""
    try:
        return normalize(value)
    except ValueError:  # too large: an exponential of a real is finite and positive
        return sp.Float(value.evalf(DIGITS + 10), DIGITS)


def _softmax_details(self: "StepBuilder", keys: list[str]) -> list[Equation]:
    """The exponentials and their sum, shown before softmax probabilities."""
    first = self.graph.by_key[keys[0]].expr
    logits = first.args[1:]
    eqs = []
    exps = []
    for o in logits:
        v = _shown_only(sp.exp(self.values[o.name]))
        exps.append(v)
        s = self.show(v)
        sub, _ = self.subst(o)
        eqs.append(Equation(rf"e^{{{self.tex(o)}}}", (("=", rf"e^{{{sub}}}"), (s.relation, s.latex))))
    total = _shown_only(sp.Add(*exps))
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
        self.graph, self.values, self.digits, self.grads = graph, values, digits, grads
        self.printer = NNLatexPrinter(graph.latex)
        self.shown = {k: display(v, digits) for k, v in values.items()}
        self._substituting = SubstitutingPrinter(graph.latex, self.shown)  # its ``exact`` reset per use
        # local derivatives and their texts by formula; (num, den) → ∂num/∂den, written once
        self._forms, self._texts, self._partials, self._heads = {}, {}, {}, {}

    # -- small helpers -----------------------------------------------------------
    def tex(self, expr: sp.Expr) -> str:
        if type(expr) is sp.Symbol:  # what doprint gives, without its dispatch (most local derivatives)
            return self.printer._print_Symbol(expr)
        return self.printer.doprint(expr)

    def subst(self, expr: sp.Expr) -> tuple[str, bool]:
        """``expr`` with shown values substituted, and whether all were exact."""
        p = self._substituting
        p.exact = True
        tex = p._print_Symbol(expr) if type(expr) is sp.Symbol else p.doprint(expr)
        return tex, p.exact

    def show(self, value: sp.Expr) -> Shown:
        return display(value, self.digits)

    def name(self, key: str) -> str:
        return self.graph.latex[key]

    def d(self, num: str, den: str) -> str:
        if (num, den) not in self._partials:
            self._partials[(num, den)] = partial(self.name(num), self.name(den))
        return self._partials[(num, den)]

    @staticmethod
    def factor(shown: Shown) -> str:
        return f"({shown.latex})" if shown.latex.startswith("-") else shown.latex

    signed_sum = staticmethod(lambda shown: _joined([s.latex for s in shown]))

    def _terms_line(self, expr: sp.Expr) -> tuple[str, bool] | None:
        """``0.2 + 0.2 + 0.1``: the values of a sum's terms (sums inside it opened), when
        that adds a step."""
        terms = printed_terms(expr)
        if len(terms) < 2 or all(a.is_Symbol for a in terms):
            return None
        shown = [self.show(evaluate(t, self.values)) for t in terms]
        return self.signed_sum(shown), all(s.exact for s in shown)

    # -- forward -------------------------------------------------------------------
    def forward(self, key: str) -> Equation:
        """``z = w_1 x_1 + … = (0.2)(1) + … = 0.2 + … = 0.5`` for a computed node."""
        node = self.graph.by_key[key]
        expr = node.expr
        parts = [("=", self.tex(expr))]
        sub, exact = self.subst(expr)
        value = self.shown[key]
        if sub not in (value.latex, parts[0][1]):  # a constant node's numbers are its formula: c = 5/2 = 2.5
            parts.append(("=" if exact else r"\approx", sub))
        if isinstance(expr, OpFunctionBase) and expr.args[0].is_Symbol:  # σ(1.2) = 1/(1 + e^{-1.2})
            arg = self.shown[expr.args[0].name]
            step = expr.expanded(arg.latex, arg.exact)
            if step:
                parts.append(step)
        terms = self._terms_line(expr)
        if terms and terms[0] not in (value.latex, parts[-1][1]):
            parts.append(("=" if terms[1] and exact else r"\approx", terms[0]))
        last = (value.relation, value.latex)
        return Equation(self.name(key), tuple(parts if parts == [last] else [*parts, last]))  # c = 2, not c = 2 = 2

    softmax_details = _softmax_details

    # -- backward ------------------------------------------------------------------
    def _local_form(self, child: str, parent: str) -> sp.Expr:
        """∂child/∂parent in the nicest symbols: σ(z) written as h, softmax as p (once per
        formula: a neuron's input x is ∂z/∂w of each of its weights w)."""
        formula = self.grads.local[(child, parent)].formula
        form = self._forms.get(formula)
        if form is None:
            f = formula.xreplace(self._functions)
            form = self._forms[formula] = _factored(f) if f.is_Add else f
        return form

    def _form_texts(self, f: sp.Expr) -> tuple:
        """A local derivative's LaTeX, with values (and whether exact), whether it is
        bracketed in a product, is 1, is a symbol or number: once per formula."""
        texts = self._texts.get(f)
        if texts is None:
            texts = self._texts[f] = (self.tex(f), *self.subst(f), f.is_Add or f.could_extract_minus_sign(),
                                      _is_one(f), f.is_Symbol or f.is_Number)
        return texts

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
        if lhs_chain:  # ∂L/∂a ∂a/∂z ∂z/∂key: all but the last factor the same for a neuron's weights
            head = self._heads.get(id(lhs_chain))
            if head is None or head[0] is not lhs_chain:
                head = self._heads[id(lhs_chain)] = (lhs_chain, "".join(
                    self.d(a, b) + " " for a, b in zip(lhs_chain, lhs_chain[1:])))
            parts.append(("=", head[1] + self.d(lhs_chain[-1], key)))
        if children == [loss]:  # the output's own local derivative
            form = self._local_form(loss, key)
            parts.append(("=", self.tex(form)))
            sub, exact = self.subst(form)
            if sub != parts[-1][1]:
                parts.append(("=" if exact else r"\approx", sub))
        else:
            parts += self._chain_sum(key, children)
        value = self.show(self.grads.adjoint[key])
        if parts[-1][1] != value.latex:
            parts.append((value.relation, value.latex))
        return Equation(lhs, tuple(parts))

    def _chain_sum(self, key: str, children: list[str]) -> list[tuple[str, str]]:
        """``Σ ∂L/∂c ∂c/∂key``, with formulas, with numbers, and evaluated; a child that
        is the loss itself contributes its local derivative ∂L/∂key alone."""
        loss = self.graph.loss
        forms = [self._local_form(c, key) for c in children]
        sym, formulas, numbers, products = [], [], [], []
        exact, evaluated_exact, needs_eval = True, True, False
        adjoint, locals_ = self.grads.adjoint, self.grads.local
        for c, f in zip(children, forms):
            up = self.show(adjoint[c])
            local = self.show(locals_[(c, key)].value)
            ft, fs, fe, wrap, one, plain = self._form_texts(f)
            exact &= up.exact and fe
            evaluated_exact &= up.exact and local.exact
            needs_eval |= not plain
            if c == PENALTY:  # ∂L/∂R = 1: the penalty's gradient, beside the data gradient
                exact &= self.shown[key].exact
                for out, term in zip((sym, formulas, numbers, products), _penalty_term(self, key, local)):
                    out.append(term)
                continue
            if c == loss:  # the output's own derivative, apart from its other stages
                sym.append(rf"\left.{self.d(loss, key)}\right|_{{\text{{direct}}}}")
                formulas.append(rf"\left({ft}\right)" if f.is_Add else ft)
                numbers.append(rf"\left({fs}\right)" if f.is_Add else fs)
                products.append(local.latex)
                continue
            upstream = self.d(loss, c)
            sym.append(upstream + " " + self.d(c, key))
            formulas.append(upstream + ("" if one else " " + (rf"\left({ft}\right)" if wrap else ft)))
            if one:
                numbers.append(self.factor(up))
            elif plain:
                numbers.append(f"({up.latex})" + (fs if fs.startswith("(") else f"({fs})"))
            else:
                numbers.append(rf"({up.latex}) \cdot " + (rf"\left({fs}\right)" if wrap else fs))
            products.append(f"({up.latex})({local.latex})")
        parts = [("=", _joined(sym)), ("=", _joined(formulas))]
        if not (len(children) == 1 and _is_one(forms[0])):  # (−0.2) = −0.2 says nothing
            parts.append(("=" if exact else r"\approx", _joined(numbers)))
        if needs_eval:
            parts.append(("=" if evaluated_exact else r"\approx", _joined(products)))
        return parts

    def shortcut(self, logit: str, prob: str, target: str) -> Equation:
        """∂L/∂o_k = p_k − y_k for softmax followed by cross-entropy; in a batch, the example's
        loss L⁽ⁿ⁾ is one term of L: ∂L/∂o_k = ∂L/∂L⁽ⁿ⁾ (p_k − y_k) (½ of it for a mean of two)."""
        expr = sp.Add(sym(prob), sp.Mul(-1, sym(target), evaluate=False), evaluate=False)
        sub, exact = self.subst(expr)
        value = self.show(self.grads.adjoint[logit])
        loss = self.graph.loss
        ce = next((c for c in self.graph.children[prob] if self.graph.by_key[c].kind == "loss"), loss)
        symbolic = self.tex(expr)
        if ce != loss:
            share = self.show(self.grads.adjoint[ce])
            symbolic, sub, exact = rf"{self.d(loss, ce)} \left({symbolic}\right)", f"({share.latex})({sub})", \
                exact and share.exact
        return Equation(self.d(loss, logit), (
            ("=", symbolic), ("=" if exact else r"\approx", sub), (value.relation, value.latex)))

    def update(self, key: str, rate: sp.Expr, new: sp.Expr) -> Equation:
        """``w ← 0.4 − (0.1)(−0.36) = 0.436`` (the rule w ← w − η ∂L/∂w is stated once)."""
        w = self.shown[key]
        g = self.show(self.grads.adjoint[key])
        eta = self.show(rate)
        nv = self.show(new)
        return Equation(self.name(key), (
            (r"\leftarrow", f"{w.latex} - ({eta.latex})({g.latex})"),
            (nv.relation, nv.latex)))
