"""The journal on both engines: numbered migrations, one sending run at a time, state history
with the operator, group commit; every statement of journal.py run on PostgreSQL."""

from __future__ import annotations

import ast
import asyncio
import functools
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mailer.errors import JournalError
from mailer.journal import MIGRATIONS, Journal, ReplyRecord
from mailer.journal import base as journal_module
from mailer.journal.engine import describe
from mailer.journal.pg import translate
from mailer.outbox import GroupCommit
from mailer.states import EVENT_KINDS, DeliveryState, Mark, ReplyKind, event_kind
from tests.conftest import run
from tests.pg_server import PgServer, query
from tests.smtp_server import SmtpServer

BOTH_ENGINES = True
# a test of the SQLite file itself
SQLITE_ONLY = pytest.mark.parametrize("journal_db", ["sqlite"], indirect=True)


def test_migrations_are_recorded_and_applied_once(journal_db: str) -> None:
    with Journal(journal_db) as journal:
        assert journal.schema_version() == max(v for v, _, _ in MIGRATIONS)
    with Journal(journal_db) as journal:  # reopening applies nothing again
        rows = journal.db.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert [tuple(r) for r in rows] == [(v, n) for v, n, _ in MIGRATIONS]


def test_a_failed_migration_leaves_nothing_half_done(
    journal_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Journal(journal_db).close()
    newest = max(v for v, _, _ in MIGRATIONS)
    broken = (newest + 1, "broken", ["CREATE TABLE half (id INTEGER PRIMARY KEY)", "NOT SQL"])
    monkeypatch.setattr(journal_module, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(JournalError, match="недоступен"):
        Journal(journal_db)
    monkeypatch.undo()
    with Journal(journal_db) as journal:
        assert journal.schema_version() == newest
        with pytest.raises(sqlite3.OperationalError):  # no such table: rolled back with it
            journal.db.execute("SELECT * FROM half")


def test_a_newer_journal_is_refused(journal_db: str) -> None:
    Journal(journal_db).close()
    query(journal_db, "INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    with pytest.raises(JournalError, match="более новой версией"):
        Journal(journal_db)


def test_a_file_that_is_not_a_journal_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="журнал повреждён"):
        Journal(path)


def test_a_server_that_does_not_answer_is_a_clear_error(postgres: PgServer) -> None:
    url = postgres.url("nosuchdb").replace("office@", "office:secret-word@")
    with pytest.raises(JournalError, match="недоступен") as caught:
        Journal(url)
    assert "nosuchdb" in caught.value.message
    assert "secret-word" not in caught.value.message  # the password is never shown
    assert describe(url) == postgres.url("nosuchdb")


def test_only_one_sending_run_at_a_time(journal_db: str) -> None:
    first = Journal(journal_db, "Иванова")
    first.lock("l")
    second = Journal(journal_db, "Петров")
    with pytest.raises(JournalError, match="занят") as caught:
        second.lock("l")
    # the second operator is told who holds it
    assert "письмо «l» сейчас отправляет Иванова" in caught.value.message
    if journal_db.startswith("postgresql://"):
        second.lock("other")  # another letter goes at the same time
        second.unlock()
    first.close()
    second.lock("l")  # free again once the first run ends
    second.close()


def test_state_changes_are_kept_as_history_with_the_operator(journal_db: str) -> None:
    with Journal(journal_db, "Иванова") as journal:
        journal.ensure_letter("l", "Тема", "1", "2023-10-12")
        journal.ensure_deliveries("l", [("a", ("a@x.example.org",))], lambda rid: f"<{rid}@x>")
        delivery = journal.deliveries("l")["a"]
        ledger = journal.ledger(delivery.id)
        ledger.sending()
        ledger.deferred("451 later")
    with Journal(journal_db, "Петров") as journal:
        ledger = journal.ledger(delivery.id)
        ledger.sending()
        ledger.sent("250 ok")
        after = journal.deliveries("l")["a"]
        assert after.state == "sent"
        assert after.attempts == 2
        assert after.message_id == "<a@x>"
        states = [state for state, _ in journal.events(delivery.id)]
        assert states == ["pending", "sending", "pending", "sending", "sent"]
        history = [(h.state, h.operator) for h in journal.history("l")]
    assert history == [
        ("pending", "Иванова"),
        ("sending", "Иванова"),
        ("pending", "Иванова"),
        ("sending", "Петров"),
        ("sent", "Петров"),
    ]


def test_interrupted_sends_become_uncertain(journal_db: str) -> None:
    with Journal(journal_db) as journal:
        journal.ensure_letter("l", "Тема", "1", "2023-10-12")
        journal.ensure_deliveries(
            "l", [("a", ("a@x.example.org",)), ("b", ("b@x.example.org",))], lambda r: f"<{r}@x>"
        )
        journal.ledger(journal.deliveries("l")["a"].id).sending()
    with Journal(journal_db) as journal:  # the next run, after a crash
        assert journal.recover_interrupted("l") == ["a"]
        states = {rid: d.state for rid, d in journal.deliveries("l").items()}
    assert states == {"a": "uncertain", "b": "pending"}


def test_writes_of_several_connections_share_one_synced_commit(journal_db: str) -> None:
    """What the connections write in one turn of the event loop goes in one transaction,
    synced when any of it must survive a power cut; each writer resumes once it is committed,
    and a second reader of the journal sees every change."""
    commits: list[bool] = []
    with Journal(journal_db) as journal:
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
        states = dict(query(journal_db, "SELECT recipient_id, state FROM deliveries"))
    assert states == {"a": "sent", "b": "sent", "c": "failed"}


def test_only_the_sending_mark_waits_for_the_disk(postgres: PgServer) -> None:
    """On PostgreSQL, as SQLite's NORMAL and FULL: a commit survives the process being killed
    (the server has it); the durable batch ("sending" before the data) also waits for the disk."""
    with Journal(postgres.new_database()) as journal:
        levels = {}
        for durable in (False, True):
            with journal.batch(durable):
                (row,) = journal.db.execute("SELECT current_setting('synchronous_commit')")
                levels[durable] = row[0]
        (outside,) = journal.db.execute("SELECT current_setting('synchronous_commit')")
    assert levels == {False: "off", True: "on"}
    assert outside[0] == "off"


def test_every_journal_method_runs(journal_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each public method of the journal once, with what it returns: on PostgreSQL this runs
    every statement of journal.py through the translation. A method added to the journal and
    not called here fails the test, so that it runs on both engines too."""
    called: set[str] = set()
    public = {
        name
        for part in Journal.__mro__  # the Journal is composed of a class per concern
        if part.__module__.startswith("mailer.journal.")
        for name, value in vars(part).items()
        if callable(value) and not name.startswith("_") and name not in ("close",)
    }
    for name in public:
        method = getattr(Journal, name)

        def recorded(*args: object, _name: str = name, _method: Any = method, **kw: object) -> Any:
            called.add(_name)
            return _method(*args, **kw)

        monkeypatch.setattr(Journal, name, recorded)
    _every_method(journal_db)
    assert public <= called, f"not run on both engines: {sorted(public - called)}"


def _every_method(journal_db: str) -> None:
    with Journal(journal_db, "Иванова") as journal:
        journal.ensure_letter("l", "Тема", "7", "2023-10-12")
        journal.ensure_letter("l", "Тема 2", "7", "2023-10-12")  # the subject follows
        make = functools.partial("<{}@x>".format)
        journal.ensure_deliveries("l", [("a", ("a@x.org",)), ("b", ("b@x.org",))], make)
        journal.ensure_deliveries("l", [("a", ("a2@x.org",))], make)  # a new address
        deliveries = journal.deliveries("l")
        assert deliveries["a"].emails == ("a2@x.org",)
        a, b = deliveries["a"].id, deliveries["b"].id
        assert journal.send_targets("l") == {
            "a": (a, "<a@x>", "pending"),
            "b": (b, "<b@x>", "pending"),
        }
        journal.ledger(a).sending()
        journal.ledger(a).sent("250 2.0.0 принято, 100% ok")  # a percent sign is data
        journal.ledger(b).sending()
        journal.ledger(b).uncertain("обрыв")
        assert journal.letters_overview() == [("l", "Тема 2", "7", "2023-10-12", 2, 1)]
        assert dict(journal.every_letter_number()) == {"l": "7"}
        assert [d.recipient_id for d in journal.all_deliveries()] == ["a", "b"]

        journal.add_reminders([(a, 1, "<r1@x>")])
        (reminder,) = journal.reminders("l")[a]
        assert (reminder.sequence, reminder.state) == (1, "pending")
        journal.reminder_ledger(reminder).sending()
        assert journal.recover_interrupted_reminders("l") == [a]
        assert set(journal.known_message_ids()) == {"<a@x>", "<b@x>", "<r1@x>"}

        reply = ReplyRecord(
            "l", a, "<reply@y>", ReplyKind.REPLY, "in-reply-to", "a@x.org", "Re", None
        )
        assert journal.record_reply(reply)
        assert not journal.record_reply(reply)  # the same message again: nothing new
        assert journal.has_reply("l", "<reply@y>")
        manual = ReplyRecord(
            "l", b, "<m@x>", ReplyKind.MANUAL, "manual", None, None, None, "по телефону"
        )
        journal.record_reply(manual)
        assert journal.revoke_manual("l", b) == 1
        review = ReplyRecord("l", None, "<rv@y>", ReplyKind.REVIEW, None, "c@x.org", "?", None)
        journal.record_reply(review)
        (listed,) = [r for r in journal.replies("l") if r.kind == "review"]
        assert listed.id is not None
        assert journal.dismiss_review("l", [listed.id], b) == 1
        assert [r.message_id for r in journal.replies("l")] == ["<reply@y>"]
        assert len(journal.replies("l", include_revoked=True)) == 3

        assert journal.mailbox_position("imap") is None
        journal.set_mailbox_position("imap", 4_000_000_000, 12)  # UIDVALIDITY is 32-bit unsigned
        journal.set_mailbox_position("imap", 4_000_000_000, 15)
        assert journal.mailbox_position("imap") == (4_000_000_000, 15)
        assert journal.recover_interrupted("l") == []
        operators = {row[0] for row in query(journal_db, "SELECT operator FROM events")}
        assert operators == {"Иванова"}
        assert query(journal_db, "SELECT operator FROM replies") == [("Иванова",)] * 3
        history = journal.history("l", "b")
        assert [h.state for h in history][-2:] == ["manual_revoked", "review_dismissed"]
        assert journal.last_operators("l") == {a: "Иванова", b: "Иванова"}
        assert journal.schema_version() == max(v for v, _, _ in MIGRATIONS)
        journal.check_free("l")
        with journal.deciding("l"), journal.transaction() as db:
            db.execute("UPDATE letters SET subject = ? WHERE key = ?", ("Тема 3", "l"))
        with journal.batch(durable=True):
            journal.ledger(b).deferred("451")
        journal.lock("l")
        journal.unlock()
        journal.lock_replies()
        journal.unlock()
        assert journal.events(b)[-1] == ("pending", "451")

        # the record (issue 10): versions, readdressing, bounces and review judged by hand
        assert journal.add_letter_version("l", "f1", '{"number": "7"}') == 1
        assert journal.add_letter_version("l", "f2", '{"number": "7-1"}') == 2
        assert [v[0] for v in journal.letter_versions("l")] == [1, 2]
        assert sorted(journal.every_letter_number()) == [("l", "7"), ("l", "7-1")]
        journal.assign_version([a, b], 2)
        assert {d.version for d in journal.deliveries("l").values()} == {2}
        assert journal.letters_index()[0][:2] == ("l", "7")
        journal.readdress(journal.deliveries("l")["b"], ("b2@x.org",), None, "<b2@x>")
        assert journal.deliveries("l")["b"].emails == ("b2@x.org",)
        bounce = ReplyRecord(
            "l", a, "<bn@y>", ReplyKind.BOUNCE, "bounced address", None, None, None
        )
        journal.record_reply(bounce)
        assert journal.revoke_bounces("l", a, "дошло") == 1
        review2 = ReplyRecord("l", None, "<rv2@y>", ReplyKind.REVIEW, None, "a2@x.org", "?", None)
        journal.record_reply(review2)
        (pending,) = [r for r in journal.replies("l") if r.kind == "review"]
        assert pending.id is not None
        assert journal.accept_review("l", pending.id, a, "ответ")


def test_every_statement_of_the_journal_translates() -> None:
    """Every SQL string of the journal package has a PostgreSQL form (the run above executes
    them). The PostgreSQL engine's own statements are PostgreSQL's already."""
    package = Path(journal_module.__file__).parent
    trees = [
        ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(package.glob("*.py"))
        if path.name != "pg.py"
    ]
    statements = [
        node.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b", node.value)
    ]
    assert len(statements) > 30
    # the migrations' statements too: some are made from the enums (f-strings, not constants)
    statements += [statement for _, _, made in MIGRATIONS for statement in made]
    identity: dict[str, str] = {}
    for statement in statements:
        translate(statement, identity)


def test_an_answer_waits_while_reminders_are_decided(journal_db: str) -> None:
    """track on another machine records an answer only once the reminders' decision is
    recorded, never in the middle of it."""
    with Journal(journal_db) as journal:
        journal.ensure_letter("l", "Тема", "1", "2023-10-12")
        journal.ensure_deliveries("l", [("a", ("a@x.org",))], lambda rid: f"<{rid}@x>")
        delivery_id = journal.deliveries("l")["a"].id
        reply = ReplyRecord(
            "l", delivery_id, "<re@y>", ReplyKind.REPLY, "thread", "a@x.org", "Re", None
        )
        recorded = threading.Event()

        def track_elsewhere() -> None:
            with Journal(journal_db, "Сидорова") as other:
                other.record_reply(reply)
            recorded.set()

        with journal.deciding("l"):
            tracker = threading.Thread(target=track_elsewhere)
            tracker.start()
            assert not recorded.wait(0.5)
            assert not journal.has_reply("l", "<re@y>")
            journal.add_reminders([(delivery_id, 1, "<r1@x>")])
        tracker.join(timeout=30)
        assert recorded.is_set()
        assert [state for state, _ in journal.events(delivery_id)] == [
            "pending",
            "pending",
            "reply",
        ]


def test_a_failed_statement_rolls_its_transaction_back(journal_db: str) -> None:
    """As sqlite3 does, on both engines: the error is sqlite3's, nothing of the transaction
    stays, and the journal goes on working."""
    insert = (
        "INSERT INTO letters (key, subject, reg_number, reg_date, created_at) "
        "VALUES (?, ?, ?, ?, ?)"
    )

    def twice() -> None:
        with journal.transaction() as db:
            db.execute(insert, ("x", "Тема", "1", "2023-10-12", "now"))
            db.execute(insert, ("y", "Тема", "2", "2023-10-12", "now"))
            db.execute(insert, ("x", "Тема", "3", "2023-10-12", "now"))
            db.execute(insert, ("z", "Тема", "4", "2023-10-12", "now"))

    with Journal(journal_db) as journal:
        with pytest.raises(sqlite3.IntegrityError):
            twice()
        assert dict(journal.every_letter_number()) == {}
        journal.ensure_letter("x", "Тема", "5", "2023-10-12")
        assert dict(journal.every_letter_number()) == {"x": "5"}


def test_translation_of_sqlite_statements() -> None:
    identity: dict[str, str] = {}
    create, _ = translate("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, b BLOB)", identity)
    assert create == (
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT, b BYTEA)"
    )
    assert identity == {"t": "id"}
    assert translate("INSERT OR IGNORE INTO t (n) VALUES (?)", identity) == (
        "INSERT INTO t (n) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id",
        "id",
    )
    # what is inside a string literal stays as written, but for psycopg's %
    assert translate("SELECT '?', IFNULL(n, 0) FROM t WHERE s LIKE '5%'", identity)[0] == (
        "SELECT '?', COALESCE(n, 0) FROM t WHERE s LIKE '5%%'"
    )
    # SQLite's loose types stay what SQLite gives back: integers and ISO text
    assert translate("ALTER TABLE t ADD COLUMN seen BOOLEAN NOT NULL DEFAULT 0", identity)[0] == (
        "ALTER TABLE t ADD COLUMN seen BIGINT NOT NULL DEFAULT 0"
    )
    assert translate("CREATE TABLE u (k TEXT PRIMARY KEY, at DATETIME) WITHOUT ROWID", {})[0] == (
        "CREATE TABLE u (k TEXT PRIMARY KEY, at TEXT)"
    )
    assert translate("SELECT json_extract(facts, '$.number') FROM v", identity)[0] == (
        "SELECT (facts::json ->> 'number') FROM v"
    )
    assert translate("SELECT n FROM t WHERE n IS ? AND b IS NOT ?", identity)[0] == (
        "SELECT n FROM t WHERE n IS NOT DISTINCT FROM %s AND b IS DISTINCT FROM %s"
    )
    # a statement returning rows of its own keeps them
    assert translate("INSERT INTO t (n) VALUES (?) RETURNING id, n", identity) == (
        "INSERT INTO t (n) VALUES (%s) RETURNING id, n",
        None,
    )
    for sqlite_only in ["PRAGMA foreign_keys = ON", "REPLACE INTO t VALUES (1)",
                        "SELECT datetime('now')", "SELECT group_concat(n) FROM t"]:  # fmt: skip
        with pytest.raises(Exception, match="SQLite-only"):
            translate(sqlite_only, identity)


@SQLITE_ONLY
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


@SQLITE_ONLY
def test_an_unreadable_journal_is_refused(workdir: Path, smtp_server: SmtpServer) -> None:
    (workdir / "journal.db").mkdir()  # something there that cannot be read as a file
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 6, result.output
    assert "недоступен" in result.output
    assert smtp_server.handler.messages == []


@SQLITE_ONLY
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


@SQLITE_ONLY
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


def test_a_rebuilt_table_goes_on_numbering_after_its_rows(
    journal_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 4 rebuilds the replies table with its rows and their ids: a reply recorded after
    the upgrade gets the next id, on a server too, where the id counter is not SQLite's MAX+1."""
    monkeypatch.setattr(journal_module, "MIGRATIONS", MIGRATIONS[:3])
    with Journal(journal_db) as journal, journal.transaction() as db:
        db.execute("INSERT INTO letters VALUES ('w', 'О неделе', '01-02/3', '2023-10-12', 'x')")
        for n in (1, 2):
            db.execute(
                "INSERT INTO replies (letter, message_id, kind, recorded_at) "
                "VALUES ('w', ?, 'review', 'x')",
                (f"<{n}@old>",),
            )
    monkeypatch.setattr(journal_module, "MIGRATIONS", MIGRATIONS)
    with Journal(journal_db) as journal:
        assert journal.schema_version() == MIGRATIONS[-1][0]
        with journal.transaction() as db:
            db.execute(
                "INSERT INTO replies (letter, message_id, kind, recorded_at) "
                "VALUES ('w', '<3@new>', 'review', 'x')"
            )
            ids = [row[0] for row in db.execute("SELECT id FROM replies ORDER BY id")]
    assert ids == [1, 2, 3]


_TABLES_6 = ("deliveries", "events", "replies", "reminders", "earlier_messages")


def test_an_event_kind_is_read_back_as_the_member_it_was_written_as() -> None:
    """The events' column holds states, kinds and marks side by side: no two share a word."""
    kinds = [*DeliveryState, *ReplyKind, *Mark]
    assert len(EVENT_KINDS) == len(kinds)
    assert [event_kind(str(kind)) for kind in kinds] == kinds
    assert all(type(event_kind(str(kind))) is type(kind) for kind in kinds)


def test_a_journal_of_schema_5_keeps_every_row_and_then_refuses_a_bad_state(
    journal_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 6 rebuilds the tables whose states it checks: rows in every state, kind and
    mark keep their ids and values, the references between them hold, numbering goes on after
    them, and a state outside the enums is refused."""
    monkeypatch.setattr(journal_module, "MIGRATIONS", MIGRATIONS[:5])
    at = "2023-10-12T09:00:00.000+00:00"
    with Journal(journal_db, "Иванова") as journal, journal.transaction() as db:
        db.execute(
            "INSERT INTO letters VALUES ('w', 'О неделе', '01-02/3', '2023-10-12', ?, 'x')", (at,)
        )
        for n, state in enumerate(DeliveryState, start=1):
            db.execute(
                "INSERT INTO deliveries (id, letter, recipient_id, emails, message_id, state, "
                "created_at, updated_at, version, recipient) "
                "VALUES (?, 'w', ?, ?, ?, ?, ?, ?, 1, '{}')",
                (n * 10, f"r{n}", f"r{n}@x.org", f"<{n}@x>", state, at, at),
            )
            db.execute(
                "INSERT INTO reminders (delivery_id, sequence, message_id, state, created_at, "
                "updated_at) VALUES (?, 1, ?, ?, ?, ?)",
                (n * 10, f"<r{n}@x>", state, at, at),
            )
            db.execute(
                "INSERT INTO earlier_messages (delivery_id, message_id, emails, state, "
                "replaced_at) VALUES (?, ?, 'old@x.org', ?, ?)",
                (n * 10, f"<e{n}@x>", state, at),
            )
        for n, kind in enumerate(ReplyKind, start=1):
            db.execute(
                "INSERT INTO replies (letter, delivery_id, message_id, kind, recorded_at, "
                "failed_addresses, operator) VALUES ('w', 10, ?, ?, ?, 'a@x.org', 'Иванова')",
                (f"<k{n}@y>", kind, at),
            )
        for kind in [*DeliveryState, *ReplyKind, *Mark]:
            db.execute(
                "INSERT INTO events (delivery_id, at, state, detail, operator) "
                "VALUES (20, ?, ?, 'было', 'Иванова')",
                (at, kind),
            )
    before = {t: query(journal_db, f"SELECT * FROM {t} ORDER BY id") for t in _TABLES_6}  # noqa: S608
    assert all(before.values())
    monkeypatch.setattr(journal_module, "MIGRATIONS", MIGRATIONS)
    with Journal(journal_db, "Петрова") as journal:
        assert journal.schema_version() == 6
        assert {t: query(journal_db, f"SELECT * FROM {t} ORDER BY id") for t in _TABLES_6} == before  # noqa: S608
        assert {d.state for d in journal.deliveries("w").values()} == set(DeliveryState)
        assert {r.kind for r in journal.replies("w")} == set(ReplyKind)
        assert [e.state for e in journal.history("w", "r2")] == [*DeliveryState, *ReplyKind, *Mark]
        # numbering goes on after the rows kept, on a server too
        journal.ensure_deliveries("w", [("new", ("new@x.org",))], "<{}@x>".format)
        assert journal.deliveries("w")["new"].id == len(DeliveryState) * 10 + 1
        assert (
            max(row[0] for row in query(journal_db, "SELECT id FROM events"))
            == len(before["events"]) + 1
        )
        for bad in (
            "UPDATE deliveries SET state = 'bounced' WHERE id = 10",
            "UPDATE deliveries SET state = 'replied' WHERE id = 10",
            "UPDATE reminders SET state = 'sent ' WHERE delivery_id = 10",
            "UPDATE earlier_messages SET state = 'replied' WHERE delivery_id = 10",
            "UPDATE replies SET kind = 'unrelated' WHERE delivery_id = 10",
            "INSERT INTO events (delivery_id, at, state) VALUES (10, 'x', 'deferred')",
            # the references were renamed with the rebuilt deliveries, and still hold
            "INSERT INTO events (delivery_id, at, state) VALUES (999, 'x', 'sent')",
            "INSERT INTO reminders (delivery_id, sequence, message_id, state, created_at, "
            "updated_at) VALUES (999, 1, '<no@x>', 'pending', 'x', 'x')",
        ):
            with pytest.raises(sqlite3.IntegrityError), journal.transaction() as db:
                db.execute(bad)
    if not journal_db.startswith("postgresql://"):
        schema = " ".join(
            row[0]
            for row in query(journal_db, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")
        )
        assert "_v6" not in schema
