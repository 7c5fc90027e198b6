"""The journal's schema: numbered migrations, each applied in one transaction with its record
by mailer.journal, which alone reads and writes the file. A new schema is a new migration:
journals already written must upgrade."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from mailer.states import EVENT_KINDS, DeliveryState, ReplyKind

# The values migrations 1 to 4 allowed, frozen as they were: an old migration is history, and
# runs on a new journal exactly as it did. New CHECKs are made from the enums (migration 6).
_STATES_1 = ("pending", "sending", "sent", "failed", "uncertain", "bounced", "replied")
_REPLY_KINDS_2 = ("reply", "auto_reply", "bounce", "read_receipt", "review", "manual", "notice")
_REPLY_COLUMNS = (
    "id, letter, delivery_id, message_id, kind, matched_by, sender, subject, received_at, "
    "detail, attachments, source, recorded_at, revoked_at"
)

# Numbered migrations; each runs in one transaction together with its own record.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "letters and deliveries",
        [
            """CREATE TABLE letters (
                key TEXT PRIMARY KEY,
                subject TEXT NOT NULL,
                reg_number TEXT NOT NULL,
                reg_date TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            f"""CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                letter TEXT NOT NULL REFERENCES letters(key),
                recipient_id TEXT NOT NULL,
                emails TEXT NOT NULL,
                message_id TEXT NOT NULL UNIQUE,
                state TEXT NOT NULL CHECK (state IN {_STATES_1!r}),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                smtp_response TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                sent_at TEXT,
                UNIQUE (letter, recipient_id)
            )""",
            """CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
                at TEXT NOT NULL,
                state TEXT NOT NULL,
                detail TEXT
            )""",
            "CREATE INDEX events_delivery ON events(delivery_id)",
        ],
    ),
    (
        2,
        "replies, receipts, bounces and mailbox positions",
        [
            f"""CREATE TABLE replies (
                id INTEGER PRIMARY KEY,
                letter TEXT NOT NULL REFERENCES letters(key),
                delivery_id INTEGER REFERENCES deliveries(id),
                message_id TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN {_REPLY_KINDS_2!r}),
                matched_by TEXT,
                sender TEXT,
                subject TEXT,
                received_at TEXT,
                detail TEXT,
                attachments TEXT,
                source TEXT,
                recorded_at TEXT NOT NULL,
                revoked_at TEXT,
                UNIQUE (letter, message_id)
            )""",
            "CREATE INDEX replies_delivery ON replies(delivery_id)",
            """CREATE TABLE mailbox_positions (
                source TEXT PRIMARY KEY,
                uidvalidity INTEGER NOT NULL,
                last_uid INTEGER NOT NULL,
                updated_at TEXT NOT NULL
            )""",
        ],
    ),
    (
        3,
        "reminders",
        [
            f"""CREATE TABLE reminders (
                id INTEGER PRIMARY KEY,
                delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
                sequence INTEGER NOT NULL,
                message_id TEXT NOT NULL UNIQUE,
                state TEXT NOT NULL CHECK (state IN {_STATES_1!r}),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                smtp_response TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                sent_at TEXT,
                UNIQUE (delivery_id, sequence)
            )""",
        ],
    ),
]


MIGRATIONS.append(
    (
        4,
        "the record: letter identity and versions, recipients as addressed, per-address "
        "bounces, notices, incoming numbers",
        [
            "ALTER TABLE letters ADD COLUMN folder TEXT",
            """CREATE TABLE letter_versions (
                id INTEGER PRIMARY KEY,
                letter TEXT NOT NULL REFERENCES letters(key),
                version INTEGER NOT NULL,
                fingerprint TEXT NOT NULL,
                facts TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (letter, version)
            )""",
            # the version of the letter each recipient was sent, and the recipient as addressed
            "ALTER TABLE deliveries ADD COLUMN version INTEGER",
            "ALTER TABLE deliveries ADD COLUMN recipient TEXT",
            # a message sent before the recipient's address was corrected: its answers and
            # reports still belong to the delivery
            """CREATE TABLE earlier_messages (
                id INTEGER PRIMARY KEY,
                delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
                message_id TEXT NOT NULL UNIQUE,
                emails TEXT NOT NULL,
                state TEXT NOT NULL,
                sent_at TEXT,
                replaced_at TEXT NOT NULL
            )""",
            # SQLite cannot widen a CHECK: the replies table is rebuilt with its rows
            f"""CREATE TABLE replies_v4 (
                id INTEGER PRIMARY KEY,
                letter TEXT NOT NULL REFERENCES letters(key),
                delivery_id INTEGER REFERENCES deliveries(id),
                message_id TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN {_REPLY_KINDS_2!r}),
                matched_by TEXT,
                sender TEXT,
                subject TEXT,
                received_at TEXT,
                detail TEXT,
                attachments TEXT,
                source TEXT,
                recorded_at TEXT NOT NULL,
                revoked_at TEXT,
                failed_addresses TEXT,
                incoming_number TEXT,
                UNIQUE (letter, message_id)
            )""",
            f"INSERT INTO replies_v4 ({_REPLY_COLUMNS}) SELECT {_REPLY_COLUMNS} FROM replies",  # noqa: S608 - our names
            "DROP TABLE replies",
            "ALTER TABLE replies_v4 RENAME TO replies",
            "CREATE INDEX replies_delivery ON replies(delivery_id)",
        ],
    )
)


