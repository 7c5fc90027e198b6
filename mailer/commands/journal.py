"""The journal itself: `history` of a letter, and `journal copy` into PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mailer.click_ru import RussianGroup
from mailer.commands.shared import letter_command, one_line, with_settings

if TYPE_CHECKING:
    from mailer.settings import Settings


@letter_command
@click.argument("recipient", required=False, metavar="ПОЛУЧАТЕЛЬ")
@with_settings
def history(settings: Settings, letter: str, recipient: str | None) -> None:
    """Все изменения по письму (или по одному получателю): когда, что и кто сделал."""
    from mailer.history import EVENT_TITLES, letter_history
    from mailer.report.words import local_time

    for entry in letter_history(settings, letter, recipient):
        title = EVENT_TITLES.get(entry.state, entry.state)
        detail = f": {one_line(entry.detail)}" if entry.detail else ""
        who = entry.operator or "не записано"
        click.echo(f"{local_time(entry.at)}  {entry.recipient_id}  {title}{detail}  — {who}")


@click.group(cls=RussianGroup)
def journal() -> None:
    """Журнал рассылок: перенос на сервер PostgreSQL."""


@journal.command("copy")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="Куда: адрес базы PostgreSQL, postgresql://пользователь@сервер:5432/база.",
)
@with_settings
def journal_copy(settings: Settings, target: str) -> None:
    """Скопировать журнал из файла SQLite (MAILER_DB) в базу PostgreSQL и сверить копию.

    Файл журнала не меняется. База должна быть пустой.
    """
    from mailer.journal.copying import copy_journal

    result = copy_journal(settings, target)
    for table, count in result.counts.items():
        click.echo(f"  {table}: {count}")
    click.echo(
        f"Журнал {result.source} скопирован в {result.target} и сверен: число строк и "
        "контрольные суммы всех таблиц совпадают. Файл журнала не изменён."
    )
    click.echo(f"Дальше: укажите в .env MAILER_DB={result.target}")
