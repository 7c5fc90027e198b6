"""What a command says while it works and when it ends: the send's progress, the next steps,
the status table, and where it looked when run from the wrong folder."""

from __future__ import annotations

import io
import json
import os
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.progress import SendProgress, duration
from mailer.smtp import Outcome
from tests.conftest import run
from tests.smtp_server import SmtpServer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_terminal_progress_counts_the_pace_and_the_time_left() -> None:
    clock, screen = Clock(), io.StringIO()
    # 64 letters a second: a step that floating point adds exactly
    with SendProgress(1000, screen, terminal=True, clock=clock) as progress:
        for number in range(300):
            clock.now += 1 / 64
            progress(f"r{number}", Outcome.FAILED if number == 5 else Outcome.SENT)
        # redrawn every 0.2 s, that is every 13th letter: last at the 299th
        shown = screen.getvalue().split("\r")[-1].rstrip()
        assert shown == "Отправлено 298 из 1000, не отправлено 1 · 64 писем/с · осталось 0:11"
        for number in range(300, 1000):
            clock.now += 1 / 64
            progress(f"r{number}", Outcome.SENT)
    pictures = screen.getvalue().split("\r")
    assert len(pictures) == 1 + 1000 // 13 + 1  # never once a letter
    assert pictures[-1].rstrip() == "Отправлено 999 из 1000, не отправлено 1 · 64 писем/с"
    assert pictures[-1].endswith("\n")


def test_a_pipe_gets_a_line_every_few_seconds() -> None:
    clock, log = Clock(), io.StringIO()
    with SendProgress(1000, log, terminal=False, clock=clock) as progress:
        for number in range(1000):
            clock.now += 1 / 16  # 62.5 seconds in all
            progress(f"r{number}", Outcome.SENT)
    lines = log.getvalue().splitlines()
    assert len(lines) == 13  # every 5 seconds (80 letters), and the last
    assert lines[0] == "Отправлено 80 из 1000 · 16 писем/с · осталось 0:58"
    assert lines[-1] == "Отправлено 1000 из 1000 · 16 писем/с"
    assert "\r" not in log.getvalue()


def test_durations() -> None:
    assert [duration(s) for s in (0, 44.6, 725, 3720)] == ["0:00", "0:45", "12:05", "1:02:00"]


