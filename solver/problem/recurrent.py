"""A recurrent layer of a ``network:`` (``type: rnn``, ``lstm`` or ``gru``): its weights shared
over the time steps of an input sequence (one row of the input per step), its initial state,
and what it passes on. Part of the problem's schema (:mod:`.schema`).

Equations and gate orders are PyTorch's (``torch.nn.RNN``, ``nn.LSTM``, ``nn.GRU``
documentation): an Elman RNN ``h_t = tanh(W_xh x_t + b_xh + W_hh h_{t−1} + b_hh)``; an LSTM's
gates i, f, g, o and cell state ``c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t``, ``h_t = o_t ⊙ tanh(c_t)``;
a GRU's gates r, z, n with the reset gate applied to ``W_hn h_{t−1} + b_hn``. ``bias`` is
PyTorch's ``bias_ih`` and ``recurrent_bias`` its ``bias_hh`` (0 when not given).
"""


from typing import Annotated, Literal

from msgspec import Meta, field

from .fields import Model, Number, NumberOrList, described

#: The gates of each gated layer, in PyTorch's order.
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
#: The layer types of this module.
RECURRENT_TYPES = ("rnn", "lstm", "gru")


def _a(kind: str) -> str:
    """``an lstm``, ``a gru`` (as the letters are read)."""
    return f"{'an' if kind in ('rnn', 'lstm') else 'a'} {kind}"


class Gate(Model, kw_only=True):
    """One gate of an LSTM or a GRU: ``weights`` (units × input features, from x_t),
    ``recurrent_weights`` (units × units, from h_{t−1}), ``bias`` and ``recurrent_bias`` (one
    number per unit, PyTorch's bias_ih and bias_hh; 0 when omitted)."""

    weights: list[list[Number]]
    recurrent_weights: list[list[Number]]
    bias: NumberOrList | None = None
    recurrent_bias: NumberOrList | None = None


class InitialState(Model, kw_only=True):
    """The state before the first step: ``h`` (one number per unit) and, for an LSTM, the
    cell state ``c``."""

    h: list[Number]
    c: list[Number] | None = None


class RecurrentLayer(Model, kw_only=True):
    """An RNN (Elman), LSTM or GRU layer over the input sequence, its weights shared by
    every time step.

    ``rnn``: ``weights`` (W_xh, units × input features), ``recurrent_weights`` (W_hh, units ×
    units), ``bias`` (b_xh), ``recurrent_bias`` (b_hh), ``activation`` tanh (the default) or
    relu. ``lstm`` / ``gru``: ``gates`` with one :class:`Gate` per gate (i, f, g, o / r, z, n).
    ``initial_state``: h_0 as a list (zeros when omitted), or ``{h, c}`` for an LSTM.
    ``return``: ``last`` (h_T goes on) or ``sequence`` (every h_t goes on, the layers after
    it applied at each step). ``loss_at``: ``last`` (the loss of the last step's output) or
    ``every`` (the sum over the steps of each step's loss, one target per step); ``every``
    by default with ``return: sequence``."""

    type: Literal["rnn", "lstm", "gru"]
    units: Annotated[int, Meta(ge=1, le=16)]
    activation: Literal["tanh", "relu"] | None = None
    weights: list[list[Number]] | None = None
    recurrent_weights: list[list[Number]] | None = None
    bias: NumberOrList | None = None
    recurrent_bias: NumberOrList | None = None
    gates: dict[Literal["i", "f", "g", "o", "r", "z", "n"], Gate] | None = None
    initial_state: list[Number] | InitialState | None = None
    returns: described(Literal["last", "sequence"], "last: h_T goes on; sequence: every h_t") = field(
        default="last", name="return")
    loss_at: described(Literal["last", "every"] | None, "last: the loss of the last output; every: summed over "
                                                        "the steps (one target per step)") = None

    def __post_init__(self) -> None:
        if self.type == "rnn":
            for f in ("weights", "recurrent_weights"):
                if getattr(self, f) is None:
                    raise ValueError(f"{f}: an rnn layer needs '{f}'")
            if self.gates is not None:
                raise ValueError("gates: an rnn layer has no gates (give weights and recurrent_weights)")
        else:
            for f in ("weights", "recurrent_weights", "bias", "recurrent_bias", "activation"):
                if getattr(self, f) is not None:
                    raise ValueError(f"{f}: {_a(self.type)} layer takes its weights per gate, under 'gates'"
                                     if f != "activation" else
                                     f"activation: {_a(self.type)} layer's gates use sigmoid and tanh")
            want = GATES[self.type]
            got = tuple(self.gates or ())
            if set(got) != set(want):
                missing = [g for g in want if g not in got]
                extra = [g for g in got if g not in want]
                raise ValueError(f"gates: {_a(self.type)} layer has the gates {', '.join(want)}"
                                 + (f" (missing: {', '.join(missing)})" if missing else "")
                                 + (f" (not one of them: {', '.join(extra)})" if extra else ""))
        state = self.initial_state
        if isinstance(state, InitialState) and state.c is not None and self.type != "lstm":
            raise ValueError(f"initial_state: only an lstm has a cell state c (a {self.type} has h only)")
        if self.returns == "last" and self.loss_at == "every":
            raise ValueError("loss_at: a loss at every step needs return: sequence (an output per step)")

    @property
    def loss_every(self) -> bool:
        """Whether the loss is summed over the time steps."""
        return (self.loss_at or ("every" if self.returns == "sequence" else "last")) == "every"
