"""One message's state changes, as the send loop writes them through the journal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailer.journal.records import timestamp
from mailer.states import DeliveryState

if TYPE_CHECKING:
    from mailer.journal.store import Journal


@dataclass(frozen=True)
class Ledger:
    """One message's state changes: sending, then sent, failed, deferred or uncertain.

    When each is committed, and which must survive a power cut, is the send loop's rule
    (mailer.outbox.JournalWrites): a change here only says what is written."""

    journal: Journal
    table: str
    row_id: int
    delivery_id: int
    prefix: str

    def sending(self) -> None:
        self._change(DeliveryState.SENDING, self.prefix or None, count_attempt=True)

    def sent(self, response: str) -> None:
        self._change(
            DeliveryState.SENT,
            self.prefix + response,
            smtp_response=response,
            sent_at=timestamp(),
            last_error=None,
        )

    def failed(self, error: str) -> None:
        self._outcome(DeliveryState.FAILED, error)

    def deferred(self, error: str) -> None:
        """A temporary failure: not accepted, still owed."""
        self._outcome(DeliveryState.PENDING, error)

    def uncertain(self, error: str) -> None:
        self._outcome(DeliveryState.UNCERTAIN, error)

    def _outcome(self, state: DeliveryState, error: str) -> None:
        self._change(state, self.prefix + error, last_error=error)

    def _change(
        self,
        state: DeliveryState,
        detail: str | None,
        *,
        count_attempt: bool = False,
        **columns: object,
    ) -> None:
        self.journal.set_state(
            self.table,
            self.row_id,
            self.delivery_id,
            state,
            detail,
            count_attempt=count_attempt,
            **columns,
        )
