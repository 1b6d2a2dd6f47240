"""The Huber loss (PyTorch's HuberLoss): per output huber_δ(r) = ½r² for |r| < δ and
δ(|r| − ½δ) otherwise, r = o − y; averaged over the outputs (``reduction: mean``, the
default) or summed. Its gradient clamps r to [−δ, δ], continuous at |r| = δ."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ...core.numbers import written_latex
from ..functions import OpFunctionBase, is_number, positive
from ..params import Param
from .base import Loss, LossForm, add, residual, scaled

_HALF = Fraction(1, 2)


class Huber(OpFunctionBase):
    """huber_δ(r), with δ its second argument. Derivative :class:`HuberPrime`."""

    nargs = 2
    latex_name = r"\operatorname{huber}_{\delta}"
    # δ/2 as δ·½ in a Fraction: a δ written as an integer reaches a training run as a Python
    # int, and int / int is a float (53 bits, where the run keeps fractions exact and the
    # rest to 50 digits); for an exact or mpmath δ the two are the same number
    numeric = staticmethod(lambda r, d: r * r / 2 if positive(d - abs(r)) else d * (abs(r) - d * _HALF))

    @classmethod
    def eval(cls, r, delta):
        if is_number(r):
            return r ** 2 / 2 if abs(r) < delta else delta * (abs(r) - delta / 2)
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return HuberPrime(*self.args)

    def kink_points(self) -> tuple[sp.Expr, ...]:
        return (sp.Add(sp.Abs(self.args[0]), -self.args[1]),)

    def kink_note(self, arg_latex: str) -> str:
        return (f"In ${arg_latex}$ the residual is exactly $\\pm\\delta$, where the Huber loss turns from "
                "quadratic to linear: its second derivative jumps there, but its gradient is $\\pm\\delta$ "
                "from either side, as PyTorch computes it.")


class HuberPrime(OpFunctionBase):
    """huber_δ'(r) = r for |r| ≤ δ, δ·sgn(r) otherwise (r clamped to [−δ, δ])."""

    nargs = 2
    latex_name = r"\operatorname{huber}'_{\delta}"
    numeric = staticmethod(lambda r, d: r if not positive(abs(r) - d) else (d if positive(r) else -d))

    @classmethod
    def eval(cls, r, delta):
        if is_number(r):
            return r if abs(r) <= delta else (delta if r > 0 else -delta)
        return None

    def fdiff(self, argindex=1):
        r, delta = self.args
        return sp.Piecewise((sp.S.One, sp.Abs(r) <= delta), (sp.S.Zero, True))


def _build(o, y, values, reduction, params) -> LossForm:
    delta = params["delta"]
    terms = [Huber(residual(a, b), delta) for a, b in zip(o, y)]
    n = len(terms)
    mean = reduction == "mean" and n > 1
    d = written_latex(delta)
    pieces = (rf"\operatorname{{huber}}_{{\delta}}(r) = \begin{{cases}} \tfrac{{1}}{{2}} r^2 & |r| < \delta \\ "
              rf"\delta\,\left(|r| - \tfrac{{1}}{{2}}\delta\right) & |r| \ge \delta \end{{cases}},\quad "
              rf"\operatorname{{huber}}'_{{\delta}}(r) = \begin{{cases}} r & |r| \le \delta \\ "
              rf"\delta \operatorname{{sgn}}(r) & |r| > \delta \end{{cases}},\quad \delta = {d}")
    head = rf"\frac{{1}}{{{n}}}" if mean else ""
    return LossForm(scaled(sp.Rational(1, n), add(terms)) if mean else add(terms),
                    f"Huber loss ($\\delta = {d}$)" + (f", averaged over the {n} outputs" if mean else ""),
                    rf"L = {head}\sum_k \operatorname{{huber}}_{{\delta}}(o_k - y_k),\quad " + pieces)


LOSS = Loss("huber", "Huber loss", _build, ("mean", "sum"),
            params=(Param("delta", r"\delta", sp.Integer(1), "1", "δ of huber: quadratic within it (default 1)",
                          low=sp.Integer(0), low_open=True),),
            source="Huber (1964); torch.nn.HuberLoss")
