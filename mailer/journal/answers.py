"""What comes back to a letter: answers, reports and messages to be judged, recorded once each,
the marks made on them by hand, and how far each mailbox has been read."""

from __future__ import annotations

from mailer.journal.locks import RunLocks
from mailer.journal.records import ReplyRecord, reply_of, timestamp
from mailer.states import Mark, MatchedBy, ReplyKind


class Answers(RunLocks):
    def has_reply(self, letter: str, message_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM replies WHERE letter = ? AND message_id = ?", (letter, message_id)
        ).fetchone()
        return row is not None

    def record_reply(self, reply: ReplyRecord) -> bool:
        """Record what a message was; False when the same message was recorded before."""
        with self.deciding(reply.letter), self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO replies (letter, delivery_id, message_id, kind, matched_by, sender, "
                "subject, received_at, detail, attachments, source, recorded_at, "
                "failed_addresses, incoming_number, operator) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (letter, message_id) DO NOTHING",
                (
                    reply.letter,
                    reply.delivery_id,
                    reply.message_id,
                    reply.kind,
                    reply.matched_by,
                    reply.sender,
                    reply.subject,
                    reply.received_at,
                    reply.detail,
                    "\n".join(reply.attachments),
                    reply.source,
                    timestamp(),
                    ",".join(reply.failed_addresses) or None,
                    reply.incoming_number,
                    self.operator,
                ),
            )
            if cursor.rowcount and reply.delivery_id is not None:
                self._event(
                    db, reply.delivery_id, reply.kind, reply.detail or reply.subject, timestamp()
                )
        return bool(cursor.rowcount)

    def replies(self, letter: str, *, include_revoked: bool = False) -> list[ReplyRecord]:
        query = "SELECT * FROM replies WHERE letter = ?"
        if not include_revoked:
            query += " AND revoked_at IS NULL"
        return [reply_of(row) for row in self.db.execute(query + " ORDER BY id", (letter,))]

    def revoke_manual(self, letter: str, delivery_id: int) -> int:
        """Undo answers entered by hand for one recipient; the history keeps them."""
        now = timestamp()
        with self.deciding(letter), self.transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET revoked_at = ? WHERE letter = ? AND delivery_id = ? "
                "AND kind = ? AND revoked_at IS NULL",
                (now, letter, delivery_id, ReplyKind.MANUAL),
            )
            if cursor.rowcount:
                self._event(db, delivery_id, Mark.MANUAL_REVOKED, "отметка об ответе снята", now)
        return cursor.rowcount

    def revoke_bounces(self, letter: str, delivery_id: int, note: str) -> int:
        """A bounce recorded wrongly (the letter did arrive): undone, the history keeps it."""
        now = timestamp()
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET revoked_at = ? WHERE letter = ? AND delivery_id = ? "
                "AND kind = ? AND revoked_at IS NULL",
                (now, letter, delivery_id, ReplyKind.BOUNCE),
            )
            if cursor.rowcount:
                self._event(db, delivery_id, Mark.BOUNCE_REVOKED, f"возврат снят: {note}", now)
        return cursor.rowcount

    def accept_review(self, letter: str, record_id: int, delivery_id: int, note: str) -> bool:
        """A message on the review list judged to be this recipient's answer."""
        now = timestamp()
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET kind = ?, delivery_id = ?, matched_by = ? "
                "WHERE id = ? AND letter = ? AND kind = ? AND revoked_at IS NULL",
                (
                    ReplyKind.REPLY,
                    delivery_id,
                    MatchedBy.REVIEW,
                    record_id,
                    letter,
                    ReplyKind.REVIEW,
                ),
            )
            if cursor.rowcount:
                self._event(db, delivery_id, Mark.REVIEW_ACCEPTED, note, now)
        return bool(cursor.rowcount)

    def dismiss_review(self, letter: str, record_ids: list[int], delivery_id: int | None) -> int:
        """Messages on the review list judged not to be an answer. A stranger's message has
        no recipient to write the history under: its record keeps the time it was settled."""
        now = timestamp()
        with self.deciding(letter), self.transaction() as db:
            count = 0
            for record_id in record_ids:
                count += db.execute(
                    "UPDATE replies SET revoked_at = ? WHERE id = ? AND letter = ? "
                    "AND kind = ? AND revoked_at IS NULL",
                    (now, record_id, letter, ReplyKind.REVIEW),
                ).rowcount
            if count and delivery_id is not None:
                self._event(
                    db, delivery_id, Mark.REVIEW_DISMISSED, "письма на проверке: не ответ", now
                )
        return count

    # How far each mailbox has been read

    def mailbox_position(self, source: str) -> tuple[int, int] | None:
        row = self.db.execute(
            "SELECT uidvalidity, last_uid FROM mailbox_positions WHERE source = ?", (source,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def set_mailbox_position(self, source: str, uidvalidity: int, last_uid: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO mailbox_positions (source, uidvalidity, last_uid, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET "
                "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
                "updated_at = excluded.updated_at",
                (source, uidvalidity, last_uid, timestamp()),
            )