def test_send_ends_with_the_count_and_what_comes_next(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    progress = next(line for line in lines if line.startswith("Отправлено 20 из 20"))
    assert progress.startswith("Отправлено 20 из 20 · ")
    assert "писем/" in progress
    assert lines[-3:] == [
        "Дальше:",
        "  mailer track quality-week — найти ответы в почте (через день-другой и потом регулярно);",
        "  mailer status quality-week — кто получил, кто ответил, у кого истекает срок.",
    ]

    table = run(["status", "quality-week"]).output.splitlines()
    header = next(i for i, line in enumerate(table) if line.lstrip().startswith("№"))
    assert table[header].split() == ["№", "Организация", "Состояние", "Дата", "Срок"]
    assert re.split(r"\s{2,}", table[header + 2].strip())[:3] == [
        "1",
        "Городской округ город Липецк",
        "срок истёк",
    ]
    assert any("Воловский муниципальный окр" in line for line in table)
    assert all(len(line) <= 80 for line in table), max(table, key=len)
    assert any(line.startswith("Итого: адресатов 20, отправлено 20") for line in table)
    assert "  mailer remind quality-week — напомнить тем, кто не ответил;" in table

    wide = run(["status", "quality-week", "--wide"]).output.splitlines()
    titles = next(line for line in wide if line.lstrip().startswith("№"))
    assert titles.split()[:6] == ["№", "Организация", "id", "Адреса", "Состояние", "Отправлено"]
    assert any("glava@elets.example.org, priemnaya@elets.example.org" in line for line in wide)
    assert max(len(line) for line in wide) > 80

    # machine formats stay clean: no next steps in JSON
    assert len(json.loads(run(["status", "quality-week", "--format", "json"]).output)) == 20


def test_track_says_how_to_settle_review_items(workdir: Path, smtp_server: SmtpServer) -> None:
    run(["send", "quality-week", "--yes"], env=smtp_server.env())
    maildir = workdir / "mail" / "cur"
    maildir.mkdir(parents=True)
    for sub in ("new", "tmp"):
        (workdir / "mail" / sub).mkdir()
    # a stranger quoting the letter's number: listed for review, never counted
    message = EmailMessage()
    message["From"] = "someone@unknown.example.com"
    message["To"] = "ed@economy.example.org"
    message["Subject"] = "О Всемирной неделе качества"
    message["Message-ID"] = "<x1@unknown.example.com>"
    message["Date"] = "Mon, 16 Oct 2023 10:00:00 +0300"
    message.set_content("На № 02-06-4425И38/10/-3327 сообщаем: мероприятия проведены.")
    (maildir / "1.eml").write_bytes(message.as_bytes())
    result = run(["track", "quality-week", "--source", str(workdir / "mail")])
    assert result.exit_code == 0, result.output
    assert "На проверку (не засчитаны: решите сами): 1" in result.output
    assert result.output.splitlines()[-6:] == [
        "Дальше:",
        "  прочитайте эти письма и решите по каждому (НОМЕР — из списка выше):",
        "    ответ — mailer mark quality-week ID_ПОЛУЧАТЕЛЯ --review НОМЕР",
        "    ничей не ответ — mailer mark quality-week --dismiss НОМЕР",
        "    (пока письмо на проверке, этому получателю не напоминают);",
        "  mailer status quality-week — кто ответил, кто нет.",
    ]


def test_outside_a_project_folder_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("MAILER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    result = run(["status", "quality-week"])
    assert result.exit_code == 3
    lines = result.output.splitlines()
    assert lines[:5] == [
        f"Папка, в которой запущена программа: {tmp_path}",
        f"Файла настроек {tmp_path / '.env'} нет: настройки — из окружения или по умолчанию.",
        "По умолчанию: MAILER_SMTP_HOST=localhost, MAILER_IMAP_HOST=не задан, "
        "MAILER_DB=mailer.db, MAILER_LETTERS_DIR=letters.",
        f"Письма ищутся в папке {tmp_path / 'letters'} — такой папки нет.",
        f"Журнал: {tmp_path / 'mailer.db'} — ещё не создан.",
    ]
    (tmp_path / ".env").write_text("MAILER_DB=office.db\nMAILER_SMTP_HOST=mail.example.org\n")
    again = run(["letters"]).output.splitlines()
    assert again[1] == f"Настройки прочитаны из {tmp_path / '.env'}."
    assert again[2] == "По умолчанию: MAILER_IMAP_HOST=не задан, MAILER_LETTERS_DIR=letters."
    assert f"Журнал {tmp_path / 'office.db'} ещё пуст: писем не отправляли." in again
    # in the office's folder the commands say nothing of the sort
    (tmp_path / "letters").mkdir()
    assert "Папка, в которой" not in run(["letters"]).output


def test_status_table_makes_room_for_every_state(workdir: Path) -> None:
    import datetime as dt

    from mailer.letter import load_letter
    from mailer.report.status_output import status_table
    from mailer.states import Standing
    from mailer.status import LetterStatus, StatusRow

    def row(rid: str, organization: str, state: Standing, note: str | None = None) -> StatusRow:
        return StatusRow(
            id=rid, email=f"{rid}@mo.example.org", organization=organization, state=state,
            sent_at="2023-10-12T07:00:00+00:00", replied_at=None, matched_by=None, reminders=1,
            last_reminder_at=None, read_at=None, deadline="2023-11-20", days_left=3,
            overdue=False, note=note,
        )  # fmt: skip

    rows = [
        row(
            "usman",
            "Администрация Усманского муниципального района Липецкой области",
            Standing.REVIEW,
        ),
        row(
            "lev",
            "Лев-Толстовский муниципальный округ",
            Standing.UNCERTAIN,
            "соединение прервано " * 9,
        ),
        row("elets", "", Standing.REPLIED),
    ]
    letter = load_letter("quality-week", workdir / "letters")
    table = status_table(LetterStatus(letter, rows, dt.date(2023, 11, 17))).splitlines()
    assert all(len(line) <= 80 for line in table), max(table, key=len)
    body = [re.split(r"\s{2,}", line.strip()) for line in table if line[:2].strip().isdigit()]
    assert [cells[2] for cells in body] == ["на проверке", "неизвестно, дошло ли", "ответил"]
    assert body[0][1].startswith("Администрация Усманского")
    assert body[0][1].endswith("…")
    assert body[2][1] == "elets"  # no organization known: the id
    assert "Примечания:" in table
    wide = status_table(LetterStatus(letter, rows, dt.date(2023, 11, 17)), wide=True)
    assert "Администрация Усманского муниципального района Липецкой области" in wide
    assert "соединение прервано " * 8 in wide


def test_a_terminal_sees_the_count_redrawn_in_place(workdir: Path, smtp_server: SmtpServer) -> None:
    import pty
    import subprocess
    import sys

    smtp_server.handler.data_delay = 0.1  # 20 letters over 4 connections: half a second at least
    main, secondary = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "mailer", "send", "quality-week", "--yes"],
            env={**os.environ, **smtp_server.env()},
            stdout=subprocess.DEVNULL,
            stderr=secondary,
            timeout=120,
            check=False,
        )
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(main)
    assert process.returncode == 0
    screen = seen.decode("utf-8").replace("\r\n", "\n")  # the terminal's own line ends
    pictures = screen.split("\r")
    assert len(pictures) >= 3  # one line redrawn while sending, not a line a letter
    assert re.fullmatch(
        r"Отправлено \d+ из 20 · \d+ писем/с · осталось 0:0\d", pictures[1].strip()
    ), pictures
    assert screen.count("\n") == 1
    assert pictures[-1].strip().startswith("Отправлено 20 из 20 · ")


