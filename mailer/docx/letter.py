"""The letter's DOCX, built once per run and filled per recipient.

python-docx takes tens of milliseconds per document, so the letter is laid out once with markers
where the per-recipient parts go (mailer.docx.skeleton). Per recipient only word/document.xml is
filled by string substitution and added to a ZIP whose other parts were compressed once
(mailer.docx.package).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from functools import lru_cache

from mailer.docx.package import DOCUMENT_PART, Package, read_parts, write_parts
from mailer.docx.skeleton import ADDRESSEE, BODY, MARKERS, SALUTATION, lay_out
from mailer.docx.slimming import slimmed
from mailer.errors import LetterError
from mailer.layout import FIRST_LINE_INDENT_TWIPS
from mailer.letter import Letter
from mailer.signature_mark import MarkData
from mailer.text import CACHE_SIZE, Block
from mailer.typography import typeset

# A paragraph shorter than this may be one line: then the one before it stays on the
# signature's page too, so that at least two lines of text stand above the signature.
ONE_LINE_CHARS = 90


class FromSettings:
    """The default of DocxLetter's ``mark``: the letter's own, read from its signer's
    certificate (None for an unsigned letter)."""


FROM_SETTINGS = FromSettings()


class DocxLetter:
    """The letter's DOCX, built once; ``fill`` gives one recipient's file as bytes."""

    def __init__(
        self,
        letter: Letter,
        *,
        title: str | None = None,
        registration: tuple[str, dt.date | None] | None = None,
        enclosure: str | None = None,
        mark: MarkData | FromSettings | None = FROM_SETTINGS,
    ) -> None:
        """``title``, ``registration`` (number, date; blanks when empty) and ``enclosure``
        (the "Приложение: …" line) are a reminder's, a letter of its own. ``mark``: the
        electronic-signature mark's data, or None for a letter without one (position | name);
        by default the letter's own (Letter.mark: from its signer's certificate)."""
        self.letter = letter
        shown_mark = letter.mark if isinstance(mark, FromSettings) else mark
        parts = read_parts(lay_out(letter, title, registration, shown_mark, enclosure))
        document_xml = parts.pop(DOCUMENT_PART).decode("utf-8")
        for marker in MARKERS:
            if document_xml.count(marker) != 1:
                raise LetterError(f"Внутренняя ошибка сборки документа: метка {marker} не найдена.")
        self._package = Package(write_parts(slimmed(parts, document_xml)))
        body_at = document_xml.index(BODY)
        p_start = max(
            document_xml.rfind("<w:p>", 0, body_at), document_xml.rfind("<w:p ", 0, body_at)
        )
        p_end = document_xml.index("</w:p>", body_at) + len("</w:p>")
        self._head = document_xml[:p_start]
        self._tail = document_xml[p_end:]

    def fill(self, addressee: str, salutation: str, blocks: Sequence[Block]) -> bytes:
        head = self._head.replace(ADDRESSEE, _line_runs(addressee)).replace(
            SALUTATION, _line_runs(salutation)
        )
        body = _body_xml(blocks)
        return self._package.with_part(DOCUMENT_PART, (head + body + self._tail).encode("utf-8"))


def _line_runs(text: str) -> str:
    """Escaped run content for text that may span lines: w:t pieces joined by w:br."""
    # &, < and > only (as xml.sax.saxutils.escape, whose import pulls in urllib and http)
    pieces = [html.escape(typeset(line), quote=False) for line in text.split("\n")]
    return '</w:t><w:br/><w:t xml:space="preserve">'.join(pieces)


@lru_cache(maxsize=CACHE_SIZE)
def _paragraph_xml(block: Block, keep_with_next: bool = False) -> str:
    text = "\n".join(block.lines)
    if block.kind == "item":
        text = "– " + text
    keep = "<w:keepNext/>" if keep_with_next else ""
    return (
        f'<w:p><w:pPr>{keep}<w:ind w:firstLine="{FIRST_LINE_INDENT_TWIPS}"/><w:jc w:val="both"/>'
        f'</w:pPr><w:r><w:t xml:space="preserve">{_line_runs(text)}</w:t></w:r></w:p>'
    )


def _body_xml(blocks: Sequence[Block]) -> str:
    """The text's paragraphs; the last ones keep with the signature (with widow control, at
    least their last two lines go to its page)."""
    keep_from = len(blocks) - 1
    if blocks and len(blocks[-1].text) < ONE_LINE_CHARS:
        keep_from -= 1
    return "".join(_paragraph_xml(b, i >= keep_from) for i, b in enumerate(blocks))
