"""The last handler, the --verbose transcript and an honest CI.

- An error the program did not expect ends in a short Russian paragraph with exit code 70: what
  happened, what was already sent, where the details are; the traceback is in the log file, and
  on the screen only with --debug.
- --verbose writes the SMTP and IMAP dialogue and the send's decisions to a log file, with no
  trace of a password in any form; without it nothing is logged.
- .ci/run stops at a failed install, before any test runs.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mailer.errors import ExitCode
from tests.conftest import REPO, run
from tests.imap_server import PASSWORD as IMAP_PASSWORD
from tests.imap_server import USER as IMAP_USER
from tests.imap_server import Dovecot
from tests.smtp_server import PASSWORD as SMTP_PASSWORD
from tests.smtp_server import USERNAME as SMTP_USER
from tests.smtp_server import SmtpServer
from tests.test_crash import write_list


def _broken(*_: Any, **__: Any) -> Any:
    raise RuntimeError("что-то сломалось внутри")


def test_unexpected_error_is_a_paragraph_and_a_log(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mailer.preview.run_preview", _broken)
    result = run(["preview", "quality-week"])

    assert result.exit_code == ExitCode.INTERNAL
    assert int(ExitCode.INTERNAL) == 70  # as the README documents it
    assert "Traceback" not in result.output
    assert "Внутренняя ошибка программы (RuntimeError: что-то сломалось внутри)" in result.output
    assert "Ничего не отправлено." in result.output
    logs = list((workdir / "logs").glob("mailer-error-*.log"))
    assert len(logs) == 1
    assert str(logs[0].relative_to(workdir)) in result.output
    details = logs[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in details
    assert "что-то сломалось внутри" in details

    with_debug = run(["--debug", "preview", "quality-week"])
    assert with_debug.exit_code == 70
    assert "Traceback (most recent call last)" in with_debug.output
    assert "Внутренняя ошибка программы" in with_debug.output


def test_unexpected_error_in_the_installed_command(workdir: Path) -> None:
    """The console script itself, in a process of its own, as the secretary runs it: nothing
    but the paragraph reaches the screen (no logging fallback printing the traceback)."""
    import sys

    code = (
        "import sys, mailer.preview\n"
        "def broken(*a, **k): raise RuntimeError('что-то сломалось внутри')\n"
        "mailer.preview.run_preview = broken\n"
        "sys.argv = ['mailer', 'preview', 'quality-week']\n"
        "from mailer.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 70, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("Внутренняя ошибка программы (RuntimeError"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one paragraph
    (log,) = (workdir / "logs").glob("mailer-error-*.log")
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_unexpected_error_mid_send_says_what_went(
    workdir: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    from mailer.message import MessageFactory

    write_list(workdir / "recipients.csv")
    real_build = MessageFactory.build
    built = 0

    def build_then_break(self: MessageFactory, **kwargs: Any) -> bytes:
        nonlocal built
        built += 1
        if built > 40:  # one connection, 16 letters queued ahead: some 24 went before
            raise RuntimeError("сбой на сорок первом письме")
        return real_build(self, **kwargs)

    monkeypatch.setattr(MessageFactory, "build", build_then_break)
    result = run(
        ["send", "quality-week", "--yes"], env=smtp_server.env(MAILER_SMTP_CONNECTIONS="1")
    )

    assert result.exit_code == 70, result.output
    assert "Traceback" not in result.output
    assert "RuntimeError: сбой на сорок первом письме" in result.output
    assert "Подробности записаны в файл logs/mailer-error-" in result.output
    said = re.search(r"До остановки отправлено писем: (\d+)", result.output)
    assert said, result.output
    received = len(smtp_server.handler.messages)
    assert 0 < int(said[1]) <= received <= int(said[1]) + 1  # at most the one in flight
    assert received < 40


def test_settings_folder_for_the_details(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mailer.preview.run_preview", _broken)
    result = run(["preview", "quality-week"], env={"MAILER_LOG_DIR": str(workdir / "журналы")})
    assert result.exit_code == 70
    assert list((workdir / "журналы").glob("mailer-error-*.log"))


def _secret_forms(user: str, password: str) -> list[bytes]:
    secret = password.encode()
    return [
        secret,
        base64.b64encode(secret),
        base64.b64encode(b"\0" + user.encode() + b"\0" + secret),
        base64.b64encode(user.encode() + b"\0" + user.encode() + b"\0" + secret),
        base64.b64encode(b"\0" + user.encode() + b"\0" + secret)[:-4],  # any prefix of it
    ]


def test_verbose_transcript_has_the_dialogue_and_no_password(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    env = {**smtp_server.env(), **dovecot.env(MAILER_IMAP_SAVE_SENT="true")}
    result = run(["--verbose", "send", "quality-week", "--only", "gryazi", "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert len(smtp_server.handler.messages) == 1
    logs = list((workdir / "logs").glob("mailer-*-send.log"))
    assert len(logs) == 1
    assert str(logs[0]) in result.output or logs[0].name in result.output
    data = logs[0].read_bytes()
    text = data.decode("utf-8")

    for step in ("S: 220", "C: EHLO", "C: STARTTLS", "C: MAIL FROM:<ed@economy.example.org>"):
        assert step in text, step
    assert "C: RCPT TO:<glava@gryazi.example.org>" in text
    assert "C: AUTH PLAIN ***" in text or "C: AUTH LOGIN ***" in text
    assert "C: DATA" in text
    assert "S: 235" in text  # the login was accepted, and its exchange is masked
    assert "gryazi <glava@gryazi.example.org>: sent, 250" in text  # the decision and outcome
    assert "AUTHENTICATE PLAIN ***" in text  # the IMAP login (a Cyrillic password)
    assert "APPEND" in text  # the copy in Sent
    assert "smtp_password=***" in text

    for user, password in ((SMTP_USER, SMTP_PASSWORD), (IMAP_USER, IMAP_PASSWORD)):
        for form in _secret_forms(user, password):
            assert form not in data, form


def test_verbose_track_shows_the_imap_dialogue_and_each_decision(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    from tests.conftest import parse_strict
    from tests.mail_corpus import reply

    env = {**smtp_server.env(), **dovecot.env(MAILER_IMAP_SAVE_SENT="false")}
    sent = run(["send", "quality-week", "--only", "gryazi", "--yes"], env=env)
    assert sent.exit_code == 0, sent.output
    original = parse_strict(smtp_server.handler.messages[0].data)
    dovecot.append(
        reply(
            original,
            "glava@gryazi.example.org",
            "Информацию направляем.\x1b[2J",
            message_id="<answer-1@gryazi.example.org>",
        )
    )

    result = run(["--verbose", "track", "quality-week"], env=env)
    assert result.exit_code == 0, result.output
    (log,) = (workdir / "logs").glob("mailer-*-track.log")
    data = log.read_bytes()
    text = data.decode("utf-8")
    assert "AUTHENTICATE PLAIN ***" in text
    assert "SELECT" in text
    assert "FETCH" in text
    assert "<answer-1@gryazi.example.org> от 'glava@gryazi.example.org'" in text
    assert ": reply (получатель gryazi;" in text
    assert b"\x1b" not in data  # someone else's text never reaches the log as control codes
    for form in _secret_forms(IMAP_USER, IMAP_PASSWORD):
        assert form not in data, form


def test_nothing_is_logged_by_default(workdir: Path, smtp_server: SmtpServer) -> None:
    result = run(["send", "quality-week", "--only", "gryazi", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    assert not (workdir / "logs").exists()
    assert "S: 250" not in result.output
    assert "Подробный журнал" not in result.output


def test_verbose_setting(workdir: Path, smtp_server: SmtpServer) -> None:
    env = smtp_server.env(MAILER_VERBOSE="true", MAILER_LOG_DIR=str(workdir / "log"))
    result = run(["send", "quality-week", "--only", "gryazi", "--yes"], env=env)
    assert result.exit_code == 0, result.output
    (log,) = (workdir / "log").glob("mailer-*-send.log")
    assert "C: MAIL FROM" in log.read_text(encoding="utf-8")


def test_aiosmtplib_internals_the_transcript_uses() -> None:
    # mailer.transcript.LoggedSMTP logs the greeting and STARTTLS in order through these
    import inspect

    import aiosmtplib

    for name in ("_create_connection", "_ehlo_or_helo_if_needed", "starttls", "execute_command"):
        method = getattr(aiosmtplib.SMTP, name, None)
        assert method is not None, f"aiosmtplib.SMTP.{name} is gone: see mailer/transcript.py"
        assert inspect.iscoroutinefunction(method), name


@pytest.mark.slow
def test_ci_stops_at_a_failed_install(tmp_path: Path) -> None:
    """.ci/run in a temporary copy of the project, with an apt-get that fails first on PATH:
    the run fails before pip, pytest or any tool is reached."""
    copy = tmp_path / "project"
    (copy / ".ci").mkdir(parents=True)
    shutil.copy(REPO / ".ci" / "run", copy / ".ci" / "run")
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    reached = tmp_path / "reached"
    (fake_bin / "apt-get").write_text(
        '#!/bin/sh\necho "E: Unable to locate package (simulated)" >&2\nexit 100\n'
    )
    for tool in ("python3", "pytest", "pip", "ruff", "mypy"):
        # anything after the install would record itself here, and must not be reached
        (fake_bin / tool).write_text(f'#!/bin/sh\necho {tool} >> "{reached}"\nexit 0\n')
    for path in fake_bin.iterdir():
        path.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}

    result = subprocess.run(
        ["bash", str(copy / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 100, result.stdout + result.stderr
    assert "Unable to locate package" in result.stderr
    assert not reached.exists(), reached.read_text()
    assert not (copy / ".venv").exists()


def test_a_reader_that_stops_reading_is_not_an_error(workdir: Path) -> None:
    # `mailer preview … | head -1`: the pipe closes while the program still prints
    write_list(workdir / "recipients.csv")
    process = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "mailer"), "preview", "quality-week"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode()
    process.wait(timeout=120)
    assert process.returncode in (ExitCode.OK, ExitCode.OUTPUT_CLOSED), errors
    assert "Traceback" not in errors
    assert "BrokenPipe" not in errors
    assert "Внутренняя" not in errors
    assert not (workdir / "logs").exists()
