"""`mailer track` and `mailer mark`: recording, per recipient, whether and how they answered."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mailer.errors import ConfigError, InputError
from mailer.journal import Delivery, Journal, ReplyRecord
from mailer.letter import Letter, load_letter
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


def _sent_letter(settings: Settings, letter_name: str, journal: Journal) -> Letter:
    letter = load_letter(letter_name, settings.letters_dir)
    if not journal.deliveries(letter.key):
        raise InputError(
            f"Письмо «{letter.key}» ещё не отправлялось: в журнале {settings.db} его нет.",
            hint="Сначала отправьте его командой send (или проверьте MAILER_DB).",
        )
    return letter


def run_track(settings: Settings, letter_name: str, source: Path | None) -> TrackSummary:
    with Journal(settings.db) as journal:
        letter = _sent_letter(settings, letter_name, journal)
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
        if match.kind == "bounce":
            detail = "; ".join(
                f"{b.address}: {b.status} {b.diagnostic}".strip() for b in incoming.bounced
            )
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


def mark_replied(settings: Settings, letter_name: str, recipient_id: str, note: str) -> ReplyRecord:
    """An answer that came another way: document management system, paper, phone."""
    with Journal(settings.db) as journal:
        letter = _sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        record = ReplyRecord(
            letter=letter.key,
            delivery_id=delivery.id,
            message_id=f"<manual.{secrets.token_hex(8)}@mailer.invalid>",
            kind="manual",
            matched_by="manual",
            sender=None,
            subject=None,
            received_at=datetime.now(UTC).isoformat(timespec="seconds"),
            detail=note or "отмечено вручную",
        )
        journal.record_reply(record)
    return record


def unmark_replied(settings: Settings, letter_name: str, recipient_id: str) -> int:
    with Journal(settings.db) as journal:
        letter = _sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        return journal.revoke_manual(letter.key, delivery.id)


def review_for(records: list[ReplyRecord], emails: tuple[str, ...]) -> list[ReplyRecord]:
    """Messages on the review list that may be this recipient's answer: from one of their
    addresses, or from their domain."""
    addresses = {e.lower() for e in emails}
    domains = {e.rpartition("@")[2] for e in addresses}
    return [
        r
        for r in records
        if r.kind == "review"
        and r.sender
        and (r.sender in addresses or r.sender.rpartition("@")[2] in domains)
    ]


def dismiss_review(settings: Settings, letter_name: str, recipient_id: str) -> int:
    """The messages on review for a recipient are not their answer: reminders may go."""
    with Journal(settings.db) as journal:
        letter = _sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        pending = review_for(journal.replies(letter.key), delivery.emails)
        return journal.dismiss_review(
            letter.key, [r.id for r in pending if r.id is not None], delivery.id
        )
