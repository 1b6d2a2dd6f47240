"""NAdam (Dozat, *Incorporating Nesterov Momentum into Adam*, ICLR 2016 workshop) as
``torch.optim.NAdam`` computes it (``_single_tensor_nadam`` in torch/optim/nadam.py): coupled
weight decay g ← g + λ w, or with ``decoupled_weight_decay`` (torch's flag of that name) the
parameter decayed first, w ← w − η λ w, as AdamW does (Loshchilov & Hutter 2019); the momentum schedule
μ = β₁(1 − ½·0.96^{tψ}) and μ_next the same at t + 1; Π, the product of every μ so far
(torch's mu_product, "prod" in the answers: μ at step 1); m ← β₁ m + (1 − β₁) g,
v ← β₂ v + (1 − β₂) g²; m̂ = μ_next m / (1 − Π μ_next) + (1 − μ) g / (1 − Π),
v̂ = v / (1 − β₂ᵗ); w ← w − η m̂ / (√v̂ + ε), the two terms PyTorch adds one after the other.
torch keeps mu_product in its default dtype, float32 unless that is set to float64."""

from __future__ import annotations

import sympy as sp

from ..params import Param
from .adam import B1, B2, MHAT, PARAMS, VHAT, M, V
from .base import EPS, ETA, Flag, Optimizer, decay, weight_decay
from .base.formula import G, Line, T, W, number, sqrt, sym

PSI = sym("momentum_decay", r"\psi")
MU, NEXT, PROD = sym("mu", r"\mu"), sym("munext", r"\mu_{\text{next}}"), sym("prod", r"\Pi")
HALF = number("1/2", r"\tfrac{1}{2}")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    return (*decay(hp, hp.get("decoupled_weight_decay", False)),
            Line("mu", r"\mu", B1 * (1 - HALF * number("0.96") ** (T * PSI)), "="),
            Line("munext", r"\mu_{\text{next}}", B1 * (1 - HALF * number("0.96") ** ((T + 1) * PSI)), "="),
            Line("prod", r"\Pi", MU if first else PROD * MU),
            Line("m", "m", B1 * M + (1 - B1) * G), Line("v", "v", B2 * V + (1 - B2) * G ** 2),
            Line("mhat", r"\hat{m}", NEXT * M / (1 - PROD * NEXT) + (1 - MU) * G / (1 - PROD), "="),
            Line("vhat", r"\hat{v}", V / (1 - B2 ** T), "="),
            Line("w", "w", W - ETA * (MHAT / (sqrt(VHAT) + EPS))))


OPTIMIZER = Optimizer(
    "nadam", "NAdam (Dozat, 2016)",
    (*PARAMS, weight_decay(),
     Param("momentum_decay", r"\psi", sp.Rational(4, 1000), "0.004",
           "momentum decay ψ of the schedule μ = β₁(1 − ½·0.96^(tψ))", low=sp.Integer(0))),
    _lines, (("prod", r"\Pi"), ("m", "m"), ("v", "v")),
    "torch.optim.NAdam's algorithm; Dozat (2016)",
    flags=(Flag("decoupled_weight_decay", "nadam: decoupled weight decay, w ← w − η λ w before the step, "
                "as AdamW (torch.optim.NAdam's decoupled_weight_decay)",
                source="decoupled weight decay: Loshchilov and Hutter (2019)"),),
    order=9, rests=False)
