"""The journal: owned by this module alone (its schema is in mailer.journal.schema); SQLite for one
person, PostgreSQL for an office.

Per letter and recipient one delivery row whose state moves
pending -> sending -> sent | failed | uncertain (and back to pending after a temporary error).
``sending`` is committed before the SMTP DATA command and the outcome right after the server's
answer, so a crash leaves only ``sending`` rows, which the next run turns into ``uncertain``.
Every state change is also written to the events table, with the operator who made it, for
the audit trail.

The statements below are SQLite's; the engine (mailer.journal.engine) runs them on PostgreSQL
too, so the engine stays a detail below this module and its callers.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.errors import InputError, JournalError
from mailer.journal.engine import Engine, describe, is_postgresql, open_engine
from mailer.journal.ledger import Ledger
from mailer.journal.records import (
    Delivery,
    HistoryEntry,
    Reminder,
    ReplyRecord,
    delivery_of,
    timestamp,
)

# the schema lives beside, re-exported: the journal is still the one way to the file
from mailer.journal.schema import MIGRATIONS as MIGRATIONS
from mailer.journal.schema import REPLY_KINDS as REPLY_KINDS
from mailer.journal.schema import STATES as STATES

if TYPE_CHECKING:
    from mailer.settings import Settings

SQLITE_HEADER = b"SQLite format 3\x00"
KEEP_HINT = (
    "Не удаляйте и не заменяйте файл: в нём записано, кому письма уже ушли. Восстановите его "
    "из резервной копии или укажите другой путь в MAILER_DB."
)


class JournalMissing(InputError):
    """A command that only reads was given a journal that does not exist."""


def default_operator() -> str:
    """Who is working, when MAILER_OPERATOR does not say: the OS user and the host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


_FILLED = re.compile(r"\s*INSERT INTO (\w+) .*SELECT", re.S)
_RENAMED = re.compile(r"\s*ALTER TABLE (\w+) RENAME TO (\w+)")


def _rebuilt_tables(statements: list[str]) -> list[str]:
    """The tables a migration fills from an older one (INSERT INTO t … SELECT), by their final
    names after any RENAME TO."""
    filled: list[str] = [m.group(1) for st in statements if (m := _FILLED.match(st))]
    renames: dict[str, str] = {
        m.group(1): m.group(2) for st in statements if (m := _RENAMED.match(st))
    }
    return [renames.get(name, name) for name in filled]


