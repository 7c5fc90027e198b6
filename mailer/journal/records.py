"""What the journal hands back: plain, frozen records of its rows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from mailer.states import DeliveryState, EventKind, ReplyKind, event_kind


def timestamp() -> str:
    """A moment as the journal writes it: UTC, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    letter: str
    recipient_id: str
    emails: tuple[str, ...]
    message_id: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    sent_at: str | None
    updated_at: str
    version: int | None = None  # of the letter, when it was sent
    recipient: str | None = None  # the recipient as addressed, JSON (see mailer.record)
    smtp_response: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    recipient_id: str
    state: EventKind
    detail: str | None
    operator: str | None  # None for changes made before operators were recorded


@dataclass(frozen=True)
class ReplyRecord:
    letter: str
    delivery_id: int | None
    message_id: str
    kind: ReplyKind
    matched_by: str | None
    sender: str | None
    subject: str | None
    received_at: str | None
    detail: str | None = None
    attachments: tuple[str, ...] = ()
    source: str | None = None
    id: int | None = None
    recorded_at: str | None = None
    failed_addresses: tuple[str, ...] = ()  # a bounce: the addresses that refused for good
    incoming_number: str | None = None  # an answer marked by hand: its registration number


@dataclass(frozen=True)
class Reminder:
    id: int
    delivery_id: int
    sequence: int
    message_id: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None


_Record = TypeVar("_Record", Delivery, ReplyRecord, Reminder)


def _record(made: type[_Record], row: Any, /, **read: Any) -> _Record:
    """A record of a row (of the engine, read as sqlite3.Row): its fields by the columns'
    names, those given in ``read`` as read from their columns."""
    plain = {f.name: row[f.name] for f in fields(made) if f.name not in read}
    return made(**plain, **read)


def delivery_of(row: Any) -> Delivery:
    emails = tuple(row["emails"].split(","))
    return _record(Delivery, row, emails=emails, state=DeliveryState(row["state"]))


def reply_of(row: Any) -> ReplyRecord:
    return _record(
        ReplyRecord,
        row,
        kind=ReplyKind(row["kind"]),
        attachments=tuple(a for a in (row["attachments"] or "").split("\n") if a),
        failed_addresses=tuple(a for a in (row["failed_addresses"] or "").split(",") if a),
    )


def reminder_of(row: Any) -> Reminder:
    return _record(Reminder, row, state=DeliveryState(row["state"]))


def history_entry_of(row: Any) -> HistoryEntry:
    at, recipient_id, state, detail, operator = row
    return HistoryEntry(at, recipient_id, event_kind(state), detail, operator)
