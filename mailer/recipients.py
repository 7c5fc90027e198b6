"""Reading and validating recipient lists: CSV (UTF-8 with or without BOM, Windows-1251;
delimited by comma, semicolon or tab) and XLSX, with English or Russian column names.

Every row is checked before anything is sent, and all problems are reported at once.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from mailer.chars import line_unsafe
from mailer.errors import RecipientsError

# Canonical field -> accepted column names, compared after _normalize_header().
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "код", "номер", "n", "№", "идентификатор"),
    "email": (
        "email",
        "emails",
        "e-mail",
        "mail",
        "почта",
        "электроннаяпочта",
        "адрес",
        "адреса",
        "адресэлектроннойпочты",
        "эл.почта",
        "эп",
    ),
    "full_name": ("full_name", "fullname", "name", "фио", "ф.и.о.", "ф.и.о", "руководитель"),
    "position": ("position", "title", "должность"),
    "organization": (
        "organization",
        "organisation",
        "org",
        "организация",
        "муниципальноеобразование",
        "мо",
        "учреждение",
        "орган",
    ),
    "gender": ("gender", "sex", "пол"),
    "addressee": ("addressee", "адресат", "кому"),
    "salutation": ("salutation", "greeting", "обращение"),
}
REQUIRED_COLUMNS = ("id", "email")
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


def _normalize_header(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip().lower().replace("ё", "е")
    return re.sub(r"[\s_\-]+", "", name) if name not in ("full_name", "e-mail") else name


_ALIAS_INDEX = {
    _normalize_header(alias): canonical
    for canonical, aliases in COLUMN_ALIASES.items()
    for alias in aliases
}


def load_recipients(path: Path) -> RecipientList:
    """Read and validate a recipient list; raise RecipientsError listing every problem."""
    where = str(path)
    if not path.exists():
        raise RecipientsError(where, ["файл не найден"])
    if path.is_dir():
        raise RecipientsError(where, ["это папка, а не файл списка"])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path)
    elif suffix == ".xls":
        raise RecipientsError(
            where,
            ["формат .xls (Excel 97-2003) не поддерживается: сохраните список как .xlsx или .csv"],
        )
    else:
        rows = _read_csv(path)
    return RecipientList(path, tuple(_validate(where, rows)))


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel in a Russian locale saves "CSV (разделители - запятые)" in Windows-1251.
        return data.decode("cp1251")


def _read_csv(path: Path) -> list[tuple[int, list[str]]]:
    try:
        text = _decode(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipientsError(str(path), [f"файл не читается: {exc}"]) from None
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(index, row) for index, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise RecipientsError(str(path), [f"строка {reader.line_num}: {exc}"]) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> list[tuple[int, list[str]]]:
    import openpyxl  # heavy: only when a workbook is read

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise RecipientsError(str(path), [f"файл Excel не открывается: {exc}"]) from None
    try:
        sheet = workbook.worksheets[0]
        return [
            (index, [_cell_text(v) for v in row])
            for index, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _bad_characters(value: str) -> str | None:
    # a cell may reach a header (the name), the DOCX's XML and the XLSX: no control character,
    # nothing XML cannot hold (U+FFFE, U+FFFF, lone surrogates)
    return line_unsafe(value)


def _validate(where: str, rows: list[tuple[int, list[str]]]) -> list[Recipient]:
    problems: list[str] = []
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        raise RecipientsError(where, ["список пуст: нет ни заголовка, ни строк"])
    header_row, header = rows[0]
    columns: dict[str, int] = {}
    extra_columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip()
        if not name:
            continue
        canonical = _ALIAS_INDEX.get(_normalize_header(name))
        if canonical is None:
            extra_columns[name] = index
        elif canonical in columns:
            problems.append(
                f"строка {header_row}: столбец «{name}» повторяет столбец "
                f"{COLUMN_TITLES[canonical]}"
            )
        else:
            columns[canonical] = index
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            problems.append(
                f"строка {header_row}: нет столбца {COLUMN_TITLES[required]}; "
                f"найдены столбцы: {', '.join(c.strip() for c in header if c.strip())}"
            )
    if problems:
        raise RecipientsError(where, problems)
    if len(rows) == 1:
        raise RecipientsError(where, ["в списке нет ни одного получателя (только заголовок)"])

    recipients: list[Recipient] = []
    seen_ids: dict[str, int] = {}
    seen_addresses: dict[str, int] = {}
    for row_number, row in rows[1:]:

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        row_problems: list[str] = []
        values = {name: cell(name) for name in COLUMN_ALIASES}
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

        rid = values["id"]
        if not rid:
            row_problems.append("не заполнен id (код получателя)")
        elif rid in seen_ids:
            row_problems.append(f"id «{rid}» уже был в строке {seen_ids[rid]}")

        emails: list[str] = []
        raw_emails = [a for a in _ADDRESS_SPLIT.split(values["email"]) if a]
        if not raw_emails:
            row_problems.append("не указан адрес электронной почты")
        for raw in raw_emails:
            try:
                checked = validate_email(raw, check_deliverability=False)
            except EmailNotValidError as exc:
                row_problems.append(f"адрес «{raw}» неверен: {exc}")
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
    return recipients
