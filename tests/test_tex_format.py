"""The cached TeX format of a document's package loading (:mod:`solver.files.tex_format`):
which lines are dumped; that a build from the format gives the same pages as a build
without it; that a format is made once, remade when a file it was made of changes or it is
damaged, dropped when TeX cannot use it, never tried again for a day when it cannot be
made; and that a document's error is its own. Each test has a cache folder of its own.

The building tests need latexmk, pdflatex, pdftotext and pdftoppm (skipped where missing,
unless ``NNSOLVE_REQUIRE_TEX=1``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from solver.core.errors import BuildError
from solver.files import tex_format
from solver.files.pdf import build_pdf

ROOT = Path(__file__).resolve().parent.parent
MISSING = [t for t in ("latexmk", "pdflatex", "pdftotext", "pdftoppm") if not shutil.which(t)]
needs_tex = pytest.mark.skipif(bool(MISSING) and os.environ.get("NNSOLVE_REQUIRE_TEX") != "1",
                               reason=f"{', '.join(MISSING)} not installed")

DOC = ("\\documentclass[11pt]{article}\n\\usepackage{amsmath,amssymb}\n\\usepackage[T1]{fontenc}\n"
       "\\setlength{\\parindent}{0pt}\n\\title{Cached}\n\\date{}\n\\begin{document}\n\\maketitle\n"
       "Hello $\\sum_i w_i x_i$, \\textbf{bold}.\n\\end{document}\n")


ARTICLE = "\\documentclass[11pt]{article}\n\\usepackage[margin=2.2cm]{geometry}\n\\usepackage{amsmath,amssymb}\n"
EXAM = ("\\documentclass[11pt,addpoints]{exam}\n\\usepackage{pgfplots}\n\\pgfplotsset{compat=1.16}\n"
        "\\usepackage[T1]{fontenc}\n")


@pytest.mark.parametrize("tex, dumped, rest", [
    (ARTICLE + "\\setlength{\\parindent}{0pt}\n\\begin{document}\n", ARTICLE,
     "\\setlength{\\parindent}{0pt}\n\\begin{document}\n"),
    (EXAM + "\\pointpoints{point}{points}\n", EXAM, "\\pointpoints{point}{points}\n"),
    ("\\documentclass{article}\\begin{document}x\\end{document}\n", None, None),  # more than loading
    ("\\documentclass{article}\n\\usepackage{a}\\def\\x{}\n", "\\documentclass{article}\n",
     "\\usepackage{a}\\def\\x{}\n"),
    ("\\usepackage{amsmath}\n\\documentclass{article}\n", None, None),  # no class first
    ("\\begin{questions}\n", None, None),  # a fragment
])
def test_the_leading_loading_lines_are_dumped(tex, dumped, rest):
    assert tex_format.split(tex) == (None if dumped is None else (dumped, rest))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder of the test's own; the format cache on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NNSOLVE_TEX_FORMAT", raising=False)
    return tmp_path / "cache" / "nnsolve" / "tex-formats"


def _format_of(log: str) -> str:
    """The format named on the log's first line (``preloaded format=NAME date``)."""
    return log.splitlines()[0].split("preloaded format=")[1].split()[0]


