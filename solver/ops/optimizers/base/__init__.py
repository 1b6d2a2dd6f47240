"""The descriptor of an optimizer: its hyper-parameters with defaults, and its update as
ordered assignments (:mod:`.formula`), the one source of both the arithmetic (exact
sympy numbers for the key's derived steps, exact fractions and mpmath numbers for a
training run) and the formulas the key prints.

An optimizer is added by one module in this package defining ``OPTIMIZER``; the
package finds it by itself (:mod:`solver.ops.optimizers`).
"""

from __future__ import annotations

from typing import Callable

import msgspec
import sympy as sp
from msgspec import field

from ...params import Param
from .formula import G, Line, W, compile_lines, sym

#: Every optimizer's learning rate.
LEARNING_RATE = Param("learning_rate", r"\eta", None, "0.1", "learning rate η", low=0, low_open=True)
ETA = sym("learning_rate", r"\eta")
LAMBDA = sym("weight_decay", r"\lambda")
EPS = sym("epsilon", r"\epsilon")


def weight_decay(default=sp.Integer(0), description: str = "L2 penalty λ added to the gradient, g ← g + λ w"):
    return Param("weight_decay", r"\lambda", default, "0.01", description, low=sp.Integer(0))


def epsilon(power: int, description: str = "ε added to the root in the denominator") -> Param:
    """ε = 10^-power (torch's default of the optimizer), greater than 0."""
    return Param("epsilon", r"\epsilon", sp.Rational(1, 10**power), f"1e-{power}", description,
                 low=sp.Integer(0), low_open=True)


def momentum(default) -> Param:
    return Param("momentum", r"\mu", default, "0.9", "momentum μ", low=sp.Integer(0), high=sp.Integer(1),
                 high_open=True)


def coupled_decay(hp: dict) -> tuple[Line, ...]:
    """PyTorch's (coupled) weight decay, ``g ← g + λ w``, when λ is not 0."""
    return decay(hp, False)


def decay(hp: dict, decoupled: bool) -> tuple[Line, ...]:
    """The weight decay, when λ is not 0: coupled, ``g ← g + λ w`` (Adam's), or decoupled, the
    parameter decayed first, ``w ← w − η λ w`` (AdamW's; torch's ``param.mul_(1 - lr * wd)``)."""
    if not hp.get("weight_decay", 0):
        return ()
    return (Line("w", "w", W - ETA * LAMBDA * W),) if decoupled else (Line("g", "g", G + LAMBDA * W),)


class Flag(msgspec.Struct, frozen=True):
    """A boolean option (``nesterov``): its name in problem files and what it does."""

    name: str
    description: str
    default: bool = False
    source: str = ""


