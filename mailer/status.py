"""Per recipient, where a letter stands: sent or not, answered or not and how, reminders,
days left or overdue against the deadline; and the totals a head of department reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from enum import StrEnum

from mailer.errors import InputError
from mailer.journal import Delivery, ReplyRecord
from mailer.letter import Letter
from mailer.outcome import failed_addresses, review_for, undelivered
from mailer.recipients import RecipientList
from mailer.record import open_for_reading, recorded_recipients, sent_letter
from mailer.settings import Settings
from mailer.states import ANSWERS, AWAITING, NOT_SENT, DeliveryState, ReplyKind, Standing


@dataclass(frozen=True)
class StatusRow:
    id: str
    email: str
    organization: str
    state: Standing
    sent_at: str | None
    replied_at: str | None  # the answer's own date: the message's, or the one marked by hand
    matched_by: str | None
    reminders: int
    last_reminder_at: str | None
    read_at: str | None
    deadline: str | None
    days_left: int | None  # against the deadline, while unanswered; negative when overdue
    overdue: bool
    note: str | None
    incoming_number: str | None = None  # the answer's incoming registration number
    failed_addresses: str | None = None  # the addresses that refused, with the server's words
    evidence: str | None = None  # what the state rests on: a message, a mark, a server's answer
    version: int | None = None  # of the letter this recipient was sent
    review: str | None = None  # the review items that may be this recipient's answer
    operator: str | None = None  # who made the last change recorded for this recipient

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Total(StrEnum):
    """The totals a head of department reads, each a count of recipients (or reminders)."""

    RECIPIENTS = "recipients"
    SENT = DeliveryState.SENT.value  # accepted by the server (whatever came after)
    REPLIED = Standing.REPLIED.value
    NOT_REPLIED = "not_replied"  # sent, no answer yet
    REVIEW = Standing.REVIEW.value
    OVERDUE = "overdue"
    BOUNCED = Standing.BOUNCED.value
    NOT_SENT = "not_sent"
    REMINDERS = "reminders"


@dataclass(frozen=True)
class LetterStatus:
    letter: Letter
    rows: list[StatusRow]
    today: dt.date

    def totals(self) -> dict[str, int]:
        """Keyed by Total, in its order (a Total is its string)."""
        rows = self.rows
        return {
            Total.RECIPIENTS: len(rows),
            Total.SENT: sum(1 for r in rows if r.sent_at),
            Total.REPLIED: sum(1 for r in rows if r.state == Standing.REPLIED),
            Total.NOT_REPLIED: sum(1 for r in rows if r.sent_at and r.state in AWAITING),
            Total.REVIEW: sum(1 for r in rows if r.state == Standing.REVIEW),
            Total.OVERDUE: sum(1 for r in rows if r.overdue),
            Total.BOUNCED: sum(1 for r in rows if r.state == Standing.BOUNCED),
            Total.NOT_SENT: sum(1 for r in rows if r.state in NOT_SENT),
            Total.REMINDERS: sum(r.reminders for r in rows),
        }


# the standings whose note is the server's words (or why its answer was lost)
_REFUSED_OR_LOST = frozenset({Standing.FAILED, Standing.UNCERTAIN})


def answer_evidence(record: ReplyRecord) -> str:
    """What an answer rests on, in words."""
    if record.kind == ReplyKind.MANUAL:
        number = f"вх. № {record.incoming_number}" if record.incoming_number else "без номера"
        return f"отметка вручную ({number}, внесена {_day(record.recorded_at)}): {record.detail}"
    return (
        f"письмо от {record.sender} «{record.subject}», {record.received_at or 'без даты'}, "
        f"Message-ID {record.message_id}"
    )


def _answered_on(answer: ReplyRecord | None) -> str | None:
    """The answer's own date; a hand mark without one has none (the day it was typed is not
    the answer's date, and the evidence keeps it)."""
    if answer is None:
        return None
    if answer.kind == ReplyKind.MANUAL:
        return answer.received_at
    return answer.received_at or answer.recorded_at


def _day(stamp: str | None) -> str:
    return stamp[:10] if stamp else "?"


