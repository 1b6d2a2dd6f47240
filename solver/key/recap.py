"""Refer back instead of deriving again: what a key has already derived (every equation,
definition, note and table, with the question that first showed it), and a question's
parts with what an earlier question derived replaced by one line per question
("From Question 1: h₁ = 0.5, h₂ = 0.8") listing only the values this question uses.

Used by every style: a question builds its parts in full and :func:`refer_back` keeps
only what is new.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import takewhile

from msgspec.structs import replace

from .model import Block, Equation, Part

#: Text, compiled by ``re`` when a question with a title is first labelled (compiling it, case-blind
#: over Unicode, costs about a millisecond that a problem whose questions have no titles never pays).
_LABEL = (r"(?i)\s*(Question\s+[\w.-]+(?:,\s*continued)?|Q\d+\s*\([a-z0-9]+\)|Q\d+|\([a-z0-9]+\)"
          r"|Part\s+\w+)")


def question_label(title: str | None, index: int) -> str:
    """How a later question names this one: ``Question 2`` from ``"Question 2: …"``,
    ``part (a)`` from ``"(a) Forward pass"``, else ``Question <n>`` by position."""
    m = re.match(_LABEL, title) if title else None
    if m:
        label = m.group(1)
        return f"part {label}" if label.startswith("(") else label
    head = title.split(":", 1)[0] if title and ":" in title else None
    if head and head.count("$") % 2 == 0:  # a colon in its text, not in its math ($L: x \to y$)
        return head.strip()
    return f"Question {index + 1}"


class Derived:
    """What the key has shown so far, each with the label of the question that first
    showed it: equations (left-hand side and every right-hand part), displays
    (definitions, rules), text-only notes and tables."""

    def __init__(self) -> None:
        self.equations: dict[tuple, str] = {}
        self.displays: dict[str, str] = {}
        self.notes: dict[tuple, str] = {}
        self.tables: dict[tuple, str] = {}

    def first(self, store: dict, sig, here: str) -> str | None:
        """``None`` the first time ``sig`` is seen (recording ``here``), else where it was."""
        if sig in store:
            return store[sig]
        store[sig] = here
        return None


def _uses(name: str, text: str) -> bool:
    """Whether ``name`` (LaTeX) occurs in ``text`` as itself, not as part of a longer
    name (``h_{1}`` is not used by ``z_{h_{1}}`` or ``h_{1}^{[2]}``)."""
    start = 0
    while True:
        i = text.find(name, start)
        if i < 0:
            return False
        before, after = text[max(0, i - 2):i], text[i + len(name):i + len(name) + 1]
        if before != "_{" and not (before[-1:].isalpha() and name[:1].isalpha()) \
                and after not in ("^", "_") and not (after.isalpha() and name[-1:].isalpha()):
            return True
        start = i + 1


def recalled(eq: Equation) -> str:
    """``lhs = value``: an equation's result, recalled from where it was derived."""
    rel, value = eq.parts[-1]
    if eq.parts[0][0] == r"\leftarrow":
        rel = r"\leftarrow"
    return f"{eq.lhs} {rel} {value}"


def _rows(items: list[str]) -> str:
    """Items four to a row (a column vector counts as two, a wider matrix as four), centred."""
    rows, row, width = [], [], 0
    for it in items:
        w = (4 if "&" in it else 2) if r"\begin{" in it else 1  # a matrix of several columns alone
        if row and width + w > 4:
            rows.append(row)
            row, width = [], 0
        row.append(it)
        width += w
    if row:
        rows.append(row)
    lines = [r", \quad ".join(r) for r in rows]
    return lines[0] if len(lines) == 1 else r"\begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered}"


_GRADIENT_OF = re.compile(r"^\\frac\{\\partial [^{}]*\}\{\\partial (.+)\}$")


def _gradient_title(eqs: list[Equation]) -> str:
    """"Gradient(s) with respect to …" for the gradients a block still derives once the
    ones an earlier question derived are dropped ("" when a left-hand side is not ∂L/∂x)."""
    names = [m.group(1) for m in (_GRADIENT_OF.match(eq.lhs) for eq in eqs) if m]
    if len(names) != len(eqs):
        return ""
    return f"Gradient{'s' if len(names) > 1 else ''} with respect to " + ", ".join(f"${n}$" for n in names)


