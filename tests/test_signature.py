"""Signed letters: the mark only beside a detached signature that verifies over the exact bytes
sent, its data read from the certificate. OpenSSL with the GOST engine signs, independently."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.docx import read_docx_text
from tests.conftest import REPO, parse_strict, run
from tests.signer import Identity, TestCA, openssl, sign, verifies
from tests.smtp_server import SmtpServer

LIST = "quality-week-list"
LIST_DOCX = "Письмо 12.10.2023 № 02-06-4425И38_10_-3327.docx"
RESIGN = "bash letters/quality-week-list/make-demo-signature.sh"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def signer(ca: TestCA) -> Identity:
    return ca.issue("signer")


def use_certificate(workdir: Path, letter: str, identity: Identity, extra: str = "") -> Path:
    """The letter signed by ``identity``'s certificate: its [signature] names that file."""
    folder = workdir / "letters" / letter
    (folder / "signer.pem").write_bytes(identity.certificate.read_bytes())
    settings = folder / "letter.toml"
    text = (REPO / "letters" / letter / "letter.toml").read_text(encoding="utf-8")
    if 'certificate_file = "demo-signer.pem"' in text:
        text = text.replace('"demo-signer.pem"', '"signer.pem"')
    else:
        text += '\n[signature]\ncertificate_file = "signer.pem"\n'
    settings.write_text(text.replace("[signature]\n", "[signature]\n" + extra), encoding="utf-8")
    signed = folder / "signed"
    for old in signed.glob("*"):
        old.unlink()
    return signed


def documents_to_sign(letter: str) -> list[Path]:
    result = run(["for-signing", letter])
    assert result.exit_code == 0, result.output
    folder = Path("letters") / letter / "signed"
    documents = sorted(folder.glob("*.docx"))
    assert documents
    return documents


def sign_all(letter: str, identity: Identity, *, pem: bool = False) -> list[Path]:
    documents = documents_to_sign(letter)
    for document in documents:
        sign(document, identity, pem=pem)
    return documents


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        name = part.get_filename()
        assert name is not None
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[name] = payload
    return found


def received(smtp_server: SmtpServer) -> list[EmailMessage]:
    return [parse_strict(m.data) for m in smtp_server.handler.messages]


def send_refused(letter: str, smtp_server: SmtpServer, *expected: str) -> str:
    result = run(["send", letter, "--yes"], env=smtp_server.env())
    assert result.exit_code == 3, result.output
    assert "Ничего не отправлено" in result.output
    for text in expected:
        assert text in result.output
    assert smtp_server.handler.messages == []
    return result.output


def test_the_shipped_demo_signature_verifies_over_the_document_built_today(workdir: Path) -> None:
    result = run(["check", LIST])
    assert result.exit_code == 0, (
        f"The sample's demo signature no longer verifies: the document changed. Re-sign it: "
        f"{RESIGN}\n{result.output}"
    )
    assert "подписи проверены: 1 из 1" in result.output
    assert "00ABC20116D53890C647B5F348EF27DE30" in result.output
    lines = read_docx_text(workdir / "letters" / LIST / "signed" / LIST_DOCX)
    assert "ДОКУМЕНТ ПОДПИСАН" in lines
    assert "Сертификат 00ABC20116D53890C647B5F348EF27DE30" in lines
    assert "Владелец Дождиков Кирилл Владимирович" in lines
    assert "Действителен с 01.01.2023 по 31.12.2037" in lines


