"""The journal, composed: opened and migrated (base), its run locks (locks), letters,
deliveries and their history, answers and marks, and reminders, each in a module of its own.
This package alone reads and writes it; SQLite for one person, PostgreSQL for an office.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mailer.journal.answers import Answers
from mailer.journal.base import JournalMissing as JournalMissing
from mailer.journal.deliveries import Deliveries
from mailer.journal.engine import is_postgresql
from mailer.journal.ledger import Ledger
from mailer.journal.letters import Letters
from mailer.journal.records import Reminder
from mailer.journal.reminder_rows import ReminderRows

if TYPE_CHECKING:
    from mailer.settings import Settings


class Journal(Letters, Deliveries, Answers, ReminderRows):
    """The journal: a SQLite file, opened if it is one, created only where there was no file at
    all and only when ``create`` (commands that only read never create one); or a PostgreSQL
    database, given by its ``postgresql://`` URL (see mailer.journal.engine)."""

    def close(self) -> None:
        self.unlock()
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ledger(self, delivery_id: int) -> Ledger:
        """The state changes of the letter to one recipient."""
        return Ledger(self, "deliveries", delivery_id, delivery_id, "")

    def reminder_ledger(self, reminder: Reminder) -> Ledger:
        return Ledger(
            self,
            "reminders",
            reminder.id,
            reminder.delivery_id,
            f"напоминание {reminder.sequence}: ",
        )


def open_journal(settings: Settings, *, create: bool = True) -> Journal:
    """The journal MAILER_DB names, written in the name of MAILER_OPERATOR."""
    password = settings.db_password.get_secret_value() if settings.db_password else None
    return Journal(settings.db, settings.operator, password=password, create=create)


def journal_exists(settings: Settings) -> bool:
    """Whether anything was ever written (a server is asked only when opened)."""
    return is_postgresql(settings.db) or Path(settings.db).exists()
