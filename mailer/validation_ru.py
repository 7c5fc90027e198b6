"""pydantic's validation errors as Russian sentences.

pydantic reports each problem with a stable ``type`` code and its context (the bound, the allowed
values); its ``msg`` is English. We say the same in Russian from the code, and never show the
English text: an unknown code gets a general sentence naming the field.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

DATE = "ожидается дата в виде ГГГГ-ММ-ДД"

MESSAGES: dict[str, str] = {
    "missing": "обязательное поле не заполнено",
    "extra_forbidden": "неизвестное поле (опечатка в названии?)",
    "int_parsing": "ожидается целое число",
    "int_type": "ожидается целое число",
    "int_from_float": "ожидается целое число, без дробной части",
    "float_parsing": "ожидается число (дробная часть — через точку)",
    "float_type": "ожидается число",
    "finite_number": "ожидается обычное число",
    "bool_parsing": "ожидается true или false",
    "bool_type": "ожидается true или false",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than": "должно быть меньше {lt}",
    "less_than_equal": "должно быть не больше {le}",
    "literal_error": "допустимые значения: {expected}",
    "enum": "допустимые значения: {expected}",
    "string_type": "ожидается текст (в файле настроек письма — в кавычках)",
    "string_too_short": "поле не может быть пустым",
    "string_too_long": "слишком длинный текст: не больше {max_length} знаков",
    "string_pattern_mismatch": "значение записано неверно",
    "too_short": "слишком мало значений: нужно не меньше {min_length}",
    "too_long": "слишком много значений: не больше {max_length}",
    "list_type": 'ожидается список в квадратных скобках: ["…", "…"]',
    "dict_type": "ожидается раздел (таблица) с полями",
    "model_type": "ожидается раздел (таблица) с полями",
    "model_attributes_type": "ожидается раздел (таблица) с полями",
    "path_type": "ожидается путь к файлу или папке",
    "date_parsing": DATE,
    "date_from_datetime_parsing": DATE,
    "date_from_datetime_inexact": DATE + ", без времени",
    "date_type": DATE + " (без кавычек)",
    "datetime_parsing": "ожидаются дата и время в виде ГГГГ-ММ-ДД ЧЧ:ММ",
    "datetime_type": "ожидаются дата и время в виде ГГГГ-ММ-ДД ЧЧ:ММ",
    "json_invalid": "значение записано неверно (ожидается JSON)",
    "url_parsing": "ожидается адрес вида https://…",
    "url_scheme": "адрес должен начинаться с http:// или https://",
}


def explain(error: ErrorDetails, *, show_input: bool = True) -> str:
    """One Russian phrase for one of pydantic's errors (without the field's name)."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        # our own validators speak Russian already; pydantic only adds its English prefix
        reason = ctx.get("error")
        text = str(reason) if reason is not None else str(error["msg"])
        return text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if isinstance(ctx.get("expected"), str):
        ctx["expected"] = ctx["expected"].replace(" or ", " или ")
    template = MESSAGES.get(kind, "значение не подходит")
    try:
        text = template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        text = template
    value = error.get("input")
    if show_input and kind not in ("missing", "extra_forbidden") and _shown(value):
        text += f" (сейчас: «{value}»)"
    return text


def _shown(value: object) -> bool:
    return isinstance(value, str | int | float) and len(str(value)) <= 80


# tomllib's messages (Python 3.11), the ones a hand-edited file meets
_TOML: dict[str, str] = {
    "Invalid value": "значение записано неверно (текст — в кавычках, даты — как 2023-10-12)",
    "Expected '=' after a key in a key/value pair": "после названия поля нужен знак =",
    "Invalid statement": "строка не похожа на «поле = значение»",
    "Unclosed array": "список не закрыт скобкой ]",
    "Unclosed inline table": "таблица не закрыта скобкой }",
    "Unterminated string": "текст не закрыт кавычкой",
    "Cannot overwrite a value": "поле задано дважды",
    "Expected newline or end of document after a statement": (
        "после значения в той же строке лишний текст"
    ),
    "Invalid initial character for a key part": "название поля начинается с недопустимого знака",
    "Invalid date or datetime": "дата записана неверно: нужно ГГГГ-ММ-ДД",
}


def toml_problem(message: str) -> str:
    """tomllib's complaint (without its "(at line …)") in Russian."""
    for english, russian in _TOML.items():
        if message.startswith(english):
            return russian
    if message.startswith("Cannot declare"):
        return "раздел или поле объявлены дважды"
    if message.startswith(("Illegal character", "Found invalid character")):
        return "недопустимый символ"
    return "текст не по правилам формата"


# email-validator's complaints, by how they begin; the most specific first
_EMAIL: tuple[tuple[str, str], ...] = (
    ("An email address must have an @-sign", "нет знака @"),
    ("The email address is not valid. It must have exactly one @-sign", "знак @ должен быть один"),
    ("There must be something before the @-sign", "перед @ ничего нет"),
    ("There must be something after the @-sign", "после @ ничего нет"),
    ("An email address cannot have two periods in a row", "две точки подряд"),
    ("An email address cannot start with a period", "адрес начинается с точки"),
    ("An email address cannot end with a period", "перед @ стоит точка"),
    ("An email address cannot have a period immediately", "точка рядом с @"),
    ("An email address cannot have a period and a hyphen", "точка и дефис рядом"),
    ("The part after the @-sign is not valid. It should have a period",
     "в домене после @ нет точки"),
    ("The part after the @-sign is not valid. It is not within a valid top-level domain",
     "домен после @ не существует (нет такой зоны)"),
    ("The part after the @-sign is a special-use or reserved name",
     "домен после @ зарезервирован и для почты не годится"),
    ("The part after the @-sign", "после @ недопустимые символы"),
    ("After the @-sign", "после @ недопустимые символы"),
    ("The email address contains invalid characters before the @-sign",
     "перед @ недопустимые символы"),
    ("The email address is too long", "адрес слишком длинный"),
    ("A display name and angle brackets", "нужен только адрес, без имени и угловых скобок"),
    ("There can't be anything after the email address", "после адреса лишний текст"),
    ("The email address contains unsafe characters", "в адресе невидимые или управляющие символы"),
)  # fmt: skip


def email_problem(message: str) -> str:
    """email-validator's reason an address is wrong, in Russian."""
    for english, russian in _EMAIL:
        if message.startswith(english):
            return russian
    return "адрес записан неверно"
