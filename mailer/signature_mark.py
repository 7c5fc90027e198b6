"""The electronic-signature mark's words, defined once: mailer.signature_block sets them in the
signature row, and `check` (mailer.check, mailer.layout_check) looks for them in a built document.

Whether a letter has a mark, and what it says, comes from its signer's certificate
(certificate.SignatureMark); the shape of the mark is here.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from mailer.russian import date_numeric

# The mark's two-line title and the templates of the lines below it.
MARK_TITLE = ("ДОКУМЕНТ ПОДПИСАН", "ЭЛЕКТРОННОЙ ПОДПИСЬЮ")
_CERTIFICATE = "Сертификат "
_OWNER = "Владелец "
_VALIDITY = "Действителен с "
# What every line of the mark begins with, whatever the certificate: how `check` tells the
# mark's paragraphs (which may be set smaller than the text) from the others.
MARK_LINE_STARTS = (*MARK_TITLE, _CERTIFICATE, _OWNER, _VALIDITY)


class MarkData(Protocol):
    """What the mark shows, read from the signer's certificate (certificate.SignatureMark)."""

    @property
    def certificate(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def valid_from(self) -> dt.date: ...
    @property
    def valid_to(self) -> dt.date: ...


def mark_lines(mark: MarkData) -> list[str]:
    """The mark's text lines, below its two-line title: certificate, owner, validity."""
    return [
        f"{_CERTIFICATE}{mark.certificate}",
        f"{_OWNER}{mark.owner}",
        f"{_VALIDITY}{date_numeric(mark.valid_from)} по {date_numeric(mark.valid_to)}",
    ]


def mark_in(text: str) -> bool:
    """Whether a document's text shows the mark's title (a line of it)."""
    return any(line in text for line in MARK_TITLE)
