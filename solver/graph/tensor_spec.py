"""Build the :class:`~solver.graph.model.Graph` of a tensor graph problem: inputs and
parameters given as nested lists, nodes written with tensor operations
(:mod:`solver.problem.tensor_expressions`).

Each named tensor becomes one scalar node per element (``Z[0,1,2]``), each computed
element an expression of its inputs' elements built by the operation
(:mod:`solver.ops.tensor`): values and gradients then come from the scalar graph's
exact evaluation and reverse accumulation, and the key groups the elements back into
tensors (:attr:`Graph.tensors`).
"""

from __future__ import annotations

import re

import sympy as sp

from ..core.errors import ProblemError
from ..core.names import latex_name, written_once
from ..core.numbers import written_latex
from ..ops.tensor import NAMED, STensor, TensorError, from_nested, indices, shape_text
from ..problem.expressions import ExpressionError
from ..problem.tensor_expressions import (
    Apply,
    Const,
    Ref,
    parse_tensor_expression,
    uses_tensor_functions,
)
from .model import Graph, Group, Node, TensorInfo, sym


def is_tensor_graph(spec) -> bool:
    """Whether a ``graph:`` section needs tensors: a value given as a list, an expression
    with a tensor operation, ``@`` or a keyword argument, or a batch."""
    leaves = [*spec.inputs.values(), *spec.parameters.values()]
    return spec.batch is not None or any(isinstance(v, list) for v in leaves) \
        or any(uses_tensor_functions(t) for t in spec.nodes.values())


def element_key(name: str, index: tuple[int, ...]) -> str:
    """The key of one element: ``Z[0,1,2]`` (0-based, as the answers JSON nests it)."""
    return name if not index else f"{name}[{','.join(map(str, index))}]"


#: A name with one subscript at its end and none before it (``h_{2}``, ``W_{xh}``, ``a^{i}_{1}``).
_SUBSCRIPTED = re.compile(r"([^_]*)_\{([^{}]*)\}")


def _top_level(tex: str) -> str:
    """``tex`` without what its braces hold (``\\delta^{h_{2}}`` → ``\\delta^``)."""
    out, depth = [], 0
    for ch in tex:
        depth += ch == "{"
        if depth == 0:
            out.append(ch)
        depth -= ch == "}"
    return "".join(out)


def element_latex(base: str, shape: tuple[int, ...], index: tuple[int, ...]) -> str:
    """``Z_{23}``: the element's indices from 1, as matrices are written, over the axes
    longer than 1 (a 1 × 4 × 4 image's pixels are ``X_{ij}``); with commas when an index
    has two digits."""
    shown = [str(i + 1) for i, n in zip(index, shape) if n > 1]
    if not shown:
        return base
    sep = "," if any(n > 9 for n in shape) else ""
    sub = _SUBSCRIPTED.fullmatch(base)
    if sub:  # h_{2} → h_{2,1}: the element's indices join the name's own subscript
        return f"{sub[1]}_{{{sub[2]},{sep.join(shown)}}}"
    head = f"{{{base}}}" if "_" in _top_level(base) else base  # W^{(4)}_{12}, \delta^{h_{2}}_{1}, {x_{0}^{2}}_{1}
    return f"{head}_{{{sep.join(shown)}}}"


def apply_tree(tree, env: dict[str, STensor]) -> STensor:
    """The tensor of element expressions that ``tree`` computes from ``env``'s tensors.

    Raises:
        TensorError: an operation whose arguments do not fit.
    """
    if isinstance(tree, Ref):
        return env[tree.name]
    if isinstance(tree, Const):
        return STensor((), (tree.value,))
    return tree.op.apply([apply_tree(a, env) for a in tree.args], tree.kwargs)


_LOOSE = ("add", "sub", "neg")


def tree_latex(tree, names: dict[str, str], scalars: frozenset = frozenset()) -> str:
    """``tree`` in LaTeX, with parentheses where a sum is an operand; a product with a
    scalar (a number, or a name in ``scalars``) is written ``w x``, not ``w \\odot x``."""
    if isinstance(tree, Ref):
        return names[tree.name]
    if isinstance(tree, Const):
        return written_latex(tree.value)
    parts = []
    for i, a in enumerate(tree.args):
        tex = tree_latex(a, names, scalars)
        loose = isinstance(a, Apply) and a.op.name in _LOOSE
        operand = tree.op.name in ("mul", "div", "matmul", "neg", "transpose") or tree.op.name.startswith("pow") \
            or (tree.op.name == "sub" and i == 1)
        if loose and operand:
            tex = rf"\left({tex}\right)"
        parts.append(tex)
    if tree.op.name == "mul" and any(isinstance(a, Const) or isinstance(a, Ref) and a.name in scalars
                                     for a in tree.args):
        if isinstance(tree.args[1], Const) and not isinstance(tree.args[0], Const):
            parts = parts[::-1]  # 3 Z, not Z 3
        return " ".join(parts)
    return tree.op.latex(parts, tree.kwargs)


