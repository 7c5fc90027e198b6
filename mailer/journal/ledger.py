"""One message's state changes, as the send loop writes them through the journal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailer.journal.records import timestamp

if TYPE_CHECKING:
    from mailer.journal.store import Journal


@dataclass(frozen=True)
class Ledger:
    """One message's state changes: sending, then sent, failed, deferred or uncertain.

    "sending" is committed before the message data goes to the server, the outcome right after
    the server's answer."""

    journal: Journal
    table: str
    row_id: int
    delivery_id: int
    prefix: str

    def sending(self) -> None:
        # durable: if this were lost to a power cut, the letter could be sent twice
        self.journal._set_state(
            self.table,
            self.row_id,
            self.delivery_id,
            "sending",
            self.prefix or None,
            count_attempt=True,
            durable=True,
        )

    def sent(self, response: str) -> None:
        self.journal._set_state(
            self.table,
            self.row_id,
            self.delivery_id,
            "sent",
            self.prefix + response,
            smtp_response=response,
            sent_at=timestamp(),
            last_error=None,
        )

    def failed(self, error: str) -> None:
        self._outcome("failed", error)

    def deferred(self, error: str) -> None:
        """A temporary failure: not accepted, still owed."""
        self._outcome("pending", error)

    def uncertain(self, error: str) -> None:
        self._outcome("uncertain", error)

    def _outcome(self, state: str, error: str) -> None:
        self.journal._set_state(
            self.table, self.row_id, self.delivery_id, state, self.prefix + error, last_error=error
        )
