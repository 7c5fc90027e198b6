"""`mailer remind`: a reminder to those who received the letter and did not answer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailer import next_steps
from mailer.cli_endings import count_progress
from mailer.commands.shared import (
    confirm,
    letter_command,
    one_line,
    sheet_option,
    show_next_steps,
    with_settings,
)

if TYPE_CHECKING:
    from mailer.reminders import RemindPlan
    from mailer.settings import Settings


@letter_command
@click.option(
    "--recipients",
    "-r",
    type=click.Path(path_type=Path),
    metavar="ФАЙЛ",
    default=None,
    help="Не нужен: напоминания идут тем, кому письмо ушло по журналу. Для журналов "
    "старых версий — откуда взять ФИО и обращения получателей.",
)
@sheet_option
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    metavar="ПУТЬ",
    default=None,
    help="Где искать ответы: выгрузка почты вместо почтового ящика (как у track).",
)
@click.option("--skip-track", is_flag=True, help="Не проверять почту: напомнить по журналу.")
@click.option("--yes", "-y", is_flag=True, help="Не спрашивать подтверждения.")
@click.option("--dry-run", is_flag=True, help="Собрать напоминания в папку и ничего не отправлять.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="ПАПКА",
    default=None,
    help="Папка для --dry-run (по умолчанию preview/ИМЯ_ПИСЬМА-напоминания).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Не ждать минимального интервала между письмами (максимум и ответы соблюдаются).",
)
@with_settings
def remind(
    settings: Settings,
    letter: str,
    recipients: Path | None,
    sheet: str | None,
    source: Path | None,
    skip_track: bool,
    yes: bool,
    dry_run: bool,
    out: Path | None,
    force: bool,
) -> None:
    """Напомнить тем, кто получил письмо и не ответил."""
    from mailer.commands.sending_summary import report_sending
    from mailer.reminders import execute_remind, plan_remind, verify_remind_signatures

    plan = plan_remind(
        settings, letter, recipients, source=source, skip_track=skip_track, force=force, sheet=sheet
    )
    _show_plan(plan)
    if not plan.due:
        click.echo("Напоминать некому.")
        show_next_steps(next_steps.after_nothing_to_remind(letter))
        return
    if dry_run:
        _dry_run(plan, out)
        show_next_steps(next_steps.after_remind_dry_run(letter))
        return
    verify_remind_signatures(plan)
    confirm("Отправить напоминания?", yes)
    from mailer.progress import SendProgress

    with SendProgress(len(plan.due), sys.stderr, verb="Напоминаний отправлено") as progress:
        summary = execute_remind(plan, progress=count_progress(progress))
    report_sending(
        settings, summary, "Напоминаний отправлено", then=next_steps.after_sending(letter)
    )


def _show_plan(plan: RemindPlan) -> None:
    """What the mailbox said, and who is reminded and who is not, with the reasons."""
    from mailer.commands.track_summary import news_for_remind
    from mailer.guard import terminal_text

    if plan.track is not None:
        new = news_for_remind(plan.track.new)
        click.echo(f"Почта проверена ({plan.track.source}): новых ответов и возвратов: {len(new)}.")
    else:
        click.echo("Почта не проверялась (--skip-track): решение по данным журнала.")
    click.echo(f"Напоминание: {plan.title}.")
    if plan.skipped:
        click.echo(f"Не получат напоминание ({len(plan.skipped)}):")
        for rid, reason in plan.skipped.items():
            click.echo(f"  {rid}: {terminal_text(reason, limit=500)}")
    if not plan.due:
        return
    click.echo(f"Получат напоминание ({len(plan.due)}):")
    for item in plan.due:
        again = " (продолжение прерванной отправки)" if item.resume else ""
        click.echo(
            f"  {item.recipient.id}: {one_line(item.recipient.full_name)} "
            f"<{', '.join(item.recipient.emails)}>, напоминание {item.sequence}{again}"
        )


def _dry_run(plan: RemindPlan, out: Path | None) -> None:
    from mailer.reminders import preview_remind, remind_for_signing

    index = preview_remind(plan, out)
    click.echo(f"Пробный запуск: напоминания собраны в {index.parent}, ничего не отправлено.")
    click.echo(f"Откройте в браузере: {index.resolve().as_uri()}")
    signing = remind_for_signing(plan)
    if signing is not None:
        click.echo(
            "Письмо подписывается: напоминания для подписи записаны в "
            f"{signing.folder}. Подпишите их откреплённой подписью (.sig рядом с документом) "
            "в тот же день, которым они датированы."
        )
