"""The journal opened: the file checked (or the server reached), its migrations applied, its
transactions, and the one way a state change is written with its event.

The statements here and in the modules beside are SQLite's; the engine (mailer.journal.engine)
runs them on PostgreSQL too, so the engine stays a detail below the journal and its callers.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mailer.errors import InputError, JournalError
from mailer.journal.engine import Engine, describe, is_postgresql, open_engine
from mailer.journal.records import timestamp
from mailer.journal.schema import MIGRATIONS
from mailer.states import DeliveryState, EventKind

SQLITE_HEADER = b"SQLite format 3\x00"
KEEP_HINT = (
    "Не удаляйте и не заменяйте файл: в нём записано, кому письма уже ушли. Восстановите его "
    "из резервной копии или укажите другой путь в MAILER_DB."
)
INTERRUPTED = (
    "работа программы прервалась, когда письмо передавалось серверу: неизвестно, принял ли он его"
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


class JournalBase:
    """What every part of the Journal (mailer.journal.store) stands on: the engine, opened and
    migrated, its transactions, and the operator its changes are written under."""

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

    def _event(
        self, db: Engine, delivery_id: int | None, state: EventKind, detail: str | None, at: str
    ) -> None:
        db.execute(
            "INSERT INTO events (delivery_id, at, state, detail, operator) VALUES (?, ?, ?, ?, ?)",
            (delivery_id, at, state, detail, self.operator),
        )

    def _interrupted(
        self, db: Engine, table: str, row_id: int, delivery_id: int, prefix: str, now: str
    ) -> None:
        """A message left "sending" by a run that died: whether the server took it is unknown."""
        assert table in ("deliveries", "reminders")
        db.execute(
            f"UPDATE {table} SET state = ?, last_error = ?, updated_at = ? WHERE id = ?",  # noqa: S608 - names are ours
            (DeliveryState.UNCERTAIN, INTERRUPTED, now, row_id),
        )
        self._event(db, delivery_id, DeliveryState.UNCERTAIN, prefix + INTERRUPTED, now)

    def set_state(
        self,
        table: str,
        row_id: int,
        delivery_id: int,
        state: DeliveryState,
        detail: str | None,
        *,
        count_attempt: bool = False,
        **columns: object,
    ) -> None:
        """A letter's or a reminder's state change and its event, as the send ledger writes
        it (mailer.journal.ledger); inside the send loop's batch, committed with it."""
        assert table in ("deliveries", "reminders")
        now = timestamp()
        assignments = "".join(f", {name} = ?" for name in columns)
        attempt = ", attempts = attempts + 1" if count_attempt else ""
        with self.batch(durable=False):
            self.db.execute(
                f"UPDATE {table} SET state = ?, updated_at = ?{attempt}{assignments} "  # noqa: S608 - names are ours
                "WHERE id = ?",
                (state, now, *columns.values(), row_id),
            )
            self._event(self.db, delivery_id, state, detail, now)

    def _set_state(
        self,
        table: str,
        row_id: int,
        delivery_id: int,
        state: DeliveryState,
        detail: str | None,
        *,
        count_attempt: bool = False,
        durable: bool = False,
        **columns: object,
    ) -> None:
        # the ledger's way in while it asks for durability itself; set_state once the send
        # loop's batch decides it (issue 15, the outbox's part): then this goes
        with self.batch(durable):
            self.set_state(
                table, row_id, delivery_id, state, detail, count_attempt=count_attempt, **columns
            )

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
