"""The ``nnsolve`` program: ``python -m solver`` and the ``nnsolve`` console script (:func:`run`).

A run ends as Python's own exit does up to its last step: every ``atexit`` handler runs (the
derivative store and every output were written before, inside the command), standard output
and error are flushed. The last step, the interpreter's teardown (freeing every module and
object one by one: about 11 ms after a key, 0.03 of a cold start), is skipped with
``os._exit`` and the same exit status, as mypy ends its runs (``mypy.util.hard_exit``). Where
a stream cannot be flushed (a closed pipe), or the command ended otherwise than by
``sys.exit`` with a number (an uncaught exception with ``NNSOLVE_DEBUG``), Python's exit runs
as usual. :func:`solver.cli.main` itself, which tests and callers run in their own process,
never ends the process.
"""

from __future__ import annotations

import atexit
import os
import sys

from .cli import main

#: The exit status of the command that :func:`run` ran (none until it ends with ``sys.exit``).
_status: list[int] = []


def run() -> None:
    """Run the ``nnsolve`` command line (``sys.argv``) and end the process (see the module)."""
    atexit.register(_end)  # registered before the command runs, so it runs after every handler it adds
    try:
        main(prog_name="nnsolve")
    except SystemExit as done:
        if done.code is None or type(done.code) is int:
            _status.append(done.code or 0)
        raise


def _end() -> None:
    """The last exit handler: flush the standard streams and leave with the command's status."""
    if not _status:
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe or stream: Python's exit says so, with its status
        return
    os._exit(_status[-1])


if __name__ == "__main__":
    run()
