"""Per recipient, where a letter stands: sent or not, answered or not, and how."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from mailer.errors import InputError
from mailer.journal import Journal, ReplyRecord
from mailer.letter import load_letter
from mailer.settings import Settings

ANSWERS = ("reply", "manual")


@dataclass(frozen=True)
class StatusRow:
    id: str
    email: str
    state: str
    sent_at: str | None
    replied_at: str | None
    matched_by: str | None
    reminders: int
    read_at: str | None
    note: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class LetterStatus:
    letter: str
    subject: str
    rows: list[StatusRow]

    def totals(self) -> dict[str, int]:
        counts: dict[str, int] = {"всего": len(self.rows)}
        for row in self.rows:
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts


def _derive(state: str, records: list[ReplyRecord]) -> tuple[str, ReplyRecord | None, str | None]:
    answers = [r for r in records if r.kind in ANSWERS]
    if answers:
        first = min(answers, key=lambda r: r.received_at or r.recorded_at or "")
        return "replied", first, first.detail if first.kind == "manual" else None
    bounces = [r for r in records if r.kind == "bounce"]
    if bounces:
        return "bounced", None, bounces[-1].detail
    return state, None, None


def letter_status(settings: Settings, letter_name: str) -> LetterStatus:
    letter = load_letter(letter_name, settings.letters_dir)
    with Journal(settings.db) as journal:
        deliveries = journal.deliveries(letter.key)
        if not deliveries:
            raise InputError(f"Письмо «{letter.key}» ещё не отправлялось: в журнале его нет.")
        by_delivery: dict[int, list[ReplyRecord]] = {}
        for record in journal.replies(letter.key):
            if record.delivery_id is not None:
                by_delivery.setdefault(record.delivery_id, []).append(record)
    rows = []
    for delivery in deliveries.values():
        records = by_delivery.get(delivery.id, [])
        state, answer, note = _derive(delivery.state, records)
        receipts = [r.received_at for r in records if r.kind == "read_receipt" and r.received_at]
        rows.append(
            StatusRow(
                id=delivery.recipient_id,
                email=", ".join(delivery.emails),
                state=state,
                sent_at=delivery.sent_at,
                replied_at=(answer.received_at or answer.recorded_at) if answer else None,
                matched_by=answer.matched_by if answer else None,
                reminders=0,
                read_at=min(receipts) if receipts else None,
                note=note or (delivery.last_error if state in ("failed", "uncertain") else None),
            )
        )
    return LetterStatus(letter.key, letter.settings.subject, rows)
