"""The journal's two database engines, below journal.py: SQLite for one person, PostgreSQL for
an office where several machines write one journal.

journal.py is written once, in SQLite's SQL (``?`` placeholders, ``INTEGER PRIMARY KEY``,
``INSERT OR IGNORE``, ``lastrowid``, sqlite3's exceptions). Each engine gives it one
connection-like object: ``execute``/``executemany`` returning a cursor, ``transaction`` (with
the durability of its commit), the run lock and the schema lock. The PostgreSQL engine
translates each statement once, here, so a statement added to journal.py runs on both without
its author thinking about PostgreSQL, and turns psycopg's errors into sqlite3's classes, so
``except sqlite3.IntegrityError`` in the journal means the same on both.

Why no ORM or query builder: journal.py holds about 40 hand-written statements; SQLAlchemy Core
would rewrite every one of them (and every one added by others) plus the migrations, for the
same SQL in the end; the translation below is a few regular expressions tested against every
statement and migration.
"""

from __future__ import annotations

import fcntl
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

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


# PostgreSQL


def _pg_errors() -> list[tuple[type[BaseException], type[sqlite3.Error]]]:
    import psycopg

    return [
        (psycopg.IntegrityError, sqlite3.IntegrityError),
        (psycopg.ProgrammingError, sqlite3.OperationalError),  # no such table, bad SQL
        (psycopg.OperationalError, sqlite3.OperationalError),
        (psycopg.Error, sqlite3.DatabaseError),
    ]


_QUOTED = re.compile(r"('(?:[^']|'')*')")
_TYPES = [
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.I),
     "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),  # SQLite's integers are 64-bit
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bIFNULL\s*\(", re.I), "COALESCE("),
]  # fmt: skip
# In table definitions only: SQLite keeps these as integers and text, and so must we (a column
# read back must be the same Python value on both engines).
_DDL_TYPES = [
    (re.compile(r"\bBOOLEAN\b", re.I), "BIGINT"),
    (re.compile(r"\b(DATETIME|TIMESTAMP|DATE)\b", re.I), "TEXT"),
    (re.compile(r"\)\s*(WITHOUT\s+ROWID|STRICT)(\s*,\s*(WITHOUT\s+ROWID|STRICT))?\s*$", re.I), ")"),
]  # fmt: skip
_DDL = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE)\b", re.I)
_CREATE = re.compile(
    r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(\s*(\w+)\s+INTEGER\s+PRIMARY\s+KEY",
    re.I,
)
_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.I)
_UNSUPPORTED = re.compile(
    r"^\s*PRAGMA\b|\b(INSERT\s+OR\s+(REPLACE|ABORT|FAIL|ROLLBACK)|REPLACE\s+INTO)\b"
    r"|(?<!WITHOUT )\browid\b"
    r"|\b(datetime|julianday|strftime|group_concat|json_extract)\s*\(",
    re.I,
)


def translate(sql: str, identity: dict[str, str]) -> tuple[str, str | None]:
    """SQLite's SQL as PostgreSQL's, and the identity column an INSERT returns for
    ``lastrowid``. ``identity`` (table to its INTEGER PRIMARY KEY column) learns new tables."""
    if _UNSUPPORTED.search(sql):
        raise sqlite3.NotSupportedError(f"SQLite-only statement, no PostgreSQL form: {sql}")
    if created := _CREATE.match(sql):
        identity[created.group(1).lower()] = created.group(2)
    pieces = _QUOTED.split(sql)
    for index in range(0, len(pieces), 2):  # outside string literals
        piece = pieces[index].replace("%", "%%").replace("?", "%s")
        for pattern, replacement in _TYPES + (_DDL_TYPES if _DDL.match(sql) else []):
            piece = pattern.sub(replacement, piece)
        pieces[index] = piece
    for index in range(1, len(pieces), 2):
        pieces[index] = pieces[index].replace("%", "%%")
    out = "".join(pieces).rstrip().rstrip(";")
    returning = None
    if inserted := _INSERT.match(out):
        if inserted.group(1):
            out = out.replace(inserted.group(0), f"INSERT INTO {inserted.group(2)}", 1)
            out += " ON CONFLICT DO NOTHING"
        # lastrowid from RETURNING, unless the statement returns rows of its own
        if not re.search(r"\bRETURNING\b", out, re.I):
            returning = identity.get(inserted.group(2).lower())
            if returning:
                out += f" RETURNING {returning}"
    return out, returning


