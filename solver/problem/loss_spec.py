"""The ``loss`` of a problem or a question: its type, reduction, batch reduction, its
parameters (read from the loss descriptors) and its weight penalty (``regularization``)."""


from typing import Literal

from ..ops.losses import LOSSES
from .conversion import CustomType, union
from .fields import Model, Number, check_params, described, with_params, written

LossType = Literal[tuple(LOSSES)]
_REDUCTIONS = tuple(sorted({r for loss in LOSSES.values() for r in loss.reductions}))


class Regularization(Model, kw_only=True):
    """A penalty added to the data loss: ``l2`` λ adds (λ/2) Σ w², ``l1`` λ adds λ Σ |w|,
    over the weights (the biases too with ``include_biases``)."""

    l2: described(Number | None, "λ of the penalty (λ/2) Σ w²") = None
    l1: described(Number | None, "λ of the penalty λ Σ |w| (sgn(0) = 0)") = None
    include_biases: described(bool, "penalise the biases as well as the weights") = False

    def __post_init__(self) -> None:
        if self.l2 is None and self.l1 is None:
            raise ValueError("give l2 or l1 (for example l2: 0.01)")
        for name in ("l2", "l1"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name}: must be at least 0 (got {written(value)})")


class _Loss(Model, kw_only=True):
    """The loss: its ``type`` (see the README's table of losses), a ``reduction`` over the
    outputs where the loss has a choice, ``batch`` over the examples, and its parameters."""

    type: LossType
    reduction: described(Literal[_REDUCTIONS] | None,
                         "over the outputs, where the loss offers a choice (its default first)") = None
    batch: described(Literal["mean", "sum"] | None, "over the examples of a batch: mean (default) or sum") = None
    regularization: Regularization | None = None

    def __post_init__(self) -> None:
        loss = LOSSES[self.type]
        if self.reduction is not None and self.reduction not in loss.reductions:
            only = " or ".join(f"'{r}'" for r in loss.reductions)
            raise ValueError(f"reduction: {self.type} does not take reduction '{self.reduction}' "
                             f"(it takes {only})")
        check_params(self, loss, LOSSES.values())


Loss = with_params(_Loss, LOSSES.values())


class LossOrName(CustomType):
    """A loss: a mapping (:class:`Loss`), or only its type's name (``loss: sse``)."""


union(LossOrName, Loss, read=lambda v: (Loss, {"type": v} if isinstance(v, str) else v))
