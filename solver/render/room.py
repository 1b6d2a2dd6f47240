"""How much room on a page what follows a heading needs, in text lines, so that a heading
never stands alone at the bottom of a page (``\\needspace``) and a question paper leaves
space sized to the answer: estimated from the rows, matrices and fractions of the
equations, as :mod:`.text` breaks them."""

from __future__ import annotations

import re

from .prose import display_rows
from .text import _WIDTH, math_rows

_ROWS = re.compile(r"\\begin\{(array|cases|[bp]?matrix|gathered|aligned)\}(.*?)\\end\{\1\}", re.S)


def _row_height(tex: str) -> float:
    """The height of an equation row in text lines: a matrix (or cases, gathered) is as tall
    as its rows, a fraction or a sum two lines."""
    height = 2.0 if "\\frac" in tex or "\\sum" in tex else 1.0
    for m in _ROWS.finditer(tex):
        height = max(height, 1.3 * (m.group(2).count("\\\\") + 1) + 0.5)
    return height


def heading_only(block) -> bool:
    """A block that is only a title (a layer's heading in the forward pass)."""
    return bool(block.title) and not (block.text or block.equations or block.display)


def needed_lines(block, width: int = _WIDTH, following=None) -> int:
    """How many text lines a block needs on its page before it may start there: its title and
    text, then its first equation whole (an equation never breaks across pages), with the
    space around a display. A block that is only a heading needs its own 2 lines and what the
    block ``following`` it needs (8 lines when that is not known): the block after a heading
    asks for no room of its own, which could only strand the heading."""
    if heading_only(block) and following is not None:
        return min(30, 2 + needed_lines(following, width))
    text = len(block.title) + len(block.text)
    lines = (text + 89) // 90 if text else 0
    if block.equations:
        lines += sum(_row_height(rhs) for _, _, rhs in math_rows(block.equations[0], width)) + 1.5
    elif block.display:
        lines += _row_height(display_rows(block.display, width)) + 1.5
    elif block.title and not block.text:
        lines += 8
    return min(30, int(lines + 0.999))


def part_lines(part, width: int = _WIDTH) -> int:
    """The lines a part's heading needs below it: the heading (4 lines with the space around
    it) and its first blocks, as many as make 8 lines of content (a short definition is not
    enough to start a page)."""
    lines, content = 4, 0
    for b in part.blocks:
        content += needed_lines(b, width)
        if content >= 8:
            break
    return min(30, lines + content)


def section_lines(sec, width: int = _WIDTH) -> int:
    """The lines a question's heading needs below it: the heading (4 lines), the question's
    text and its first part."""
    return min(36, 4 + (len(sec.text) + 89) // 90 + (part_lines(sec.parts[0], width) if sec.parts else 0))




def answer_lines(sec) -> int:
    """How many lines a question's worked solution takes (headings, text, equation rows,
    table rows, final answers): the measure of the answer space left on a question paper."""
    lines = len(sec.final) + sum(len(t.rows) + 2 for t in sec.tables) + 8 * len(sec.plots)
    for part in sec.parts:
        lines += 1
        for b in part.blocks:
            lines += bool(b.title or b.text) + bool(b.display)
            lines += sum(len(math_rows(eq)) for eq in b.equations)
    return lines
