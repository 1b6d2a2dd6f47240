"""nnsolve: step-by-step answer keys for neural-network exercises.

Pipeline: problem file → :class:`~solver.problem.Problem` (validated) →
:class:`~solver.graph.Graph` (sympy nodes) → :class:`~solver.solution.Solution`
(ordered steps) → :func:`~solver.render.render` (Markdown, LaTeX) and
:func:`~solver.answers.answers_json`.
"""

__version__ = "0.1.0"
