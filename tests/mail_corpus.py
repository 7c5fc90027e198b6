"""Realistic incoming mail, built from the letters the SMTP server actually received: replies as
Thunderbird, Outlook and webmail write them, auto-replies, bounces, receipts, forwards."""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime

REG = "02-06-4425И38/10/-3327"
OFFICE = "ed@economy.example.org"
WHEN = datetime(2023, 10, 20, 10, 30, tzinfo=UTC)


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def _base(sender: str, subject: str, message_id: str, name: str = "") -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = Address(name, *sender.split("@")) if name else sender
    message["To"] = OFFICE
    message["Subject"] = subject
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = message_id
    return message


def reply(
    original: EmailMessage | None,
    sender: str,
    body: str,
    *,
    subject: str | None = None,
    message_id: str,
    thread: bool = True,
    html: bool = False,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
    charset: str = "utf-8",
) -> bytes:
    title = subject if subject is not None else f"Re: {original['Subject'] if original else ''}"
    message = _base(sender, title, message_id, name="Ответственный исполнитель")
    if original is not None and thread:
        message["In-Reply-To"] = original["Message-ID"]
        message["References"] = original["Message-ID"]
    for name, value in (headers or {}).items():
        message[name] = value
    if html:
        message.set_content(f"<html><body><p>{body}</p></body></html>", subtype="html")
    else:
        message.set_content(body, charset=charset)
    for filename, data in attachments or []:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes()


def raw_reply_cp1251(sender: str, message_id: str) -> bytes:
    """An old mail client: subject in RFC 2047 Windows-1251, body in KOI8-R."""
    import base64

    subject = f"Ответ на исх. № {REG}".encode("cp1251")
    encoded = "=?windows-1251?B?" + base64.b64encode(subject).decode() + "?="
    body = f"Направляем информацию на N {REG} от 12.10.2023.\r\n".encode("koi8-r")  # no № in KOI8-R
    return (
        f"From: {sender}\r\nTo: {OFFICE}\r\nSubject: {encoded}\r\n"
        f"Date: {format_datetime(WHEN)}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body


def raw_reply_koi8_subject(sender: str, message_id: str) -> bytes:
    import base64

    subject = f"Информация на N {REG}".encode("koi8-r")
    encoded = "=?koi8-r?B?" + base64.b64encode(subject).decode() + "?="
    return (
        f"From: {sender}\r\nTo: {OFFICE}\r\nSubject: {encoded}\r\n"
        f"Date: {format_datetime(WHEN)}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nСм. вложение.\r\n"
    ).encode()


def bounce(
    original: EmailMessage,
    address: str,
    *,
    with_original: bool,
    status: str = "5.1.1",
    message_id: str,
) -> bytes:
    boundary = "bounce-boundary"
    diagnostic = (
        "smtp; 550 5.1.1 User unknown" if status.startswith("5") else "smtp; 451 4.4.1 deferred"
    )
    action = "failed" if status.startswith("5") else "delayed"
    original_part = ""
    if with_original:
        headers = "".join(
            f"{name}: {value}\r\n"
            for name, value in original.items()
            if name
            in ("From", "To", "Subject", "Message-ID", "X-Mailer-Letter", "X-Mailer-Recipient")
        )
        original_part = f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@relay.example.org>\r\nTo: {OFFICE}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nDate: {format_datetime(WHEN)}\r\n"
        f"Message-ID: {message_id}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; relay.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n\r\n"
        f"{original_part}--{boundary}--\r\n"
    ).encode()


