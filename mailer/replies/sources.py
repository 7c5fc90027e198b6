"""Where incoming messages are read from: the office mailbox over IMAP (incrementally: headers
first, whole messages only for candidates), or exported mail: a Maildir, an mbox file, a folder
of .eml files or one .eml file.

A source keeps nothing: the mailbox's position is given to it before a scan and handed back
after, and the caller stores it."""

from __future__ import annotations

import contextlib
import imaplib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path

from mailer import imap
from mailer.errors import InputError, ServerError
from mailer.replies import fetch_response, mbox
from mailer.replies.fetch_response import FetchedMessage
from mailer.settings import Settings

HEADER_FIELDS = "FROM SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE"
BATCH = 500  # messages per FETCH at most; their total size is bounded too (see _batches)
# What is read of a message over the size limit: its headers, its structure's start and the
# first text, enough to classify and match it; its attachments stay in the mailbox.
HEAD_BYTES = 1 << 20
_MSGID = re.compile(r"<[^<>\s]+>")

Candidate = Callable[[str, str, list[str], str], bool]


@dataclass(frozen=True)
class MailboxPosition:
    """How far a mailbox folder was read: every message up to LAST_UID was handled, while the
    folder keeps UIDVALIDITY (a new one means its UIDs were given anew: read from the start)."""

    uidvalidity: int
    last_uid: int

    def covers(self, other: MailboxPosition) -> bool:
        """OTHER is this position or behind it: saving it in this one's place would gain
        nothing, or move the position back."""
        return self.uidvalidity == other.uidvalidity and self.last_uid >= other.last_uid


@dataclass
class ScanStats:
    seen: int = 0
    headers_fetched: int = 0
    bodies_fetched: int = 0


@dataclass(frozen=True)
class RawMessage:
    """One message as read: where it is (for the user), and its bytes, or only their start
    when the message is over the size limit."""

    where: str
    data: bytes
    size: int
    whole: bool = True
    cut: bool = False  # a piece of an mbox cut apart by an unescaped "From " line


def iter_files(path: Path, stats: ScanStats, limit: int) -> Iterator[RawMessage]:
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
        for span in mbox.spans(path):
            stats.seen += 1
            size = span.end - span.start
            stats.bodies_fetched += size <= limit
            yield RawMessage(
                f"{path.name}, письмо № {span.number}",
                mbox.read_span(path, span, limit if size > limit else size),
                size,
                whole=size <= limit,
                cut=span.cut,
            )
        return
    for file in files:
        stats.seen += 1
        size = file.stat().st_size
        stats.bodies_fetched += size <= limit
        with file.open("rb") as handle:
            data = handle.read(HEAD_BYTES if size > limit else size)
        yield RawMessage(str(file), data, size, whole=size <= limit)


