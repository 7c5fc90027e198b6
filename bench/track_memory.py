"""Peak memory of `mailer track` on large mail: one reply with a 200 MB attachment (over the
50 MB limit: read from its start, its file left in the mailbox), and a mailbox of large replies
under the limit (each read whole and its attachment saved), from a folder of .eml files and,
when Dovecot is there, over IMAP (fetched in batches bounded by their total size).

    python bench/track_memory.py      # prints the figures; bench/run.py includes them
"""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from run import MAILER, ROOT, mailer_env, sink, workspace

MB = 1024 * 1024
# five times the default MAILER_MAX_MESSAGE_MB (50): the message, the parser's copy of it,
# the decoded attachment and the interpreter itself
TARGET_MB = 250


def _reply(path: Path, message_id: str, sender: str, attachment_mb: int, number: int) -> None:
    """A reply in the thread of a sent letter with one PDF-named attachment, base64 as mail
    clients send it; written in pieces so that the benchmark itself stays small."""
    chunk = base64.encodebytes(os.urandom(57 * 1024 * 16)).replace(b"\n", b"\r\n")
    head = (
        f"From: {sender}\r\nTo: ed@economy.example.org\r\nSubject: Re: отчёт\r\n"
        f"Message-ID: <big{number}@bench.example.org>\r\nIn-Reply-To: {message_id}\r\n"
        f"References: {message_id}\r\nDate: Mon, 23 Oct 2023 10:00:00 +0300\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nОтчёт во вложении.\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="report.pdf"\r\n\r\n'
    ).encode()
    with path.open("wb") as out:
        out.write(head)
        for _ in range(attachment_mb * MB // (57 * 1024 * 16) + 1):
            out.write(chunk)
        out.write(b"--b--\r\n")


def _sent(folder: Path, env: dict[str, str]) -> list[tuple[str, str]]:
    subprocess.run(
        [*MAILER, "send", "quality-week", "--yes"],
        cwd=folder,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with sqlite3.connect(env["MAILER_DB"]) as db:
        rows = db.execute("SELECT message_id, emails FROM deliveries ORDER BY id").fetchall()
    return [(m, e.split()[0].strip(",;")) for m, e in rows]


# A small parent: a child's peak RSS counts the pages it shared with its parent before exec,
# so the command is started from a fresh interpreter, not from this (larger) one.
WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - start
if done.returncode:
    sys.exit(done.stdout + done.stderr)
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout, file=sys.stderr)
"""


def _track(folder: Path, env: dict[str, str], source: Path | None) -> tuple[float, float]:
    args = [*MAILER, "track", "quality-week"] + (["--source", str(source)] if source else [])
    with sqlite3.connect(env["MAILER_DB"]) as db:
        db.execute("DELETE FROM replies")  # each case reads and saves everything afresh
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    if os.environ.get("BENCH_VERBOSE"):
        print(done.stderr)
    shutil.rmtree(folder / "replies", ignore_errors=True)
    seconds, rss_kib = done.stdout.split()
    return float(seconds), int(rss_kib) / 1024


def measure(count: int = 8, each_mb: int = 30) -> dict[str, tuple[float, float]]:
    """{case: (seconds, peak RSS in MB)}."""
    folder = workspace(count)
    results: dict[str, tuple[float, float]] = {}
    try:
        with sink() as (port, _):
            env = mailer_env(port, folder)
            sent = _sent(folder, env)
        env["MAILER_REPLIES_DIR"] = str(folder / "replies")
        one = folder / "one"
        one.mkdir()
        _reply(one / "big.eml", *sent[0], 200, 0)
        results["200 MB message (.eml)"] = _track(folder, env, one)
        (one / "big.eml").unlink()
        many = folder / "many"
        many.mkdir()
        for number, (message_id, address) in enumerate(sent, start=1):
            _reply(many / f"{number:02d}.eml", message_id, address, each_mb, number)
        results[f"{count} replies of {each_mb} MB (.eml)"] = _track(folder, env, many)
        results.update(_over_imap(folder, env, many, count, each_mb))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def _over_imap(
    folder: Path, env: dict[str, str], many: Path, count: int, each_mb: int
) -> dict[str, tuple[float, float]]:
    if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
        return {}
    sys.path.insert(0, str(ROOT))
    from tests.imap_server import UID, start_dovecot

    server = start_dovecot()
    try:
        cur = server.root / "Maildir" / "cur"
        cur.mkdir(exist_ok=True)
        for number, eml in enumerate(sorted(many.iterdir())):
            target = cur / f"{1697400000 + number}.M{number}P1.bench,S={eml.stat().st_size}:2,S"
            shutil.move(eml, target)
            os.chown(target, UID, UID)
        os.chown(cur, UID, UID)
        imap_env = {**env, **server.env()}
        return {f"{count} replies of {each_mb} MB (IMAP)": _track(folder, imap_env, None)}
    finally:
        server.stop()


if __name__ == "__main__":
    for case, (seconds, rss) in measure().items():
        print(f"{case}: {seconds:.1f} s, peak RSS {rss:.0f} MB")
