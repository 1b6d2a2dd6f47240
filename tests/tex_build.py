"""Building a LaTeX key in a test: pdflatex as the command line runs it (no shell escape,
paranoid file access), and the overfull boxes of its log; a ``--templates`` folder that puts
raw TeX in a key. Skipped where TeX is not installed, unless NNSOLVE_REQUIRE_TEX=1 (CI) says
it must run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

needs_tex = pytest.mark.skipif(not shutil.which("pdflatex") and os.environ.get("NNSOLVE_REQUIRE_TEX") != "1",
                               reason="pdflatex is not installed (Debian: apt-get install texlive-latex-extra)")


def overfull(tex: str, folder) -> list[str]:
    """The overfull boxes of ``tex`` built with pdflatex (twice) in ``folder``."""
    (folder / "key.tex").write_text(tex, encoding="utf-8")
    env = dict(os.environ, openin_any="p", openout_any="p")
    for _ in range(2):
        run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "key.tex"],
                             cwd=folder, capture_output=True, text=True, timeout=180, env=env)
        assert run.returncode == 0, run.stdout[-3000:]
    log = (folder / "key.log").read_text(errors="replace")
    return re.findall(r"Overfull \\[hv]box \([0-9.]+pt too (?:wide|high)\)", log)


def raw_tex_templates(folder: Path, tex: str) -> Path:
    """A ``--templates`` folder whose ``key.tex.j2`` is the packaged one with ``tex`` as it is where
    the statement goes. Problem text cannot carry TeX's shell, file or undefined commands (the
    allow-list refuses them when the file is read: tests/test_commands.py), but a template can,
    and the build must hold them all the same."""
    text = (Path(__file__).resolve().parent.parent / "templates" / "key.tex.j2").read_text(encoding="utf-8")
    assert text.count("<< s.statement | trim >>") == 1
    folder.mkdir()
    (folder / "key.tex.j2").write_text(text.replace("<< s.statement | trim >>", f"<% raw %>{tex}<% endraw %>"),
                                       encoding="utf-8")
    return folder
