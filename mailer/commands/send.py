"""`mailer send`: the letter to its recipients through the office's SMTP server."""

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
    recipients_option,
    sheet_option,
    show_next_steps,
    with_settings,
)
from mailer.errors import ExitCode

if TYPE_CHECKING:
    from mailer.settings import Settings


@letter_command
@recipients_option
@sheet_option
@click.option(
    "--only",
    multiple=True,
    metavar="ID",
    help="Отправить только этим получателям (можно указать несколько раз).",
)
@click.option("--yes", "-y", is_flag=True, help="Не спрашивать подтверждения.")
@click.option(
    "--dry-run", is_flag=True, help="Показать, кому уйдёт письмо, и ничего не отправлять."
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="Отправить повторно письма, о которых неизвестно, дошли ли они.",
)
@click.option(
    "--new-version",
    is_flag=True,
    help="Письмо изменилось после отправки: отправить оставшимся исправленную редакцию.",
)
@click.option(
    "--new-address",
    "readdress",
    multiple=True,
    metavar="ID",
    help="Отправить ещё раз получателю, чей адрес в списке исправлен (можно несколько раз).",
)
@with_settings
def send(
    settings: Settings,
    letter: str,
    recipients: Path | None,
    sheet: str | None,
    only: tuple[str, ...],
    yes: bool,
    dry_run: bool,
    resend_uncertain: bool,
    new_version: bool,
    readdress: tuple[str, ...],
) -> None:
    """Отправить письмо получателям через почтовый сервер (SMTP)."""
    from mailer.campaign import execute_send, uncertain_hint
    from mailer.commands.sending_summary import (
        addressed,
        report_sending,
        show_plan,
        stuck_in_doubt,
    )
    from mailer.send_plan import plan_send

    plan = plan_send(
        settings,
        letter,
        recipients,
        only,
        resend_uncertain,
        new_version=new_version,
        readdress=readdress,
        sheet=sheet,
    )
    show_plan(settings, plan, letter)
    stuck = stuck_in_doubt(plan)
    if not plan.to_send:
        click.echo("Отправлять нечего.")
        show_next_steps(next_steps.after_sending(letter))
        if stuck:
            click.echo(uncertain_hint())
            raise click.exceptions.Exit(ExitCode.INCOMPLETE)
        return
    click.echo(
        f"Будет отправлено: {len(plan.to_send)}. Первый получатель: {addressed(plan.to_send[0])}."
    )
    if dry_run:
        for recipient in plan.to_send:
            click.echo(f"  {recipient.id}: {addressed(recipient)}")
        click.echo("Пробный запуск (--dry-run): ничего не отправлено.")
        show_next_steps(next_steps.after_dry_run(letter, next_steps.same_list(recipients, sheet)))
        return
    confirm("Отправить?", yes)
    from mailer.progress import SendProgress

    with SendProgress(len(plan.to_send), sys.stderr) as progress:
        summary = execute_send(plan, progress=count_progress(progress))

    report_sending(settings, summary, "Отправлено", stuck, then=next_steps.after_sending(letter))
