"""A server may send `UID n` after the message data (RFC 3501 allows either order), and may
leave a message out of an answer. Dovecot always sends the UID first, so this one ordering is
played by a small scripted IMAP responder on 127.0.0.1; everything else is tested on Dovecot."""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailer.journal import Journal
from mailer.replies.fetch_response import parse
from tests.conftest import run
from tests.mail_corpus import reply
from tests.smtp_server import SmtpServer
from tests.test_track import send_sample


class Mailbox:
    def __init__(self) -> None:
        self.messages: dict[int, bytes] = {}
        self.withhold: set[int] = set()  # left out of body FETCH answers
        self.commands: list[str] = []


class Responder(socketserver.StreamRequestHandler):
    """Just enough IMAP4rev1 for imaplib and `mailer track`, answering FETCH with the data
    first and the UID last."""

    box: Mailbox

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text.encode() if isinstance(text, str) else text)

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted\r\n")
        while line := self.rfile.readline():
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command = rest.upper()
            self.box.commands.append(rest)
            if command.startswith("CAPABILITY"):
                self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
            elif command.startswith(("EXAMINE", "SELECT")):
                self.send(f"* {len(self.box.messages)} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n")
            elif command.startswith("UID SEARCH"):
                found = "" if "BODY" in command else " ".join(map(str, sorted(self.box.messages)))
                self.send(f"* SEARCH {found}".rstrip() + "\r\n")
            elif command.startswith("UID FETCH"):
                self.fetch(command)
            elif command.startswith("LOGOUT"):
                self.send(f"* BYE\r\n{tag} OK bye\r\n")
                return
            self.send(f"{tag} OK done\r\n")

    def fetch(self, command: str) -> None:
        wanted = _uids(command.split()[2], max(self.box.messages))
        headers_only = "HEADER.FIELDS" in command
        for number, uid in enumerate(sorted(self.box.messages), start=1):
            if uid not in wanted or (not headers_only and uid in self.box.withhold):
                continue
            data = self.box.messages[uid]
            if headers_only:
                item = command[command.index("BODY.PEEK[") + 10 : command.rindex("]") + 1]
                data = data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                name = f"BODY[{item}"
            else:
                name = "BODY[]"
            size = len(self.box.messages[uid])
            self.send(f"* {number} FETCH (RFC822.SIZE {size} {name} {{{len(data)}}}\r\n")
            self.send(data)
            self.send(f" UID {uid})\r\n")
            # an unsolicited flag change for the same message, as servers send them
            self.send(f"* {number} FETCH (FLAGS (\\Seen) UID {uid})\r\n")


def _uids(spec: str, highest: int) -> set[int]:
    result: set[int] = set()
    for piece in spec.split(","):
        low, _, high = piece.partition(":")
        top = highest if high == "*" else int(high or low)
        result.update(range(int(low), top + 1))
    return result


@pytest.fixture
def responder() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    handler = type("Handler", (Responder,), {"box": box})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_parser_reads_both_orders() -> None:
    rows: list[bytes | tuple[bytes, bytes] | None] = [
        (b"1 (UID 5 RFC822.SIZE 3 BODY[] {3}", b"abc"),
        b")",
        (b"2 (RFC822.SIZE 3 BODY[] {3}", b"def"),
        b" UID 6)",
        b"3 (FLAGS (\\Seen) UID 7)",
    ]
    got = {m.uid: (m.size, m.item("BODY[]")) for m in parse(rows)}
    assert got == {5: (3, b"abc"), 6: (3, b"def"), 7: (None, None)}


def test_uid_after_the_data_and_a_withheld_message(
    workdir: Path, smtp_server: SmtpServer, responder: tuple[Mailbox, int]
) -> None:
    box, port = responder
    sent = send_sample(workdir, smtp_server, {})
    for uid, rid in enumerate(("gryazi", "volovo", "dankov"), start=1):
        box.messages[uid] = reply(
            sent[rid], f"glava@{rid}.example.org", "Ответ.", message_id=f"<r{uid}@{rid}.example>"
        )
    box.withhold = {2}
    env = {
        "MAILER_IMAP_HOST": "127.0.0.1",
        "MAILER_IMAP_PORT": str(port),
        "MAILER_IMAP_SECURITY": "none",
        "MAILER_IMAP_USERNAME": "office",
        "MAILER_IMAP_PASSWORD": "secret",
    }
    first = run(["track", "quality-week"], env=env)
    assert first.exit_code == 0, first.output
    assert "Ответы: 2" in first.output, first.output
    assert any(re.match(r"UID FETCH 1,2,3 ", c) for c in box.commands), box.commands
    with Journal(workdir / "journal.db") as journal:
        positions = journal.db.execute("SELECT uidvalidity, last_uid FROM mailbox_positions")
        # UID 2 was not handled: the saved position stops before it
        assert [tuple(row) for row in positions] == [(7, 1)]
    box.withhold = set()
    second = run(["track", "quality-week"], env=env)
    assert second.exit_code == 0, second.output
    assert "Ответы: 1" in second.output, second.output
    assert "volovo" in second.output
    status = run(["status", "quality-week", "--format", "csv"]).output
    for rid in ("gryazi", "volovo", "dankov"):
        assert re.search(rf"^{rid};[^\r\n]*;replied;", status, re.MULTILINE), status
    with Journal(workdir / "journal.db") as journal:
        positions = journal.db.execute("SELECT uidvalidity, last_uid FROM mailbox_positions")
        assert [tuple(row) for row in positions] == [(7, 3)]
