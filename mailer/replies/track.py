"""`mailer track` and `mailer mark`: recording, per recipient, whether and how they answered."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mailer.errors import ConfigError, InputError
from mailer.journal import Delivery, Journal, ReplyRecord
from mailer.letter import Letter
from mailer.outcome import review_for
from mailer.record import letter_argument, open_for_reading, sent_letter
from mailer.replies.attachments import safe_name, save_attachments
from mailer.replies.classify import parse_incoming
from mailer.replies.match import Matcher, body_search_term
from mailer.replies.sources import ImapSource, ScanStats, iter_files
from mailer.settings import Settings

REVIEW_FOLDER = "_на_проверку"


@dataclass
class TrackSummary:
    letter: Letter
    source: str
    stats: ScanStats
    new: list[ReplyRecord] = field(default_factory=list)
    already_recorded: int = 0
    review: list[ReplyRecord] = field(default_factory=list)
    recipients: dict[int, Delivery] = field(default_factory=dict)


log = logging.getLogger("mailer.track")


def run_track(settings: Settings, letter_name: str, source: Path | None) -> TrackSummary:
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        stats = ScanStats()
        matcher = Matcher(journal)
        imap_source: ImapSource | None = None
        messages: Iterator[bytes]
        if source is not None:
            messages = iter_files(source, stats)
            label = str(source)
        elif settings.imap_configured:
            term = body_search_term(letter.settings.registration.number)
            imap_source = ImapSource(settings, journal, letter.key, stats, term)
            messages = imap_source.messages(matcher.is_candidate)
            label = imap_source.label
        else:
            raise ConfigError(
                "Почтовый ящик не настроен: не задан MAILER_IMAP_HOST.",
                hint="Настройте IMAP в .env (см. .env.example) или укажите выгрузку почты: "
                "--source ПАПКА_ИЛИ_ФАЙЛ.",
            )
        summary = TrackSummary(letter, label, stats)
        for data in messages:
            _record(settings, journal, matcher, letter, data, label, summary)
        if imap_source is not None:
            imap_source.commit()
        summary.review = [r for r in journal.replies(letter.key) if r.kind == "review"]
        summary.recipients = {d.id: d for d in journal.deliveries(letter.key).values()}
    return summary


def _record(
    settings: Settings,
    journal: Journal,
    matcher: Matcher,
    letter: Letter,
    data: bytes,
    source: str,
    summary: TrackSummary,
) -> None:
    incoming = parse_incoming(data)
    for match in matcher.match(incoming):
        # the --verbose transcript: what each message was taken for, and why (its text is
        # someone else's: written with repr, never as terminal control sequences)
        log.info(
            "%s от %r %r: %s (получатель %s; %s)",
            incoming.message_id,
            incoming.sender,
            incoming.subject,
            match.kind,
            match.delivery.recipient_id if match.delivery else "не определён",
            match.matched_by or match.detail or "",
        )
        if match.kind == "unrelated" or match.letter != letter.key:
            continue
        if journal.has_reply(letter.key, incoming.message_id):
            summary.already_recorded += 1
            continue
        saved: list[Path] = []
        if match.kind in ("reply", "review") and incoming.message is not None:
            sub = safe_name(match.delivery.recipient_id) if match.delivery else REVIEW_FOLDER
            saved = save_attachments(incoming.message, settings.replies_dir / letter.key / sub)
        detail = match.detail
        record = ReplyRecord(
            letter=letter.key,
            delivery_id=match.delivery.id if match.delivery else None,
            message_id=incoming.message_id,
            kind=match.kind,
            matched_by=match.matched_by,
            sender=incoming.sender,
            subject=incoming.subject,
            received_at=incoming.received_at,
            detail=detail or None,
            attachments=tuple(str(p) for p in saved),
            source=source,
            failed_addresses=match.failed_addresses,
        )
        if journal.record_reply(record):
            summary.new.append(record)


def _delivery(journal: Journal, letter: Letter, recipient_id: str) -> Delivery:
    delivery = journal.deliveries(letter.key).get(recipient_id)
    if delivery is None:
        raise InputError(
            f"Получателя «{recipient_id}» нет среди адресатов письма «{letter.key}» в журнале."
        )
    return delivery


def _answer_date(value: dt.date | None, letter: Letter) -> str | None:
    if value is None:
        return None
    if value < letter.settings.registration.date or value > dt.date.today():
        raise InputError(
            f"Дата ответа {value.isoformat()} не может быть раньше даты письма "
            f"({letter.settings.registration.date.isoformat()}) или позже сегодняшней."
        )
    return value.isoformat()


def mark_replied(
    settings: Settings,
    letter_name: str,
    recipient_id: str,
    note: str,
    incoming: str | None = None,
    date: dt.date | None = None,
) -> ReplyRecord:
    """An answer that came another way: document management system, paper, phone. It keeps
    the answer's incoming number and its own date; the mark's time is kept beside them."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        record = ReplyRecord(
            letter=letter.key,
            delivery_id=delivery.id,
            message_id=f"<manual.{secrets.token_hex(8)}@mailer.invalid>",
            kind="manual",
            matched_by="manual",
            sender=None,
            subject=None,
            received_at=_answer_date(date, letter),
            detail=note or "отмечено вручную",
            incoming_number=incoming or None,
        )
        journal.record_reply(record)
    return record


def unmark_replied(settings: Settings, letter_name: str, recipient_id: str) -> int:
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        return journal.revoke_manual(letter.key, delivery.id)


def mark_delivered(settings: Settings, letter_name: str, recipient_id: str, note: str) -> int:
    """A bounce recorded wrongly: the recipient confirms they have the letter."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        return journal.revoke_bounces(letter.key, delivery.id, note or "письмо доставлено")


def _review_item(
    settings: Settings, journal: Journal, letter: Letter, record_id: int
) -> ReplyRecord:
    for record in journal.replies(letter.key):
        if record.id == record_id and record.kind == "review":
            return record
    raise InputError(
        f"Письма на проверке № {record_id} у письма «{letter.key}» нет (или оно уже решено).",
        hint="Список на проверке показывает команда: mailer track "
        + letter_argument(letter, settings.letters_dir),
    )


def accept_review(
    settings: Settings, letter_name: str, record_id: int, recipient_id: str, note: str
) -> ReplyRecord:
    """A message on the review list is this recipient's answer."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        item = _review_item(settings, journal, letter, record_id)
        said = f"письмо на проверке № {record_id} от {item.sender} принято как ответ"
        journal.accept_review(letter.key, record_id, delivery.id, f"{said}. {note}".strip(". "))
        return item


def dismiss_review_item(settings: Settings, letter_name: str, record_id: int) -> ReplyRecord:
    """A message on the review list is no one's answer (a stranger's, say)."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        item = _review_item(settings, journal, letter, record_id)
        journal.dismiss_review(letter.key, [record_id], None)
        return item


def dismiss_review(settings: Settings, letter_name: str, recipient_id: str) -> int:
    """The messages on review for a recipient are not their answer: reminders may go."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        pending = review_for(journal.replies(letter.key), delivery.emails)
        return journal.dismiss_review(
            letter.key, [r.id for r in pending if r.id is not None], delivery.id
        )
