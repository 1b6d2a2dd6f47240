"""Math to LaTeX: sympy's ``LatexPrinter`` extended for networks.

:class:`NNLatexPrinter` prints expressions in the graph's symbols, terms in the order they were
written (``w_{1} x_{1} + w_{2} x_{2} + b_{1}``), activations as ``\\operatorname{ReLU}``,
``\\sigma``, ``\\tanh(z)``, logs as ``\\ln``. :class:`SubstitutingPrinter` prints the same
expression with every symbol replaced by its displayed value, keeping the structure:
``(0.2)(1) + (0.1)(2) + 0.1``. Functions of :mod:`solver.ops` print by the LaTeX name each
class carries (sympy's dispatch walks a class's ancestors to ``_print_OpFunctionBase``);
one that needs more than ``name(z)`` gets a ``_print_<ClassName>`` here."""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter, _between_two_numbers_p
from sympy.simplify.radsimp import fraction

from ..core.numbers import Shown
from .functions import applied, plain_product

#: A name of several letters as printed (``\mathit{buf}``): ``s \mathit{buf}`` reads as one word.
_WORD = re.compile(r"^\\mathit\{[^{}]{2,}\}|\\mathit\{[^{}]{2,}\}$")


class NNLatexPrinter(LatexPrinter):
    """LaTeX of expressions over a graph's symbols.

    Args:
        names: key → LaTeX name for every symbol that may appear.
    """

    def __init__(self, names: dict[str, str]):
        super().__init__({"order": "none", "ln_notation": True})
        self.names = names
        self._printed: dict | None = None

    def doprint(self, expr) -> str:
        """sympy's ``doprint``, each formula printed once for a table of names: the keys of one
        network's variants print the same formulas in the same names (the text depends on the
        formula and the names only; formulas equal in sympy's ``==`` have the same arguments in
        the same order and numbers of the same precision)."""
        if self._printed is None:
            self._printed = _printed(self.names)
        tex = self._printed.get(expr)
        if tex is None:
            if len(self._printed) >= _PRINTED_MAX:
                self._printed.clear()
            tex = self._printed[expr] = super().doprint(expr)
        return tex

    def _print_Symbol(self, expr, style="plain"):
        return self.names.get(expr.name) or super()._print_Symbol(expr, style)

    def _fn(self, name: str, expr, exp=None) -> str:
        args = ", ".join(self._print(a) for a in expr.args[:1])
        if args.startswith("(") and args.endswith(")") and args.count("(") == 1:
            args = args[1:-1]
        tex = applied(name, args)
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_log(self, expr, exp=None):
        tex = applied(r"\ln", self._print(expr.args[0]))
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _print_Max(self, expr, exp=None):
        tex = applied(r"\max", ", ".join(self._print(a) for a in expr.args))
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_Min(self, expr, exp=None):
        tex = applied(r"\min", ", ".join(self._print(a) for a in expr.args))
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_OpFunctionBase(self, expr, exp=None):
        """Every activation and loss function, by the LaTeX name its class carries."""
        return self._fn(expr.latex_name, expr, exp)

    def _print_Softmax(self, expr, exp=None):
        k = int(expr.args[0])
        logits = expr.args[1:]
        num = rf"e^{{{self._print(logits[k])}}}"
        if len(logits) <= 4:
            den = " + ".join(rf"e^{{{self._print(o)}}}" for o in logits)
        else:
            den = (rf"e^{{{self._print(logits[0])}}} + \dots + e^{{{self._print(logits[-1])}}}")
        tex = rf"\frac{{{num}}}{{{den}}}"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _coefficient(self, expr) -> str | None:
        """``\\frac{1}{2}\\left(…\\right)`` for a Mul led by a non-integer Rational."""
        c = expr.args[0] if expr.args else None
        if c is None or not c.is_Rational or c.is_Integer:
            return None
        rest = expr.args[1:]
        inner = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
        tex = self._print(inner)
        if inner.is_Add or inner.is_Mul and inner.args and inner.args[0] == -1:
            tex = rf"\left({tex}\right)"
        sign = "-" if c < 0 else ""
        return rf"{sign}\frac{{{abs(c.p)}}}{{{c.q}}} {tex}"

    def _print_Mul(self, expr):
        if plain_product(expr):
            return self._symbols_product(expr.args)
        return self._coefficient(expr) or super()._print_Mul(expr)

    def _symbols_product(self, factors) -> str:
        """sympy's LaTeX of a product of plain symbols (a neuron's ``w_{1} x_{1}``), without
        its general machinery: no factor needs brackets or carries a sign, so the factors are
        joined by the separator (by the numbers' separator between two numbers), as
        ``LatexPrinter._print_Mul`` joins them."""
        sep, numbersep = self._settings["mul_symbol_latex"], self._settings["mul_symbol_latex_numbers"]
        tex = last = ""
        for f in factors:
            term = self._print_Symbol(f)
            if _between_two_numbers_p[0].search(last) and _between_two_numbers_p[1].match(term):
                tex += numbersep
            elif tex and (_WORD.match(term) or _WORD.search(last)):  # a word needs room: s \, \mathit{buf}
                tex += r"\,"
            elif tex:
                tex += sep
            tex += term
            last = term
        return tex

    def _print_tanh(self, expr, exp=None):  # tanh(-0.3) as ReLU(-0.3), not tanh{\left((-0.3) \right)}
        return self._fn(r"\tanh", expr, exp)

    def _print_sign(self, expr, exp=None):
        return self._fn(r"\operatorname{sgn}", expr, exp)

    def _print_Heaviside(self, expr, exp=None):
        """The step function of max's and min's derivatives, ``H(u)``: 1 for u > 0, 0 for
        u < 0, 1/2 at a tie (the key defines it where it first appears)."""
        return self._fn("H", expr, exp)

    def _print_Add(self, expr, order=None):
        """A sum of sums prints flat, ``a + b + c`` (the parser builds ``(a + b) + c``)."""
        terms = printed_terms(expr)
        if all(type(t) is sp.Symbol or plain_product(t) for t in terms):
            # a neuron's sum: no term carries a sign or needs brackets (as sympy prints it)
            return " + ".join(self._print_Symbol(t) if type(t) is sp.Symbol else self._print_Mul(t)
                              for t in terms)
        if len(terms) != len(expr.args) or terms[-1] is not expr.args[-1]:
            expr = sp.Add(*terms, evaluate=False)
        return super()._print_Add(expr, order)


