"""Which row of a list is its header and which column is which: header names as people write
them, and ids made from names.

Offices title their columns many ways ("ФИО главы", "Ф.И.О.", "E-mail адрес", "Наименование МО").
A header is reduced to its words (case, ё/е and punctuation dropped) and recognised by the word
that carries its meaning, whatever else is written around it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mailer.tables import Rows

FIELDS = (
    "id",
    "email",
    "full_name",
    "position",
    "organization",
    "gender",
    "addressee",
    "salutation",
)
HEADER_SEARCH_ROWS = 30  # title lines above the header, as offices write them
COLUMN_TITLES = {
    "id": "id (код)",
    "email": "email (почта)",
    "full_name": "full_name (ФИО)",
    "position": "position (должность)",
    "organization": "organization (организация)",
    "gender": "gender (пол)",
    "addressee": "addressee (адресат)",
    "salutation": "salutation (обращение)",
}
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


def filled(rows: Rows) -> Rows:
    """The rows with something in them: blank and merely formatted rows are no rows."""
    return [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]


@dataclass
class Header:
    row: int
    names: list[str]
    columns: dict[str, int]
    extra_columns: dict[str, int]
    problems: list[str]


def find_header(rows: Rows) -> int | None:
    """Index of the header among ``rows`` (non-empty ones): the first of the leading rows that
    names at least two known columns in at least two different cells (a merged title row,
    repeated in every cell it covers, is one value)."""
    fallback = None
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        distinct = {c.strip() for c in cells if c.strip()}
        kinds = {classify_header(c) for c in distinct} - {None}
        if len(distinct) >= 2 and len(kinds) >= 2:
            return index
        if fallback is None and "email" in kinds:
            fallback = index
    return fallback


def read_header(header_row: int, header: list[str], data: Rows) -> Header:
    found = Header(header_row, [c.strip() for c in header], {}, {}, [])
    maybe_email: list[int] = []
    for index, name in enumerate(found.names):
        if not name:
            continue
        kind = classify_header(name)
        if kind == EMAIL_MAYBE:
            maybe_email.append(index)
            continue
        if kind is None or kind == ROW_NUMBER:
            found.extra_columns[name] = index
        elif kind in found.columns:
            first = found.names[found.columns[kind]]
            if kind == "id" and len(header_words(first)) <= 1 < len(header_words(name)):
                found.extra_columns[name] = index  # "id" beside "Код ОКТМО": the plain one
            elif kind == "id" and len(header_words(name)) <= 1 < len(header_words(first)):
                found.extra_columns[first] = found.columns[kind]
                found.columns[kind] = index
            elif kind in ("id", "email"):
                found.problems.append(
                    f"строка {header_row}: столбцы «{first}» и «{name}» оба похожи на "
                    f"{COLUMN_TITLES[kind]}; переименуйте лишний"
                )
            else:
                found.extra_columns[name] = index  # the first such column is the field
        else:
            found.columns[kind] = index

    def values(index: int) -> list[str]:
        return [cells[index] if index < len(cells) else "" for _, cells in data]

    # the email column is the one that holds addresses; a postal "Адрес" stays a column of its own
    if "email" in found.columns and not looks_like_addresses(values(found.columns["email"])):
        better = [i for i in maybe_email if looks_like_addresses(values(i))]
        if better:
            found.extra_columns[found.names[found.columns["email"]]] = found.columns["email"]
            found.columns["email"] = better[0]
            maybe_email.remove(better[0])
    if "email" not in found.columns:
        for index in maybe_email:
            if looks_like_addresses(values(index)):
                found.columns["email"] = index
                maybe_email.remove(index)
                break
    for index in maybe_email:
        found.extra_columns[found.names[index]] = index
    if "email" not in found.columns:
        found.problems.append(
            f"строка {header_row}: нет столбца {COLUMN_TITLES['email']} — с адресами электронной "
            f"почты («Email», «Электронная почта», «E-mail адрес»); найдены столбцы: "
            f"{', '.join(n for n in found.names if n)}"
        )
    if "id" not in found.columns and not {"organization", "full_name"} & set(found.columns):
        found.problems.append(
            f"строка {header_row}: нет ни столбца {COLUMN_TITLES['id']}, ни названия организации "
            f"или ФИО, из которых его можно составить; найдены столбцы: "
            f"{', '.join(n for n in found.names if n)}"
        )
    return found
