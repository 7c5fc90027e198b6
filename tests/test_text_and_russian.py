"""The letter's text markup and the Russian forms of names, positions and dates."""

from __future__ import annotations

from datetime import date

import pytest

from mailer.russian import addressee_dative, date_numeric, date_words, salutation
from mailer.text import Block, parse_blocks, to_html, to_plain


def test_markup_paragraphs_items_and_breaks() -> None:
    text = "Первый\nвторая строка\n\n- пункт один\n  продолжение\n- пункт два\n\nКонец\n"
    assert parse_blocks(text) == [
        Block("para", ("Первый", "вторая строка")),
        Block("item", ("пункт один продолжение",)),
        Block("item", ("пункт два",)),
        Block("para", ("Конец",)),
    ]


def test_html_escapes_and_links() -> None:
    blocks = parse_blocks("a <b> & https://rskrf.ru/qualityday/.\n\n- x\n- y")
    assert to_html(blocks) == (
        '<p>a &lt;b&gt; &amp; <a href="https://rskrf.ru/qualityday/">'
        "https://rskrf.ru/qualityday/</a>.</p>\n<ul>\n<li>x</li>\n<li>y</li>\n</ul>"
    )
    assert to_plain(blocks) == "a <b> & https://rskrf.ru/qualityday/.\n\n– x\n\n– y\n"


def test_date_forms() -> None:
    assert date_numeric(date(2023, 10, 12)) == "12.10.2023"
    assert date_words(date(2023, 11, 1)) == "1 ноября 2023 г."


@pytest.mark.parametrize(
    ("full_name", "position", "addressee", "greeting"),
    [
        (
            "Уварова Наталья Ивановна",
            "Глава Грязинского муниципального округа",
            "Главе Грязинского муниципального округа\nН.И. Уваровой",
            "Уважаемая Наталья Ивановна!",
        ),
        (
            "Черных Вячеслав Тимофеевич",
            "Глава Воловского муниципального округа",
            "Главе Воловского муниципального округа\nВ.Т. Черных",
            "Уважаемый Вячеслав Тимофеевич!",
        ),
        ("Жук Марина Викторовна", "Глава", "Главе\nМ.В. Жук", "Уважаемая Марина Викторовна!"),
        (
            "Петрова-Водкина Ольга Сергеевна",
            "Глава",
            "Главе\nО.С. Петровой-Водкиной",
            "Уважаемая Ольга Сергеевна!",
        ),
        (
            "Хрущёв Игорь Анатольевич",
            "Глава",
            "Главе\nИ.А. Хрущёву",
            "Уважаемый Игорь Анатольевич!",
        ),
        (
            "Мамедов Руслан Ильхам оглы",
            "Первый заместитель главы Липецкого муниципального округа",
            "Первому заместителю главы Липецкого муниципального округа\nР.И. Мамедову",
            "Уважаемый Руслан Ильхам оглы!",
        ),
        (
            "Дьячков Юрий Васильевич",
            "Исполняющий обязанности главы",
            "Исполняющему обязанности главы\nЮ.В. Дьячкову",
            "Уважаемый Юрий Васильевич!",
        ),
        (
            "Седых Николай Иванович",
            "Главный специалист-эксперт отдела",
            "Главному специалисту-эксперту отдела\nН.И. Седых",
            "Уважаемый Николай Иванович!",
        ),
    ],
)
def test_addressee_and_salutation(
    full_name: str, position: str, addressee: str, greeting: str
) -> None:
    assert addressee_dative(full_name, position) == addressee
    assert salutation(full_name) == greeting
