"""Reading one incoming message: who sent it, what it refers to, and what kind of message it is
(a reply, an automatic reply per RFC 3834, a bounce per RFC 3464, a read receipt per RFC 8098)."""

from __future__ import annotations

import email.policy
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.feedparser import BytesFeedParser
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from mailer.states import ReplyKind

AUTO_SUBJECT = re.compile(
    r"^\s*(автоответ|автоматический ответ|automatic reply|auto[- ]?reply|auto:|"
    r"out of (the )?office|отсутствую|нет на месте|в отпуске)",
    re.IGNORECASE,
)
_MSGID = re.compile(r"<[^<>\s]+>")
_TAGS = re.compile(r"<[^>]+>")


# RFC 3464's Action of a recipient the report failed for good (the report's word, not a state)
FAILED_ACTION = "failed"


@dataclass
class Bounced:
    """One per-recipient block of a delivery status notification (RFC 3464 section 2.3)."""

    address: str
    status: str
    diagnostic: str
    action: str = ""
    original_address: str = ""

    @property
    def permanent_failure(self) -> bool:
        """Only "failed" with a 5.x.x status is a bounce; delayed, relayed, expanded and
        delivered are notices."""
        return self.action == FAILED_ACTION and self.status.startswith("5.")


@dataclass
class Incoming:
    message_id: str
    sender: str
    subject: str
    received_at: str | None
    kind: ReplyKind  # REPLY, AUTO_REPLY, BOUNCE (any delivery report) or READ_RECEIPT
    thread_ids: list[str] = field(default_factory=list)
    text: str = ""
    attachment_names: list[str] = field(default_factory=list)
    bounced: list[Bounced] = field(default_factory=list)
    returned_headers: dict[str, str] = field(default_factory=dict)
    # a report's copy of the original: its Message-IDs, and whether any header came back at all
    returned_ids: list[str] = field(default_factory=list)
    has_returned_headers: bool = False
    message: EmailMessage | None = None

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of is treated as absent
        return ""
    return str(value) if value is not None else ""


def _ids(value: str) -> list[str]:
    return _MSGID.findall(value)


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html.unescape(_TAGS.sub(" ", content))
    return content


# Precedence: the value some senders give an automatic answer (the header's word, not a kind)
_PRECEDENCE_AUTO = "auto_reply"


def is_auto_reply(message: Message) -> bool:
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return True
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return True
    if _header(message, "Precedence").strip().lower() == _PRECEDENCE_AUTO:
        return True
    return bool(AUTO_SUBJECT.match(_header(message, "Subject")))


# A mail system's own address: what it sends without RFC 3464 (a plain-text bounce) is never a
# person's answer, even when it quotes our letter's thread headers.
_MAIL_SYSTEM = ("mailer-daemon", "postmaster", "mail-daemon", "microsoftexchange")


def _from_mail_system(sender: str) -> bool:
    local = sender.partition("@")[0]
    return local.startswith(_MAIL_SYSTEM)


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type") or "").lower()


def _delivery_status(message: Message) -> list[Bounced]:
    bounced = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        # each block of per-recipient fields is a sub-message of headers
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks:
            if not isinstance(block, Message):
                continue
            final = _address_field(block, "Final-Recipient")
            original = _address_field(block, "Original-Recipient")
            status = str(block.get("Status") or "").strip()
            if not (final or original) or not status:
                continue
            bounced.append(
                Bounced(
                    final or original,
                    status.split()[0],
                    " ".join(str(block.get("Diagnostic-Code") or "").split()),
                    str(block.get("Action") or "").strip().lower(),
                    original,
                )
            )
    return bounced


def _address_field(block: Message, name: str) -> str:
    """ "rfc822; user@host" as an address (RFC 3464 section 2.3.1 and 2.3.2)."""
    value = str(block.get(name) or "")
    return value.split(";", 1)[-1].strip().strip("<>").lower()


def _returned_headers(message: Message) -> tuple[list[str], dict[str, str], bool]:
    """The original's Message-ID and our X-Mailer headers, from a bounce or a receipt, and
    whether the original's headers came back at all."""
    ids: list[str] = []
    headers: dict[str, str] = {}
    returned = False
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/disposition-notification":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                if isinstance(block, Message):
                    ids += _ids(str(block.get("Original-Message-ID") or ""))
        if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            original: Message
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                original = payload[0]
            else:
                raw = part.get_payload(decode=True)
                original = BytesParser(policy=email.policy.default).parsebytes(
                    raw if isinstance(raw, bytes) else b"", headersonly=True
                )
            returned = returned or bool(original.keys())
            ids += _ids(_header(original, "Message-ID"))
            for name in ("X-Mailer-Letter", "X-Mailer-Recipient"):
                if _header(original, name):
                    headers[name] = _header(original, name)
    return ids, headers, returned