@pytest.mark.parametrize(
    ("kind", "pem"),
    [
        ("gost256", False),
        ("gost256", True),
        ("gost512", False),
        ("gost512", True),
        ("rsa", False),
        ("ecdsa", True),
    ],
)
def test_a_good_signature_travels_beside_the_exact_signed_document(
    workdir: Path, smtp_server: SmtpServer, ca: TestCA, kind: str, pem: bool, tmp_path: Path
) -> None:
    identity = ca.issue(f"good-{kind}", kind=kind)
    use_certificate(workdir, LIST, identity)
    (document,) = sign_all(LIST, identity, pem=pem)
    result = run(["send", LIST, "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    messages = received(smtp_server)
    assert len(messages) == 20
    for message in messages:
        files = attachments(message)
        assert list(files) == [LIST_DOCX, LIST_DOCX + ".sig"]
        assert files[LIST_DOCX] == document.read_bytes()
        plain = message.get_body(("plain",))
        assert plain is not None
        assert "файл его электронной подписи" in plain.get_content()
    got_docx, got_sig = tmp_path / "got.docx", tmp_path / "got.docx.sig"
    got_docx.write_bytes(files[LIST_DOCX])
    got_sig.write_bytes(files[LIST_DOCX + ".sig"])
    assert verifies(got_docx, got_sig, identity.certificate)
    lines = read_docx_text(files[LIST_DOCX])
    serial = openssl("x509", "-in", identity.certificate, "-noout", "-serial").decode()
    assert f"Сертификат {serial.split('=')[1].strip().upper()}" in lines
    assert "Владелец Дождиков Кирилл Владимирович" in lines


def test_a_signature_over_another_file_is_refused(
    workdir: Path, smtp_server: SmtpServer, signer: Identity
) -> None:
    signed = use_certificate(workdir, LIST, signer)
    (document,) = documents_to_sign(LIST)
    other = workdir / "other.docx"
    other.write_bytes(b"not the letter")
    sign(other, signer, out=signed / (document.name + ".sig"))
    send_refused(LIST, smtp_server, LIST_DOCX, "хеш документа не совпадает с подписанным")


def test_a_signature_by_another_certificate_is_refused(
    workdir: Path, smtp_server: SmtpServer, ca: TestCA, signer: Identity
) -> None:
    use_certificate(workdir, LIST, signer)
    stranger = ca.issue("stranger", surname="Иванов", given="Иван Иванович")
    sign_all(LIST, stranger)
    output = send_refused(LIST, smtp_server, LIST_DOCX, "Иванов Иван Иванович")
    assert "а отметка называет сертификат" in output


def test_the_same_name_with_another_key_is_refused(
    workdir: Path, smtp_server: SmtpServer, ca: TestCA, signer: Identity, tmp_path: Path
) -> None:
    """A CMS may carry any certificate; only the mark's certificate's key is accepted."""
    use_certificate(workdir, LIST, signer)
    (document,) = documents_to_sign(LIST)
    impostor = ca.issue("impostor")
    # the signer identifier names the mark's certificate, the signature is another key's
    openssl(
        "cms", "-engine", "gost", "-sign", "-binary", "-in", document, "-signer",
        impostor.certificate, "-inkey", impostor.key, "-md", impostor.md, "-outform", "DER",
        "-out", tmp_path / "impostor.sig",
    )  # fmt: skip
    forged = (tmp_path / "impostor.sig").read_bytes()
    real_serial = signer.serial.to_bytes(6, "big")
    fake_serial = impostor.serial.to_bytes(6, "big")
    assert forged.count(fake_serial) >= 1
    (document.parent / (document.name + ".sig")).write_bytes(
        forged.replace(fake_serial, real_serial)
    )
    send_refused(LIST, smtp_server, LIST_DOCX, "подпись не сходится")


@pytest.mark.parametrize(
    ("start", "end"),
    [(dt.date(2020, 1, 1), dt.date(2022, 12, 31)), (dt.date(2024, 1, 1), dt.date(2030, 1, 1))],
    ids=["expired", "not-yet-valid"],
)
def test_a_certificate_not_valid_on_the_letters_date_is_refused(
    workdir: Path, smtp_server: SmtpServer, ca: TestCA, start: dt.date, end: dt.date
) -> None:
    identity = ca.issue(f"dated-{start.year}", start=start, end=end)
    use_certificate(workdir, LIST, identity)
    sign_all(LIST, identity)
    send_refused(
        LIST,
        smtp_server,
        LIST_DOCX,
        "письмо датировано 12.10.2023, а сертификат действителен "
        f"с {start:%d.%m.%Y} по {end:%d.%m.%Y}",
    )
    check = run(["check", LIST])
    assert check.exit_code == 3
    assert "письмо датировано 12.10.2023" in check.output


def test_a_letter_edited_after_signing_is_refused(
    workdir: Path, smtp_server: SmtpServer, signer: Identity
) -> None:
    use_certificate(workdir, LIST, signer)
    sign_all(LIST, signer)
    body = workdir / "letters" / "quality-week" / "body.j2"
    body.write_text(body.read_text(encoding="utf-8") + "\nПриписка.\n", encoding="utf-8")
    send_refused(LIST, smtp_server, LIST_DOCX, "письмо изменено после подписания")
    # preparing again never overwrites the signed file: it moves aside with its signature
    signed = workdir / "letters" / LIST / "signed"
    before = (signed / LIST_DOCX).read_bytes()
    result = run(["for-signing", LIST])
    assert result.exit_code == 0, result.output
    assert "прежние версии документов (1) и их подписи перенесены" in result.output
    (earlier,) = signed.glob("прежние *")
    assert sorted(p.name for p in earlier.iterdir()) == [LIST_DOCX, LIST_DOCX + ".sig"]
    assert (earlier / LIST_DOCX).read_bytes() == before
    assert (signed / LIST_DOCX).read_bytes() != before
    assert not (signed / (LIST_DOCX + ".sig")).exists()


def test_a_missing_signature_stops_the_send(
    workdir: Path, smtp_server: SmtpServer, signer: Identity
) -> None:
    use_certificate(workdir, LIST, signer)
    documents_to_sign(LIST)
    send_refused(LIST, smtp_server, f"{LIST_DOCX}: не подписан, рядом нет файла .sig")


def test_personal_letters_are_signed_one_by_one(
    workdir: Path, smtp_server: SmtpServer, signer: Identity, tmp_path: Path
) -> None:
    use_certificate(workdir, "quality-week", signer)
    # written by another process than the one that sends: the build is deterministic
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "for-signing", "quality-week"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Документов для подписи: 20" in done.stdout
    documents = sorted((workdir / "letters" / "quality-week" / "signed").glob("*.docx"))
    assert len(documents) == 20
    for document in documents:
        with zipfile.ZipFile(document) as package:
            # nothing in the file depends on the day it is built
            assert {i.date_time for i in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            core = package.read("docProps/core.xml").decode()
            assert core.count("2023-10-12T09:00:00") == 2
        sign(document, signer)
    again = run(["for-signing", "quality-week"])
    assert "Уже были там без изменений: 20, из них с подписью: 20" in again.output
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    signed_bytes = {d.read_bytes() for d in documents}
    messages = received(smtp_server)
    assert len(messages) == 20
    seen = set()
    for message in messages:
        files = attachments(message)
        (name,) = [n for n in files if n.endswith(".docx")]
        assert list(files) == [name, name + ".sig"]
        assert files[name] in signed_bytes
        seen.add(files[name])
        got_docx, got_sig = tmp_path / "got.docx", tmp_path / "got.docx.sig"
        got_docx.write_bytes(files[name])
        got_sig.write_bytes(files[name + ".sig"])
        assert verifies(got_docx, got_sig, signer.certificate)
    assert seen == signed_bytes


def test_an_unsigned_letter_shows_no_mark_and_says_nothing_of_a_signature(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    for message in received(smtp_server):
        files = attachments(message)
        assert len(files) == 1
        (docx,) = files.values()
        lines = read_docx_text(docx)
        assert "Начальник управления" in lines
        assert "К.В. Дождиков" in lines
        assert not any("ПОДПИСАН" in line or "Сертификат" in line for line in lines)
        plain = message.get_body(("plain",))
        assert plain is not None
        assert "подпис" not in plain.get_content().lower()


def test_typed_mark_values_must_equal_the_certificates(workdir: Path, signer: Identity) -> None:
    use_certificate(workdir, LIST, signer, extra='owner = "Дождиков Кирилл Владимирович"\n')
    sign_all(LIST, signer)
    assert run(["check", LIST]).exit_code == 0
    typed = 'certificate = "00ABC20116D53890C647B5F348EF27298C"\n'
    use_certificate(workdir, LIST, signer, extra=typed)
    result = run(["check", LIST])
    assert result.exit_code == 3
    assert "не совпадают с сертификатом" in result.output
    assert "номер сертификата 00ABC20116D53890C647B5F348EF27298C" in result.output


def test_an_old_typed_mark_without_a_certificate_is_refused(workdir: Path) -> None:
    settings = workdir / "letters" / "quality-week" / "letter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + '\n[signature]\ncertificate = "00ABC20116D53890C647B5F348EF27298C"\n',
        encoding="utf-8",
    )
    result = run(["preview", "quality-week"])
    assert result.exit_code == 3
    assert "certificate_file" in result.output
    assert "Traceback" not in result.output


def test_check_reports_the_chain_only_when_a_ca_bundle_is_set(
    workdir: Path, ca: TestCA, signer: Identity, tmp_path: Path
) -> None:
    use_certificate(workdir, LIST, signer)
    sign_all(LIST, signer)
    plain = run(["check", LIST])
    assert plain.exit_code == 0, plain.output
    assert "не задан MAILER_SIGNATURE_CA_FILE" in plain.output
    trusted = run(["check", LIST], env={"MAILER_SIGNATURE_CA_FILE": str(ca.root.certificate)})
    assert trusted.exit_code == 0, trusted.output
    assert "цепочка сертификатов проверена по ca.pem" in trusted.output
    other = TestCA(tmp_path / "other")
    untrusted = run(["check", LIST], env={"MAILER_SIGNATURE_CA_FILE": str(other.root.certificate)})
    assert untrusted.exit_code == 0, untrusted.output  # reported, not required
    assert "цепочка сертификатов не подтверждена" in untrusted.output


def test_reminders_of_a_signed_letter_are_signed_too(
    workdir: Path, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    folder = workdir / "letters" / LIST
    demo = Identity(
        folder / "demo-keys" / "signer.key", folder / "demo-signer.pem", "md_gost12_256", 0
    )
    assert run(["send", LIST, "--yes"], env=smtp_server.env()).exit_code == 0
    smtp_server.handler.messages.clear()
    remind = ["remind", LIST, "--skip-track", "--force"]
    dry = run([*remind, "--dry-run"], env=smtp_server.env())
    assert dry.exit_code == 0, dry.output
    reminders = sorted((folder / "signed").glob("* Напоминание 1 *.docx"))
    assert len(reminders) == 20
    unsigned = run([*remind, "--yes"], env=smtp_server.env())
    assert unsigned.exit_code == 3, unsigned.output
    assert "не подписан, рядом нет файла .sig" in unsigned.output
    assert smtp_server.handler.messages == []
    for document in reminders:
        sign(document, demo)
    result = run([*remind, "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    messages = received(smtp_server)
    assert len(messages) == 20
    files = attachments(messages[0])
    names = list(files)
    assert names[0].startswith("Напоминание 1")
    assert names[1] == names[0] + ".sig"
    assert names[2:] == [LIST_DOCX, LIST_DOCX + ".sig"]
    for name in (names[0], LIST_DOCX):
        (tmp_path / "d").write_bytes(files[name])
        (tmp_path / "s").write_bytes(files[name + ".sig"])
        assert verifies(tmp_path / "d", tmp_path / "s", demo.certificate)
    assert "ДОКУМЕНТ ПОДПИСАН" in read_docx_text(files[names[0]])


def test_reminders_of_an_unsigned_letter_carry_no_mark(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    assert run(["send", "quality-week", "--yes"], env=smtp_server.env()).exit_code == 0
    smtp_server.handler.messages.clear()
    result = run(
        ["remind", "quality-week", "--skip-track", "--force", "--yes"],
        env=smtp_server.env(),
    )
    assert result.exit_code == 0, result.output
    messages = received(smtp_server)
    assert messages
    for message in messages:
        files = attachments(message)
        assert not any(name.endswith(".sig") for name in files)
        for data in files.values():
            assert not any("ПОДПИСАН" in line for line in read_docx_text(data))


def rendered_text(docx: bytes, folder: Path) -> str:
    """The document as LibreOffice lays it out, read back from the PDF's pages."""
    folder.mkdir()
    source = folder / "letter.docx"
    source.write_bytes(docx)
    profile = f"-env:UserInstallation={(folder / 'profile').as_uri()}"
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder), source],
        capture_output=True,
        timeout=180,
        check=True,
    )
    done = subprocess.run(
        ["pdftotext", str(folder / "letter.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.slow
def test_rendered_the_signed_sample_shows_the_mark_and_the_unsigned_one_does_not(
    workdir: Path, tmp_path: Path
) -> None:
    signed = (workdir / "letters" / LIST / "signed" / LIST_DOCX).read_bytes()
    text = " ".join(rendered_text(signed, tmp_path / "signed").split())
    for line in (
        "ДОКУМЕНТ ПОДПИСАН",
        "ЭЛЕКТРОННОЙ ПОДПИСЬЮ",
        "Сертификат 00ABC20116D53890C647B5F348EF27DE30",
        "Владелец Дождиков Кирилл Владимирович",
        "Действителен с 01.01.2023 по 31.12.2037",
        "Начальник управления",
        "К.В. Дождиков",
    ):
        assert line in text
    assert run(["preview", "quality-week"]).exit_code == 0
    (personal,) = sorted((workdir / "preview" / "quality-week").glob("01 *.docx"))
    text = " ".join(rendered_text(personal.read_bytes(), tmp_path / "unsigned").split())
    assert "Начальник управления" in text
    assert "К.В. Дождиков" in text
    assert "ПОДПИСАН" not in text
    assert "Сертификат" not in text


def test_a_bare_base64_signature_as_cryptopro_saves_it_verifies() -> None:
    import base64

    from mailer.certificate import load_certificate
    from mailer.signature import Verified, verify_detached

    signed = REPO / "letters" / LIST / "signed"
    document = (signed / LIST_DOCX).read_bytes()
    der = (signed / (LIST_DOCX + ".sig")).read_bytes()
    certificate = load_certificate(REPO / "letters" / LIST / "demo-signer.pem")
    wrapped = b"\r\n".join(
        base64.b64encode(der)[i : i + 64] for i in range(0, len(base64.b64encode(der)), 64)
    )
    day = dt.date(2023, 10, 12)
    result = verify_detached(document, wrapped, certificate, day)
    assert isinstance(result, Verified), result
    assert result.signature == der
    assert result.signing_time is not None
    garbage = verify_detached(document, b"not a signature at all", certificate, day)
    assert isinstance(garbage, list)
    assert "не читается как откреплённая подпись CMS" in garbage[0]


def test_preview_says_what_it_found_of_the_signatures(workdir: Path, signer: Identity) -> None:
    unsigned = run(["for-signing", "quality-week"])
    assert unsigned.exit_code == 3
    assert "не подписывается" in unsigned.output
    assert "certificate_file" in unsigned.output
    shown = run(["preview", "quality-week"])
    assert "письмо не подписывается" in shown.output
    use_certificate(workdir, LIST, signer)
    before = run(["preview", LIST])
    assert before.exit_code == 0, before.output
    assert "подписи проверены: 0 из 1" in before.output
    assert f"mailer for-signing {LIST}" in before.output
    sign_all(LIST, signer)
    after = run(["preview", LIST])
    assert "подписи проверены (1 из 1)" in after.output
    page = (workdir / "preview" / LIST / "index.html").read_text(encoding="utf-8")
    assert "Электронная подпись" in page
    assert "подписи проверены (1 из 1)" in page


def test_re_signing_the_demo_sample_is_one_command(workdir: Path) -> None:
    """What to run after a change to the letter or the layout makes the shipped .sig stale."""
    body = workdir / "letters" / "quality-week" / "body.j2"
    body.write_text(body.read_text(encoding="utf-8") + "\nПриписка.\n", encoding="utf-8")
    assert run(["check", LIST]).exit_code == 3
    certificate = (workdir / "letters" / LIST / "demo-signer.pem").read_bytes()
    done = subprocess.run(
        ["bash", str(workdir / RESIGN.split()[1])],
        capture_output=True,
        text=True,
        env={**os.environ, "MAILER": str(Path(sys.executable).parent / "mailer")},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "подписи проверены: 1 из 1" in done.stdout
    # the same demonstration certificate, so the mark does not change
    assert (workdir / "letters" / LIST / "demo-signer.pem").read_bytes() == certificate
    assert run(["check", LIST]).exit_code == 0


def test_another_signer_after_a_send_is_another_version_of_the_letter(
    workdir: Path, smtp_server: SmtpServer, signer: Identity
) -> None:
    assert run(["send", LIST, "--yes"], env=smtp_server.env()).exit_code == 0
    smtp_server.handler.messages.clear()
    use_certificate(workdir, LIST, signer)
    sign_all(LIST, signer)
    result = run(["send", LIST, "--yes"], env=smtp_server.env())
    assert result.exit_code == 3, result.output
    said = "электронная подпись: было сертификат 00ABC20116D53890C647B5F348EF27DE30"
    assert said in result.output
    assert smtp_server.handler.messages == []
