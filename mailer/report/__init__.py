"""What the boss reads: the status (`status_output`), the XLSX summary (`summary_xlsx`) and the
DOCX справка (`spravka`), written side by side by `write_report`."""

from __future__ import annotations

from pathlib import Path

from mailer.errors import OutputError
from mailer.files import free_name, write_new_file
from mailer.guard import file_name
from mailer.report.spravka import spravka_docx
from mailer.report.summary_xlsx import workbook
from mailer.russian import date_numeric
from mailer.status import LetterStatus
from mailer.system_ru import file_problem


def write_report(status: LetterStatus, folder: Path) -> tuple[Path, Path]:
    """The XLSX summary and the DOCX "справка", side by side, under new names."""
    stamp = date_numeric(status.today)
    base = file_name(f"{status.letter.key} на {stamp}", composed=True)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Не удалось создать папку {folder}: {file_problem(exc)}.") from None
    xlsx = write_new_file(free_name(folder, f"Сводка {base}.xlsx"), workbook(status))
    docx_path = write_new_file(free_name(folder, f"Справка {base}.docx"), spravka_docx(status))
    return xlsx, docx_path
