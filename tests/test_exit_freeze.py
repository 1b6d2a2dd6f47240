"""The nnsolve command freezes the garbage collector's objects only at the process's exit
(solver.cli._frozen_at_exit): the interpreter's final collections then skip them. Until
the exit nothing is frozen, so a long-lived process (tests, a notebook) collects as usual."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import atexit, gc, sys
    # registered before the command runs, so it runs after the command's own exit hook
    atexit.register(lambda: print("at exit frozen:", gc.get_freeze_count() > 0))
    from solver.cli import main
    try:
        main(["solve", sys.argv[1], "-f", "json", "-o", sys.argv[2]], prog_name="nnsolve")
    except SystemExit as exit:
        print("exit code:", exit.code)
    print("after the command frozen:", gc.get_freeze_count() > 0)
""")


def test_objects_are_frozen_only_at_exit(tmp_path):
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "problems" / "relu-2-2-2.yaml"), str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-3:] == ["exit code: 0", "after the command frozen: False", "at exit frozen: True"], run.stdout
    assert (tmp_path / "relu-2-2-2.json").read_text(encoding="utf-8").startswith("{")


def test_the_hook_is_registered_once(tmp_path):
    """Two commands in one process: gc.freeze is called once at exit (one registration)."""
    script = textwrap.dedent("""
        import atexit, gc, sys
        calls = []
        real = gc.freeze
        gc.freeze = lambda: calls.append(1) or real()
        atexit.register(lambda: print("freezes:", len(calls)))
        from solver import cli
        for _ in range(2):
            try:
                cli.main(["solve", sys.argv[1], "-f", "json", "-o", sys.argv[2]], prog_name="nnsolve")
            except SystemExit:
                pass
    """)
    run = subprocess.run([sys.executable, "-c", script, str(ROOT / "problems" / "relu-2-2-2.yaml"), str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "freezes: 1", run.stdout
