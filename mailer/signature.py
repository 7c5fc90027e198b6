"""A detached CMS (PKCS#7) signature checked over a file's exact bytes.

The cryptography is OpenSSL's, run as a program, with Debian's GOST engine
(libengine-gost-openssl) for GOST R 34.10-2012 and Streebog; RSA and ECDSA need nothing more.
No maintained pure-Python GOST signature library is on PyPI (the name "pygost" there is a
placeholder), and the pure-Python alternative took 0.15 to 0.45 s a file against OpenSSL's
0.05 s. asn1crypto reads the CMS structure for what OpenSSL's verdict does not say: who signed,
when, and the messageDigest.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mailer.certificate import Certificate, parse_certificate
from mailer.errors import ConfigError, InputError
from mailer.files import read_bounded
from mailer.russian import date_numeric

MAX_SIGNATURE_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 30
_PEM = re.compile(rb"-----BEGIN [A-Z0-9 #]+-----(.*?)-----END [A-Z0-9 #]+-----", re.DOTALL)
_HASHLIB = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
# Streebog (GOST R 34.11-2012) is computed by OpenSSL's GOST engine.
_STREEBOG = {"1.2.643.7.1.1.2.2": "md_gost12_256", "1.2.643.7.1.1.2.3": "md_gost12_512"}


DIGEST_MISMATCH = (
    "подпись сделана не для этого документа: хеш документа не совпадает с подписанным "
    "(messageDigest); если документ изменяли после подписания, подпишите его заново"
)


class SignatureError(InputError):
    """One or more documents have no valid signature; nothing was sent."""

    title = "Ошибка электронной подписи"

    def __init__(
        self, problems: list[str], prepare_again: str = "mailer for-signing ПИСЬМО"
    ) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … и ещё {len(problems) - 50}" if len(problems) > 50 else ""
        super().__init__(
            f"Подписи документов не прошли проверку ({len(problems)}):\n{shown}{more}",
            hint="Ничего не отправлено. Документы для подписи записывает в папку подписей "
            f"команда {prepare_again}; подпишите их и повторите.",
        )


@dataclass(frozen=True)
class Verified:
    """A signature that verified over the document's bytes with the mark's certificate."""

    signature: bytes  # DER, as attached beside the document
    signing_time: dt.datetime | None
    chain: str | None  # the chain's status, when a CA bundle is set


@dataclass(frozen=True)
class _Parsed:
    der: bytes
    digest_oid: str
    message_digest: bytes | None
    signing_time: dt.datetime | None
    signer: Certificate | None  # the certificate the CMS itself carries for its signer
    names_certificate: bool  # the signer identifier names the expected certificate


def read_signature(path: Path) -> bytes:
    return read_bounded(path, MAX_SIGNATURE_BYTES, "подписи", "больше 1 МБ")


def _der(data: bytes) -> bytes:
    """DER as is; PEM ("-----BEGIN CMS-----", "PKCS7", "SIGNED MESSAGE") or bare base64, as
    CryptoPro and КриптоАРМ save it, decoded."""
    if data[:1] == b"\x30":
        return data
    armored = _PEM.search(data)
    text = armored.group(1) if armored else data
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("ни DER, ни base64") from None


def _parse(data: bytes, expected: Certificate) -> _Parsed:
    from asn1crypto import cms

    der = _der(data)
    info = cms.ContentInfo.load(der, strict=True)
    if info["content_type"].native != "signed_data":
        raise ValueError("это не подписанные данные CMS (SignedData)")
    signed = info["content"]
    if signed["encap_content_info"]["content"].native is not None:
        raise ValueError("подпись не откреплённая: документ вложен в неё")
    signer_infos = list(signed["signer_infos"])
    if len(signer_infos) != 1:
        raise ValueError(f"подписей в файле {len(signer_infos)}, ожидается одна")
    signer = signer_infos[0]
    sid = signer["sid"]
    if sid.name == "issuer_and_serial_number":
        names = (
            sid.chosen["serial_number"].native == expected.serial_number
            and sid.chosen["issuer"].dump() == expected.issuer_der
        )
        match = sid.chosen["serial_number"].native
        carried = [
            c.chosen
            for c in signed["certificates"] or []
            if c.name == "certificate" and c.chosen.serial_number == match
        ]
    else:
        key_id = bytes(sid.chosen.native)
        names = key_id == expected.key_identifier
        carried = [
            c.chosen
            for c in signed["certificates"] or []
            if c.name == "certificate" and c.chosen.key_identifier == key_id
        ]
    message_digest = None
    signing_time = None
    for attribute in signer["signed_attrs"] or []:
        kind = attribute["type"].native
        if kind == "message_digest":
            message_digest = bytes(attribute["values"][0].native)
        elif kind == "signing_time":
            signing_time = attribute["values"][0].native
    return _Parsed(
        der=der,
        digest_oid=signer["digest_algorithm"]["algorithm"].dotted,
        message_digest=message_digest,
        signing_time=signing_time,
        signer=parse_certificate(carried[0].dump(), "из подписи") if carried else None,
        names_certificate=names,
    )


@lru_cache(maxsize=1)
def _openssl() -> tuple[str, tuple[str, ...]]:
    """The openssl program and the options that load the GOST engine, when it is installed."""
    program = shutil.which("openssl")
    if program is None:
        raise ConfigError(
            "Для проверки электронной подписи нужна программа openssl, а она не найдена.",
            hint="Установите пакеты openssl и libengine-gost-openssl (модуль ГОСТ).",
        )
    probe = subprocess.run(
        [program, "engine", "-t", "gost"], capture_output=True, timeout=TIMEOUT_SECONDS
    )
    return program, ("-engine", "gost") if probe.returncode == 0 else ()


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    program, _ = _openssl()
    try:
        return subprocess.run(
            [program, *args], capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"Программа openssl не отработала: {exc}.") from None


def _digest(data: bytes, oid: str, work: Path) -> bytes | None:
    if oid in _HASHLIB:
        return hashlib.new(_HASHLIB[oid], data).digest()
    if oid in _STREEBOG:
        _, engine = _openssl()
        source = work / "digest.bin"
        source.write_bytes(data)
        done = _run(["dgst", *engine, f"-{_STREEBOG[oid]}", "-binary", str(source)])
        return done.stdout if done.returncode == 0 else None
    return None


def _why_not(parsed: _Parsed, data: bytes, stderr: bytes, work: Path) -> str:
    if parsed.message_digest is not None:
        digest = _digest(data, parsed.digest_oid, work)
        if digest is not None and digest != parsed.message_digest:
            return DIGEST_MISMATCH
    if not _openssl()[1] and parsed.digest_oid.startswith("1.2.643."):
        return "подпись по ГОСТ, а модуль ГОСТ для OpenSSL не установлен (libengine-gost-openssl)"
    detail = stderr.decode("utf-8", "replace").strip().splitlines()
    reason = next((line for line in reversed(detail) if ":" in line), "")
    reason = reason.rsplit(":", 1)[0].rsplit(":", 1)[-1] if reason else ""
    return "подпись не сходится с документом и ключом сертификата" + (
        f" (OpenSSL: {reason})" if reason else ""
    )


def verify_detached(
    data: bytes,
    signature: bytes,
    certificate: Certificate,
    letter_date: dt.date,
    ca_file: Path | None = None,
) -> Verified | list[str]:
    """The verified signature, or every reason it is not acceptable.

    Only the mark's certificate is offered to OpenSSL (-nointern): a signature is accepted only
    if that certificate's key made it, whatever certificates the CMS carries."""
    try:
        parsed = _parse(signature, certificate)
    except ValueError as exc:
        return [f"файл подписи не читается как откреплённая подпись CMS (PKCS#7): {exc}"]
    reasons = []
    if not parsed.names_certificate:
        other = parsed.signer
        who = f"сертификатом {other.serial} ({other.owner})" if other else "другим сертификатом"
        reasons.append(
            f"подписано {who}, а отметка называет сертификат {certificate.serial} "
            f"({certificate.owner})"
        )
    if not certificate.valid_on(letter_date):
        reasons.append(
            f"письмо датировано {date_numeric(letter_date)}, а сертификат действителен "
            f"{certificate.validity}"
        )
    when = parsed.signing_time
    if when is not None and not certificate.valid_at(when):
        reasons.append(
            f"подписано {date_numeric(when.date())}, вне срока действия сертификата "
            f"({certificate.validity})"
        )
    if reasons:
        return reasons
    _, engine = _openssl()
    with tempfile.TemporaryDirectory(prefix="mailer-sig-") as tmp:
        work = Path(tmp)
        (work / "doc").write_bytes(data)
        (work / "doc.sig").write_bytes(parsed.der)
        (work / "signer.pem").write_bytes(certificate.pem())
        # -noverify: the chain is reported apart (_chain), never a reason to refuse
        done = _run(
            [
                *("cms", "-verify", *engine, "-binary", "-inform", "DER"),
                *("-in", str(work / "doc.sig"), "-content", str(work / "doc")),
                *("-nointern", "-certfile", str(work / "signer.pem")),
                *("-noverify", "-out", str(work / "out")),
            ]
        )
        if done.returncode != 0:
            return [_why_not(parsed, data, done.stderr, work)]
        chain = _chain(certificate, ca_file, letter_date, work) if ca_file else None
    return Verified(parsed.der, when, chain)


def _chain(certificate: Certificate, ca_file: Path, day: dt.date, work: Path) -> str:
    """Trust is reported, never required: office CAs differ."""
    _, engine = _openssl()
    moment = dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)
    attime = str(int(moment.timestamp()))
    done = _run(
        ["verify", *engine, "-CAfile", str(ca_file), "-attime", attime, str(work / "signer.pem")]
    )
    if done.returncode == 0:
        return f"цепочка сертификатов проверена по {ca_file.name}"
    detail = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    found = re.search(r"error \d+ at \d+ depth lookup: ?(.+)", detail)
    why = found.group(1).strip() if found else "не удалось построить цепочку"
    return f"цепочка сертификатов не подтверждена по {ca_file.name}: {why}"
