"""Reading and validating recipient lists: CSV (UTF-8 with or without BOM, Windows-1251;
delimited by comma, semicolon or tab) and XLSX, with English or Russian column names.

Every row is checked before anything is sent, and all problems are reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from mailer.chars import line_unsafe
from mailer.columns import (
    EMAIL_MAYBE,
    ROW_NUMBER,
    classify_header,
    header_words,
    looks_like_addresses,
    slug,
)
from mailer.errors import RecipientsError
from mailer.tables import Rows, Table, read_csv, read_xlsx
from mailer.validation_ru import email_problem

FIELDS = (
    "id",
    "email",
    "full_name",
    "position",
    "organization",
    "gender",
    "addressee",
    "salutation",
)
HEADER_SEARCH_ROWS = 30  # title lines above the header, as offices write them
COLUMN_TITLES = {
    "id": "id (код)",
    "email": "email (почта)",
    "full_name": "full_name (ФИО)",
    "position": "position (должность)",
    "organization": "organization (организация)",
    "gender": "gender (пол)",
    "addressee": "addressee (адресат)",
    "salutation": "salutation (обращение)",
}
GENDERS = {
    "m": "m",
    "м": "m",
    "муж": "m",
    "мужской": "m",
    "male": "m",
    "f": "f",
    "ж": "f",
    "жен": "f",
    "женский": "f",
    "female": "f",
}
_ADDRESS_SPLIT = re.compile(r"[,;\s]+")


@dataclass(frozen=True, slots=True)
class Recipient:
    id: str
    emails: tuple[str, ...]
    full_name: str = ""
    position: str = ""
    organization: str = ""
    gender: str | None = None
    addressee: str | None = None
    salutation: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    row: int = 0

    @property
    def email(self) -> str:
        return self.emails[0]


@dataclass(frozen=True)
class RecipientList:
    path: Path
    recipients: tuple[Recipient, ...]
    # what the reader found and the user should know: the sheet and header row, hidden rows
    notes: tuple[str, ...] = ()
    ids_made: bool = False  # no id column: ids were made from the organizations' names

    def __iter__(self) -> Iterator[Recipient]:
        return iter(self.recipients)

    def __len__(self) -> int:
        return len(self.recipients)

    def by_id(self, ids: Iterable[str]) -> list[Recipient]:
        wanted = list(dict.fromkeys(ids))
        known = {r.id: r for r in self.recipients}
        missing = [i for i in wanted if i not in known]
        if missing:
            raise RecipientsError(
                str(self.path), [f"получателя с id «{i}» нет в списке" for i in missing]
            )
        return [known[i] for i in wanted]


def load_recipients(path: Path, sheet: str | None = None) -> RecipientList:
    """Read and validate a recipient list; raise RecipientsError listing every problem."""
    where = str(path)
    if not path.exists():
        raise RecipientsError(where, ["файл не найден"])
    if path.is_dir():
        raise RecipientsError(where, ["это папка, а не файл списка"])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = read_xlsx(path, sheet, lambda rows: _find_header(_filled(rows)) is not None)
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


def _filled(rows: Rows) -> Rows:
    """The rows with something in them: blank and merely formatted rows are no rows."""
    return [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]


@dataclass
class _Header:
    row: int
    names: list[str]
    columns: dict[str, int]
    extra_columns: dict[str, int]
    problems: list[str]


def _find_header(rows: Rows) -> int | None:
    """Index of the header among ``rows`` (non-empty ones): the first of the leading rows that
    names at least two known columns in at least two different cells (a merged title row,
    repeated in every cell it covers, is one value)."""
    fallback = None
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        distinct = {c.strip() for c in cells if c.strip()}
        kinds = {classify_header(c) for c in distinct} - {None}
        if len(distinct) >= 2 and len(kinds) >= 2:
            return index
        if fallback is None and "email" in kinds:
            fallback = index
    return fallback


def _read_header(header_row: int, header: list[str], data: Rows) -> _Header:
    found = _Header(header_row, [c.strip() for c in header], {}, {}, [])
    maybe_email: list[int] = []
    for index, name in enumerate(found.names):
        if not name:
            continue
        kind = classify_header(name)
        if kind == EMAIL_MAYBE:
            maybe_email.append(index)
            continue
        if kind is None or kind == ROW_NUMBER:
            found.extra_columns[name] = index
        elif kind in found.columns:
            first = found.names[found.columns[kind]]
            if kind == "id" and len(header_words(first)) <= 1 < len(header_words(name)):
                found.extra_columns[name] = index  # "id" beside "Код ОКТМО": the plain one
            elif kind == "id" and len(header_words(name)) <= 1 < len(header_words(first)):
                found.extra_columns[first] = found.columns[kind]
                found.columns[kind] = index
            elif kind in ("id", "email"):
                found.problems.append(
                    f"строка {header_row}: столбцы «{first}» и «{name}» оба похожи на "
                    f"{COLUMN_TITLES[kind]}; переименуйте лишний"
                )
            else:
                found.extra_columns[name] = index  # the first such column is the field
        else:
            found.columns[kind] = index

    def values(index: int) -> list[str]:
        return [cells[index] if index < len(cells) else "" for _, cells in data]

    # the email column is the one that holds addresses; a postal "Адрес" stays a column of its own
    if "email" in found.columns and not looks_like_addresses(values(found.columns["email"])):
        better = [i for i in maybe_email if looks_like_addresses(values(i))]
        if better:
            found.extra_columns[found.names[found.columns["email"]]] = found.columns["email"]
            found.columns["email"] = better[0]
            maybe_email.remove(better[0])
    if "email" not in found.columns:
        for index in maybe_email:
            if looks_like_addresses(values(index)):
                found.columns["email"] = index
                maybe_email.remove(index)
                break
    for index in maybe_email:
        found.extra_columns[found.names[index]] = index
    if "email" not in found.columns:
        found.problems.append(
            f"строка {header_row}: нет столбца {COLUMN_TITLES['email']} — с адресами электронной "
            f"почты («Email», «Электронная почта», «E-mail адрес»); найдены столбцы: "
            f"{', '.join(n for n in found.names if n)}"
        )
    if "id" not in found.columns and not {"organization", "full_name"} & set(found.columns):
        found.problems.append(
            f"строка {header_row}: нет ни столбца {COLUMN_TITLES['id']}, ни названия организации "
            f"или ФИО, из которых его можно составить; найдены столбцы: "
            f"{', '.join(n for n in found.names if n)}"
        )
    return found


def _notes(table: Table, header: _Header, data: Rows, ids_made: bool) -> list[str]:
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


def _bad_characters(value: str) -> str | None:
    # a cell may reach a header (the name), the DOCX's XML and the XLSX: no control character,
    # nothing XML cannot hold (U+FFFE, U+FFFF, lone surrogates)
    return line_unsafe(value)


def _made_ids(columns: dict[str, int], data: Rows) -> dict[int, str]:
    """Row number -> an id from the organization's name (or the person's, when there is no
    organization column): the same name always gives the same id, whatever the rows' order."""

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def key(cells: list[str]) -> str:
        return cell(cells, "organization") or cell(cells, "full_name")

    bases = {n: slug(key(cells)) for n, cells in data}
    repeated = {b for b in bases.values() if list(bases.values()).count(b) > 1}
    # two people of one organization: the person's name tells them apart, still order-free
    return {
        n: slug(f"{key(cells)} {cell(cells, 'full_name')}") if bases[n] in repeated else bases[n]
        for n, cells in data
    }


