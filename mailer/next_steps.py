"""What comes next after each command, as the lines the CLI prints under "Дальше:".

A suggested command repeats what the user chose (the letter, the list and its sheet), so that
following it never falls back to a default by mistake.
"""

from __future__ import annotations

from pathlib import Path

ASKS = "отправить (программа спросит подтверждение)"


def command_line(*words: str) -> str:
    """A command to type: a word with a space (or an empty one) is quoted."""
    return " ".join(["mailer", *(f'"{w}"' if " " in w or not w else w for w in words)])


def same_list(recipients: Path | None, sheet: str | None) -> list[str]:
    words = ["-r", str(recipients)] if recipients is not None else []
    return words + (["--sheet", sheet] if sheet is not None else [])


def after_preview(letter: str, list_words: list[str]) -> list[str]:
    return [
        "просмотрите письма в браузере (ссылка выше);",
        f"{command_line('check', letter, *list_words)} — проверить оформление документа по ГОСТ;",
        f"{command_line('send', letter, *list_words)} — {ASKS}.",
    ]


def after_check(letter: str, list_words: list[str]) -> list[str]:
    return [f"{command_line('send', letter, *list_words)} — {ASKS}."]


def after_dry_run(letter: str, list_words: list[str]) -> list[str]:
    return [
        f"{command_line('preview', letter, *list_words)} — посмотреть сами письма;",
        f"{command_line('send', letter, *list_words)} — отправить.",
    ]


def after_sending(letter: str) -> list[str]:
    return [
        f"{command_line('track', letter)} — найти ответы в почте (через день-другой и потом "
        "регулярно);",
        f"{command_line('status', letter)} — кто получил, кто ответил, у кого истекает срок.",
    ]


def after_track(letter: str, review: bool) -> list[str]:
    if not review:
        return [
            f"{command_line('status', letter)} — кто ответил, кто нет;",
            f"{command_line('remind', letter)} — напомнить тем, кто не ответил.",
        ]
    replied = command_line("mark", letter, "ID_ПОЛУЧАТЕЛЯ", "--review", "НОМЕР")
    not_an_answer = command_line("mark", letter, "--dismiss", "НОМЕР")
    return [
        "прочитайте эти письма и решите по каждому (НОМЕР — из списка выше):",
        f"  ответ — {replied}",
        f"  ничей не ответ — {not_an_answer}",
        "  (пока письмо на проверке, этому получателю не напоминают);",
        f"{command_line('status', letter)} — кто ответил, кто нет.",
    ]


def after_status(letter: str, not_replied: int) -> list[str]:
    steps = [f"{command_line('track', letter)} — проверить почту на новые ответы;"]
    if not_replied:
        steps.append(f"{command_line('remind', letter)} — напомнить тем, кто не ответил;")
    steps.append(f"{command_line('report', letter)} — сводка и справка для руководителя.")
    return steps


def after_nothing_to_remind(letter: str) -> list[str]:
    return [f"{command_line('status', letter)} — кто ответил, кто нет."]


def after_mark(letter: str) -> list[str]:
    return [f"{command_line('status', letter)} — посмотреть, кто ещё не ответил."]


def after_report(letter: str) -> list[str]:
    return [
        "передайте сводку и справку руководителю;",
        f"после новых ответов: {command_line('track', letter)}, затем снова "
        f"{command_line('report', letter)} (прежние файлы сохранятся).",
    ]


def after_letters() -> list[str]:
    return [f"{command_line('status', 'ИМЯ_ПИСЬМА')} — подробно об одном письме."]


def after_remind_dry_run(letter: str) -> list[str]:
    return [f"{command_line('remind', letter)} — отправить эти напоминания."]


def before_any_letter() -> list[str]:
    return [
        f"{command_line('preview', 'ИМЯ_ПИСЬМА')} — собрать письма и посмотреть их;",
        f"{command_line('send', 'ИМЯ_ПИСЬМА')} — отправить.",
    ]
