"""What every export target shares: the descriptor (:class:`Export`), the exported
question (:class:`Item`, one per problem or variant: its blanks, its HTML text and
feedback, its images) and the deterministic XML and zip writers.

A target is one module of :mod:`solver.render.exports` defining ``EXPORT``."""

from __future__ import annotations

from typing import Callable

import msgspec

from ....core.tolerance import Tolerance
from ....key.model import Solution
from ...diagram import diagram
from .blanks import Blank, blanks, decimal_text, weights
from .feedback import plot_name
from .package import file_name, xml_bytes, zip_bytes


class Item(msgspec.Struct, frozen=True):
    """One exported question.

    Attributes:
        name: a file-name-safe identifier (the problem's stem, with the variant code).
        code: the variant's code (``2026-3``), or ``""`` for the problem as written.
        solution: the key; ``blanks`` its asked numbers with their tolerances.
        rule: the tolerance rule the blanks follow.
        images: ``(file name, SVG bytes)``: the question's diagram (no answers), the key's
            diagram (its values) and training plots; names of portable ASCII (:func:`.package.file_name`).
        question_diagram, key_diagram: those two file names (``""`` without a figure).
    """

    name: str
    code: str
    solution: Solution
    blanks: tuple[Blank, ...]
    rule: Tolerance
    images: tuple[tuple[str, bytes], ...]
    question_diagram: str = ""
    key_diagram: str = ""

    @property
    def title(self) -> str:
        return self.solution.title


def item(solution: Solution, grading=None, code: str = "") -> Item:
    """The exported question of a solved problem; ``grading`` is the problem's grading
    block (its tolerance rule and points), or ``None`` for the defaults (the key's
    displayed rounding, 1 point an answer)."""
    from ...drawing import svg as diagram_svg
    from ...plots import svg as plot_svg

    rule = grading.rule() if grading is not None else Tolerance()
    images, names = [], {}
    for sheet in ("questions", "key"):
        d = diagram(solution.figure, sheet)
        if d is not None:
            names[sheet] = file_name(f"{solution.stem}-{sheet}-diagram.svg")
            images.append((names[sheet], diagram_svg(d).encode("utf-8")))
    images += [(plot_name(solution, p), plot_svg(p).encode("utf-8")) for sec in solution.sections for p in sec.plots]
    return Item(solution.stem, code, solution, tuple(blanks(solution, rule, grading)), rule, tuple(images),
                names.get("questions", ""), names.get("key", ""))


class Export(msgspec.Struct, frozen=True):
    """An export target.

    Attributes:
        name: the ``--to`` name; ``help`` one line for ``--help`` and the README.
        write: ``(items, stem, seed, source) -> [(relative path, bytes)]``: the files of the
            export of ``items`` (one per problem or variant) of the problem ``stem``
            (``seed``: the variants' seed, or ``None``; ``source``: the problem file's folder
            name and stem, ``a/relu``, which tells apart two problems of one stem).
        order: where it stands in ``--help``; then by name.
    """

    name: str
    help: str
    write: Callable[[list[Item], str, int | None, str], list[tuple[str, bytes]]]
    order: int = 100


__all__ = ["Blank", "Export", "Item", "decimal_text", "item", "weights", "xml_bytes", "zip_bytes"]
