"""The HTML key (``-f html``, issue 18): one self-contained page per key and question
sheet, math as MathML (latex2mathml), the diagram inline as SVG, a table of contents.

Every bundled problem's key and sheet are checked statically (each formula converted, none
left as LaTeX source, each ``<math>`` well-formed XML, nothing fetched from the network),
then in a real browser: all the keys in one page opened by headless Chromium, a script in
the page reporting what the browser made of every formula (a MathML element with a size, no
``<merror>``). Chromium also takes a screenshot and prints a key to PDF. The browser tests
are skipped where Chromium is missing, except with ``NNSOLVE_REQUIRE_TEX=1`` (CI)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pytest

from solver.core.options import Options
from solver.pipeline import solve_file
from solver.render import render
from solver.render.html_math import FALLBACK_CLASS, fallbacks, inline, mathml, paragraphs

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
MATHML = "{http://www.w3.org/1998/Math/MathML}"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_browser = pytest.mark.skipif(CHROMIUM is None and os.environ.get("NNSOLVE_REQUIRE_TEX") != "1",
                                   reason="Chromium is not installed (apt-get install chromium)")


@lru_cache(maxsize=None)
def solution(name: str):
    return solve_file(ROOT / "problems" / name)


@lru_cache(maxsize=None)
def page(name: str, sheet: str = "key", body_only: bool = False) -> str:
    return render(solution(name), "html", Options(sheet=sheet, body_only=body_only))


def maths(text: str) -> list[str]:
    return re.findall(r"<math\b.*?</math>", text, re.S)


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_every_formula_of_every_key_is_mathml(path):
    for sheet in ("key", "questions"):
        text = page(path.name, sheet)
        found = maths(text)
        assert fallbacks(text) == 0, f"{path.stem} {sheet}: formulas left as LaTeX source"
        assert found and "<merror" not in text
        for m in found:  # each is well-formed XML, in MathML's namespace, with no LaTeX left in it
            root = ET.fromstring(m)
            assert root.tag == f"{MATHML}math"
            assert not any(re.match(r"\\[A-Za-z]", e.text or "") for e in root.iter())
        assert "$" not in re.sub(r'alttext="[^"]*"', "", re.sub(r"<math\b.*?</math>", "", text, flags=re.S))
        # self-contained: nothing loaded from elsewhere, no script
        assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|@import|url\((?!#)", text)
        # the table of contents points at headings of the page
        ids = set(re.findall(r'\bid="([^"]+)"', text))
        toc = re.search(r'<nav class="toc".*?</nav>', text, re.S).group(0)
        targets = re.findall(r'href="#([^"]+)"', toc)
        assert targets and set(targets) <= ids
        assert len(ids) == len(re.findall(r'\bid="', text)), "an id is used twice"


def test_the_key_shows_the_worked_numbers_the_diagram_and_plots():
    text = page("relu-2-2-2.yaml")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<title>A 2-2-1" not in text and "<title>A 2-2-2 ReLU network — answer key</title>" in text
    assert text.count("<svg") == 1 and "<?xml" not in text and "marker-end" in text
    # the forward pass of h1: z = (0.2)(1) + (0.1)(2) + 0.1 = 0.5, as MathML numbers
    assert '<mn>0.2</mn><mo stretchy="false">&#x00029;</mo><mo stretchy="false">&#x00028;</mo><mn>1</mn>' in text
    assert "<mn>0.5</mn>" in text
    assert '<span class="points">[4 points]</span>' in text and "Total: 24 points" in text
    assert "@media print" in text and "@page" in text
    training = page("xor-2-2-1-training.yaml")
    plots = [p for sec in solution("xor-2-2-1-training.yaml").sections for p in sec.plots]
    assert len(plots) >= 1 and training.count("<svg") == 1 + len(plots)  # the diagram and the curves
    ids = re.findall(r'\bid="([^"]+)"', training)
    assert len(ids) == len(set(ids))


def test_the_question_sheet_has_no_answers():
    key, sheet = page("relu-2-2-2.yaml"), page("relu-2-2-2.yaml", "questions")
    assert "questions</title>" in sheet and "Final answers" in key and "Final answers" not in sheet
    assert "Forward pass" not in sheet and "<mn>0.5</mn>" not in sheet
    assert "Compute the output of the network." in sheet


def test_body_only_is_a_fragment_for_a_page_or_a_notebook():
    text = page("sigmoid-2-2-1.yaml", body_only=True)
    assert text.lstrip().startswith("<style>") and "<html" not in text and "<body" not in text
    assert '<article class="nnsolve" id="nn-sigmoid-2-2-1">' in text


def test_formulas_latex2mathml_cannot_convert_are_shown_as_source():
    broken = [r"\frac{a}{", r"\unknowncommand{x}", r"\begin{aligned} a & \end{aligned"]
    shown = [mathml(t, True) for t in broken]
    for tex, html in zip(broken, shown):
        assert html.startswith(f'<code class="{FALLBACK_CLASS}">') and "<math" not in html
    assert fallbacks("".join(shown)) == 3
    assert fallbacks(mathml(r"\frac{1}{2} \cdot \operatorname{ReLU}'(z)")) == 0


@pytest.mark.parametrize("tex, expected", [
    (r"\begin{aligned} a &= b \\ &= c \end{aligned}", '<mtd columnalign="left"><mi /><mo>&#x0003D;</mo><mi>c</mi>'),
    (r"\begin{gathered} a, \\ b \end{gathered}", "<mtable>"),
    (r"\left[\begin{array}{rr} 1 & -2 \\ 3 & 4 \end{array}\right]", '<mtd columnalign="right"><mo>&#x02212;</mo><mn>2</mn>'),
    (r"\operatorname{ReLU}'(z)", "<mi>ReLU</mi><mi>&#x02032;</mi>"),
    (r"\delta \odot W^\top \hat{y} \mathbf{x} \approx \partial L \leftarrow \text{if } \quad",
     "<mo>&#x02299;</mo>"),
    (r"\tfrac{1}{2} \sigma(z)\bigl(1 - \sigma(z)\bigr)", "<mfrac>"),
])
def test_the_keys_latex_constructs(tex, expected):
    out = mathml(tex, True)
    assert expected in out and fallbacks(out) == 0
    ET.fromstring(out)


@pytest.mark.parametrize("tex, expected", [
    # latex2mathml showed \operatorname*'s star as "*", a name with a space as italic letters, \arg as source
    (r"\operatorname*{arg\,min}_{w} L(w)", "<msub><mi>argmin</mi><mrow><mi>w</mi></mrow></msub><mi>L</mi>"),
    (r"\arg\min_{w} L(w)", "<mi>arg</mi><msub><mi>min</mi>"),
    (r"\operatorname{ReLU}(z)", "<mi>ReLU</mi><mo stretchy=\"false\">&#x00028;</mo>"),
])
def test_operator_names_are_upright_names(tex, expected):
    out = mathml(tex)
    assert expected in out and fallbacks(out) == 0 and "&#x0002A;" not in out


@pytest.mark.parametrize("tex, expected", [
    # a sign TeX sets as unary: a browser spaced it as binary, "(0.4586)( − 0.1373) ≈  − 0.04788"
    (r"(0.4)(-0.3) \approx -0.12", '<mo stretchy="false">&#x00028;</mo><mo form="prefix">&#x02212;</mo><mn>0.3</mn>'
                                   '<mo stretchy="false">&#x00029;</mo><mo>&#x02248;</mo><mo form="prefix">&#x02212;</mo>'),
    (r"a = -b + (-c)", '<mo>&#x0003D;</mo><mo form="prefix">&#x02212;</mo><mi>b</mi><mo>&#x0002B;</mo>'),
    # after a closing parenthesis, a letter or a number: binary, as TeX sets it
    (r"(0.4) - (0.3) + 2", '<mo stretchy="false">&#x00029;</mo><mo>&#x02212;</mo>'),
    (r"x_{1} - 2", "</msub><mo>&#x02212;</mo><mn>2</mn>"),
])
def test_a_unary_sign_is_a_prefix_operator(tex, expected):
    out = mathml(tex)
    assert expected in out
    assert out.count('form="prefix"') == tex.count("-") - (" - " in tex)


#: An operator element with nothing to show (latex2mathml's ``\\mathopen{}``): Chromium breaks
#: the formula's table at it, a whole aligned block run into one line.
EMPTY_MO = re.compile(r"<mo\b[^>]*(/>|>(<mrow />)?</mo>)")


def test_a_function_of_a_quotient_is_one_function_applied(tmp_path):
    out = mathml(r"\operatorname{ReLU}\mathopen{}\left(\frac{x}{v}\right)\mathclose{}")
    assert out.endswith('<mrow><mi>ReLU</mi><mrow><mo stretchy="true" fence="true" form="prefix">&#x00028;</mo>'
                        "<mfrac><mrow><mi>x</mi></mrow><mrow><mi>v</mi></mrow></mfrac>"
                        '<mo stretchy="true" fence="true" form="postfix">&#x00029;</mo></mrow></mrow></math>')
    problem = {"title": "relu of a quotient", "graph": {"inputs": {"x": 1.5}, "parameters": {"v": 0.9},
               "nodes": {"g": "relu(x / v)", "L": "square(g)"}, "output": "L"},
               "questions": [{"id": "q1", "ask": ["forward", "gradients"], "gradients": ["v"]}]}
    (tmp_path / "q.yaml").write_text(json.dumps(problem), encoding="utf-8")
    text = render(solve_file(tmp_path / "q.yaml"), "html", Options())
    assert EMPTY_MO.findall(text) == [] and fallbacks(text) == 0
    assert ("<mi>ReLU</mi><mrow><mo stretchy=\"true\" fence=\"true\" form=\"prefix\">&#x00028;</mo><mfrac><mrow>"
            "<mn>1.5</mn></mrow><mrow><mn>0.9</mn></mrow></mfrac>") in text


def test_prose():
    assert inline("the delta rule (Widrow--Hoff), a < b") == "the delta rule (Widrow\u2013Hoff), a &lt; b"
    assert inline("cost $1 < 2$ here").startswith("cost <math") and "&lt;" in inline("$1 < 2$")
    assert paragraphs("one\ntwo\n\nthree") == "<p>one\ntwo</p>\n<p>three</p>"


# --- what a user writes in math is text, never markup ---------------------------------------

def unsafe(text: str) -> list[str]:
    """What in written HTML could run or fetch something, as a browser parses it: an element a
    user wrote in \\text (a script, an image, any HTML inside math), a link other than the page's
    own anchors, an event handler, a style attribute."""
    import lxml.html

    found = []
    for el in lxml.html.fromstring(text).iter():
        if el.tag in ("script", "img", "iframe", "b", "object", "embed"):
            found.append(f"<{el.tag}>")
        found += [f"{el.tag} {name}={value!r}" for name, value in el.attrib.items()
                  if name.startswith("on") or name == "style" or (name == "href" and not value.startswith("#"))]
    return found
INJECTED = {
    "title": r"Net $\text{<script>document.documentElement.setAttribute('data-pwned','t')</script>}$",
    # (\href and \style in a statement are refused when the file is read: tests/bad; the
    # MathML of one is still sanitized, test_text_in_math_is_escaped_and_links_and_styles_dropped)
    "statement": r"S $\text{<img src=x onerror=alert(1)>}$ $\mbox{<b>hi</b>}$ $\text{a < b}$",
    "network": {"inputs": {"x1": 1, "x2": 2},
                "layers": [{"units": 2, "activation": "relu", "weights": [[0.2, 0.1], [0.3, 0.2]], "bias": 0.1}]},
    "questions": [{"id": "q1", "title": r"Q $\textbf{</math><script>alert(2)</script>}$",
                   "text": r"T $\textbf{</math><script>alert(4)</script>}$", "ask": ["forward"]}],
}


@pytest.mark.parametrize("tex, shown", [
    (r"\text{<script>alert(1)</script>}", "<mtext>&lt;script&gt;alert(1)&lt;/script&gt;</mtext>"),
    (r"\mbox{<b>hi</b>}", "<mtext>&lt;b&gt;hi&lt;/b&gt;</mtext>"),
    (r"\text{a < b & c}", "<mtext>a&#x000A0;&lt;&#x000A0;b&#x000A0;&amp;&#x000A0;c</mtext>"),
    (r"\href{javascript:alert(1)}{c}", "<mrow><mrow><mrow><mi>c</mi></mrow></mrow></mrow>"),
    (r"\style{background:url(x)}{y}", "<mrow><mrow><mi>y</mi></mrow></mrow>"),
])
def test_text_in_math_is_escaped_and_links_and_styles_dropped(tex, shown):
    out = mathml(tex)
    assert shown in out and fallbacks(out) == 0 and unsafe(out) == []
    assert ET.fromstring(out).tag == f"{MATHML}math"  # well-formed: no markup got in


def injected_page(tmp_path: Path) -> str:
    (tmp_path / "injected.yaml").write_text(json.dumps(INJECTED), encoding="utf-8")  # JSON is YAML
    return render(solve_file(tmp_path / "injected.yaml"), "html", Options())


def test_a_script_in_a_title_statement_or_roster_name_is_shown_not_run(tmp_path):
    text = injected_page(tmp_path)
    assert unsafe(text) == []
    # math in the statement and a question's text: what \text holds is text
    assert ("<p>S <math alttext=\"\\text{&lt;img src=x onerror=alert(1)&gt;}\" xmlns=\"http://www.w3.org/1998/Math/MathML\" "
            "display=\"inline\"><mrow><mtext>&lt;img&#x000A0;src=x&#x000A0;onerror=alert(1)&gt;</mtext></mrow></math>") in text
    assert "<mtext>a&#x000A0;&lt;&#x000A0;b</mtext>" in text
    assert '<mtext mathvariant="bold">&lt;/math&gt;&lt;script&gt;alert(4)&lt;/script&gt;</mtext>' in text
    # titles are plain text, as in the LaTeX and Markdown keys: no math made of them
    assert ("<h1>Net $\\text{&lt;script&gt;document.documentElement.setAttribute('data-pwned','t')&lt;/script&gt;}$"
            " — answer key</h1>") in text
    assert '<h2 id="nn-injected-q-q1">Q $\\textbf{&lt;/math&gt;&lt;script&gt;alert(2)&lt;/script&gt;}$</h2>' in text
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name\ns1,\"Ann $\\text{<script>alert(3)</script>}$\"\n", encoding="utf-8")
    from solver.pipeline import run_variants

    written = run_variants(ROOT / "problems" / "relu-2-2-2-variants.yaml", tmp_path, Options(formats=("html",)),
                           None, 7, roster)
    page_ = next(p for p in written if p.name == "relu-2-2-2-variants-s1.html").read_text(encoding="utf-8")
    assert unsafe(page_) == [] and ", Ann $\\text{&lt;script&gt;alert(3)&lt;/script&gt;}$) — answer key</h1>" in page_


def test_a_title_is_plain_text_in_every_format(tmp_path):
    """``$`` and ``~`` in a title are the characters (the README: titles are escaped), in the
    HTML as in the LaTeX and the Markdown: no formula, no non-breaking space, no strikethrough."""
    problem = {"title": "Costs $5 and $10, ~5 units", "network": INJECTED["network"],
               "questions": [{"id": "q1", "title": "Price $3 vs $4 ~ about", "ask": ["forward"]}]}
    (tmp_path / "costs.yaml").write_text(json.dumps(problem), encoding="utf-8")
    key = solve_file(tmp_path / "costs.yaml")
    html, md, tex = (render(key, fmt, Options()) for fmt in ("html", "md", "tex"))
    assert "<h1>Costs $5 and $10, ~5 units — answer key</h1>" in html
    assert '<li><a href="#nn-costs-q-q1">Price $3 vs $4 ~ about</a></li>' in html
    assert '<h2 id="nn-costs-q-q1">Price $3 vs $4 ~ about</h2>' in html
    assert "<math" not in html.split("<h2", 1)[0]  # the title, the contents: no formula
    assert md.startswith("# Costs \\$5 and \\$10, \\~5 units — answer key\n") and "## Price \\$3 vs \\$4 \\~ about\n" in md
    assert r"\title{Costs \$5 and \$10, \textasciitilde{}5 units --- answer key}" in tex
    assert r"\section*{Price \$3 vs \$4 \textasciitilde{} about}" in tex
    from solver.render.grades import feedback_md  # a student's feedback names the key's title as its key does

    assert feedback_md("ann_b", key.title, [], "within 1%").startswith(
        "# Costs \\$5 and \\$10, \\~5 units: feedback for ann\\_b\n")
    from solver.render.html_math import title  # as the LaTeX keeps -- and << apart: "-{}-"

    assert title("a -- b << c & d") == "a -- b &lt;&lt; c &amp; d"


# --- in a real browser -------------------------------------------------------------------

#: Run in the page once it is laid out: what the browser made of each formula.
PROBE = """<pre id="probe"></pre><script>
const ns = "http://www.w3.org/1998/Math/MathML";
const all = Array.from(document.getElementsByTagNameNS(ns, "math"));
const empty = all.filter(m => { const r = m.getBoundingClientRect(); return !(r.width > 0 && r.height > 0); });
document.getElementById("probe").textContent = JSON.stringify({
  math: all.length, mathml_elements: all.filter(m => m instanceof MathMLElement).length,
  empty: empty.map(m => m.getAttribute("alttext")).slice(0, 5), empty_count: empty.length,
  merror: document.getElementsByTagNameNS(ns, "merror").length,
  fallback: document.querySelectorAll("code.tex-fallback").length,
  svg: document.getElementsByTagName("svg").length});
