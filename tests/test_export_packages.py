"""The zip packages (Canvas's QTI 1.2, QTI 2.1) as an importer lists and unpacks them: item
titles, file names and what the manifests and the HTML refer to."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
QTI12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def export(problem: Path, target: str, out: Path, *more: str) -> Path:
    r = CliRunner().invoke(main, ["export", str(problem), "--to", target, "-o", str(out), *more], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    [package] = out.glob("*.zip")
    return package


def canvas_titles(package: Path) -> dict[str, list[str]]:
    """Each quiz's title → its items' titles, in order."""
    out = {}
    with zipfile.ZipFile(package) as z:
        for name in z.namelist():
            if name.endswith(".xml") and name != "imsmanifest.xml":
                root = etree.fromstring(z.read(name))
                out[root.find(f"{QTI12}assessment").get("title")] = [i.get("title") for i in root.iter(f"{QTI12}item")]
    return out


def test_canvas_items_have_titles_of_their_own(tmp_path):
    """Canvas lists a question bank by title alone: every item was "Problem" or "<question>: <name>",
    the same for a tensor's elements, a gradient and an update of w1, each step, each variant."""
    [(quiz, items)] = canvas_titles(export(PROBLEMS / "relu-2-2-2.yaml", "canvas", tmp_path / "r")).items()
    assert quiz == "A 2-2-2 ReLU network"
    assert items[:3] == ["A 2-2-2 ReLU network — statement and given values",
                         "A 2-2-2 ReLU network — Question 1: forward pass — z_h1",
                         "A 2-2-2 ReLU network — Question 1: forward pass — h1"]
    assert "A 2-2-2 ReLU network — Question 2: squared error and two gradients — dL/dw3" in items
    [items] = canvas_titles(export(PROBLEMS / "attention.yaml", "canvas", tmp_path / "a")).values()
    assert items[-1] == "Scaled dot-product attention — Question 1 — dL/dQ[2, 3]"
    assert len(set(items)) == len(items) == 30
    [items] = canvas_titles(export(PROBLEMS / "nesterov-adamw.yaml", "canvas", tmp_path / "n")).values()
    head = "One step of Nesterov momentum and one of AdamW on seed 000's network — "
    assert {head + "Question 1 — w1 after step 1", head + "Question 3 — w1 after the update"} <= set(items)
    assert len(set(items)) == len(items) == 81
    pool = canvas_titles(export(PROBLEMS / "relu-2-2-2-variants.yaml", "canvas", tmp_path / "v", "--variants", "2"))
    every = [t for items in pool.values() for t in items]
    assert len(pool) == 2 and len(set(every)) == len(every)
    assert all(t.startswith(quiz + " — ") and "(variant 0-" in quiz for quiz, items in pool.items() for t in items)


def _refs(files: dict[str, bytes]) -> tuple[set[str], set[str]]:
    """(every file the manifest and the tests name, every image the items' HTML shows)."""
    manifest = etree.fromstring(files["imsmanifest.xml"])
    named = {el.get("href") for el in manifest.iter() if el.get("href")}
    shown = set()
    for name, data in files.items():
        if name.endswith(".xml") and name != "imsmanifest.xml":
            root = etree.fromstring(data)
            named |= {el.get("href") for el in root.iter() if el.tag.endswith("assessmentItemRef")}
            shown |= {el.get("src") for el in root.iter() if el.tag.endswith("}img")}  # QTI 2.1's XHTML
            shown |= {src for el in root.iter() if el.tag.endswith("}mattext")  # QTI 1.2's HTML as text
                      for src in re.findall(r'<img src="([^"]+)"', el.text or "")}
    return named, shown


@pytest.mark.parametrize("target", ["canvas", "qti21"])
@pytest.mark.parametrize("stem", ["réseau 1 (NN)", "re\u0301seau"])  # precomposed é, and é as e + U+0301 (macOS)
def test_file_names_in_a_package_are_portable_and_what_it_refers_to(stem, target, tmp_path):
    """A problem saved as "réseau 1 (NN).yaml" put "images/réseau 1 (NN)-key-diagram.svg" and
    "q_réseau_1__NN_/…" into the zip: UTF-8 names (flag 0x800), which unzip tools and
    importers read differently, and hrefs and <img src> with spaces, no valid URI. The names
    inside a package are now ASCII letters, digits, '.', '_' and '-', and are what the
    manifest, the test and the HTML refer to."""
    problem = tmp_path / f"{stem}.yaml"
    problem.write_text((PROBLEMS / "xor-2-2-1-training.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    package = export(problem, target, tmp_path / "x")
    with zipfile.ZipFile(package) as z:
        infos = z.infolist()
        files = {i.filename: z.read(i) for i in infos}
    assert all(re.fullmatch(r"[A-Za-z0-9._/-]+", i.filename) and not i.flag_bits & 0x800 for i in infos), list(files)
    assert "images/reseau_1__NN_-questions-diagram.svg" in files or "images/reseau-questions-diagram.svg" in files
    named, shown = _refs(files)
    assert named == set(files) - {"imsmanifest.xml"}  # every file named, every name a file
    assert shown and shown <= set(files)
    assert len([n for n in files if n.startswith("images/")]) == 4  # two diagrams, two training plots


def test_moodle_and_prairielearn_files_have_the_same_portable_names(tmp_path):
    problem = tmp_path / "réseau 1.yaml"
    problem.write_text((PROBLEMS / "xor-2-2-1-training.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    CliRunner().invoke(main, ["export", str(problem), "--to", "prairielearn", "-o", str(tmp_path / "p")], catch_exceptions=False)
    [folder] = (tmp_path / "p").iterdir()
    assert re.fullmatch(r"reseau_1-[0-9a-f]{8}", folder.name)
    pl = sorted(p.name for p in (folder / "clientFilesQuestion").iterdir())
    assert pl == ["reseau_1-key-diagram.svg", "reseau_1-long-run-loss.svg", "reseau_1-questions-diagram.svg",
                  "reseau_1-three-steps-loss.svg"]
    server = (folder / "server.py").read_text(encoding="utf-8")
    assert all(f"client_files_question_url}}}}/{n}" in server for n in pl)
    CliRunner().invoke(main, ["export", str(problem), "--to", "moodle", "-o", str(tmp_path / "m")], catch_exceptions=False)
    quiz = etree.parse(str(tmp_path / "m" / "réseau 1-moodle.xml")).getroot()
    embedded = {f.get("name") for f in quiz.iter("file")}
    used = {n for t in quiz.iter("text") for n in re.findall(r"@@PLUGINFILE@@/([^\"]+)", t.text or "")}
    assert embedded == used == set(pl)
