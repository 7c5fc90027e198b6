"""What the commands share: the settings they are given, the list options, the confirmation
before sending, and the "Дальше:" block."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mailer.click_ru import RussianCommand
from mailer.click_ru import install as install_russian
from mailer.errors import ExitCode

install_russian()  # before any command is declared: click.Path names its kind when built

if TYPE_CHECKING:
    from mailer.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
ORIENTATION = "mailer.orientation"  # ctx.meta: where a command run outside the folder looks


def _settings(ctx: click.Context) -> Settings:
    from mailer.settings import Settings

    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def with_settings(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        for line in ctx.meta.get(ORIENTATION, ()):
            click.echo(line, err=True)
        return command(_settings(ctx), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


recipients_option = click.option(
    "--recipients",
    "-r",
    type=click.Path(path_type=Path),
    metavar="ФАЙЛ",
    default=None,
    help="Список получателей (CSV или XLSX). По умолчанию — из настроек письма или recipients.csv.",
)
sheet_option = click.option(
    "--sheet",
    metavar="ЛИСТ",
    default=None,
    help="Лист книги Excel со списком (по умолчанию — первый, где есть заголовок).",
)


def letter_command(function: F) -> click.Command:
    """A command about one letter: its first argument is ПИСЬМО."""
    with_letter = click.argument("letter", metavar="ПИСЬМО")(function)
    return click.command(cls=RussianCommand)(with_letter)


def list_notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        click.echo(f"В списке: {note}.")


def confirm(question: str, yes: bool) -> None:
    """Go on only on a clear yes; "no", an unclear answer or the end of input cancel."""
    from mailer.prompt import ask_yes_no

    if yes:
        return
    if not ask_yes_no(question):
        click.echo("Отменено. Ничего не отправлено.")
        raise click.exceptions.Exit(ExitCode.CANCELLED)


def one_line(text: str) -> str:
    return " ".join(text.split())


def show_next_steps(lines: list[str]) -> None:
    click.echo("Дальше:")
    for line in lines:
        click.echo(f"  {line}")
