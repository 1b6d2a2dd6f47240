"""An optimizer's update as ordered assignments over small formulas: the one source of
its arithmetic and of the formulas the key prints.

A :class:`Formula` is a tree of symbols (``w``, ``g``, a state variable, a
hyper-parameter, ``t``), integers, decimal constants (NAdam's 0.96) and the operations
``+ − × ÷``, a power, a square root, an absolute value and a maximum of two, built with
Python's operators (``b1 * m + (1 - b1) * g``, ``abs(g)``) and :func:`sqrt`, :func:`maximum`,
:func:`number`. The same tree

* prints itself in LaTeX in the order it was written (:meth:`Formula.latex`), with
  symbols or with the numbers substituted for them (``(0.9)(0) + (1 - 0.9)(-0.206)``);
* compiles once to a Python function (:func:`compile_lines`) that runs on whatever
  numbers it is given: exact sympy numbers for the key's derived steps, exact fractions
  and mpmath numbers for a training run.

A :class:`Line` assigns a formula to a name; the lines run in order, so a name
assigned earlier in the step (``g`` after weight decay, ``w`` after AdamW's decay) is
read with its new value, and a state variable not yet assigned in the step is read
with its value from the step before (0 before the first step).
"""

from __future__ import annotations

import re
from typing import Callable

import msgspec
import sympy as sp

# Precedence of a printed formula: a sum, a product, a power, an atom.
_SUM, _PRODUCT, _POWER, _ATOM = 1, 2, 3, 4


class Formula(msgspec.Struct, frozen=True):
    """One node: ``op`` is ``sym``, ``int``, ``num`` (a decimal constant, ``name`` as written),
    ``+``, ``-``, ``*``, ``/``, ``^``, ``sqrt``, ``abs`` or ``max``."""

    op: str
    args: tuple = ()
    name: str = ""
    tex: str = ""

    # --- building --------------------------------------------------------------------
    def __add__(self, other): return Formula("+", (self, _f(other)))
    def __radd__(self, other): return Formula("+", (_f(other), self))
    def __sub__(self, other): return Formula("-", (self, _f(other)))
    def __rsub__(self, other): return Formula("-", (_f(other), self))
    def __mul__(self, other): return Formula("*", (self, _f(other)))
    def __rmul__(self, other): return Formula("*", (_f(other), self))
    def __truediv__(self, other): return Formula("/", (self, _f(other)))
    def __pow__(self, other): return Formula("^", (self, _f(other)))
    def __abs__(self): return Formula("abs", (self,))

    # --- reading ---------------------------------------------------------------------
    def symbols(self) -> set[str]:
        """The names of the symbols it reads."""
        if self.op == "sym":
            return {self.name}
        return set().union(*(a.symbols() for a in self.args)) if self.args else set()

    def spellings(self) -> dict[str, str]:
        """The symbols it reads, name → LaTeX, in the order written."""
        if self.op == "sym":
            return {self.name: self.tex}
        out: dict[str, str] = {}
        for a in self.args:
            out.update(a.spellings())
        return out

    def latex(self, shown: dict | None = None, names: dict | None = None) -> str:
        """Its LaTeX: each symbol as its own LaTeX (or ``names[name]``), or, for a name in
        ``shown``, the LaTeX of the number substituted for it."""
        return self._tex(shown or {}, names or {})[0]

    def _tex(self, shown: dict, names: dict) -> tuple[str, int, bool]:
        """(LaTeX, precedence, whether it is a substituted number)."""
        if self.op == "sym":
            if self.name in shown:
                text = shown[self.name]
                return text, (_SUM if text.startswith("-") else _ATOM), True
            return names.get(self.name, self.tex), _ATOM, False
        if self.op in ("int", "num"):
            return self.tex or self.name, _ATOM, False
        if self.op == "sqrt":
            return rf"\sqrt{{{self.args[0]._tex(shown, names)[0]}}}", _ATOM, False
        if self.op == "abs":
            return rf"\left|{self.args[0]._tex(shown, names)[0]}\right|", _ATOM, False
        (a, pa, na), (b, pb, nb) = (x._tex(shown, names) for x in self.args)
        if self.op == "max":
            return rf"\max({a}, {b})", _ATOM, False
        if self.op == "/":
            return rf"\frac{{{a}}}{{{b}}}", _ATOM, False
        if self.op == "^":
            base = f"({a})" if pa < _ATOM or na else a
            return f"{base}^{{{b}}}", _POWER, False
        if self.op == "*":
            left = f"({a})" if pa < _PRODUCT or na else a
            right = f"({b})" if pb < _PRODUCT or nb else b
            gap = "" if left.endswith(")") and right.startswith("(") else r"\, " if self.args[1].op == "/" \
                else r" \cdot " if right[:1].isdigit() else " "  # ½ · 0.96^{tψ}, not ½ 0.96^{tψ}
            return f"{left}{gap}{right}", _PRODUCT, False
        right = f"({b})" if pb == _SUM else b
        return f"{a} {self.op} {right}", _SUM, False

    def python(self, local: Callable[[str], str]) -> str:
        """Python source computing it; ``local(name)`` is the source reading a symbol."""
        if self.op == "sym":
            return local(self.name)
        if self.op == "int":
            return self.name
        if self.op == "num":  # the hyper-parameters' kind of number: exact where they are
            p, q = sp.Rational(self.name).as_numer_denom()
            return f"_like({local('learning_rate')}, {p}, {q})"
        if self.op in ("sqrt", "abs"):
            return f"{self.op}({self.args[0].python(local)})"
        a, b = (x.python(local) for x in self.args)
        if self.op == "max":
            return f"_max({a}, {b})"
        return f"({a} {'**' if self.op == '^' else self.op} {b})"

    def sympy(self, symbols: dict) -> sp.Expr:
        """As a sympy expression over ``symbols`` (name → sympy Symbol)."""
        if self.op == "sym":
            return symbols[self.name]
        if self.op in ("int", "num"):
            return sp.Rational(self.name)
        if self.op in ("sqrt", "abs"):
            return (sp.sqrt if self.op == "sqrt" else sp.Abs)(self.args[0].sympy(symbols))
        a, b = (x.sympy(symbols) for x in self.args)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a ** b, "max": sp.Max(a, b)}[self.op]