class SubstitutingPrinter(NNLatexPrinter):
    """Prints an expression with each symbol replaced by its shown value.

    Args:
        names: key → LaTeX name (for symbols without a value).
        values: key → :class:`~solver.numbers.Shown` value.
    Attributes:
        exact: after printing, False when any substituted value was rounded.
    """

    def __init__(self, names: dict[str, str], values: dict[str, Shown]):
        super().__init__(names)
        self.values = values
        self.exact = True

    doprint = LatexPrinter.doprint  # its text depends on the values too: printed each time

    def _print_Symbol(self, expr, style="plain"):
        shown = self.values.get(expr.name)
        if shown is None:
            return super()._print_Symbol(expr, style)
        self.exact &= shown.exact
        return f"({shown.latex})" if shown.latex.startswith("-") else shown.latex

    def _print_Abs(self, expr, exp=None):
        arg = expr.args[0]
        if arg.is_Symbol and arg.name in self.values:  # |-0.3|, not |(-0.3)|
            shown = self.values[arg.name]
            self.exact &= shown.exact
            tex = rf"\left|{shown.latex}\right|"
            return tex if exp is None else rf"{tex}^{{{exp}}}"
        return super()._print_Abs(expr, exp)

    def _print_Mul(self, expr):
        if plain_product(expr):  # (0.2)(1): each value in brackets
            return "".join(t if t.startswith("(") else f"({t})" for t in map(self._print_Symbol, expr.args))
        coefficient = self._coefficient(expr)
        if coefficient:
            return coefficient
        if expr.args and expr.args[0] == -1:
            rest = expr.args[1:]
            inner = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
            tex = self._print(inner)
            return rf"-\left({tex}\right)" if inner.is_Add else "-" + tex
        num, den = fraction(expr, exact=True)
        if den != 1:
            return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        out = []
        for i, f in enumerate(expr.args):
            tex = self._print(f)
            if i == 0 and f.is_Number and f > 0:
                pass
            elif f.is_Symbol or f.is_Number:
                tex = tex if tex.startswith("(") else f"({tex})"
            elif f.is_Add:
                tex = rf"\left({tex}\right)"
            out.append(tex)
        return "".join(out)


#: The formulas printed for each table of names (its items, in order): formulas to LaTeX.
_PRINTED_BY_NAMES: dict[tuple, dict] = {}
_PRINTED_MAX = 1 << 14


def _printed(names: dict[str, str]) -> dict:
    """The formulas printed so far in ``names`` (a dict shared by printers of equal names)."""
    key = tuple(names.items())
    printed = _PRINTED_BY_NAMES.get(key)
    if printed is None:
        if len(_PRINTED_BY_NAMES) >= 16:
            _PRINTED_BY_NAMES.clear()
        printed = _PRINTED_BY_NAMES[key] = {}
    return printed


