"""The letters in the journal: each one's number, date, subject and folder, and its versions."""

from __future__ import annotations

from mailer.journal.base import JournalBase
from mailer.journal.records import timestamp
from mailer.states import DeliveryState


class Letters(JournalBase):
    def ensure_letter(
        self, key: str, subject: str, reg_number: str, reg_date: str, folder: str | None = None
    ) -> None:
        """Record the letter, or bring its number, date, subject and folder up to date."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO letters (key, subject, reg_number, reg_date, created_at, folder) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "subject = excluded.subject, reg_number = excluded.reg_number, "
                "reg_date = excluded.reg_date, folder = COALESCE(excluded.folder, folder)",
                (key, subject, reg_number, reg_date, timestamp(), folder),
            )

    def letters_index(self) -> list[tuple[str, str, str, str | None]]:
        """Every letter: key, registration number, date and folder (None before schema 4)."""
        return [
            (row[0], row[1], row[2], row[3])
            for row in self.db.execute("SELECT key, reg_number, reg_date, folder FROM letters")
        ]

    def letter_versions(self, letter: str) -> list[tuple[int, str, str]]:
        """The letter's versions in order: number, fingerprint, facts (JSON)."""
        return [
            (row[0], row[1], row[2])
            for row in self.db.execute(
                "SELECT version, fingerprint, facts FROM letter_versions WHERE letter = ? "
                "ORDER BY version",
                (letter,),
            )
        ]

    def add_letter_version(self, letter: str, fingerprint: str, facts: str) -> int:
        with self.transaction() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(version), 0) FROM letter_versions WHERE letter = ?", (letter,)
            ).fetchone()
            version = int(row[0]) + 1
            db.execute(
                "INSERT INTO letter_versions (letter, version, fingerprint, facts, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (letter, version, fingerprint, facts, timestamp()),
            )
        return version

    def letters_overview(self) -> list[tuple[str, str, str, str, int, int]]:
        """Every letter in the journal: key, subject, number, date, recipients, sent."""
        return [
            tuple(row)
            for row in self.db.execute(
                "SELECT l.key, l.subject, l.reg_number, l.reg_date, COUNT(d.id), "
                "SUM(CASE WHEN d.state = ? THEN 1 ELSE 0 END) "
                "FROM letters l LEFT JOIN deliveries d ON d.letter = l.key "
                "GROUP BY l.key ORDER BY l.reg_date DESC, l.key",
                (DeliveryState.SENT,),
            )
        ]

    def every_letter_number(self) -> list[tuple[str, str]]:
        """(letter, number) for every number a letter was sent under: an edited version may
        have had its number changed, and answers cite the one they received."""
        return [
            (row[0], row[1])
            for row in self.db.execute(
                "SELECT key, reg_number FROM letters UNION SELECT letter, "
                "json_extract(facts, '$.number') FROM letter_versions "
                "WHERE json_extract(facts, '$.number') IS NOT NULL"
            )
        ]
