"""Deterministic files: XML serialised the same way every time, and zip packages with
fixed timestamps and sorted entries, so that an export run twice is the same bytes; the
names of the files inside an export portable ASCII (:func:`file_name`)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from lxml import etree

#: The timestamp of every zip entry (the zip format's earliest date).
EPOCH = (1980, 1, 1, 0, 0, 0)


def xml_bytes(root: etree._Element) -> bytes:
    """An XML document (UTF-8, declared, indented) ending in a newline."""
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def file_name(text: str) -> str:
    """``text`` as a portable file name, which every unzip tool, importer and URL takes as it is:
    letters without their accents, every other character but ASCII letters, digits, ``.``,
    ``_`` and ``-`` as ``_`` ("réseau 1 (NN)" → "reseau_1__NN_")."""
    folded = "".join(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii") or "_"
                     for ch in unicodedata.normalize("NFC", text))
    return re.sub(r"[^A-Za-z0-9._-]", "_", folded)


def item_ident(prefix: str, name: str) -> str:
    """An item's identifier, also its file name: ``prefix`` and ``name`` folded to ASCII
    letters, digits and ``_`` ("q_", "réseau-2026-1" → "q_reseau_2026_1")."""
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", file_name(name))


def xml_id(text: str) -> str:
    """``text`` as an XML identifier (an NCName: letters, digits, ``_``, ``-``, ``.``, not starting
    with a digit, ``-`` or ``.``): every other character as ``_`` ("Übung 1 (NN)" → "Übung_1__NN_")."""
    out = re.sub(r"[^\w.-]", "_", text)
    return out if re.match(r"[^\W\d]", out) else f"_{out}"


def manifest_root(ns: str, stem: str, version: str) -> tuple[etree._Element, etree._Element]:
    """An IMS content package's ``imsmanifest.xml`` skeleton in namespace ``ns``: its metadata
    (schema ``IMS Content``, ``version``) and empty organizations; returns (the manifest, its
    ``resources`` element, to which each package adds its own)."""
    root = etree.Element(f"{{{ns}}}manifest", nsmap={None: ns}, identifier=f"nnsolve_{xml_id(stem)}")
    md = etree.SubElement(root, f"{{{ns}}}metadata")
    etree.SubElement(md, f"{{{ns}}}schema").text = "IMS Content"
    etree.SubElement(md, f"{{{ns}}}schemaversion").text = version
    etree.SubElement(root, f"{{{ns}}}organizations")
    return root, etree.SubElement(root, f"{{{ns}}}resources")


def zip_bytes(files: list[tuple[str, bytes]]) -> bytes:
    """A zip of ``(name, content)``: sorted by name (``imsmanifest.xml`` first, where some
    importers look), deflated, every entry dated :data:`EPOCH` with fixed permissions."""
    buf = io.BytesIO()
    order = sorted(files, key=lambda f: (f[0] != "imsmanifest.xml", f[0]))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in order:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            z.writestr(info, data)
    return buf.getvalue()
