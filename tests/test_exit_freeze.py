"""How the nnsolve command handles the garbage collector (solver.cli): the objects made by
its imports are frozen (gc.freeze) once they are imported, and everything is frozen at the
process's exit (an atexit hook) before the interpreter's teardown collections. Nothing
made after the imports is frozen before the exit, so a long-lived process (tests, a
notebook) collects the command's garbage as usual."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = str(ROOT / "problems" / "relu-2-2-2.yaml")

SCRIPT = textwrap.dedent("""
    import atexit, gc, sys, weakref
    # registered before the command runs, so it runs after the command's own exit hook
    atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > after_import))
    from solver.cli import main
    after_import = gc.get_freeze_count()
    print("collecting after the import:", gc.isenabled(), after_import > 0)
    try:
        main(["solve", sys.argv[1], "-f", "json", "-o", sys.argv[2]], prog_name="nnsolve")
    except SystemExit as exit:
        print("exit code:", exit.code)
    # frozen objects freed by their reference counts leave the count: it can only fall
    print("frozen by the command:", gc.get_freeze_count() > after_import)

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector frees it
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    print("a cycle made after the command is collected:", gone() is None)
""")


def test_imports_frozen_then_collected_as_usual_until_exit(tmp_path):
    run = subprocess.run([sys.executable, "-c", SCRIPT, PROBLEM, str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if not line.startswith("wrote ")]
    assert lines == [
        "collecting after the import: True True", "exit code: 0", "frozen by the command: False",
        "a cycle made after the command is collected: True", "frozen at exit: True"], run.stdout
    assert (tmp_path / "relu-2-2-2.json").read_text(encoding="utf-8").startswith("{")


def test_collector_left_off_when_it_was_off(tmp_path):
    """A process that turned the collector off before importing the command keeps it off."""
    script = "import gc; gc.disable(); import solver.cli; print(gc.isenabled(), gc.get_freeze_count())"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "0"]


def test_the_exit_hook_is_registered_once(tmp_path):
    """Two commands in one process: gc.freeze is called once at exit (one registration)."""
    script = textwrap.dedent("""
        import atexit, gc, sys
        from solver import cli
        calls = []
        real = gc.freeze
        gc.freeze = lambda: calls.append(1) or real()
        atexit.register(lambda: print("freezes:", len(calls)))
        for _ in range(2):
            try:
                cli.main(["solve", sys.argv[1], "-f", "json", "-o", sys.argv[2]], prog_name="nnsolve")
            except SystemExit:
                pass
    """)
    run = subprocess.run([sys.executable, "-c", script, PROBLEM, str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "freezes: 1", run.stdout
