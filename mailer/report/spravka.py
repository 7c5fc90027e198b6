"""The control report ("справка") in the office's form, as a DOCX: the organization, the date
and number to fill in, a title naming the letter, the facts in sentences, a table of the
recipients whose header repeats on every page, the signatory and the executor mark. The page is
the letter's (mailer.layout)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from mailer import layout
from mailer.report.words import plain_state
from mailer.russian import date_numeric, date_words, plural
from mailer.signature_block import sign_off
from mailer.states import Standing
from mailer.status import LetterStatus, StatusRow, Total
from mailer.typography import typeset

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import _Row
    from docx.text.paragraph import Paragraph

TABLE_PT = 12
HEADERS = ("№", "Адресат", "Отправлено", "Ответ (вх. № и дата)", "Напоминаний", "Состояние")
NO_ANSWER = "—"
CELL_PADDING_MM = 2 * 1.9 + 1  # Word's and LibreOffice's default cell margins, and some air
# "вх. № 01-12/3456 от 20.10.2023" in the note of a hand mark made before the journal kept them
_INCOMING = re.compile(
    r"(?:вх\.?\s*)?№\s*(?P<number>[^\s,;]+)(?:\s*от\s*(?P<date>\d{2}\.\d{2}\.\d{4}))?",
    re.IGNORECASE,
)


def _day(stamp: str | None) -> str:
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%d.%m.%Y")
    except ValueError:
        return stamp


def incoming(row: StatusRow) -> str:
    """The answer's incoming registration: "вх. № … от …", or its date alone.

    A hand mark keeps its incoming number and the answer's date (``replied_at``); one made
    before it did may still carry them in its note."""
    if row.state != Standing.REPLIED:
        return NO_ANSWER
    number = row.incoming_number
    date: str | None = None
    if not number and row.note:
        found = _INCOMING.search(row.note)
        if found:
            number, date = found["number"], found["date"] or date
    day = date if isinstance(date, str) and re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", date) else None
    day = day or _day(date if isinstance(date, str) else None) or _day(row.replied_at)
    return f"вх. № {number} от {day}" if number else f"от {day}"


def facts(status: LetterStatus) -> list[str]:
    """The report's text: full sentences, agreeing with their numbers."""
    letter = status.letter
    s = letter.settings
    reg = s.registration
    t = status.totals()
    first = (
        f"Письмо от {date_numeric(reg.date)} № {reg.number} «{s.subject}» направлено "
        f"{plural(t[Total.SENT], 'адресату', 'адресатам', 'адресатам')}"
    )
    if letter.deadline:
        first += f" со сроком ответа до {date_words(letter.deadline)}"
    sentences = [_sentence(first)]
    if t[Total.NOT_SENT]:
        sentences.append(
            f"Не отправлено {plural(t[Total.NOT_SENT], 'письмо', 'письма', 'писем')} из "
            f"{t[Total.RECIPIENTS]}."
        )
    if t[Total.REPLIED]:
        sentences.append(
            f"По состоянию на {date_numeric(status.today)} ответы поступили от "
            f"{plural(t[Total.REPLIED], 'адресата', 'адресатов', 'адресатов')}."
        )
    else:
        sentences.append(f"По состоянию на {date_numeric(status.today)} ответы не поступили.")
    if t[Total.NOT_REPLIED]:
        verb = "Не ответил" if _singular(t[Total.NOT_REPLIED]) else "Не ответили"
        line = f"{verb} {plural(t[Total.NOT_REPLIED], 'адресат', 'адресата', 'адресатов')}"
        if t[Total.OVERDUE]:
            overdue = plural(t[Total.OVERDUE], "адресата", "адресатов", "адресатов")
            line += f", срок ответа истек у {overdue}"
        sentences.append(_sentence(line))
    if t[Total.BOUNCED]:
        sentences.append(
            "Письмо не доставлено "
            f"{plural(t[Total.BOUNCED], 'адресату', 'адресатам', 'адресатам')}: "
            "почтовый сервер получателя вернул его."
        )
    if t[Total.REMINDERS]:
        sentences.append(
            f"Направлено {plural(t[Total.REMINDERS], 'напоминание', 'напоминания', 'напоминаний')}."
        )
    else:
        sentences.append("Напоминания не направлялись.")
    return [
        " ".join(sentences[:2]),
        " ".join(sentences[2:]),
        "Сведения по каждому адресату приведены в таблице.",
    ]


