"""What the boss reads: the status as a table, JSON, CSV or an XLSX workbook, and the control
report (a DOCX "справка" in the office's form)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from mailer.errors import OutputError
from mailer.russian import date_numeric, date_words, filename_safe, plural
from mailer.status import LetterStatus, StatusRow

STATE_TITLES = {
    "pending": "не отправлено",
    "sending": "отправляется",
    "sent": "отправлено",
    "failed": "отклонено сервером",
    "uncertain": "неизвестно, дошло ли",
    "bounced": "не доставлено",
    "replied": "ответил",
}
MATCHED_BY = {
    "thread": "по переписке",
    "number+sender": "по номеру письма и адресу",
    "number+domain": "по номеру письма и домену",
    "returned headers": "по возвращённому письму",
    "bounced address": "по адресу",
    "sender": "по адресу",
    "manual": "отмечено вручную",
}
TOTAL_TITLES = {
    "recipients": "Адресатов",
    "sent": "Отправлено",
    "replied": "Ответили",
    "not_replied": "Не ответили",
    "overdue": "Срок истёк",
    "bounced": "Не доставлено",
    "not_sent": "Не отправлено",
    "reminders": "Напоминаний",
}


def local_time(stamp: str | None) -> str:
    """The journal keeps UTC; people read their own clock, in Russian order."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return stamp


def _plain_state(row: StatusRow) -> str:
    if row.overdue:
        return "срок истёк"
    return STATE_TITLES.get(row.state, row.state)


def _deadline_note(row: StatusRow) -> str:
    if row.days_left is None:
        return ""
    if row.days_left < 0:
        return f"просрочено на {plural(-row.days_left, 'день', 'дня', 'дней')}"
    return f"осталось {plural(row.days_left, 'день', 'дня', 'дней')}"


def status_table(status: LetterStatus) -> str:
    letter = status.letter
    lines = [f"{letter.settings.subject}, {letter.registration_label} ({letter.key})"]
    if letter.deadline:
        lines.append(f"Срок ответа: {date_words(letter.deadline)}")
    width = max(len(r.id) for r in status.rows)
    for row in status.rows:
        when = local_time(row.replied_at or row.sent_at)
        parts = [f"  {row.id:<{width}}  {_plain_state(row):<20} {when:<16}"]
        if row.matched_by:
            parts.append(f"({MATCHED_BY.get(row.matched_by, row.matched_by)})")
        if row.reminders:
            parts.append(f"напоминаний: {row.reminders}")
        if row.days_left is not None:
            parts.append(_deadline_note(row))
        if row.read_at:
            parts.append(f"прочитано {local_time(row.read_at)}")
        if row.note:
            parts.append(f"— {row.note}")
        lines.append(" ".join(parts).rstrip())
    totals = status.totals()
    lines.append("Итого: " + ", ".join(f"{TOTAL_TITLES[k].lower()} {v}" for k, v in totals.items()))
    return "\n".join(lines) + "\n"


def status_json(status: LetterStatus) -> str:
    return json.dumps([r.as_dict() for r in status.rows], ensure_ascii=False, indent=2) + "\n"


def status_csv(status: LetterStatus) -> str:
    out = io.StringIO()
    fields = list(status.rows[0].as_dict()) if status.rows else ["id"]
    # ";" and a BOM on write: what Excel in a Russian locale opens without a wizard
    writer = csv.DictWriter(out, fieldnames=fields, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in status.rows:
        writer.writerow(row.as_dict())
    return out.getvalue()


def write_new_file(path: Path, data: bytes) -> Path:
    """Write a file that must not already exist: nothing the user had is overwritten."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as out:
            out.write(data)
    except FileExistsError:
        raise OutputError(
            f"Файл {path} уже есть; перезаписывать его программа не будет.",
            hint="Укажите другое имя файла или уберите старый.",
        ) from None
    except OSError as exc:
        raise OutputError(f"Не удалось записать {path}: {exc}.") from None
    return path


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    counter = 2
    while candidate.exists():
        candidate = folder / f"{stem} ({counter}){suffix}"
        counter += 1
    return candidate


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


def _workbook(status: LetterStatus) -> bytes:
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
                _plain_state(row),
                _deadline_note(row),
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
    sheet.auto_filter.ref = f"A{header_row}:K{header_row + len(status.rows)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_status_xlsx(status: LetterStatus, path: Path) -> Path:
    return write_new_file(path, _workbook(status))


def _reference_docx(status: LetterStatus) -> bytes:
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
            local_time(row.replied_at)[:10],
            str(row.reminders),
            _plain_state(row) + (f" ({_deadline_note(row)})" if row.overdue else ""),
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


def write_report(status: LetterStatus, folder: Path) -> tuple[Path, Path]:
    """The XLSX summary and the DOCX "справка", side by side, under new names."""
    stamp = date_numeric(status.today)
    base = filename_safe(f"{status.letter.key} на {stamp}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Не удалось создать папку {folder}: {exc}.") from None
    xlsx = write_new_file(_free_name(folder, f"Сводка {base}.xlsx"), _workbook(status))
    docx_path = write_new_file(_free_name(folder, f"Справка {base}.docx"), _reference_docx(status))
    return xlsx, docx_path
