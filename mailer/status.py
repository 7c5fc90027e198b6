"""Per recipient, where a letter stands: sent or not, answered or not and how, reminders,
days left or overdue against the deadline; and the totals a head of department reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from mailer.errors import InputError
from mailer.journal import ReplyRecord, open_journal
from mailer.letter import Letter, load_letter
from mailer.settings import Settings

ANSWERS = ("reply", "manual")


@dataclass(frozen=True)
class StatusRow:
    id: str
    email: str
    organization: str
    state: str
    sent_at: str | None
    replied_at: str | None
    matched_by: str | None
    reminders: int
    last_reminder_at: str | None
    read_at: str | None
    deadline: str | None
    days_left: int | None  # against the deadline, while unanswered; negative when overdue
    overdue: bool
    note: str | None
    operator: str | None = None  # who made the last change recorded for this recipient

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class LetterStatus:
    letter: Letter
    rows: list[StatusRow]
    today: dt.date

    def totals(self) -> dict[str, int]:
        rows = self.rows
        return {
            "recipients": len(rows),
            "sent": sum(1 for r in rows if r.sent_at),
            "replied": sum(1 for r in rows if r.state == "replied"),
            "not_replied": sum(1 for r in rows if r.sent_at and r.state == "sent"),
            "overdue": sum(1 for r in rows if r.overdue),
            "bounced": sum(1 for r in rows if r.state == "bounced"),
            "not_sent": sum(1 for r in rows if r.state in ("pending", "failed", "uncertain")),
            "reminders": sum(r.reminders for r in rows),
        }


def _derive(state: str, records: list[ReplyRecord]) -> tuple[str, ReplyRecord | None, str | None]:
    answers = [r for r in records if r.kind in ANSWERS]
    if answers:
        first = min(answers, key=lambda r: r.received_at or r.recorded_at or "")
        return "replied", first, first.detail if first.kind == "manual" else None
    bounces = [r for r in records if r.kind == "bounce"]
    if bounces:
        return "bounced", None, bounces[-1].detail
    return state, None, None


def letter_status(
    settings: Settings, letter_name: str, today: dt.date | None = None
) -> LetterStatus:
    letter = load_letter(letter_name, settings.letters_dir)
    today = today or dt.date.today()
    with open_journal(settings) as journal:
        deliveries = journal.deliveries(letter.key)
        if not deliveries:
            raise InputError(f"Письмо «{letter.key}» ещё не отправлялось: в журнале его нет.")
        by_delivery: dict[int, list[ReplyRecord]] = {}
        for record in journal.replies(letter.key):
            if record.delivery_id is not None:
                by_delivery.setdefault(record.delivery_id, []).append(record)
        reminders = journal.reminders(letter.key)
        operators = journal.last_operators(letter.key)
    organizations = _organizations(settings, letter)
    rows = []
    for delivery in deliveries.values():
        records = by_delivery.get(delivery.id, [])
        state, answer, note = _derive(delivery.state, records)
        receipts = [r.received_at for r in records if r.kind == "read_receipt" and r.received_at]
        sent_reminders = [r for r in reminders.get(delivery.id, []) if r.state == "sent"]
        days_left = None
        if letter.deadline and state == "sent":
            days_left = (letter.deadline - today).days
        rows.append(
            StatusRow(
                id=delivery.recipient_id,
                email=", ".join(delivery.emails),
                organization=organizations.get(delivery.recipient_id, ""),
                state=state,
                sent_at=delivery.sent_at,
                replied_at=(answer.received_at or answer.recorded_at) if answer else None,
                matched_by=answer.matched_by if answer else None,
                reminders=len(sent_reminders),
                last_reminder_at=sent_reminders[-1].sent_at if sent_reminders else None,
                read_at=min(receipts) if receipts else None,
                deadline=letter.deadline.isoformat() if letter.deadline else None,
                days_left=days_left,
                overdue=days_left is not None and days_left < 0,
                note=note or (delivery.last_error if state in ("failed", "uncertain") else None),
                operator=operators.get(delivery.id),
            )
        )
    return LetterStatus(letter, rows, today)


def _organizations(settings: Settings, letter: Letter) -> dict[str, str]:
    """Names from the recipient list, when it can still be read; the journal keeps ids."""
    from mailer.campaign import recipients_path
    from mailer.recipients import load_recipients

    try:
        listed = load_recipients(recipients_path(letter, None))
    except InputError:
        return {}
    return {r.id: r.organization or r.full_name for r in listed}


def letters_in_journal(settings: Settings) -> list[tuple[str, str, str, str, int, int]]:
    """Every letter in the journal: key, subject, number, date, recipients, sent."""
    with open_journal(settings) as journal:
        return journal.letters_overview()
