"""The reminders' rows: one per reminder sent (or owed) to a delivery, its state moving as a
letter's does (mailer.journal.deliveries), its changes written to the delivery's history."""

from __future__ import annotations

from collections.abc import Iterable

from mailer.journal.base import JournalBase
from mailer.journal.records import Reminder, reminder_of, timestamp
from mailer.states import DeliveryState


class ReminderRows(JournalBase):
    def reminders(self, letter: str) -> dict[int, list[Reminder]]:
        """Per delivery, its reminders in order."""
        rows = self.db.execute(
            "SELECT r.* FROM reminders r JOIN deliveries d ON d.id = r.delivery_id "
            "WHERE d.letter = ? ORDER BY r.delivery_id, r.sequence",
            (letter,),
        ).fetchall()
        out: dict[int, list[Reminder]] = {}
        for row in rows:
            out.setdefault(row["delivery_id"], []).append(reminder_of(row))
        return out

    def add_reminders(self, new: Iterable[tuple[int, int, str]]) -> None:
        """Create pending reminders (delivery id, sequence, Message-ID chosen now)."""
        now = timestamp()
        pending = DeliveryState.PENDING
        with self.transaction() as db:
            for delivery_id, sequence, message_id in new:
                db.execute(
                    "INSERT INTO reminders (delivery_id, sequence, message_id, state, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (delivery_id, sequence, message_id, pending, now, now),
                )
                self._event(db, delivery_id, pending, f"напоминание {sequence}: добавлено", now)

    def recover_interrupted_reminders(self, letter: str) -> list[int]:
        """Reminders left in 'sending' by a run that died become uncertain."""
        now = timestamp()
        with self.transaction() as db:
            rows = db.execute(
                "SELECT r.id, r.delivery_id, r.sequence FROM reminders r "
                "JOIN deliveries d ON d.id = r.delivery_id "
                "WHERE d.letter = ? AND r.state = ?",
                (letter, DeliveryState.SENDING),
            ).fetchall()
            for row in rows:
                prefix = f"напоминание {row['sequence']}: "
                self._interrupted(db, "reminders", row["id"], row["delivery_id"], prefix, now)
        return [row["delivery_id"] for row in rows]
