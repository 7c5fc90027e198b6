"""Reading a list's cells as people lay them out: CSV in the encodings Excel saves, XLSX with
title rows, merged cells, hidden rows and columns, several sheets.

What is read is a grid of text with the file's own row numbers; which row is the header and which
column is which is decided in `mailer.columns`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.errors import RecipientsError
from mailer.system_ru import file_problem

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

Rows = list[tuple[int, list[str]]]


@dataclass
class Table:
    rows: Rows
    sheet: str | None = None
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[str] = field(default_factory=list)  # letters: "C"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel in a Russian locale saves "CSV (разделители - запятые)" in Windows-1251.
        return data.decode("cp1251")


def read_csv(path: Path) -> Table:
    try:
        text = _decode(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipientsError(str(path), [f"файл не читается: {file_problem(exc)}"]) from None
    # the delimiter is the one most used in the first lines (a title line may have none)
    head = "\n".join(text.split("\n", 10)[:10])
    counts = {d: head.count(d) for d in (";", "\t", ",")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return Table([(index, row) for index, row in enumerate(reader, start=1)])
    except csv.Error as exc:
        reason = (
            "нулевой байт: это не текстовый файл" if "NUL" in str(exc) else "слишком длинное поле"
        )
        raise RecipientsError(str(path), [f"строка {reader.line_num}: {reason}"]) from None


def _workbook_problem(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return file_problem(exc)
    # zipfile's "File is not a zip file", openpyxl's own complaints: the file is not a workbook
    return "файл повреждён или это не книга Excel .xlsx (сохраните его в Excel как .xlsx)"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, sheet_name: str | None, has_header: Callable[[Rows], bool]) -> Table:
    """The named sheet, or the first visible one whose rows ``has_header`` accepts (else the
    first sheet, so that the error names what it found there)."""
    import openpyxl  # heavy: only when a workbook is read

    try:
        # not read_only: merged cells and hidden rows are only known to a fully loaded sheet
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise RecipientsError(
            str(path), [f"файл Excel не открывается: {_workbook_problem(exc)}"]
        ) from None
    try:
        if sheet_name is not None:
            if sheet_name not in workbook.sheetnames:
                names = ", ".join(f"«{n}»" for n in workbook.sheetnames)
                raise RecipientsError(
                    str(path), [f"листа «{sheet_name}» в файле нет; листы: {names}"]
                )
            return _sheet_table(workbook[sheet_name])
        tables = []
        for sheet in workbook.worksheets:
            if sheet.sheet_state != "visible":
                continue
            table = _sheet_table(sheet)
            if has_header(table.rows):
                return table
            tables.append(table)
        return tables[0] if tables else _sheet_table(workbook.worksheets[0])
    finally:
        workbook.close()


def _sheet_table(sheet: Worksheet) -> Table:
    from openpyxl.utils import get_column_letter

    # from A1 whatever the sheet's first used cell, so that row numbers are the sheet's own
    grid = [
        [_cell_text(v) for v in row]
        for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)
    ]
    first_row = 1
    # a merged range shows its first cell's value in every cell it covers
    for merged in sheet.merged_cells.ranges:
        value = ""
        top = merged.min_row - first_row
        if 0 <= top < len(grid) and merged.min_col - 1 < len(grid[top]):
            value = grid[top][merged.min_col - 1]
        for r in range(merged.min_row, merged.max_row + 1):
            index = r - first_row
            if not 0 <= index < len(grid):
                continue
            row = grid[index]
            for c in range(merged.min_col - 1, merged.max_col):
                if c < len(row):
                    row[c] = value
    rows = [(first_row + i, cells) for i, cells in enumerate(grid)]
    hidden_rows = sorted(n for n, dim in sheet.row_dimensions.items() if dim.hidden)
    hidden_columns: list[str] = []
    for dim in sheet.column_dimensions.values():
        if dim.hidden and dim.min is not None and dim.max is not None:
            hidden_columns.extend(get_column_letter(c) for c in range(dim.min, dim.max + 1))
    return Table(rows, sheet.title, hidden_rows, hidden_columns)