def _derive(
    delivery: Delivery, records: list[ReplyRecord], review: list[ReplyRecord]
) -> tuple[Standing, ReplyRecord | None, str | None, str | None]:
    """The standing, the answer it rests on, a note and the evidence."""
    answers = [r for r in records if r.kind in ANSWERS]
    if answers:
        first = min(answers, key=lambda r: r.received_at or r.recorded_at or "")
        note = first.detail if first.kind == ReplyKind.MANUAL else None
        return Standing.REPLIED, first, note, answer_evidence(first)
    bounces = [r for r in records if r.kind == ReplyKind.BOUNCE]
    words = "; ".join(r.detail or "" for r in bounces) or None
    if bounces and undelivered(delivery, records):
        return Standing.BOUNCED, None, words, f"отчёт о недоставке: {words}"
    # one address of several refused: delivered to the others, and said
    refused = f"адрес не принял письмо: {words}" if words else None
    if delivery.state == DeliveryState.SENT and review:
        items = ", ".join(f"№ {r.id} от {r.sender}" for r in review)
        return Standing.REVIEW, None, refused, f"на проверке: {items}"
    if delivery.state == DeliveryState.SENT:
        evidence = f"сервер принял: {delivery.smtp_response or ''}".strip()
        return Standing.SENT, None, refused, evidence
    # not sent, or not known to be: the standing is the delivery's state
    return Standing(delivery.state), None, words, delivery.last_error


def letter_status(
    settings: Settings, letter_name: str, today: dt.date | None = None
) -> LetterStatus:
    today = today or dt.date.today()
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        deliveries = journal.deliveries(letter.key)
        by_delivery: dict[int, list[ReplyRecord]] = {}
        all_records = journal.replies(letter.key)
        for record in all_records:
            if record.delivery_id is not None:
                by_delivery.setdefault(record.delivery_id, []).append(record)
        on_review = [r for r in all_records if r.kind == ReplyKind.REVIEW]
        reminders = journal.reminders(letter.key)
        recipients = {r.id: r for r in recorded_recipients(journal, letter, _listed(letter))}
        operators = journal.last_operators(letter.key)
    rows = []
    for delivery in deliveries.values():
        records = by_delivery.get(delivery.id, [])
        review = review_for(on_review, delivery.emails)
        state, answer, note, evidence = _derive(delivery, records, review)
        receipts = [
            r.received_at for r in records if r.kind == ReplyKind.READ_RECEIPT and r.received_at
        ]
        sent_reminders = [
            r for r in reminders.get(delivery.id, []) if r.state == DeliveryState.SENT
        ]
        failed = failed_addresses(records) or set()
        words = [r.detail for r in records if r.kind == ReplyKind.BOUNCE and r.detail]
        days_left = None
        if letter.deadline and state in AWAITING:
            days_left = (letter.deadline - today).days
        recipient = recipients.get(delivery.recipient_id)
        rows.append(
            StatusRow(
                id=delivery.recipient_id,
                email=", ".join(delivery.emails),
                organization=(recipient.organization or recipient.full_name) if recipient else "",
                state=state,
                sent_at=delivery.sent_at,
                replied_at=_answered_on(answer),
                matched_by=answer.matched_by if answer else None,
                reminders=len(sent_reminders),
                last_reminder_at=sent_reminders[-1].sent_at if sent_reminders else None,
                read_at=min(receipts) if receipts else None,
                deadline=letter.deadline.isoformat() if letter.deadline else None,
                days_left=days_left,
                overdue=days_left is not None and days_left < 0,
                note=note or (delivery.last_error if state in _REFUSED_OR_LOST else None),
                incoming_number=answer.incoming_number if answer else None,
                # each report names its address with the server's words
                failed_addresses=("; ".join(words) or ", ".join(sorted(failed)))
                if failed
                else None,
                evidence=evidence,
                version=delivery.version,
                review=", ".join(str(r.id) for r in review) or None,
                operator=operators.get(delivery.id),
            )
        )
    return LetterStatus(letter, rows, today)


def _listed(letter: Letter) -> RecipientList | None:
    """The default list, only to fill in rows recorded before the journal kept recipients."""
    from mailer.campaign import recipients_path
    from mailer.recipients import load_recipients

    try:
        return load_recipients(recipients_path(letter, None))
    except InputError:
        return None


def letters_in_journal(settings: Settings) -> list[tuple[str, str, str, str, int, int]]:
    """Every letter in the journal: key, subject, number, date, recipients, sent."""
    with open_for_reading(settings) as journal:
        return journal.letters_overview()