def dependencies(tree) -> set[str]:
    """The names ``tree`` reads."""
    if isinstance(tree, Ref):
        return {tree.name}
    if isinstance(tree, Apply):
        return set().union(*(dependencies(a) for a in tree.args)) if tree.args else set()
    return set()


def build_tensor_graph(problem, question, file: str | None = None, topological=None) -> Graph:
    """The scalar graph of a tensor graph problem, its tensors in :attr:`Graph.tensors`.

    Raises:
        ProblemError: naming the field: a ragged value, an expression outside the grammar,
            shapes that do not fit an operation, a cycle, an unknown output.
    """
    spec = problem.graph
    leaves = [(k, "input", v, f"graph.inputs.{k}") for k, v in spec.inputs.items()]
    leaves += [(k, "parameter", v, f"graph.parameters.{k}") for k, v in spec.parameters.items()]
    names = {k: latex_name(k) for k in [*(x[0] for x in leaves), *spec.nodes]}
    trees = {}
    for k, text in spec.nodes.items():
        try:
            trees[k] = parse_tensor_expression(text, set(names))
        except ExpressionError as exc:
            raise ProblemError(str(exc), file=file, field=f"graph.nodes.{k}") from None
    if spec.output not in trees:
        raise ProblemError(f"the output '{spec.output}' is not one of the nodes", file=file, field="graph.output")
    _check_masks(trees, {k: v for k, _, v, _ in leaves}, file)
    order = topological({k: sorted(dependencies(t) & set(trees)) for k, t in trees.items()}, file)
    stages = [(k, trees[k], spec.nodes[k], f"graph.nodes.{k}") for k in order]
    output = spec.output
    if spec.batch is not None:  # the mean (sum) over the batch of the examples' losses, as a network's
        output = next(k for k in ("L", "L_batch", "L_mean") if k not in names)
        names[output] = "L" if output == "L" else r"L_{\text{batch}}"
        op = NAMED["mean"] if spec.batch == "mean" else NAMED["sum"]
        stages.append((output, Apply(op, (Ref(spec.output),), (("axis", None),)), "", "graph.batch"))
    scalar = any(a in question.ask for a in ("gradients", "update", "train"))
    return check_training(assemble(leaves, stages, names, output, scalar, file, "graph.output"), problem, file)


def _check_masks(trees: dict, values: dict, file: str | None) -> None:
    """An operation's 0/1 argument (``TensorOp.zero_one``: a dropout's mask, a boolean attention
    mask) given as an input or a parameter holds only 0s and 1s, as the network's dropout
    layer's must: a 2 was used as a multiplier, where PyTorch's boolean mask reads it as "attend".

    Raises:
        ProblemError: naming the node and the mask.
    """
    def walk(k, t) -> None:
        if not isinstance(t, Apply):
            return
        for a in t.args:
            walk(k, a)
        i = t.op.zero_one(t.kwargs) if t.op.zero_one is not None else None
        mask = t.args[i] if i is not None and i < len(t.args) else None
        if isinstance(mask, Ref) and mask.name in values:
            bad = next((v for v in _flat(values[mask.name]) if v not in (0, 1)), None)
            if bad is not None:
                raise ProblemError(f"{t.op.name}(): a mask holds only 0s and 1s ({mask.name} has "
                                   f"{written_latex(sp.sympify(bad))})", file=file, field=f"graph.nodes.{k}")
    for k, tree in trees.items():
        walk(k, tree)