def _pages(pdf: bytes, folder: Path) -> list[bytes]:
    folder.mkdir()
    (folder / "d.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "d.pdf", "p"], cwd=folder, check=True)
    return [p.read_bytes() for p in sorted(folder.glob("p-*.png"))]


@needs_tex
def test_a_format_is_made_once_and_gives_the_same_pages(cache, tmp_path, monkeypatch):
    first = build_pdf(DOC, "doc")
    entries = sorted(p.suffix for p in cache.iterdir())
    assert entries == [".fmt", ".json"] and _format_of(first.log) == tex_format.NAME
    fmt = next(cache.glob("*.fmt"))
    made = fmt.stat().st_mtime_ns
    record = json.loads(fmt.with_suffix(".json").read_text())
    assert record["failed"] is False and record["size"] == fmt.stat().st_size
    assert fmt.read_bytes()[:2] != b"\x1f\x8b" and fmt.stat().st_size > 10_000_000  # kept inflated
    assert any(p.endswith("/pdflatex.fmt") for p in record["inputs"])
    assert any(p.endswith("/amsmath.sty") for p in record["inputs"])
    second = build_pdf(DOC, "doc")
    assert _format_of(second.log) == tex_format.NAME and second.pdf == first.pdf
    assert fmt.stat().st_mtime_ns >= made and next(cache.glob("*.fmt")) == fmt  # used, not made again
    monkeypatch.setenv("NNSOLVE_TEX_FORMAT", "0")
    plain = build_pdf(DOC, "doc")
    assert _format_of(plain.log) == "pdflatex"
    assert _pages(plain.pdf, tmp_path / "plain") == _pages(first.pdf, tmp_path / "cached")


def test_a_format_is_kept_inflated_only_when_it_inflates_whole(monkeypatch):
    import gzip
    body = b"pdftex format " * 1000
    assert tex_format._plain(gzip.compress(body, 1)) == body
    for kept in (body, gzip.compress(body)[:-9], b"\x1f\x8b" + b"not gzip", b""):  # plain, cut, damaged
        assert tex_format._plain(kept) == kept
    monkeypatch.setattr(tex_format, "LARGEST_PLAIN", len(body) - 1)
    compressed = gzip.compress(body)
    assert tex_format._plain(compressed) == compressed  # too large inflated


@needs_tex
def test_a_changed_input_or_a_damaged_format_makes_it_again(cache):
    build_pdf(DOC, "doc")
    fmt = next(cache.glob("*.fmt"))
    record_path = fmt.with_suffix(".json")
    record = json.loads(record_path.read_text())
    sty = next(p for p in record["inputs"] if p.endswith("/amsmath.sty"))
    record["inputs"][sty][0] -= 1  # as if amsmath.sty had been updated since
    record_path.write_text(json.dumps(record))
    again = build_pdf(DOC, "doc")
    assert _format_of(again.log) == tex_format.NAME
    assert json.loads(record_path.read_text())["inputs"][sty] == [os.stat(sty).st_mtime_ns, os.stat(sty).st_size]
    with open(fmt, "r+b") as f:  # cut short: its size is not the recorded one
        f.truncate(100_000)
    again = build_pdf(DOC, "doc")
    assert _format_of(again.log) == tex_format.NAME and fmt.stat().st_size == record["size"]


@needs_tex
def test_a_format_tex_cannot_load_is_dropped_and_the_document_built_without(cache):
    build_pdf(DOC, "doc")
    fmt = next(cache.glob("*.fmt"))
    with open(fmt, "r+b") as f:  # the same size, but not a format
        f.write(b"not a format" * 1000)
    result = build_pdf(DOC, "doc")
    assert result.pdf and _format_of(result.log) == "pdflatex"
    assert list(cache.iterdir()) == []
    assert _format_of(build_pdf(DOC, "doc").log) == tex_format.NAME  # made anew


@needs_tex
def test_a_document_error_is_its_own_and_keeps_the_format(cache):
    build_pdf(DOC, "doc")
    result = build_pdf(DOC.replace("\\maketitle", "\\maketitle\\nosuchmacro"), "doc")
    assert result.pdf is None and result.error == "./doc.tex:8: Undefined control sequence. (at line 8 of the .tex)"
    assert _format_of(result.log) == "pdflatex"  # the document as written: its line numbers
    assert len(list(cache.glob("*.fmt"))) == 1


@needs_tex
def test_a_format_that_cannot_be_made_is_not_tried_again(cache, monkeypatch):
    doc = DOC.replace("\\usepackage[T1]{fontenc}", "\\usepackage{nosuchpackage}")
    calls = []
    real = tex_format._dump
    monkeypatch.setattr(tex_format, "_dump", lambda *a: calls.append(1) or real(*a))
    first = build_pdf(doc, "doc")
    assert first.pdf is None and "nosuchpackage.sty" in first.error and calls == [1]
    record = json.loads(next(cache.glob("*.json")).read_text())
    assert record["failed"] is True and list(cache.glob("*.fmt")) == []
    assert build_pdf(doc, "doc").error == first.error and calls == [1]  # remembered
    record["when"] -= tex_format.RETRY_AFTER + 1
    next(cache.glob("*.json")).write_text(json.dumps(record))
    build_pdf(doc, "doc")
    assert calls == [1, 1]  # a day later, tried again


@needs_tex
def test_off_or_unwritable_the_document_builds_as_it_is(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("NNSOLVE_TEX_FORMAT", "off")
    assert _format_of(build_pdf(DOC, "doc").log) == "pdflatex" and not cache.exists()
    monkeypatch.delenv("NNSOLVE_TEX_FORMAT")
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # not a folder
    result = build_pdf(DOC, "doc")
    assert result.pdf and _format_of(result.log) == "pdflatex"


@needs_tex
def test_the_least_recently_used_formats_go(cache, monkeypatch):
    monkeypatch.setattr(tex_format, "KEEP", 1)
    build_pdf(DOC, "doc")
    first = next(cache.glob("*.fmt"))
    build_pdf(DOC.replace("[11pt]", "[10pt]"), "doc")
    kept = list(cache.glob("*.fmt"))
    assert len(kept) == 1 and kept != [first] and not first.with_suffix(".json").exists()


@needs_tex
def test_builds_at_once_make_one_format_and_the_same_bytes(cache, tmp_path):
    """Two processes with an empty cache: one makes the format while the other waits for
    it, so both PDFs come from it (the same bytes)."""
    code = ("import sys; from solver.files.pdf import build_pdf; "
            "open(sys.argv[1], 'wb').write(build_pdf(sys.argv[2], 'doc').pdf)")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / f"{k}.pdf"), DOC], env=env)
             for k in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert (tmp_path / "0.pdf").read_bytes() == (tmp_path / "1.pdf").read_bytes()
    assert len(list(cache.glob("*.fmt"))) == 1


@needs_tex
def test_a_cache_that_fails_to_write_builds_as_before(cache, monkeypatch):
    """A full disk while the format is kept (the writer's error) costs the format, not the PDF."""
    def full(outputs):
        raise BuildError("doc.fmt: cannot write the file (No space left on device)")

    monkeypatch.setattr(tex_format, "write_all", full)
    result = build_pdf(DOC, "doc")
    assert result.pdf and _format_of(result.log) == "pdflatex"
    assert list(cache.glob("*.fmt")) == []
