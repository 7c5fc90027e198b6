"""Real local faults, never mocks: a journal on a disk that fills up mid-send (a small tmpfs
mounted by the test), an immutable journal file (chattr +i), a journal with a corrupted page,
Ctrl-C sent to a running send and to the prompt (in a pseudo-terminal). Each ends with its
documented exit code and a message in words, never a traceback, and the SMTP server never gets
a letter twice or a letter the journal cannot answer for."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import parse_strict
from tests.smtp_server import SmtpServer
from tests.test_crash import COUNT, write_list


def mailer(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def delivered(server: SmtpServer) -> Counter[str]:
    return Counter(
        str(parse_strict(item.data)["X-Mailer-Recipient"]) for item in server.handler.messages
    )


def states(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT recipient_id, state FROM deliveries"))


def assert_plain(result: subprocess.CompletedProcess[str]) -> None:
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    assert "Error" not in text.replace("MAILER_", ""), text


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs of the test's own (we run as root, as CI does)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


@pytest.mark.slow
def test_disk_fills_up_during_a_send(
    workdir: Path, smtp_server: SmtpServer, small_disk: Path
) -> None:
    write_list(workdir / "recipients.csv")
    db = small_disk / "journal.db"
    filler = small_disk / "filler"
    # room for the journal's creation and a few letters' marks, then the disk is full (its
    # creation writes about 290 KB of log: schema 6 rebuilds five tables, 120 KB of it)
    filler.write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - 520 * 1024))
    env = smtp_server.env(MAILER_DB=str(db), MAILER_SMTP_CONNECTIONS="2")

    result = mailer(["send", "quality-week", "--yes"], env)

    assert result.returncode == 6, result.stderr
    assert_plain(result)
    assert "диск заполнен" in result.stderr
    assert "До ошибки отправлено писем" in result.stderr
    first = delivered(smtp_server)
    assert 0 < sum(first.values()) < COUNT  # it failed in the send loop, not before it

    filler.unlink()  # space again: the same command finishes the job
    again = mailer(["send", "quality-week", "--yes"], env)
    assert again.returncode in (0, 1), again.stderr
    assert_plain(again)
    received = delivered(smtp_server)
    assert max(received.values()) == 1, "a letter went twice"
    journal = states(db)
    for rid, state in journal.items():
        if state == "sent":
            assert received[rid] == 1, rid
        else:  # a letter the server took while the journal could not write it down
            assert state == "uncertain", (rid, state)
            assert rid in again.stdout
    assert len(received) >= COUNT - sum(1 for s in journal.values() if s == "uncertain")


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    marked: list[Path] = []
    yield marked
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_immutable_journal(workdir: Path, smtp_server: SmtpServer, immutable: list[Path]) -> None:
    db = workdir / "journal.db"
    env = smtp_server.env()
    first = mailer(["send", "quality-week", "--only", "gryazi", "--yes"], env)
    assert first.returncode == 0, first.stderr
    assert sum(delivered(smtp_server).values()) == 1
    subprocess.run(["chattr", "+i", str(db)], check=True)
    immutable.append(db)

    result = mailer(["send", "quality-week", "--yes"], env)

    assert result.returncode == 6, result.stderr
    assert_plain(result)
    assert "файл журнала только для чтения" in result.stderr
    assert "lsattr" in result.stderr
    assert sum(delivered(smtp_server).values()) == 1  # nothing more went


def test_corrupted_journal_page(workdir: Path, smtp_server: SmtpServer) -> None:
    db = workdir / "journal.db"
    env = smtp_server.env()
    first = mailer(["send", "quality-week", "--only", "gryazi", "--yes"], env)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db.read_bytes())
    data[page_size : page_size * 2] = b"\xa5" * page_size  # the second page, garbage
    db.write_bytes(bytes(data))

    for args in (["send", "quality-week", "--yes"], ["status", "quality-week"]):
        result = mailer(args, env)
        assert result.returncode == 6, (args, result.stderr)
        assert_plain(result)
        assert "журнал повреждён" in result.stderr
        assert "Не удаляйте" in result.stderr
    assert sum(delivered(smtp_server).values()) == 1


@pytest.mark.slow
def test_ctrl_c_during_a_send(workdir: Path, smtp_server: SmtpServer) -> None:
    write_list(workdir / "recipients.csv")
    smtp_server.handler.data_delay = 0.05
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "send", "quality-week", "--yes"],
        env={**os.environ, **smtp_server.env(MAILER_SMTP_CONNECTIONS="2")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.messages) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr
    assert "Прервано (Ctrl-C)" in stderr
    assert "До остановки отправлено писем" in stderr
    time.sleep(0.1)
    received = delivered(smtp_server)
    assert 0 < sum(received.values()) < COUNT
    for rid, state in states(workdir / "journal.db").items():
        if received[rid]:
            assert state in ("sent", "uncertain"), (rid, state)
        else:
            assert state in ("pending", "uncertain"), (rid, state)


def _read_until(fd: int, marker: str, timeout: float = 60) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", "replace")


def _in_terminal(args: list[str], env: dict[str, str]) -> tuple[int, int]:
    """mailer in a pseudo-terminal of its own, as the secretary runs it: (pid, terminal fd)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: mailer, with the terminal as its stdin, stdout and stderr
        # a terminal's Ctrl-C reaches it even under a runner that ignores SIGINT (pytest-xdist's
        # workers do, and an ignored signal stays ignored across exec)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(  # noqa: S606 - our own interpreter, no shell
            sys.executable, [sys.executable, "-m", "mailer", *args], {**os.environ, **env}
        )
    return pid, fd