</script>"""


def chromium(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


@needs_browser
def test_every_key_renders_in_chromium(tmp_path):
    """All the bundled keys and sheets in one page (their ids are prefixed by stem and sheet,
    so they do not clash), opened once: every formula is a laid-out MathML element."""
    assert CHROMIUM, "NNSOLVE_REQUIRE_TEX=1 but Chromium is not installed"
    parts = [page(p.name, sheet, body_only=True) for p in PROBLEMS for sheet in ("key", "questions")]
    expected = sum(len(maths(p)) for p in parts)
    svgs = sum(p.count("<svg") for p in parts)
    html = "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>" + "".join(parts) + PROBE + "</body></html>"
    (tmp_path / "all.html").write_text(html, encoding="utf-8")
    started = time.perf_counter()
    result = chromium(tmp_path, "--dump-dom", (tmp_path / "all.html").as_uri())
    took = time.perf_counter() - started
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found and found.group(1), result.stderr[-2000:]
    probe = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    print(f"Chromium: {probe['math']} formulas of {len(parts)} pages, {probe['empty_count']} empty, "
          f"{probe['merror']} merror, {probe['fallback']} shown as LaTeX; {took:.1f} s")
    assert probe["math"] == probe["mathml_elements"] == expected > 1000
    assert probe["empty_count"] == 0, probe["empty"]
    assert probe["merror"] == 0 and probe["fallback"] == 0
    assert probe["svg"] == svgs


@needs_browser
def test_a_screenshot_and_a_printed_key(tmp_path):
    """The first screen of a key (kept at NNSOLVE_SCREENSHOT_DIR, if set, to be looked at) and
    the key printed to PDF: A4 pages, its title and final answers on them."""
    assert CHROMIUM, "NNSOLVE_REQUIRE_TEX=1 but Chromium is not installed"
    source = tmp_path / "relu-2-2-2.html"
    source.write_text(page("relu-2-2-2.yaml"), encoding="utf-8")
    shot, pdf = tmp_path / "first-screen.png", tmp_path / "key.pdf"
    chromium(tmp_path, "--window-size=1100,1400", f"--screenshot={shot}", source.as_uri())
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", source.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 1100
    assert len(data) > 50_000  # text, formulas and the diagram, not a blank page
    if os.environ.get("NNSOLVE_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["NNSOLVE_SCREENSHOT_DIR"]) / shot.name)
        shutil.copy(pdf, Path(os.environ["NNSOLVE_SCREENSHOT_DIR"]) / pdf.name)
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(pdf))
    assert len(reader.pages) >= 3
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4
    text = "".join(p.extract_text() for p in reader.pages)
    assert "A 2-2-2 ReLU network" in text and "Final answers" in text


@needs_browser
def test_chromium_runs_no_script_written_in_math(tmp_path):
    """The page of :data:`INJECTED` opened: its script (had it run) would mark the document;
    Chromium shows the text instead."""
    assert CHROMIUM, "NNSOLVE_REQUIRE_TEX=1 but Chromium is not installed"
    source = tmp_path / "injected.html"
    source.write_text(injected_page(tmp_path), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", source.as_uri()).stdout
    assert '<html lang="en">' in dom and "data-pwned=" not in dom and "<script" not in dom
    assert "<mtext>&lt;img&nbsp;src=x&nbsp;onerror=alert(1)&gt;</mtext>" in dom
