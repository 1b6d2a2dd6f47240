"""The ``loss`` of a problem or a question: its type, reduction, batch reduction, its
parameters (read from the loss descriptors) and its weight penalty (``regularization``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ..ops.losses import LOSSES
from .fields import Model, Number, check_params, with_params, written

LossType = Literal[tuple(LOSSES)]
_REDUCTIONS = tuple(sorted({r for loss in LOSSES.values() for r in loss.reductions}))


class Regularization(Model):
    """A penalty added to the data loss: ``l2`` λ adds (λ/2) Σ w², ``l1`` λ adds λ Σ |w|,
    over the weights (the biases too with ``include_biases``)."""

    l2: Number | None = Field(None, description="λ of the penalty (λ/2) Σ w²")
    l1: Number | None = Field(None, description="λ of the penalty λ Σ |w| (sgn(0) = 0)")
    include_biases: bool = Field(False, description="penalise the biases as well as the weights")

    @model_validator(mode="after")
    def _some(self) -> "Regularization":
        if self.l2 is None and self.l1 is None:
            raise ValueError("give l2 or l1 (for example l2: 0.01)")
        for name in ("l2", "l1"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name}: must be at least 0 (got {written(value)})")
        return self


class _Loss(Model):
    """The loss: its ``type`` (see the README's table of losses), a ``reduction`` over the
    outputs where the loss has a choice, ``batch`` over the examples, and its parameters."""

    type: LossType
    reduction: Literal[_REDUCTIONS] | None = Field(
        None, description="over the outputs, where the loss offers a choice (its default first)")
    batch: Literal["mean", "sum"] | None = Field(
        None, description="over the examples of a batch: mean (default) or sum")
    regularization: Regularization | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _parameters(self) -> "_Loss":
        loss = LOSSES[self.type]
        if self.reduction is not None and self.reduction not in loss.reductions:
            only = " or ".join(f"'{r}'" for r in loss.reductions)
            raise ValueError(f"reduction: {self.type} does not take reduction '{self.reduction}' "
                             f"(it takes {only})")
        check_params(self, loss, LOSSES.values())
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        # The schema must accept the shorthand ``loss: sse`` as well as the mapping.
        schema = handler.resolve_ref_schema(handler(core_schema))
        return {"anyOf": [{"type": "string", "enum": list(LOSSES)}, dict(schema)],
                "description": schema.get("description", "")}


Loss = with_params(_Loss, LOSSES.values())
