"""The words of a convolution's gradient rules: a dilation's position as an English ordinal
(it printed "21th"), and the input rows and columns no window covers (a stride or a dilation
stepping past them) named, with their gradient 0 in the key's numbers too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.key.tensor_rules import ordinal


@pytest.mark.parametrize("n, text", [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"), (12, "12th"), (13, "13th"),
    (21, "21st"), (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th"), (112, "112th"), (113, "113th"),
    (1021, "1021st")])
def test_ordinal(n, text):
    assert ordinal(n) == text


def _solve(tmp: Path, inputs: str, nodes: str, gradients: str = "[X, K]") -> tuple[str, dict]:
    """The Markdown key and the answers JSON of a graph problem with ``inputs`` (X and more) and
    ``nodes``, asked the gradients of ``gradients``."""
    path = tmp / "conv.yaml"
    path.write_text(f"title: t\ngraph:\n  inputs:\n{inputs}\n  parameters:\n    b: [0.1]\n  nodes:\n{nodes}\n"
                    f"  output: L\nquestions:\n  - {{id: q1, ask: [gradients], gradients: {gradients}}}\n",
                    encoding="utf-8")
    r = CliRunner().invoke(main, ["solve", str(path), "-f", "md", "-f", "json", "-o", str(tmp)])
    assert r.exit_code == 0, r.output
    return (tmp / "conv.md").read_text(encoding="utf-8"), json.loads((tmp / "conv.json").read_text(encoding="utf-8"))


def _gradient(data: dict, of: str) -> list:
    """The exact gradient of ``of`` (its first channel), as the answers JSON gives it."""
    return next(a["exact"] for a in data["questions"][0]["answers"] if a["kind"] == "gradient" and a["of"] == of)[0]


@pytest.mark.parametrize("d, nth", [(2, "second"), (3, "third"), (11, "11th"), (21, "21st"), (22, "22nd"),
                                    (23, "23rd")])
def test_a_dilation_is_read_at_every_nth_position(tmp_path, d, nth):
    row = ", ".join(str(i % 3) for i in range(d + 1))
    md, _ = _solve(tmp_path, f"    X: [[[{row}]]]\n    K: [[[[0.5, -1]]]]",
                   f"    Z: conv2d(X, K, b, dilation={d})\n    L: sum(Z * Z)")
    assert (r"$\partial L/\partial K$ is the correlation of the padded input with $\delta^{Z}$, read at every "
            f"{nth} position (the dilation):") in md


X5 = "    X: [[[1, 2, 0, 1, 3], [0, 1, 3, 1, 2], [2, 1, 0, 2, 1], [1, 0, 1, 1, 0], [2, 1, 1, 0, 1]]]"


def test_rows_and_columns_a_stride_steps_past_are_named_with_their_zero_gradient(tmp_path):
    """5 × 5 input, 2 × 2 kernel, stride 2: the windows cover rows and columns 1–4; the fifth
    of each takes no part in Z, and its gradient is 0, as the key's matrix shows."""
    md, data = _solve(tmp_path, X5 + "\n    K: [[[[0.5, -1], [2, 1]]]]",
                      "    Z: conv2d(X, K, b, stride=2)\n    L: sum(Z * Z)")
    assert ("over every window that covers it. With stride 2, no window covers row 5 or column 5 of $X$: those "
            r"elements take no part in $Z$, so $\delta^{X}$ is 0 there.") in md
    dx = _gradient(data, "X")
    assert dx[4] == ["0"] * 5 and [r[4] for r in dx] == ["0"] * 5
    assert dx[3][:4] == ["42/5", "21/5", "22/5", "11/5"]  # the covered ones are not
    assert md.count("no window covers") == 1  # the kernel's rule has no such rows


def test_rows_between_windows_are_named_too(tmp_path):
    """A 1 × 1 kernel with stride 2 steps over rows and columns 2 and 4."""
    md, data = _solve(tmp_path, X5 + "\n    K: [[[[2]]]]", "    Z: conv2d(X, K, b, stride=2)\n    L: sum(Z * Z)")
    assert ("With stride 2, no window covers rows 2 and 4 or columns 2 and 4 of $X$: those elements take no part "
            r"in $Z$, so $\delta^{X}$ is 0 there.") in md
    dx = _gradient(data, "X")
    assert dx[1] == dx[3] == ["0"] * 5 and all(r[1] == r[3] == "0" for r in dx)


@pytest.mark.parametrize("inputs, nodes, sentence, row, gradient", [
    # only the rows a stride misses, when the columns are covered
    ("    X: [[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1], [2, 1, 1, 0]]]", "stride=2)\n    L: sum(Z * Z)",
     r"With stride 2, no window covers row 5 of $X$: those elements take no part in $Z$, so $\delta^{X}$ is 0 there.",
     4, ["0"] * 4),
    # a 2 × 2 kernel dilated by 4 on a 5 × 5 input: one window, its taps on rows and columns 1 and 5
    (X5, "dilation=4)\n    L: sum(Z * Z)",
     "With dilation 4, no window covers rows 2, 3 and 4 or columns 2, 3 and 4 of $X$: those elements take no "
     r"part in $Z$, so $\delta^{X}$ is 0 there.", 2, ["0"] * 5),
    # X also feeds sum(X): the convolution passes the fifth row and column nothing, but their
    # gradient is 1, not 0
    (X5, "stride=2)\n    L: sum(Z * Z) + sum(X)",
     "With stride 2, no window covers row 5 or column 5 of $X$: those elements take no part in $Z$, which "
     "passes them no gradient.", 4, ["1"] * 5),
])
def test_the_rows_no_window_covers_are_named_with_their_gradient(tmp_path, inputs, nodes, sentence, row, gradient):
    md, data = _solve(tmp_path, inputs + "\n    K: [[[[0.5, -1], [2, 1]]]]", "    Z: conv2d(X, K, b, " + nodes)
    assert sentence in md
    assert _gradient(data, "X")[row] == gradient


def test_no_sentence_when_every_row_is_covered(tmp_path):
    """Stride 2 and padding 1 with a 3 × 3 kernel on a 5 × 5 input: the windows cover it all."""
    md, _ = _solve(tmp_path, X5 + "\n    K: [[[[0.1, -0.2, 0.3], [0.0, 0.4, -0.1], [0.2, -0.3, 0.1]]]]",
                   "    Z: conv2d(X, K, b, stride=2, padding=1)\n    L: sum(Z * Z)")
    assert "spread out by the stride" in md and "no window covers" not in md
