"""What `check` and the tests read back from a built DOCX: its paragraphs' text in document
order, and its paragraphs as python-docx objects (tables' and text boxes' included)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mailer.layout import W
from mailer.typography import plain

if TYPE_CHECKING:
    from docx.document import Document
    from docx.oxml.document import CT_Document
    from docx.oxml.text.paragraph import CT_P
    from docx.text.paragraph import Paragraph
    from lxml.etree import _Element


def open_docx(path_or_bytes: Path | bytes) -> Document:
    import docx

    if isinstance(path_or_bytes, bytes):
        return docx.Document(io.BytesIO(path_or_bytes))
    return docx.Document(str(path_or_bytes))


def body_of(document: Document) -> _Element:
    """The document's w:body."""
    # python-docx's ElementProxy.element is untyped; a Document's is its w:document
    return cast("CT_Document", document.element).body


def read_docx_text(path_or_bytes: Path | bytes, *, raw: bool = False) -> list[str]:
    """Paragraph texts of a DOCX, tables included, in document order; a line break is "\\n".
    Non-breaking spaces read as spaces unless ``raw``."""
    body = body_of(open_docx(path_or_bytes))
    # a text box's paragraphs are read on their own, not as part of the one holding the box
    texts = [
        "".join(
            node.text or "" if node.tag == f"{W}t" else "\n"
            for node in paragraph.iter(f"{W}t", f"{W}br")
            if next(node.iterancestors(f"{W}p")) is paragraph
        )
        for paragraph in body.iter(f"{W}p")
    ]
    return texts if raw else [plain(text) for text in texts]


def all_paragraphs(document: Document) -> list[Paragraph]:
    """The body's paragraphs, then the tables', then the text boxes'."""
    from docx.text.paragraph import Paragraph

    paragraphs = list(document.paragraphs)
    for table in document.tables:
        # python-docx's _Cell.paragraphs is untyped
        paragraphs += [p for c in table._cells for p in cast("list[Paragraph]", c.paragraphs)]
    paragraphs += [
        # python-docx's parser makes every w:p a CT_P
        Paragraph(cast("CT_P", p), document)
        for box in body_of(document).iter(f"{W}txbxContent")
        for p in box.iter(f"{W}p")
    ]
    return paragraphs


def in_text_box(paragraph: Paragraph) -> bool:
    """Whether the paragraph stands in a text box (as the executor mark's do)."""
    return any(node.tag == f"{W}txbxContent" for node in paragraph._p.iterancestors())
