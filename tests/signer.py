"""An independent signer for the tests: keys, certificates and detached CMS signatures made by
the openssl program with Debian's GOST engine, as an office's CryptoPro or КриптоАРМ would."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
from dataclasses import dataclass
from pathlib import Path

GOST = ["-engine", "gost"]
_serials = itertools.count(0x7E57_0000_0001)

KEYS = {
    "gost256": (["-algorithm", "gost2012_256", "-pkeyopt", "paramset:A"], "md_gost12_256"),
    "gost512": (["-algorithm", "gost2012_512", "-pkeyopt", "paramset:A"], "md_gost12_512"),
    "rsa": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "sha256"),
    "ecdsa": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "sha256"),
}

_CONFIG = """[ca]
default_ca = test
[test]
database = {work}/index.txt
serial = {work}/serial
new_certs_dir = {work}
default_md = {md}
policy = anything
unique_subject = no
[anything]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
[signer_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
"""


def openssl(*args: str | Path) -> bytes:
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout


def _stamp(day: dt.date) -> str:
    return day.strftime("%Y%m%d") + "090000Z"


@dataclass(frozen=True)
class Identity:
    key: Path
    certificate: Path
    md: str
    serial: int


class TestCA:
    """A throwaway certificate authority in a folder of the test."""

    __test__ = False

    def __init__(self, folder: Path, kind: str = "gost256") -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.txt").write_text("")
        self.root = self._new(
            "ca",
            "/C=RU/O=ТЕСТОВЫЙ УЦ/CN=ТЕСТОВЫЙ УЦ — НЕ ДЛЯ РАБОТЫ",
            dt.date(2020, 1, 1),
            dt.date(2040, 1, 1),
            kind,
            None,
        )

    def _config(self, md: str) -> Path:
        path = self.folder / "ca.cnf"
        path.write_text(_CONFIG.format(work=self.folder, md=md), encoding="utf-8")
        return path

    def _new(
        self,
        name: str,
        subject: str,
        start: dt.date,
        end: dt.date,
        kind: str,
        issuer: Identity | None,
    ) -> Identity:
        options, md = KEYS[kind]
        key = self.folder / f"{name}.key"
        openssl("genpkey", *GOST, *options, "-out", key)
        request = self.folder / f"{name}.csr"
        openssl("req", *GOST, "-new", "-utf8", "-key", key, "-subj", subject, "-out", request)
        serial = next(_serials)
        (self.folder / "serial").write_text(f"{serial:X}\n")
        certificate = self.folder / f"{name}.pem"
        signing: list[str | Path] = ["-selfsign", "-keyfile", key]
        if issuer is not None:
            signing = ["-cert", issuer.certificate, "-keyfile", issuer.key]
            md = issuer.md
        openssl(
            "ca", *GOST, "-batch", "-utf8", "-config", self._config(md), *signing,
            "-in", request, "-out", certificate, "-notext",
            "-extensions", "ca_ext" if issuer is None else "signer_ext",
            "-startdate", _stamp(start), "-enddate", _stamp(end),
        )  # fmt: skip
        return Identity(key, certificate, KEYS[kind][1], serial)

    def issue(
        self,
        name: str,
        *,
        kind: str = "gost256",
        start: dt.date = dt.date(2023, 1, 1),
        end: dt.date = dt.date(2037, 12, 31),
        surname: str = "Дождиков",
        given: str = "Кирилл Владимирович",
    ) -> Identity:
        subject = f"/C=RU/SN={surname}/GN={given}/CN={surname} {given}"
        identity = self._new(name, subject, start, end, kind, self.root)
        return Identity(identity.key, identity.certificate, KEYS[kind][1], identity.serial)


def sign(document: Path, signer: Identity, *, pem: bool = False, out: Path | None = None) -> Path:
    """A detached CMS signature beside the document (DER, or PEM as КриптоАРМ can save it)."""
    target = out or document.with_name(document.name + ".sig")
    openssl(
        "cms", *GOST, "-sign", "-binary", "-in", document, "-signer", signer.certificate,
        "-inkey", signer.key, "-md", signer.md, "-outform", "PEM" if pem else "DER",
        "-out", target,
    )  # fmt: skip
    return target


def verifies(document: Path, signature: Path, certificate: Path) -> bool:
    """What `openssl cms -verify` says of a document and its signature."""
    done = subprocess.run(
        [
            *("openssl", "cms", *GOST, "-verify", "-binary", "-inform", "DER"),
            *("-in", str(signature), "-content", str(document), "-noverify"),
            *("-certfile", str(certificate), "-out", "/dev/null"),
        ],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0