def _f(value) -> Formula:
    if isinstance(value, Formula):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Formula("int", name=str(value))
    raise TypeError(f"not a formula: {value!r}")


def sym(name: str, tex: str) -> Formula:
    """A symbol: ``name`` in code, ``tex`` in the key."""
    return Formula("sym", name=name, tex=tex)


def sqrt(x: Formula) -> Formula:
    return Formula("sqrt", (x,))


def maximum(a: Formula, b: Formula) -> Formula:
    """``max(a, b)``, as ``torch.maximum`` (Adamax's u): decided on the values as they are
    (exact ones exactly), a tie taking ``a`` (the value is the same either way)."""
    return Formula("max", (_f(a), _f(b)))


def number(text: str, tex: str = "") -> Formula:
    """A constant, exact: ``text`` a decimal or a fraction (``"0.96"``, ``"1/2"``), written
    ``tex`` (``\tfrac{1}{2}``), or as ``text``."""
    return Formula("num", name=text, tex=tex)


def _max(a, b):
    """The larger of two numbers of any kind a step runs on: C++'s ``std::max`` as
    ``torch.maximum`` applies it (``a`` unless ``a < b``); on Arb balls, the ball of the
    maximum (a comparison of overlapping balls decides nothing)."""
    if hasattr(a, "mid") or hasattr(b, "mid"):
        return a.max(b) if hasattr(a, "mid") else b.max(a)
    return b if a < b else a


def _like(x, p: int, q: int):
    """``p / q`` as the same kind of number as ``x`` (exact for an exact ``x``)."""
    return (x * 0 + p) / q


#: The parameter, its gradient and the step number, in every optimizer's formulas.
W, G, T = sym("w", "w"), sym("g", "g"), sym("t", "t")

#: Letters an optimizer's symbol is written with instead where a problem names a quantity of
#: its own with the symbol's letter (a parameter ``v``, ``v_{1}``, a node ``g``, a target ``t``,
#: a parameter ``beta1``), the first free one: no optimizer writes these letters for anything
#: else, so a letter means one thing in every question of a key. After these, the letter with a
#: tilde, a bar or a check over it (``\tilde{g}``, ``\tilde{\beta}_1``), then primes; each
#: takes a subscript (``\tilde{v}_0``). A symbol written ``\hat{X}`` follows X; a word
#: (``\mathrm{buf}``, beside a parameter named buf) is marked whole. ``w``, the parameter
#: itself, is never respelled (the key writes the parameter's own name for w).
SPARE = {"t": ("k", r"t_{\text{step}}"), "m": ("p",), "v": ("r",), "s": ("r",), "u": ("q",)}
KEPT = ("w",)


