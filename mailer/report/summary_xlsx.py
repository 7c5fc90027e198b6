"""The XLSX summary: one row per recipient, coloured by state, with totals."""

from __future__ import annotations

import io
from pathlib import Path

from mailer.files import write_new_file
from mailer.guard import xlsx_text_only
from mailer.report.words import (
    MATCHED_BY,
    TOTAL_TITLES,
    deadline_note,
    local_time,
    plain_state,
)
from mailer.russian import date_numeric, date_words
from mailer.status import LetterStatus

HEADERS = (
    "№",
    "Адресат",
    "Код",
    "Адреса",
    "Отправлено",
    "Напоминаний",
    "Ответ получен",
    "Как получен",
    "Состояние",
    "Срок",
    "Примечание",
)


def workbook(status: LetterStatus) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    letter = status.letter
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Сводка"
    sheet.append([f"{letter.settings.subject}, {letter.registration_label}"])
    sheet["A1"].font = Font(bold=True, size=13)
    deadline = f"Срок ответа: {date_words(letter.deadline)}. " if letter.deadline else ""
    sheet.append([f"{deadline}По состоянию на {date_numeric(status.today)}."])
    sheet.append([])
    sheet.append(list(HEADERS))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    answered = PatternFill("solid", fgColor="C6EFCE")
    overdue = PatternFill("solid", fgColor="FFC7CE")
    failed = PatternFill("solid", fgColor="FFEB9C")
    for number, row in enumerate(status.rows, start=1):
        sheet.append(
            [
                number,
                row.organization or row.id,
                row.id,
                row.email,
                local_time(row.sent_at),
                row.reminders,
                local_time(row.replied_at),
                MATCHED_BY.get(row.matched_by or "", row.matched_by or ""),
                plain_state(row),
                deadline_note(row),
                row.note or "",
            ]
        )
        fill = (
            answered
            if row.state == "replied"
            else overdue
            if row.overdue
            else failed
            if row.state in ("bounced", "failed", "uncertain")
            else None
        )
        if fill is not None:
            for cell in sheet[sheet.max_row]:
                cell.fill = fill
    sheet.append([])
    for key, value in status.totals().items():
        sheet.append(["", TOTAL_TITLES[key], value])
        sheet.cell(sheet.max_row, 2).font = Font(bold=True)
    widths = (5, 42, 14, 32, 17, 13, 17, 26, 18, 22, 40)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    xlsx_text_only(sheet)  # a list cell, a note or a bounce reading "=…" stays text
    sheet.auto_filter.ref = f"A{header_row}:K{header_row + len(status.rows)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_status_xlsx(status: LetterStatus, path: Path) -> Path:
    return write_new_file(path, workbook(status))
