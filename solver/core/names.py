"""Names of quantities: the key used in problem files and answers, and its LaTeX.

Two schemes for layered networks (seed 000 uses the first, seeds 001/003 the second):

* ``sequential``: weights ``w1 … wN`` numbered row-major per destination neuron,
  layer after layer; biases ``b1, b2`` per layer (shared) or ``b1 … bK`` per neuron;
  neurons ``h1, h2, …`` (hidden) and ``o1, o2, …`` (output); pre-activations ``z_h1``.
* ``indexed``: ``W1[i,j]`` (LaTeX ``W^{(1)}_{ij}``, row i and column j of the matrix
  as written), ``b1[j]``, ``z1[j]``, ``a1[j]`` (``h1[j]`` with ``symbol: h``).
"""

from __future__ import annotations

import re

from .errors import ProblemError

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu",
         "sigma", "tau", "phi", "psi", "omega", "rho", "kappa", "nu", "xi", "zeta", "chi", "pi"}
SPECIAL = {"yhat": r"\hat{y}", "L": "L"}

_INDEXED = re.compile(r"^([A-Za-z]+)(\d*)\[(\d+)(?:,(\d+))?\]$")
_PLAIN = re.compile(r"^([A-Za-z]+?)_?(\d+)$")


def _base(letters: str) -> str:
    if letters in SPECIAL:
        return SPECIAL[letters]
    if letters in GREEK:
        return "\\" + letters
    if len(letters) == 1:
        return letters
    return r"\mathit{" + letters + "}"


def latex_name(key: str) -> str:
    """LaTeX for a key: ``w3`` → ``w_{3}``, ``z_h1`` → ``z_{h_{1}}``, ``W2[1,3]`` →
    ``W^{(2)}_{13}``, ``xwb0`` → ``\\mathit{xwb}_{0}``, ``alpha`` → ``\\alpha``."""
    if "#" in key:  # example n of a batch: a superscript [n]
        base, n = key.rsplit("#", 1)
        inner = latex_name(base)
        return f"{{{inner}}}^{{[{n}]}}" if "^" in inner else f"{inner}^{{[{n}]}}"
    m = _INDEXED.match(key)
    if m:
        letters, layer, i, j = m.groups()
        sep = "," if j is not None and (len(i) > 1 or len(j) > 1) else ""
        sub = i + (sep + j if j is not None else "")
        sup = f"^{{({layer})}}" if layer else ""
        return f"{_base(letters)}{sup}_{{{sub}}}"
    if key.startswith("z_") and len(key) > 2:
        return f"z_{{{latex_name(key[2:])}}}"
    m = _PLAIN.match(key)
    if m:
        return f"{_base(m.group(1))}_{{{m.group(2)}}}"
    if "_" in key:
        head, tail = key.split("_", 1)
        return f"{_base(head)}_{{{latex_name(tail)}}}"
    return _base(key)


def sequential_neurons(symbol: str, start: int, count: int) -> list[str]:
    """``h3, h4, …``: ``count`` neuron names numbered from ``start``."""
    return [f"{symbol}{start + k}" for k in range(count)]


def indexed_neurons(symbol: str, layer: int, count: int) -> list[str]:
    """``a1[1], a1[2], …`` for layer ``layer``."""
    return [f"{symbol}{layer}[{k + 1}]" for k in range(count)]


def written_once(latex: dict[str, str], fields: dict[str, str], file: str | None) -> None:
    """Two names (or a name and a tensor's element) that the key would write alike, ``A1`` and
    ``A_1`` both ``A_{1}``, or a parameter ``A_1`` and element 1 of a vector ``A``: the key
    would contradict itself (A₁ = 0.5 here, 3 there).

    Raises:
        ProblemError: naming the later name's field.
    """
    seen: dict[str, str] = {}
    for key, tex in latex.items():
        first = seen.setdefault(tex, key)
        if first != key:
            a, b = (x.split("[")[0] for x in (first, key))
            what = f"'{b}' and '{a}'" if "[" not in first + key else \
                f"'{b}' and an element of '{a}'" if "[" in first else f"an element of '{b}' and '{a}'"
            raise ProblemError(f"{what} would both be written ${tex}$ in the key; rename one", file=file,
                               field=fields.get(key.split("[")[0], fields.get(b)))


def element_label(latex: str, index: tuple[int, ...]) -> str:
    """``Q\\,[1, 2]``: a tensor's element named for people, its ``index`` numbered from 1 as the
    key writes Q₁₂ (an export's blank, a feedback line); ``latex`` itself for ``()``."""
    return latex + (f"\\,[{', '.join(map(str, index))}]" if index else "")