class Optimizer(msgspec.Struct, frozen=True, dict=True):
    """A first-order optimizer, one parameter at a time.

    Attributes:
        key: its name in problem files (``adam``).
        title: its name in the key (``Adam (Kingma and Ba, 2015)``).
        params: numeric hyper-parameters, the learning rate first, with defaults.
        lines: ``(hp, first) -> Lines``: the update of one parameter for the
            hyper-parameters ``hp`` (by name; only which are 0 and the flags decide which
            lines there are), at the first step (``first``) or a later one.
        state: the state variables carried from step to step, as (name, LaTeX), each 0
            before the first step.
        source: where the rule comes from (PyTorch's algorithm box and the paper).
        flags: boolean options.
        check: ``hp -> message`` for a combination PyTorch refuses (``"nesterov: …"``),
            ``None`` when it is fine.
        first_note: ``spelling -> str``: a sentence on what step 1 simplifies to, each
            symbol written ``spelling[name]`` (:meth:`spellings`, with those that a
            problem's own names make ambiguous respelled: ``m`` as ``p``).
        rests: whether a zero gradient on a zero state leaves the parameter and its state as
            they are (the run then skips its step, keeping it exact); not where the state moves
            all the same (Adamax's u becomes ε, NAdam's product of μ's goes on), as torch's does.
    """

    key: str
    title: str
    params: tuple[Param, ...]
    lines: Callable[[dict, bool], tuple[Line, ...]]
    state: tuple[tuple[str, str], ...] = ()
    source: str = ""
    flags: tuple[Flag, ...] = ()
    check: Callable[[dict], str | None] = field(default=lambda hp: None)
    first_note: Callable[[dict], str] = field(default=lambda x: "")
    order: int = 100
    rests: bool = True

    def compiled(self, hp: dict, first: bool) -> Callable:
        """The lines for ``hp`` as one function ``f(w, g, t, hp, state, sqrt) -> values``
        (:func:`~.formula.compile_lines`), compiled once per shape of the lines."""
        lines = self.lines(hp, first)
        key = tuple((x.name, x.formula) for x in lines)
        compiled = self.__dict__.setdefault("_compiled", {})  # not a field: outside eq and hash
        fn = compiled.get(key)
        if fn is None:
            fn = compiled[key] = compile_lines(lines, frozenset(p.name for p in self.params))
        return fn

    def step(self, w, g, state: dict, t: int, hp: dict, sqrt):
        """One update of a parameter ``w`` with gradient ``g`` at step ``t`` (from 1), on
        any numbers (``sqrt`` is their square root): ``(new w, new state)``."""
        values = self.compiled(hp, t == 1)(w, g, t, hp, state, sqrt)
        return values["w"], {n: values[n] if n in values else state[n] for n, _ in self.state
                             if n in values or n in state}

    def spellings(self, hp: dict) -> dict[str, str]:
        """Every symbol its lines print for ``hp`` (at step 1 and later; what they assign and
        what they read; ``w`` and ``g`` always, ``t`` where a line reads it), name → LaTeX."""
        out = {"w": "w", "g": "g"}
        for first in (True, False):
            for x in self.lines(hp, first):
                out.setdefault(x.name, x.tex)
                out.update((n, tex) for n, tex in x.formula.spellings().items() if n not in out)
        return out

    def shown(self, hp: dict) -> tuple[tuple[str, str], ...]:
        """Every value a step computes besides ``g`` and ``w`` (the state and what is
        derived from it, m̂ and v̂), as (name, LaTeX) in the order of the lines."""
        out: dict = {}
        for first in (True, False):
            out.update((x.name, x.tex) for x in self.lines(hp, first) if x.name not in ("g", "w"))
        return tuple(out.items())

    def option_problem(self, given: dict, every) -> str | None:
        """What is wrong with the options ``given`` (field → value, ``None`` where not given)
        beyond each number's range (which the schema checks): a flag that only other
        optimizers of ``every`` take, or a combination that PyTorch refuses (``"nesterov:
        …"``); ``None`` when nothing is."""
        for name in sorted({f.name for o in every for f in o.flags} - {f.name for f in self.flags}):
            if given.get(name) is not None:
                users = [o.key for o in every if any(f.name == name for f in o.flags)]
                return f"{name}: only {' and '.join(users)} {'takes' if len(users) == 1 else 'take'} {name}"
        hp = {p.name: given[p.name] if given.get(p.name) is not None else p.default for p in self.params}
        return self.check(hp | {f.name: bool(given.get(f.name)) for f in self.flags})

    def sources(self, hp: dict) -> str:
        """Where the rule comes from, with the sources of the flags that are set."""
        return "; ".join([self.source] + [f.source for f in self.flags if hp.get(f.name) and f.source])

    def rule(self, hp: dict, names: dict | None = None) -> str:
        """The update of a later step (t > 1) in LaTeX, one assignment after another; ``names``
        respells symbols by name (the step counter ``t`` as ``k`` where the problem has its own
        ``t``: ``solver.key.optimizer_steps.step_names``)."""
        return r",\quad ".join(f"{x.lhs(names)} {x.op} {x.latex(names=names)}" for x in self.lines(hp, False))