def _filter_part(part: Part, derived: Derived, here: str):
    """The part's blocks without what was shown before; the equations dropped, with
    where they were derived; which kept blocks are only headings (kept when an
    equation follows). An equation is the same as one shown before in a part of the same
    ``scope`` (:attr:`Part.scope`: ∂L/∂o₁ = 1 under two losses is two derivations). An
    optimizer's step (a ``step`` heading and its parameters' ``step_of`` blocks) is kept or
    recalled whole: its state's lines are the same text for two parameters with the same
    gradient (``buf ← g = −2``), and its heading the same in every question that trains."""
    blocks, dropped, headings, whole = [], [], set(), []
    for i, b in enumerate(part.blocks):
        if b.kind == "step_of":  # kept or dropped with its step
            continue
        if b.kind == "step":
            group = [b, *takewhile(lambda x: x.kind == "step_of", part.blocks[i + 1:])]
            origin = derived.first(derived.notes, ("step", *((x.title, x.text, x.equations) for x in group)), here)
            if origin is None or origin == here:
                blocks += group
            else:
                eqs = [eq for x in group for eq in x.equations]
                dropped += [(origin, eq) for eq in eqs]
                whole.append((b.title, eqs))
            continue
        if b.kind == "recap":
            blocks.append(b)
            continue
        eqs, anchor_dropped, rewritten = [], False, False
        for eq in b.equations:
            if not eq.lhs and anchor_dropped:  # rows beneath a recalled line lose their indent
                eq = replace(eq, parts=tuple((rel, tex.removeprefix("\\qquad ")) for rel, tex in eq.parts))
                rewritten = True
            sig = (eq.lhs, eq.parts) if part.scope is None else (eq.lhs, eq.parts, part.scope)
            origin = derived.first(derived.equations, sig, here)
            if origin is None:
                eqs.append(eq)
            else:
                dropped.append((origin, eq))
            if eq.lhs:
                anchor_dropped = origin is not None
        if b.equations and not eqs:
            if b.title:
                whole.append((b.title, b.equations))
            continue
        display = b.display
        text = b.text
        if display:
            origin = derived.first(derived.displays, display, here)
            if origin is not None:
                display = ""
                if text.rstrip().endswith(":"):  # the rule it announced was stated before
                    text = text.rstrip()[:-1] + f" (the rule of {origin})." if origin != here else text.rstrip()[:-1] + "."
                if origin != here and b.kind == "definition":
                    text = (text + " " if text else "") + f"Defined in {origin}."
        elif not b.equations and derived.first(derived.notes, (b.kind, b.title, b.text), here) is not None:
            continue
        if b.display and not display and not eqs:
            if b.kind != "definition":  # a note whose rule was stated before: kept unless said before
                if derived.first(derived.notes, (b.kind, b.title, b.text), here) is not None:
                    continue
            else:
                headings.add(len(blocks))
        title = _gradient_title(eqs) if b.kind == "gradient" and 0 < len(eqs) < len(b.equations) else b.title
        if not rewritten and len(eqs) == len(b.equations) and (title or b.title) == b.title \
                and display == b.display and text == b.text:
            blocks.append(b)  # nothing dropped or rewritten: the block as it is (11k at 10k parameters)
        else:
            blocks.append(replace(b, title=title or b.title, equations=tuple(eqs), display=display, text=text))
    kept = []
    for i, b in enumerate(blocks):
        if i in headings and not (i + 1 < len(blocks) and i + 1 not in headings and blocks[i + 1].equations):
            continue
        kept.append(b)
    return kept, dropped, whole


def refer_back(parts: list[Part], derived: Derived, here: str, asked: set[str],
               recall: Callable[[list[Equation]], list[str]], loss_asked: bool, loss_name: str = "L") -> list[Part]:
    """``parts`` without what an earlier question (or an earlier part of this one)
    derived; at the top of each part, one "From <question>" line per earlier question
    with the values the rest of this question uses.

    Args:
        parts: the question's parts, built in full.
        derived: the key's record so far (updated).
        here: this question's label.
        asked: the left-hand sides of the quantities the question asks for (recalled
            when an earlier question derived them).
        recall: the lines recalling equations of asked quantities (a layer's gradients
            as one matrix when all of them are recalled).
        loss_asked: whether the question asks for the loss (else the loss is not recalled).
        loss_name: the loss's LaTeX name.
    """
    filtered = [(p, *_filter_part(p, derived, here)) for p in parts]
    used: list[str] = []  # everything the kept blocks write, joined when first asked (not when nothing is dropped)

    def needed(lhs: str) -> bool:
        if lhs == loss_name or lhs.startswith(loss_name + "^"):
            return loss_asked
        if lhs in asked:
            return True
        if not used:
            used.append(" ".join(" ".join([b.text, b.display] + [eq.inline for eq in b.equations])
                                 for part, blocks, _, _ in filtered if not part.fresh for b in blocks))
        return _uses(lhs, used[0])

    out = []
    for part, blocks, dropped, whole in filtered:
        by_origin: dict[str, list[Equation]] = {}
        origin_of = {}
        for origin, eq in dropped:
            origin_of[eq] = origin
            if origin == here or not eq.lhs or not needed(eq.lhs):
                continue
            by_origin.setdefault(origin, []).append(eq)
        also: dict[str, list[str]] = {}  # blocks derived before whose values this question does not use
        for title, eqs in whole:
            origin = origin_of[eqs[0]]
            if origin != here and not any(eq in by_origin.get(origin, ()) for eq in eqs):
                also.setdefault(origin, []).append(title)
        recaps = []
        for origin in dict.fromkeys([*by_origin, *also]):
            eqs = by_origin.get(origin, [])
            items = [recalled(eq) for eq in eqs if eq.lhs not in asked]
            items += recall([eq for eq in eqs if eq.lhs in asked])
            titles = also.get(origin, [])
            text = (f"As derived there ({'; '.join(t.rstrip('.') for t in titles)})." if 0 < len(titles) <= 2
                    else "")
            if not items and not text:
                continue
            recaps.append(Block("recap", f"From {origin}", text, display=_rows(items) if items else ""))
        content = recaps + blocks
        if any(b.display or b.equations or b.kind not in ("definition", "recap") for b in content):
            out.append(replace(part, blocks=tuple(content)))
    return out
