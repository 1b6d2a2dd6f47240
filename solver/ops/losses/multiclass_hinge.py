"""The multiclass SVM (hinge) loss of CS231n: with c the target class and Δ the margin,
L = Σ_{j≠c} max(0, s_j − s_c + Δ), not divided by the number of classes (PyTorch's
MultiMarginLoss divides by it). hinge'(0) = 0, as PyTorch computes it."""

from __future__ import annotations

import sympy as sp

from ...core.numbers import written_latex
from ..activations.relu import ReLU, ReLUPrime
from ..params import Param
from .base import Loss, LossForm, add


class Hinge(ReLU):
    """hinge(u) = max(0, u): ReLU under the name the SVM loss uses. Derivative :class:`HingePrime`."""

    latex_name = r"\operatorname{hinge}"
    kink_convention = r"\operatorname{hinge}'(0) = 0"

    def fdiff(self, argindex=1):
        return HingePrime(self.args[0])

    def kink_note(self, arg_latex: str) -> str:
        return (f"The margin term ${arg_latex}$ is exactly 0, where the hinge has a kink; this key uses "
                f"${self.kink_convention}$, as PyTorch does.")


class HingePrime(ReLUPrime):
    """hinge'(u): 1 for u > 0, 0 for u ≤ 0 (PyTorch's multi_margin_loss takes 0 at 0)."""

    latex_name = r"\operatorname{hinge}'"


def _build(s, y, values, reduction, params) -> LossForm:
    margin = params["margin"]
    c = list(values).index(1) if 1 in values else 0  # any other target is refused by _targets
    terms = [Hinge(sp.Add(s[j], sp.Mul(-1, s[c], evaluate=False), margin, evaluate=False))
             for j in range(len(s)) if j != c]
    d = written_latex(margin)
    return LossForm(add(terms) if terms else sp.Integer(0),
                    f"multiclass hinge (SVM) loss, margin $\\Delta = {d}$, class {c + 1}",
                    rf"L = \sum_{{j \ne c}} \operatorname{{hinge}}(o_j - o_c + \Delta),\quad "
                    rf"\operatorname{{hinge}}(u) = \max(0, u),\quad \operatorname{{hinge}}'(u) = "
                    rf"\begin{{cases}} 1 & u > 0 \\ 0 & u \le 0 \end{{cases}},\quad \Delta = {d},\ c = {c + 1}")


def _targets(values: list) -> str | None:
    if sorted(values) != [0] * (len(values) - 1) + [1]:
        return "multiclass_hinge needs a class as its target ({class: k})"
    return None


LOSS = Loss("multiclass_hinge", "multiclass hinge (SVM) loss", _build, ("sum",),
            params=(Param("margin", r"\Delta", sp.Integer(1), "1", "margin Δ of multiclass_hinge (default 1)",
                          low=sp.Integer(0)),),
            check_targets=_targets, source="CS231n's multiclass SVM loss; torch.nn.MultiMarginLoss × classes")
