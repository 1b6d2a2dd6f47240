"""The errors nnsolve raises, and the exit codes the command line gives them.

Hierarchy::

    NNSolveError                  base class; exit code 1 (internal failure)
    ├── ProblemError              the problem file is wrong; exit code 2
    ├── TemplateError             a --templates template is broken; exit code 2
    └── BuildError                an external tool (LaTeX) failed; exit code 1

A :class:`ProblemError` always names the file and the field, so that the
command line can print it as one line: ``FILE: FIELD: message`` (FIELD is
``(file)`` when the whole file is at fault, ``(top level)`` for the top mapping,
``line N`` for YAML that cannot be parsed).
"""

from __future__ import annotations


class NNSolveError(Exception):
    """Base class of every error nnsolve raises on purpose."""

    exit_code = 1


class ProblemError(NNSolveError):
    """A problem file that cannot be read, parsed or validated.

    Args:
        message: what is wrong, in one sentence.
        file: the problem file's path as the user gave it (or ``None``).
        field: the dotted path of the offending field (``network.layers[1].weights``),
            or ``None`` when the whole file is at fault.
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.field = field

    def with_file(self, file: str) -> "ProblemError":
        """The same error, naming ``file`` (used by the loader once it knows the path)."""
        return ProblemError(self.message, file=file, field=self.field)

    def __str__(self) -> str:
        # Always FILE: FIELD: message once the file is known; "(file)" stands for the
        # field when the whole file is at fault (empty, not UTF-8, unreadable).
        field = self.field or ("(file)" if self.file else None)
        parts = [p for p in (self.file, field) if p]
        return ": ".join(parts + [self.message])


class TemplateError(NNSolveError):
    """A template (from ``--templates DIR``) that cannot be read or rendered.

    Printed as ``TEMPLATE: line N: message`` (the line when Jinja knows it)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        return ": ".join([self.file, f"line {self.line}" if self.line else "(template)", self.message])


class BuildError(NNSolveError):
    """An output could not be built (for example, LaTeX failed)."""

    exit_code = 1


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` in the number ``n`` takes, for messages: ``counted(1, "output")`` is
    ``"1 output"``, ``counted(2, "output")`` ``"2 outputs"``, ``counted(2, "bias", "biases")``
    ``"2 biases"``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def listed(words: list[str]) -> str:
    """``words`` as prose: ``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
