"""The deliveries: per letter and recipient one row whose state moves
pending -> sending -> sent | failed | uncertain (and back to pending after a temporary error).

``sending`` is committed before the SMTP DATA command and the outcome right after the server's
answer, so a crash leaves only ``sending`` rows, which the next run turns into ``uncertain``.
Every state change is also written to the events table, with the operator who made it, for
the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from mailer.journal.base import JournalBase
from mailer.journal.records import (
    Delivery,
    HistoryEntry,
    delivery_of,
    history_entry_of,
    timestamp,
)
from mailer.states import OWED, DeliveryState, EventKind, event_kind


class Deliveries(JournalBase):
    def assign_version(self, delivery_ids: Iterable[int], version: int) -> None:
        """The version of the letter these recipients are about to be sent."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE deliveries SET version = ? WHERE id = ?",
                [(version, delivery_id) for delivery_id in delivery_ids],
            )

    def ensure_deliveries(
        self,
        letter: str,
        recipients: Iterable[tuple[str, tuple[str, ...]]],
        make_message_id: Callable[[str], str],
        snapshots: Mapping[str, str] | None = None,
    ) -> None:
        """Create a pending row, with its Message-ID chosen now, for each new recipient; a row
        not yet sent takes the list's addresses and the recipient as now addressed. A row
        already sent keeps both: the journal is the record of who got the letter."""
        now = timestamp()
        snapshots = snapshots or {}
        known = {
            row[0]
            for row in self.db.execute(
                "SELECT recipient_id FROM deliveries WHERE letter = ?", (letter,)
            )
        }
        owed = sorted(OWED)  # as many as the statement's "state IN (?, ?)"
        with self.transaction() as db:
            for recipient_id, emails in recipients:
                snapshot = snapshots.get(recipient_id)
                if recipient_id in known:
                    db.execute(
                        "UPDATE deliveries SET emails = ?, recipient = COALESCE(?, recipient), "
                        "updated_at = ? WHERE letter = ? AND recipient_id = ? "
                        "AND state IN (?, ?) AND (emails != ? OR recipient IS NOT ?)",
                        (
                            ",".join(emails),
                            snapshot,
                            now,
                            letter,
                            recipient_id,
                            *owed,
                            ",".join(emails),
                            snapshot,
                        ),
                    )
                    continue
                cursor = db.execute(
                    "INSERT INTO deliveries (letter, recipient_id, emails, message_id, state, "
                    "created_at, updated_at, recipient) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        letter,
                        recipient_id,
                        ",".join(emails),
                        make_message_id(recipient_id),
                        DeliveryState.PENDING,
                        now,
                        now,
                        snapshot,
                    ),
                )
                self._event(db, cursor.lastrowid, DeliveryState.PENDING, "добавлен в рассылку", now)

    def readdress(
        self, delivery: Delivery, emails: tuple[str, ...], snapshot: str | None, message_id: str
    ) -> None:
        """Send again to a corrected address, on purpose: the message sent before is kept
        (its answers and reports still find the recipient), the row owes a new one."""
        now = timestamp()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO earlier_messages (delivery_id, message_id, emails, state, sent_at, "
                "replaced_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    delivery.id,
                    delivery.message_id,
                    ",".join(delivery.emails),
                    delivery.state,
                    delivery.sent_at,
                    now,
                ),
            )
            db.execute(
                "UPDATE deliveries SET emails = ?, recipient = COALESCE(?, recipient), "
                "message_id = ?, state = ?, sent_at = NULL, last_error = NULL, "
                "smtp_response = NULL, updated_at = ? WHERE id = ?",
                (",".join(emails), snapshot, message_id, DeliveryState.PENDING, now, delivery.id),
            )
            self._event(
                db,
                delivery.id,
                DeliveryState.PENDING,
                f"адрес исправлен: был {', '.join(delivery.emails)}, стал {', '.join(emails)}; "
                "письмо отправляется снова",
                now,
            )

    def deliveries(self, letter: str) -> dict[str, Delivery]:
        rows = self.db.execute(
            "SELECT * FROM deliveries WHERE letter = ? ORDER BY id", (letter,)
        ).fetchall()
        return {row["recipient_id"]: delivery_of(row) for row in rows}

    def all_deliveries(self) -> list[Delivery]:
        return [delivery_of(row) for row in self.db.execute("SELECT * FROM deliveries ORDER BY id")]

    def send_targets(self, letter: str) -> dict[str, tuple[int, str, DeliveryState]]:
        """Recipient id to (delivery id, Message-ID, state): what a send needs of each row,
        kept light for lists of thousands."""
        return {
            recipient_id: (delivery_id, message_id, DeliveryState(state))
            for recipient_id, delivery_id, message_id, state in self.db.execute(
                "SELECT recipient_id, id, message_id, state FROM deliveries WHERE letter = ?",
                (letter,),
            )
        }

    def recover_interrupted(self, letter: str) -> list[str]:
        """Rows left in 'sending' by a run that died: the outcome is unknown."""
        now = timestamp()
        with self.transaction() as db:
            rows = db.execute(
                "SELECT id, recipient_id FROM deliveries WHERE letter = ? AND state = ?",
                (letter, DeliveryState.SENDING),
            ).fetchall()
            for row in rows:
                self._interrupted(db, "deliveries", row["id"], row["id"], "", now)
        return [row["recipient_id"] for row in rows]

    def known_message_ids(self) -> dict[str, Delivery]:
        """Every Message-ID we sent, letters and reminders, to the delivery it belongs to."""
        rows = self.db.execute("SELECT * FROM deliveries").fetchall()
        known = {row["message_id"]: delivery_of(row) for row in rows}
        by_id = {d.id: d for d in known.values()}
        for message_id, delivery_id in self.db.execute(
            "SELECT message_id, delivery_id FROM reminders "
            "UNION ALL SELECT message_id, delivery_id FROM earlier_messages"
        ):
            known[message_id] = by_id[delivery_id]
        return known

    # The history: every change, with who made it

    def events(self, delivery_id: int) -> list[tuple[EventKind, str | None]]:
        return [
            (event_kind(row["state"]), row["detail"])
            for row in self.db.execute(
                "SELECT state, detail FROM events WHERE delivery_id = ? ORDER BY id", (delivery_id,)
            )
        ]

    def history(self, letter: str, recipient_id: str | None = None) -> list[HistoryEntry]:
        """Every recorded change of a letter (to one recipient), oldest first, with who made it."""
        query = (
            "SELECT e.at, d.recipient_id, e.state, e.detail, e.operator FROM events e "
            "JOIN deliveries d ON d.id = e.delivery_id WHERE d.letter = ?"
        )
        params: tuple[str, ...] = (letter,)
        if recipient_id is not None:
            query += " AND d.recipient_id = ?"
            params += (recipient_id,)
        return [history_entry_of(row) for row in self.db.execute(query + " ORDER BY e.id", params)]

    def last_operators(self, letter: str) -> dict[int, str]:
        """Per delivery, who made its latest recorded change."""
        return {
            row[0]: row[1]
            for row in self.db.execute(
                "SELECT e.delivery_id, e.operator FROM events e WHERE e.id IN ("
                "SELECT MAX(e2.id) FROM events e2 JOIN deliveries d ON d.id = e2.delivery_id "
                "WHERE d.letter = ? GROUP BY e2.delivery_id) AND e.operator IS NOT NULL",
                (letter,),
            )
        }
