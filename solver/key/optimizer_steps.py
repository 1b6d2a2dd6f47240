"""The optimizer's steps in the key: a step derived in full (each of the optimizer's
lines for each parameter, symbolically, with the numbers substituted, then its value),
the table of its state during training, and the state's answers.

The lines are the optimizer's own (:mod:`solver.ops.optimizers`), compiled by the same
compiler the training run uses, so the key's numbers and the run's cannot disagree.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import mpmath
import sympy as sp

from ..core.errors import listed
from ..core.numbers import DIGITS, display, normalize, written_latex
from ..graph.training import Settings
from ..ops.latex import columns_aligned
from ..ops.optimizers.base.formula import Line, compile_lines, respelled
from .forward import convention_letters
from .model import Answer, Block, Equation, Table, answer


@lru_cache(maxsize=256)
def _one(line: Line, hyper: frozenset):
    return compile_lines((line,), hyper)


def line_values(opt: Settings, t: int, w, g, state: dict) -> list[tuple[Line, dict, sp.Expr]]:
    """The optimizer's lines of step ``t`` for one parameter, on exact sympy numbers (or
    50-digit Floats): each line with the values it reads (by name) and its value."""
    rule = opt.optimizer
    hyper = frozenset(p.name for p in rule.params)
    hp = {k: v for k, v in opt.hp.items() if not isinstance(v, bool)}
    env = {**{n: sp.Integer(0) for n, _ in rule.state}, **state, "w": w, "g": g}
    out = []
    for line in rule.lines(opt.hp, t == 1):
        reads = {n: env[n] for n in line.formula.symbols() if n in env}
        value = normalize(_one(line, hyper)(env["w"], env["g"], t, hp, env, sp.sqrt)[line.name])
        out.append((line, reads, value))
        env[line.name] = value
    return out


def step_names(latex: dict, opt: Settings, unrolled: bool = False, letters: frozenset = frozenset()) -> dict:
    """The symbols of the optimizer's formulas that the problem's own names (``latex``, name
    → LaTeX; and the time step ``t`` of a network ``unrolled`` over time) would make
    ambiguous, respelled (name → LaTeX; :func:`~solver.ops.optimizers.base.formula.respelled`):
    the step counter ``t`` is written ``k`` where a quantity of the problem is written ``t`` (a
    target), so that β₁^t does not read as a power of the target; Adam's moments ``m`` and
    ``v`` are written ``p`` and ``r`` where a parameter is ``v`` or ``v_{1}``, the gradient
    ``g`` is written ``\\tilde{g}`` where a node is ``g``, Adam's ε ``\\tilde{\\epsilon}`` where a
    parameter is ``epsilon``; ``letters`` the key's own conventions that it must not reuse
    (:func:`~solver.key.forward.convention_letters`: RMSprop's α beside a leaky ReLU's)."""
    return respelled(opt.optimizer.spellings(opt.hp),
                     set(latex.values()) | set(latex) | set(letters) | ({"t"} if unrolled else set()))


def graph_step_names(graph, opt: Settings) -> dict:
    """:func:`step_names` of a question's graph: its names, whether it is unrolled over time and
    the letters its definitions use (:func:`~solver.key.forward.convention_letters`)."""
    return step_names(graph.latex, opt, bool(graph.unrolled), frozenset(convention_letters(graph)))


def respelling_note(opt: Settings, names: dict) -> str:
    """The clause that says which of the optimizer's letters ``names`` respells (``""`` for
    none): ``"; $k$ and $p$ are written for the usual $t$ and $m$, which this problem uses"``;
    a respelled hat (m̂ as p̂) goes without saying."""
    spelled = opt.optimizer.spellings(opt.hp)
    pairs = [(f"${new}$", f"${spelled[n]}$") for n, new in names.items() if not spelled[n].startswith("\\hat{")]
    if not pairs:
        return ""
    new, old = (listed(list(xs)) for xs in zip(*pairs))
    return f"; {new} {'is' if len(pairs) == 1 else 'are'} written for the usual {old}, which this problem uses"


def step_blocks(b, opt: Settings, t: int, params: list[str], w: dict, g: dict, state: dict,
                where: str, intro: str, renamed: dict) -> tuple[list[Block], dict]:
    """Step ``t`` in full for every parameter, from its value ``w``, gradient ``g`` and
    state (name → value) before the step; ``where`` says where the gradients come from;
    ``renamed`` the optimizer's symbols respelled (:func:`step_names`, found once per question).
    Returns the blocks (a heading ``Step t in full`` with ``intro``, holding the updates
    when each is one line, else one block per parameter) and the new parameter values. The
    heading is of kind ``step`` and the parameters' blocks ``step_of``: a key writes the step
    whole or recalls it whole (:func:`~solver.key.recap.refer_back`), never line by line, for
    two parameters' ``buf ← g = −2`` are two computations."""
    hp_shown = {k: written_latex(v) for k, v in opt.hp.items() if not isinstance(v, bool)}
    hp_shown["t"] = str(t)
    latex, digits = b.graph.latex, b.digits
    gname = renamed.get("g", "g")
    blocks, new, single = [], {}, []
    for k in params:
        rows = line_values(opt, t, w[k], g[k], state.get(k, {}))
        eqs = []
        for line, reads, value in rows:
            read = {n: display(v, digits) for n, v in reads.items()}
            shown = {**hp_shown, **{n: s.latex for n, s in read.items()}}
            lhs = latex[k] if line.name == "w" else line.lhs(renamed)
            symbolic = line.latex(names={"w": latex[k], **renamed})
            substituted = line.latex(shown)
            result = display(value, digits)
            parts = [(line.op, symbolic)]
            if result.latex == substituted:  # buf ← g ≈ 0.05557: the value itself, as rounded as it is
                parts.append((result.relation, substituted))
            else:  # "=" only where every number substituted is exact, as the other steps write it
                if substituted != symbolic:
                    parts.append(("=" if all(s.exact for s in read.values()) else r"\approx", substituted))
                parts.append((result.relation, result.latex))
            eqs.append(Equation(lhs, tuple(parts)))
        new[k] = rows[-1][2]
        if len(rows) == 1:
            single += eqs
            continue
        gs = display(g[k], digits)
        blocks.append(Block("step_of", f"${latex[k]}$",
                            rf"${gname} = \partial L/\partial {latex[k]} {gs.relation} {gs.latex}$ {where}.", tuple(eqs)))
    text = (intro + (f" ${gname} = \\partial L/\\partial w$ {where}." if single else "")).strip()
    return [Block("step", f"Step {t} in full", text, tuple(single)), *blocks], new


