"""Adamax (Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, §7.1,
Algorithm 2) as ``torch.optim.Adamax`` computes it (``_single_tensor_adamax`` in
torch/optim/adamax.py): coupled weight decay g ← g + λ w, m ← β₁ m + (1 − β₁) g,
u ← max(β₂ u, |g| + ε) (PyTorch adds ε inside the maximum, where the paper has none),
w ← w − η / (1 − β₁ᵗ) · m / u. The maximum is decided on the values as the run holds them
(exact ones exactly); at a tie both sides are the same number."""

from __future__ import annotations

from .adam import B1, B2, M
from .adam import PARAMS as ADAM
from .base import EPS, ETA, Optimizer, coupled_decay, epsilon, weight_decay
from .base.formula import G, Line, T, W, maximum, sym

U = sym("u", "u")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    return (*coupled_decay(hp), Line("m", "m", B1 * M + (1 - B1) * G),
            Line("u", "u", maximum(B2 * U, abs(G) + EPS)),
            Line("w", "w", W - ETA / (1 - B1 ** T) * (M / U)))


OPTIMIZER = Optimizer(
    "adamax", "Adamax (Kingma and Ba, 2015)",
    (*ADAM[:3],
     epsilon(8, "ε added to |g| in the running maximum"),
     weight_decay()),
    _lines, (("m", "m"), ("u", "u")),
    "torch.optim.Adamax's algorithm; Kingma and Ba (2015), Algorithm 2",
    first_note=lambda x: rf" At ${x['t']} = 1$, ${x['u']} = \left|{x['g']}\right| + {x['epsilon']}$ and the "
                         rf"bias correction cancels $1 - {x['beta1']}$: the step is "
                         rf"${x['learning_rate']}\, {x['g']} / (\left|{x['g']}\right| + {x['epsilon']})$.",
    order=8, rests=False)
