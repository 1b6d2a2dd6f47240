"""A key book: the keys of a class's variants as one PDF, in order (pypdf)."""

from __future__ import annotations

import io

from pypdf import PdfWriter


def merge_pdfs(pdfs: list[bytes], title: str) -> bytes:
    """The PDFs one after another, with an outline entry per PDF (its ``title`` and number).
    The same inputs give the same bytes: the document ID is derived from the contents."""
    writer = PdfWriter()
    for i, data in enumerate(pdfs, start=1):
        writer.append(io.BytesIO(data), outline_item=f"{title} {i}")
    writer.add_metadata({"/Producer": "nnsolve", "/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