def _check_existing(path: Path) -> None:
    """An existing file is a journal or an error, never "nothing sent yet": a journal cut to
    0 bytes or unreadable would otherwise send everything again."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise JournalError.from_fault(exc, path) from None
    if not head:
        raise JournalError(
            f"Журнал {path} пуст (0 байт): файл обрезан или испорчен. Программа не будет "
            "считать, что писем не отправляли.",
            hint=KEEP_HINT,
        )
    if head != SQLITE_HEADER:
        raise JournalError(
            f"Журнал {path} недоступен: журнал повреждён (это не база данных журнала).",
            hint=KEEP_HINT,
        )


class Journal:
    """The journal: a SQLite file, opened if it is one, created only where there was no file at
    all and only when ``create`` (commands that only read never create one); or a PostgreSQL
    database, given by its ``postgresql://`` URL (see mailer.journal.engine)."""

    def __init__(
        self,
        target: Path | str,
        operator: str | None = None,
        *,
        password: str | None = None,
        create: bool = True,
    ) -> None:
        self.path = describe(target)
        self.operator = operator or default_operator()
        self._batch_durable: bool | None = None  # inside batch(): whether it will be synced
        self._locked_scope: str | None = None
        server = is_postgresql(target)
        existed = server or Path(target).exists()
        if not server:
            if existed:
                _check_existing(Path(target))
            elif not create:
                raise JournalMissing(
                    f"Журнала {target} нет: по нему ещё не отправлялось ни одно письмо.",
                    hint="Проверьте путь MAILER_DB или сначала отправьте письмо командой send.",
                )
        try:
            self.db: Engine = open_engine(target, password)
            try:
                if existed and not server and not self._is_journal():
                    raise JournalError(
                        f"Файл {target} — база данных, но не журнал рассылок.", hint=KEEP_HINT
                    )
                with self.db.schema_lock():
                    self._migrate()
            except BaseException:
                self.db.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise JournalError.from_fault(exc, target) from None
        except OSError as exc:
            raise JournalError(f"Журнал {self.path} не создаётся: {exc}.") from None

    def close(self) -> None:
        self.unlock()
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Engine]:
        with self.db.transaction() as db:
            yield db

    def _is_journal(self) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        return row is not None

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in self.db.execute("SELECT version FROM schema_migrations")}
        newest = max(v for v, _, _ in MIGRATIONS)
        if applied and max(applied) > newest:
            raise JournalError(
                f"Журнал {self.path} создан более новой версией программы (схема {max(applied)}).",
                hint="Обновите mailer до той версии, что работала с этим журналом.",
            )
        for version, name, statements in MIGRATIONS:
            if version in applied:
                continue
            with self.transaction() as db:
                for statement in statements:
                    db.execute(statement)
                # a table rebuilt with its rows keeps their ids; on a server its id counter
                # must then continue after them (SQLite does so by itself)
                for table in _rebuilt_tables(statements):
                    db.reset_identity(table, "id")
                db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, timestamp()),
                )

    def schema_version(self) -> int:
        row = self.db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    # One sending run per letter at a time (per journal on SQLite): the recovery of "sending"
    # rows relies on it. The next one is told who holds it.
    def lock(self, letter: str) -> None:
        scope = self._scope(letter)
        if not self.db.try_lock(scope):
            self._refuse(scope)
        with self.transaction() as db:
            db.execute(
                "INSERT INTO run_locks (scope, letter, operator, host, pid, since) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE SET "
                "letter = excluded.letter, operator = excluded.operator, host = excluded.host, "
                "pid = excluded.pid, since = excluded.since",
                (scope, letter, self.operator, socket.gethostname(), os.getpid(), timestamp()),
            )
        self._locked_scope = scope

    def _scope(self, letter: str) -> str:
        return letter if self.db.per_letter_locks else "*"

    def _refuse(self, scope: str) -> None:
        row = self.db.execute(
            "SELECT letter, operator, host, pid, since FROM run_locks WHERE scope = ?", (scope,)
        ).fetchone()
        who = "рассылка уже идёт в другом окне или процессе"
        if row is not None:
            since = datetime.fromisoformat(row["since"]).astimezone()
            who = (
                f"письмо «{row['letter']}» сейчас отправляет {row['operator']} "
                f"(компьютер {row['host']}, процесс {row['pid']}) с {since:%d.%m.%Y %H:%M}"
            )
        raise JournalError(
            f"Журнал {self.path} занят: {who}.",
            hint="Дождитесь окончания той рассылки и запустите команду снова.",
        )

    def lock_replies(self) -> None:
        """track: one writer of replies at a time on a SQLite journal, as a send. On a server
        each answer is recorded once (its message's key) under the decisions' lock, so tracks on
        several machines run beside sends and reminders."""
        if not self.db.per_letter_locks:
            self.lock("*")

    def deciding(self, letter: str) -> AbstractContextManager[None]:
        """Held while who is reminded is decided and recorded, and while an answer is recorded
        or undone: a reminder is never decided on answers half-recorded by a track running on
        another machine, and the history shows which came first."""
        return self.db.hold("answers:" + letter)

    def check_free(self, letter: str) -> None:
        """Raise, saying who, when another run holds the letter: its "sending" rows are in
        flight, not interrupted. Writes nothing."""
        scope = self._scope(letter)
        if self._locked_scope != scope:
            if not self.db.try_lock(scope):
                self._refuse(scope)
            self.db.unlock()

    def unlock(self) -> None:
        scope, self._locked_scope = self._locked_scope, None
        if scope is not None:
            with suppress(sqlite3.Error):  # a lost connection has released the lock already
                self.db.execute(
                    "DELETE FROM run_locks WHERE scope = ? AND host = ? AND pid = ?",
                    (scope, socket.gethostname(), os.getpid()),
                )
        self.db.unlock()

    # Letters and deliveries

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
        with self.transaction() as db:
            for recipient_id, emails in recipients:
                snapshot = snapshots.get(recipient_id)
                if recipient_id in known:
                    db.execute(
                        "UPDATE deliveries SET emails = ?, recipient = COALESCE(?, recipient), "
                        "updated_at = ? WHERE letter = ? AND recipient_id = ? "
                        "AND state IN ('pending', 'failed') "
                        "AND (emails != ? OR recipient IS NOT ?)",
                        (
                            ",".join(emails),
                            snapshot,
                            now,
                            letter,
                            recipient_id,
                            ",".join(emails),
                            snapshot,
                        ),
                    )
                    continue
                cursor = db.execute(
                    "INSERT INTO deliveries (letter, recipient_id, emails, message_id, state, "
                    "created_at, updated_at, recipient) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                    (
                        letter,
                        recipient_id,
                        ",".join(emails),
                        make_message_id(recipient_id),
                        now,
                        now,
                        snapshot,
                    ),
                )
                self._event(db, cursor.lastrowid, "pending", "добавлен в рассылку", now)

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
                "message_id = ?, state = 'pending', sent_at = NULL, last_error = NULL, "
                "smtp_response = NULL, updated_at = ? WHERE id = ?",
                (",".join(emails), snapshot, message_id, now, delivery.id),
            )
            self._event(
                db,
                delivery.id,
                "pending",
                f"адрес исправлен: был {', '.join(delivery.emails)}, стал {', '.join(emails)}; "
                "письмо отправляется снова",
                now,
            )

    def deliveries(self, letter: str) -> dict[str, Delivery]:
        rows = self.db.execute(
            "SELECT * FROM deliveries WHERE letter = ? ORDER BY id", (letter,)
        ).fetchall()
        return {row["recipient_id"]: delivery_of(row) for row in rows}

    def send_targets(self, letter: str) -> dict[str, tuple[int, str, str]]:
        """Recipient id to (delivery id, Message-ID, state): what a send needs of each row,
        kept light for lists of thousands."""
        return {
            recipient_id: (delivery_id, message_id, state)
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
                "SELECT id, recipient_id FROM deliveries WHERE letter = ? AND state = 'sending'",
                (letter,),
            ).fetchall()
            for row in rows:
                db.execute(
                    "UPDATE deliveries SET state = 'uncertain', last_error = ?, updated_at = ? "
                    "WHERE id = ?",
                    (INTERRUPTED, now, row["id"]),
                )
                self._event(db, row["id"], "uncertain", INTERRUPTED, now)
        return [row["recipient_id"] for row in rows]

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

    def _set_state(
        self,
        table: str,
        row_id: int,
        delivery_id: int,
        state: str,
        detail: str | None,
        *,
        count_attempt: bool = False,
        durable: bool = False,
        **columns: object,
    ) -> None:
        assert table in ("deliveries", "reminders")
        now = timestamp()
        assignments = "".join(f", {name} = ?" for name in columns)
        attempt = ", attempts = attempts + 1" if count_attempt else ""
        with self.batch(durable):
            self.db.execute(
                f"UPDATE {table} SET state = ?, updated_at = ?{attempt}{assignments} "  # noqa: S608 - names are ours
                "WHERE id = ?",
                (state, now, *columns.values(), row_id),
            )
            self._event(self.db, delivery_id, state, detail, now)

    @contextmanager
    def batch(self, durable: bool) -> Iterator[None]:
        """One transaction for the state changes made inside, synced to disk when ``durable``:
        several letters' marks then share one commit. Nested, the outer one commits (and must
        already be durable if an inner one asks: SQLite fixes the level before BEGIN)."""
        if self._batch_durable is not None:
            assert self._batch_durable or not durable, "a durable change in a non-durable batch"
            yield
            return
        self._batch_durable = durable
        try:
            with self.db.transaction(durable):
                yield
        finally:
            self._batch_durable = None

    def events(self, delivery_id: int) -> list[tuple[str, str | None]]:
        return [
            (row["state"], row["detail"])
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
        return [HistoryEntry(*row) for row in self.db.execute(query + " ORDER BY e.id", params)]

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

    def _event(
        self, db: Engine, delivery_id: int | None, state: str, detail: str | None, at: str
    ) -> None:
        db.execute(
            "INSERT INTO events (delivery_id, at, state, detail, operator) VALUES (?, ?, ?, ?, ?)",
            (delivery_id, at, state, detail, self.operator),
        )

    # Replies and what else comes back

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

    # Reminders

    def reminders(self, letter: str) -> dict[int, list[Reminder]]:
        """Per delivery, its reminders in order."""
        rows = self.db.execute(
            "SELECT r.* FROM reminders r JOIN deliveries d ON d.id = r.delivery_id "
            "WHERE d.letter = ? ORDER BY r.delivery_id, r.sequence",
            (letter,),
        ).fetchall()
        out: dict[int, list[Reminder]] = {}
        for row in rows:
            out.setdefault(row["delivery_id"], []).append(
                Reminder(
                    id=row["id"],
                    delivery_id=row["delivery_id"],
                    sequence=row["sequence"],
                    message_id=row["message_id"],
                    state=row["state"],
                    attempts=row["attempts"],
                    last_error=row["last_error"],
                    created_at=row["created_at"],
                    sent_at=row["sent_at"],
                )
            )
        return out

    def add_reminders(self, new: Iterable[tuple[int, int, str]]) -> None:
        """Create pending reminders (delivery id, sequence, Message-ID chosen now)."""
        now = timestamp()
        with self.transaction() as db:
            for delivery_id, sequence, message_id in new:
                db.execute(
                    "INSERT INTO reminders (delivery_id, sequence, message_id, state, created_at, "
                    "updated_at) VALUES (?, ?, ?, 'pending', ?, ?)",
                    (delivery_id, sequence, message_id, now, now),
                )
                self._event(db, delivery_id, "pending", f"напоминание {sequence}: добавлено", now)

    def recover_interrupted_reminders(self, letter: str) -> list[int]:
        """Reminders left in 'sending' by a run that died become uncertain."""
        now = timestamp()
        with self.transaction() as db:
            rows = db.execute(
                "SELECT r.id, r.delivery_id, r.sequence FROM reminders r "
                "JOIN deliveries d ON d.id = r.delivery_id "
                "WHERE d.letter = ? AND r.state = 'sending'",
                (letter,),
            ).fetchall()
            for row in rows:
                db.execute(
                    "UPDATE reminders SET state = 'uncertain', last_error = ?, updated_at = ? "
                    "WHERE id = ?",
                    (INTERRUPTED, now, row["id"]),
                )
                self._event(
                    db,
                    row["delivery_id"],
                    "uncertain",
                    f"напоминание {row['sequence']}: {INTERRUPTED}",
                    now,
                )
        return [row["delivery_id"] for row in rows]

    def letters_overview(self) -> list[tuple[str, str, str, str, int, int]]:
        """Every letter in the journal: key, subject, number, date, recipients, sent."""
        return [
            tuple(row)
            for row in self.db.execute(
                "SELECT l.key, l.subject, l.reg_number, l.reg_date, COUNT(d.id), "
                "SUM(CASE WHEN d.state = 'sent' THEN 1 ELSE 0 END) "
                "FROM letters l LEFT JOIN deliveries d ON d.letter = l.key "
                "GROUP BY l.key ORDER BY l.reg_date DESC, l.key"
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

    def all_deliveries(self) -> list[Delivery]:
        return [delivery_of(row) for row in self.db.execute("SELECT * FROM deliveries ORDER BY id")]

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
        rows = self.db.execute(query + " ORDER BY id", (letter,)).fetchall()
        return [
            ReplyRecord(
                letter=row["letter"],
                delivery_id=row["delivery_id"],
                message_id=row["message_id"],
                kind=row["kind"],
                matched_by=row["matched_by"],
                sender=row["sender"],
                subject=row["subject"],
                received_at=row["received_at"],
                detail=row["detail"],
                attachments=tuple(a for a in (row["attachments"] or "").split("\n") if a),
                source=row["source"],
                id=row["id"],
                recorded_at=row["recorded_at"],
                failed_addresses=tuple(a for a in (row["failed_addresses"] or "").split(",") if a),
                incoming_number=row["incoming_number"],
            )
            for row in rows
        ]

    def revoke_manual(self, letter: str, delivery_id: int) -> int:
        """Undo answers entered by hand for one recipient; the history keeps them."""
        now = timestamp()
        with self.deciding(letter), self.transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET revoked_at = ? WHERE letter = ? AND delivery_id = ? "
                "AND kind = 'manual' AND revoked_at IS NULL",
                (now, letter, delivery_id),
            )
            if cursor.rowcount:
                self._event(db, delivery_id, "manual_revoked", "отметка об ответе снята", now)
        return cursor.rowcount

    def revoke_bounces(self, letter: str, delivery_id: int, note: str) -> int:
        """A bounce recorded wrongly (the letter did arrive): undone, the history keeps it."""
        now = timestamp()
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET revoked_at = ? WHERE letter = ? AND delivery_id = ? "
                "AND kind = 'bounce' AND revoked_at IS NULL",
                (now, letter, delivery_id),
            )
            if cursor.rowcount:
                self._event(db, delivery_id, "bounce_revoked", f"возврат снят: {note}", now)
        return cursor.rowcount

    def accept_review(self, letter: str, record_id: int, delivery_id: int, note: str) -> bool:
        """A message on the review list judged to be this recipient's answer."""
        now = timestamp()
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET kind = 'reply', delivery_id = ?, matched_by = 'review' "
                "WHERE id = ? AND letter = ? AND kind = 'review' AND revoked_at IS NULL",
                (delivery_id, record_id, letter),
            )
            if cursor.rowcount:
                self._event(db, delivery_id, "review_accepted", note, now)
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
                    "AND kind = 'review' AND revoked_at IS NULL",
                    (now, record_id, letter),
                ).rowcount
            if count and delivery_id is not None:
                self._event(
                    db, delivery_id, "review_dismissed", "письма на проверке: не ответ", now
                )
        return count

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


def open_journal(settings: Settings, *, create: bool = True) -> Journal:
    """The journal MAILER_DB names, written in the name of MAILER_OPERATOR."""
    password = settings.db_password.get_secret_value() if settings.db_password else None
    return Journal(settings.db, settings.operator, password=password, create=create)


def journal_exists(settings: Settings) -> bool:
    """Whether anything was ever written (a server is asked only when opened)."""
    return is_postgresql(settings.db) or Path(settings.db).exists()


INTERRUPTED = (
    "работа программы прервалась, когда письмо передавалось серверу: неизвестно, принял ли он его"
)
