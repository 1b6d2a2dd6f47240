"""The identity: a linear layer's output is its pre-activation (no node of its own)."""

from __future__ import annotations

from .base import Activation

ACTIVATION = Activation("linear", "linear", None, "", aliases=("identity",),
                        where=frozenset({"hidden", "output"}), source="torch.nn.Identity", order=5)
