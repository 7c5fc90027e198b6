"""The journal's two database engines, below journal.py: SQLite for one person, PostgreSQL for
an office where several machines write one journal.

journal.py is written once, in SQLite's SQL (``?`` placeholders, ``INTEGER PRIMARY KEY``,
``INSERT OR IGNORE``, ``lastrowid``, sqlite3's exceptions). Each engine gives it one
connection-like object: ``execute``/``executemany`` returning a cursor, ``transaction`` (with
the durability of its commit), the run lock and the schema lock. The PostgreSQL engine
(pg.py) translates each statement once, in one place, so a statement added to
journal.py runs on both without its author thinking about PostgreSQL, and turns psycopg's errors
into sqlite3's classes, so ``except sqlite3.IntegrityError`` in the journal means the same on
both.

Why no ORM or query builder: journal.py holds about 40 hand-written statements; SQLAlchemy Core
would rewrite every one of them (and every one added by others) plus the migrations, for the
same SQL in the end; the translation is a few regular expressions tested against every
statement and migration.
"""

from __future__ import annotations

import fcntl
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

Params = Sequence[Any]


class Cursor(Protocol):
    """What the journal uses of a cursor (sqlite3.Cursor is one)."""

    @property
    def rowcount(self) -> int: ...
    @property
    def lastrowid(self) -> int | None: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


def is_postgresql(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def describe(target: str | Path) -> str:
    """The journal's address for messages: a URL without its password."""
    if not is_postgresql(target):
        return str(target)
    from urllib.parse import urlsplit, urlunsplit  # only for a server: a file starts faster

    parts = urlsplit(str(target))
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    host = f"{user}@{netloc[2]}" if netloc[1] else netloc[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class Engine(ABC):
    kind: str
    label: str  # for messages: the file, or the URL without a password
    per_letter_locks: bool  # the run lock covers one letter (else the whole journal)

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor: ...

    @abstractmethod
    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[Engine]:
        """One transaction; committed so that it survives a power cut when ``durable``,
        otherwise so that it survives the process being killed."""

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Held while migrations are checked and applied."""
        yield

    @abstractmethod
    def hold(self, name: str) -> AbstractContextManager[None]:
        """A lock on a name that other processes wait for (the run lock is another)."""

    def reset_identity(self, table: str, column: str) -> None:
        """After rows were copied in with their ids: new rows continue after the highest
        (SQLite does so by itself)."""
        return

    @abstractmethod
    def try_lock(self, scope: str) -> bool: ...

    @abstractmethod
    def unlock(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


def lock_sqlite_file(path: Path) -> IO[str] | None:
    """The run lock of a SQLite journal: a lock on the file beside it, released on close."""
    handle = path.with_name(path.name + ".lock").open("a", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class SqliteEngine(Engine):
    kind = "sqlite"
    per_letter_locks = False  # one writer per file: a run locks the whole journal, as before

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self._lock_file: IO[str] | None = None
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA busy_timeout = 10000")
        self.db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode survives the process being killed; the one commit that must
        # also survive a power cut, "sending" before the data, is made FULL (see transaction).
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> sqlite3.Cursor:
        return self.db.executemany(sql, rows)

    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[Engine]:
        if durable:  # SQLite fixes the level before BEGIN
            self.db.execute("PRAGMA synchronous = FULL")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        finally:
            if durable:
                self.db.execute("PRAGMA synchronous = NORMAL")

    def try_lock(self, scope: str) -> bool:
        self._lock_file = lock_sqlite_file(self.path)
        return self._lock_file is not None

    def unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        # one machine, one file: a lock beside the journal stands for every name
        with self.path.with_name(self.path.name + ".decisions.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def close(self) -> None:
        self.unlock()
        self.db.close()


def open_engine(target: str | Path, password: str | None = None) -> Engine:
    """A ``postgresql://`` URL is PostgreSQL; anything else is a SQLite file."""
    if is_postgresql(target):
        from mailer.journal.pg import PostgresEngine  # psycopg loads only for a server

        return PostgresEngine(str(target), password)
    return SqliteEngine(Path(target))
