"""The journal: numbered migrations, one sending run at a time, state history."""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mailer.errors import JournalError
from mailer.journal import MIGRATIONS, Journal
from mailer.outbox import GroupCommit
from tests.conftest import run
from tests.smtp_server import SmtpServer


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


def test_an_empty_journal_file_is_refused_and_nothing_is_sent(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    journal = workdir / "journal.db"
    journal.write_bytes(b"")  # a journal cut to 0 bytes is not "nothing sent yet"
    for args in (["send", "quality-week", "--yes"], ["status", "quality-week"], ["letters"]):
        result = run(args, env=smtp_server.env())
        assert result.exit_code == 6, (args, result.output)
        assert "пуст (0 байт)" in result.output
        assert "Traceback" not in result.output
    assert smtp_server.handler.messages == []
    assert journal.read_bytes() == b""


def test_an_unreadable_journal_is_refused(workdir: Path, smtp_server: SmtpServer) -> None:
    (workdir / "journal.db").mkdir()  # something there that cannot be read as a file
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 6, result.output
    assert "недоступен" in result.output
    assert smtp_server.handler.messages == []


def test_commands_that_only_read_never_create_a_journal(workdir: Path) -> None:
    journal = workdir / "journal.db"
    for args in (
        ["status", "quality-week"],
        ["report", "quality-week"],
        ["track", "quality-week", "--source", str(workdir)],
        ["mark", "quality-week", "lipetsk", "--replied"],
        ["remind", "quality-week", "--skip-track"],
    ):
        result = run(args)
        assert result.exit_code == 3, (args, result.output)
        assert "ещё не отправлялось" in result.output
    assert run(["letters"]).exit_code == 0
    assert not journal.exists()
    assert not list(workdir.glob("journal.db*"))


def test_a_journal_of_the_previous_schema_is_upgraded_with_its_record(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    """A journal written by schema 3: its letter, sends, bounce, hand mark and reminder are kept,
    and every command works on it."""
    path = workdir / "journal.db"
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute(
            "CREATE TABLE schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for version, name, statements in MIGRATIONS[:3]:
            for statement in statements:
                db.execute(statement)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, 'x')", (version, name))
        at = "2023-10-12T09:00:00.000+00:00"
        db.execute(
            "INSERT INTO letters VALUES ('quality-week', 'О Всемирной неделе качества', "
            "'02-06-4425И38/10/-3327', '2023-10-12', ?)",
            (at,),
        )
        for number, (rid, email) in enumerate(
            [
                ("lipetsk", "glava@lipetsk.example.org"),
                ("zadonsk", "glava@zadonsk.example.org"),
                ("gryazi", "glava@gryazi.example.org"),
            ],
            start=1,
        ):
            db.execute(
                "INSERT INTO deliveries (id, letter, recipient_id, emails, message_id, state, "
                "attempts, created_at, updated_at, sent_at) "
                "VALUES (?, 'quality-week', ?, ?, ?, 'sent', 1, ?, ?, ?)",
                (number, rid, email, f"<{rid}@economy.example.org>", at, at, at),
            )
        db.execute(
            "INSERT INTO replies (letter, delivery_id, message_id, kind, matched_by, detail, "
            "recorded_at) VALUES ('quality-week', 2, '<b@r>', 'bounce', 'bounced address', "
            "'glava@zadonsk.example.org: 5.1.1 User unknown', ?)",
            (at,),
        )
        db.execute(
            "INSERT INTO replies (letter, delivery_id, message_id, kind, matched_by, detail, "
            "received_at, recorded_at) VALUES ('quality-week', 3, '<m@x>', 'manual', 'manual', "
            "'СЭД', ?, ?)",
            (at, at),
        )
        db.execute(
            "INSERT INTO reminders (delivery_id, sequence, message_id, state, created_at, "
            "updated_at, sent_at) VALUES (1, 1, '<r1@economy.example.org>', 'sent', ?, ?, ?)",
            (at, at, at),
        )
    with Journal(path) as journal:
        assert journal.schema_version() == max(v for v, _, _ in MIGRATIONS)
        assert journal.known_message_ids()["<r1@economy.example.org>"].recipient_id == "lipetsk"
    status = run(["status", "quality-week", "--format", "json"])
    assert status.exit_code == 0, status.output
    rows = {row["id"]: row for row in json.loads(status.output)}
    assert (rows["lipetsk"]["state"], rows["lipetsk"]["reminders"]) == ("sent", 1)
    assert rows["zadonsk"]["state"] == "bounced"
    assert rows["gryazi"]["state"] == "replied"
    assert rows["lipetsk"]["organization"] == "Городской округ город Липецк"  # from the list
    # the next send knows who already has the letter: the other 17 only
    sent = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert sent.exit_code == 0, sent.output
    assert "Уже отправлено раньше: 3" in sent.output
    assert len(smtp_server.handler.messages) == 17
