"""nnsolve: step-by-step answer keys for neural-network exercises.

The Python API (README, "Python API and Jupyter")::

    import solver
    key = solver.solve("problems/sigmoid-2-2-1.yaml")   # or a dict, or solver.load(...)
    key.answers(); key.to_markdown(); key.to_latex(); key.to_html(); key.write("out", ["md", "pdf"])

A :class:`~solver.files.api.Key` shows itself in Jupyter (Markdown and HTML).

The stages, each a sub-package that imports only from the ones before it (an
import-linter contract in ``pyproject.toml`` enforces it):

    core, ops  →  problem  →  graph  →  key  →  render  →  files  →  pipeline, cli

A problem file becomes a validated :class:`~solver.problem.schema.Problem`
(:mod:`solver.problem`), a graph of sympy nodes with exact values and gradients
(:mod:`solver.graph`), a :class:`~solver.key.model.Solution` of ordered parts and steps
(:mod:`solver.key`), text in each output format (:mod:`solver.render`), and files
(:mod:`solver.files`); :mod:`solver.pipeline` runs the stages, :mod:`solver.cli` is the
``nnsolve`` command. Activations, losses, optimizers and output formats are each one
module of :mod:`solver.ops` or :mod:`solver.render.formats`.
"""

import os as _os
import sys as _sys
from importlib.util import find_spec as _find_spec

from .core.version import __version__


def sympy_ground_types() -> str:
    """The integers sympy computes with under nnsolve: gmpy2's where it is installed, else
    Python's (``SYMPY_GROUND_TYPES``). Left to itself, sympy takes python-flint's, which
    nnsolve installs for training runs on Arb balls (:mod:`solver.graph.balls`): importing
    flint costs about 40 ms of every start-up, so a run imports it only when it trains on balls."""
    return "gmpy" if _find_spec("gmpy2") else "python"


if "sympy" not in _sys.modules:  # a choice of the user's own (the variable set) is kept
    _os.environ.setdefault("SYMPY_GROUND_TYPES", sympy_ground_types())


def __getattr__(name: str):
    if name in ("load", "solve", "Key"):
        from .files import api

        return getattr(api, name)
    if name == "Problem":
        from .problem.schema import Problem

        return Problem
    raise AttributeError(f"module 'solver' has no attribute {name!r}")


__all__ = ["Key", "Problem", "__version__", "load", "solve", "sympy_ground_types"]
