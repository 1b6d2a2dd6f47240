"""Hardening of what reaches TeX and what TeX may do (issue 11): the time limit ends the
whole process tree, also when nnsolve is interrupted; TeX's output is capped; temporary
folders and files do not outlive a killed run; PDFs are reproducible; and a title either
typesets (Greek, accents, math symbols) or is refused by validation naming the field.

The tests that build need latexmk, pdflatex and pdftotext (skipped where missing, unless
``NNSOLVE_REQUIRE_TEX=1``); those that watch processes need Linux's /proc.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
from pathlib import Path

import pytest
import yaml
from tex_build import raw_tex_templates

from solver.core.errors import BuildError, ProblemError
from solver.core.latex_text import MATH, TEXT_RANGES, first_unsupported
from solver.files import cache as cache_mod
from solver.files import pdf as pdf_mod
from solver.files.pdf import PID_FILE, build_pdf, clean_stale_builds
from solver.files.writer import STAGED_RE, clean_stale, write_all
from solver.problem.text import unsupported
from solver.problem.validation import validate
from solver.render.formats.tex import escape

ROOT = Path(__file__).resolve().parent.parent
BASE = yaml.safe_load((ROOT / "problems" / "relu-2-2-2.yaml").read_text(encoding="utf-8"))

MISSING = [t for t in ("latexmk", "pdflatex", "pdftotext") if not shutil.which(t)]
needs_tex = pytest.mark.skipif(bool(MISSING) and os.environ.get("NNSOLVE_REQUIRE_TEX") != "1",
                               reason=f"{', '.join(MISSING)} not installed")
needs_proc = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")

#: a document that loops without writing (only the time limit stops it)
SPIN = r"\documentclass{article}\begin{document}\loop\iftrue\repeat\end{document}"
#: TeX that writes to the log (and the terminal) as fast as TeX can
FLOOD = r"\loop\message{xxxxxxxx}\iftrue\repeat"
HELLO = r"\documentclass{article}\begin{document}Hello, world.\end{document}"


def _processes(marker: str) -> list[int]:
    """The processes whose command line mentions ``marker`` (a unique document name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker.encode() in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _kill_leftovers(marker: str) -> None:
    for pid in _processes(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temporary folder of the test's own for build folders (tempfile's default)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _problem(tmp_path: Path, name: str, **changes) -> Path:
    data = dict(BASE, questions=[dict(q) for q in BASE["questions"]])
    for key, value in changes.items():
        if key == "question_title":
            data["questions"][0]["title"] = value
        else:
            data[key] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _spin_in_child(tmp_path: Path, script: str, marker: str, output) -> tuple[Path, subprocess.Popen]:
    """A child Python running ``script`` on the never-ending document :data:`SPIN` (TeX's
    processes tagged by ``marker``), its temporary files in a folder of its own, which is
    returned with the process."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    env = dict(os.environ, TMPDIR=str(folder), PYTHONPATH=str(ROOT))
    return folder, subprocess.Popen([sys.executable, "-c", script, SPIN, marker], cwd=ROOT, env=env,
                                    stdout=output, stderr=output)


def _end_child(proc: subprocess.Popen, marker: str) -> None:
    """Whatever a test asserted: the child of :func:`_spin_in_child` and TeX's processes end."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    _kill_leftovers(marker)


def _cli(*args, env=None, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


# -- 1. the time limit ends the whole process tree ------------------------------------------------

@needs_tex
@needs_proc
def test_time_limit_kills_latexmk_and_pdflatex(private_tmp):
    marker = f"spin{os.getpid()}x"
    start = time.monotonic()
    try:
        with pytest.raises(BuildError, match=rf"^{marker}\.tex: LaTeX took longer than 2 s; stopped$"):
            build_pdf(SPIN, marker, timeout=2)
        elapsed = time.monotonic() - start
        assert elapsed < 6, f"the build took {elapsed:.1f} s to stop"
        assert _wait_for(lambda: not _processes(marker), 1.0), \
            f"TeX outlived the time limit: {_processes(marker)}"  # before: pdflatex kept running, orphaned
        assert list(private_tmp.iterdir()) == []  # the build folder is gone
    finally:
        _kill_leftovers(marker)


_INTERRUPTED = textwrap.dedent("""
    import sys
    from solver.files.pdf import build_pdf
    try:
        build_pdf(sys.argv[1], sys.argv[2], timeout=120)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(3)
""")


@needs_tex
@needs_proc
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGINT"])
def test_interrupted_build_kills_tex_and_removes_its_folder(tmp_path, signum, code):
    """SIGTERM or SIGINT during a build: TeX's group is killed, the build folder removed,
    then the signal has its usual effect (SIGTERM ends the process by the signal, SIGINT
    raises KeyboardInterrupt)."""
    marker = f"intr{signum}p{os.getpid()}x"
    folder, proc = _spin_in_child(tmp_path, _INTERRUPTED, marker, subprocess.PIPE)
    try:
        assert _wait_for(lambda: any(b"pdflatex" in Path(f"/proc/{p}/cmdline").read_bytes()
                                     for p in _processes(marker) if Path(f"/proc/{p}").exists()), 30), \
            "pdflatex did not start"
        proc.send_signal(signum)
        start = time.monotonic()
        _, err = proc.communicate(timeout=30)
        stopped = time.monotonic() - start
        assert proc.returncode == code, err.decode(errors="replace")
        assert stopped < 5
        assert _wait_for(lambda: not _processes(marker), 1.0), f"TeX outlived nnsolve: {_processes(marker)}"
        assert list(folder.iterdir()) == []
    finally:
        _end_child(proc, marker)


@needs_tex
def test_signal_handlers_are_restored_after_a_build(private_tmp):
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    assert build_pdf(HELLO, "hello").pdf
    with pytest.raises(BuildError):
        build_pdf(SPIN, "spin", timeout=1)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# -- 2. bounded output ----------------------------------------------------------------------------

@needs_tex
@needs_proc
def test_output_is_capped(private_tmp):
    marker = f"flood{os.getpid()}x"
    doc = rf"\documentclass{{article}}\begin{{document}}{FLOOD}\end{{document}}"
    start = time.monotonic()
    try:
        with pytest.raises(BuildError) as info:
            build_pdf(doc, marker, timeout=60, max_output=4 * 1024 * 1024)
        assert str(info.value) == f"{marker}.tex: LaTeX wrote more than 4 MB ({marker}.log); stopped"
        assert time.monotonic() - start < 20
        assert _wait_for(lambda: not _processes(marker), 1.0)
        assert list(private_tmp.iterdir()) == []
    finally:
        _kill_leftovers(marker)


#: a document that writes file after file, each under the per-file cap
MANY_FILES = textwrap.dedent(r"""
    \documentclass{article}\newcount\n\newwrite\f
    \def\chunk{xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}
    \begin{document}
    \loop\global\advance\n by 1 \immediate\openout\f=part\the\n.txt
      {\count255=0 \loop\immediate\write\f{\chunk}\advance\count255 by 1 \ifnum\count255<5000 \repeat}%
      \immediate\closeout\f \iftrue\repeat
    \end{document}
""")


@needs_tex
def test_output_is_capped_in_all(private_tmp):
    start = time.monotonic()
    with pytest.raises(BuildError, match=r"^many\.tex: LaTeX wrote more than 2 MB in all; stopped$"):
        build_pdf(MANY_FILES, "many", timeout=60, max_output=1024 * 1024)
    assert time.monotonic() - start < 20
    assert list(private_tmp.iterdir()) == []


@needs_tex
def test_flooding_statement_is_one_line_and_writes_no_pdf(tmp_path):
    """The default cap (50 MB), through the command line: one line, exit 1, no PDF."""
    problem = _problem(tmp_path, "flood")  # FLOOD from a template: problem text cannot hold \loop
    out = tmp_path / "out"
    start = time.monotonic()
    run = _cli("solve", str(problem), "-o", str(out), "-f", "pdf", "--templates",
               str(raw_tex_templates(tmp_path / "templates", FLOOD)))
    elapsed = time.monotonic() - start
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "LaTeX wrote more than 50 MB" in lines[0] and "stopped" in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert not list(out.glob("*.pdf")) if out.exists() else True
    assert elapsed < 60


# -- 3. no temporary folder or file outlives a run ------------------------------------------------

_KILLED = textwrap.dedent("""
    import sys
    from solver.files.pdf import build_pdf
    build_pdf(sys.argv[1], sys.argv[2], timeout=3)
""")


@needs_tex
@needs_proc
def test_sigkilled_build_leaves_a_folder_the_next_run_removes(tmp_path):
    marker = f"killed{os.getpid()}x"
    folder, proc = _spin_in_child(tmp_path, _KILLED, marker, subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: len(_processes(marker)) >= 2, 30), "TeX did not start"
        proc.kill()
        proc.wait()
        left = [p for p in folder.iterdir() if p.name.startswith("nnsolve-tex-")]
        assert len(left) == 1 and (left[0] / PID_FILE).exists()
        # nothing could kill TeX's group; its CPU limit (the time limit) ends it all the same
        assert _wait_for(lambda: not _processes(marker), 20), f"TeX runs on: {_processes(marker)}"
        assert clean_stale_builds(str(folder)) == left
        assert list(folder.iterdir()) == []
    finally:
        _end_child(proc, marker)


def _folder(parent: Path, name: str, pid_line: str | None, age: float = 0) -> Path:
    folder = parent / name
    folder.mkdir()
    if pid_line is not None:
        (folder / PID_FILE).write_text(pid_line, encoding="utf-8")
    (folder / "x.log").write_text("log", encoding="utf-8")
    if age:
        then = time.time() - age
        os.utime(folder, (then, then))
    return folder


def test_stale_build_folders_are_removed_and_live_ones_kept(tmp_path):
    host, now = socket.gethostname(), time.time()
    future, past = int(now + 100), int(now - pdf_mod._GRACE - 10)
    dead, live = _dead_pid(), os.getppid()
    gone = [_folder(tmp_path, "nnsolve-tex-dead0001", f"{dead} {future} {host}\n"),
            _folder(tmp_path, "nnsolve-tex-late0001", f"{live} {past} {host}\n"),
            _folder(tmp_path, "nnsolve-tex-old00001", None, age=pdf_mod.TIME_LIMIT + pdf_mod._GRACE + 5)]
    kept = [_folder(tmp_path, "nnsolve-tex-live0001", f"{live} {future} {host}\n"),
            _folder(tmp_path, "nnsolve-tex-mine0001", f"{os.getpid()} {future} {host}\n"),
            _folder(tmp_path, "nnsolve-tex-else0001", f"{dead} {future} another-host\n"),
            _folder(tmp_path, "nnsolve-tex-new00001", None),  # being created: no pid file yet
            _folder(tmp_path, "other-tex-dead0001", f"{dead} {past} {host}\n"),
            _folder(tmp_path, "nnsolve-tex-", f"{dead} {past} {host}\n")]
    target = _folder(tmp_path, "precious", f"{dead} {past} {host}\n")
    (tmp_path / "nnsolve-tex-link0001").symlink_to(target)
    (tmp_path / "nnsolve-tex-file0001").write_text("not a folder", encoding="utf-8")
    assert sorted(clean_stale_builds(str(tmp_path))) == sorted(gone)
    assert all(not f.exists() for f in gone)
    assert all(f.exists() and (f / "x.log").exists() for f in kept + [target])
    assert (tmp_path / "nnsolve-tex-link0001").is_symlink() and (tmp_path / "nnsolve-tex-file0001").exists()


def test_stale_staged_outputs_are_removed_by_the_next_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead, live = _dead_pid(), os.getppid()

    def staged(name: str, age: float) -> Path:
        path = out / name
        path.write_text("half", encoding="utf-8")
        os.utime(path, (time.time() - age, time.time() - age))
        return path

    gone = [staged(f".key.pdf.{dead}.abcd1234.tmp", 30),      # its process ended (SIGKILL)
            staged(f".key.md.{live}.abcd_234.tmp", 3600),     # live pid, but an hour old
            staged(f".other.tex.{dead}.zzzzzzzz.tmp", 30)]    # any of the tool's names
    kept = [staged(f".key.tex.{live}.abcd1234.tmp", 30),      # a run writing now
            staged(f".key.json.{dead}.abcd1234.tmp", 0),      # too young to tell
            staged(".notes.tmp", 3600), staged(f".key.pdf.{dead}.ABCD1234.tmp", 3600),
            staged("key.pdf.123.abcd1234.tmp", 3600), staged(f".key.pdf.{dead}.abcd1234.tmpx", 3600)]
    write_all([(out / "key.md", "# key\n")])
    assert all(not p.exists() for p in gone)
    assert all(p.exists() for p in kept)
    assert (out / "key.md").read_text(encoding="utf-8") == "# key\n"
    assert not [p for p in out.iterdir() if STAGED_RE.match(p.name) and str(os.getpid()) in p.name]
    assert clean_stale(out) == []  # nothing more to clean


def test_staged_names_carry_the_pid(tmp_path, monkeypatch):
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_all([(tmp_path / "a.tex", "x"), (tmp_path / "a.pdf", b"%PDF")])
    assert len(seen) == 2 and all(STAGED_RE.match(n) and f".{os.getpid()}." in n for n in seen), seen


def test_stale_template_cache_entries_are_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = cache_mod.template_cache()
    folder = Path(first.directory)
    old = folder / "__jinja2_0123abcd.cacheab_d1234.tmp"
    new = folder / "__jinja2_0123abcd.cachezzzzzzzz.tmp"
    other = folder / "notes.tmp"
    for path in (old, new, other):
        path.write_bytes(b"half")
    then = time.time() - cache_mod.STALE_AFTER - 10
    os.utime(old, (then, then))
    os.utime(other, (then, then))
    cache_mod.template_cache()
    assert not old.exists() and new.exists() and other.exists()


# -- 4. reproducible PDFs -------------------------------------------------------------------------

@needs_tex
def test_same_document_gives_the_same_bytes(private_tmp):
    first = build_pdf(HELLO, "same").pdf
    time.sleep(1.1)  # PDF dates are to the second
    second = build_pdf(HELLO, "same").pdf
    assert first and first == second
    assert b"/CreationDate" not in first or b"D:19700101" in first


@needs_tex
@pytest.mark.parametrize("documentclass", ["article", "exam"])
def test_key_pdf_is_reproducible(tmp_path, documentclass):
    problem = ROOT / "problems" / "relu-2-2-2.yaml"
    pdfs = []
    for k in range(2):
        run = _cli("solve", str(problem), "-o", str(tmp_path / f"out{k}"), "-f", "pdf",
                   "--documentclass", documentclass)
        assert run.returncode == 0, run.stderr
        pdfs.append((tmp_path / f"out{k}" / "relu-2-2-2.pdf").read_bytes())
        time.sleep(1.1)
    assert pdfs[0] == pdfs[1]


def test_tex_environment_fixes_the_date(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    env = pdf_mod.tex_environment("/nowhere")
    assert env["SOURCE_DATE_EPOCH"] == "0" and "FORCE_SOURCE_DATE" not in env
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # a reproducible build's own date is kept
    assert pdf_mod.tex_environment("/nowhere")["SOURCE_DATE_EPOCH"] == "1700000000"


# -- 5. text that reaches LaTeX -------------------------------------------------------------------

TYPESET = "".join(chr(c) for lo, hi in TEXT_RANGES for c in range(lo, hi + 1)) + "".join(MATH)


def test_every_character_of_the_table_is_accepted_and_escaped():
    for char in TYPESET:
        assert unsupported(char) is None, f"U+{ord(char):04X}"
        assert "[U+" not in escape(char)
    assert escape("σ ≤ é_1 → ∑") == r"\ensuremath{\sigma} \ensuremath{\leq} é\_1 → \ensuremath{\sum}"
    assert escape("e\u0301") == "é"  # composed first
    assert escape("a&b%c$d#e{f}g~h^i\\") == (r"a\&b\%c\$d\#e\{f\}g\textasciitilde{}h"
                                               r"\textasciicircum{}i\textbackslash{}")


@pytest.mark.parametrize("text, tex", [
    # T1 sets these pairs as one glyph: a title "a >> b" printed "a » b", "x -- y" an en dash
    ("a >> b << c", r"a >{}> b <{}< c"), ("x -- y --- z", r"x -{}- y -{}-{}- z"),
    (",,low`` ''high''", r",{},low`{}` '{}'high'{}'"), ("wow!` what?`", r"wow!{}` what?{}`"),
    ("Ada's x-y, a > b", r"Ada's x-y, a > b"),  # single characters are left alone
])
def test_text_keeps_its_ligature_pairs_apart(text, tex):
    assert escape(text) == tex


REFUSED = {
    "emoji": "Forward pass 😀",
    "family emoji": "👨\u200d👩\u200d👧",
    "hebrew": "רשת",
    "arabic": "شبكة عصبية",
    "rtl mark": "abc\u200fdef",
    "chinese": "神经网络",
    "cyrillic": "Сеть",
    "greek with tonos": "ά",
    "control": "bell\x07",
    "escape": "a\x1b[31mred",
    "delete": "a\x7fb",
    "newline": "line one\nline two",
    "blank line": "line one\n\nline two",
    "tab": "a\tb",
    "nul": "a\x00b",
    "zero width space": "a\u200bb",
    "combining mark alone": "q\u0301",
    "line separator": "a\u2028b",
}


@pytest.mark.parametrize("text", list(REFUSED.values()), ids=list(REFUSED))
def test_untypesettable_titles_are_refused_naming_the_field(text):
    bad = first_unsupported(text)
    assert bad is not None
    for field in ("title", "questions[0].title"):
        data = dict(BASE, questions=[dict(q) for q in BASE["questions"]])
        if field == "title":
            data["title"] = text
        else:
            data["questions"][0]["title"] = text
        with pytest.raises(ProblemError) as info:
            validate(data, file="p.yaml")
        message = str(info.value)
        assert message.startswith(f"p.yaml: {field}: the character U+{ord(bad):04X} "), message
        assert "cannot be typeset" in message and "\n" not in message and "\x1b" not in message


def test_validate_command_refuses_with_exit_2_and_one_line(tmp_path):
    problem = _problem(tmp_path, "emoji", question_title="Forward 😀")
    run = _cli("validate", str(problem))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "questions[0].title: the character U+1F600 (😀) cannot be typeset" in lines[0], \
        run.stderr


@pytest.mark.parametrize("text", ["Réseau σ(x) → ≤ × ∑ ü ø", "Ünïcödé ŁŒß — “quotes” ‘q’ € ° ± ½",
                                  "α β γ Δ Σ ∂L/∂w ∇ ∞ ∈ ℝ ≈ ≠", "e\u0301t\u00e9"])
def test_typesettable_titles_validate(text):
    data = dict(BASE, title=text, questions=[dict(q, title=text) for q in BASE["questions"]])
    assert validate(data).title == text


def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


@needs_tex
@pytest.mark.parametrize("documentclass", ["article", "exam"])
def test_unicode_titles_typeset(tmp_path, documentclass, private_tmp):
    """Every character of the table, in the titles of a key (article and exam), compiles
    without a missing character; a sample reads back from the PDF."""
    title = "Réseau σ → ≤ × ü ø é"
    data = dict(BASE, title=title, questions=[])
    chunks = [TYPESET[i:i + 40] for i in range(0, len(TYPESET), 40)]
    for i, chunk in enumerate(chunks):
        q = dict(BASE["questions"][0], id=f"q{i}", title=" ".join(chunk[j:j + 8] for j in range(0, len(chunk), 8)))
        data["questions"].append(q)
    data["questions"][0]["title"] = "Vorwärts: ∂L/∂w für α = 0.1"
    problem = tmp_path / "uni.yaml"
    problem.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    run = _cli("solve", str(problem), "-o", str(out), "-f", "tex", "-f", "pdf", "--documentclass", documentclass)
    assert run.returncode == 0, run.stderr
    result = build_pdf((out / "uni.tex").read_text(encoding="utf-8"), "uni")
    assert result.pdf, result.error
    for warning in ("Missing character", "not set up for use with LaTeX", "unavailable in encoding",
                    "Font shape", "Undefined control sequence"):
        assert warning not in result.log, warning
    text = subprocess.run(["pdftotext", str(out / "uni.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = _words(text)
    for expected in ("Réseau", "σ", "→", "≤", "×", "ü", "ø", "é", "Vorwärts", "∂L/∂w", "für", "α = 0.1"):
        assert expected in words, (expected, words[:400])
