"""Click's own words in Russian: usage lines, missing arguments, unknown options and commands,
invalid choices, the prompt's complaints, "Aborted!".

Click passes every message it prints through ``gettext`` (imported into each of its modules as
``_`` and ``ngettext``). The process's gettext catalogue follows the user's locale, which may be
anything on an office computer; so instead of a catalogue on disk we give Click's modules
translating functions over the table below, independent of the locale. Messages the table does
not know stay as Click wrote them (developer errors, deprecations), and a test runs every
command's error paths to catch a user-facing one missed.

``install()`` must run before the commands are declared: ``click.Path`` takes its "file" or
"directory" word when it is constructed.
"""

from __future__ import annotations

from typing import Any

import click

RUSSIAN: dict[str, str] = {
    # usage and help
    "Usage:": "Вызов:",
    "Try '{command} {option}' for help.": "Справка: {command} {option}",
    "Options": "Параметры",
    "Commands": "Команды",
    "Positional arguments": "Аргументы",
    "Show this message and exit.": "Показать эту справку и выйти.",
    "Show the version and exit.": "Показать версию программы и выйти.",
    "%(prog)s, version %(version)s": "%(prog)s, версия %(version)s",
    "default: {default}": "по умолчанию: {default}",
    "required": "обязательно",
    "env var: {var}": "переменная окружения: {var}",
    "(dynamic)": "(вычисляется)",
    "deprecated": "устарело",
    # errors of the command line
    "Error: {message}": "Ошибка в команде. {message}",
    "Missing argument": "Не указан аргумент",
    "Missing option": "Не указан параметр",
    "Missing parameter": "Не указан параметр",
    "Missing {param_type}": "Не указан {param_type}",
    "Missing parameter: {param_name}": "Не указан параметр: {param_name}",
    "Missing command.": "Не указана команда.",
    "No such command {name!r}.": "Нет такой команды: {name!r}.",
    "No such option {name!r}.": "Нет такого параметра: {name!r}.",
    "No such option: {name}": "Нет такого параметра: {name}",
    "Option {name!r} does not take a value.": "Параметр {name!r} пишется без значения.",
    "Invalid value for {param_hint}: {message}": "Неверное значение {param_hint}: {message}",
    "Invalid value: {message}": "Неверное значение: {message}",
    "Choose from:\n\t{choices}": "Допустимые значения:\n\t{choices}",
    "Argument {name!r} takes {nargs} values.": "Аргумент {name!r} требует значений: {nargs}.",
    "Invalid start character for option ({option})": "Неверный первый символ параметра ({option})",
    "{value!r} is not a valid {number_type}.": "{value!r} — не число.",
    "{value} is not in the range {range}.": "{value} — вне допустимых пределов {range}.",
    "{value!r} is not a valid UUID.": "{value!r} — не UUID.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} — не «да» и не «нет»; допустимые значения: {states}"
    ),
    "Value must be an iterable.": "Нужен список значений.",
    # files and folders named on the command line
    "file": "файл",
    "directory": "папка",
    "path": "путь",
    "{name} {filename!r} does not exist.": "{name} {filename!r} не существует.",
    "{name} {filename!r} is a file.": "{name} {filename!r} — это файл, а нужна папка.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} — это папка, а нужен файл.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} недоступен для чтения.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} недоступен для записи.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} не запускается.",
    "Could not open file {filename!r}: {message}": (
        "Не удалось открыть файл {filename!r}: {message}"
    ),
    # prompts and their answers
    "Error: invalid input": "Ответ не понят.",
    "Error: The value you entered was invalid.": "Ошибка: введено неверное значение.",
    "Error: The two entered values do not match.": "Ошибка: введённые значения не совпадают.",
    "Repeat for confirmation": "Повторите для подтверждения",
    "Press any key to continue...": "Нажмите любую клавишу…",
    "Do you want to continue?": "Продолжить?",
    "Confirm the action without prompting.": "Подтвердить без вопроса.",
    "Aborted!": "Прервано.",
}

# ngettext: the English singular -> the Russian forms for 1, for 2-4 and for 5 and more
RUSSIAN_PLURALS: dict[str, tuple[str, str, str]] = {
    "Got unexpected extra argument ({args})": (
        "Лишний аргумент ({args})",
        "Лишние аргументы ({args})",
        "Лишние аргументы ({args})",
    ),
    "Did you mean {possibility}?": (
        "Может быть, имелось в виду {possibility}?",
        "(Может быть, имелось в виду одно из: {possibilities}?)",
        "(Может быть, имелось в виду одно из: {possibilities}?)",
    ),
    "{value!r} is not {choice}.": (
        "{value!r} — не {choice}.",
        "{value!r} — не из допустимых значений: {choices}.",
        "{value!r} — не из допустимых значений: {choices}.",
    ),
    "{value!r} does not match the format {format}.": (
        "{value!r} не соответствует формату {format}.",
        "{value!r} не соответствует ни одному из форматов {formats}.",
        "{value!r} не соответствует ни одному из форматов {formats}.",
    ),
    "Option {name!r} requires an argument.": (
        "Параметру {name!r} нужно значение.",
        "Параметру {name!r} нужно значений: {nargs}.",
        "Параметру {name!r} нужно значений: {nargs}.",
    ),
    "Takes {nargs} values but 1 was given.": (
        "Нужно значений: {nargs}, а дано одно.",
        "Нужно значений: {nargs}, а дано {len}.",
        "Нужно значений: {nargs}, а дано {len}.",
    ),
    "{len_type} values are required, but {len_value} was given.": (
        "Нужно значений: {len_type}, а дано {len_value}.",
        "Нужно значений: {len_type}, а дано {len_value}.",
        "Нужно значений: {len_type}, а дано {len_value}.",
    ),
}

_CLICK_MODULES = ("core", "exceptions", "types", "termui", "decorators", "parser", "formatting")


def gettext(message: str) -> str:
    return RUSSIAN.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    forms = RUSSIAN_PLURALS.get(singular)
    if forms is None:
        return singular if count == 1 else plural
    if count % 10 == 1 and count % 100 != 11:
        return forms[0]
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return forms[1]
    return forms[2]


def install() -> None:
    """Give Click's modules the Russian ``_`` and ``ngettext``."""
    import importlib

    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


class RussianCommand(click.Command):
    """A command whose usage line names its parts in Russian."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[ПАРАМЕТРЫ]")
        super().__init__(*args, **kwargs)


class RussianGroup(click.Group):
    command_class = RussianCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[ПАРАМЕТРЫ]")
        kwargs.setdefault("subcommand_metavar", "КОМАНДА [АРГУМЕНТЫ]...")
        super().__init__(*args, **kwargs)
