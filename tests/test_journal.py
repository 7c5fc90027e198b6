"""The journal: numbered migrations, one sending run at a time, state history."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mailer.errors import JournalError
from mailer.journal import MIGRATIONS, Journal
from mailer.outbox import GroupCommit


def test_migrations_are_recorded_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        assert journal.schema_version() == max(v for v, _, _ in MIGRATIONS)
    with Journal(path) as journal:  # reopening applies nothing again
        rows = journal.db.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert [tuple(r) for r in rows] == [(v, n) for v, n, _ in MIGRATIONS]


def test_a_newer_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    Journal(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    with pytest.raises(JournalError, match="более новой версией"):
        Journal(path)


def test_a_file_that_is_not_a_journal_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="журнал повреждён"):
        Journal(path)


def test_only_one_sending_run_at_a_time(tmp_path: Path) -> None:
    first = Journal(tmp_path / "j.db")
    first.lock()
    second = Journal(tmp_path / "j.db")
    with pytest.raises(JournalError, match="занят"):
        second.lock()
    first.close()
    second.lock()  # free again once the first run ends
    second.close()


def test_state_changes_are_kept_as_history(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        journal.ensure_letter("l", "Тема", "1", "2023-10-12")
        journal.ensure_deliveries("l", [("a", ("a@x.example.org",))], lambda rid: f"<{rid}@x>")
        delivery = journal.deliveries("l")["a"]
        ledger = journal.ledger(delivery.id)
        ledger.sending()
        ledger.deferred("451 later")
        ledger.sending()
        ledger.sent("250 ok")
        after = journal.deliveries("l")["a"]
        assert after.state == "sent"
        assert after.attempts == 2
        assert after.message_id == "<a@x>"
        states = [state for state, _ in journal.events(delivery.id)]
        assert states == ["pending", "sending", "pending", "sending", "sent"]


def test_interrupted_sends_become_uncertain(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        journal.ensure_letter("l", "Тема", "1", "2023-10-12")
        journal.ensure_deliveries(
            "l", [("a", ("a@x.example.org",)), ("b", ("b@x.example.org",))], lambda r: f"<{r}@x>"
        )
        journal.ledger(journal.deliveries("l")["a"].id).sending()
        assert journal.recover_interrupted("l") == ["a"]
        states = {rid: d.state for rid, d in journal.deliveries("l").items()}
    assert states == {"a": "uncertain", "b": "pending"}


def test_writes_of_several_connections_share_one_synced_commit(tmp_path: Path) -> None:
    """What the connections write in one turn of the event loop goes in one transaction,
    synced when any of it must survive a power cut; each writer resumes once it is committed,
    and a second reader of the file sees every change."""
    commits: list[bool] = []
    with Journal(tmp_path / "j.db") as journal:
        journal.ensure_letter("l", "Тема", "1", "2023-10-12")
        journal.ensure_deliveries(
            "l", [(r, (f"{r}@x.example.org",)) for r in "abc"], lambda rid: f"<{rid}@x>"
        )
        ids = {rid: d.id for rid, d in journal.deliveries("l").items()}

        @contextmanager
        def counted(durable: bool) -> Iterator[None]:
            commits.append(durable)
            with journal.batch(durable):
                yield

        async def connections() -> None:
            group = GroupCommit(counted)
            await asyncio.gather(
                group.write(journal.ledger(ids["a"]).sending, durable=True),
                group.write(functools.partial(journal.ledger(ids["b"]).sent, "250 ok")),
                group.write(functools.partial(journal.ledger(ids["c"]).failed, "550 no")),
            )
            await group.write(functools.partial(journal.ledger(ids["a"]).sent, "250 ok"))

        asyncio.run(connections())
    assert commits == [True, False]
    with sqlite3.connect(tmp_path / "j.db") as other:
        states = dict(other.execute("SELECT recipient_id, state FROM deliveries"))
    assert states == {"a": "sent", "b": "sent", "c": "failed"}
