"""The update's sign flipped: w + η g instead of w − η g."""

from .base import Misconception, flipped_update

MISCONCEPTION = Misconception(
    "update_sign_flipped",
    "the update moves along the gradient (w + η g) instead of against it (w − η g)",
    flipped_update, order=60)
