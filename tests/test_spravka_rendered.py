"""The справка as rendered by LibreOffice: the office's form, its table growing across pages
with the header repeated on each, no word broken in a column, and the letter's page layout."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import docx
import pytest

from mailer.letter import load_letter
from mailer.report.spravka import HEADERS, spravka_docx
from mailer.states import Standing
from mailer.status import LetterStatus, StatusRow
from tests.rendered import Document, assert_page_numbers, normalized, render

pytestmark = pytest.mark.slow

LETTERS = Path(__file__).resolve().parent.parent / "letters"
TODAY = dt.date(2023, 11, 27)
GROWTH = range(1, 62, 4)
DISTRICTS = ["Грязинский", "Лев-Толстовский", "Долгоруковский", "Становлянский", "Чаплыгинский"]


def row(number: int) -> StatusRow:
    replied = number % 3 == 0
    marked = number % 6 == 0
    return StatusRow(
        id=f"r{number}",
        email=f"r{number}@example.org",
        organization=f"{DISTRICTS[number % len(DISTRICTS)]} муниципальный округ № {number}",
        state=Standing.REPLIED if replied else Standing.SENT,
        sent_at="2023-10-12T09:00:00+00:00",
        replied_at="2023-11-01T12:00:00+00:00" if replied else None,
        matched_by="manual" if marked else ("thread" if replied else None),
        reminders=0 if replied else 1,
        last_reminder_at=None,
        read_at=None,
        deadline="2023-11-20",
        days_left=None if replied else -7,
        overdue=not replied,
        note=f"СЭД, вх. № 01-12/{3400 + number} от 20.10.2023" if marked else None,
    )


def status(count: int) -> LetterStatus:
    letter = load_letter("quality-week", LETTERS)
    return LetterStatus(letter, [row(n) for n in range(1, count + 1)], TODAY)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Document]:
    tmp = tmp_path_factory.mktemp("spravka")
    paths = []
    for count in GROWTH:
        path = tmp / f"spravka-{count:02}.docx"
        path.write_bytes(spravka_docx(status(count)))
        paths.append(path)
    return dict(zip(GROWTH, render(paths, tmp), strict=True))


def test_the_spravka_grows_over_pages_in_the_offices_form(reports: dict[int, Document]) -> None:
    pages_seen = set()
    for count, document in reports.items():
        pages = document.pages
        pages_seen.add(len(pages))
        assert_page_numbers(document)
        first = [normalized(line) for line in pages[0]]
        assert first[:5] == [
            "УПРАВЛЕНИЕ",
            "ЭКОНОМИЧЕСКОГО РАЗВИТИЯ",
            "ЛИПЕЦКОЙ ОБЛАСТИ",
            "СПРАВКА",
            "___________ № _______________",
        ]
        assert "Об исполнении письма от 12.10.2023 № 02-06-4425И38/10/-3327" in first
        # the table's header at the top of every page the table reaches
        for index, lines in enumerate(pages):
            rows = [line for line in lines if re.match(r"^\d+\s+\S", line)]
            if rows and index > 0:
                assert lines[1].startswith("№"), (count, index)
                assert "Адресат" in lines[1], (count, index)
        # the signatory and the executor mark together on the last page, text above them
        last = len(pages) - 1
        assert document.page_of("О.В. Ильина") == last
        assert document.page_of("Начальник отдела") == last
        assert document.page_of("Справка составлена по журналу рассылки") == last
        boxes = document.boxes[last]
        assert boxes.find("Макеева")[0].top > boxes.find("Ильина")[0].bottom
        assert boxes.height - 57 - 8 < boxes.find("MakeevaSA@admlr.lipetsk.ru")[0].bottom
        # no word broken in the table's columns: no line of it ends in a hyphen
        for lines in pages:
            for line in lines:
                if re.match(r"^\d+\s", line):
                    assert not re.search(r"[а-яё]-$", line), (count, line)
    assert pages_seen >= {1, 2, 3}, pages_seen


def test_answers_show_their_incoming_number_and_date(reports: dict[int, Document]) -> None:
    lines = [normalized(line) for page in reports[13].pages for line in page]
    text = " ".join(lines).replace("- ", "")  # the paragraphs' lines joined, hyphens undone
    row_6 = lines.index(next(line for line in lines if line.startswith("6 ")))
    # a hand mark: the incoming number and date, in the answer's cell over three lines
    assert "12.10.2023   вх." in lines[row_6]
    assert lines[row_6 + 1].endswith("№ 01-12/3406")
    assert lines[row_6 + 2].endswith("от 20.10.2023")
    assert "от 01.11.2023" in text  # a reply by mail: its own date
    assert "ответы поступили от 4 адресатов." in text
    assert "Не ответили 9 адресатов, срок ответа истек у 9 адресатов." in text
    assert "Направлено 9 напоминаний." in text


def test_the_spravka_is_russian_single_spaced_and_hyphenated() -> None:
    data = spravka_docx(status(3))
    document = docx.Document(io.BytesIO(data))
    normal = document.styles["Normal"]
    assert normal.element.xpath("string(w:rPr/w:lang/@w:val)") == "ru-RU"
    assert normal.paragraph_format.line_spacing == 1.0
    assert document.settings.element.xpath("boolean(w:autoHyphenation)")
    header = document.tables[0].rows[0]
    assert header._tr.xpath("boolean(w:trPr/w:tblHeader)")
    assert [c.text.replace("\u00a0", " ") for c in header.cells] == list(HEADERS)
