"""AdamW (Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019) as
``torch.optim.AdamW`` computes it: w ← w − η λ w first, then Adam's step on the
gradient itself (λ = 0.01 by default, PyTorch's)."""

from __future__ import annotations

import sympy as sp

from .adam import PARAMS, moments
from .base import Optimizer, weight_decay

OPTIMIZER = Optimizer(
    "adamw", "AdamW (Loshchilov and Hutter, 2019)",
    (*PARAMS, weight_decay(sp.Rational(1, 100), "decoupled weight decay λ, w ← w − η λ w")),
    lambda hp, first: moments(hp, True), (("m", "m"), ("v", "v")),
    "torch.optim.AdamW's algorithm; Loshchilov and Hutter (2019), Algorithm 2",
    first_note=lambda x: rf" At ${x['t']} = 1$ the bias corrections give ${x['mhat']} = {x['g']}$ and "
                         rf"${x['vhat']} = {x['g']}^2$.", order=4)
