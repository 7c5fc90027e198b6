"""Several operators on one PostgreSQL journal, each `mailer` a process of its own, as on two
machines: two letters at once, the same letter refused with who holds it, track beside remind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailer.journal import MIGRATIONS
from tests.conftest import parse_strict, run
from tests.imap_server import Dovecot
from tests.pg_server import PgServer, query
from tests.smtp_server import SmtpServer
from tests.test_remind import answer_some, reminders_received, send

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("journal_db", ["postgresql"], indirect=True),
]


def mailer(args: list[str], operator: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailer", *args],
        env={**os.environ, **env, "MAILER_OPERATOR": operator},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=120)
    return process.returncode, output


def _has_journal(url: str) -> bool:
    return query(url, "SELECT to_regclass('events') IS NOT NULL") == [(True,)]


def second_letter(workdir: Path) -> None:
    """Another letter: the sample under its own registration number (the same number would
    be the same letter to the journal)."""
    folder = workdir / "letters" / "another-letter"
    shutil.copytree(workdir / "letters" / "quality-week", folder)
    toml = folder / "letter.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("4425И38/10/-3327", "4425И38/10/-4000"), encoding="utf-8")


def by_letter(smtp_server: SmtpServer) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in smtp_server.handler.messages:
        message = parse_strict(item.data)
        out.setdefault(str(message["X-Mailer-Letter"]), []).append(
            str(message["X-Mailer-Recipient"])
        )
    return out


def test_operators_opening_a_new_journal_at_once_migrate_it_once(
    workdir: Path, journal_db: str
) -> None:
    runs = [mailer(["letters"], f"оператор {n}", {}) for n in range(4)]
    for process in runs:
        code, output = finish(process)
        assert code == 0, output
    versions = query(journal_db, "SELECT version FROM schema_migrations ORDER BY version")
    assert versions == [(v,) for v, _, _ in MIGRATIONS]


def test_two_operators_send_two_letters_at_once(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    # the server holds every letter after the third until both runs are mid-stream
    second_letter(workdir)
    smtp_server.handler.hold_after = 3
    smtp_server.handler.hold_seconds = 60  # however slow the machine is to start the second
    env = smtp_server.env(MAILER_SMTP_CONNECTIONS="2", MAILER_SMTP_TIMEOUT="90")
    first = mailer(["send", "quality-week", "--yes"], "Иванова", env)
    second = mailer(["send", "another-letter", "--yes"], "Петров", env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sending = query(
            journal_db,
            "SELECT DISTINCT d.letter FROM events e JOIN deliveries d ON d.id = e.delivery_id "
            "WHERE e.state = 'sending'",
        ) if _has_journal(journal_db) else []  # fmt: skip
        if len(sending) == 2:
            break
        time.sleep(0.05)
    smtp_server.handler.released = True
    for process in (first, second):
        code, output = finish(process)
        assert code == 0, output
    received = by_letter(smtp_server)
    recipients = len((workdir / "recipients.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert sorted(received) == ["another-letter", "quality-week"]
    for letter, ids in received.items():
        assert len(ids) == len(set(ids)) == recipients, letter
    # the runs overlapped in time, and each change is signed by its operator
    spans = query(
        journal_db,
        "SELECT d.letter, MIN(e.at), MAX(e.at), MIN(e.operator), MAX(e.operator) FROM events e "
        "JOIN deliveries d ON d.id = e.delivery_id WHERE e.state = 'sent' GROUP BY d.letter "
        "ORDER BY d.letter",
    )
    (_, start_a, end_a, *who_a), (_, start_b, end_b, *who_b) = spans
    assert start_a < end_b, spans  # one letter's first was sent before the other's last
    assert start_b < end_a, spans
    assert who_a == ["Петров", "Петров"]  # another-letter, then quality-week
    assert who_b == ["Иванова", "Иванова"]
    # a third terminal reads the status meanwhile and after
    status = run(["status", "quality-week"])
    assert status.exit_code == 0, status.output
    mine = json.loads(run(["status", "quality-week", "--format", "json"]).output)
    assert {row["operator"] for row in mine} == {"Иванова"}  # who made each row's last change
    rows = json.loads(run(["status", "another-letter", "--format", "json"]).output)
    assert {row["operator"] for row in rows} == {"Петров"}
    history = run(["history", "another-letter", "gryazi"])
    assert history.exit_code == 0, history.output
    assert "Петров" in history.output
    assert "отправлено" in history.output


def test_the_second_operator_of_a_letter_is_told_who_holds_it(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    smtp_server.handler.hold_after = 2  # the first run waits mid-stream until released
    smtp_server.handler.hold_seconds = 60
    env = smtp_server.env(MAILER_SMTP_CONNECTIONS="1", MAILER_SMTP_TIMEOUT="90")
    first = mailer(["send", "quality-week", "--yes"], "Иванова", env)
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    code, output = finish(mailer(["send", "quality-week", "--yes"], "Петров", env))
    smtp_server.handler.released = True
    assert code == 6, output
    assert "письмо «quality-week» сейчас отправляет Иванова" in output
    assert "процесс" in output
    assert "Traceback" not in output
    code, output = finish(first)
    assert code == 0, output
    ids = by_letter(smtp_server)["quality-week"]
    assert len(ids) == len(set(ids)) == 20
    assert query(journal_db, "SELECT COUNT(*) FROM run_locks") == [(0,)]  # released at the end


def test_a_dead_holder_releases_the_letter(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    smtp_server.handler.hold_after = 2
    env = smtp_server.env(MAILER_SMTP_CONNECTIONS="1")
    first = mailer(["send", "quality-week", "--yes"], "Иванова", env)
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the third letter is at DATA, marked "sending"
    first.kill()  # the machine is switched off: its connection goes, and the lock with it
    first.communicate()
    smtp_server.handler.released = True
    code, output = finish(mailer(["send", "quality-week", "--yes"], "Петров", env))
    assert code in (0, 1), output  # 1: one letter's outcome unknown, listed
    ids = by_letter(smtp_server)["quality-week"]
    assert len(ids) == len(set(ids)), "a letter was sent twice"
    states = dict(query(journal_db, "SELECT recipient_id, state FROM deliveries"))
    assert set(states.values()) <= {"sent", "uncertain"}
    assert all(rid in ids for rid, state in states.items() if state == "sent")


def test_the_server_lost_mid_send_stops_in_words_and_the_send_resumes(
    workdir: Path, smtp_server: SmtpServer, journal_db: str, postgres: PgServer
) -> None:
    smtp_server.handler.hold_after = 3
    smtp_server.handler.hold_seconds = 60
    env = smtp_server.env(MAILER_SMTP_CONNECTIONS="2", MAILER_SMTP_TIMEOUT="90")
    first = mailer(["send", "quality-week", "--yes"], "Иванова", env)
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    with postgres.admin() as conn:  # the server drops the sender's connection
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = 'mailer'",
            [journal_db.rsplit("/", 1)[1]],
        )
    smtp_server.handler.released = True
    code, output = finish(first)
    assert code == 6, output
    assert "недоступен" in output
    assert "Traceback" not in output
    assert "psycopg" not in output  # the driver's own warnings stay off the screen
    resumed = run(["send", "quality-week", "--yes"], env=smtp_server.env(MAILER_OPERATOR="Петров"))
    assert resumed.exit_code in (0, 1), resumed.output
    ids = by_letter(smtp_server)["quality-week"]
    assert len(ids) == len(set(ids)), "a letter was sent twice"
    states = dict(query(journal_db, "SELECT recipient_id, state FROM deliveries"))
    assert set(states.values()) <= {"sent", "uncertain"}
    assert {rid for rid, state in states.items() if state == "sent"} <= set(ids)


def test_track_and_remind_on_two_machines(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot, journal_db: str
) -> None:
    """`track` on one machine while `remind` runs on another: every answer recorded once,
    nobody who answered is reminded, nobody reminded twice; a second `remind` at the same
    time stops with who holds the letter, or finds nobody left to remind."""
    sent = send(workdir, smtp_server, dovecot)
    answer_some(sent, dovecot, workdir)
    env = {**smtp_server.env(MAILER_SMTP_CONNECTIONS="2"), **dovecot.env()}
    smtp_server.handler.data_delay = 0.02
    runs = [
        mailer(["track", "quality-week"], "Сидорова", env),
        mailer(["remind", "quality-week", "--yes", "--force"], "Иванова", env),
        mailer(["track", "quality-week"], "Сидорова", env),
        mailer(["remind", "quality-week", "--yes", "--force"], "Петров", env),
    ]
    results = [finish(process) for process in runs]
    for code, output in results[::2]:
        assert code == 0, output
    remind_codes = sorted(code for code, _ in results[1::2])
    assert remind_codes in ([0, 0], [0, 6]), results
    replies = query(journal_db, "SELECT message_id FROM replies WHERE kind != 'manual'")
    assert sorted(r[0] for r in replies) == sorted(
        ["<g1@gryazi.example.org>", "<l1@lipetsk.example.org>", "<b1@relay.example.org>",
         "<a1@elets.example.org>"]
    )  # fmt: skip
    reminded = [str(m["X-Mailer-Recipient"]) for m in reminders_received(smtp_server)]
    assert len(reminded) == len(set(reminded)) == 16, reminded
    assert not {"gryazi", "lipetsk", "zadonsk", "usman"} & set(reminded)
