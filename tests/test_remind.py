"""Reminders reach exactly the non-responders, in the original's thread, never twice."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.docx import read_docx_text
from mailer.russian import date_words
from mailer.workdays import add_working_days
from tests.conftest import parse_strict, run
from tests.imap_server import Dovecot
from tests.mail_corpus import bounce, reply
from tests.pg_server import query
from tests.smtp_server import SmtpServer

BOTH_ENGINES = True  # the journal on SQLite and on PostgreSQL

REG = "02-06-4425И38/10/-3327"


def send(workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot) -> dict[str, EmailMessage]:
    result = run(["send", "quality-week", "--yes"], env=env(smtp_server, dovecot))
    assert result.exit_code == 0, result.output
    return {
        str(parse_strict(m.data)["X-Mailer-Recipient"]): parse_strict(m.data)
        for m in smtp_server.handler.messages
    }


def env(smtp_server: SmtpServer, dovecot: Dovecot, **overrides: str) -> dict[str, str]:
    return {**smtp_server.env(), **dovecot.env(), **overrides}


def reminders_received(smtp_server: SmtpServer) -> list[EmailMessage]:
    messages = [parse_strict(m.data) for m in smtp_server.handler.messages]
    return [m for m in messages if str(m["Subject"]).startswith("Напоминание:")]


def answer_some(sent: dict[str, EmailMessage], dovecot: Dovecot, workdir: Path) -> None:
    dovecot.append(
        reply(
            sent["gryazi"],
            "glava@gryazi.example.org",
            "Ответ.",
            message_id="<g1@gryazi.example.org>",
        )
    )
    dovecot.append(
        reply(
            None,
            "glava@lipetsk.example.org",
            f"На № {REG} сообщаем.",
            subject="Информация",
            message_id="<l1@lipetsk.example.org>",
        )
    )
    dovecot.append(
        bounce(
            sent["zadonsk"],
            "glava@zadonsk.example.org",
            with_original=True,
            message_id="<b1@relay.example.org>",
        )
    )
    dovecot.append(
        reply(
            sent["elets"],
            "glava@elets.example.org",
            "Я в отпуске.",
            subject="Автоответ: в отпуске",
            message_id="<a1@elets.example.org>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert run(["mark", "quality-week", "usman", "--replied", "--note", "СЭД"]).exit_code == 0


def test_remind_reaches_exactly_the_non_responders(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    sent = send(workdir, smtp_server, dovecot)
    answer_some(sent, dovecot, workdir)

    result = run(["remind", "quality-week", "--yes", "--force"], env=env(smtp_server, dovecot))
    assert result.exit_code == 0, result.output
    assert "gryazi: ответил" in result.output
    assert "lipetsk: ответил" in result.output
    assert "usman: ответил" in result.output
    assert "zadonsk: адрес не принял письмо (возврат)" in result.output
    assert "Напоминаний отправлено: 16." in result.output

    reminders = reminders_received(smtp_server)
    reminded = {str(m["X-Mailer-Recipient"]) for m in reminders}
    assert len(reminders) == 16
    assert reminded == set(sent) - {"gryazi", "lipetsk", "zadonsk", "usman"}
    assert "elets" in reminded  # an auto-reply is no answer

    volovo = next(m for m in reminders if str(m["X-Mailer-Recipient"]) == "volovo")
    assert str(volovo["In-Reply-To"]) == str(sent["volovo"]["Message-ID"])
    assert str(sent["volovo"]["Message-ID"]) in str(volovo["References"])
    assert str(volovo["Subject"]) == f"Напоминание: {sent['volovo']['Subject']}"
    names = [part.get_filename() for part in volovo.iter_attachments()]
    assert str(names[0]).startswith(f"Напоминание 1 к письму 12.10.2023 № {REG.replace('/', '_')}")
    assert names[1] == (
        "Письмо 12.10.2023 № 02-06-4425И38_10_-3327 — Воловский муниципальный округ.docx"
    )
    reminder_docx = next(volovo.iter_attachments()).get_content()
    lines = read_docx_text(reminder_docx)
    assert f"О представлении информации\nпо письму от 12.10.2023 № {REG}" in lines
    assert "___________ № _______________" in lines  # to be registered: no date, no number
    assert f"Приложение: письмо от 12.10.2023 № {REG} «О Всемирной неделе качества», в 1 экз." in (
        lines
    )
    new_deadline = date_words(add_working_days(dt.date.today(), 5))
    assert any(f"в срок до {new_deadline} ответным письмом" in line for line in lines)
    assert not any("кратчайший" in line for line in lines)
    assert "Главе Воловского муниципального округа\nВ.Т. Черных" in lines
    assert any(line.startswith("Напоминаем, что письмом от 12.10.2023") for line in lines)
    text = volovo.get_body(("plain",))
    assert text is not None
    assert "Этот срок истек. По состоянию на" in text.get_content()

    status = run(["status", "quality-week", "--format", "json"])
    import json

    rows = {row["id"]: row for row in json.loads(status.output)}
    assert rows["volovo"]["reminders"] == 1
    assert rows["gryazi"]["reminders"] == 0


def test_an_answer_between_runs_stops_the_next_reminder_and_the_maximum_holds(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    sent = send(workdir, smtp_server, dovecot)
    first = run(["remind", "quality-week", "--yes", "--force"], env=env(smtp_server, dovecot))
    assert "Напоминаний отправлено: 20." in first.output
    reminder = next(
        m for m in reminders_received(smtp_server) if str(m["X-Mailer-Recipient"]) == "volovo"
    )
    # volovo answers the reminder, in its thread
    dovecot.append(
        reply(
            reminder,
            "glava@volovo.example.org",
            "Направляем информацию.",
            message_id="<v2@volovo.example.org>",
        )
    )

    second = run(["remind", "quality-week", "--yes", "--force"], env=env(smtp_server, dovecot))
    assert second.exit_code == 0, second.output
    assert "volovo: ответил" in second.output
    assert "Напоминаний отправлено: 19." in second.output
    gryazi = [
        m for m in reminders_received(smtp_server) if str(m["X-Mailer-Recipient"]) == "gryazi"
    ]
    assert len(gryazi) == 2
    # the second reminder follows the first in the thread
    assert str(gryazi[1]["In-Reply-To"]) == str(gryazi[0]["Message-ID"])
    assert str(gryazi[1]["References"]).split() == [
        str(sent["gryazi"]["Message-ID"]),
        str(gryazi[0]["Message-ID"]),
    ]

    third = run(["remind", "quality-week", "--yes", "--force"], env=env(smtp_server, dovecot))
    assert third.exit_code == 0
    assert "Напоминать некому." in third.output
    assert "отправлено напоминаний: 2 (это максимум)" in third.output
    assert len(reminders_received(smtp_server)) == 39


def test_the_interval_holds_without_force(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot, journal_db: str
) -> None:
    send(workdir, smtp_server, dovecot)
    result = run(["remind", "quality-week", "--yes"], env=env(smtp_server, dovecot))
    assert result.exit_code == 0
    assert "Напоминать некому." in result.output
    assert "интервал меньше 5 дн." in result.output
    assert reminders_received(smtp_server) == []
    # six days later the interval has passed
    query(journal_db, "UPDATE deliveries SET sent_at = '2023-10-12T09:00:00+00:00'")
    later = run(["remind", "quality-week", "--yes"], env=env(smtp_server, dovecot))
    assert "Напоминаний отправлено: 20." in later.output


@pytest.mark.slow
def test_an_unreadable_mailbox_stops_the_reminders_unless_told(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    send(workdir, smtp_server, dovecot)
    bad = env(smtp_server, dovecot, MAILER_IMAP_PASSWORD="wrong")
    result = run(["remind", "quality-week", "--yes", "--force"], env=bad)
    assert result.exit_code == 5
    assert "Не удалось проверить ответы" in result.output
    assert "--skip-track" in result.output
    assert reminders_received(smtp_server) == []
    skipped = run(["remind", "quality-week", "--yes", "--force", "--skip-track"], env=bad)
    assert skipped.exit_code == 0, skipped.output
    assert "Почта не проверялась" in skipped.output
    assert len(reminders_received(smtp_server)) == 20


def test_dry_run_writes_the_reminders_and_sends_nothing(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot, journal_db: str
) -> None:
    send(workdir, smtp_server, dovecot)
    result = run(["remind", "quality-week", "--dry-run", "--force"], env=env(smtp_server, dovecot))
    assert result.exit_code == 0, result.output
    assert "ничего не отправлено" in result.output
    folder = workdir / "preview" / "quality-week-напоминания"
    assert len(list(folder.glob("*.eml"))) == 20
    assert "О представлении информации" in (folder / "index.html").read_text(encoding="utf-8")
    assert reminders_received(smtp_server) == []
    assert query(journal_db, "SELECT COUNT(*) FROM reminders") == [(0,)]


@pytest.mark.slow
def test_a_killed_reminder_run_resumes_without_duplicates(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot, journal_db: str
) -> None:
    send(workdir, smtp_server, dovecot)
    smtp_server.handler.data_delay = 0.05
    # the seventh reminder waits at DATA until the kill: a fast run cannot finish first
    smtp_server.handler.hold_after = len(smtp_server.handler.messages) + 6
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "remind", "quality-week", "--yes", "--force"],
        env={
            **os.environ,
            **env(
                smtp_server,
                dovecot,
                MAILER_SMTP_CONNECTIONS="2",
                MAILER_DB=journal_db,
            ),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(reminders_received(smtp_server)) < 6 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    smtp_server.handler.released = True
    time.sleep(0.2)
    before = len(reminders_received(smtp_server))
    assert 0 < before < 20
    smtp_server.handler.data_delay = 0

    resumed = run(["remind", "quality-week", "--yes"], env=env(smtp_server, dovecot))
    assert resumed.exit_code in (0, 1), resumed.output
    states = dict(
        query(
            journal_db,
            "SELECT d.recipient_id, r.state FROM reminders r "
            "JOIN deliveries d ON d.id = r.delivery_id",
        )
    )
    counts: dict[str, int] = {}
    for message in reminders_received(smtp_server):
        rid = str(message["X-Mailer-Recipient"])
        counts[rid] = counts.get(rid, 0) + 1
    assert max(counts.values()) == 1, "a reminder went twice"
    assert len(states) == 20
    for rid, state in states.items():
        if state == "sent":
            assert counts.get(rid) == 1
        else:
            assert state == "uncertain", (rid, state)


def test_a_doubtful_message_holds_the_reminder_until_judged(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    send(workdir, smtp_server, dovecot)
    # usman writes about something, citing another letter: on the review list, not an answer
    dovecot.append(
        reply(
            None,
            "glava@usman.example.org",
            "На № 17-01/228 от 02.10.2023.",
            subject="Ответ на запрос",
            message_id="<o1@usman.example.org>",
        )
    )
    first = run(["remind", "quality-week", "--dry-run", "--force"], env=env(smtp_server, dovecot))
    assert first.exit_code == 0, first.output
    held = next(line for line in first.output.splitlines() if line.startswith("  usman:"))
    assert "на проверке письмо № " in held
    assert "от glava@usman.example.org «Ответ на запрос»" in held
    assert "mailer mark quality-week usman --review " in held
    assert "Получат напоминание (19)" in first.output

    judged = run(["mark", "quality-week", "usman", "--not-an-answer"])
    assert "снято: 1" in judged.output
    second = run(["remind", "quality-week", "--yes", "--force"], env=env(smtp_server, dovecot))
    assert "Напоминаний отправлено: 20." in second.output


def test_the_journal_is_the_list_of_record(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    """Sent with another list, then reminded, shown and reported without it: the journal
    knows who got the letter, as they were addressed."""
    (workdir / "other.csv").write_text(
        "id,email,full_name,position,organization,gender,addressee,salutation\n"
        "n1,glava@novoe.example.org,Новиков Олег Петрович,Глава,Новое поселение,м,"
        "Главе Нового поселения О.П. Новикову,Уважаемый Олег Петрович!\n"
        "lipetsk,glava@lipetsk.example.org,Городецкий Алексей Викторович,"
        "Глава города Липецка,Городской округ город Липецк,\n",
        encoding="utf-8",
    )
    sent = run(["send", "quality-week", "-r", "other.csv", "--yes"], env=env(smtp_server, dovecot))
    assert sent.exit_code == 0, sent.output
    assert len(smtp_server.handler.messages) == 2
    # the default list does not even have n1 any more
    status = run(["status", "quality-week", "--format", "json"])
    assert status.exit_code == 0, status.output
    rows = {row["id"]: row for row in json.loads(status.output)}
    assert set(rows) == {"n1", "lipetsk"}
    assert rows["n1"]["organization"] == "Новое поселение"
    report = run(["report", "quality-week"])
    assert report.exit_code == 0, report.output
    assert "не ответили 2" in report.output

    remind = run(["remind", "quality-week", "--yes", "--force"], env=env(smtp_server, dovecot))
    assert remind.exit_code == 0, remind.output
    assert "Напоминаний отправлено: 2." in remind.output
    received = {m["To"].addresses[0].addr_spec: m for m in reminders_received(smtp_server)}
    assert set(received) == {"glava@novoe.example.org", "glava@lipetsk.example.org"}
    assert received["glava@novoe.example.org"]["To"].addresses[0].display_name == (
        "Новиков Олег Петрович"
    )
    # the reminder is addressed as the letter was, from the journal's record
    docx = next(
        part.get_content()
        for part in received["glava@novoe.example.org"].iter_attachments()
        if part.get_filename() and str(part.get_filename()).startswith("Напоминание")
    )
    text = read_docx_text(docx)
    assert "Главе Нового поселения О.П. Новикову" in text
    assert "Уважаемый Олег Петрович!" in text

    # the next send with the default list adds its recipients and forgets no one
    more = run(["send", "quality-week", "--yes"], env=env(smtp_server, dovecot))
    assert more.exit_code == 0, more.output
    assert "Уже отправлено раньше: 1" in more.output  # lipetsk; n1 is not on this list
    rows = {
        row["id"]: row
        for row in json.loads(run(["status", "quality-week", "--format", "json"]).output)
    }
    assert len(rows) == 21
    assert rows["n1"]["state"] == "sent"