def _finish(pid: int, fd: int) -> tuple[int, str]:
    rest = _read_until(fd, "\0", timeout=30)  # until the terminal closes
    deadline = time.monotonic() + 10
    done, status = os.waitpid(pid, os.WNOHANG)
    while not done and time.monotonic() < deadline:
        time.sleep(0.05)
        done, status = os.waitpid(pid, os.WNOHANG)
    if not done:  # still running long after the terminal went quiet: fail, never hang
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), rest


def test_ctrl_c_at_the_prompt(workdir: Path, smtp_server: SmtpServer) -> None:
    pid, fd = _in_terminal(["send", "quality-week"], smtp_server.env())
    shown = _read_until(fd, "[да/нет")
    assert "Отправить?" in shown, shown
    assert "д/н, y/n" in shown, shown
    os.write(fd, b"\x03")  # Ctrl-C typed at the terminal: SIGINT to mailer
    code, rest = _finish(pid, fd)

    assert code == 130, shown + rest
    assert "Прервано (Ctrl-C)" in rest
    assert "Ничего не отправлено" in rest
    assert "Traceback" not in shown + rest
    assert "Aborted" not in rest
    assert smtp_server.handler.messages == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answer", "code", "sent"),
    [("н", 10, 0), ("нет", 10, 0), ("n", 10, 0), ("", 10, 0), ("да", 0, 20), ("y", 0, 20)],
)
def test_prompt_answers_in_a_terminal(
    workdir: Path, smtp_server: SmtpServer, answer: str, code: int, sent: int
) -> None:
    pid, fd = _in_terminal(["send", "quality-week"], smtp_server.env())
    _read_until(fd, "[да/нет")
    os.write(fd, answer.encode() + b"\r")
    exit_code, rest = _finish(pid, fd)
    assert exit_code == code, rest
    assert "Traceback" not in rest
    assert len(smtp_server.handler.messages) == sent
    if not sent:
        assert "Отменено. Ничего не отправлено." in rest


def test_journal_folder_that_cannot_be_written(
    workdir: Path, smtp_server: SmtpServer, immutable: list[Path]
) -> None:
    folder = workdir / "журнал"
    folder.mkdir()
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    immutable.append(folder)

    result = mailer(
        ["send", "quality-week", "--yes"], smtp_server.env(MAILER_DB=str(folder / "j.db"))
    )

    assert result.returncode == 6, result.stderr
    assert_plain(result)
    assert "нет доступа к нему или к его папке" in result.stderr
    assert f"lsattr -d {folder}" in result.stderr
    assert smtp_server.handler.messages == []


def test_preview_onto_a_full_disk(workdir: Path, small_disk: Path) -> None:
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - 64 * 1024))

    result = mailer(["preview", "quality-week", "--out", str(small_disk / "preview")], {})

    assert result.returncode == 7, result.stderr
    assert_plain(result)
    assert "не записывается: диск заполнен" in result.stderr
