"""The XLSX summary: one row per recipient, coloured by state, with totals."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer.files import write_new_file
from mailer.guard import xlsx_text_only
from mailer.report.words import (
    MATCHED_BY,
    TOTAL_TITLES,
    deadline_note,
    plain_state,
)
from mailer.russian import date_numeric, date_words
from mailer.states import NOT_ARRIVED, Standing
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
    # date_words ends in "г.": the sentence's full stop is not doubled
    deadline = f"Срок ответа: {date_words(letter.deadline)} " if letter.deadline else ""
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
                _local_datetime(row.sent_at),
                row.reminders,
                _local_datetime(row.replied_at),
                MATCHED_BY.get(row.matched_by or "", row.matched_by or "")
                + (f", вх. № {row.incoming_number}" if row.incoming_number else ""),
                plain_state(row),
                deadline_note(row),
                row.note or "",
            ]
        )
        fill = (
            answered
            if row.state == Standing.REPLIED
            else overdue
            if row.overdue
            else failed
            if row.state in NOT_ARRIVED
            else None
        )
        if fill is not None:
            for cell in sheet[sheet.max_row]:
                cell.fill = fill
    sheet.append([])
    for key, value in status.totals().items():
        sheet.append(["", TOTAL_TITLES[key], value])
        sheet.cell(sheet.max_row, 2).font = Font(bold=True)
    last_row = header_row + len(status.rows)
    wrapped = Alignment(wrap_text=True, vertical="top")
    for cells in sheet.iter_rows(header_row + 1, last_row):
        for cell in cells:
            cell.alignment = wrapped
    for column in (5, 7):  # real dates, shown the Russian way
        for (cell,) in sheet.iter_rows(header_row + 1, last_row, column, column):
            cell.number_format = DATE_FORMAT
    for index, width in enumerate(_widths(sheet, header_row, last_row), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    xlsx_text_only(sheet)  # a list cell, a note or a bounce reading "=…" stays text
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(HEADERS))}{last_row}"
    _print_setup(sheet, header_row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DATE_FORMAT = "DD.MM.YYYY HH:MM"
MAX_WIDTH = 48  # characters; longer text wraps


def _local_datetime(stamp: str | None) -> datetime | None:
    """The journal's UTC stamp as this office's clock time (Excel keeps no time zone)."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).astimezone().replace(tzinfo=None)
    except ValueError:
        return None


def _widths(sheet: Any, header_row: int, last_row: int) -> list[float]:
    """Each column as wide as its longest value (a date as its format), within MAX_WIDTH; a
    header wider than its values wraps onto two lines."""
    widths = []
    for index, title in enumerate(HEADERS, start=1):
        longest = max((len(word) for word in title.split()), default=4)
        for (cell,) in sheet.iter_rows(header_row + 1, last_row, index, index):
            value = cell.value
            size = len(DATE_FORMAT) if isinstance(value, datetime) else len(str(value or ""))
            longest = max(longest, size)
        widths.append(min(longest, MAX_WIDTH) + 2.5)
    return widths


def _print_setup(sheet: Any, header_row: int) -> None:
    """Landscape A4, one page wide and as many long as needed, the header row on each page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "&P из &N"


def write_status_xlsx(status: LetterStatus, path: Path) -> Path:
    return write_new_file(path, workbook(status))
