"""The journal, the record of who was sent what and who answered: this package alone reads and
writes it. SQLite for one person, PostgreSQL for an office.

- store: the Journal, composed of base (opening, migrations, transactions, a state change with
  its event), locks (one run at a time), letters, deliveries (and their history), answers (replies,
  marks, mailbox positions) and reminder_rows; their statements are SQLite's, the engine runs them
  on PostgreSQL too;
- records: the frozen rows it hands back; ledger: one message's state changes while sending;
- schema: the numbered migrations; engine and pg: SQLite and PostgreSQL below the store;
- copying: `mailer journal copy`, from one engine to the other.
"""

from mailer.journal.ledger import Ledger
from mailer.journal.records import Delivery, HistoryEntry, Reminder, ReplyRecord
from mailer.journal.schema import MIGRATIONS
from mailer.journal.store import Journal, JournalMissing, journal_exists, open_journal

__all__ = [
    "MIGRATIONS",
    "Delivery",
    "HistoryEntry",
    "Journal",
    "JournalMissing",
    "Ledger",
    "Reminder",
    "ReplyRecord",
    "journal_exists",
    "open_journal",
]
