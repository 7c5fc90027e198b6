"""How a reminder is written: a letter of its own, with its own date and number (or both blank
for registration), an "О …" title citing the original, an "Приложение:" line for the original,
and a concrete new deadline in working days from its date (the policy in letter.toml's
[reminder]). Who is reminded is decided in mailer.reminders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mailer.docx import FROM_SETTINGS, DocxLetter, FromSettings
from mailer.letter import Letter
from mailer.russian import date_numeric
from mailer.signature_mark import MarkData


def reminder_title(letter: Letter) -> str:
    """The reminder's "О …" title: [reminder] subject, or one that cites the original (on
    two lines, as a title is set)."""
    policy = letter.settings.reminder
    reg = letter.settings.registration
    return policy.subject or (
        f"О представлении информации\nпо письму от {date_numeric(reg.date)} № {reg.number}"
    )


def reminder_date(letter: Letter, today: dt.date) -> dt.date:
    """The reminder's own date: its registration's, else the day it is sent."""
    return letter.settings.reminder.date or today


def reminder_registration(letter: Letter) -> tuple[str, dt.date | None]:
    """Number and date as printed: both from [reminder], or both blank to be filled in."""
    policy = letter.settings.reminder
    return policy.number, policy.date


def reminder_deadline(letter: Letter, today: dt.date) -> dt.date:
    """The new deadline: so many working days after the reminder's date."""
    from mailer.workdays import add_working_days

    days = letter.settings.reminder.answer_working_days
    return add_working_days(reminder_date(letter, today), days)


def enclosure_line(letter: Letter) -> str:
    reg = letter.settings.registration
    return (
        f"Приложение: письмо от {date_numeric(reg.date)} № {reg.number} "
        f"«{letter.settings.subject}», в 1 экз."
    )


def reminder_document(
    letter: Letter, mark: MarkData | FromSettings | None = FROM_SETTINGS
) -> DocxLetter:
    """The reminder's DOCX skeleton, laid out as the letter, filled per recipient. It carries
    the letter's own mark (signed when the letter is), unless ``mark`` says otherwise."""
    return DocxLetter(
        letter,
        title=reminder_title(letter),
        registration=reminder_registration(letter),
        enclosure=enclosure_line(letter),
        mark=mark,
    )


def reminder_vars(letter: Letter, today: dt.date, sequence: int, docx_name: str) -> dict[str, Any]:
    """The templates' ``reminder``: its number in the series, date, new deadline, whether the
    original's deadline has passed, and the attachment's name."""
    deadline = letter.deadline
    day = reminder_date(letter, today)
    return {
        "sequence": sequence,
        "date": day,
        "number": letter.settings.reminder.number,
        "deadline": reminder_deadline(letter, today),
        "overdue": bool(deadline and day > deadline),
        "title": reminder_title(letter),
        "enclosure": enclosure_line(letter),
        "docx_name": docx_name,
    }
