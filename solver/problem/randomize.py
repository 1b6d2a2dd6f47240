"""Per-student variants: a problem file's ``randomize`` block, its seeded draws, and the
problem data with the drawn values put in.

```yaml
randomize:
  values:                          # a path into the problem, and how to draw it
    network.layers[0].weights: {range: [-0.9, 0.9], step: 0.1, nonzero: true}
    network.inputs.x1: {choices: [1, 2, 3]}
    target: {choices: [[0, 1], [1, 0]]}
  require: [{no_kinks: 0.05}, no_ties, no_dead_units, {no_saturation: 0.999}, "abs(L) > 0.05"]
```

A ``range`` draws each element of the value at the path (a number, a vector, a matrix: the
shape as written) from the grid lo, lo + step, …, up to hi, exactly; ``choices`` replaces
the whole value by one of the choices. The requirements are checked on the graph
(:mod:`solver.graph.conditions`).

The generator is Python's ``random.Random`` (MT19937) seeded with the text
``"nnsolve:<seed>:<variant>:<attempt>"``: a text seed is hashed with SHA-512 (seeding
version 2), the same on every platform and every Python since 3.2. An integer below n
is drawn by rejection from ``getrandbits`` (not ``randrange``, whose method Python may
change), so the stream depends on nothing else; tests pin it with a golden list of draws.
"""


import copy
import random
import re
from typing import Annotated, Any

import sympy as sp
from msgspec import Meta, field
from msgspec.structs import fields as struct_fields

from .fields import Model, Number, NumberOrTensor, written

#: A path into the problem: names and list indices (``network.layers[0].weights``).
# Patterns as text, compiled by ``re`` (and kept in its cache) when first used: most runs
# have no randomize section, and compiling costs more than the module's other work.
PATH_RE = r"(?a)[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*"
_STEP = r"(?a)\.?([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]"
#: The requirements with a number (their margin or limit), and those without.
MEASURED = {"no_kinks": "0.05", "no_saturation": "0.999"}
FLAGS = ("no_ties", "no_dead_units")
MAX_GRID = 1_000_000


class Draw(Model, kw_only=True):
    """How one value is drawn: ``range: [lo, hi]`` with ``step`` (``nonzero`` skips 0), or
    ``choices``: a list of values, one of which replaces the value at the path."""

    range: Annotated[list[Number], Meta(min_length=2, max_length=2)] | None = None
    step: Number | None = None
    nonzero: bool = False
    choices: Annotated[list[NumberOrTensor], Meta(min_length=1, max_length=1000)] | None = None

    def __post_init__(self) -> None:
        if (self.range is None) == (self.choices is None):
            raise ValueError("give either range (with step) or choices")
        if self.range is not None:
            lo, hi = self.range
            if self.step is None:
                raise ValueError("step: a range needs a step (for example step: 0.1)")
            if self.step <= 0:
                raise ValueError(f"step: must be greater than 0 (got {written(self.step)})")
            if lo > hi:
                raise ValueError(f"range: the low end {written(lo)} is above the high end {written(hi)}")
            if self.size > MAX_GRID:
                raise ValueError(f"step: the range holds more than {MAX_GRID:,} values; take a larger step")
            if self.nonzero and self.size == 1 and lo == 0:
                raise ValueError("nonzero: the range holds only 0")
        elif self.step is not None:
            raise ValueError("step: only a range takes a step")

    @property
    def size(self) -> int:
        """How many values the range's grid holds."""
        lo, hi = self.range
        return int((hi - lo) / self.step) + 1

    def grid(self, k: int) -> sp.Rational:
        """The grid's ``k``-th value (from 0), exactly."""
        return self.range[0] + k * self.step


