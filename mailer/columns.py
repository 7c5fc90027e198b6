"""Which column of a list is which: header names as people write them, and ids made from names.

Offices title their columns many ways ("ФИО главы", "Ф.И.О.", "E-mail адрес", "Наименование МО").
A header is reduced to its words (case, ё/е and punctuation dropped) and recognised by the word
that carries its meaning, whatever else is written around it.
"""

from __future__ import annotations

import re
import unicodedata

ROW_NUMBER = "row_number"  # "№ п/п": the row's place in the table, never a recipient's key
EMAIL_MAYBE = "email?"  # "Адрес": an email column only if its values are addresses

_WORD = re.compile(r"[a-zа-я0-9]+")


def header_words(name: str) -> list[str]:
    name = unicodedata.normalize("NFC", name).lower().replace("ё", "е")
    return _WORD.findall(name)


def _starts(words: list[str], *stems: str) -> bool:
    return any(word.startswith(stem) for word in words for stem in stems)


def classify_header(name: str) -> str | None:
    """The field a header names, ROW_NUMBER, EMAIL_MAYBE, or None for a column of its own."""
    raw = name.strip().lower()
    words = header_words(name)
    joined = "".join(words)
    if raw in ("№", "#", "n", "no", "no."):
        return "id"  # a bare "№" has always been the list's own key
    if not words:
        return None
    if words[-2:] == ["п", "п"] or "порядку" in words or _starts(words, "порядков"):
        return ROW_NUMBER
    if set(words) & {"пол", "gender", "sex"}:
        return "gender"
    if set(words) & {"обращение", "salutation", "greeting"}:
        return "salutation"
    if set(words) & {"адресат", "кому", "addressee"}:
        return "addressee"
    if _starts(words, "должност") or set(words) & {"position", "title"}:
        return "position"
    if (
        "email" in joined
        or set(words) & {"mail", "emails", "эп"}
        or any(w.startswith("почт") and not w.startswith("почтов") for w in words)
        or (_starts(words, "электрон") and _starts(words, "адрес"))
    ):
        return "email"
    if (
        "фио" in words
        or "ф и о" in " ".join(words)  # "Ф.И.О.", "Глава МО (Ф. И. О.)"
        or "fullname" in joined
        or words == ["name"]
        or _starts(words, "фамили")
        or words in (["руководитель"], ["глава"])
    ):
        return "full_name"
    if set(words) & {"id", "код", "идентификатор"} or words == ["номер"]:
        return "id"  # "Код МО", "Код организации": the recipient's code, not its name
    if (
        _starts(words, "организац", "учрежден", "organi")
        or (_starts(words, "муниципальн") and _starts(words, "образовани"))
        or set(words) & {"мо", "org", "наименование", "орган"}
    ):
        return "organization"
    if _starts(words, "адрес"):
        return EMAIL_MAYBE
    return None


def looks_like_addresses(values: list[str]) -> bool:
    """Most filled cells hold something with an @: an email column, not a postal address."""
    filled = [v for v in values if v.strip()]
    if not filled:
        return False
    return sum(1 for v in filled if "@" in v) * 2 > len(filled)


# Russian letters as the Russian passport writes them in Latin (ICAO Doc 9303). Our own table,
# not a library's: an id made here is the recipient's key in the journal and must stay the same
# for the same name for ever, whatever version of a package is installed.
# fmt: off
_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}
# fmt: on
SLUG_LIMIT = 80


def slug(text: str) -> str:
    """ "Грязинский муниципальный округ" -> "griazinskii-munitsipalnyi-okrug"."""
    text = unicodedata.normalize("NFC", text).lower()
    latin = "".join(_LATIN.get(ch, ch) for ch in text)
    words = re.findall(r"[a-z0-9]+", latin)
    result = ""
    for word in words:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > SLUG_LIMIT:
            break
        result = candidate
    return result
