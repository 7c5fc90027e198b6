"""What the journal hands back: plain, frozen records of its rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


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
    state: str
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
    state: str
    detail: str | None
    operator: str | None  # None for changes made before operators were recorded


@dataclass(frozen=True)
class ReplyRecord:
    letter: str
    delivery_id: int | None
    message_id: str
    kind: str
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
    state: str
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None


def delivery_of(row: Any) -> Delivery:  # a row of the engine, read as sqlite3.Row
    return Delivery(
        id=row["id"],
        letter=row["letter"],
        recipient_id=row["recipient_id"],
        emails=tuple(row["emails"].split(",")),
        message_id=row["message_id"],
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        recipient=row["recipient"],
        smtp_response=row["smtp_response"],
    )