def parse_incoming(data: bytes) -> Incoming:
    message = parse_bytes(data)
    message_id = (_ids(_header(message, "Message-ID")) or [""])[0]
    if not message_id:
        # a message without a Message-ID is still recorded once: by its content
        message_id = "<sha256." + hashlib.sha256(data).hexdigest()[:32] + "@mailer.invalid>"
    from_header = _header(message, "From")
    addresses = getaddresses([from_header]) or [parseaddr(from_header)]
    sender = (addresses[0][1] if addresses else "").lower()
    try:
        date = _header(message, "Date")
        received_at = parsedate_to_datetime(date).isoformat() if date else None
    except (TypeError, ValueError):
        received_at = None
    thread_ids = _ids(_header(message, "In-Reply-To")) + _ids(_header(message, "References"))

    report = _report_type(message)
    bounced: list[Bounced] = []
    returned: dict[str, str] = {}
    returned_ids: list[str] = []
    has_returned = False
    if report == "delivery-status":
        # every delivery status report, a delay as well as a failure; the matcher decides
        kind = ReplyKind.BOUNCE
        bounced = _delivery_status(message)
        returned_ids, returned, has_returned = _returned_headers(message)
    elif report == "disposition-notification":
        kind = ReplyKind.READ_RECEIPT
        ids, returned, _ = _returned_headers(message)
        thread_ids += ids
    elif is_auto_reply(message) or _from_mail_system(sender):
        kind = ReplyKind.AUTO_REPLY
    else:
        kind = ReplyKind.REPLY

    texts: list[str] = []
    names: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename:
            names.append(str(filename))
        elif part.get_content_maintype() == "text":
            texts.append(_text_of(part))
    return Incoming(
        message_id=message_id,
        sender=sender,
        subject=_header(message, "Subject"),
        received_at=received_at,
        kind=kind,
        thread_ids=list(dict.fromkeys(thread_ids)),
        text="\n".join(texts),
        attachment_names=names,
        bounced=bounced,
        returned_headers=returned,
        returned_ids=list(dict.fromkeys(returned_ids)),
        has_returned_headers=has_returned,
        message=message,
    )


# The parsing boundary: whatever the bytes, one Incoming or one Unreadable, never a crash.
MAX_DEPTH = 30  # MIME levels; real mail has a handful
_PIECE = 64 * 1024
_STRUCTURE = re.compile(
    rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))|^--([^\r\n]{1,200}?)--[ \t]*\r?$',
    re.IGNORECASE | re.MULTILINE,
)


class Unreadable(Exception):
    """A message that cannot be parsed or classified; the reason in plain Russian."""


def parse_bytes(data: bytes) -> EmailMessage:
    """The email package's parser fed in pieces: parsebytes() would first copy the whole
    message into a str and a StringIO (four bytes a character), ten times its size in all."""
    parser = BytesFeedParser(policy=email.policy.default)
    view = memoryview(data)
    for start in range(0, len(data), _PIECE):
        parser.feed(bytes(view[start : start + _PIECE]))
    message = parser.close()
    assert isinstance(message, EmailMessage)
    return message


def mime_depth(data: bytes) -> int:
    """How deep the multiparts nest, from the boundaries declared and closed, without the
    parser's recursion (which a thousand levels turn into a RecursionError)."""
    if data.count(b"oundary") + data.count(b"OUNDARY") <= MAX_DEPTH:
        return 0  # each level declares a boundary: not enough of them to go too deep
    open_boundaries: list[bytes] = []
    deepest = 0
    for found in _STRUCTURE.finditer(data):
        declared = found[1] or found[2]
        if declared:
            open_boundaries.append(declared)
            deepest = max(deepest, len(open_boundaries))
        elif found[3] in open_boundaries:
            del open_boundaries[open_boundaries.index(found[3]) :]
    return deepest


def read_incoming(data: bytes) -> Incoming:
    """parse_incoming, bounded: too deep a nesting or any parser error is an Unreadable."""
    depth = mime_depth(data)
    if depth > MAX_DEPTH:
        raise Unreadable(
            f"глубина вложенности частей письма {depth}, а допустимо не больше {MAX_DEPTH}"
        )
    try:
        incoming = parse_incoming(data)
        if incoming.message is not None:
            _walk_bounded(incoming.message)
    except RecursionError:
        raise Unreadable("части письма вложены друг в друга слишком глубоко") from None
    except Unreadable:
        raise
    except Exception as exc:  # hostile bytes may break the parser anywhere
        raise Unreadable(f"письмо не удалось разобрать ({type(exc).__name__})") from None
    return incoming


def _walk_bounded(message: Message) -> None:
    stack: list[tuple[Message, int]] = [(message, 1)]
    while stack:
        part, level = stack.pop()
        if level > MAX_DEPTH:
            raise Unreadable(f"глубина вложенности частей письма больше допустимой ({MAX_DEPTH})")
        payload = part.get_payload() if part.is_multipart() else None
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                stack.append((sub, level + 1))
