"""Tensors of sympy expressions and the descriptor every tensor operation fills in.

A :class:`STensor` holds one sympy expression per element, row-major (the last axis
fastest, as NumPy and PyTorch store them). A graph problem's named tensors are tensors
of symbols (``X[0,1,2]``); an operation applied to them gives the expression of each
output element in the elements of its inputs (a convolution's cell is the sum of its
window's products), so values and gradients come from the scalar graph's exact
evaluation and reverse accumulation, element by element.
"""

from __future__ import annotations

import itertools
from math import prod
from typing import Callable

import msgspec
import sympy as sp
from msgspec import field

#: At most this many elements in one tensor (a key prints every one of them as a matrix).
MAX_ELEMENTS = 4096


class TensorError(ValueError):
    """An operation whose arguments do not fit (shapes, keywords): the message names the
    operation and says what is wrong, on one line."""


class STensor(msgspec.Struct, frozen=True):
    """A tensor of sympy expressions.

    Attributes:
        shape: the size of each axis (``()`` for a scalar).
        data: the elements, row-major (``len(data) == prod(shape)``).
    """

    shape: tuple[int, ...]
    data: tuple[sp.Expr, ...]

    def __post_init__(self):
        if len(self.data) != prod(self.shape):
            raise TensorError(f"{len(self.data)} elements do not fill a shape {self.shape}")
        if len(self.data) > MAX_ELEMENTS:
            raise TensorError(f"a tensor of shape {shape_text(self.shape)} has more than {MAX_ELEMENTS} elements")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return len(self.data)

    def strides(self) -> tuple[int, ...]:
        return strides(self.shape)

    def __getitem__(self, index: tuple[int, ...]) -> sp.Expr:
        return self.data[sum(i * s for i, s in zip(index, self.strides()))]

    def map(self, fn: Callable[[sp.Expr], sp.Expr]) -> "STensor":
        return STensor(self.shape, tuple(fn(x) for x in self.data))

    def nested(self, fn: Callable = lambda x: x):
        """The elements as nested lists in the tensor's shape (a bare element for a scalar)."""
        return nest(self.shape, [fn(x) for x in self.data])


def strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major strides, in elements."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return tuple(reversed(out))


def indices(shape: tuple[int, ...]):
    """Every index of ``shape``, row-major."""
    return itertools.product(*(range(n) for n in shape))


def nest(shape: tuple[int, ...], flat: list):
    """``flat`` (row-major) as nested lists of ``shape``."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [nest(shape[1:], flat[i * step:(i + 1) * step]) for i in range(shape[0])]


def shape_text(shape: tuple[int, ...]) -> str:
    """``1×4×4`` (``scalar`` for ``()``)."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def from_nested(value, name: str) -> STensor:
    """A tensor from nested lists of sympy numbers (a number gives a scalar).

    Raises:
        TensorError: ragged lists or an empty list, naming ``name``.
    """
    if not isinstance(value, list):
        return STensor((), (value,))
    shape, flat = [], []

    def walk(v, depth: int) -> None:
        if isinstance(v, list):
            if not v:
                raise TensorError(f"'{name}' has an empty list")
            if depth == len(shape):
                shape.append(len(v))
            elif depth > len(shape) - 1 or shape[depth] != len(v):
                raise TensorError(f"'{name}' is ragged: its lists along axis {depth} differ in length")
            for item in v:
                walk(item, depth + 1)
        else:
            if depth != len(shape):
                raise TensorError(f"'{name}' is ragged: numbers and lists mixed at one depth")
            flat.append(v)

    walk(value, 0)
    if len(flat) != prod(shape):
        raise TensorError(f"'{name}' is ragged: its lists differ in length")
    return STensor(tuple(shape), tuple(flat))


class Keyword(msgspec.Struct, frozen=True):
    """A keyword argument of an operation: its name, default, and what it accepts
    (``int`` ≥ ``least``, a list of ints with ``kind='shape'``, an axis, or with
    ``kind='number'`` a number read exactly); ``in_latex`` when the operation's LaTeX
    shows it (``x_{2}`` for ``select(x, index=1)``), else the statement lists it where it is not
    the default, or always when ``stated`` (a pooling's kernel: PyTorch has no default for it)."""

    name: str
    default: object = None
    kind: str = "int"
    least: int = 0
    in_latex: bool = False
    stated: bool = False


class TensorOp(msgspec.Struct, frozen=True):
    """One operation of tensor expressions: everything every stage reads about it.

    Attributes:
        name: its name in expressions (``conv2d``).
        arity: (least, most) positional arguments (``most`` None: any number).
        keywords: its keyword arguments.
        apply: ``apply(args, kw) -> STensor``, from tensors of expressions; raises
            :class:`TensorError` when the shapes do not fit.
        latex: ``latex(arg_latex, kw) -> str``, the operation applied, in LaTeX.
        cells: how the key shows a node made by it: ``sum`` (every element as its sum of
            products with the numbers substituted, up to :data:`CELLS` per channel;
            one worked element and a matrix beyond), ``matrix`` (the result as
            matrices, one element worked), ``window`` (pooling: each window's result).
        note: a sentence of the key stating its convention (LaTeX in ``$…$``).
        source: where its definition comes from (PyTorch's name for it).
        arg_names: the names of its positional arguments, which an expression may also pass
            by name after the ones before them (``attention(Q, K, V, mask=M)``).
        zero_one: ``zero_one(kw) -> int | None``: the positional argument that must hold only
            0s and 1s (a mask: dropout's, a boolean attention mask), given the keyword values.
    """

    name: str
    arity: tuple[int, int | None]
    apply: Callable[..., STensor]
    latex: Callable[..., str]
    keywords: tuple[Keyword, ...] = ()
    cells: str = "matrix"
    note: str = ""
    source: str = ""
    scalar_args: tuple[int, ...] = field(default=())
    #: names by which its positional arguments may also be given, in order (``mask=M``)
    arg_names: tuple[str, ...] = ()
    zero_one: Callable[[dict], int | None] | None = None

    def arity_text(self) -> str:
        least, most = self.arity
        if most == least:
            return f"{least} argument{'s' if least != 1 else ''}"
        return f"at least {least} arguments" if most is None else f"{least} to {most} arguments"


#: Up to this many cells per channel, the key shows every cell of a convolution or pooling worked out.
CELLS = 16


def unevaluated_sum(terms: list[sp.Expr]) -> sp.Expr:
    """The terms as one sum as written (0 for none, the term itself for one)."""
    if not terms:
        return sp.Integer(0)
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def product(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``a b`` as written."""
    return sp.Mul(a, b, evaluate=False)


def scaled(coefficient: sp.Expr, x: sp.Expr) -> sp.Expr:
    """``coefficient · x`` as written (``x`` itself for 1)."""
    return x if coefficient == 1 else sp.Mul(coefficient, x, evaluate=False)