def glyphs(tex: str) -> str:
    r"""``tex`` as it prints, for comparing names: a one-character subscript's braces dropped
    (``\beta_{1}`` and ``\beta_1`` are one glyph), a word's font dropped (a parameter named
    buf, ``\mathit{buf}``, reads as SGD's ``\mathrm{buf}``)."""
    return re.sub(r"\\math(?:it|rm)\{(\w{2,})\}", r"\1", re.sub(r"_\{(\w)\}", r"_\1", tex))


def clashes(tex: str, taken: set[str]) -> bool:
    """Whether a symbol written ``tex`` would read as one of the names in ``taken`` (already
    :func:`glyphs`): the same glyph, that glyph subscripted or with a superscript (``v_1``,
    ``g_{2}``, ``W^{(1)}``), or with a hat."""
    x = glyphs(tex)
    return any(t == x or t.startswith((x + "_", x + "^")) or t == rf"\hat{{{x}}}" for t in taken)


def _marked(tex: str) -> list[str]:
    if tex.startswith("\\mathrm{"):  # a word: marked whole (\widetilde{\mathrm{buf}})
        return [rf"\widetilde{{{tex}}}", rf"\overline{{{tex}}}"]
    base, sub = re.fullmatch(r"(\\?[A-Za-z]+)(.*)", tex).groups()
    return [rf"\{mark}{{{base}}}{sub}" for mark in ("tilde", "bar", "check")]


def respelled(spellings: dict[str, str], taken: set[str]) -> dict[str, str]:
    r"""The symbols of ``spellings`` (name → LaTeX) to write otherwise because they would read
    as a name in ``taken`` (the problem's own LaTeX names, :func:`clashes`): name → the first
    of its :data:`SPARE` letters, marked letters and primes that reads as nothing in ``taken``
    nor as another symbol; a hatted symbol (``\hat{m}``) follows its letter."""
    taken = {glyphs(t) for t in taken}
    hats = {n: x[5:-1] for n, x in spellings.items() if x.startswith("\\hat{") and x.endswith("}")}
    used = taken | {glyphs(x) for x in spellings.values()}
    out: dict[str, str] = {}
    for name, tex in spellings.items():
        if name in hats or tex in KEPT or not clashes(tex, taken):
            continue
        marked = (*SPARE.get(tex, ()), *_marked(tex))
        out[name] = next((c for c in marked if not clashes(c, used)), None) \
            or next(c for c in (tex + "'" * i for i in range(1, len(used) + 2)) if glyphs(c) not in used)
        used.add(glyphs(out[name]))
    for name, base in hats.items():
        new = next((out[n] for n, x in spellings.items() if x == base and n in out), None)
        if new is not None:
            out[name] = rf"\hat{{{new}}}"
    return out


class Line(msgspec.Struct, frozen=True):
    """``name ← formula`` (``op`` ``=`` for a value derived within the step, such as m̂)."""

    name: str
    tex: str
    formula: Formula
    op: str = r"\leftarrow"

    def latex(self, shown: dict | None = None, names: dict | None = None) -> str:
        return self.formula.latex(shown, names)

    def lhs(self, names: dict | None = None) -> str:
        """What it assigns, in LaTeX (``names[name]`` where respelled)."""
        return (names or {}).get(self.name, self.tex)


def compile_lines(lines: tuple[Line, ...], hyper: frozenset) -> Callable:
    """``lines`` as one Python function ``f(w, g, t, hp, state, sqrt) -> values``: every
    name assigned (the new ``w`` among them), the lines run in order. ``hp`` holds the
    hyper-parameters in ``hyper`` by name; ``state`` the state variables' values from the
    step before (a missing one is 0)."""
    assigned: set[str] = set()

    def local(name: str) -> str:
        if name in assigned or name in ("w", "g", "t"):
            return f"_{name}"
        if name in hyper:
            return f"hp[{name!r}]"
        return f"state.get({name!r}, 0)"

    body = []
    for line in lines:
        body.append(f"    _{line.name} = {line.formula.python(local)}")
        assigned.add(line.name)
    names = ", ".join(f"{n!r}: _{n}" for n in dict.fromkeys(x.name for x in lines))
    source = "def _step(_w, _g, _t, hp, state, sqrt):\n" + "\n".join(body) + f"\n    return {{{names}}}\n"
    scope: dict = {"_max": _max, "_like": _like}
    exec(compile(source, "<optimizer>", "exec"), scope)  # noqa: S102 - the code is built from the formulas above
    return scope["_step"]
