"""The letter laid out once with python-docx (GOST R 7.0.97-2025's corner layout), with markers
where each recipient's parts go: the addressee, the salutation and the body."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, cast

from mailer import layout
from mailer.errors import LetterError
from mailer.layout import BLANK_DATE, BLANK_NUMBER, SMALL_PT, cell_paragraph
from mailer.letter import Letter
from mailer.russian import date_numeric
from mailer.signature_block import sign_off
from mailer.signature_mark import MarkData

if TYPE_CHECKING:
    from docx.document import Document
    from docx.opc.coreprops import CoreProperties
    from docx.table import _Cell

# Each stands alone in its paragraph's one run, to be replaced in document.xml per recipient.
ADDRESSEE = "⟦ADDRESSEE⟧"
SALUTATION = "⟦SALUTATION⟧"
BODY = "⟦BODY⟧"
MARKERS = (ADDRESSEE, SALUTATION, BODY)


def lay_out(
    letter: Letter,
    title_text: str | None,
    registration: tuple[str, dt.date | None] | None,
    mark: MarkData | None,
    enclosure: str | None = None,
) -> bytes:
    """The letter as a DOCX package with the markers in place of its per-recipient parts."""
    import docx
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    settings = letter.settings
    try:
        document = docx.Document(str(letter.blank)) if letter.blank else docx.Document()
    except Exception as exc:  # python-docx raises assorted types for a file that is not DOCX
        raise LetterError(
            f"Бланк {letter.blank} не открывается как документ Word: {exc}."
        ) from None
    layout.set_up_page(document, keep_wider_margins=letter.blank is not None)
    _properties(document, letter, title_text)

    # Letterhead (left) and addressee (right): the corner layout of GOST R 7.0.97.
    text_width = layout.TEXT_WIDTH_MM
    header = layout.borderless_table(document, (text_width * 0.55, text_width * 0.45))
    left, right = header.rows[0].cells
    _letterhead(left, letter, registration)
    cell_paragraph(right, ADDRESSEE, first=True)
    right.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP

    document.add_paragraph()
    title = layout.add_text(document, title_text or settings.subject, bold=True)
    layout.keep_with_next(title._p)
    layout.no_hyphenation(title._p)
    document.add_paragraph()
    salutation = document.add_paragraph(SALUTATION)
    salutation.alignment = WD_ALIGN_PARAGRAPH.CENTER
    layout.keep_with_next(salutation._p)
    document.add_paragraph()
    document.add_paragraph(BODY)
    if enclosure:
        spacer = document.add_paragraph()
        layout.keep_with_next(spacer._p)
        layout.keep_with_next(layout.add_text(document, enclosure)._p)
    # the text's end and the two blank lines before the signature keep with it; the executor
    # mark is drawn from the signature's row at the foot of its page
    sign_off(document, settings.signatory, mark, settings.executor)

    raw = io.BytesIO()
    document.save(raw)
    return raw.getvalue()


def _properties(document: Document, letter: Letter, title_text: str | None) -> None:
    """The file's properties: title, author, the registration, and fixed times (the same
    letter gives the same bytes)."""
    settings = letter.settings
    org = letter.organization
    # python-docx's Document.core_properties is untyped
    core = cast("CoreProperties", document.core_properties)
    core.title = (title_text or settings.subject).replace("\n", " ")
    core.author = org.short_name
    core.comments = f"Исх. {letter.registration_label}"
    core.last_modified_by = org.short_name
    stamp = dt.datetime.combine(settings.registration.date, dt.time(9, 0))
    core.created = stamp
    core.modified = stamp


def _letterhead(
    cell: _Cell, letter: Letter, registration: tuple[str, dt.date | None] | None
) -> None:
    """The organization and its contacts (unless the blank has them), the registration and
    the reference to the letter answered."""
    settings = letter.settings
    org = letter.organization
    first = True
    if letter.blank is None:
        for line in org.name_lines:
            cell_paragraph(cell, line, size=SMALL_PT, bold=True, align="center", first=first)
            first = False
        phone_fax = ", ".join(
            part
            for part in (
                f"тел. {org.phone}" if org.phone else "",
                f"факс {org.fax}" if org.fax else "",
            )
            if part
        )
        contacts = [
            org.address,
            phone_fax,
            org.website,
            f"E-mail: {org.email}" if org.email else "",
        ]
        for line in (c for c in contacts if c):
            cell_paragraph(cell, line, size=SMALL_PT, align="center")
        cell_paragraph(cell, "", size=SMALL_PT)
    number, date = registration or (settings.registration.number, settings.registration.date)
    cell_paragraph(
        cell, layout.registration_line(number, date), size=SMALL_PT, align="center", first=first
    )
    ref = settings.reference
    ref_number = ref.number or BLANK_NUMBER
    ref_date = date_numeric(ref.date) if ref.date else BLANK_DATE
    cell_paragraph(cell, f"На № {ref_number} от {ref_date}", size=SMALL_PT, align="center")
