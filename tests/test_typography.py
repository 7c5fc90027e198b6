"""Russian typography: where a line must not break, the text gets a non-breaking space."""

from __future__ import annotations

import pytest

from mailer.typography import NB_HYPHEN, NBSP, missing_rules, plain, typeset


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("Главе округа Н.И. Уваровой", "Н.И.␣Уваровой"),
        ("Уварова Н. И. сообщила", "Уварова␣Н.␣И."),
        ("от 29.03.2018 № 533-р", "№␣533‑р"),
        ("в 2023 г. и в 2023–2024 гг.", "2023␣г."),
        ("в 2023–2024 гг.", "2024␣гг."),
        ("экологические проекты и т. д.", "и␣т.␣д."),
        ("и т. п.", "т.␣п."),
        ("выставочные проекты, в т. ч. экспозиции", "в␣т.␣ч."),
        ("скидка 15 % и 20 кг", "15␣%"),
        ("до 20 ноября", "20␣ноября"),
        ("работа в области и с ними", "в␣области"),
        ("и с ними", "с␣ними"),
        ("Главам муниципальных образований (по списку)", "(по␣списку)"),
        ("пл. Ленина – Соборная", "Ленина␣– Соборная"),
        ("г. Липецк", "г.␣Липецк"),
    ],
)
def test_typeset_joins_what_must_stay_on_one_line(text: str, joined: str) -> None:
    result = typeset(text)
    assert joined.replace("␣", NBSP) in result
    assert plain(result) == text  # the visible text is unchanged


def test_typeset_leaves_other_spaces_and_addresses_alone() -> None:
    text = "Ссылка https://rskrf.ru/qualityday/ и адрес ed@admlr.lipetsk.ru, 2023 году."
    result = typeset(text)
    assert "https://rskrf.ru/qualityday/ " in result
    assert "2023 году" not in result  # a number and "году" stay together
    assert typeset("2023 г. к сроку") == f"2023{NBSP}г. к{NBSP}сроку"
    assert NB_HYPHEN in typeset("№ 02-06-4425И38/10/-3327")


def test_missing_rules_shows_where_a_space_should_not_break() -> None:
    assert missing_rules(typeset("№ 533-р и т. д.")) == []
    found = missing_rules("Распоряжение № 533-р, и т. д.")
    assert "№ 533-р," in found
    assert "т. д." in found