MIGRATIONS.append(
    (
        5,  # the number is this line alone: renumbering after a merge changes nothing else
        "operators: who made each change, who holds a run",
        [
            "ALTER TABLE events ADD COLUMN operator TEXT",
            "ALTER TABLE replies ADD COLUMN operator TEXT",
            # who holds the run lock of a letter (of the journal, on SQLite), for the next one
            """CREATE TABLE run_locks (
                scope TEXT PRIMARY KEY,
                letter TEXT NOT NULL,
                operator TEXT NOT NULL,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                since TEXT NOT NULL
            )""",
        ],
    )
)


def _one_of(values: Iterable[StrEnum]) -> str:
    """A CHECK's list of allowed values, from an enum's members."""
    return repr(tuple(str(value) for value in values))


# Migration 6's tables, as they stand after migration 5, each with a CHECK from the enums (the
# events' holds what every writer of events since schema 1 wrote: states, kinds, marks). Those
# that refer to the deliveries are rebuilt with them: neither engine drops a table others refer
# to, so the new ones refer to deliveries_v6, renamed to deliveries at the end (SQLite renames
# the references with it; PostgreSQL's follow the table).
_TABLES_6 = {
    "deliveries": f"""
        id INTEGER PRIMARY KEY,
        letter TEXT NOT NULL REFERENCES letters(key),
        recipient_id TEXT NOT NULL,
        emails TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN {_one_of(DeliveryState)}),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        smtp_response TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        version INTEGER,
        recipient TEXT,
        UNIQUE (letter, recipient_id)""",
    "events": f"""
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries_v6(id),
        at TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN {_one_of(EVENT_KINDS.values())}),
        detail TEXT,
        operator TEXT""",
    "replies": f"""
        id INTEGER PRIMARY KEY,
        letter TEXT NOT NULL REFERENCES letters(key),
        delivery_id INTEGER REFERENCES deliveries_v6(id),
        message_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN {_one_of(ReplyKind)}),
        matched_by TEXT,
        sender TEXT,
        subject TEXT,
        received_at TEXT,
        detail TEXT,
        attachments TEXT,
        source TEXT,
        recorded_at TEXT NOT NULL,
        revoked_at TEXT,
        failed_addresses TEXT,
        incoming_number TEXT,
        operator TEXT,
        UNIQUE (letter, message_id)""",
    "reminders": f"""
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries_v6(id),
        sequence INTEGER NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN {_one_of(DeliveryState)}),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        smtp_response TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (delivery_id, sequence)""",
    "earlier_messages": f"""
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries_v6(id),
        message_id TEXT NOT NULL UNIQUE,
        emails TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN {_one_of(DeliveryState)}),
        sent_at TEXT,
        replaced_at TEXT NOT NULL""",
}


def _columns(definition: str) -> str:
    """The column names of a table's definition, in order."""
    lines = (line.strip() for line in definition.strip().splitlines())
    return ", ".join(line.split()[0] for line in lines if not line.startswith("UNIQUE"))


def _rebuild_6() -> list[str]:
    statements = [f"CREATE TABLE {t}_v6 ({d}\n    )" for t, d in _TABLES_6.items()]
    statements += [
        f"INSERT INTO {t}_v6 ({_columns(d)}) SELECT {_columns(d)} FROM {t}"  # noqa: S608 - our names
        for t, d in _TABLES_6.items()
    ]
    # those that refer to the deliveries first
    statements += [f"DROP TABLE {t}" for t in reversed(_TABLES_6)]
    statements += [f"ALTER TABLE {t}_v6 RENAME TO {t}" for t in _TABLES_6]
    return [
        *statements,
        "CREATE INDEX events_delivery ON events(delivery_id)",
        "CREATE INDEX replies_delivery ON replies(delivery_id)",
    ]


MIGRATIONS.append(
    (
        6,  # the number is this line alone: renumbering after a merge changes nothing else
        "states and kinds checked against their enums (mailer.states)",
        _rebuild_6(),
    )
)
