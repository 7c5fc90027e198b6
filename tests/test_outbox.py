"""The send loop's cancel and error paths, against a real SMTP server (aiosmtpd) and a real
journal: what the journal says afterwards is true of what the server received. Nothing the
server may have is left "pending" (it would be sent again), nothing it lacks is "sent", and a
letter handed over when the run stopped is "uncertain", or "sending" for the next run's
recovery to make so."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtplib.protocol import SMTPProtocol

from mailer.journal import Journal
from mailer.journal.engine import describe
from mailer.outbox import INTERRUPTED_IN_TRANSIT, Outbox, Outgoing, send_stream
from mailer.settings import Settings, load_settings
from mailer.states import OWED, DeliveryState
from tests.conftest import parse_strict
from tests.pg_server import query
from tests.smtp_server import SmtpServer
from tests.test_crash import COUNT, write_list

BOTH_ENGINES = True  # the journal on SQLite and on PostgreSQL

LETTER = "l"
SENDER = "ed@economy.example.org"
ACCEPTED = 3  # the server accepts this many; each connection's next letter then waits at DATA
CONNECTIONS = 2


def received(server: SmtpServer) -> Counter[str]:
    return Counter(
        str(parse_strict(item.data)["X-Mailer-Recipient"]) for item in server.handler.messages
    )


def rows(db: str) -> dict[str, tuple[str, int, str | None]]:
    """Per recipient: state, attempts and last error, as the journal holds them."""
    found = query(db, "SELECT recipient_id, state, attempts, last_error FROM deliveries")
    return {rid: (state, attempts, error) for rid, state, attempts, error in found}


def histories(db: str) -> dict[str, list[str]]:
    found = query(
        db,
        "SELECT d.recipient_id, e.state FROM events e JOIN deliveries d ON d.id = e.delivery_id "
        "ORDER BY e.id",
    )
    out: dict[str, list[str]] = {}
    for rid, state in found:
        out.setdefault(rid, []).append(state)
    return out


def count_states(db: str) -> Counter[str]:
    return Counter(state for state, _, _ in rows(db).values())


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def in_flight(db: str, server: SmtpServer, connections: int = CONNECTIONS) -> bool:
    """The letters the server took are recorded sent, and each connection has handed its next
    one over, held at DATA. (Two letters at DATA together may both pass the server's count of
    ACCEPTED: it takes three or four.)"""
    counted = count_states(db)
    accepted = len(server.handler.messages)
    return (
        accepted >= ACCEPTED
        and counted[DeliveryState.SENT] == accepted
        and counted[DeliveryState.SENDING] == connections
    )


def message(rid: str) -> bytes:
    return (
        f"From: {SENDER}\r\nTo: {rid}@x.example.org\r\nSubject: test\r\n"
        f"Message-ID: <{rid}@x>\r\nX-Mailer-Recipient: {rid}\r\n\r\nText.\r\n"
    ).encode()


def outgoing(journal: Journal, count: int) -> list[Outgoing]:
    """A letter to ``count`` recipients, recorded pending, as the campaign records one."""
    journal.ensure_letter(LETTER, "Тема", "1", "2023-10-12")
    ids = [f"r{n:02d}" for n in range(count)]
    journal.ensure_deliveries(
        LETTER, [(rid, (f"{rid}@x.example.org",)) for rid in ids], lambda rid: f"<{rid}@x>"
    )
    targets = journal.send_targets(LETTER)
    return [
        Outgoing(rid, (f"{rid}@x.example.org",), message(rid), journal.ledger(targets[rid][0]))
        for rid in ids
    ]


@pytest.fixture
def settings(workdir: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in smtp_server.env(MAILER_SMTP_CONNECTIONS=str(CONNECTIONS)).items():
        monkeypatch.setenv(name, value)
    smtp_server.handler.hold_after = ACCEPTED
    # held past the client's timeout (10 s): a held letter never gets its 250 unless released
    smtp_server.handler.hold_seconds = 30
    return load_settings()


def cancel_by_task(
    settings: Settings, journal: Journal, jobs: list[Outgoing], db: str, server: SmtpServer
) -> None:
    """The run's task cancelled, as a caller stopping it does."""

    async def cancelled_in_flight() -> None:
        run = asyncio.create_task(
            Outbox(settings, SENDER, len(jobs), None, journal.batch).run(iter(jobs))
        )
        while not in_flight(db, server):
            assert not run.done(), run
            await asyncio.sleep(0.01)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(cancelled_in_flight())


