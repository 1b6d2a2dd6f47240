"""Cross-entropy over a softmax output, L = −Σ_k y_k ln p_k; after a softmax with targets
summing to 1, ∂L/∂o_j = p_j − y_j."""

from __future__ import annotations

import sympy as sp

from .base import Loss, LossForm, add

#: ∂L/∂o_j through the softmax Jacobian, the step of the shortcut's derivation that the
#: keys write out (generic letters: o logits, p probabilities).
SHORTCUT_CHAIN = (r"\frac{\partial L}{\partial o_j} = \sum_k \frac{\partial L}{\partial p_k}"
                  r"\frac{\partial p_k}{\partial o_j} = -\sum_k \frac{y_k}{p_k}\, p_k(\delta_{kj} - p_j)")


def _build(p, y, values, reduction, params) -> LossForm:
    terms = [sp.Mul(b, sp.log(a), evaluate=False) for a, b in zip(p, y)]
    return LossForm(sp.Mul(-1, add(terms), evaluate=False), "cross-entropy",
                    r"L = -\sum_k y_k \ln p_k", needs_probabilities=True)


LOSS = Loss("cross_entropy", "cross-entropy", _build, ("sum",), needs_probabilities=True,
            softmax_shortcut=True, source="torch.nn.CrossEntropyLoss (on the logits)", order=4)