def test_every_command_ends_with_what_comes_next(workdir: Path, smtp_server: SmtpServer) -> None:
    env = smtp_server.env()
    for name in ("new", "cur", "tmp"):
        (workdir / "mail" / name).mkdir(parents=True)
    runs = [
        (["letters"], "mailer preview ИМЯ_ПИСЬМА — собрать письма и посмотреть их;"),
        (["preview", "quality-week"], "mailer check quality-week — проверить оформление"),
        (["check", "quality-week"], "mailer send quality-week — отправить (программа спросит"),
        (["send", "quality-week", "--dry-run"], "mailer preview quality-week — посмотреть"),
        (["send", "quality-week", "--yes"], "mailer track quality-week — найти ответы"),
        (["send", "quality-week", "--yes"], "mailer status quality-week — кто получил"),
        (["track", "quality-week", "--source", "mail"], "mailer remind quality-week — напомнить"),
        (
            ["mark", "quality-week", "gryazi", "--replied"],
            "mailer status quality-week — посмотреть",
        ),
        (["status", "quality-week"], "mailer report quality-week — сводка и справка"),
        (["remind", "quality-week", "--skip-track", "--dry-run", "--force"], "mailer remind"),
        (["report", "quality-week"], "затем снова mailer report quality-week"),
        (["letters"], "mailer status ИМЯ_ПИСЬМА — подробно об одном письме."),
    ]
    for args, step in runs:
        result = run(args, env=env)
        assert result.exit_code == 0, (args, result.output)
        assert "\nДальше:\n" in result.output, (args, result.output)
        tail = result.output.split("\nДальше:\n")[-1]
        assert step in tail, (args, tail)


def test_no_count_when_nothing_could_be_sent() -> None:
    log = io.StringIO()
    with pytest.raises(ConnectionRefusedError), SendProgress(4, log, terminal=True):
        raise ConnectionRefusedError
    assert log.getvalue() == ""