def cancel_by_ctrl_c(
    settings: Settings, journal: Journal, jobs: list[Outgoing], db: str, server: SmtpServer
) -> None:
    """Ctrl-C, a real SIGINT to this process, while send_stream runs in its main thread."""

    def interrupt() -> None:
        wait_for(lambda: in_flight(db, server), "letters in flight")
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            send_stream(settings, SENDER, iter(jobs), len(jobs), batch=journal.batch)
    finally:
        watcher.join()


@pytest.mark.parametrize(
    "cancel",
    # each waits 5 s for its held connections to give up their QUIT; SIGINT takes the same path
    [cancel_by_task, pytest.param(cancel_by_ctrl_c, marks=pytest.mark.slow)],
    ids=["task", "ctrl-c"],
)
def test_a_cancelled_run_leaves_the_journal_true(
    settings: Settings,
    smtp_server: SmtpServer,
    journal_db: str,
    cancel: Callable[[Settings, Journal, list[Outgoing], str, SmtpServer], None],
) -> None:
    with Journal(journal_db, "Иванова") as journal:
        jobs = outgoing(journal, 10)
        cancel(settings, journal, jobs, journal_db, smtp_server)
    smtp_server.handler.released = True  # the held letters' connections are gone by now
    time.sleep(0.2)

    got = received(smtp_server)
    after = rows(journal_db)
    events = histories(journal_db)
    accepted = sum(got.values())
    assert sorted(got.values()) == [1] * accepted
    for rid, (state, attempts, error) in after.items():
        if rid in got:  # the server has it, and the journal says so
            assert (state, attempts) == (DeliveryState.SENT, 1), rid
            assert events[rid] == ["pending", "sending", "sent"], rid
        elif state == DeliveryState.UNCERTAIN:  # handed over when the run stopped
            # or, when the cancel met the server's 354 in the same turn (Python 3.11's
            # wait_for then swallows it), after its data went and no answer came
            assert error == INTERRUPTED_IN_TRANSIT or "ответ сервера не получен" in str(error)
            assert events[rid] == ["pending", "sending", "uncertain"], rid
        else:  # never handed over: owed, and no attempt counted
            assert (state, attempts) == (DeliveryState.PENDING, 0), rid
            assert events[rid] == ["pending"], rid
    # no letter handed over after the cancel: one in flight per connection, the rest owed
    assert count_states(journal_db) == {
        DeliveryState.SENT: accepted,
        DeliveryState.UNCERTAIN: CONNECTIONS,
        DeliveryState.PENDING: 10 - accepted - CONNECTIONS,
    }
    # what a next run would send again is what the server never got
    owed = {rid for rid, (state, _, _) in after.items() if state in OWED}
    assert not owed & set(got)

    with Journal(journal_db, "Петров") as journal:  # the next run: nothing left in flight
        assert journal.recover_interrupted(LETTER) == []
    assert rows(journal_db) == after


