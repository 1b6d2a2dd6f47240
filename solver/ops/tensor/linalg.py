"""Matrix product, transpose, and the operations that only rearrange elements
(``reshape``, ``flatten``, ``concat``, ``select``: row ``index`` of the first axis), as PyTorch
defines them (``torch.matmul``, ``.T``, ``torch.reshape``, ``torch.flatten``, ``torch.cat``,
``torch.select(input, 0, index)``)."""

from __future__ import annotations

from math import prod

from ...core.errors import counted
from .base import (
    Keyword,
    STensor,
    TensorError,
    TensorOp,
    indices,
    product,
    shape_text,
    unevaluated_sum,
)


def superscriptable(tex: str) -> str:
    """``tex`` ready for a superscript: in braces when it has one already (``{W^{(2)}}^\\top``)."""
    return f"{{{tex}}}" if "^" in tex else tex


def _matmul(args, kw) -> STensor:
    """``A @ B`` for vectors and matrices: (n)@(n) a scalar, (m×n)@(n) a vector, (n)@(n×p) a
    vector, (m×n)@(n×p) a matrix; each element the sum of products as written."""
    a, b = args
    if not (1 <= a.ndim <= 2 and 1 <= b.ndim <= 2):
        raise TensorError(f"'@' multiplies vectors and matrices, not shapes {shape_text(a.shape)} and "
                          f"{shape_text(b.shape)}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0]
    if inner_a != inner_b:
        raise TensorError(f"'@': shapes {shape_text(a.shape)} and {shape_text(b.shape)} do not fit "
                          f"({inner_a} columns against {inner_b} rows)")
    rows = a.shape[0] if a.ndim == 2 else None
    cols = b.shape[1] if b.ndim == 2 else None

    def cell(i, j):
        return unevaluated_sum([product(a[(i, k) if rows is not None else (k,)], b[(k, j) if cols is not None else (k,)])
                                for k in range(inner_a)])
    shape = tuple(n for n in (rows, cols) if n is not None)
    data = tuple(cell(i, j) for i in range(rows or 1) for j in range(cols or 1))
    return STensor(shape, data)


def _transpose(args, kw) -> STensor:
    (a,) = args
    if a.ndim > 2:
        raise TensorError(f"transpose() takes a vector or a matrix, not a tensor of shape {shape_text(a.shape)}")
    if a.ndim < 2:
        return a
    m, n = a.shape
    return STensor((n, m), tuple(a[(i, j)] for j in range(n) for i in range(m)))


def _reshape(args, kw) -> STensor:
    (a,) = args
    shape = list(kw["shape"])
    if shape.count(-1) > 1:
        raise TensorError("reshape(): at most one size may be -1")
    known = prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or a.size % known:
            raise TensorError(f"reshape(): {a.size} elements do not fit the shape {shape}")
        shape[shape.index(-1)] = a.size // known
    if any(n < 1 for n in shape) or prod(shape) != a.size:
        raise TensorError(f"reshape(): {a.size} elements (shape {shape_text(a.shape)}) do not fit the shape {shape}")
    return STensor(tuple(shape), a.data)


def _flatten(args, kw) -> STensor:
    (a,) = args
    start = kw["start_dim"]
    if a.ndim == 0:
        return STensor((1,), a.data)
    if start >= a.ndim:
        raise TensorError(f"flatten(): start_dim={start} but the tensor has {a.ndim} axes")
    return STensor(a.shape[:start] + (prod(a.shape[start:]),), a.data)


def _concat(args, kw) -> STensor:
    axis = kw["axis"]
    first = args[0]
    if first.ndim == 0:
        raise TensorError("concat() joins tensors, not scalars")
    if -first.ndim <= axis < 0:  # counted from the end, as torch.cat does
        axis += first.ndim
    if not 0 <= axis < first.ndim:
        raise TensorError(f"concat(): axis={axis} but the tensors have {first.ndim} axes")
    for t in args[1:]:
        if t.ndim != first.ndim or t.shape[:axis] + t.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:]:
            raise TensorError(f"concat(): shapes {shape_text(first.shape)} and {shape_text(t.shape)} differ "
                              f"off axis {axis}")
    shape = first.shape[:axis] + (sum(t.shape[axis] for t in args),) + first.shape[axis + 1:]
    offsets, o = [], 0
    for t in args:
        offsets.append(o)
        o += t.shape[axis]
    data = []
    for idx in indices(shape):
        k = idx[axis]
        which = max(i for i, off in enumerate(offsets) if off <= k)
        data.append(args[which][idx[:axis] + (k - offsets[which],) + idx[axis + 1:]])
    return STensor(shape, tuple(data))


MATMUL = TensorOp("matmul", (2, 2), _matmul, lambda a, kw: f"{a[0]} {a[1]}", source="torch.matmul",
                  note="Each element of a matrix product is the sum of the products of a row and a column.")
TRANSPOSE = TensorOp("transpose", (1, 1), _transpose, lambda a, kw: f"{superscriptable(a[0])}^{{\\top}}",
                     source="Tensor.T")
RESHAPE = TensorOp("reshape", (1, 1), _reshape, lambda a, kw: rf"\operatorname{{reshape}}({a[0]})",
                   keywords=(Keyword("shape", None, "shape"),), source="torch.reshape",
                   note="A reshape keeps the elements in row-major order; its gradient is the upstream "
                        "gradient reshaped back.")
FLATTEN = TensorOp("flatten", (1, 1), _flatten, lambda a, kw: rf"\operatorname{{flatten}}({a[0]})",
                   keywords=(Keyword("start_dim", 0),), source="torch.flatten",
                   note="Flattening keeps the elements in row-major order (channel, then row, then column); "
                        "its gradient is the upstream gradient reshaped back.")
def _select(args, kw) -> STensor:
    (a,) = args
    i = kw["index"]
    if a.ndim == 0:
        raise TensorError("select() takes a row of a tensor, not of a scalar")
    if not -a.shape[0] <= i < a.shape[0]:
        raise TensorError(f"select(): index={i} but the tensor has {counted(a.shape[0], 'row')} "
                          f"(0 to {a.shape[0] - 1})")
    i %= a.shape[0]
    step = a.size // a.shape[0]
    return STensor(a.shape[1:], a.data[i * step:(i + 1) * step])


def _select_latex(a, kw) -> str:
    head = f"{{{a[0]}}}" if "_" in a[0] or "^" in a[0] else a[0]
    return f"{head}_{{{kw['index'] + 1}}}"


SELECT = TensorOp("select", (1, 1), _select, _select_latex, keywords=(Keyword("index", 0, "axis", in_latex=True),),
                  source="torch.select(input, 0, index)",
                  note="$x_t$ is row $t$ of $x$ (counted from 1 in the key, from 0 in `index`).")
CONCAT = TensorOp("concat", (2, None), _concat, lambda a, kw: r"\left[" + ",\\ ".join(a) + r"\right]",
                  keywords=(Keyword("axis", 0),), source="torch.cat")

#: The operations of this module called by name in expressions (found by :mod:`solver.ops.tensor`).
OPS: tuple[TensorOp, ...] = (TRANSPOSE, RESHAPE, FLATTEN, CONCAT, SELECT)
