"""`mailer journal copy`: an existing SQLite journal moved into PostgreSQL, verified by counts
and checksums. The SQLite file is only read (opened read-only): it stays as it was, the proof
of what was sent until the copy is trusted."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailer.errors import InputError, JournalError
from mailer.journal import MIGRATIONS, Journal
from mailer.journal.engine import Engine, describe, is_postgresql, lock_sqlite_file
from mailer.settings import Settings

SKIPPED = {"schema_migrations", "run_locks"}  # made by the target itself; a lock is transient
BATCH = 1000


@dataclass
class CopyResult:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)


def copy_journal(settings: Settings, target: str) -> CopyResult:
    if is_postgresql(settings.db):
        raise InputError(
            f"Журнал {describe(settings.db)} уже на сервере PostgreSQL: копировать нечего.",
            hint="Укажите в MAILER_DB путь к файлу журнала SQLite, который нужно перенести.",
        )
    if not is_postgresql(target):
        raise InputError(
            f"«{target}» — не адрес базы PostgreSQL.",
            hint="Адрес пишется так: postgresql://пользователь@сервер:5432/база.",
        )
    path = Path(settings.db)
    if not path.is_file():
        raise InputError(f"Файла журнала {path} нет: копировать нечего.")
    held = lock_sqlite_file(path)  # no send or reminder writes to it while it is copied
    if held is None:
        raise JournalError(
            f"Журнал {path} занят: рассылка идёт в другом окне или процессе.",
            hint="Дождитесь её окончания и запустите перенос снова.",
        )
    try:
        source = _open_read_only(path)
    except BaseException:
        held.close()
        raise
    password = settings.db_password.get_secret_value() if settings.db_password else None
    try:
        with Journal(target, settings.operator, password=password) as journal:
            tables = _tables(source)
            _refuse_if_not_empty(journal.db, tables, describe(target))
            with journal.db.transaction(durable=True) as db:
                for table in tables:
                    columns = _common_columns(source, db, table)
                    names = ", ".join(columns)
                    marks = ", ".join("?" * len(columns))
                    rows = source.execute(f"SELECT {names} FROM {table}")  # noqa: S608 - ours
                    while chunk := rows.fetchmany(BATCH):
                        db.executemany(
                            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                            chunk,
                        )
                    if "id" in columns:
                        db.reset_identity(table, "id")
        result = CopyResult(str(path), describe(target))
        with Journal(target, settings.operator, password=password) as journal:  # read back
            for table in tables:
                columns = _common_columns(source, journal.db, table)
                ours = _digest(source.execute(_select(table, columns)))
                theirs = _digest(journal.db.execute(_select(table, columns)))
                if ours != theirs:
                    raise JournalError(
                        f"Копия журнала в {describe(target)} не сошлась с файлом {path}: "
                        f"таблица {table}, строк {ours[0]} и {theirs[0]}.",
                        hint="Файл журнала не изменён. Очистите базу и повторите перенос.",
                    )
                result.counts[table] = ours[0]
    finally:
        source.close()
        held.close()
    return result


def _open_read_only(path: Path) -> sqlite3.Connection:
    # Closed cleanly, a journal is its one file: read as immutable, SQLite creates nothing beside
    # it. A write-ahead log left by a crash holds changes too: read through it (read-only).
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    source = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    try:
        version = source.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        source.close()
        raise JournalError(f"Журнал {path} не читается: {exc}.") from None
    newest = max(v for v, _, _ in MIGRATIONS)
    if version is None or version > newest:
        source.close()
        raise JournalError(
            f"Журнал {path} создан другой версией программы (схема {version}).",
            hint="Перенесите его той версией mailer, что с ним работала.",
        )
    return source


def _tables(source: sqlite3.Connection) -> list[str]:
    """The tables in an order where each comes after those it refers to."""
    names = [
        row[0]
        for row in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        if row[0] not in SKIPPED
    ]
    refers = {
        name: {row[2] for row in source.execute(f"PRAGMA foreign_key_list({name})")} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and refers[n] <= set(ordered)]
        if not ready:  # a cycle: cannot happen in our schema; keep the rest as they are
            ready = [n for n in names if n not in ordered]
        ordered.extend(ready)
    return ordered


def _common_columns(source: sqlite3.Connection, target: Engine, table: str) -> list[str]:
    """The source's columns the target has too (an older file lacks the newer ones)."""
    theirs = {
        row[0]
        for row in target.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
    }
    ours = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
    missing = [name for name in ours if name not in theirs]
    if not theirs or missing:
        raise JournalError(
            f"В базе нет таблицы или столбцов журнала: {table} {', '.join(missing)}.",
            hint="Файл журнала не изменён. Обновите mailer до версии, что создала этот файл.",
        )
    return ours


def _refuse_if_not_empty(db: Engine, tables: list[str], label: str) -> None:
    for table in tables:
        if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():  # noqa: S608 - ours
            raise InputError(
                f"В базе {label} уже есть журнал (таблица {table} не пуста): "
                "поверх него журнал не копируется.",
                hint="Создайте для переноса пустую базу (createdb) и укажите её адрес.",
            )


def _select(table: str, columns: list[str]) -> str:
    return f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 - our names


def _digest(rows: Any) -> tuple[int, str]:
    """Row count and a checksum that does not depend on the order rows come in."""
    lines = sorted(repr(tuple(row)).encode() for row in rows)
    digest = hashlib.sha256()
    for line in lines:
        digest.update(hashlib.sha256(line).digest())
    return len(lines), digest.hexdigest()