def mailer(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailer", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_taking_writes(journal_db: str) -> Callable[[], None]:
    """A SQLite journal's files made immutable (which binds root too); a server's session
    ended by its administrator. Returns what mends it."""
    if journal_db.startswith("postgresql://"):
        query(
            journal_db,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        return lambda: None
    files = [journal_db, journal_db + "-wal"]
    subprocess.run(["chattr", "+i", *files], check=True)

    def mend() -> None:
        subprocess.run(["chattr", "-i", *files], check=True)

    return mend


def test_a_journal_that_stops_taking_writes_mid_send_stops_the_run(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    """The journal stops taking writes while a letter waits at DATA: its "sent" cannot be
    written, the run stops with the journal's exit code, no letter goes after it, and the
    record of those before it is whole."""
    write_list(workdir / "recipients.csv")
    handler = smtp_server.handler
    handler.hold_after = ACCEPTED
    env = smtp_server.env(MAILER_DB=journal_db, MAILER_SMTP_CONNECTIONS="1")
    mend: Callable[[], None] | None = None
    process = mailer(["send", "quality-week", "--yes"], env)
    try:
        # the journal is read once the server has letters: a reader would create an empty file
        wait_for(lambda: len(handler.messages) == ACCEPTED, "the first letters")
        wait_for(lambda: in_flight(journal_db, smtp_server, 1), "the next letter handed over")
        mend = stop_taking_writes(journal_db)
        handler.released = True  # the server accepts it; the journal cannot say so
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if mend is not None:
            mend()

    assert process.returncode == 6, stderr
    assert "Traceback" not in stdout + stderr
    assert f"Ошибка журнала. Журнал {describe(journal_db)} недоступен" in stderr, stderr
    assert f"До ошибки отправлено писем: {ACCEPTED}." in stderr, stderr
    time.sleep(0.2)
    first, held = handler.messages[:ACCEPTED], handler.messages[ACCEPTED:]
    assert len(held) == 1, "a letter went after the journal failed"
    before = {str(parse_strict(item.data)["X-Mailer-Recipient"]) for item in first}
    (unrecorded,) = {str(parse_strict(item.data)["X-Mailer-Recipient"]) for item in held}
    after = rows(journal_db)
    events = histories(journal_db)
    assert len(after) == COUNT
    for rid, (state, attempts, _) in after.items():
        if rid in before:
            assert (state, attempts) == (DeliveryState.SENT, 1), rid
            assert events[rid] == ["pending", "sending", "sent"], rid
        elif rid == unrecorded:  # taken by the server, not recorded: in doubt, never owed
            assert (state, attempts) == (DeliveryState.SENDING, 1), rid
        else:
            assert (state, attempts) == (DeliveryState.PENDING, 0), rid
            assert events[rid] == ["pending"], rid

    with Journal(journal_db) as journal:  # the next run's recovery
        assert journal.recover_interrupted("quality-week") == [unrecorded]
    assert rows(journal_db)[unrecorded][0] == DeliveryState.UNCERTAIN


@pytest.mark.parametrize("journal_db", ["sqlite"], indirect=True)
def test_a_cancel_that_meets_the_servers_answer_still_stops_the_connection(
    settings: Settings,
    smtp_server: SmtpServer,
    journal_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelled in the very turn the server's 354 comes in, Python 3.11's wait_for (which
    aiosmtplib awaits every answer with) returns the answer and swallows the cancel. The
    connection finishes the letter in hand and records it, and hands over no other. The
    server and the client are real; only the moment of the cancel is chosen, by watching
    the client's bytes."""
    smtp_server.handler.hold_after = None
    receive = SMTPProtocol.data_received
    cancelled: list[asyncio.Task[object]] = []

    def received_then_cancel(protocol: SMTPProtocol, data: bytes) -> None:
        receive(protocol, data)
        if data.startswith(b"354") and not cancelled:
            for task in asyncio.all_tasks():
                if getattr(task.get_coro(), "__qualname__", "") == Outbox.connection.__qualname__:
                    cancelled.append(task)
                    task.cancel()

    monkeypatch.setattr(SMTPProtocol, "data_received", received_then_cancel)
    monkeypatch.setenv("MAILER_SMTP_CONNECTIONS", "1")
    with Journal(journal_db) as journal:
        jobs = outgoing(journal, 6)
        outbox = Outbox(load_settings(), SENDER, len(jobs), None, journal.batch)
        asyncio.run(outbox.run(iter(jobs)))  # its one connection stopped, the run ends

    assert len(cancelled) == 1
    assert cancelled[0].cancelled()
    assert list(received(smtp_server)) == ["r00"]
    assert {rid: state for rid, (state, _, _) in rows(journal_db).items()} == {
        "r00": DeliveryState.SENT,
        **{f"r0{n}": DeliveryState.PENDING for n in range(1, 6)},
    }