class ImapSource:
    """The configured mailbox folder, read from the position a scan is given. KEY names the
    position for this letter, to store it under."""

    def __init__(
        self,
        settings: Settings,
        letter: str,
        stats: ScanStats,
        body_term: str | None = None,
    ) -> None:
        self.settings = settings
        self.body_term = body_term
        self.stats = stats
        self.limit = settings.max_message_bytes
        self.key = (
            f"imap://{settings.imap_username}@{settings.imap_host}/{settings.imap_folder}#{letter}"
        )
        self.label = f"{settings.imap_host}, папка {settings.imap_folder}"
        self._uidvalidity = 0
        self._last = 0
        self._pending: set[int] = set()  # candidates not yet handled
        self._scanned = False

    def messages(
        self, is_candidate: Candidate, start: MailboxPosition | None
    ) -> Iterator[RawMessage]:
        """The new messages after START (None: the folder's first) that IS_CANDIDATE picks by
        their headers or that cite the number in their text; `reached` says how far, after."""
        client = imap.connect(self.settings)
        try:
            yield from self._scan(client, is_candidate, start)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    def _fetch(self, client: imaplib.IMAP4, uids: str, items: str) -> dict[int, FetchedMessage]:
        """A UID FETCH, its answer read whole (the UID may come before or after the data,
        RFC 3501 allows either), keyed by UID. A message the answer gives no UID for is left
        out, so it stays pending."""
        status, rows = client.uid("FETCH", uids, items)
        if status != "OK":
            raise ServerError(f"Почтовый ящик не выдал письма ({status}): {rows!r:.200}.")
        by_uid: dict[int, FetchedMessage] = {}
        for message in fetch_response.parse(rows):
            if message.uid is None:
                continue
            # an unsolicited FETCH (a flag change) may name the same UID: merged, not replacing
            known = by_uid.setdefault(message.uid, message)
            if known is not message:
                known.literals.update(message.literals)
                known.size = known.size or message.size
        return by_uid

    def _scan(
        self, client: imaplib.IMAP4, is_candidate: Candidate, known: MailboxPosition | None
    ) -> Iterator[RawMessage]:
        folder = self.settings.imap_folder
        status, _ = client.select(imap.quote_folder(folder), readonly=True)
        if status != "OK":
            raise ServerError(f"В почтовом ящике нет папки «{folder}» (MAILER_IMAP_FOLDER).")
        uidvalidity = int((client.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)
        kept = known.last_uid if known and known.uidvalidity == uidvalidity else 0
        start = kept + 1
        status, data = client.uid("SEARCH", f"UID {start}:*")
        uids = [int(u) for u in (data[0] or b"").split() if int(u) >= start]
        self._uidvalidity = uidvalidity
        self._last = max(uids, default=kept)
        sizes: dict[int, int] = {}  # candidates: UID -> RFC822.SIZE
        every: dict[int, int] = {}
        if uids:
            # one FETCH for the whole new range: headers only, a few hundred bytes each
            rows = self._fetch(
                client,
                f"{uids[0]}:{uids[-1]}",
                f"(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])",
            )
            self._pending = {u for u in uids if u not in rows}  # the server skipped these
            for uid, row in sorted(rows.items()):
                if uid < start:
                    continue
                self.stats.seen += 1
                self.stats.headers_fetched += 1
                every[uid] = row.size or 0
                fields = header_fields(row.item("BODY[") or b"")
                thread = _MSGID.findall(
                    f"{fields.get('in-reply-to', '')} {fields.get('references', '')}"
                )
                if is_candidate(
                    sender_address(fields.get("from", "")),
                    decoded(fields.get("subject", "")),
                    thread,
                    fields.get("content-type", ""),
                ):
                    sizes[uid] = every[uid]
        if uids and self.body_term:
            for uid in self._cited_in_text(client, start):
                sizes.setdefault(uid, every.get(uid, 0))
        self._pending |= set(sizes)
        small = [u for u in sorted(sizes) if sizes[u] <= self.limit]
        for batch in _batches(small, sizes, self.limit):
            got = self._fetch(client, ",".join(map(str, batch)), "(UID RFC822.SIZE BODY.PEEK[])")
            for uid in batch:
                item = got.pop(uid, None)
                body = item.item("BODY[]") if item else None
                if item is None or body is None:
                    continue
                size = item.size or len(body)
                if size > self.limit:  # found too big only now: read as one
                    sizes[uid] = size
                    continue
                self.stats.bodies_fetched += 1
                yield RawMessage(f"папка {folder}, UID {uid}", body, size)
                self._pending.discard(uid)
        for uid in sorted(u for u in sizes if sizes[u] > self.limit and u in self._pending):
            partial = f"(UID RFC822.SIZE BODY.PEEK[]<0.{HEAD_BYTES}>)"
            item = self._fetch(client, str(uid), partial).get(uid)
            head = item.item("BODY[]") if item else None
            if item is None or head is None:
                continue
            yield RawMessage(
                f"папка {folder}, UID {uid}", head, item.size or sizes[uid], whole=False
            )
            self._pending.discard(uid)
        self._scanned = True

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

    def reached(self) -> MailboxPosition | None:
        """How far the scan read, to be stored once everything read has been recorded (None
        if the scan did not finish). It never passes a message that was not handled: it stops
        before the first."""
        if not self._scanned:
            return None
        last = min(self._pending) - 1 if self._pending else self._last
        return MailboxPosition(self._uidvalidity, last)


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


def _batches(uids: list[int], sizes: dict[int, int], limit: int) -> Iterator[list[int]]:
    """UIDs in FETCHes of at most BATCH messages and LIMIT bytes in all (RFC822.SIZE), so
    that memory holds one batch, whatever the mailbox."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        if batch and (len(batch) >= BATCH or total + sizes[uid] > limit):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += sizes[uid]
    if batch:
        yield batch
