"""`mailer track`: reading the mailbox and recording, per recipient, whether and how they
answered. The hand marks beside it (`mailer mark`) are mailer.replies.marks', imported from here
too."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mailer.errors import ConfigError
from mailer.guard import file_name
from mailer.journal import Delivery, Journal, ReplyRecord
from mailer.letter import Letter
from mailer.record import open_for_reading, sent_letter
from mailer.replies import authres
from mailer.replies.attachments import discard, place, remove_partials, stage
from mailer.replies.classify import Incoming, Unreadable, read_incoming
from mailer.replies.marks import (
    accept_review,
    dismiss_review,
    dismiss_review_item,
    mark_delivered,
    mark_replied,
    unmark_replied,
)
from mailer.replies.match import Decision, Match, Matcher, Unrelated, body_search_term
from mailer.replies.sources import (
    ImapSource,
    MailboxPosition,
    RawMessage,
    ScanStats,
    decoded,
    header_fields,
    iter_files,
    sender_address,
)
from mailer.settings import Settings
from mailer.states import MatchedBy, ReplyKind

# track itself, and the hand marks re-exported for the modules that import them from here
__all__ = [
    "TrackSummary",
    "accept_review",
    "dismiss_review",
    "dismiss_review_item",
    "mark_delivered",
    "mark_replied",
    "run_track",
    "unmark_replied",
]

REVIEW_FOLDER = "_на_проверку"
# what kinds of message keep their attachments (a person reads them)
KEEPS_ATTACHMENTS = frozenset({ReplyKind.REPLY, ReplyKind.REVIEW})


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
        journal.lock_replies()
        letter = sent_letter(settings, letter_name, journal)
        stats = ScanStats()
        matcher = Matcher(
            journal.known_message_ids(), journal.every_letter_number(), journal.all_deliveries()
        )
        mailbox: ImapSource | None = None
        messages: Iterator[RawMessage]
        if source is not None:
            messages = iter_files(source, stats, settings.max_message_bytes)
            label = str(source)
        elif settings.imap_configured:
            term = body_search_term(letter.settings.registration.number)
            mailbox = ImapSource(settings, letter.key, stats, term)
            # read from where the last track stopped (the scan itself starts in the loop below)
            messages = mailbox.messages(matcher.is_candidate, _position(journal, mailbox.key))
            label = mailbox.label
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
        if mailbox is not None:
            _save_position(journal, mailbox.key, mailbox.reached())
        summary.review = [r for r in journal.replies(letter.key) if r.kind == ReplyKind.REVIEW]
        summary.recipients = {d.id: d for d in journal.deliveries(letter.key).values()}
    return summary


def _position(journal: Journal, key: str) -> MailboxPosition | None:
    """Where the last track of this letter stopped reading the mailbox."""
    known = journal.mailbox_position(key)
    return MailboxPosition(*known) if known else None


def _save_position(journal: Journal, key: str, reached: MailboxPosition | None) -> None:
    """Remember how far the scan read; called once everything read has been recorded. Read
    again first: another track (several operators on a server) may have gone further, and the
    position never moves back."""
    if reached is None:
        return
    known = _position(journal, key)
    if known and known.covers(reached):
        return
    journal.set_mailbox_position(key, reached.uidvalidity, reached.last_uid)


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
        decisions = matcher.match(incoming)
        message = incoming.message
        forged = authres.failures(message, settings.authserv_id) if message else []
    except Unreadable as exc:
        _record_unreadable(journal, letter, raw, str(exc), source, summary)
        return
    except Exception as exc:  # a header the email package chokes on only when it is read
        reason = f"письмо не удалось разобрать ({type(exc).__name__})"
        _record_unreadable(journal, letter, raw, reason, source, summary)
        return
    for decision in decisions:
        _log_decision(incoming, decision)
        if isinstance(decision, Unrelated) or decision.letter != letter.key:
            continue
        if journal.has_reply(letter.key, incoming.message_id):
            summary.already_recorded += 1
            continue
        match = _with_doubts(decision, _doubts(forged, raw))
        saved: list[Path] = []
        detail = match.detail
        if match.kind in KEEPS_ATTACHMENTS and incoming.message is not None:
            if not raw.whole:
                detail = "; ".join(filter(None, [detail, _too_large(settings, raw)]))
                summary.large.append(raw.where)
            elif not raw.cut:
                delivery = match.delivery
                sub = file_name(delivery.recipient_id) if delivery else REVIEW_FOLDER
                try:
                    staged = stage(incoming.message, settings.replies_dir / letter.key / sub)
                except Unreadable as exc:
                    _record_unreadable(journal, letter, raw, str(exc), source, summary)
                    return
                saved = place(staged, referenced)
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
            referenced.update(record.attachments)
        else:
            discard(p for p in saved if str(p) not in referenced)


def _log_decision(incoming: Incoming, decision: Decision) -> None:
    """The --verbose transcript: what each message was taken for, and why (its text is
    someone else's: written with repr, never as terminal control sequences)."""
    if isinstance(decision, Unrelated):
        taken, recipient, why = "unrelated", None, decision.detail
    else:
        taken, why = decision.kind, decision.matched_by or decision.detail
        recipient = decision.delivery.recipient_id if decision.delivery else None
    log.info(
        "%s от %r %r: %s (получатель %s; %s)",
        incoming.message_id,
        incoming.sender,
        incoming.subject,
        taken,
        recipient or "не определён",
        why or "",
    )


def _with_doubts(match: Match, doubts: list[str]) -> Match:
    """A message whose sender is not proven, or that an mbox cut apart, is never counted as
    an answer on its own: it goes to review, with the reasons."""
    if not doubts:
        return match
    if match.kind != ReplyKind.REVIEW:
        return Match(ReplyKind.REVIEW, match.letter, None, None, "; ".join(doubts))
    return dataclasses.replace(match, detail="; ".join(filter(None, [match.detail, *doubts])))


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
        kind=ReplyKind.REVIEW,
        matched_by=MatchedBy.UNREADABLE,
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
