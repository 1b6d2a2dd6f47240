"""A variant's paper must not contradict itself: its Given section lists the variant's own
values, so a statement, a question's text or a title that writes a value ``randomize``
changes (``x_1 = 1`` while ``network.inputs.x1`` is drawn) would say the file's number beside
the student's. ``nnsolve variants`` (and ``--check``, ``export --variants``, ``validate``)
refuse such a problem, one line naming the field; ``\\given{path}`` writes each paper's own
value instead (:mod:`solver.problem.placeholders`).

What the text states is read by :func:`~solver.problem.stated.stated`; it is judged against
every number of the problem, drawn or not, by exact value (``0.10`` is ``0.1``):

- ``name = value``: the name as the key writes it (``x_1``, ``w_5``, ``b_1``, ``W^{(1)}_{12}``)
  or its letter (``b``, ``b^{(1)}`` for layer 1, ``x``, ``y`` for the target) states a drawn
  quantity whose value it is; a name of a quantity not drawn (``x_2 = 2``) states nothing
  drawn, whatever equals it;
- a tuple, ``(0, 1)``, states a drawn vector (a target, the inputs, a bias vector, a row of
  weights) that it equals;
- any other decimal that is not a whole number, ``0.1``, states the drawn quantity it equals.

A value that a quantity not drawn has as well (``learning rate 0.1`` beside a drawn bias of
0.1) is taken for that one, and whole numbers alone are never read (``a 2-2-2 network``).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import msgspec
import sympy as sp
from msgspec.structs import fields as struct_fields

from ..core.errors import ProblemError
from ..core.names import latex_name
from ..graph.naming import Namer, layer_names
from ..ops.activations import ACTIVATIONS
from ..ops.losses import LOSSES
from ..ops.optimizers import OPTIMIZERS
from ..problem.placeholders import texts
from ..problem.randomize import joined, steps
from ..problem.schema import Problem
from ..problem.stated import Stated, stated

_FONT = re.compile(r"\\(?:mathbf|boldsymbol|bm|mathrm|mathit|mathsf|operatorname)\s*\{([^{}]*)\}")


class Quantity(NamedTuple):
    """One number of the problem: its path, the randomize path that draws it (``None``: every
    paper has the file's), its value, its names as keys (:func:`_key`), letters and layer."""

    path: str
    drawn: str | None
    value: sp.Rational
    label: str
    names: frozenset
    stems: frozenset
    layer: int | None

    @property
    def hint(self) -> str:
        return f"\\given{{{self.path}}}"


class Vector(NamedTuple):
    """Numbers of the problem a tuple may state together: a list (a target, a row of weights),
    the inputs by name, or one example of a batch's inputs; what writes it in the text."""

    label: str
    values: tuple
    parts: tuple
    hint: str


def check_stated(data: dict, problem: Problem, file: str | None = None) -> None:
    """Refuse a problem with a randomize block whose texts state a value it draws.

    Raises:
        ProblemError: naming the text's field and what it states.
    """
    if problem.randomize is None:
        return
    scalars, vectors = _quantities(problem)
    if not any(q.drawn for q in scalars):
        return
    for field, text, _ in texts(data):
        for s in stated(text):
            hits = _judge(s, scalars, vectors)
            if hits:
                raise ProblemError(_message(s, hits), file=file, field=field)


def _message(s: Stated, hits: list) -> str:
    """``states x_1 = 1, which randomize changes (network.inputs.x1): …``; for a bare number the
    quantities it is the value of (``the value of w2 or b1``)."""
    drawn = ", ".join(dict.fromkeys(q.drawn for h in hits for q in (h.parts if isinstance(h, Vector) else (h,))
                                    if q.drawn))
    labels = list(dict.fromkeys(h.label for h in hits))
    which = "" if s.names and not isinstance(hits[0], Vector) else \
        f" the value of {', '.join(labels[:-1]) + ' or ' if len(labels) > 1 else ''}{labels[-1]},"
    where = hits[0].hint if len(labels) == 1 else "\\given{…} with the path of the one it stands for"
    return (f"states {s.source},{which} which randomize changes ({drawn}): each paper's Given section lists its "
            f"own value (in its place write {where}, or leave the number out)")


def _judge(s: Stated, scalars: list[Quantity], vectors: list[Vector]) -> list:
    """The drawn quantities (or vectors) that ``s`` states: none, one, or those it may be."""
    if s.names and len(s.names) == len(s.values):
        for name, value in zip(s.names, s.values):
            hits = _named(name, value, scalars)
            hits = _bare(value, scalars) if hits is None else hits
            if hits:
                return hits
        return []
    same = [v for v in vectors if v.values == s.values] if len(s.values) > 1 else []
    if same:  # a vector of the problem: drawn unless one not drawn at all is equal too
        drawn = [v for v in same if any(q.drawn for q in v.parts)]
        return drawn if len(drawn) == len(same) else []
    return next((hits for hits in (_bare(v, scalars) for v in s.values) if hits), [])


def _named(name: str, value, scalars: list[Quantity]) -> list[Quantity] | None:
    """The drawn quantities that ``name = value`` states, or ``None`` when the name is no
    quantity's (``\\eta``, ``n``)."""
    key = _key(name)
    exact = [q for q in scalars if key in q.names]
    if exact:
        return _only_drawn([q for q in exact if q.value == value])
    letters = re.match(r"[A-Za-z]*", key).group().lower()
    layer = re.search(r"\((\d+)\)", key)
    pool = [q for q in scalars if letters in q.stems and (layer is None or q.layer in (None, int(layer.group(1))))]
    return _only_drawn([q for q in pool if q.value == value]) if pool else None


def _bare(value, scalars: list[Quantity]) -> list[Quantity]:
    """The drawn quantities a decimal that is not a whole number states."""
    return [] if value.is_integer else _only_drawn([q for q in scalars if q.value == value])


def _only_drawn(equal: list[Quantity]) -> list[Quantity]:
    """The drawn quantities of those with the value stated, unless one not drawn has it too."""
    return [] if any(q.drawn is None for q in equal) else equal


def _key(name: str) -> str:
    """A name as a key to compare: ``x_{1}``, ``x_1`` and ``x1`` are ``x1``; ``b^{(1)}`` is
    ``b(1)``; ``\\mathbf{x}`` is ``x``; ``\\hat{y}`` is ``haty`` (not ``y``)."""
    return re.sub(r"[\s{}_^,\\]", "", _FONT.sub(r"\1", name))


def _quantities(problem: Problem) -> tuple[list[Quantity], list[Vector]]:
    """Every number of the problem (its randomize and grading blocks aside), and its lists."""
    drawn = list(problem.randomize.values)
    names = _layer_names(problem)
    scalars: list[Quantity] = []
    vectors: list[Vector] = []

    def under(path: str) -> str | None:
        return next((d for d in drawn if path == d or path.startswith((d + "[", d + "."))), None)

    def walk(obj, path: str) -> Quantity | None:
        if isinstance(obj, sp.Rational):
            label, keys, stems, layer = _naming(steps(path), names)
            q = Quantity(path, under(path), obj, label, keys, stems, layer)
            scalars.append(q)
            return q
        items = (list(enumerate(obj)) if isinstance(obj, list) else list(obj.items()) if isinstance(obj, dict)
                 else [(f.name, getattr(obj, f.name)) for f in struct_fields(obj)
                       if path or f.name not in ("randomize", "grading")] if isinstance(obj, msgspec.Struct) else [])
        found = [walk(x, f"{path}[{k}]" if isinstance(k, int) else f"{path}.{k}" if path else k) for k, x in items]
        if len(found) > 1 and all(found) and not isinstance(obj, msgspec.Struct):
            vectors.append(Vector(path, tuple(q.value for q in found), tuple(found), f"\\given{{{path}}}"))
        return None

    walk(problem, "")
    return scalars, vectors + _examples(problem, scalars)


def _examples(problem: Problem, scalars: list[Quantity]) -> list[Vector]:
    """Each example of a batch of inputs, ``x^{[2]} = (2, -1)``: the inputs' values at it."""
    inputs = problem.network.inputs if problem.network is not None else {}
    sizes = {len(v) if isinstance(v, list) and not isinstance(v[0], list) else 0 for v in inputs.values()}
    if len(inputs) < 2 or len(sizes) != 1 or 0 in sizes:
        return []
    by_path = {q.path: q for q in scalars}
    out = []
    for k in range(sizes.pop()):
        parts = tuple(by_path[f"network.inputs.{name}[{k}]"] for name in inputs)
        out.append(Vector(f"example {k + 1} of the inputs", tuple(q.value for q in parts), parts,
                          f"({', '.join(q.hint for q in parts)})"))
    return out


def _layer_names(problem: Problem) -> list:
    """Each dense layer's names of weights and biases, as the key names them."""
    net = problem.network
    if net is None or net.convolutional or net.recurrent:
        return []
    namer, n_in, out = Namer(), len(net.inputs), []
    for li, layer in enumerate(net.layers):
        if not hasattr(layer, "weights"):
            return out
        out.append(layer_names(problem, namer, li, n_in))
        n_in = layer.units
    return out


def _naming(st: list, names: list) -> tuple[str, frozenset, frozenset, int | None]:
    """(label, names as keys, letters, layer) of the number at the path of ``st``."""
    key, stems, layer = None, set(), None
    if st[:2] == ["network", "inputs"] and len(st) > 2:
        key = st[2]
    elif st[:2] == ["network", "layers"] and len(st) > 3:
        li, field = st[2], st[3]
        layer, nm = li + 1, names[li] if li < len(names) else None
        if field == "weights":
            stems = {"w"}
            key = nm.weights.get((st[4], st[5])) if nm and len(st) > 5 else None
        elif field == "bias":
            j = st[4] if len(st) > 4 else 0
            stems, key = {"b"}, nm.bias[j] if nm and j < len(nm.bias) else None
        else:
            key = field
    elif st[0] == "target" or st[0] == "questions" and len(st) > 2 and st[2] == "target":
        j = st[-1] + 1 if isinstance(st[-1], int) else 1
        return joined(st), frozenset({f"y{j}", f"t{j}"}), frozenset({"y", "t"}), None
    elif st[0] == "graph" and len(st) > 2 and st[1] in ("inputs", "parameters"):
        key = st[2]
    else:
        key = next((s for s in reversed(st) if isinstance(s, str)), None)
    if key is None:
        return joined(st), frozenset(), frozenset(stems), layer
    keys = {_key(key), _key(latex_name(key)), *([_key(_symbols()[key])] if key in _symbols() else [])}
    stems.add(re.match(r"[A-Za-z]*", key).group().lower())
    return key, frozenset(keys), frozenset(stems), layer


@functools.cache
def _symbols() -> dict[str, str]:
    """The symbol the key writes for each parameter of an activation, a loss or an optimizer
    (``slope``: ``\\alpha``, ``learning_rate``: ``\\eta``), and for a penalty's λ."""
    out = {"learning_rate": r"\eta", "l1": r"\lambda", "l2": r"\lambda"}
    for registry in (ACTIVATIONS, LOSSES, OPTIMIZERS):
        out.update((p.name, p.latex) for d in registry.values() for p in d.params)
    return out
