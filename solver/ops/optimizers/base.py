"""The descriptor of an optimizer: its update rule (one function, run on exact sympy
numbers for the derived step and on mpmath numbers for a training run), its
hyper-parameters with defaults, and its state variables with their LaTeX.

An optimizer is added by one module in this package defining ``OPTIMIZER``; the
package finds it by itself (:mod:`solver.ops.optimizers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..params import Param

#: Every optimizer's learning rate.
LEARNING_RATE = Param("learning_rate", r"\eta", None, "0.1", "learning rate η", low=0, low_open=True)


@dataclass(frozen=True)
class Optimizer:
    """A first-order optimizer, one parameter at a time.

    Attributes:
        key: its name in problem files (``adam``).
        title: its name in the key (``Adam (Kingma and Ba, 2015)``).
        rule: the update rule in LaTeX, stated once in the key.
        params: hyper-parameters, the learning rate first, with defaults.
        state: its state variables as (name, LaTeX), each 0 before the first step.
        step: ``(w, g, state, t, hp, sqrt) -> (new w, new state)``: one update of a
            parameter ``w`` with gradient ``g`` at step ``t`` (from 1); ``hp`` holds the
            hyper-parameters by name; ``sqrt`` is the square root of the number type
            (sympy's for exact numbers, mpmath's for a run). The same function computes
            the derived step and the run, so the two cannot disagree.
        first_step: ``(w, g, hp) -> LaTeX`` of step 1 with the shown values substituted
            (``w``, ``g`` and each hyper-parameter as displayed LaTeX).
        first_note: a sentence on what step 1 simplifies to (``With v_0 = 0, v_1 = g.``).
        source: where the rule comes from.
    """

    key: str
    title: str
    rule: str
    params: tuple[Param, ...]
    state: tuple[tuple[str, str], ...]
    step: Callable
    first_step: Callable[[str, str, dict], str]
    first_note: str = ""
    source: str = ""
    order: int = 100