def _validate(path: Path, table: Table) -> RecipientList:
    where = str(path)
    problems: list[str] = []
    rows = _filled(table.rows)
    if not rows:
        raise RecipientsError(where, ["список пуст: нет ни заголовка, ни строк"])
    start = _find_header(rows)
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
    header = _read_header(header_row, header_cells, data)
    if header.problems:
        raise RecipientsError(where, header.problems)
    if not data:
        raise RecipientsError(where, ["в списке нет ни одного получателя (только заголовок)"])
    columns, extra_columns = header.columns, header.extra_columns
    made_ids = _made_ids(columns, data) if "id" not in columns else {}

    recipients: list[Recipient] = []
    seen_ids: dict[str, int] = {}
    seen_addresses: dict[str, int] = {}
    for row_number, row in data:

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        row_problems: list[str] = []
        values = {name: cell(name) for name in FIELDS}
        for name, value in values.items():
            bad = _bad_characters(value)
            if bad:
                row_problems.append(
                    f"столбец {columns[name] + 1}, поле {COLUMN_TITLES[name]}: "
                    f"недопустимый символ ({bad})"
                )
        for name, index in extra_columns.items():
            value = row[index] if index < len(row) else ""
            bad = _bad_characters(value.strip())
            if bad:
                row_problems.append(
                    f"столбец {index + 1}, поле «{name}»: недопустимый символ ({bad})"
                )

        rid = values["id"] or made_ids.get(row_number, "")
        if not rid:
            row_problems.append(
                "не заполнено название организации: из него составляется id получателя"
                if made_ids
                else "не заполнен id (код получателя)"
            )
        elif rid in seen_ids:
            again = " (одинаковые организация и ФИО: добавьте столбец id)" if made_ids else ""
            row_problems.append(f"id «{rid}» уже был в строке {seen_ids[rid]}{again}")

        emails: list[str] = []
        raw_emails = [a for a in _ADDRESS_SPLIT.split(values["email"]) if a]
        if not raw_emails:
            row_problems.append("не указан адрес электронной почты")
        for raw in raw_emails:
            try:
                checked = validate_email(raw, check_deliverability=False)
            except EmailNotValidError as exc:
                row_problems.append(f"адрес «{raw}» неверен: {email_problem(str(exc))}")
                continue
            if checked.ascii_email is None:
                row_problems.append(
                    f"адрес «{raw}» содержит кириллицу до знака @; такие адреса почтовые серверы "
                    "обычно не принимают"
                )
                continue
            address = checked.ascii_email
            key = address.lower()
            if key in seen_addresses:
                row_problems.append(f"адрес {address} уже был в строке {seen_addresses[key]}")
            elif address not in emails:
                emails.append(address)

        full_name = values["full_name"]
        if not full_name and not (values["addressee"] and values["salutation"]):
            row_problems.append("не заполнено ФИО (или заполните оба столбца: адресат и обращение)")
        gender: str | None = None
        if values["gender"]:
            gender = GENDERS.get(values["gender"].lower().strip("."))
            if gender is None:
                row_problems.append(f"пол «{values['gender']}» не распознан: укажите М или Ж")

        if row_problems:
            problems.extend(f"строка {row_number}: {p}" for p in row_problems)
            continue
        seen_ids[rid] = row_number
        for address in emails:
            seen_addresses[address.lower()] = row_number
        extra = {
            name: (row[index].strip() if index < len(row) else "")
            for name, index in extra_columns.items()
        }
        recipients.append(
            Recipient(
                id=rid,
                emails=tuple(emails),
                full_name=" ".join(full_name.split()),
                position=" ".join(values["position"].split()),
                organization=" ".join(values["organization"].split()),
                gender=gender,
                addressee=values["addressee"] or None,
                salutation=values["salutation"] or None,
                extra=extra,
                row=row_number,
            )
        )
    if problems:
        raise RecipientsError(where, problems)
    notes = _notes(table, header, data, bool(made_ids))
    return RecipientList(path, tuple(recipients), tuple(notes), bool(made_ids))
