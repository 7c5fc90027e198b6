"""A letter folder, a list or a setting written to do harm: paths out of the letters folder,
the sandbox escape, header injection through each header-bound field, characters a document
cannot hold, broken settings. Each is refused before anything is sent, with its exit code, the
field named and no traceback; the SMTP server receives nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import cli
from mailer.errors import InputError
from mailer.message import MessageFactory, Sender
from tests.conftest import parse_strict
from tests.smtp_server import SmtpServer

LETTER = Path("letters/quality-week")
LIST_LETTER = Path("letters/quality-week-list")
ORGANIZATION = Path("letters/organization.toml")


def add(path: Path, text: str) -> None:
    """Append TOML to the top level of a file (before its first table)."""
    content = path.read_text(encoding="utf-8")
    head, sep, tail = content.partition("\n[")
    path.write_text(head + "\n" + text + "\n" + sep + tail, encoding="utf-8")


def replace(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    assert old in content, old
    path.write_text(content.replace(old, new), encoding="utf-8")


UNSET = "<unset>"


def refused(
    smtp_server: SmtpServer, code: int, words: list[str], args: list[str] | None = None, **env: str
) -> None:
    settings: dict[str, str | None] = {
        k: (None if v == UNSET else v) for k, v in smtp_server.env(**env).items()
    }
    result = CliRunner().invoke(
        cli, args or ["send", "quality-week", "--yes"], env=settings, catch_exceptions=False
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, (word, result.output)
    assert smtp_server.handler.messages == []


def _symlinked_attachment(d: Path) -> None:
    (d / LETTER / "программа.pdf").symlink_to("/etc/passwd")
    add(d / LETTER / "letter.toml", 'attachments = ["программа.pdf"]')


def _recipients_outside(d: Path) -> None:
    (d / "secret.csv").write_text("id,email\n1,a@b.example\n", encoding="utf-8")
    add(d / LETTER / "letter.toml", 'recipients = "../../secret.csv"')


def _blank_outside(d: Path) -> None:
    (d / "blank.docx").write_bytes(b"PK")
    add(d / ORGANIZATION, 'blank = "../blank.docx"')


def _template_linked_outside(d: Path) -> None:
    (d / "чужой.j2").write_text("секрет", encoding="utf-8")
    (d / LETTER / "body.j2").unlink()
    (d / LETTER / "body.j2").symlink_to(d / "чужой.j2")


# (name, how to break the working folder, words the message must name)
ESCAPES: list[tuple[str, Callable[[Path], object], list[str]]] = [
    (
        "attachment up the tree",
        lambda d: add(d / LETTER / "letter.toml", 'attachments = ["../../../etc/passwd"]'),
        ["attachments", "../../../etc/passwd", "за пределы папки писем"],
    ),
    (
        "attachment by absolute path",
        lambda d: add(d / LETTER / "letter.toml", 'attachments = ["/etc/passwd"]'),
        ["attachments", "/etc/passwd"],
    ),
    (
        "attachment through a symlink",
        _symlinked_attachment,
        ["attachments", "программа.pdf", "/etc/passwd"],
    ),
    (
        "recipients outside",
        _recipients_outside,
        ["recipients", "../../secret.csv"],
    ),
    (
        "blank outside",
        _blank_outside,
        ["blank", "../blank.docx"],
    ),
    (
        "template linked outside",
        _template_linked_outside,
        ["body.j2", "за пределы папки писем"],
    ),
]


@pytest.mark.parametrize(("name", "breakage", "words"), ESCAPES, ids=[c[0] for c in ESCAPES])
def test_letter_folder_cannot_reach_outside(
    workdir: Path,
    smtp_server: SmtpServer,
    name: str,
    breakage: Callable[[Path], object],
    words: list[str],
) -> None:
    breakage(workdir)
    refused(smtp_server, 3, words)


def test_signers_certificate_cannot_be_the_env_file(workdir: Path, smtp_server: SmtpServer) -> None:
    (workdir / ".env").write_text("MAILER_SMTP_PASSWORD=the-real-one\n", encoding="utf-8")
    replace(
        workdir / LIST_LETTER / "letter.toml",
        'certificate_file = "demo-signer.pem"',
        'certificate_file = "../../.env"',
    )
    refused(
        smtp_server,
        3,
        ["signature.certificate_file", "../../.env"],
        ["send", "quality-week-list", "--yes"],
    )


def test_the_old_signature_file_is_refused_with_its_replacement_named(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    add(workdir / LIST_LETTER / "letter.toml", 'signature_file = "letter.docx.sig"')
    refused(
        smtp_server, 3, ["signature_file", "[signature]"], ["send", "quality-week-list", "--yes"]
    )


def test_sandbox_escape_never_runs(workdir: Path, smtp_server: SmtpServer) -> None:
    marker = workdir / "PWNED"
    body = workdir / LETTER / "body.j2"
    body.write_text(
        body.read_text(encoding="utf-8")
        + f'\n{{{{ cycler.__init__.__globals__.os.popen("id > {marker}").read() }}}}\n',
        encoding="utf-8",
    )
    for args in (["check", "quality-week"], ["send", "quality-week", "--yes"]):
        refused(smtp_server, 3, ["body.j2", "«__init__»", "ничего не выполнено"], args)
    assert not marker.exists()


def test_sandbox_refuses_changing_data(workdir: Path, smtp_server: SmtpServer) -> None:
    (workdir / LETTER / "body.j2").write_text(
        "{{ recipient.emails.append('evil@evil.example') }}\n", encoding="utf-8"
    )
    refused(smtp_server, 3, ["body.j2", "«append»"])


INJECTION = "\\r\\nBcc: evil@evil.example"
# (field, how to put a line break into it, exit code, words in the message, extra env)
HEADER_FIELDS: list[tuple[str, Callable[[Path], object], int, list[str], dict[str, str]]] = [
    (
        "subject",
        lambda d: replace(
            d / LETTER / "letter.toml",
            'subject = "О Всемирной неделе качества"',
            f'subject = "О неделе{INJECTION}"',
        ),
        3,
        ["subject", "возврат каретки"],
        {},
    ),
    (
        "email_subject",
        lambda d: add(d / LETTER / "letter.toml", f'email_subject = "Письмо{INJECTION}"'),
        3,
        ["email_subject"],
        {},
    ),
    (
        "registration number",
        lambda d: replace(
            d / LETTER / "letter.toml",
            'number = "02-06-4425И38/10/-3327"',
            f'number = "02-06{INJECTION}"',
        ),
        3,
        ["registration.number"],
        {},
    ),
    (
        "reminder subject",
        lambda d: replace(
            d / LETTER / "letter.toml", "max_count = 2", f'max_count = 2\nsubject = "Н{INJECTION}"'
        ),
        3,
        ["reminder.subject"],
        {},
    ),
    (
        "organization short name",
        lambda d: replace(
            d / ORGANIZATION,
            'short_name = "Управление экономического развития Липецкой области"',
            f'short_name = "Управление{INJECTION}"',
        ),
        3,
        ["short_name"],
        {"MAILER_SENDER": "ed@economy.example.org"},
    ),
    (
        "organization email",
        lambda d: replace(
            d / ORGANIZATION,
            'email = "ed@admlr.lipetsk.ru"',
            f'email = "ed@admlr.lipetsk.ru{INJECTION}"',
        ),
        3,
        ["email"],
        {"MAILER_SENDER": UNSET},
    ),
    (
        "organization name line",
        lambda d: replace(d / ORGANIZATION, '"УПРАВЛЕНИЕ"', f'"УПРАВЛЕНИЕ{INJECTION}"'),
        3,
        ["name_lines"],
        {},
    ),
    (
        "sender",
        lambda d: None,
        4,
        ["MAILER_SENDER", "перевод строки"],
        {"MAILER_SENDER": "ed@economy.example.org\nBcc: evil@evil.example"},
    ),
    (
        "reply-to",
        lambda d: None,
        4,
        ["MAILER_REPLY_TO"],
        {"MAILER_REPLY_TO": "office@economy.example.org\r\nBcc: evil@evil.example"},
    ),
    (
        "HELO name",
        lambda d: None,
        4,
        ["MAILER_SMTP_HELO_NAME"],
        {"MAILER_SMTP_HELO_NAME": "mail.example.org\r\nRSET"},
    ),
    (
        "SMTP login",
        lambda d: None,
        4,
        ["MAILER_SMTP_USERNAME"],
        {"MAILER_SMTP_USERNAME": "secretary\r\nRCPT TO:<evil@evil.example>"},
    ),
    (
        "IMAP folder",
        lambda d: None,
        4,
        ["MAILER_IMAP_SENT_FOLDER"],
        {"MAILER_IMAP_SENT_FOLDER": 'Sent"\r\nA1 DELETE "INBOX'},
    ),
    (
        "list cell",
        lambda d: replace(
            d / "recipients.csv", "Уварова Наталья Ивановна", '"Уварова\nBcc: e@e.example"'
        ),
        3,
        ["строка", "столбец", "перевод строки"],
        {},
    ),
]


@pytest.mark.parametrize(
    ("field", "breakage", "code", "words", "env"), HEADER_FIELDS, ids=[c[0] for c in HEADER_FIELDS]
)
def test_header_injection_refused_at_load(
    workdir: Path,
    smtp_server: SmtpServer,
    field: str,
    breakage: Callable[[Path], object],
    code: int,
    words: list[str],
    env: dict[str, str],
) -> None:
    breakage(workdir)
    refused(smtp_server, code, words, None, **env)
    # check says the same, before anything else
    refused(smtp_server, code, words, ["check", "quality-week"], **env)


def _factory() -> MessageFactory:
    return MessageFactory(
        sender=Sender("Управление", "ed@example.org"), subject="Тема", letter_key="x"
    )


@pytest.mark.parametrize(
    "to_name", ["Иванов\r\nBcc: e@e.example", "Ivanov\nBcc: e@e.example", "Иванов\x00"]
)
def test_message_never_writes_a_line_break_into_a_header(to_name: str) -> None:
    """Behind the checks at load: whatever reaches the message builder, no raw CR or LF."""
    with pytest.raises(InputError, match="управляющий символ"):
        _factory().build(
            to_name=to_name,
            to_addresses=["a@example.org"],
            blocks=[],
            attachments=[],
            message_id="<1@example.org>",
            recipient_id="r",
        )
    with pytest.raises(InputError):
        _factory().build(
            to_name="",
            to_addresses=["a@example.org"],
            blocks=[],
            attachments=[],
            message_id="<1@example.org>",
            recipient_id="r",
            subject="Тема\r\nBcc: e@e.example",
        )


def test_attachment_name_with_a_line_break_is_encoded() -> None:
    from mailer.message import Attachment

    data = _factory().build(
        to_name="",
        to_addresses=["a@example.org"],
        blocks=[],
        attachments=[Attachment("a\r\nX-Evil:1.pdf", b"%PDF")],
        message_id="<1@example.org>",
        recipient_id="r",
    )
    message = parse_strict(data)
    assert "X-Evil" not in message
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == ["a\r\nX-Evil:1.pdf"]


# Characters XML cannot hold: a DOCX with one of them does not open.
@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\x0b", "\x1f"])
def test_list_cell_that_a_document_cannot_hold(
    workdir: Path, smtp_server: SmtpServer, char: str
) -> None:
    replace(workdir / "recipients.csv", "Уварова", f"Ува{char}рова")
    refused(smtp_server, 3, ["строка", "столбец", f"U+{ord(char):04X}"], ["check", "quality-week"])


@pytest.mark.parametrize("char", ["\\uFFFE", "\\uFFFF", "\\u000B"])
def test_letter_field_that_a_document_cannot_hold(
    workdir: Path, smtp_server: SmtpServer, char: str
) -> None:
    replace(
        workdir / LETTER / "letter.toml", 'name = "К.В. Дождиков"', f'name = "К.В.{char}Дождиков"'
    )
    refused(smtp_server, 3, ["signatory.name", "недопустимый символ"])


def test_template_that_a_document_cannot_hold(workdir: Path, smtp_server: SmtpServer) -> None:
    body = workdir / LETTER / "body.j2"
    body.write_text("Первая строка\nвторая \ufffe строка\n", encoding="utf-8")
    refused(smtp_server, 3, ["body.j2", "строка 2", "U+FFFE"], ["check", "quality-week"])


def test_setting_that_a_document_cannot_hold(workdir: Path, smtp_server: SmtpServer) -> None:
    refused(smtp_server, 4, ["MAILER_SENDER", "U+FFFF"], MAILER_SENDER="Отдел\uffff <a@b.org>")


# Settings checked up front: each case is exit 4 naming the setting, in check as in send.
SETTINGS: list[tuple[str, dict[str, str], list[str]]] = [
    ("missing CA file", {"MAILER_SMTP_CA_FILE": "/nonexistent/ca.pem"}, ["MAILER_SMTP_CA_FILE"]),
    ("empty CA file", {"MAILER_SMTP_CA_FILE": ""}, ["MAILER_SMTP_CA_FILE", "пустое значение"]),
    ("CA file is a folder", {"MAILER_IMAP_CA_FILE": "/etc"}, ["MAILER_IMAP_CA_FILE", "не файл"]),
    ("reply-to not an address", {"MAILER_REPLY_TO": "канцелярия"}, ["MAILER_REPLY_TO"]),
]


@pytest.mark.parametrize(("name", "env", "words"), SETTINGS, ids=[c[0] for c in SETTINGS])
def test_settings_checked_up_front(
    workdir: Path, smtp_server: SmtpServer, name: str, env: dict[str, str], words: list[str]
) -> None:
    for args in (["check", "quality-week"], ["send", "quality-week", "--dry-run"]):
        refused(smtp_server, 4, words, args, **env)


def test_env_file_not_in_utf8(workdir: Path, smtp_server: SmtpServer) -> None:
    env_file = workdir / "настройки.env"
    env_file.write_bytes("MAILER_SENDER=Управление <ed@example.org>\n".encode("cp1251"))
    refused(
        smtp_server,
        4,
        ["настройки.env", "не в кодировке UTF-8", "UTF-8"],
        ["--env-file", str(env_file), "check", "quality-week"],
    )
    assert os.environ.get("MAILER_SENDER") is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Ива\ud800нов", "U+D800"),  # a lone surrogate, as a broken decoder leaves it
        ("Ива\ufffeнов", "U+FFFE"),
        ("Ива\x00нов", "U+0000"),
        ("Ива\u2028нов", "U+2028"),
        ("Ива\u202eнов", "U+202E"),  # right-to-left override: shows a name backwards
        ("Ива\nнов", "перевод строки"),
    ],
)
def test_what_a_line_cannot_hold_is_named(text: str, named: str) -> None:
    from mailer.chars import line_unsafe, text_unsafe, xml_illegal

    found = line_unsafe(text)
    assert found is not None
    assert named in found
    assert line_unsafe("Иванов Иван\u00adович") is None  # a soft hyphen is harmless
    if named not in ("перевод строки", "U+2028", "U+202E"):
        assert xml_illegal(text) is not None
        assert text_unsafe(text) is not None
    assert text_unsafe("Главе округа\nН.И. Уваровой\tи др.") is None
