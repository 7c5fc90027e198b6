"""The control report ("справка") in the office's form, as a DOCX."""

from __future__ import annotations

import io

from mailer.report.words import answer_label, deadline_note, plain_state
from mailer.russian import date_numeric, date_words, plural
from mailer.status import LetterStatus


def spravka_docx(status: LetterStatus) -> bytes:
    """The control report ("справка") in the office's form."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    letter = status.letter
    s = letter.settings
    totals = status.totals()
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(10)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    normal.paragraph_format.space_after = Pt(0)

    def centered(text: str, bold: bool = False) -> None:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = bold

    centered("СПРАВКА", bold=True)
    centered(
        f"об исполнении письма от {date_numeric(s.registration.date)} № {s.registration.number}"
    )
    centered(f"«{s.subject}»")
    centered(f"по состоянию на {date_numeric(status.today)}")
    document.add_paragraph()
    summary = (
        f"Письмо направлено {plural(totals['sent'], 'адресату', 'адресатам', 'адресатам')}"
        + (f" со сроком ответа до {date_words(letter.deadline)}" if letter.deadline else "")
        + f". Ответили: {totals['replied']}. Не ответили: {totals['not_replied']}"
        + (f", из них срок истёк: {totals['overdue']}" if letter.deadline else "")
        + f". Не доставлено: {totals['bounced']}. Направлено напоминаний: {totals['reminders']}."
    )
    paragraph = document.add_paragraph(summary.replace("г..", "г."))
    paragraph.paragraph_format.first_line_indent = Mm(12.5)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    document.add_paragraph()

    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, title in zip(
        table.rows[0].cells, ("№", "Адресат", "Ответ", "Напоминаний", "Состояние"), strict=True
    ):
        cell.text = title
        cell.paragraphs[0].runs[0].bold = True
    for number, row in enumerate(status.rows, start=1):
        cells = table.add_row().cells
        values = (
            str(number),
            row.organization or row.id,
            answer_label(row, with_time=False),
            str(row.reminders),
            plain_state(row) + (f" ({deadline_note(row)})" if row.overdue else ""),
        )
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    widths = (Mm(12), Mm(75), Mm(28), Mm(25), Mm(35))
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # LibreOffice reads the grid, Word the cells: set both
    for table_row in table.rows:
        for cell, width in zip(table_row.cells, widths, strict=True):
            cell.width = width
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(12)
    document.add_paragraph()
    document.add_paragraph()
    executor = s.executor
    for line in (executor.name, executor.phone):
        document.add_paragraph().add_run(line).font.size = Pt(12)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
