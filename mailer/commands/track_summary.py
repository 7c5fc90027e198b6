"""What `track` says: the new messages under their kinds' titles, the notices and the review
list; and what `remind` counts as news from the mailbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mailer.guard import terminal_text
from mailer.states import ReplyKind

if TYPE_CHECKING:
    from mailer.journal import Delivery, ReplyRecord
    from mailer.replies.track import TrackSummary

# In this order; a kind without a title (a notice) is listed apart, and so is the review list.
KIND_TITLES = {
    ReplyKind.REPLY: "Ответы",
    ReplyKind.AUTO_REPLY: "Автоответы (ответом не считаются)",
    ReplyKind.BOUNCE: "Недоставленные (возвраты)",
    ReplyKind.READ_RECEIPT: "Уведомления о прочтении",
    ReplyKind.REVIEW: "На проверку (не засчитаны: решите сами)",
}
# What changes whom `remind` writes to: an answer, or a letter that did not arrive.
NEWS_FOR_REMIND = frozenset({ReplyKind.REPLY, ReplyKind.BOUNCE})
# Found, but neither an answer nor anything that changes a state: said apart from the news.
NOT_NEWS = frozenset({ReplyKind.REVIEW, ReplyKind.NOTICE})


def news_for_remind(records: list[ReplyRecord]) -> list[ReplyRecord]:
    return [r for r in records if r.kind in NEWS_FOR_REMIND]


def show_track(summary: TrackSummary, max_message_mb: int) -> None:
    stats = summary.stats
    click.echo(
        f"Источник: {summary.source}. Просмотрено писем: {stats.seen}, "
        f"загружено целиком: {stats.bodies_fetched}."
    )
    recipients = summary.recipients
    for kind, title in KIND_TITLES.items():
        records = [r for r in summary.new if r.kind == kind and kind != ReplyKind.REVIEW]
        if not records:
            continue
        click.echo(f"{title}: {len(records)}")
        for record in records:
            click.echo(_found(record, recipients))
    if not [r for r in summary.new if r.kind not in NOT_NEWS]:
        click.echo("Новых ответов нет.")
    if summary.large:
        click.echo(
            f"Письма больше {max_message_mb} МБ (MAILER_MAX_MESSAGE_MB) прочитаны "
            "по началу, их вложения не сохранены и остались в почтовом ящике:"
        )
        for where in summary.large:
            click.echo(f"  {terminal_text(where)}")
    if summary.already_recorded:
        click.echo(f"Уже учтены раньше: {summary.already_recorded}.")
    notices = [r for r in summary.new if r.kind == ReplyKind.NOTICE]
    if notices:
        click.echo(f"Уведомления о доставке (состояние не меняют): {len(notices)}")
        for record in notices:
            click.echo(f"  {_whose(record, recipients)}: {terminal_text(record.detail)}")
    if summary.review:
        click.echo(f"{KIND_TITLES[ReplyKind.REVIEW]}: {len(summary.review)}")
        for record in summary.review:
            click.echo(f"  № {record.id}: {from_mail(record)}: {terminal_text(record.detail)}")


def _whose(record: ReplyRecord, recipients: dict[int, Delivery]) -> str:
    return recipients[record.delivery_id].recipient_id if record.delivery_id else "?"


def _found(record: ReplyRecord, recipients: dict[int, Delivery]) -> str:
    """One new message: whose, from whom, how it was matched, and what it says."""
    from mailer.outcome import undelivered
    from mailer.report.words import MATCHED_BY

    how = MATCHED_BY.get(record.matched_by or "", record.matched_by or "")
    shown = record.detail and record.kind != ReplyKind.REPLY
    extra = f" — {terminal_text(record.detail)}" if shown else ""
    partial = (
        record.kind == ReplyKind.BOUNCE
        and record.delivery_id
        and record.failed_addresses
        and not undelivered(recipients[record.delivery_id], [record])
    )
    if partial:  # one address refused, another took the letter: it is not lost
        extra += " (остальные адреса получателя письмо приняли)"
    files = f", вложений: {len(record.attachments)}" if record.attachments else ""
    return f"  {_whose(record, recipients)}: {from_mail(record)} ({how}{files}){extra}"


def from_mail(record: ReplyRecord) -> str:
    """Sender and subject as a message gave them: anything in them may be hostile."""
    return f"{terminal_text(record.sender)} «{terminal_text(record.subject)}»"
