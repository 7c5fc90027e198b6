"""`track` killed while saving attachments, then run again: no partial file, no file that no
record names, no copy of a file saved before."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run
from tests.mail_corpus import reply
from tests.smtp_server import SmtpServer
from tests.test_track import send_sample

pytestmark = pytest.mark.slow  # kills, large files, a memory cap

REPLIERS = ("gryazi", "volovo", "dankov", "elets", "lipetsk", "usman")

# Runs `mailer track` with one step of saving replaced by a sudden death (os._exit: no
# cleanup, no flush, as SIGKILL), at the worst moments: with a temporary file half written, and
# with the files in place but the reply not yet recorded.
KILLED_AT = """
import os, sys
import mailer.journal, mailer.replies.attachments as attachments
where = sys.argv[1]
if where == "staging":
    os.fsync = lambda fd: os._exit(9)
else:
    mailer.journal.Journal.record_reply = lambda self, record: os._exit(9)
from mailer.cli import main
sys.argv = ["mailer", "track", "quality-week", "--source", "export"]
main()
"""


def _mailer(args: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=workdir,
        env={**os.environ, "MAILER_DB": str(workdir / "journal.db")},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _export(workdir: Path, smtp_server: SmtpServer, size: int) -> dict[str, bytes]:
    sent = send_sample(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    files = {}
    for number, rid in enumerate(REPLIERS):
        content = os.urandom(size)
        files[rid] = content
        data = reply(
            sent[rid],
            f"glava@{rid}.example.org",
            "Направляем отчёт.",
            message_id=f"<k{number}@{rid}.example>",
            attachments=[("отчёт.pdf", content), ("отчёт.pdf", content[: size // 2])],
        )
        (export / f"{number:02d}.eml").write_bytes(data)
    return files


def _check_files(workdir: Path, files: dict[str, bytes]) -> None:
    """Every file in the replies folder is named by exactly one record, and holds what the
    reply carried; every reply is recorded once."""
    with sqlite3.connect(workdir / "journal.db") as db:
        rows = db.execute("SELECT message_id, attachments FROM replies WHERE kind = 'reply'")
        recorded = [path for _, paths in rows for path in (paths or "").split("\n") if path]
        count = db.execute("SELECT COUNT(*) FROM replies WHERE kind = 'reply'").fetchone()[0]
    assert count == len(REPLIERS)
    on_disk = sorted(str(p.resolve()) for p in (workdir / "replies").rglob("*") if p.is_file())
    assert sorted(recorded) == on_disk
    assert len(on_disk) == 2 * len(REPLIERS)
    for rid, content in files.items():
        folder = workdir / "replies" / "quality-week" / rid
        assert sorted(p.name for p in folder.iterdir()) == ["отчёт (2).pdf", "отчёт.pdf"]
        assert (folder / "отчёт.pdf").read_bytes() == content
        assert (folder / "отчёт (2).pdf").read_bytes() == content[: len(content) // 2]


@pytest.mark.parametrize("where", ["staging", "recording"])
def test_killed_at_the_worst_moment_then_run_again(
    workdir: Path, smtp_server: SmtpServer, where: str
) -> None:
    files = _export(workdir, smtp_server, 200_000)
    killed = _mailer(["-c", KILLED_AT, where], workdir)
    assert killed.returncode == 9, killed.stderr
    left = [p for p in (workdir / "replies").rglob("*") if p.is_file()]
    assert left  # the kill did leave something behind: a temporary file, or placed files
    again = run(["track", "quality-week", "--source", "export"])
    assert again.exit_code == 0, again.output
    _check_files(workdir, files)


def test_killed_by_a_signal_again_and_again(workdir: Path, smtp_server: SmtpServer) -> None:
    files = _export(workdir, smtp_server, 3_000_000)
    for delay in (0.6, 0.9, 1.2, 1.5, 1.8):
        process = subprocess.Popen(
            [sys.executable, "-m", "mailer", "track", "quality-week", "--source", "export"],
            cwd=workdir,
            env={**os.environ, "MAILER_DB": str(workdir / "journal.db")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = _mailer(["-m", "mailer", "track", "quality-week", "--source", "export"], workdir)
    assert final.returncode == 0, final.stderr
    _check_files(workdir, files)


# Runs `mailer track` with its address space capped (RLIMIT_AS): reading a message whole, as
# track did, would need several times its size.
LIMITED = """
import resource, sys
cap = int(sys.argv[1]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from mailer.cli import main
sys.argv = ["mailer", "track", "quality-week", "--source", "export"]
main()
"""


def _big_reply(path: Path, original: str, sender: str, megabytes: int, name: str) -> bytes:
    """A reply with one attachment of MEGABYTES, written in pieces; returns a piece of it."""
    import base64

    piece = os.urandom(57 * 1024)
    encoded = base64.encodebytes(piece).replace(b"\n", b"\r\n")
    with path.open("wb") as out:
        out.write(
            (
                f"From: {sender}\r\nTo: ed@economy.example.org\r\nSubject: Re: отчёт\r\n"
                f"Message-ID: <{name}@big.example>\r\nIn-Reply-To: {original}\r\n"
                "Date: Mon, 23 Oct 2023 10:00:00 +0300\r\nMIME-Version: 1.0\r\n"
                'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\nОтчёт во вложении.\r\n--b\r\n"
                "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                f'Content-Disposition: attachment; filename="{name}.pdf"\r\n\r\n'
            ).encode()
        )
        for _ in range(megabytes * 1024 * 1024 // len(piece)):
            out.write(encoded)
        out.write(b"--b--\r\n")
    return piece


def test_a_large_attachment_under_a_memory_limit(workdir: Path, smtp_server: SmtpServer) -> None:
    sent = send_sample(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    _big_reply(
        export / "1.eml", str(sent["gryazi"]["Message-ID"]), "glava@gryazi.example.org", 120, "big"
    )
    piece = _big_reply(
        export / "2.eml", str(sent["volovo"]["Message-ID"]), "glava@volovo.example.org", 7, "small"
    )
    done = subprocess.run(
        [sys.executable, "-c", LIMITED, "300"],
        cwd=workdir,
        env={**os.environ, "MAILER_DB": str(workdir / "journal.db"), "MAILER_MAX_MESSAGE_MB": "10"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ответы: 2" in done.stdout, done.stdout
    # over the limit: still the recipient's answer, its file left in the mailbox, and said so
    assert "больше 10 МБ" in done.stdout
    assert "1.eml" in done.stdout
    assert not (workdir / "replies" / "quality-week" / "gryazi").exists()
    saved = (workdir / "replies" / "quality-week" / "volovo" / "small.pdf").read_bytes()
    assert saved == piece * (7 * 1024 * 1024 // len(piece))
    status = run(["status", "quality-week", "--format", "json"])
    states = {row["id"]: row["state"] for row in __import__("json").loads(status.output)}
    assert states["gryazi"] == states["volovo"] == "replied"
