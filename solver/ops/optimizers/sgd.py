"""Plain gradient descent: w ← w − η g."""

from __future__ import annotations

from .base import LEARNING_RATE, Optimizer


def _step(w, g, state, t, hp, sqrt):
    return w - hp["learning_rate"] * g, state


OPTIMIZER = Optimizer(
    "sgd", "plain gradient descent (SGD)", r"w \leftarrow w - \eta\, g", (LEARNING_RATE,), (), _step,
    lambda w, g, hp: f"{w} - ({hp['learning_rate']})({g})", source="torch.optim.SGD", order=1)