def _flat(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _flat(v)
    else:
        yield value


#: At most this many elements in all the tensors of a problem.
MAX_TOTAL_ELEMENTS = 20_000
#: At most this many edges (an element reading an element) in a tensor graph: about 40 s
#: of work for the key on the CI machine.
MAX_EDGES = 60_000
#: At most this many steps × edges in a tensor graph's training questions (about a minute).
MAX_TRAIN_EDGES = 1_500_000


def assemble(leaves, stages, names: dict[str, str], output: str, scalar: bool, file: str | None,
             output_field: str) -> Graph:
    """The scalar graph of named tensors: ``leaves`` (key, kind, nested value, field) and
    ``stages`` (key, tree, text as written, field) in graph order; ``names`` their LaTeX.

    Raises:
        ProblemError: a ragged value, shapes that do not fit, too many elements, or a
            non-scalar output when ``scalar`` (gradients need one).
    """
    env: dict[str, STensor] = {}
    nodes: list[Node] = []
    latex: dict[str, str] = {}
    tensors: list[TensorInfo] = []
    total = 0

    def add(k, kind, tensor, field, tree=None, text="", value=True):
        nonlocal total
        total += tensor.size
        if total > MAX_TOTAL_ELEMENTS:
            raise ProblemError(f"the tensors hold more than {MAX_TOTAL_ELEMENTS:,} elements in all; use smaller "
                               "ones", file=file, field=field)
        keys = tuple(element_key(k, idx) for idx in indices(tensor.shape))
        for key, x, idx in zip(keys, tensor.data, indices(tensor.shape)):
            nodes.append(Node(key, kind, value=x) if value else Node(key, kind, expr=x))
            latex[key] = element_latex(names[k], tensor.shape, idx)
        env[k] = STensor(tensor.shape, tuple(sym(key) for key in keys))
        tensors.append(TensorInfo(k, names[k], kind, tensor.shape, keys, tree, text))

    try:
        for k, kind, value, field in leaves:
            where = field
            add(k, kind, from_nested(value, k), field)
        for k, tree, text, field in stages:
            where = field
            add(k, "output" if k == output else "stage", apply_tree(tree, env), field, tree, text, value=False)
    except TensorError as exc:
        raise ProblemError(str(exc), file=file, field=where) from None
    written_once(latex, {k: field for k, *_, field in [*leaves, *stages]}, file)
    for t in tensors:
        latex.setdefault(t.key, t.latex)
    out = next(t for t in tensors if t.key == output)
    if scalar and len(out.elements) != 1:
        raise ProblemError(f"the output '{output}' has shape {shape_text(out.shape)}; gradients need a "
                           "scalar output (sum or mean it, or set graph.batch: mean for one loss per example)",
                           file=file, field=output_field)
    edges = edge_count(nodes)
    if edges > MAX_EDGES:
        raise ProblemError(f"the tensors' elements read {edges:,} elements in all (a convolution's cell reads its "
                           f"window); at most {MAX_EDGES:,}: use smaller tensors", file=file, field=output_field)
    loss = out.elements[0] if len(out.elements) == 1 else None
    return Graph(tuple(nodes), latex, loss, (Group("Stages", tuple(k for k, *_ in stages)),), tensors=tuple(tensors))


def edge_count(nodes) -> int:
    """The edges of a graph's nodes: each computed node's reads of other nodes (a 3×3
    convolution's cell reads 9 pixels, 9 weights and its bias)."""
    return sum(len(n.expr.free_symbols) for n in nodes if n.expr is not None)


def check_training(graph: Graph, problem, file: str | None) -> Graph:
    """``graph``, when its training questions' steps × edges stay within :data:`MAX_TRAIN_EDGES`.

    Raises:
        ProblemError: naming the training question past the limit.
    """
    trained = [(qi, q) for qi, q in enumerate(problem.questions) if "train" in q.ask and q.steps]
    edges = edge_count(graph.nodes) if trained else 0  # counted (a walk of every formula) only to be used
    work = 0
    for qi, q in trained:
        work += q.steps * edges
        if work > MAX_TRAIN_EDGES:
            raise ProblemError(f"training takes {work:,} steps × edges ({q.steps:,} steps × {edges:,} edges, "
                               f"with the training questions before it); at most {MAX_TRAIN_EDGES:,}: take fewer "
                               "steps or use smaller tensors", file=file, field=f"questions[{qi}].steps")
    return graph


def tensor_level(graph: Graph) -> Graph:
    """The graph of a tensor problem with one node per tensor (for its diagram: one box
    per tensor, not one per element); each computed tensor's expression is the sum of
    the tensors it reads, which only its parents are read from."""
    nodes = []
    for t in graph.tensors:
        if t.tree is None:
            nodes.append(Node(t.key, t.kind, value=0))
        else:
            deps = sorted(dependencies(t.tree))
            # unevaluated: only its symbols are read (parents, in graph order), not its form
            expr = sym(deps[0]) if len(deps) == 1 else (sp.Add(*map(sym, deps), evaluate=False) if deps else sp.S.Zero)
            nodes.append(Node(t.key, t.kind, expr=expr))
    return Graph(tuple(nodes), {t.key: t.latex for t in graph.tensors}, None, tensors=graph.tensors,
                 unrolled=graph.unrolled)
