"""Sending through a real SMTP server (aiosmtpd, STARTTLS, AUTH) and the bytes it received."""

from __future__ import annotations

import asyncio
import email.policy
import io
import itertools
import json
import shutil
from email.header import decode_header, make_header
from email.parser import BytesParser
from pathlib import Path

import docx
import pytest

from mailer.campaign import prepare
from mailer.docx import read_docx_text
from mailer.settings import load_settings
from mailer.smtp import Outcome, connect, transmit, wire_ready
from tests.conftest import parse_strict, run
from tests.mail_corpus import reply
from tests.pg_server import query
from tests.smtp_server import SmtpServer

REG = "02-06-4425И38/10/-3327"
BOTH_ENGINES = True  # the journal on SQLite and on PostgreSQL


def journal_states(db: str) -> dict[str, str]:
    return dict(query(db, "SELECT recipient_id, state FROM deliveries"))


def decoded_header(data: bytes, name: str) -> str:
    raw = BytesParser(policy=email.policy.compat32).parsebytes(data)[name]
    return str(make_header(decode_header(raw)))


def received_by_recipient(server: SmtpServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in server.handler.messages:
        rid = str(parse_strict(item.data)["X-Mailer-Recipient"])
        counts[rid] = counts.get(rid, 0) + 1
    return counts


def test_send_delivers_one_official_letter_to_each_recipient(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    assert "Отправлено: 20." in result.output

    messages = smtp_server.handler.messages
    assert len(messages) == 20
    by_id = {str(parse_strict(m.data)["X-Mailer-Recipient"]): m for m in messages}
    gryazi = by_id["gryazi"]
    assert gryazi.mail_from == "ed@economy.example.org"
    assert gryazi.rcpt_tos == ["glava@gryazi.example.org"]
    assert by_id["elets"].rcpt_tos == ["glava@elets.example.org", "priemnaya@elets.example.org"]

    message = parse_strict(gryazi.data)
    # Decoded by RFC 2047's rule; CPython's address parser (3.11) wrongly puts a space where a
    # long name is folded across two encoded words, so names are checked with decode_header.
    assert decoded_header(gryazi.data, "From") == (
        "Управление экономического развития <ed@economy.example.org>"
    )
    assert (
        decoded_header(gryazi.data, "To") == "Уварова Наталья Ивановна <glava@gryazi.example.org>"
    )
    assert str(message["Subject"]) == f"О Всемирной неделе качества (исх. № {REG} от 12.10.2023)"
    # Cyrillic headers travel encoded (RFC 2047), never as raw 8-bit bytes
    raw_headers = gryazi.data.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content().replace("\r\n", "\n")  # base64 text carries CRLF, as on the wire
    assert text.startswith("Уважаемая Наталья Ивановна!\n")
    assert "– выставочные проекты, в т. ч. экспозиции, брендинг-выставки, фотовыставки;" in text
    assert "<li>выставочные проекты" in html.get_content()
    assert '<a href="https://rskrf.ru/qualityday/">' in html.get_content()

    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    name = attachments[0].get_filename()
    assert name == (
        "Письмо 12.10.2023 № 02-06-4425И38_10_-3327 — Грязинский муниципальный округ.docx"
    )
    assert b"filename*0*=utf-8''" in gryazi.data  # RFC 2231, with continuations
    payload = attachments[0].get_content()
    assert isinstance(payload, bytes)
    lines = read_docx_text(payload)
    assert "Главе Грязинского муниципального округа\nН.И. Уваровой" in lines
    assert "Уважаемая Наталья Ивановна!" in lines
    docx.Document(io.BytesIO(payload))  # opens as a Word document

    # The journal knows exactly what went to whom, with the Message-ID the server saw.
    (row,) = query(
        journal_db,
        "SELECT state, message_id, emails, attempts, sent_at FROM deliveries "
        "WHERE recipient_id = 'gryazi'",
    )
    assert row[0] == "sent"
    assert row[1] == message["Message-ID"]
    assert row[2] == "glava@gryazi.example.org"
    assert row[3] == 1
    assert row[4]


def test_second_send_sends_nothing(workdir: Path, smtp_server: SmtpServer) -> None:
    assert run(["send", "quality-week", "--yes"], env=smtp_server.env()).exit_code == 0
    again = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert again.exit_code == 0
    assert "Уже отправлено раньше: 20" in again.output
    assert "Отправлять нечего." in again.output
    assert len(smtp_server.handler.messages) == 20


def test_only_sends_to_the_chosen_recipients(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    result = run(
        ["send", "quality-week", "--yes", "--only", "gryazi", "--only", "dankov"],
        env=smtp_server.env(),
    )
    assert result.exit_code == 0, result.output
    assert sorted(received_by_recipient(smtp_server)) == ["dankov", "gryazi"]
    states = journal_states(journal_db)
    assert states["gryazi"] == "sent"
    assert states["lipetsk"] == "pending"


def test_confirmation_refused_sends_nothing(workdir: Path, smtp_server: SmtpServer) -> None:
    result = run(["send", "quality-week"], env=smtp_server.env(), input="n\n")
    assert result.exit_code == 10
    assert "Ничего не отправлено" in result.output
    assert smtp_server.handler.messages == []


def test_dry_run_lists_recipients_and_sends_nothing(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    result = run(["send", "quality-week", "--dry-run"], env=smtp_server.env())
    assert result.exit_code == 0
    assert "gryazi: Главе Грязинского муниципального округа Н.И. Уваровой" in result.output
    assert smtp_server.handler.messages == []
    if journal_db.startswith("postgresql://"):
        assert journal_states(journal_db) == {}
    else:
        assert not Path(journal_db).exists()  # a dry run creates no journal


def test_permanent_refusal_is_recorded_and_the_rest_go_on(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    smtp_server.handler.rcpt_answers["glava@volovo.example.org"] = [
        "550 5.1.1 <glava@volovo.example.org>: Recipient address rejected: User unknown"
    ]
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 1
    assert "Отправлено: 19." in result.output
    assert "volovo: glava@volovo.example.org: 550 5.1.1" in result.output
    assert "Запустите ту же команду снова" in result.output
    states = journal_states(journal_db)
    assert states["volovo"] == "failed"
    assert list(states.values()).count("sent") == 19
    # Re-run after the address is fixed on the server side: only the failed one goes.
    again = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert again.exit_code == 0
    assert received_by_recipient(smtp_server)["volovo"] == 1
    assert len(smtp_server.handler.messages) == 20


def test_temporary_failures_are_retried_once_accepted(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.rcpt_answers["glava@gryazi.example.org"] = [
        "451 4.7.1 Try again later",
        "452 4.5.3 Too many recipients",
    ]
    smtp_server.handler.data_answers = ["451 4.3.0 Temporary local problem"]
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    counts = received_by_recipient(smtp_server)
    assert counts["gryazi"] == 1
    assert sum(counts.values()) == 20
    assert "медленнее" in result.output  # 451/452 slowed the pace instead of failing anyone


def test_dropped_connection_before_data_is_retried(workdir: Path, smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_answers["glava@gryazi.example.org"] = ["421 4.4.2 Closing"]
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    assert received_by_recipient(smtp_server)["gryazi"] == 1


def test_connection_lost_during_data_is_uncertain_and_not_resent(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    smtp_server.handler.drop_in_data = 1
    result = run(
        ["send", "quality-week", "--yes"], env=smtp_server.env(MAILER_SMTP_CONNECTIONS="1")
    )
    assert result.exit_code == 1
    assert "Неизвестно, дошло ли письмо (1)" in result.output
    assert "--resend-uncertain" in result.output
    states = journal_states(journal_db)
    uncertain = [rid for rid, state in states.items() if state == "uncertain"]
    assert len(uncertain) == 1
    assert list(states.values()).count("sent") == 19

    again = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert "Отправлять нечего." in again.output
    assert again.exit_code == 1  # an unknown outcome stays the operator's question
    assert len(smtp_server.handler.messages) == 19

    resend = run(["send", "quality-week", "--yes", "--resend-uncertain"], env=smtp_server.env())
    assert resend.exit_code == 0, resend.output
    assert received_by_recipient(smtp_server)[uncertain[0]] == 1
    assert journal_states(journal_db)[uncertain[0]] == "sent"


def test_connection_lost_before_the_354_is_retried_not_uncertain(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    """Lost at the DATA command itself, before the server asked for the message: not a byte of
    the letter left, so it is sent again at once, not left for the operator to find out."""
    smtp_server.handler.data_command_drops = 1
    result = run(
        ["send", "quality-week", "--yes"], env=smtp_server.env(MAILER_SMTP_CONNECTIONS="1")
    )
    assert result.exit_code == 0, result.output
    assert "Отправлено: 20." in result.output
    assert list(journal_states(journal_db).values()) == ["sent"] * 20
    assert sorted(received_by_recipient(smtp_server).values()) == [1] * 20
    histories: dict[int, list[str]] = {}
    for delivery_id, state in query(
        journal_db, "SELECT delivery_id, state FROM events ORDER BY id"
    ):
        histories.setdefault(delivery_id, []).append(state)
    retried = [" ".join(states) for states in histories.values() if len(states) > 3]
    detail = query(
        journal_db,
        "SELECT detail FROM events WHERE state = 'pending' AND detail LIKE '%до передачи%'",
    )
    assert retried == ["pending sending pending sending sent"]
    assert len(detail) == 1


def test_wrong_password_is_a_clear_error_and_nothing_is_sent(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    result = run(
        ["send", "quality-week", "--yes"], env=smtp_server.env(MAILER_SMTP_PASSWORD="wrong")
    )
    assert result.exit_code == 5
    assert "не принял имя пользователя или пароль" in result.output
    assert "wrong" not in result.output
    assert "Traceback" not in result.output
    assert smtp_server.handler.messages == []
    assert set(journal_states(journal_db).values()) == {"pending"}


def test_password_never_reaches_output_or_journal(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    result = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0
    secret = smtp_server.env()["MAILER_SMTP_PASSWORD"]
    assert secret not in result.output
    for path in workdir.glob("journal.db*"):
        assert secret.encode() not in path.read_bytes()
    for table in ("events", "deliveries", "replies", "letters"):
        for row in query(journal_db, f"SELECT * FROM {table}"):  # noqa: S608 - our names
            assert secret not in repr(row)


def test_server_that_refuses_connections(workdir: Path, smtp_server: SmtpServer) -> None:
    from tests.smtp_server import free_port

    env = smtp_server.env(MAILER_SMTP_PORT=str(free_port()))
    result = run(["send", "quality-week", "--yes"], env=env)
    assert result.exit_code == 5
    assert "Не удалось связаться с почтовым сервером" in result.output
    assert "Traceback" not in result.output


def test_certificate_is_verified_by_default(workdir: Path, smtp_server: SmtpServer) -> None:
    env = smtp_server.env()
    del env["MAILER_SMTP_CA_FILE"]
    result = run(["send", "quality-week", "--yes"], env=env)
    assert result.exit_code == 5
    assert "Сертификат сервера" in result.output
    assert smtp_server.handler.messages == []


def test_plaintext_auth_to_a_remote_host_is_refused(workdir: Path, smtp_server: SmtpServer) -> None:
    env = smtp_server.env(MAILER_SMTP_SECURITY="none", MAILER_SMTP_HOST="mail.example.org")
    result = run(["send", "quality-week", "--yes"], env=env)
    assert result.exit_code == 4
    assert "открытым текстом" in result.output


def test_list_letter_sends_one_identical_document_with_its_signature(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    # the sample is signed with a demonstration certificate (tests/test_signature.py)
    signed = workdir / "letters" / "quality-week-list" / "signed"
    signature = (signed / "Письмо 12.10.2023 № 02-06-4425И38_10_-3327.docx.sig").read_bytes()
    result = run(["send", "quality-week-list", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    documents = set()
    for item in smtp_server.handler.messages:
        message = parse_strict(item.data)
        parts = list(message.iter_attachments())
        assert [p.get_filename() for p in parts] == [
            "Письмо 12.10.2023 № 02-06-4425И38_10_-3327.docx",
            "Письмо 12.10.2023 № 02-06-4425И38_10_-3327.docx.sig",
        ]
        assert parts[1].get_content_type() == "application/pkcs7-signature"
        assert parts[1].get_payload(decode=True) == signature
        payload = parts[0].get_content()
        documents.add(payload)
        plain = message.get_body(("plain",))
        assert plain is not None
        # the email stays personal while the document is addressed to the group
        assert plain.get_content().startswith("Уважаем")
        assert "коллеги" not in plain.get_content().splitlines()[0]
    assert len(documents) == 1
    lines = read_docx_text(documents.pop())
    assert "Главам муниципальных образований Липецкой области (по списку)" in lines
    assert "Уважаемые коллеги!" in lines


def test_implicit_tls(workdir: Path, tmp_path: Path) -> None:
    from tests.smtp_server import start_server

    (tmp_path / "tls").mkdir()
    server = start_server(tmp_path / "tls", implicit_tls=True)
    try:
        env = server.env(MAILER_SMTP_SECURITY="tls")
        result = run(["send", "quality-week", "--yes", "--only", "gryazi"], env=env)
        assert result.exit_code == 0, result.output
        assert len(server.handler.messages) == 1
    finally:
        server.controller.stop()


def test_rate_limit_spaces_the_letters(workdir: Path, smtp_server: SmtpServer) -> None:
    ids = ["lipetsk", "elets", "volovo", "gryazi", "dankov", "dobrinka"]
    args = ["send", "quality-week", "--yes"] + [f"--only={i}" for i in ids]
    result = run(args, env=smtp_server.env(MAILER_SMTP_RATE_PER_MINUTE="600"))
    assert result.exit_code == 0, result.output
    times = smtp_server.handler.times
    assert len(times) == 6
    # 600 a minute: one every 0.1 s, whatever the connections. The server stamps a letter when
    # its data is in, so one gap can shrink by the jitter of a loaded machine; six letters can
    # never take less than five intervals less that jitter.
    assert times[-1] - times[0] > 0.45
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) > 0.03


def test_read_receipt_is_requested_when_the_letter_asks(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    settings = workdir / "letters" / "quality-week" / "letter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "\ndeadline = ", "\nread_receipt = true\ndeadline = "
        ),
        encoding="utf-8",
    )
    result = run(["send", "quality-week", "--yes", "--only", "gryazi"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    message = parse_strict(smtp_server.handler.messages[0].data)
    assert str(message["Disposition-Notification-To"]) == "ed@economy.example.org"


def test_letters_go_after_data_as_built_and_other_bytes_are_mended(
    workdir: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our own messages skip aiosmtplib's line-ending and dot mending; bytes that need it
    (a line starting with a dot, bare LF) still get it."""
    for name, value in smtp_server.env().items():
        monkeypatch.setenv(name, value)
    prepared = prepare(load_settings(), "quality-week", None)
    recipient = next(iter(prepared.recipients))
    _, _, built = prepared.message(recipient, "<test.1@economy.example.org>")
    assert wire_ready(built)
    dotted = b"Subject: dot\r\n\r\n.a line that starts with a dot\r\n..two\r\n"
    bare = b"Subject: bare\n\nline one\nline two\r\nend"
    assert not wire_ready(dotted)
    assert not wire_ready(bare)

    async def nothing_to_record() -> None:
        pass

    async def send_all() -> list[Outcome]:
        client = await connect(load_settings())
        outcomes = []
        for data in (built, dotted, bare):
            result = await transmit(
                client, "ed@economy.example.org", ["a@b.example.org"], data, nothing_to_record
            )
            outcomes.append(result.outcome)
        await client.quit()
        return outcomes

    assert asyncio.run(send_all()) == [Outcome.SENT] * 3
    received = [m.data for m in smtp_server.handler.messages]
    assert received[0] == built
    parse_strict(received[0])
    assert received[1] == dotted
    assert received[2] == b"Subject: bare\r\n\r\nline one\r\nline two\r\nend\r\n"


def test_a_different_letter_in_a_folder_of_the_same_name_is_sent(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    assert run(["send", "quality-week", "--yes"], env=smtp_server.env()).exit_code == 0
    other = workdir / "archive" / "quality-week"
    shutil.copytree(workdir / "letters" / "quality-week", other)
    shutil.copy(workdir / "letters" / "organization.toml", other.parent)
    settings = other / "letter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        .replace(REG, "02-06-5001/11")
        .replace("date = 2023-10-12", "date = 2023-11-01"),
        encoding="utf-8",
    )
    second = run(["send", str(other), "--only", "gryazi", "--yes"], env=smtp_server.env())
    assert second.exit_code == 0, second.output
    assert "Уже отправлено" not in second.output
    assert "Отправлено: 1." in second.output
    letters = run(["letters"]).output
    assert "№ 02-06-4425И38/10/-3327 от 12.10.2023" in letters
    assert "№ 02-06-5001/11 от 01.11.2023" in letters
    # each letter's status is its own
    assert "отправлено 1" in run(["status", str(other)]).output
    assert "отправлено 20" in run(["status", "quality-week"]).output
    # the same letter found by its number and date, wherever its folder has moved
    moved = workdir / "moved" / "quality-week"
    shutil.copytree(workdir / "letters" / "quality-week", moved)
    shutil.copy(workdir / "letters" / "organization.toml", moved.parent)
    again = run(["send", str(moved), "--yes"], env=smtp_server.env())
    assert "Уже отправлено раньше: 20" in again.output
    assert len(smtp_server.handler.messages) == 21


def test_an_edited_letter_stops_and_says_what_changed(
    workdir: Path, smtp_server: SmtpServer, journal_db: str
) -> None:
    first = run(["send", "quality-week", "--only", "lipetsk", "--yes"], env=smtp_server.env())
    assert first.exit_code == 0, first.output
    folder = workdir / "letters" / "quality-week"
    settings = folder / "letter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        .replace(REG, "02-06-4425И38/10/-3328")
        .replace("deadline = 2023-11-20", "deadline = 2023-11-24"),
        encoding="utf-8",
    )
    body = folder / "body.j2"
    body.write_text(body.read_text(encoding="utf-8") + "\nДополнение.\n", encoding="utf-8")
    stopped = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert stopped.exit_code == 3, stopped.output
    assert f"номер: был {REG}, стал 02-06-4425И38/10/-3328" in stopped.output
    assert "срок ответа: был 20.11.2023, стал 24.11.2023" in stopped.output
    assert "текст письма (body.j2) изменён" in stopped.output
    assert "--new-version" in stopped.output
    assert len(smtp_server.handler.messages) == 1
    going_on = run(["send", "quality-week", "--new-version", "--yes"], env=smtp_server.env())
    assert going_on.exit_code == 0, going_on.output
    assert "новая редакция" in going_on.output
    assert "Отправлено: 19." in going_on.output
    versions = dict(query(journal_db, "SELECT recipient_id, version FROM deliveries"))
    assert versions["lipetsk"] == 1
    assert set(versions.values()) == {1, 2}
    assert sum(1 for v in versions.values() if v == 2) == 19
    # answers citing either number are this letter's
    export = workdir / "export"
    export.mkdir()
    for name, sender, number in (
        ("1.eml", "glava@lipetsk.example.org", REG),
        ("2.eml", "glava@volovo.example.org", "02-06-4425И38/10/-3328"),
    ):
        (export / name).write_bytes(
            reply(
                None, sender, f"На № {number} сообщаем.", subject="Ответ", message_id=f"<{name}@x>"
            )
        )
    assert run(["track", "quality-week", "--source", str(export)]).exit_code == 0
    status = run(["status", "quality-week", "--format", "json"])
    states = {row["id"]: row["state"] for row in json.loads(status.output)}
    assert (states["lipetsk"], states["volovo"], states["gryazi"]) == ("replied", "replied", "sent")
    # the next run compares with the version now sent: nothing to stop for
    quiet = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert quiet.exit_code == 0, quiet.output
    assert "Отправлять нечего." in quiet.output


def test_a_deadline_already_passed_is_said_by_check_and_send(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    # the sample letter's deadline, 20.11.2023, is long past
    warning = "срок ответа 20.11.2023 уже прошёл"
    check = run(["check", "quality-week"])
    assert warning in check.output, check.output
    refused = run(["send", "quality-week"], env=smtp_server.env(), input="n\n")
    assert refused.output.index(warning) < refused.output.index("Отправить?")
    sent = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert sent.exit_code == 0
    assert warning in sent.output
    # a deadline still ahead says nothing
    settings = workdir / "letters" / "quality-week" / "letter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "deadline = 2023-11-20", "deadline = 2099-06-01"
        ),
        encoding="utf-8",
    )
    ahead = run(["check", "quality-week"])
    assert "Срок ответа: 1 июня 2099 г." in ahead.output, ahead.output
    assert "уже прошёл" not in ahead.output


def test_a_reminder_never_attaches_another_version_than_was_sent(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    assert (
        run(["send", "quality-week", "--only", "lipetsk", "--yes"], env=smtp_server.env()).exit_code
        == 0
    )
    body = workdir / "letters" / "quality-week" / "body.j2"
    body.write_text(body.read_text(encoding="utf-8") + "\nДополнение.\n", encoding="utf-8")
    assert (
        run(["send", "quality-week", "--new-version", "--yes"], env=smtp_server.env()).exit_code
        == 0
    )
    remind = run(["remind", "quality-week", "--skip-track", "--dry-run", "--force"])
    assert remind.exit_code == 0, remind.output
    assert "lipetsk: получил редакцию 1 письма" in remind.output
    assert "Получат напоминание (19)" in remind.output


def test_the_same_number_from_another_folder_names_the_folder_it_went_from(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    # the two samples are one letter (one number and date) in its two forms
    first = run(["send", "quality-week", "--only", "lipetsk", "--yes"], env=smtp_server.env())
    assert first.exit_code == 0, first.output
    other = run(["send", "quality-week-list", "--yes"], env=smtp_server.env())
    assert other.exit_code == 3, other.output
    assert f"Письмо № {REG} от 12.10.2023 уже отправлялось из другой папки" in other.output
    assert str((workdir / "letters" / "quality-week").resolve()) in other.output
    assert "дайте ему свой номер и дату" in other.output
    assert len(smtp_server.handler.messages) == 1
