"""What a sending run says: the plan before `send` asks, and the end of `send` and `remind`
(what went, what did not, and the exit code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mailer.commands.shared import list_notes, one_line, show_next_steps
from mailer.errors import ExitCode
from mailer.guard import terminal_text

if TYPE_CHECKING:
    from mailer.outbox import SendSummary
    from mailer.recipients import Recipient
    from mailer.send_plan import SendPlan
    from mailer.settings import Settings


def show_plan(settings: Settings, plan: SendPlan, letter: str) -> None:
    """The letter, the list, the server, and whom this run leaves out and why."""
    from mailer.russian import date_words
    from mailer.settings import SECURITY_WORDS

    s = plan.letter.settings
    mode = "персонально каждому" if s.mode == "personal" else "один документ «по списку»"
    click.echo(f"Письмо: {s.subject}, {plan.letter.registration_label} ({mode}).")
    if plan.letter.deadline:
        click.echo(f"Срок ответа: {date_words(plan.letter.deadline)}")
    click.echo(
        f"Список: {plan.prepared.recipients.path}, получателей: {len(plan.prepared.recipients)}."
    )
    list_notes(plan.prepared.recipients.notes)
    click.echo(
        f"Сервер: {settings.smtp_host}:{settings.smtp_port_effective} "
        f"({SECURITY_WORDS[settings.smtp_security]}); "
        f"отправитель: {plan.prepared.sender.address}."
    )
    if plan.deadline_warning:
        click.echo(plan.deadline_warning)
    if plan.changes:
        click.echo("Письмо изменилось с прошлой отправки (отправляется новая редакция):")
        for line in plan.changes:
            click.echo(f"  {line}")
    if plan.already_sent:
        click.echo(f"Уже отправлено раньше: {len(plan.already_sent)} (повторно не отправляются).")
    _address_changes(plan, letter)
    stuck = stuck_in_doubt(plan)
    if stuck:
        click.echo(
            f"Неизвестно, дошло ли письмо ({len(stuck)}): {', '.join(stuck)}. "
            "Повторно не отправляются без --resend-uncertain."
        )


def _address_changes(plan: SendPlan, letter: str) -> None:
    for change in plan.address_changes:
        was = ", ".join(change.old)
        now = ", ".join(change.new)
        why = "письмо по старому адресу не доставлено" if change.bounced else "письмо ушло"
        if change.recipient_id in plan.readdress:
            click.echo(
                f"Адрес {change.recipient_id} исправлен: был {was}, стал {now}; уйдёт снова."
            )
        else:
            click.echo(
                f"Адрес {change.recipient_id} в списке изменился: был {was} ({why}), стал {now}. "
                f"Отправить на новый: mailer send {letter} --new-address {change.recipient_id}"
            )


def stuck_in_doubt(plan: SendPlan) -> list[str]:
    """Whom the plan leaves out because nobody knows whether their letter went."""
    return plan.uncertain + plan.interrupted


def addressed(recipient: Recipient) -> str:
    """A recipient as the letter addresses them, with their addresses."""
    from mailer.render import address

    return f"{one_line(address(recipient).addressee)} <{', '.join(recipient.emails)}>"


def report_sending(
    settings: Settings,
    summary: SendSummary,
    sent_title: str,
    stuck: list[str] | None = None,
    then: list[str] | None = None,
) -> None:
    """The end of a sending run: what went, what did not, and the exit code."""
    from mailer.campaign import uncertain_hint

    if summary.recovered:
        click.echo(
            f"Прошлый запуск прервался при передаче писем: {', '.join(summary.recovered)} — "
            "отмечены как «неизвестно, дошло ли»."
        )
    click.echo(f"{sent_title}: {len(summary.sent)}.")
    if summary.copies_stored:
        click.echo(
            f"Копии сохранены в папке «{settings.imap_sent_folder}» почтового ящика: "
            f"{summary.copies_stored}."
        )
    if summary.copy_errors:
        click.echo(
            f"Копии не сохранились в папке «{settings.imap_sent_folder}» "
            f"({len(summary.copy_errors)}): {summary.copy_errors[0]} Письма при этом отправлены."
        )
    if summary.slowdowns:
        click.echo(f"Сервер просил отправлять медленнее ({summary.slowdowns} раз): темп снижен.")
    for title, items in (
        ("Сервер отказался принять письмо", summary.failed),
        ("Не отправлено из-за временной ошибки", summary.deferred),
        ("Неизвестно, дошло ли письмо", summary.uncertain),
    ):
        if items:
            click.echo(f"{title} ({len(items)}):")
            for rid, detail in items:
                click.echo(f"  {rid}: {terminal_text(detail)}")
    if summary.uncertain or summary.recovered:
        click.echo(uncertain_hint())
    if summary.failed or summary.deferred:
        click.echo(
            "Запустите ту же команду снова: уйдут только неотправленные письма "
            "(после исправления адресов — и отклонённые)."
        )
    if then:
        show_next_steps(then)
    if not summary.complete or summary.recovered or stuck:
        raise click.exceptions.Exit(ExitCode.INCOMPLETE)