def _first_only(opt: Settings) -> list:
    """The lines step 1 writes otherwise than a later step, each against the line in its place
    (AdamW writes two lines of w: its decay, then its step, the same at every step); every
    optimizer writes as many lines at step 1 as later."""
    return [x for x, y in zip(opt.optimizer.lines(opt.hp, True), opt.optimizer.lines(opt.hp, False), strict=True)
            if x != y]


def first_note(opt: Settings, names: dict | None = None) -> str:
    """The optimizer's note on step 1, and the lines that step 1 writes otherwise (the
    symbols respelled by ``names``, :func:`step_names`)."""
    names = names or {}
    other = [f"${x.lhs(names)} {x.op} {x.latex(names=names)}$" for x in _first_only(opt)]
    note = opt.optimizer.first_note({**opt.optimizer.spellings(opt.hp), **names})
    why = " (no dampening)" if "dampening" in opt.hp else ""
    return note + (f" At step 1, {', '.join(other)}{why}." if other else "")


def formulas(opt: Settings, skip=("w", "g"), names: dict | None = None) -> str:
    """The lines of a later step other than ``skip``, inline, and those that differ at step 1."""
    later = {x.name: x for x in opt.optimizer.lines(opt.hp, False)}
    out = [f"${x.lhs(names)} {x.op} {x.latex(names=names)}$" for x in later.values() if x.name not in skip]
    out += [f"(at step 1: ${x.lhs(names)} {x.op} {x.latex(names=names)}$)" for x in _first_only(opt)
            if x.name not in skip]
    return ", ".join(out)


def state_table(b, opt: Settings, params: list[str], tabled, every: int,
                names: dict) -> tuple[Table | None, list[Answer]]:
    """The optimizer's state after each tabled step (from step 1): one row per step and
    parameter with ``g``, every state value and the new parameter, and their answers
    (kind ``state``, ``of`` like ``m_w1``), its symbols respelled by ``names`` (:func:`step_names`).
    ``None`` for an optimizer without state."""
    shown = opt.optimizer.shown(opt.hp)
    if not shown:
        return None, []
    latex, digits = b.graph.latex, b.digits
    shown = tuple((n, names.get(n, tex)) for n, tex in shown)
    decayed = any(x.name == "g" for first in (True, False) for x in opt.optimizer.lines(opt.hp, first))
    header = (r"\text{step}", r"\text{parameter}", r"\partial L/\partial w" if decayed else names.get("g", "g"),
              *(tex for _, tex in shown), r"w \text{ after}")
    rows, answers = [], []
    for s in (s for s in tabled if s.step > 0):
        for i, k in enumerate(params):
            state = s.state.get(k, {})
            values = [_value(state.get(n, 0)) for n, _ in shown]
            cells = [display(sp.Integer(s.step), 30).latex if i == 0 else "", latex[k],
                     display(_value(s.grads.get(k, 0)), digits).latex]
            cells += [display(v, digits).latex for v in values]
            cells.append(display(_value(s.params[k]), digits).latex)
            rows.append(tuple(cells))
            for (n, tex), v in zip(shown, values):
                answers.append(answer("state", f"{n}_{k}", f"{tex}_{{{latex[k]}}}", v, digits, step=s.step))
    title = (f"State of the optimizer after each step{f' (every {every:,} steps)' if every > 1 else ''}: "
             + formulas(opt, names=names))
    return Table(title, header, tuple(map(tuple, columns_aligned(rows)))), answers


def _value(v) -> sp.Expr:
    return v if isinstance(v, sp.Basic) else exact_value(v)


def exact_value(v) -> sp.Expr:
    """A value of the run in sympy: an exact fraction stays exact (so that its display
    is decided on the exact value), an mpmath number becomes a DIGITS-digit Float."""
    if isinstance(v, Fraction):
        return normalize(sp.Rational(v.numerator, v.denominator))
    if isinstance(v, int):
        return sp.Integer(v)
    with mpmath.workdps(DIGITS + 5):
        return sp.Float(mpmath.nstr(mpmath.mpf(v), DIGITS, strip_zeros=False), DIGITS)
