"""One sending run per letter at a time (per journal on SQLite): the recovery of "sending" rows
relies on it, and the next run is told who holds it. Decisions on answers are held apart too."""

from __future__ import annotations

import os
import socket
import sqlite3
from contextlib import AbstractContextManager, suppress
from datetime import datetime

from mailer.errors import JournalError
from mailer.journal.base import JournalBase
from mailer.journal.records import timestamp


class RunLocks(JournalBase):
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
