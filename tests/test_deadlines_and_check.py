"""Working-day deadlines on the Russian production calendar, date forms in the letter, and
`mailer check` reading the DOCX back against GOST R 7.0.97-2025."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest
from docx.shared import Mm, Pt

from mailer.check import inspect_docx
from mailer.docx import DocxLetter
from mailer.letter import load_letter
from mailer.text import Block
from mailer.workdays import add_working_days, is_working_day
from tests.conftest import run

D = dt.date.fromisoformat
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LETTERS = Path(__file__).resolve().parent.parent / "letters"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2023-02-24", False),  # transferred from 1 January
        ("2023-05-08", False),
        ("2023-11-06", False),
        ("2024-04-27", True),  # a working Saturday
        ("2024-04-29", False),  # bridge days
        ("2024-04-30", False),
        ("2024-05-10", False),
        ("2024-11-02", True),
        ("2024-12-28", True),
        ("2024-12-30", False),
        ("2024-12-31", False),
        ("2025-05-02", False),
        ("2025-06-13", False),
        ("2025-11-01", True),
        ("2025-11-03", False),
        ("2025-12-31", False),
        ("2026-01-09", False),
        ("2026-03-09", False),
        ("2026-05-11", False),
        ("2026-12-31", False),
        ("2026-11-25", True),
    ],
)
def test_production_calendar(day: str, working: bool) -> None:
    assert is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        ("2024-04-25", 1, "2024-04-26"),
        ("2024-04-26", 1, "2024-04-27"),  # the working Saturday counts
        ("2024-04-27", 1, "2024-05-02"),  # over 28 April–1 May
        ("2023-10-12", 10, "2023-10-26"),
        ("2023-11-01", 3, "2023-11-07"),  # 4–6 November off
        ("2025-12-26", 3, "2026-01-12"),  # over the new year holidays
    ],
)
def test_working_days_after(start: str, days: int, deadline: str) -> None:
    assert add_working_days(D(start), days) == D(deadline)


def _set(workdir: Path, old: str, new: str) -> None:
    settings = workdir / "letters" / "quality-week" / "letter.toml"
    text = settings.read_text(encoding="utf-8")
    assert old in text
    settings.write_text(text.replace(old, new), encoding="utf-8")


def test_deadline_in_working_days_is_shown_in_letter_and_preview(workdir: Path) -> None:
    _set(workdir, "deadline = 2023-11-20", "deadline_working_days = 15")
    result = run(["preview", "quality-week"])
    assert result.exit_code == 0, result.output
    folder = workdir / "preview" / "quality-week"
    page = (folder / "index.html").read_text(encoding="utf-8")
    # 12.10.2023 + 15 working days, 4–6 November being off
    assert "2 ноября 2023 г. (15 рабочих дней от даты письма)" in page
    (text,) = folder.glob("*gryazi.html")
    assert "Просим в срок до 2 ноября 2023 г." in text.read_text(encoding="utf-8")


def test_deadline_on_a_day_off_is_an_error_unless_allowed(workdir: Path) -> None:
    _set(workdir, "deadline = 2023-11-20", "deadline = 2023-11-04")
    result = run(["check", "quality-week"])
    assert result.exit_code == 3
    assert "04.11.2023" in result.output
    assert "День народного единства" in result.output
    _set(workdir, "deadline = 2023-11-04", "deadline = 2023-11-04\ndeadline_on_day_off = true")
    assert run(["check", "quality-week"]).exit_code == 0


def test_both_ways_of_a_deadline_are_refused(workdir: Path) -> None:
    _set(workdir, "deadline = 2023-11-20", "deadline = 2023-11-20\ndeadline_working_days = 5")
    result = run(["check", "quality-week"])
    assert result.exit_code == 3
    assert "одним способом" in result.output


def test_reference_requisite_and_citation(workdir: Path) -> None:
    _set(
        workdir, '[reference]\nnumber = ""', '[reference]\nnumber = "17-01/228"\ndate = 2023-10-02'
    )
    body = workdir / "letters" / "quality-week" / "body.j2"
    body.write_text(
        body.read_text(encoding="utf-8") + "\nНапоминаем {{ letter.citation }}.\n", encoding="utf-8"
    )
    assert run(["preview", "quality-week"]).exit_code == 0
    from mailer.docx import read_docx_text

    (document,) = (workdir / "preview" / "quality-week").glob("*Грязинский*.docx")
    lines = read_docx_text(document)
    assert "На № 17-01/228 от 02.10.2023" in lines
    assert "Напоминаем к письму от 12.10.2023 № 02-06-4425И38/10/-3327." in lines


def test_check_passes_the_sample_letters(workdir: Path) -> None:
    for name in ("quality-week", "quality-week-list"):
        result = run(["check", name])
        assert result.exit_code == 0, result.output
        assert "Замечаний нет" in result.output
        assert "нумерация страниц со второй" in result.output
        # LibreOffice is installed for the tests: the layout was rendered and confirmed
        assert "блок подписи целиком на последней странице, над ним текст" in result.output
        assert "не проверена" not in result.output


def test_check_finds_what_is_wrong_in_a_document() -> None:
    letter = load_letter("quality-week", LETTERS)
    data = DocxLetter(letter).fill(
        "Главе\nН.И. Уваровой", "Уважаемая Наталья Ивановна!", [Block("para", ("Текст.",))]
    )
    document = docx.Document(io.BytesIO(data))
    document.sections[0].left_margin = Mm(15)
    document.sections[0].right_margin = Mm(5)
    for paragraph in document.paragraphs:
        if paragraph.text == "Текст.":
            paragraph.runs[0].font.size = Pt(10)
    for node in document.element.body.iter(f"{W}t"):
        if node.text == "Макеева Светлана Александровна":  # in the executor mark's text box
            node.text = ""
    out = io.BytesIO()
    document.save(out)
    problems = inspect_docx(
        out.getvalue(), letter, "Главе\nН.И. Уваровой", "Уважаемая Наталья Ивановна!"
    )
    assert "поле страницы left: 15 мм, нужно не меньше 20 мм" in problems
    assert "поле страницы right: 5 мм, нужно не меньше 10 мм" in problems
    assert "размер шрифта 10 пт, нужен от 12 до 14 пт" in problems
    assert any("отметка об исполнителе" in p for p in problems)
    assert len(problems) == 4


def test_preview_declines_every_sample_addressee(workdir: Path) -> None:
    assert run(["preview", "quality-week"]).exit_code == 0
    page = (workdir / "preview" / "quality-week" / "index.html").read_text(encoding="utf-8")
    expected = [
        "Главе города Липецка<br>А.В. Городецкому",
        "Главе городского округа город Елец<br>Е.П. Соловьёвой",
        "Главе Воловского муниципального округа<br>В.Т. Черных",
        "Главе Грязинского муниципального округа<br>Н.И. Уваровой",
        "Главе Данковского муниципального округа<br>О.С. Петровой-Водкиной",
        "Главе Добринского муниципального округа<br>И.А. Хрущёву",
        "Главе Добровского муниципального округа<br>М.В. Жук",
        "Главе Долгоруковского муниципального округа<br>А.Н. Руденко",
        "Главе Елецкого муниципального округа<br>Т.А. Белых",
        "Главе Задонского муниципального округа<br>С.П. Голованову-Жукову",
        "Главе Измалковского муниципального округа<br>И.М. Ковалёвой",
        "Главе Краснинского муниципального округа<br>Н.И. Седых",
        "Главе Лебедянского муниципального округа<br>Д.О. Щедрову",
        "Главе Лев-Толстовского муниципального округа<br>С.Ю. Никитиной",
        "Первому заместителю главы Липецкого муниципального округа<br>Р.И. Мамедову",
        "Исполняющему обязанности главы Становлянского муниципального округа<br>Ю.В. Дьячкову",
        "Главе Тербунского муниципального округа<br>А.Г. Гусевой",
        "Главе Усманского муниципального округа<br>В.С. Пономарёву",
        "Главе Хлевенского муниципального округа<br>Л.Н. Кузьминой",
        "Главе Чаплыгинского муниципального округа<br>О.В. Лысенко",
    ]
    for addressee in expected:
        assert f"<b>{addressee}</b>" in page, addressee
