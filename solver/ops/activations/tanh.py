"""The hyperbolic tangent (sympy's own ``tanh``), with tanh'(z) = 1 − tanh²(z)."""

from __future__ import annotations

import sympy as sp

from .base import Activation

ACTIVATION = Activation(
    "tanh", "tanh", lambda z: sp.tanh(z), r"\tanh", r"\tanh'",
    definition=r"\tanh'(z) = 1 - \tanh^2(z)", graph_build=lambda z: sp.tanh(z, evaluate=False),
    source="torch.nn.Tanh", order=4)
