"""Why a perceptron run did not converge, or that it would: the examples' linear
separability (:mod:`solver.graph.separability`) written out for the key.

Not separable: each example's condition on z⁽ⁿ⁾ = w·x⁽ⁿ⁾ + b, then the combination of the
z⁽ⁿ⁾ that is 0 for every w and b while the conditions make it positive. Separable: integer
weights that classify every example, with their z⁽ⁿ⁾, and (with a margin) the perceptron
convergence theorem's promise that more epochs would end in one without a mistake.
"""

from __future__ import annotations

from ..core.errors import listed
from ..core.names import latex_name
from ..core.numbers import written_latex
from ..graph.learning_rules import Run
from ..graph.separability import separability
from ..ops.activations import ACTIVATIONS
from .model import Block

W = r"\mathbf{w}"


def separability_block(run: Run) -> Block | None:
    """The note on the separability of ``run``'s examples, for a perceptron that did not
    converge (``None`` when it did, or when the examples are too many to decide it here)."""
    if run.rule != "perceptron" or run.converged is not None:
        return None
    verdict = separability(run.unit)
    if verdict is None:
        return None
    unit = run.unit
    names = [latex_name(n) for n in unit.weight_names] + (["b"] if unit.bias is not None else [])

    def z(n: int) -> str:
        return f"z^{{({n + 1})}}"

    if verdict.separable:
        values = [sum(c * t for c, t in zip(row, (*verdict.weights, *([verdict.bias] if unit.bias is not None
                                                                       else [])))) for row in verdict.rows]
        shown = f"${W} = ({', '.join(map(str, verdict.weights))})$" + (
            f", $b = {verdict.bias}$" if verdict.bias is not None else "")
        zs = (f"$z^{{(n)}} = {', '.join(written_latex(v) for v in values)}$ for $n = 1$ to ${len(values)}$"
              if len(values) > 1 else f"$z^{{(1)}} = {written_latex(values[0])}$")
        every = "every one of them" if len(values) > 1 else "it"
        if verdict.margin:
            return Block("note", "Linearly separable",
                         f"The example{'s are' if len(values) > 1 else ' is'} linearly separable: {shown} classify "
                         f"{every} ({zs}). None lies on $z = 0$, so by the perceptron convergence theorem (Novikoff, "
                         "1962) the rule makes finitely many mistakes on them: more epochs would end in one without a "
                         "mistake.")
        at_zero = ACTIVATIONS[unit.activation].latex + f"(0) = {written_latex(unit.at_zero)}"
        return Block("note", "Weights that classify every example",
                     f"{shown} classify {every} ({zs}), but only with an example on $z = 0$, where ${at_zero}$ "
                     "decides it; every such weight vector leaves one there. The perceptron convergence theorem "
                     "needs every example off $z = 0$, so whether more epochs converge is not decided here.")
    conditions = [f"${z(n)} = {_linear(row, names)} {r} 0$" for n, (row, r) in enumerate(zip(verdict.rows,
                                                                                              verdict.relations))
                  if r is not None and verdict.multipliers[n]]
    never = [n for n, r in enumerate(verdict.relations) if r is None]
    if never:
        return Block("note", "Not linearly separable",
                     f"No weights classify example {never[0] + 1}: ${ACTIVATIONS[unit.activation].latex}$ never gives "
                     f"its target "
                     f"$y = {written_latex(unit.targets[never[0]])}$, so the perceptron cannot converge.")
    k = verdict.multipliers
    if sum(1 for m in k if m) == 1:  # an example whose z is 0 whatever the weights (x = 0, no bias)
        n = next(i for i, m in enumerate(k) if m)
        return Block("note", "Not linearly separable",
                     f"No weights classify example {n + 1}: its $\\mathbf{{x}} = 0$ makes ${z(n)} = 0$ whatever "
                     f"${W}$, and its target needs ${z(n)} {verdict.relations[n]} 0$. So the perceptron cannot "
                     "converge however many epochs it runs.")
    combination = _combination(k, z)
    strict = next(n for n, (m, r) in enumerate(zip(k, verdict.relations)) if m and r in (">", "<"))
    positive = f"{'-' if k[strict] < 0 else ''}{'' if abs(k[strict]) == 1 else abs(k[strict])}{z(strict)}"
    return Block("note", "Not linearly separable",
                 f"No weights classify every example. With $z^{{(n)}} = {W} \\cdot \\mathbf{{x}}^{{(n)}}"
                 f"{' + b' if unit.bias is not None else ''}$ for example $n$, the targets need "
                 f"{listed(conditions)}. Yet ${combination} = 0$ whatever ${W}$"
                 f"{' and $b$' if unit.bias is not None else ''} (the terms cancel), while these conditions make "
                 f"each of its terms $\\ge 0$, and ${positive} > 0$. So the examples are not linearly separable, and "
                 "the perceptron cannot converge however many epochs it runs: an epoch without a mistake would "
                 "need such weights.")


def _linear(row, names: list[str], number=written_latex) -> str:
    """Σ cⱼ θⱼ in LaTeX (``w_{2} + b``, ``0.5 w_{1} - b``; ``0`` when every cⱼ is 0), each
    coefficient other than ±1 written by ``number``."""
    out = ""
    for c, name in zip(row, names):
        if c == 0:
            continue
        size = abs(c)
        term = name if size == 1 else f"{number(size)} {name}"
        out += (f" - {term}" if c < 0 else f" + {term}") if out else (f"-{term}" if c < 0 else term)
    return out or "0"


def _combination(k, z) -> str:
    """Σ kₙ z⁽ⁿ⁾ with its positive terms first (``z^{(2)} + z^{(3)} - z^{(1)} - z^{(4)}``), the
    integer multipliers as plain digits."""
    order = [n for n, m in enumerate(k) if m > 0] + [n for n, m in enumerate(k) if m < 0]
    return _linear([k[n] for n in order], [z(n) for n in order], str)
