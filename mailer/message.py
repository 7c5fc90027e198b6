"""One recipient's email as bytes: plain text and HTML alternatives, the DOCX attached under an
RFC 2231 file name, our own Message-ID, and the headers that let replies be matched later.
"""

from __future__ import annotations

import email.policy
import html
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from mailer.errors import ConfigError
from mailer.text import Block, to_html, to_plain

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
POLICY = email.policy.SMTP.clone(max_line_length=78)

_HTML_PAGE = """<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: 'Times New Roman', serif; font-size: 14pt; max-width: 50em">
{body}
</body></html>
"""


@dataclass(frozen=True)
class Sender:
    display_name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def header(self) -> Address:
        username, _, domain = self.address.rpartition("@")
        return Address(self.display_name, username, domain)


def parse_sender(configured: str | None, fallback_name: str, fallback_address: str) -> Sender:
    """MAILER_SENDER as 'Name <addr>' or a bare address; the organization's name by default."""
    raw = configured or fallback_address
    name, address = parseaddr(raw)
    if not address or "@" not in address or any(c in raw for c in "\r\n"):
        raise ConfigError(
            f"Адрес отправителя «{raw}» не похож на адрес электронной почты.",
            hint="Задайте MAILER_SENDER, например: "
            "Управление экономического развития <ed@example.org>",
        )
    return Sender(name or fallback_name, address)


def new_message_id(sender: Sender, recipient_id: str) -> str:
    token = secrets.token_hex(12)
    safe_id = "".join(c for c in recipient_id if c.isascii() and (c.isalnum() or c in "-_"))[:32]
    return f"<{token}.{safe_id or 'r'}@{sender.domain}>"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


def html_page(title: str, blocks: Sequence[Block]) -> str:
    return _HTML_PAGE.format(title=html.escape(title), body=to_html(list(blocks)))


def build_message(
    *,
    sender: Sender,
    to_name: str,
    to_addresses: Sequence[str],
    subject: str,
    blocks: Sequence[Block],
    attachments: Sequence[Attachment],
    message_id: str,
    letter_key: str,
    recipient_id: str,
    reply_to: str | None = None,
    read_receipt: bool = False,
    date: datetime | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = sender.header()
    message["To"] = [
        Address(to_name if len(to_addresses) == 1 else "", *addr.rsplit("@", 1))
        for addr in to_addresses
    ]
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime.now().astimezone())
    message["Message-ID"] = message_id
    if in_reply_to:
        # a reminder stays in the original's thread
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join(references or [in_reply_to])
    if reply_to:
        message["Reply-To"] = reply_to
    if read_receipt:
        message["Disposition-Notification-To"] = sender.address
    # Bounces and auto-replies quote the original headers: these tie them back to the journal.
    message["X-Mailer-Letter"] = letter_key
    message["X-Mailer-Recipient"] = recipient_id
    # base64: Cyrillic text in quoted-printable is three times longer and no more readable.
    message.set_content(to_plain(list(blocks)), subtype="plain", charset="utf-8", cte="base64")
    message.add_alternative(
        html_page(subject, blocks), subtype="html", charset="utf-8", cte="base64"
    )
    for item in attachments:
        message.add_attachment(
            item.data, maintype=item.maintype, subtype=item.subtype, filename=item.filename
        )
    return message


def to_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=POLICY)