class Randomize(Model, kw_only=True):
    """What varies between students (``values``: a path into the problem → how to draw it)
    and what every variant must satisfy (``require``)."""

    values: Annotated[dict[str, Draw], Meta(min_length=1, max_length=200)]
    require: Annotated[list[str | dict[str, Number]], Meta(max_length=50)] = field(default_factory=list)

    def __post_init__(self) -> None:
        for path in self.values:
            if not re.fullmatch(PATH_RE, path):
                raise ValueError(f"values: '{path}' is not a path into the problem (names and [index], e.g. "
                                 "network.layers[0].weights)")
        for item in self.require:
            if isinstance(item, dict):
                if len(item) != 1 or next(iter(item)) not in MEASURED:
                    raise ValueError(f"require: {sorted(item)}: a requirement with a number is one of "
                                     f"{', '.join(MEASURED)} (for example no_kinks: 0.05)")
            elif item not in FLAGS and item not in MEASURED and not re.search(r"[<>]", item):
                raise ValueError(f"require: '{item}' is not a requirement: use {', '.join((*MEASURED, *FLAGS))} "
                                 "or a condition such as 'abs(L) > 0.05'")

    def requirements(self) -> list[tuple[str, sp.Rational | None, str]]:
        """Each requirement as (name, number or None, as written): ``("no_kinks", 1/20,
        "no_kinks: 0.05")``; a condition's name is ``"condition"``."""
        out = []
        for item in self.require:
            if isinstance(item, dict):
                (name, value), = item.items()
                out.append((name, value, f"{name}: {written(value)}"))
            elif item in MEASURED:
                out.append((item, sp.Rational(MEASURED[item]), item))
            else:
                out.append((item if item in FLAGS else "condition", None, item))
        return out


def steps(path: str) -> list[str | int]:
    """``network.layers[0].weights`` → ``["network", "layers", 0, "weights"]``."""
    return [int(i) if i else name for name, i in re.findall(_STEP, path)]


def joined(st: list[str | int]) -> str:
    """The path of :func:`steps` (``network.layers[0].weights``)."""
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in st).lstrip(".")


def resolve(problem, path: str):
    """The value at ``path`` in a validated problem (a number or nested lists).

    Raises:
        ValueError: the path leads nowhere, naming the first step that does not exist, or
            to a field the problem leaves out.
    """
    here = lookup(problem, path)
    if here is None:
        raise ValueError(f"'{path}' is not given in the problem, so there is nothing to vary")
    return here


def lookup(problem, path: str):
    """The value at ``path`` in a validated problem, ``None`` for a field left out.

    Raises:
        ValueError: the path leads nowhere, naming the first step that does not exist.
    """
    here: Any = problem
    done = []
    for step in steps(path):
        try:
            if isinstance(step, int):
                if not isinstance(here, list):
                    raise KeyError
                here = here[step]
            elif isinstance(here, dict):
                here = here[step]
            else:
                if step not in {f.name for f in struct_fields(here)}:
                    raise KeyError
                here = getattr(here, step)
        except (KeyError, IndexError, TypeError):
            where = joined(done) or "the problem"
            raise ValueError(f"'{path}' leads nowhere: {where} has no "
                             f"{f'[{step}]' if isinstance(step, int) else repr(step)}") from None
        done.append(step)
    return here


class Stream:
    """The draws of one attempt at one variant (see the module's docstring)."""

    def __init__(self, seed: int, variant: int, attempt: int = 0):
        self._rng = random.Random(f"nnsolve:{seed}:{variant}:{attempt}")

    def below(self, n: int) -> int:
        """An integer in [0, n), uniform, by rejection from ``getrandbits``."""
        if n <= 1:
            return 0
        bits = (n - 1).bit_length()
        while True:
            k = self._rng.getrandbits(bits)
            if k < n:
                return k


def draw(problem, randomize: Randomize, stream: Stream) -> dict[str, Any]:
    """One drawn value per path, in the file's order: exact numbers, shaped as the value at
    the path (a choice as written)."""
    out = {}
    for path, spec in randomize.values.items():
        if spec.choices is not None:
            out[path] = spec.choices[stream.below(len(spec.choices))]
        else:
            out[path] = _fill(resolve(problem, path), spec, stream)
    return out


def _fill(current, spec: Draw, stream: Stream):
    if isinstance(current, list):
        return [_fill(c, spec, stream) for c in current]
    while True:
        value = spec.grid(stream.below(spec.size))
        if not (spec.nonzero and value == 0):
            return value


def with_values(data: dict, values: dict[str, Any]) -> dict:
    """A copy of the problem's plain data with each path set to its drawn value (numbers
    written as exact decimal or fraction text, read back exactly by validation)."""
    out = copy.deepcopy(data)
    for path, value in values.items():
        *head, last = steps(path)
        here = out
        for s in head:
            here = here[s]
        here[last] = _text(value)
    return out


def _text(value):
    if isinstance(value, list):
        return [_text(v) for v in value]
    return written(value) if isinstance(value, sp.Rational) else value
