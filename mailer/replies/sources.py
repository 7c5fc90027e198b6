"""Where incoming messages are read from: the office mailbox over IMAP (incrementally: headers
first, whole messages only for candidates), or exported mail: a Maildir, an mbox file, a folder
of .eml files or one .eml file."""

from __future__ import annotations

import contextlib
import imaplib
import mailbox
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path

from mailer import imap
from mailer.errors import InputError, ServerError
from mailer.journal import Journal
from mailer.settings import Settings

HEADER_FIELDS = "FROM SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE"
BATCH = 500
_UID = re.compile(rb"UID (\d+)")
_MSGID = re.compile(r"<[^<>\s]+>")

Candidate = Callable[[str, str, list[str], str], bool]


@dataclass
class ScanStats:
    seen: int = 0
    headers_fetched: int = 0
    bodies_fetched: int = 0


def iter_files(path: Path, stats: ScanStats) -> Iterator[bytes]:
    if not path.exists():
        raise InputError(f"Источник писем {path} не найден.")
    if path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir()):
        files = sorted(
            f
            for sub in ("new", "cur")
            if (path / sub).is_dir()
            for f in (path / sub).iterdir()
            if f.is_file()
        )
    elif path.is_dir():
        files = sorted(f for f in path.rglob("*.eml") if f.is_file())
    elif path.suffix.lower() == ".eml":
        files = [path]
    else:
        box = mailbox.mbox(path, create=False)
        try:
            for key in box.iterkeys():
                stats.seen += 1
                stats.bodies_fetched += 1
                yield box.get_bytes(key)
        finally:
            box.close()
        return
    for file in files:
        stats.seen += 1
        stats.bodies_fetched += 1
        yield file.read_bytes()


class ImapSource:
    """The configured mailbox folder, read from the last UID seen for this letter."""

    def __init__(
        self,
        settings: Settings,
        journal: Journal,
        letter: str,
        stats: ScanStats,
        body_term: str | None = None,
    ) -> None:
        self.settings = settings
        self.body_term = body_term
        self.journal = journal
        self.stats = stats
        self.key = (
            f"imap://{settings.imap_username}@{settings.imap_host}/{settings.imap_folder}#{letter}"
        )
        self.label = f"{settings.imap_host}, папка {settings.imap_folder}"
        self._position: tuple[int, int] | None = None

    def messages(self, is_candidate: Candidate) -> Iterator[bytes]:
        client = imap.connect(self.settings)
        try:
            yield from self._scan(client, is_candidate)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    def _scan(self, client: imaplib.IMAP4, is_candidate: Candidate) -> Iterator[bytes]:
        folder = self.settings.imap_folder
        status, _ = client.select(imap.quote_folder(folder), readonly=True)
        if status != "OK":
            raise ServerError(f"В почтовом ящике нет папки «{folder}» (MAILER_IMAP_FOLDER).")
        uidvalidity = int((client.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)
        known = self.journal.mailbox_position(self.key)
        start = known[1] + 1 if known and known[0] == uidvalidity else 1
        status, data = client.uid("SEARCH", f"UID {start}:*")
        uids = [int(u) for u in (data[0] or b"").split() if int(u) >= start]
        last = max(uids, default=known[1] if known and known[0] == uidvalidity else 0)
        candidates: list[int] = []
        if uids:
            # one FETCH for the whole new range: headers only, a few hundred bytes each
            status, rows = client.uid(
                "FETCH", f"{uids[0]}:{uids[-1]}", f"(BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])"
            )
            for row in rows:
                if not isinstance(row, tuple):
                    continue
                found = _UID.search(row[0])
                if not found or int(found[1]) < start:
                    continue
                self.stats.seen += 1
                self.stats.headers_fetched += 1
                fields = header_fields(row[1])
                thread = _MSGID.findall(
                    f"{fields.get('in-reply-to', '')} {fields.get('references', '')}"
                )
                if is_candidate(
                    sender_address(fields.get("from", "")),
                    decoded(fields.get("subject", "")),
                    thread,
                    fields.get("content-type", ""),
                ):
                    candidates.append(int(found[1]))
        if uids and self.body_term:
            candidates = sorted(set(candidates) | self._cited_in_text(client, start))
        for batch in _batches(candidates):
            status, rows = client.uid("FETCH", ",".join(map(str, batch)), "(BODY.PEEK[])")
            for row in rows:
                if isinstance(row, tuple):
                    self.stats.bodies_fetched += 1
                    yield row[1]
        self._position = (uidvalidity, last)

    def _cited_in_text(self, client: imaplib.IMAP4, start: int) -> set[int]:
        """New messages whose text holds the number: someone not on the list may cite it in
        the body alone. The server searches (digits only, so a plain quoted string); if it
        refuses, the headers' pre-selection stands alone."""
        try:
            status, data = client.uid("SEARCH", "UID", f"{start}:*", "BODY", f'"{self.body_term}"')
        except imaplib.IMAP4.error:
            return set()
        if status != "OK":
            return set()
        return {int(u) for u in (data[0] or b"").split() if int(u) >= start}

    def commit(self) -> None:
        """Remember how far we read; called once everything read has been recorded."""
        if self._position is not None:
            self.journal.set_mailbox_position(self.key, *self._position)


_FOLD = re.compile(rb"\r?\n[ \t]+")


def header_fields(raw: bytes) -> dict[str, str]:
    """A header block as lower-cased names to raw values: all the pre-selection needs, at a
    fraction of the email package's cost over tens of thousands of messages."""
    fields: dict[str, str] = {}
    for line in _FOLD.sub(b" ", raw).split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon:
            fields[name.strip().lower().decode("ascii", "replace")] = value.strip().decode(
                "utf-8", "replace"
            )
    return fields


_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
_BARE_ADDRESS = re.compile(r"[^\s<>()\",;:]+@[^\s<>()\",;:]+")


def sender_address(value: str) -> str:
    """The From address for the pre-selection: the one in angle brackets, else the first bare
    one. A tenth of email.utils.parseaddr's cost; the chosen messages are parsed in full."""
    angle = _ANGLE_ADDRESS.search(value)
    if angle:
        return angle[1]
    bare = _BARE_ADDRESS.search(value)
    return bare[0] if bare else ""


def decoded(value: str) -> str:
    """An RFC 2047 header value as text (only when it holds encoded words)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError):
        return value


def _batches(items: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]
