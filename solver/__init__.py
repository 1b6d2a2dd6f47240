"""nnsolve: step-by-step answer keys for neural-network exercises.

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

from .core.version import __version__

__all__ = ["__version__"]
