"""The signer's certificate and the electronic-signature mark drawn from it.

The mark (отметка об электронной подписи) shows the certificate's number, its owner and its
validity. They are read from the certificate file, never typed: a typed number is where a copying
error goes unnoticed. asn1crypto parses X.509 whatever the key's algorithm (GOST included), with
no native code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import LetterError
from mailer.files import read_bounded
from mailer.russian import date_numeric

MAX_CERTIFICATE_BYTES = 64 * 1024
# Russian offices read dates in Moscow time (UTC+3 all year since 2014), as CryptoPro shows them.
MOSCOW = dt.timezone(dt.timedelta(hours=3))


@dataclass(frozen=True)
class Certificate:
    """What the mark and the verification need from an X.509 certificate."""

    serial: str  # hex, upper case, as CryptoPro shows it (the DER integer's bytes: "00AB…")
    owner: str  # surname, given name and patronymic
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    der: bytes
    issuer_der: bytes
    serial_number: int
    key_identifier: bytes | None

    @property
    def valid_from(self) -> dt.date:
        return self.not_before.astimezone(MOSCOW).date()

    @property
    def valid_to(self) -> dt.date:
        return self.not_after.astimezone(MOSCOW).date()

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after

    @property
    def validity(self) -> str:
        return f"с {date_numeric(self.valid_from)} по {date_numeric(self.valid_to)}"

    def mismatches(
        self,
        serial: str | None,
        owner: str | None,
        valid_from: dt.date | None,
        valid_to: dt.date | None,
    ) -> list[str]:
        """How hand-typed values (kept by older letter folders) differ from the certificate."""
        found = []
        if serial is not None and not _same_serial(serial, self.serial_number):
            found.append(f"номер сертификата {serial}, в сертификате {self.serial}")
        if owner is not None and _folded(owner) != _folded(self.owner):
            found.append(f"владелец «{owner}», в сертификате «{self.owner}»")
        for label, value, actual in (
            ("действителен с", valid_from, self.valid_from),
            ("действителен по", valid_to, self.valid_to),
        ):
            if value is not None and value != actual:
                found.append(f"{label} {date_numeric(value)}, в сертификате {date_numeric(actual)}")
        return found

    def pem(self) -> bytes:
        from asn1crypto import pem

        return bytes(pem.armor("CERTIFICATE", self.der))


@dataclass(frozen=True)
class SignatureMark:
    """What the mark in the signature block shows (its strings: mailer.signature_mark), built
    only from a certificate."""

    certificate: str
    owner: str
    valid_from: dt.date
    valid_to: dt.date

    @classmethod
    def of(cls, certificate: Certificate) -> SignatureMark:
        return cls(
            certificate.serial, certificate.owner, certificate.valid_from, certificate.valid_to
        )


def _owner(subject: dict[str, object]) -> str:
    """Qualified certificates (приказ ФСБ № 795) put the surname in SN, the given name and
    patronymic in G, and the whole name in CN; an organization's certificate may have only CN."""
    surname = str(subject.get("surname") or "").strip()
    given = str(subject.get("given_name") or "").strip()
    if surname and given:
        return f"{surname} {given}"
    return " ".join(str(subject.get("common_name") or "").split())


def parse_certificate(data: bytes, where: str) -> Certificate:
    from asn1crypto import pem, x509

    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        cert = x509.Certificate.load(data)
        tbs = cert["tbs_certificate"]
        subject = tbs["subject"].native
        issuer = tbs["issuer"]
        validity = tbs["validity"]
        key_id = cert.key_identifier
        result = Certificate(
            serial=tbs["serial_number"].contents.hex().upper(),
            owner=_owner(subject),
            issuer=issuer.human_friendly,
            not_before=validity["not_before"].native,
            not_after=validity["not_after"].native,
            der=cert.dump(),
            issuer_der=issuer.dump(),
            serial_number=tbs["serial_number"].native,
            key_identifier=bytes(key_id) if key_id else None,
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise LetterError(
            f"Файл сертификата {where} не читается как сертификат X.509 (DER или PEM): {exc}."
        ) from None
    if not result.owner:
        raise LetterError(f"В сертификате {where} не указан владелец (SN, G или CN).")
    return result


def load_certificate(path: Path) -> Certificate:
    data = read_bounded(path, MAX_CERTIFICATE_BYTES, "сертификата", "больше 64 КБ")
    return parse_certificate(data, str(path))


def _same_serial(typed: str, serial: int) -> bool:
    digits = "".join(typed.split())
    try:
        return int(digits, 16) == serial
    except ValueError:
        return False


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold().replace("ё", "е")