class PgCursor:
    """What journal.py uses of sqlite3.Cursor."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Row(tuple[Any, ...]):
    """A row read by position or by column name, as sqlite3.Row."""

    _index: dict[str, int] = {}  # noqa: RUF012 - set per set of columns

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


_ROW_TYPES: dict[tuple[str, ...], type[Row]] = {}


def _row_factory(cursor: Any) -> Any:
    names = tuple(column.name for column in cursor.description or ())
    kind = _ROW_TYPES.get(names)
    if kind is None:
        kind = _ROW_TYPES[names] = type(
            "Row", (Row,), {"_index": {n: i for i, n in enumerate(names)}}
        )
    return lambda values: kind(values)


class PostgresEngine(Engine):
    kind = "postgresql"
    per_letter_locks = True  # an advisory lock per letter: operators send different letters

    def __init__(self, url: str, password: str | None = None) -> None:
        import psycopg
        from psycopg.adapt import Loader

        self.label = describe(url)
        self._errors = _pg_errors()
        self._identity: dict[str, str] = {}
        self._cache: dict[str, tuple[str, str | None]] = {}
        self._locked: int | None = None
        with self._mapped():
            self.db = psycopg.connect(
                url, autocommit=True, row_factory=_row_factory, password=password,
                connect_timeout=10, application_name="mailer",
            )  # fmt: skip

            class NumberLoader(Loader):  # SUM() over integers is numeric: an int, as in SQLite
                def load(self, data: Any) -> int | float:
                    text = bytes(data).decode()
                    return float(text) if "." in text or "e" in text.lower() else int(text)

            self.db.adapters.register_loader("numeric", NumberLoader)
            # Committed changes survive the process being killed (the server has them); only
            # a durable transaction waits for the disk, as SQLite's NORMAL and FULL.
            self.db.execute("SET synchronous_commit = off")
            self.db.execute("SET lock_timeout = '10s'")  # SQLite's busy_timeout
            for table, column in self.db.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND is_identity = 'YES'"
            ):
                self._identity[table] = column

    @contextmanager
    def _mapped(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error:
            raise
        except Exception as exc:
            for theirs, ours in self._errors:
                if isinstance(exc, theirs):
                    raise ours(str(exc).strip()) from exc
            raise

    def _sql(self, sql: str) -> tuple[str, str | None]:
        cached = self._cache.get(sql)
        if cached is None:
            cached = translate(sql, self._identity)
            if not re.match(r"\s*(CREATE|ALTER|DROP)\b", sql, re.I):
                self._cache[sql] = cached
            else:
                self._cache.clear()  # a new table may change what an INSERT returns
        return cached

    def execute(self, sql: str, params: Params = ()) -> PgCursor:
        query, returning = self._sql(sql)
        values = [int(p) if isinstance(p, bool) else p for p in params]
        with self._mapped():
            cursor = self.db.execute(query.encode(), values)
            rows = cursor.fetchall() if cursor.description else []
        lastrowid = None
        if returning is not None:
            lastrowid = rows[0][0] if rows else None
            rows = []
        return PgCursor(rows, cursor.rowcount, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Params]) -> PgCursor:
        query, returning = self._sql(sql)
        if returning is not None:
            query = query[: query.rfind(" RETURNING ")]
        values = [[int(p) if isinstance(p, bool) else p for p in row] for row in rows]
        with self._mapped(), self.db.cursor() as cursor:
            cursor.executemany(query.encode(), values)
            return PgCursor([], cursor.rowcount, None)

    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[Engine]:
        with self._mapped():
            self.db.execute("BEGIN")
        try:
            yield self
        except BaseException:
            with self._mapped():
                self.db.execute("ROLLBACK")
            raise
        with self._mapped():  # the level goes with the COMMIT: one round trip
            self.db.execute("SET LOCAL synchronous_commit = on; COMMIT" if durable else "COMMIT")

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        # two operators opening a new journal at once: one applies the migrations
        with self._mapped():
            self.db.execute("SELECT pg_advisory_lock(hashtextextended('mailer:schema', 0))")
        try:
            yield
        finally:
            with self._mapped():
                self.db.execute("SELECT pg_advisory_unlock(hashtextextended('mailer:schema', 0))")

    def reset_identity(self, table: str, column: str) -> None:
        from psycopg import sql

        statement = sql.SQL(
            "SELECT setval(pg_get_serial_sequence({table}, {column}), "
            "COALESCE(MAX({name}), 0) + 1, false) FROM {ident}"
        ).format(
            table=table, column=column, name=sql.Identifier(column), ident=sql.Identifier(table)
        )
        with self._mapped():
            self.db.execute(statement)

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        key = ["mailer:hold:" + name]
        with self._mapped():
            self.db.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", key)
        try:
            yield
        finally:
            if not self.db.closed:
                with self._mapped():
                    self.db.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", key)

    def try_lock(self, scope: str) -> bool:
        # a session lock: a holder that dies loses it with its connection
        with self._mapped():
            row = self.db.execute(
                "SELECT hashtextextended(%s, 0), pg_try_advisory_lock(hashtextextended(%s, 0))",
                ["mailer:run:" + scope] * 2,
            ).fetchone()
        assert row is not None
        if row[1]:
            self._locked = int(row[0])
        return bool(row[1])

    def unlock(self) -> None:
        if self._locked is not None and not self.db.closed:
            with self._mapped():
                self.db.execute("SELECT pg_advisory_unlock(%s)", [self._locked])
        self._locked = None

    def close(self) -> None:
        if not self.db.closed:
            self.unlock()
            self.db.close()


def open_engine(target: str | Path, password: str | None = None) -> Engine:
    """A ``postgresql://`` URL is PostgreSQL; anything else is a SQLite file."""
    if is_postgresql(target):
        return PostgresEngine(str(target), password)
    return SqliteEngine(Path(target))