def _sentence(text: str) -> str:
    """A sentence's full stop, not doubled after "г." ("до 20 ноября 2023 г.")."""
    return text if text.endswith(".") else text + "."


def _singular(count: int) -> bool:
    return count % 10 == 1 and count % 100 != 11


def _rows(status: LetterStatus) -> list[tuple[str, ...]]:
    return [
        (
            str(number),
            row.organization or row.id,
            _day(row.sent_at),
            incoming(row),
            str(row.reminders),
            plain_state(row),
        )
        for number, row in enumerate(status.rows, start=1)
    ]


def column_widths(rows: Sequence[Sequence[str]]) -> list[float]:
    """Each column as wide as its longest word (header in bold), so that no word breaks; the
    addressee's column takes what is left."""
    widths = []
    for index, header in enumerate(HEADERS):
        words = header.split() + [w for row in rows for w in typeset(row[index]).split(" ")]
        longest = max(layout.text_width_mm(word, TABLE_PT) for word in words)
        widths.append(longest * 1.1 + CELL_PADDING_MM)  # headers are bold
    widths[1] = max(layout.TEXT_WIDTH_MM - (sum(widths) - widths[1]), widths[1])
    scale = layout.TEXT_WIDTH_MM / sum(widths)
    return [width * min(scale, 1.0) for width in widths]


def _table(document: Document, rows: list[tuple[str, ...]]) -> None:
    table = layout.add_table(document, 1, len(HEADERS))
    table.style = "Table Grid"
    table.autofit = False
    header = table.rows[0]
    header_properties = header._tr.get_or_add_trPr()
    for tag in ("cantSplit", "tblHeader"):  # whole, and repeated at the top of every page
        header_properties.append(layout.w_element(tag))
    for cell, title in zip(header.cells, HEADERS, strict=True):
        layout.cell_paragraph(cell, title, size=TABLE_PT, bold=True, align="center", first=True)
    for values in rows:
        # python-docx's Table.add_row is unannotated: it returns a _Row
        row = cast("_Row", table.add_row())  # type: ignore[no-untyped-call]
        row._tr.get_or_add_trPr().append(layout.w_element("cantSplit"))
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            align: layout.Align = "left" if index in (1, 3, 5) else "center"
            layout.cell_paragraph(cell, value, size=TABLE_PT, align=align, first=True)
    layout.fixed_widths(table, column_widths(rows))


def spravka_docx(status: LetterStatus) -> bytes:
    """The control report ("справка") in the office's form, on the letter's page."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    letter = status.letter
    s = letter.settings
    reg = s.registration
    document = docx.Document()
    layout.set_up_page(document)

    def paragraph(text: str, *, bold: bool = False, size: int = layout.TEXT_PT) -> Paragraph:
        return layout.add_text(document, text, bold=bold, size=size)

    for line in letter.organization.name_lines:
        paragraph(line, bold=True, size=layout.SMALL_PT).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph()
    paragraph("СПРАВКА", bold=True)
    paragraph(layout.BLANK_REGISTRATION)  # the date and number, filled in at registration
    document.add_paragraph()
    title = paragraph(
        f"Об исполнении письма от {date_numeric(reg.date)} № {reg.number}\n«{s.subject}»",
        bold=True,
    )
    layout.no_hyphenation(title._p)
    layout.keep_with_next(title._p)
    document.add_paragraph()
    for text in facts(status):
        layout.justified_with_indent(paragraph(text))
    document.add_paragraph()
    _table(document, _rows(status))
    document.add_paragraph()
    closing = paragraph(
        f"Справка составлена по журналу рассылки на {date_numeric(status.today)}: ответы, "
        "поступившие позже, в ней не учтены."
    )
    layout.justified_with_indent(closing)
    layout.keep_with_next(closing._p)
    sign_off(document, letter.report_signatory, None, s.executor)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
