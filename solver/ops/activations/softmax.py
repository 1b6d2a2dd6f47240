"""Softmax over a layer: p_k = e^{o_k} / Σ_j e^{o_j}, differentiated through its Jacobian
∂p_k/∂o_j = p_k (δ_kj − p_j) (Goodfellow et al., *Deep Learning*, §6.2.2.3)."""

from __future__ import annotations

import mpmath
import sympy as sp

from ..functions import OpFunctionBase, as_ball, is_number
from .base import Activation


class Softmax(OpFunctionBase):
    """Component k (0-based) of softmax over the remaining arguments.

    ``Softmax(k, o_1, …, o_n) = e^{o_{k+1}} / Σ_j e^{o_j}``; its Jacobian is
    ∂S_k/∂o_j = S_k (δ_kj − S_j).
    """

    probabilities = True
    numeric = staticmethod(lambda k, *xs: mpmath.exp(xs[int(k)]) / mpmath.fsum(mpmath.exp(v) for v in xs))
    on_balls = staticmethod(lambda k, *xs: as_ball(xs[int(k)]).exp() / sum(as_ball(v).exp() for v in xs))

    @classmethod
    def eval(cls, k, *logits):
        if logits and all(is_number(o) for o in logits):
            return sp.exp(logits[int(k)]) / sp.Add(*[sp.exp(o) for o in logits])
        return None

    @property
    def index(self) -> int:
        return int(self.args[0])

    @property
    def logits(self) -> tuple:
        return self.args[1:]

    def component(self, j: int) -> "Softmax":
        return Softmax(sp.Integer(j), *self.logits)

    def fdiff(self, argindex=1):
        if argindex == 1:
            raise sp.ArgumentIndexError(self, argindex)
        j = argindex - 2
        if j == self.index:
            return self * (1 - self)
        return -self * self.component(j)


ACTIVATION = Activation(
    "softmax", "softmax", None, r"\operatorname{softmax}",
    definition=(r"\operatorname{softmax}(o)_k = \frac{e^{o_k}}{\sum_j e^{o_j}},\quad "
                r"\frac{\partial p_k}{\partial o_j} = p_k(\delta_{kj} - p_j)"),
    where=frozenset({"hidden", "output"}), elementwise=False, source="torch.nn.Softmax", order=6)
