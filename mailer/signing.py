"""The signing round trip of a signed letter: the documents to sign, and their signatures.

`for-signing` writes the exact DOCX files that will be sent into the letter's signing folder
(one for a letter "по списку", one per recipient otherwise). The signer signs them in a batch
with the office's tool, which leaves a detached signature (`.sig`) beside each. `send` builds the
documents again (the build is deterministic), finds each one's signature and verifies it over
the bytes it is about to send: nothing goes unless every one verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.certificate import Certificate
from mailer.errors import LetterError, OutputError
from mailer.guard import file_name
from mailer.signature import (
    DIGEST_MISMATCH,
    SignatureError,
    Verified,
    read_signature,
    verify_detached,
)

if TYPE_CHECKING:
    from mailer.campaign import Prepared
    from mailer.recipients import Recipient

# What the office's tools name a detached signature: CryptoPro and КриптоАРМ ".sig", cryptcp
# ".sgn", S/MIME habits ".p7s". The email always carries it as "<document>.sig".
SIGNATURE_SUFFIXES = (".sig", ".sgn", ".p7s")
SHARED = ""  # the key of the one document of a letter "по списку"
WORKERS = 4


@dataclass(frozen=True)
class Document:
    """One document of the letter, as it is sent and as it is signed."""

    key: str  # the recipient's id, or SHARED
    file_name: str  # its name in the signing folder
    data: bytes


@dataclass(frozen=True)
class Signed:
    sha256: str
    verified: Verified


def signing_name(recipient_id: str | None, docx_name: str) -> str:
    """Personal documents carry the recipient's id first: two recipients of one organization
    would otherwise share a name."""
    if recipient_id is None:
        return docx_name
    return file_name(f"{recipient_id} {docx_name.removesuffix('.docx')}", composed=True) + ".docx"


def letter_documents(prepared: Prepared, recipients: Iterable[Recipient]) -> Iterator[Document]:
    if prepared.shared_docx is not None:
        name = prepared.letter.docx_name(None)
        yield Document(SHARED, name, prepared.shared_docx)
        return
    for recipient in recipients:
        rendered, docx = prepared.render(recipient)
        yield Document(recipient.id, signing_name(recipient.id, rendered.docx_name), docx)


def signing_folder(prepared: Prepared) -> Path:
    """The letter's folder of signatures; a letter that is not signed has none."""
    folder = prepared.letter.signing_folder
    if folder is None:
        raise LetterError(
            f"Письмо «{prepared.letter.key}» не подписывается: в его настройках нет раздела "
            "[signature] с сертификатом подписавшего.",
            hint="Чтобы письмо подписывалось, добавьте в его letter.toml раздел [signature] "
            'со строкой certificate_file = "имя_файла.cer" (сертификат подписывающего, DER или '
            "PEM, в папке письма).",
        )
    return folder


@dataclass(frozen=True)
class ForSigning:
    folder: Path
    written: list[str]
    unchanged: list[str]  # already there, byte for byte
    signed: int  # of those, with a signature beside
    moved: list[str]  # older versions moved aside, with their signatures
    earlier: Path | None  # where they went


def write_for_signing(prepared: Prepared, documents: Iterable[Document]) -> ForSigning:
    """Write the documents to sign. A document already there is kept if it is the same; an
    older version, with its signature, is moved into a dated subfolder, never overwritten."""
    folder = signing_folder(prepared)
    documents = list(documents)
    written, unchanged, moved, signed = [], [], [], 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        earlier = folder / dt.datetime.now().strftime("прежние %Y-%m-%d %H-%M-%S")
        for document in documents:
            path = folder / document.file_name
            if path.exists() and path.read_bytes() != document.data:
                earlier.mkdir(exist_ok=True)
                for old in (path, *(path.with_name(path.name + s) for s in SIGNATURE_SUFFIXES)):
                    if old.exists():
                        old.rename(earlier / old.name)
                moved.append(document.file_name)
            if path.exists():
                unchanged.append(document.file_name)
                signed += _signature_path(path) is not None
            else:
                path.write_bytes(document.data)
                written.append(document.file_name)
    except OSError as exc:
        raise OutputError(f"Не удалось записать документы для подписи в {folder}: {exc}.") from None
    return ForSigning(folder, written, unchanged, signed, moved, earlier if moved else None)


def _signature_path(document: Path) -> Path | None:
    for suffix in SIGNATURE_SUFFIXES:
        candidate = document.with_name(document.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def _check_one(
    document: Document, folder: Path, certificate: Certificate, day: dt.date, ca: Path | None
) -> Signed | str:
    path = folder / document.file_name
    sig_path = _signature_path(path)
    if sig_path is None:
        return f"{document.file_name}: не подписан, рядом нет файла .sig (папка {folder})"
    try:
        result = verify_detached(document.data, read_signature(sig_path), certificate, day, ca)
    except LetterError as exc:
        return f"{document.file_name}: {exc.message}"
    if isinstance(result, Verified):
        return Signed(hashlib.sha256(document.data).hexdigest(), result)
    if DIGEST_MISMATCH in result and path.is_file() and path.read_bytes() != document.data:
        result[result.index(DIGEST_MISMATCH)] = (
            "письмо изменено после подписания: документ, который собирается сейчас, отличается "
            "от подписанного (изменены настройки, шаблон или список?); подготовьте документы "
            "заново (mailer for-signing) и подпишите их"
        )
    return f"{document.file_name}: " + "; ".join(result)


def verify_documents(
    prepared: Prepared, documents: Iterable[Document], day: dt.date | None = None
) -> tuple[dict[str, Signed], list[str]]:
    """Each document's verified signature by key, and the problems of the others."""
    folder = signing_folder(prepared)
    certificate = prepared.letter.certificate
    assert certificate is not None
    day = day or prepared.letter.settings.registration.date
    ca = prepared.settings.signature_ca_file
    signed: dict[str, Signed] = {}
    problems: list[str] = []
    documents = list(documents)
    # OpenSSL runs as a program: a few at once keep both cores busy.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = pool.map(lambda d: _check_one(d, folder, certificate, day, ca), documents)
        for document, result in zip(documents, results, strict=True):
            if isinstance(result, Signed):
                signed[document.key] = result
            else:
                problems.append(result)
    return signed, problems


def require_signatures(
    prepared: Prepared, recipients: Iterable[Recipient], day: dt.date | None = None
) -> dict[str, Signed]:
    """Every document's signature verified, or SignatureError listing every file and reason."""
    signed, problems = verify_documents(prepared, letter_documents(prepared, recipients), day)
    if problems:
        raise SignatureError(problems, f"mailer for-signing {prepared.letter.key}")
    return signed


def signature_for(signed: dict[str, Signed], key: str, docx: bytes) -> bytes:
    """The verified signature of a document about to be sent, after making sure the bytes are
    the very ones it was verified over."""
    entry = signed.get(key)
    if entry is None or hashlib.sha256(docx).hexdigest() != entry.sha256:
        raise SignatureError(
            [f"{key or 'документ'}: документ изменился после проверки подписи, отправка прервана"]
        )
    return entry.verified.signature


def describe(certificate: Certificate) -> str:
    return (
        f"сертификат {certificate.serial}, владелец {certificate.owner}, "
        f"действителен {certificate.validity}"
    )
