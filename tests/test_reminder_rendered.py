"""The reminder as rendered by LibreOffice: a letter of its own, laid out as the letter, its
text growing a paragraph at a time across page breaks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from mailer.letter import load_letter
from mailer.recipients import Recipient
from mailer.reminder_letter import reminder_document, reminder_vars
from mailer.render import Renderer
from mailer.text import Block
from tests.rendered import (
    Document,
    assert_no_bad_line_ends,
    assert_page_numbers,
    normalized,
    render,
)
from tests.test_letter_rendered import (
    MARK,
    assert_executor_mark_at_the_bottom,
    assert_text_above,
    sample_paragraphs,
    signature_page,
)

pytestmark = pytest.mark.slow

LETTERS = Path(__file__).resolve().parent.parent / "letters"
REG = "02-06-4425И38/10/-3327"
TODAY = dt.date(2023, 11, 27)
GROWTH = range(0, 22, 1)


def registered_letters(tmp: Path) -> Path:
    folder = tmp / "registered"
    shutil.copytree(LETTERS, folder)
    settings = folder / "quality-week" / "letter.toml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace('# number = "02-06-5012И38/11/-3410"', 'number = "02-06-5012И38/11/-3410"')
    text = text.replace("# date = 2023-11-27", "date = 2023-11-27")
    settings.write_text(text, encoding="utf-8")
    return folder


def reminder_body(folder: Path) -> tuple[str, str, list[Block]]:
    letter = load_letter("quality-week", folder)
    recipient = Recipient(
        id="gryazi",
        emails=("a@example.org",),
        full_name="Уварова Наталья Ивановна",
        position="Глава Грязинского муниципального округа",
        organization="Грязинский муниципальный округ",
        row=2,
    )
    addressing, body, _ = Renderer(letter).render_reminder(
        recipient, reminder_vars(letter, TODAY, 1, "напоминание.docx")
    )
    return addressing.addressee, addressing.salutation, body


@pytest.fixture(scope="module")
def reminders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    tmp = tmp_path_factory.mktemp("reminders")
    extra = sample_paragraphs()
    paths = []
    letter = load_letter("quality-week", LETTERS)
    document = reminder_document(letter, mark=MARK)
    addressee, salutation, body = reminder_body(LETTERS)
    for count in GROWTH:
        # the reminder's own text, with the letter's paragraphs before its last one
        blocks = body[:-1] + extra[:count] + body[-1:]
        path = tmp / f"reminder-{count:02}.docx"
        path.write_bytes(document.fill(addressee, salutation, blocks))
        paths.append(path)
    folder = registered_letters(tmp)
    registered = reminder_document(load_letter("quality-week", folder), mark=MARK)
    addressee, salutation, body = reminder_body(folder)
    path = tmp / "registered.docx"
    path.write_bytes(registered.fill(addressee, salutation, body))
    paths.append(path)
    return {d.name.removesuffix(".docx"): d for d in render(paths, tmp)}


def test_the_reminder_keeps_the_letters_layout_as_it_grows(
    reminders: dict[str, Document],
) -> None:
    pages_seen = set()
    for count in GROWTH:
        document = reminders[f"reminder-{count:02}"]
        pages_seen.add(len(document.pages))
        assert_page_numbers(document)
        page = signature_page(document, signed=True)
        assert_text_above(document, page, "Напоминаем")
        assert_executor_mark_at_the_bottom(document, page)
        assert_no_bad_line_ends(document)
        # the enclosure line stands above the signature, on its page
        enclosure = document.page_of("Приложение: письмо от 12.10.2023")
        assert enclosure == page
        assert document.line_index(page, "Приложение:") < document.line_index(page, "ДОКУМЕНТ")
    assert pages_seen >= {1, 2}, pages_seen


def test_the_reminder_reads_as_a_letter_of_its_own(reminders: dict[str, Document]) -> None:
    document = reminders["reminder-00"]
    (page,) = document.pages
    text = "\n".join(normalized(line) for line in page)
    assert "___________ № _______________" in text  # blank, to be registered
    assert "О представлении информации\nпо письму от 12.10.2023 № " + REG in text
    assert "Напоминаем, что письмом от 12.10.2023" in text
    # the new deadline: 5 working days from 27.11.2023
    assert "в срок до 4 декабря 2023 г." in text.replace("\n", " ")
    assert "кратчайший" not in text
    assert f"Приложение: письмо от 12.10.2023 № {REG}" in text
    registered = "\n".join(normalized(line) for line in reminders["registered"].pages[0])
    assert "27.11.2023 № 02-06-5012И38/11/-3410" in registered
    assert "___________ №" not in registered
