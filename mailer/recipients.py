"""Reading and validating recipient lists: CSV (UTF-8 with or without BOM, Windows-1251;
delimited by comma, semicolon or tab) and XLSX, with English or Russian column names.

Every row is checked before anything is sent, and all problems are reported at once. The
cells are read by mailer.tables, the header found by mailer.columns, each row checked by
mailer.recipient_checks; a recipient and a list of them are mailer.recipient's (imported from
here too).
"""

from __future__ import annotations

from pathlib import Path

from mailer.columns import (
    COLUMN_TITLES,
    FIELDS,
    HEADER_SEARCH_ROWS,
    Header,
    filled,
    find_header,
    read_header,
)
from mailer.errors import RecipientsError
from mailer.recipient import Recipient, RecipientList
from mailer.recipient_checks import GENDERS, RowChecks, made_ids
from mailer.tables import Rows, Table, read_csv, read_xlsx

# what this module always offered, wherever it is defined now
__all__ = [
    "COLUMN_TITLES",
    "FIELDS",
    "GENDERS",
    "HEADER_SEARCH_ROWS",
    "Recipient",
    "RecipientList",
    "load_recipients",
]


def load_recipients(path: Path, sheet: str | None = None) -> RecipientList:
    """Read and validate a recipient list; raise RecipientsError listing every problem."""
    where = str(path)
    if not path.exists():
        raise RecipientsError(where, ["файл не найден"])
    if path.is_dir():
        raise RecipientsError(where, ["это папка, а не файл списка"])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = read_xlsx(path, sheet, lambda rows: find_header(filled(rows)) is not None)
    elif suffix == ".xls":
        raise RecipientsError(
            where,
            ["формат .xls (Excel 97-2003) не поддерживается: сохраните список как .xlsx или .csv"],
        )
    else:
        if sheet is not None:
            raise RecipientsError(where, ["--sheet выбирает лист книги Excel, а это не .xlsx"])
        table = read_csv(path)
    return _validate(path, table)


def _notes(table: Table, header: Header, data: Rows, ids_made: bool) -> list[str]:
    notes = []
    if table.sheet is not None:
        notes.append(f"лист «{table.sheet}», заголовок в строке {header.row}")
    elif header.row != 1:
        notes.append(f"заголовок в строке {header.row}")
    data_rows = {n for n, _ in data}
    hidden = [n for n in table.hidden_rows if n in data_rows]
    if hidden:
        shown = ", ".join(str(n) for n in hidden[:20]) + (" …" if len(hidden) > 20 else "")
        notes.append(
            f"скрытые строки ({len(hidden)}): {shown}; получатели в них тоже в списке — "
            "удалите строки, если письмо им не нужно"
        )
    hidden_named = []
    if table.hidden_columns:
        from openpyxl.utils import column_index_from_string
    for letter in table.hidden_columns:
        index = column_index_from_string(letter) - 1
        if index < len(header.names) and header.names[index]:
            hidden_named.append(f"{letter} «{header.names[index]}»")
    if hidden_named:
        notes.append(f"скрытые столбцы: {', '.join(hidden_named)}")
    if ids_made:
        notes.append(
            "столбца id нет: id получателей составлены из названий организаций (не меняйте "
            "названия, пока идёт рассылка, — иначе получатель станет для журнала новым; "
            "надёжнее добавить столбец id)"
        )
    return notes


def _validate(path: Path, table: Table) -> RecipientList:
    where = str(path)
    rows = filled(table.rows)
    if not rows:
        raise RecipientsError(where, ["список пуст: нет ни заголовка, ни строк"])
    start = find_header(rows)
    if start is None:
        first_row, first_cells = rows[0]
        shown = ", ".join(f"«{c.strip()}»" for c in first_cells if c.strip())
        raise RecipientsError(
            where,
            [
                f"не найдена строка заголовка: ни в одной из первых {HEADER_SEARCH_ROWS} "
                "заполненных строк нет названий столбцов списка (нужны хотя бы «E-mail» и "
                f"«ФИО» или «Организация»); первая строка ({first_row}): {shown}"
            ],
        )
    header_row, header_cells = rows[start]
    data = rows[start + 1 :]
    header = read_header(header_row, header_cells, data)
    if header.problems:
        raise RecipientsError(where, header.problems)
    if not data:
        raise RecipientsError(where, ["в списке нет ни одного получателя (только заголовок)"])
    columns = header.columns
    made = made_ids(columns, data) if "id" not in columns else {}
    checks = RowChecks(columns, header.extra_columns, made)
    recipients: list[Recipient] = []
    problems: list[str] = []
    for row_number, row in data:
        checked = checks.check(row_number, row)
        if isinstance(checked, Recipient):
            recipients.append(checked)
        else:
            problems.extend(f"строка {row_number}: {p}" for p in checked)
    if problems:
        raise RecipientsError(where, problems)
    notes = _notes(table, header, data, bool(made))
    return RecipientList(path, tuple(recipients), tuple(notes), bool(made))
