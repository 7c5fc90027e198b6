"""`mailer track` and `mailer mark`: recording, per recipient, whether and how they answered."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mailer.errors import ConfigError, InputError
from mailer.journal import Delivery, Journal, ReplyRecord
from mailer.letter import Letter
from mailer.outcome import review_for
from mailer.record import letter_argument, open_for_reading, sent_letter
from mailer.replies import authres
from mailer.replies.attachments import discard, place, remove_partials, safe_name, stage
from mailer.replies.classify import Unreadable, read_incoming
from mailer.replies.match import Matcher, body_search_term
from mailer.replies.sources import (
    ImapSource,
    RawMessage,
    ScanStats,
    decoded,
    header_fields,
    iter_files,
    sender_address,
)
from mailer.settings import Settings

REVIEW_FOLDER = "_на_проверку"
UNREADABLE = "unreadable"  # matched_by of a message set aside because it cannot be read


@dataclass
class TrackSummary:
    letter: Letter
    source: str
    stats: ScanStats
    new: list[ReplyRecord] = field(default_factory=list)
    already_recorded: int = 0
    review: list[ReplyRecord] = field(default_factory=list)
    recipients: dict[int, Delivery] = field(default_factory=dict)
    large: list[str] = field(default_factory=list)  # where: over the size limit, files left


log = logging.getLogger("mailer.track")


def run_track(settings: Settings, letter_name: str, source: Path | None) -> TrackSummary:
    with open_for_reading(settings) as journal:
        # one writer of replies and their files at a time, as for send
        journal.lock()
        letter = sent_letter(settings, letter_name, journal)
        stats = ScanStats()
        matcher = Matcher(journal)
        imap_source: ImapSource | None = None
        messages: Iterator[RawMessage]
        if source is not None:
            messages = iter_files(source, stats, settings.max_message_bytes)
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
        remove_partials(settings.replies_dir / letter.key)
        referenced = {
            path
            for record in journal.replies(letter.key, include_revoked=True)
            for path in record.attachments
        }
        for raw in messages:
            _record(settings, journal, matcher, letter, raw, label, summary, referenced)
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
    raw: RawMessage,
    source: str,
    summary: TrackSummary,
    referenced: set[str],
) -> None:
    try:
        incoming = read_incoming(raw.data)
        matches = matcher.match(incoming)
        message = incoming.message
        forged = authres.failures(message, settings.authserv_id) if message else []
    except Unreadable as exc:
        _record_unreadable(journal, letter, raw, str(exc), source, summary)
        return
    except Exception as exc:  # a header the email package chokes on only when it is read
        reason = f"письмо не удалось разобрать ({type(exc).__name__})"
        _record_unreadable(journal, letter, raw, reason, source, summary)
        return
    for match in matches:
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
        kind, delivery, matched_by = match.kind, match.delivery, match.matched_by
        detail = match.detail
        failed_addresses = match.failed_addresses
        doubts = _doubts(forged, raw)
        if doubts and kind != "review":
            kind, delivery, matched_by, failed_addresses = "review", None, None, ()
            detail = "; ".join(doubts)
        elif doubts:
            detail = "; ".join([detail, *doubts]) if detail else "; ".join(doubts)
        saved: list[Path] = []
        if kind in ("reply", "review") and incoming.message is not None:
            if not raw.whole:
                detail = "; ".join(filter(None, [detail, _too_large(settings, raw)]))
                summary.large.append(raw.where)
            elif not raw.cut:
                sub = safe_name(delivery.recipient_id) if delivery else REVIEW_FOLDER
                try:
                    staged = stage(incoming.message, settings.replies_dir / letter.key / sub)
                except Unreadable as exc:
                    _record_unreadable(journal, letter, raw, str(exc), source, summary)
                    return
                saved = place(staged, referenced)
        record = ReplyRecord(
            letter=letter.key,
            delivery_id=delivery.id if delivery else None,
            message_id=incoming.message_id,
            kind=kind,
            matched_by=matched_by,
            sender=incoming.sender,
            subject=incoming.subject,
            received_at=incoming.received_at,
            detail=detail or None,
            attachments=tuple(str(p) for p in saved),
            source=source,
            failed_addresses=failed_addresses,
        )
        if journal.record_reply(record):
            summary.new.append(record)
            referenced.update(record.attachments)
        else:
            discard(p for p in saved if str(p) not in referenced)


def _doubts(forged: list[str], raw: RawMessage) -> list[str]:
    """Why a message that looks like an answer may not be counted as one."""
    doubts = []
    if forged:
        doubts.append(f"подлинность отправителя не подтверждена ({', '.join(forged)})")
    if raw.cut:
        doubts.append(
            "в выгрузке mbox письмо разрезано строкой «From …» в тексте: часть письма или "
            "его вложений может быть в соседнем; откройте его в почтовой программе"
        )
    return doubts


def _too_large(settings: Settings, raw: RawMessage) -> str:
    size = raw.size / 1024 / 1024
    return (
        f"письмо {size:.0f} МБ больше предела {settings.max_message_mb} МБ "
        "(MAILER_MAX_MESSAGE_MB): вложения не сохранены, они остались в почтовом ящике"
    )


def _record_unreadable(
    journal: Journal,
    letter: Letter,
    raw: RawMessage,
    reason: str,
    source: str,
    summary: TrackSummary,
) -> None:
    """Set aside once, with where it is, so that the user can open it in a mail client."""
    head = re.split(rb"\r?\n\r?\n", raw.data[: 64 * 1024], maxsplit=1)[0]
    fields = header_fields(head)
    digest = hashlib.sha256(raw.data).hexdigest()[:32]
    record = ReplyRecord(
        letter=letter.key,
        delivery_id=None,
        message_id=f"<unreadable.{digest}@mailer.invalid>",
        kind="review",
        matched_by=UNREADABLE,
        sender=sender_address(fields.get("from", "")).lower() or None,
        subject=decoded(fields.get("subject", "")) or None,
        received_at=None,
        detail=f"не удалось прочитать письмо ({raw.where}): {reason}",
        source=source,
    )
    if journal.record_reply(record):
        summary.new.append(record)
    else:
        summary.already_recorded += 1


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
