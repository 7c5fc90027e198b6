"""The checks of one row of a recipient list: every cell clean, an id (given, or made from the
organization's name) and addresses that are valid and not used twice, a name to address the
letter to, a gender that is understood. Every problem of a row is found, not just the first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from mailer.chars import line_unsafe
from mailer.columns import COLUMN_TITLES, FIELDS, slug
from mailer.recipient import Recipient
from mailer.tables import Rows
from mailer.validation_ru import email_problem

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


def _bad_characters(value: str) -> str | None:
    # a cell may reach a header (the name), the DOCX's XML and the XLSX: no control character,
    # nothing XML cannot hold (U+FFFE, U+FFFF, lone surrogates)
    return line_unsafe(value)


def made_ids(columns: dict[str, int], data: Rows) -> dict[int, str]:
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


@dataclass
class RowChecks:
    """The rows of one list, checked in order: COLUMNS maps each field to its column,
    EXTRA_COLUMNS the list's other columns (kept with the recipient), MADE_IDS the ids made
    when the list has no id column. Remembers the ids and addresses of the rows that passed,
    so that a second use of one is a problem of the later row."""

    columns: dict[str, int]
    extra_columns: dict[str, int]
    made_ids: dict[int, str]
    seen_ids: dict[str, int] = field(default_factory=dict)
    seen_addresses: dict[str, int] = field(default_factory=dict)

    def check(self, row_number: int, row: list[str]) -> Recipient | list[str]:
        """The row's recipient, or every problem the row has."""

        def cell(name: str) -> str:
            index = self.columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        values = {name: cell(name) for name in FIELDS}
        problems = self._characters(values, row)
        rid = values["id"] or self.made_ids.get(row_number, "")
        problems += self._id(rid)
        emails, address_problems = self._addresses(values["email"])
        problems += address_problems
        full_name = values["full_name"]
        if not full_name and not (values["addressee"] and values["salutation"]):
            problems.append("не заполнено ФИО (или заполните оба столбца: адресат и обращение)")
        gender: str | None = None
        if values["gender"]:
            gender = GENDERS.get(values["gender"].lower().strip("."))
            if gender is None:
                problems.append(f"пол «{values['gender']}» не распознан: укажите М или Ж")
        if problems:
            return problems
        self.seen_ids[rid] = row_number
        for address in emails:
            self.seen_addresses[address.lower()] = row_number
        return Recipient(
            id=rid,
            emails=tuple(emails),
            full_name=" ".join(full_name.split()),
            position=" ".join(values["position"].split()),
            organization=" ".join(values["organization"].split()),
            gender=gender,
            addressee=values["addressee"] or None,
            salutation=values["salutation"] or None,
            extra={
                name: (row[index].strip() if index < len(row) else "")
                for name, index in self.extra_columns.items()
            },
            row=row_number,
        )

    def _characters(self, values: dict[str, str], row: list[str]) -> list[str]:
        problems = []
        for name, value in values.items():
            bad = _bad_characters(value)
            if bad:
                problems.append(
                    f"столбец {self.columns[name] + 1}, поле {COLUMN_TITLES[name]}: "
                    f"недопустимый символ ({bad})"
                )
        for name, index in self.extra_columns.items():
            value = row[index] if index < len(row) else ""
            bad = _bad_characters(value.strip())
            if bad:
                problems.append(f"столбец {index + 1}, поле «{name}»: недопустимый символ ({bad})")
        return problems

    def _id(self, rid: str) -> list[str]:
        if not rid:
            return [
                "не заполнено название организации: из него составляется id получателя"
                if self.made_ids
                else "не заполнен id (код получателя)"
            ]
        if rid in self.seen_ids:
            again = " (одинаковые организация и ФИО: добавьте столбец id)" if self.made_ids else ""
            return [f"id «{rid}» уже был в строке {self.seen_ids[rid]}{again}"]
        return []

    def _addresses(self, cell: str) -> tuple[list[str], list[str]]:
        """The row's valid addresses, each once, and the problems of the others."""
        emails: list[str] = []
        problems: list[str] = []
        raw_emails = [a for a in _ADDRESS_SPLIT.split(cell) if a]
        if not raw_emails:
            problems.append("не указан адрес электронной почты")
        for raw in raw_emails:
            try:
                checked = validate_email(raw, check_deliverability=False)
            except EmailNotValidError as exc:
                problems.append(f"адрес «{raw}» неверен: {email_problem(str(exc))}")
                continue
            if checked.ascii_email is None:
                problems.append(
                    f"адрес «{raw}» содержит кириллицу до знака @; такие адреса почтовые серверы "
                    "обычно не принимают"
                )
                continue
            address = checked.ascii_email
            key = address.lower()
            if key in self.seen_addresses:
                problems.append(f"адрес {address} уже был в строке {self.seen_addresses[key]}")
            elif address not in emails:
                emails.append(address)
        return emails, problems