def flat_terms(expr: sp.Expr) -> list:
    """The terms of a sum, sums inside it opened: ``(a + b) + c`` gives ``[a, b, c]``."""
    if not expr.is_Add:
        return [expr]
    return [t for a in expr.args for t in flat_terms(a)]


def printed_terms(expr: sp.Expr) -> list:
    """:func:`flat_terms` in printed order: a leading negative number last (``sgn(v - 2)``,
    ``e^{z} - 1``; ``1 - σ`` stays), as both the printer and the key's terms line take them."""
    terms = flat_terms(expr)
    return [*terms[1:], terms[0]] if len(terms) > 1 and terms[0].is_Number and terms[0].is_negative else terms


def partial(num: str, den: str) -> str:
    """``\\frac{\\partial num}{\\partial den}`` from two LaTeX names."""
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


#: A plain decimal as :func:`~solver.core.numbers.display` writes it in LaTeX:
#: ``-12{,}350.25``; its fractional digits are group 1.
_DECIMAL_CELL = re.compile(r"-?[0-9]{1,3}(?:\{,\}[0-9]{3})*(?:\.([0-9]+))?|-?[0-9]+(?:\.([0-9]+))?")


def decimal_aligned(cells) -> list[str]:
    """One column's cells padded with ``\\phantom`` so that, right-aligned, the
    numbers line up on the decimal point: ``0.5`` beside ``0.4256`` becomes
    ``0.5\\phantom{000}``, ``2`` becomes ``2\\phantom{.0000}``. Cells that are not
    plain decimals (symbols, ``a \\times 10^{k}``) are left as they are."""
    fracs = []
    for c in cells:
        m = _DECIMAL_CELL.fullmatch(c)
        fracs.append(None if m is None else len(m.group(1) or m.group(2) or ""))
    width = max((f for f in fracs if f is not None), default=0)
    return [c if f is None or f == width else rf"{c}\phantom{{{'.' if f == 0 else ''}{'0' * (width - f)}}}"
            for c, f in zip(cells, fracs)]


def columns_aligned(rows) -> list[list[str]]:
    """Rows of cells, each column's numbers lined up on the decimal point (:func:`decimal_aligned`)."""
    rows = [list(r) for r in rows]
    if not rows:
        return rows
    cols = [decimal_aligned(col) for col in zip(*rows)]
    return [list(r) for r in zip(*cols)]


def bmatrix(cells, marked=frozenset()) -> str:
    """A matrix in square brackets from LaTeX cells (a list of rows), right-aligned on the decimal
    point, as ``array`` in ``\\left[ … \\right]`` (LaTeX, KaTeX and MathJax all read it); the cells
    at the (row, column) positions ``marked`` in bold (a convolution's window)."""
    rows = columns_aligned(cells)
    rows = [[rf"\mathbf{{{c}}}" if (i, j) in marked else c for j, c in enumerate(r)] for i, r in enumerate(rows)]
    spec = "r" * max((len(r) for r in rows), default=1)
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return rf"\left[\begin{{array}}{{{spec}}} {body} \end{{array}}\right]"


#: The generic letters of the softmax's and cross-entropy's formulas (``o_k`` logits, ``p_k``
#: probabilities) and how they are found in a formula.
_LOGIT = re.compile(r"(?<![\\A-Za-z])o_([a-z])")
_PROB = re.compile(r"(?<![\\A-Za-z])p_([a-z])")
_BARE_PROB = re.compile(r"(?<![\\A-Za-z])p(?= = )")


def in_softmax_names(tex: str, logit: str, prob: str) -> str:
    """A formula written with the generic letters ``o`` (logits) and ``p`` (probabilities)
    in a network's own names: with ``logit = "z^{(2)}"`` and ``prob = "\\hat{y}"``,
    ``\\ln p_k`` becomes ``\\ln \\hat{y}_{k}`` and ``\\operatorname{softmax}(o)`` becomes
    ``\\operatorname{softmax}(z^{(2)})``. Unchanged for the generic names themselves."""
    if (logit, prob) == ("o", "p"):
        return tex
    tex = _LOGIT.sub(lambda m: f"{logit}_{{{m.group(1)}}}", tex)
    tex = _PROB.sub(lambda m: f"{prob}_{{{m.group(1)}}}", tex)
    tex = tex.replace("(o)", f"({logit})")
    return _BARE_PROB.sub(lambda m: prob, tex)