def read_receipt(original: EmailMessage, sender: str, message_id: str) -> bytes:
    boundary = "mdn-boundary"
    return (
        f"From: {sender}\r\nTo: {OFFICE}\r\nSubject: Прочитано: {original['Subject']}\r\n"
        f"Date: {format_datetime(WHEN)}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=disposition-notification; "
        f'boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПисьмо прочитано.\r\n"
        f"--{boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Final-Recipient: rfc822; {sender}\r\n"
        f"Original-Message-ID: {original['Message-ID']}\r\n"
        f"Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def postfix_report(
    original: EmailMessage,
    blocks: list[tuple[str, str, str, str]],
    *,
    message_id: str,
    headers_of: EmailMessage | None = None,
    sender: str = "MAILER-DAEMON@mx.region.example.org",
) -> bytes:
    """A delivery status notification as Postfix writes it: a text part, the per-recipient
    blocks (address, action, status, diagnostic), then the original's headers, always.
    ``headers_of`` returns another message's headers (a forgery copies ours)."""
    boundary = "3F2A1C0A1B.1698000000/mx.region.example.org"
    delayed = all(action == "delayed" for _, action, _, _ in blocks)
    subject = (
        "Delayed Mail (still being retried)" if delayed else "Undelivered Mail Returned to Sender"
    )
    per_recipient = "".join(
        f"\r\nFinal-Recipient: rfc822; {address}\r\nOriginal-Recipient: rfc822;{address}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic}\r\n"
        + (
            "Will-Retry-Until: Fri, 25 Oct 2023 10:30:00 +0300 (MSK)\r\n"
            if action == "delayed"
            else ""
        )
        for address, action, status, diagnostic in blocks
    )
    source = headers_of if headers_of is not None else original
    returned = "".join(
        f"{name}: {value}\r\n"
        for name, value in source.items()
        if name
        in ("From", "To", "Subject", "Date", "Message-ID", "X-Mailer-Letter", "X-Mailer-Recipient")
    )
    return (
        f"From: {sender} (Mail Delivery System)\r\nTo: {OFFICE}\r\n"
        f"Subject: {subject}\r\nDate: {format_datetime(WHEN)}\r\n"
        f"Message-ID: {message_id}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\n'
        f"Content-Transfer-Encoding: 8bit\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n"
        f"--{boundary}\r\nContent-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.region.example.org.\r\n\r\n"
        f"--{boundary}\r\nContent-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.region.example.org\r\nX-Postfix-Queue-ID: 3F2A1C0A1B\r\n"
        f"X-Postfix-Sender: rfc822; {OFFICE}\r\nArrival-Date: {format_datetime(WHEN)}\r\n"
        f"{per_recipient}\r\n"
        f"--{boundary}\r\nContent-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{returned}\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def exchange_report(
    original: EmailMessage, blocks: list[tuple[str, str, str, str]], *, message_id: str
) -> bytes:
    """A non-delivery report as Exchange writes it: a readable part, the per-recipient blocks
    with Original-Recipient first, and the whole original message attached."""
    report = EmailMessage(policy=email.policy.SMTP)
    report["From"] = "Microsoft Outlook <postmaster@elets.example.org>"
    report["To"] = OFFICE
    report["Subject"] = f"Недоставляемое: {original['Subject']}"
    report["Date"] = format_datetime(WHEN)
    report["Message-ID"] = message_id
    report["Auto-Submitted"] = "auto-replied"
    report.set_content("Не удалось доставить сообщение указанным ниже получателям.")
    fields = "Reporting-MTA: dns;EXCH01.elets.example.org\r\nArrival-Date: " + format_datetime(WHEN)
    for address, action, status, diagnostic in blocks:
        fields += (
            f"\r\n\r\nOriginal-Recipient: rfc822;{address}\r\nFinal-Recipient: rfc822;{address}"
            f"\r\nAction: {action}\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic}"
        )
    status_part = BytesParser(policy=email.policy.default).parsebytes(
        b"Content-Type: message/delivery-status\r\n\r\n" + fields.encode() + b"\r\n"
    )
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    report.attach(status_part)
    report.attach(_as_rfc822(original))
    return report.as_bytes()


def _as_rfc822(original: EmailMessage) -> EmailMessage:
    part = EmailMessage(policy=email.policy.SMTP)
    part.set_content(original)
    return part
