"""The journal: numbered migrations, one sending run at a time, state history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mailer.errors import JournalError
from mailer.journal import MIGRATIONS, Journal


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
    with pytest.raises(JournalError, match="не открывается"):
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
