"""How a reminder is written: its registration, title, new deadline and enclosure."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from mailer.errors import LetterError
from mailer.letter import load_letter
from mailer.reminder_letter import (
    enclosure_line,
    reminder_deadline,
    reminder_registration,
    reminder_title,
)

LETTERS = Path(__file__).resolve().parent.parent / "letters"
REG = "02-06-4425И38/10/-3327"


def letters_with(tmp_path: Path, reminder: str) -> Path:
    folder = tmp_path / "letters"
    shutil.copytree(LETTERS, folder)
    settings = folder / "quality-week" / "letter.toml"
    text = settings.read_text(encoding="utf-8").replace("[reminder]\n", f"[reminder]\n{reminder}")
    settings.write_text(text, encoding="utf-8")
    return folder


def test_by_default_blank_for_registration_titled_after_the_original() -> None:
    letter = load_letter("quality-week", LETTERS)
    assert reminder_registration(letter) == ("", None)
    assert reminder_title(letter) == f"О представлении информации\nпо письму от 12.10.2023 № {REG}"
    assert enclosure_line(letter) == (
        f"Приложение: письмо от 12.10.2023 № {REG} «О Всемирной неделе качества», в 1 экз."
    )
    # 5 working days from Friday 27.10.2023: 3 November, as 4–6 November are off
    assert reminder_deadline(letter, dt.date(2023, 10, 27)) == dt.date(2023, 11, 3)


def test_a_registered_reminder_counts_its_deadline_from_its_own_date(tmp_path: Path) -> None:
    folder = letters_with(tmp_path, 'number = "02-06-5012"\ndate = 2023-11-27\n')
    letter = load_letter("quality-week", folder)
    assert reminder_registration(letter) == ("02-06-5012", dt.date(2023, 11, 27))
    # 5 working days from Monday 27.11.2023, whatever day it is sent
    assert reminder_deadline(letter, dt.date(2023, 12, 25)) == dt.date(2023, 12, 4)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ('number = "02-06-5012"\n', "и номер (number), и дату (date)"),
        ("date = 2023-11-27\n", "и номер (number), и дату (date)"),
        ('subject = "Напоминание"\n', "начинается с «О …» или «Об …»"),
    ],
)
def test_half_a_registration_or_a_title_not_about_is_refused(
    tmp_path: Path, fields: str, message: str
) -> None:
    folder = letters_with(tmp_path, fields)
    with pytest.raises(LetterError) as error:
        load_letter("quality-week", folder)
    assert message in error.value.message
    assert "letter.toml" in error.value.message
