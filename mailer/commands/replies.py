"""Answers: `track` finds them in the mailbox, `mark` records what came another way and
decides the messages on review."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailer import next_steps
from mailer.commands.shared import letter_command, show_next_steps, with_settings

if TYPE_CHECKING:
    from mailer.settings import Settings


@letter_command
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    metavar="ПУТЬ",
    default=None,
    help="Выгрузка почты вместо почтового ящика: папка Maildir, файл mbox, папка или файл .eml.",
)
@with_settings
def track(settings: Settings, letter: str, source: Path | None) -> None:
    """Найти ответы на письмо в почтовом ящике (IMAP) или в выгрузке почты."""
    from mailer.commands.track_summary import show_track
    from mailer.replies.track import run_track

    summary = run_track(settings, letter, source)
    show_track(summary, settings.max_message_mb)
    show_next_steps(next_steps.after_track(letter, review=bool(summary.review)))


@letter_command
@click.argument("recipient", metavar="[ПОЛУЧАТЕЛЬ]", required=False)
@click.option("--replied", is_flag=True, help="Отметить, что получатель ответил.")
@click.option(
    "--incoming",
    default="",
    metavar="НОМЕР",
    help="С --replied: входящий номер ответа (01-12/3456).",
)
@click.option(
    "--date",
    "answer_date",
    type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]),
    default=None,
    metavar="ДАТА",
    help="С --replied: дата ответа (2023-10-20 или 20.10.2023).",
)
@click.option("--undo", is_flag=True, help="Снять отметку об ответе, сделанную вручную.")
@click.option(
    "--delivered",
    is_flag=True,
    help="Возврат записан ошибочно: письмо дошло (возврат снимается, история остаётся).",
)
@click.option(
    "--not-an-answer",
    is_flag=True,
    help="Письма от получателя, отложенные на проверку, — не ответ (напоминания пойдут).",
)
@click.option(
    "--review",
    "review_id",
    type=int,
    default=None,
    metavar="НОМЕР",
    help="Письмо на проверке с этим номером — ответ получателя ПОЛУЧАТЕЛЬ.",
)
@click.option(
    "--dismiss",
    "dismiss_id",
    type=int,
    default=None,
    metavar="НОМЕР",
    help="Письмо на проверке с этим номером — ничей не ответ (получатель не нужен).",
)
@click.option("--note", default="", metavar="ТЕКСТ", help="Откуда ответ: СЭД, бумага, телефон.")
@with_settings
def mark(
    settings: Settings,
    letter: str,
    recipient: str | None,
    replied: bool,
    incoming: str,
    answer_date: datetime.datetime | None,
    undo: bool,
    delivered: bool,
    not_an_answer: bool,
    review_id: int | None,
    dismiss_id: int | None,
    note: str,
) -> None:
    """Отметить ответ, пришедший не по почте (СЭД, бумага, телефон), снять отметку или
    ошибочный возврат, решить письмо на проверке."""
    from mailer.replies import track

    actions = replied + undo + delivered + not_an_answer
    actions += (review_id is not None) + (dismiss_id is not None)
    if actions != 1:
        raise click.UsageError(
            "Укажите одно из: --replied, --undo, --delivered, --not-an-answer, --review НОМЕР "
            "или --dismiss НОМЕР."
        )
    if (incoming or answer_date) and not replied:
        raise click.UsageError("--incoming и --date указываются вместе с --replied.")
    if dismiss_id is not None:
        item = track.dismiss_review_item(settings, letter, dismiss_id)
        click.echo(f"Письмо на проверке № {dismiss_id} от {item.sender} — не ответ: снято.")
    elif recipient is None:
        raise click.UsageError("Укажите получателя: mailer mark ПИСЬМО ID_ПОЛУЧАТЕЛЯ …")
    elif review_id is not None:
        item = track.accept_review(settings, letter, review_id, recipient, note)
        click.echo(
            f"Письмо на проверке № {review_id} от {item.sender} засчитано как ответ {recipient}."
        )
    elif not_an_answer:
        count = track.dismiss_review(settings, letter, recipient)
        click.echo(f"Писем на проверке от {recipient} снято: {count}.")
    elif delivered:
        if track.mark_delivered(settings, letter, recipient, note):
            click.echo(f"Возврат для {recipient} снят: письмо считается доставленным.")
        else:
            click.echo(f"У {recipient} нет записанного возврата: снимать нечего.")
    elif replied:
        day = answer_date.date() if answer_date else None
        track.mark_replied(settings, letter, recipient, note, incoming or None, day)
        _say_replied(recipient, incoming, day, note)
    elif track.unmark_replied(settings, letter, recipient):
        click.echo(f"Отметка об ответе для {recipient} снята.")
    else:
        click.echo(f"У {recipient} нет ответа, отмеченного вручную: снимать нечего.")
    show_next_steps(next_steps.after_mark(letter))


def _say_replied(recipient: str, incoming: str, day: datetime.date | None, note: str) -> None:
    from mailer.russian import date_numeric

    said = [f"вх. № {incoming}" if incoming else "", f"от {date_numeric(day)}" if day else ""]
    extra = ", ".join(p for p in [*said, note] if p)
    click.echo(f"Отмечено: {recipient} ответил{f' ({extra})' if extra else ''}.")
    if not day:
        click.echo(
            "Дата ответа не указана (--date): в сводке она останется пустой. Чтобы её "
            "добавить, снимите отметку (--undo) и внесите заново с --date."
        )
