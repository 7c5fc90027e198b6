"""Russian typography for every text that reaches a document: non-breaking spaces where a line
must not break (initials and surname, "№ 533-р", "2023 г.", "т. д.", a number and its unit, a
one-letter preposition and the word after it, "(по списку)"), and non-breaking hyphens inside
a registration number.

Rules only join words with U+00A0 (and the hyphen of a number range is left alone); the visible
text stays the same, so searches for it in `check` compare with the spaces made ordinary.
"""

from __future__ import annotations

import re
from functools import lru_cache

NBSP = "\u00a0"
NB_HYPHEN = "\u2011"
# a registration number after "№": its hyphens do not break ("02-06-4425И38/10/-3327")
_NUMBER = re.compile(r"(№№?[ \t\u00a0]*)([\w./\-\u2011]+)")
_SPACE = r"[ \t\u00a0]+"
_UPPER = "А-ЯЁA-Z"

# (pattern, replacement): each joins with NBSP what must stay on one line.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "т. д.", "т. п.", "т. е.", "т. к.", "т. ч.", "и т. д." (the "и" by the one-letter rule)
    (re.compile(rf"\b(т\.){_SPACE}(?=[дпекч]\.)"), rf"\1{NBSP}"),
    # initials before or after a surname: "Н.И. Уваровой", "Н. И. Уваровой", "Уварова Н.И."
    (re.compile(rf"(?<!\w)([{_UPPER}]\.){_SPACE}(?=[{_UPPER}]\.)"), rf"\1{NBSP}"),
    (re.compile(rf"(?<!\w)([{_UPPER}]\.){_SPACE}(?=[{_UPPER}][а-яёa-z])"), rf"\1{NBSP}"),
    (
        re.compile(rf"([{_UPPER}][а-яёa-z-]+){_SPACE}(?=[{_UPPER}]\.[{_UPPER}]?\.?(?!\w))"),
        rf"\1{NBSP}",
    ),
    # "№ 533-р", "№№ 1, 2"
    (re.compile(rf"(№№?){_SPACE}"), rf"\1{NBSP}"),
    # "2023 г.", "2023–2024 гг.", and "г. Липецк" after the abbreviation
    (re.compile(rf"(\d){_SPACE}(?=гг?\.)"), rf"\1{NBSP}"),
    (
        re.compile(rf"(?<![\w.])(г\.|пл\.|ул\.|обл\.|ст\.|рис\.|табл\.){_SPACE}(?=[А-ЯЁA-Z«\d])"),
        rf"\1{NBSP}",
    ),
    # a number and its unit, or its month in a date ("20 ноября")
    (
        re.compile(
            rf"(\d){_SPACE}(?=(?:%|₽|руб\.?|коп\.|тыс\.|млн|млрд|кг|км|м|см|мм|га|л|ч|мин|сек|"
            r"чел\.|шт\.|экз\.|дн\.|лет|года?|году|дней|дня|день|рабоч\w+|"
            r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
            r"(?!\w))"
        ),
        rf"\1{NBSP}",
    ),
    # a one-letter preposition or conjunction never ends a line
    (re.compile(rf"(?<![\w.\-])([вкосуиаВКОСУИА]){_SPACE}"), rf"\1{NBSP}"),
    # a dash does not begin a line
    (re.compile(rf"(?<=\S){_SPACE}(–|—)(?= )"), rf"{NBSP}\1"),
    # "(по списку)" stays whole
    (re.compile(rf"\(по{_SPACE}списку\)"), f"(по{NBSP}списку)"),
)


@lru_cache(maxsize=8192)
def typeset(text: str) -> str:
    """The text with non-breaking spaces where Russian typography keeps words together."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _NUMBER.sub(lambda m: m[1] + m[2].replace("-", NB_HYPHEN), text)


def plain(text: str) -> str:
    """The text with non-breaking spaces and hyphens made ordinary, for comparisons."""
    return text.replace(NBSP, " ").replace(NB_HYPHEN, "-")


def missing_rules(text: str) -> list[str]:
    """Where a text that should have been typeset breaks a rule (an ordinary space where a
    non-breaking one belongs): the words around each place, for `check` to show."""
    found = []
    for pattern, _ in _RULES:
        for match in pattern.finditer(text):
            if " " not in match.group(0) and "\t" not in match.group(0):
                continue
            start = max(text.rfind(" ", 0, match.start()) + 1, 0)
            next_space = text.find(" ", match.end() + 1)
            end = len(text) if next_space < 0 else next_space
            found.append(plain(text[start:end]).strip())
    return found
