"""Tracking replies against the recipient list: a corpus of realistic messages built from the
letters actually sent, read from a real Dovecot and from mail exports."""

from __future__ import annotations

import copy
import json
import mailbox
import re
import time
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest

from mailer.journal import Journal
from mailer.replies.match import body_search_term, number_pattern
from mailer.replies.sources import sender_address
from tests.conftest import run
from tests.imap_server import Dovecot
from tests.mail_corpus import (
    REG,
    bounce,
    exchange_report,
    parse,
    postfix_report,
    raw_reply_cp1251,
    raw_reply_koi8_subject,
    read_receipt,
    reply,
)
from tests.smtp_server import SmtpServer

EXTRA = (
    "a1,glava@region.example.org,Орлов Пётр Ильич,Глава,Район 1\n"
    "a2,priemnaya@region.example.org,Зайцев Игорь Ильич,Глава,Район 2\n"
)

# recipient id -> (state after tracking, how it was matched)
EXPECTED: dict[str, tuple[str, str | None]] = {
    "gryazi": ("replied", "thread"),
    "lipetsk": ("replied", "number+sender"),
    "volovo": ("replied", "number+sender"),
    "dankov": ("replied", "number+sender"),
    "dobrinka": ("replied", "number+sender"),
    "dobroe": ("replied", "number+domain"),
    "dolgorukovo": ("replied", "thread"),
    "elets": ("replied", "thread"),
    "eletsky": ("sent", None),  # auto-reply only
    "krasnoe": ("sent", None),  # auto-reply only
    "zadonsk": ("bounced", None),
    "izmalkovo": ("bounced", None),
    "lebedyan": ("sent", None),  # a delay notice is not a bounce
    "lev-tolstoy": ("sent", None),  # read, not answered
    "lipetsky": ("sent", None),  # a forward from an unknown address: review
    "stanovoe": ("replied", "number+sender"),
    "terbuny": ("replied", "number+sender"),
    "usman": ("review", None),  # about another letter: on review, shown as such
    "khlevnoe": ("replied", "number+sender"),
    "chaplygin": ("replied", "thread"),
    "a1": ("review", None),  # shared domain: both on review until it is settled
    "a2": ("review", None),
}


def send_sample(
    workdir: Path, smtp_server: SmtpServer, env: dict[str, str]
) -> dict[str, EmailMessage]:
    (workdir / "recipients.csv").write_text(
        (workdir / "recipients.csv").read_text(encoding="utf-8") + EXTRA, encoding="utf-8"
    )
    result = run(["send", "quality-week", "--yes"], env={**smtp_server.env(), **env})
    assert result.exit_code == 0, result.output
    sent = {}
    for item in smtp_server.handler.messages:
        message = parse(item.data)
        sent[str(message["X-Mailer-Recipient"])] = message
    return sent


def corpus(sent: dict[str, EmailMessage]) -> list[bytes]:
    s = sent
    subject = str(s["lipetsk"]["Subject"])
    return [
        # Thunderbird: thread headers
        reply(
            s["gryazi"],
            "glava@gryazi.example.org",
            "Информация направлена.",
            message_id="<tb1@gryazi.example.org>",
        ),
        # the same message seen twice is recorded once
        reply(
            s["gryazi"],
            "glava@gryazi.example.org",
            "Информация направлена.",
            message_id="<tb1@gryazi.example.org>",
        ),
        # Outlook: no thread headers, the original subject quoted
        reply(
            None,
            "glava@lipetsk.example.org",
            "Сообщаем о проведённых мероприятиях.",
            subject=f"RE: {subject}",
            message_id="<ol1@lipetsk.example.org>",
        ),
        # webmail: a new subject, the number in the text, spaced differently
        reply(
            None,
            "glava@volovo.example.org",
            "На № 02-06-4425 И38/10/-3327 от 12.10.2023 сообщаем следующее.",
            subject="Ответ на письмо",
            message_id="<wm1@volovo.example.org>",
        ),
        # dashes of every kind
        reply(
            None,
            "glava@dankov.example.org",
            "Текст.",
            subject="на № 02–06–4425И38/10/–3327",
            message_id="<d1@dankov.example.org>",
        ),
        # the number only in an attachment's name
        reply(
            None,
            "glava@dobrinka.example.org",
            "См. вложение.",
            subject="Информация",
            message_id="<a1@dobrinka.example.org>",
            attachments=[("Информация на 02-06-4425И38_10_-3327.pdf", b"%PDF-1.4 report")],
        ),
        # a colleague at the same municipality, another address, citing the number
        reply(
            None,
            "zam@dobroe.example.org",
            f"Во исполнение письма № {REG} направляем отчёт.",
            subject="Отчёт",
            message_id="<c1@dobroe.example.org>",
        ),
        # a reply deeper in a thread: our Message-ID among the References only
        reply(
            None,
            "glava@dolgorukovo.example.org",
            "Дополнение.",
            subject="Re: Re: дополнение",
            message_id="<r3@dolgorukovo.example.org>",
            headers={
                "In-Reply-To": "<x2@economy.example.org>",
                "References": f"{s['dolgorukovo']['Message-ID']} <x2@economy.example.org>",
            },
        ),
        # from the second address of a recipient with two, thread kept
        reply(
            s["elets"],
            "priemnaya@elets.example.org",
            "Ответ приёмной.",
            message_id="<p1@elets.example.org>",
            attachments=[("Отчёт о Неделе качества.pdf", b"%PDF-1.4 elets")],
        ),
        # auto-replies: RFC 3834 header, X-Autoreply, Precedence, and subject alone
        reply(
            s["gryazi"],
            "glava@gryazi.example.org",
            "Я в отпуске.",
            subject=f"Автоответ: {subject}",
            message_id="<ar1@gryazi.example.org>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        reply(
            s["eletsky"],
            "glava@eletsky.example.org",
            "Out of office",
            subject=f"Automatic reply: {subject}",
            message_id="<ar2@eletsky.example.org>",
            headers={"X-Autoreply": "yes"},
        ),
        reply(
            None,
            "glava@krasnoe.example.org",
            "Нет на месте до 30.10.",
            subject=f"Re: {subject}",
            message_id="<ar3@krasnoe.example.org>",
            headers={"Precedence": "auto_reply"},
        ),
        reply(
            None,
            "glava@elets.example.org",
            "Меня нет на месте.",
            subject=f"Автоответ: {subject}",
            message_id="<ar4@elets.example.org>",
        ),
        # bounces: with the original's headers, and with the failed address only
        bounce(
            s["zadonsk"],
            "glava@zadonsk.example.org",
            with_original=True,
            message_id="<b1@relay.example.org>",
        ),
        bounce(
            s["izmalkovo"],
            "glava@izmalkovo.example.org",
            with_original=False,
            message_id="<b2@relay.example.org>",
        ),
        bounce(
            s["lebedyan"],
            "glava@lebedyan.example.org",
            with_original=False,
            status="4.4.1",
            message_id="<b3@relay.example.org>",
        ),
        # a read receipt
        read_receipt(s["lev-tolstoy"], "glava@lev-tolstoy.example.org", "<mdn1@lt.example.org>"),
        # someone not on the list, a new subject, the number in the text alone
        reply(
            None,
            "citizen@mail.example.net",
            f"Прошу разъяснить порядок участия. Ссылаюсь на письмо № {REG}.",
            subject="Обращение",
            message_id="<cz1@mail.example.net>",
        ),
        # a forward by someone not on the list
        reply(
            None,
            "secretary@gmail.example.com",
            f"Пересылаю ответ Липецкого округа на № {REG}.",
            subject=f"Fwd: {subject}",
            message_id="<f1@gmail.example.com>",
        ),
        # encodings: Windows-1251 subject with a KOI8-R body, KOI8-R subject
        raw_reply_cp1251("glava@stanovoe.example.org", "<cp1@stanovoe.example.org>"),
        raw_reply_koi8_subject("glava@terbuny.example.org", "<koi1@terbuny.example.org>"),
        # about a different letter, and a message with no reference at all
        reply(
            None,
            "glava@usman.example.org",
            "На № 17-01/228 от 02.10.2023 сообщаем.",
            subject="Ответ на запрос",
            message_id="<o1@usman.example.org>",
        ),
        reply(
            None,
            "glava@usman.example.org",
            "Поздравляем с праздником!",
            subject="Поздравление",
            message_id="<o2@usman.example.org>",
        ),
        # unrelated mail from a stranger is not even recorded
        reply(
            None,
            "news@shop.example.com",
            "Скидки!",
            subject="Распродажа",
            message_id="<spam@shop.example.com>",
        ),
        # HTML only, the number in the HTML
        reply(
            None,
            "glava@khlevnoe.example.org",
            f"Ответ на исх. № {REG}",
            subject="Ответ",
            html=True,
            message_id="<h1@khlevnoe.example.org>",
        ),
        # hostile attachment names, thread kept
        reply(
            s["chaplygin"],
            "glava@chaplygin.example.org",
            "Отчёт во вложении.",
            message_id="<e1@chaplygin.example.org>",
            attachments=[
                ("../../etc/passwd", b"x"),
                ("CON.txt", b"y"),
                ("/abs/отчёт.pdf", b"z"),
                ("отчёт.pdf", b"w"),
            ],
        ),
        # a domain shared by two recipients
        reply(
            None,
            "zam@region.example.org",
            f"На № {REG} сообщаем.",
            subject="Ответ",
            message_id="<sh1@region.example.org>",
        ),
    ]


def check_outcome(workdir: Path, output: str) -> None:
    status = run(["status", "quality-week", "--format", "json"])
    assert status.exit_code == 0, status.output
    rows = {row["id"]: row for row in json.loads(status.output)}
    for key in ("id", "email", "state", "sent_at", "replied_at", "matched_by", "reminders"):
        assert key in rows["gryazi"]
    for rid, (state, matched_by) in EXPECTED.items():
        assert (rows[rid]["state"], rows[rid]["matched_by"]) == (state, matched_by), rid
    assert "5.1.1" in (rows["zadonsk"]["note"] or "")
    # a reply keeps the message's own date, sender, Message-ID and subject as its evidence
    assert rows["gryazi"]["replied_at"] == "2023-10-20T10:30:00+00:00"
    evidence = str(rows["gryazi"]["evidence"])
    for part in ("glava@gryazi.example.org", "<tb1@gryazi.example.org>", "«Re: "):
        assert part in evidence, evidence
    assert str(rows["lev-tolstoy"]["evidence"]).startswith("сервер принял: 250")
    assert rows["lev-tolstoy"]["read_at"]
    # review list: shown, never counted
    for sender in (
        "secretary@gmail.example.com",
        "citizen@mail.example.net",
        "glava@usman.example.org",
        "zam@region.example.org",
    ):
        assert sender in output
    assert "ссылается на другое письмо" in output
    assert "у нескольких получателей" in output
    # attachments saved under the recipient's folder, names decoded, nothing outside it
    folder = workdir / "replies" / "quality-week"
    assert (folder / "elets" / "Отчёт о Неделе качества.pdf").read_bytes() == b"%PDF-1.4 elets"
    saved = sorted(p.name for p in (folder / "chaplygin").iterdir())
    assert saved == ["_CON.txt", "passwd", "отчёт (2).pdf", "отчёт.pdf"]
    for path in workdir.rglob("*"):
        assert path.resolve().is_relative_to(workdir.resolve())
    assert not (workdir.parent / "etc").exists()


def test_track_over_imap(workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot) -> None:
    sent = send_sample(workdir, smtp_server, dovecot.env())
    messages = corpus(sent)
    assert len(messages) >= 25
    for data in messages:
        dovecot.append(data)

    env = dovecot.env()
    first = run(["track", "quality-week"], env=env)
    assert first.exit_code == 0, first.output
    assert "Ответы: 12" in first.output, first.output
    check_outcome(workdir, first.output)

    # Once more over the unchanged mailbox: nothing fetched, nothing changed.
    before = len(dovecot.fetch_counts())
    second = run(["track", "quality-week"], env=env)
    assert second.exit_code == 0, second.output
    assert "Новых ответов нет." in second.output
    deadline = time.monotonic() + 5
    while len(dovecot.fetch_counts()) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dovecot.fetch_counts()[-1] == (0, 0)  # Dovecot's own count: no headers, no bodies

    # A new reply arrives: only it is fetched whole.
    dovecot.append(
        reply(
            sent["usman"],
            "glava@usman.example.org",
            "Ответ по существу.",
            message_id="<late@usman.example.org>",
        )
    )
    before = len(dovecot.fetch_counts())
    third = run(["track", "quality-week"], env=env)
    assert "usman" in third.output
    while len(dovecot.fetch_counts()) == before and time.monotonic() < deadline + 5:
        time.sleep(0.02)
    assert dovecot.fetch_counts()[-1] == (1, 1)


@pytest.mark.parametrize("kind", ["maildir", "mbox", "eml"])
def test_track_from_mail_exports(workdir: Path, smtp_server: SmtpServer, kind: str) -> None:
    sent = send_sample(workdir, smtp_server, {})
    messages = corpus(sent)
    export = workdir / "export"
    if kind == "maildir":
        box = mailbox.Maildir(export, create=True)
        for data in messages:
            box.add(data)
        source = export
    elif kind == "mbox":
        source = workdir / "export.mbox"
        mbox = mailbox.mbox(source, create=True)
        for data in messages:
            mbox.add(data)
        mbox.close()
    else:
        export.mkdir()
        for number, data in enumerate(messages):
            (export / f"{number:02d}.eml").write_bytes(data)
        source = export
    result = run(["track", "quality-week", "--source", str(source)])
    assert result.exit_code == 0, result.output
    check_outcome(workdir, result.output)
    again = run(["track", "quality-week", "--source", str(source)])
    assert "Новых ответов нет." in again.output


def test_mark_and_undo_an_answer_from_elsewhere(workdir: Path, smtp_server: SmtpServer) -> None:
    send_sample(workdir, smtp_server, {})
    result = run(["mark", "quality-week", "usman", "--replied", "--note", "СЭД, вх. № 123"])
    assert result.exit_code == 0, result.output
    rows = {
        r["id"]: r for r in json.loads(run(["status", "quality-week", "--format", "json"]).output)
    }
    assert rows["usman"]["state"] == "replied"
    assert rows["usman"]["matched_by"] == "manual"
    assert rows["usman"]["note"] == "СЭД, вх. № 123"
    undo = run(["mark", "quality-week", "usman", "--undo"])
    assert undo.exit_code == 0
    rows = {
        r["id"]: r for r in json.loads(run(["status", "quality-week", "--format", "json"]).output)
    }
    assert rows["usman"]["state"] == "sent"
    unknown = run(["mark", "quality-week", "nobody", "--replied"])
    assert unknown.exit_code == 3
    assert "nobody" in unknown.output


def test_track_without_a_mailbox_says_what_to_do(workdir: Path, smtp_server: SmtpServer) -> None:
    send_sample(workdir, smtp_server, {})
    result = run(["track", "quality-week"])
    assert result.exit_code == 4
    assert "MAILER_IMAP_HOST" in result.output
    assert "--source" in result.output


def test_track_before_sending_is_a_clear_error(workdir: Path) -> None:
    result = run(["track", "quality-week", "--source", str(workdir)])
    assert result.exit_code == 3
    assert "ещё не отправлялось" in result.output


@pytest.mark.parametrize(
    ("folder", "on_the_wire"),
    [("Sent", "Sent"), ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-")],
)
def test_sent_letters_are_copied_to_the_sent_folder(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot, folder: str, on_the_wire: str
) -> None:
    client = dovecot.client()
    client.create(on_the_wire)  # an existing folder; "Sent" is there already
    client.logout()
    env = {**smtp_server.env(), **dovecot.env(MAILER_IMAP_SENT_FOLDER=folder)}
    result = run(["send", "quality-week", "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert f"Копии сохранены в папке «{folder}» почтового ящика: 20." in result.output
    copies = dovecot.fetch_all(on_the_wire)
    assert sorted(copies) == sorted(m.data for m in smtp_server.handler.messages)


def test_a_failed_copy_is_reported_and_never_fails_the_send(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    env = {**smtp_server.env(), **dovecot.env(MAILER_IMAP_PASSWORD="wrong")}
    result = run(["send", "quality-week", "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert "Отправлено: 20." in result.output
    assert "Копии не сохранились" in result.output
    assert "Письма при этом отправлены." in result.output
    assert len(smtp_server.handler.messages) == 20


def test_a_new_uidvalidity_rescans_without_recording_twice(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    import sqlite3

    sent = send_sample(workdir, smtp_server, dovecot.env())
    dovecot.append(
        reply(sent["gryazi"], "glava@gryazi.example.org", "Ответ.", message_id="<u1@g.example.org>")
    )
    assert "Ответы: 1" in run(["track", "quality-week"], env=dovecot.env()).output
    # the mailbox was rebuilt on the server: the UIDs we remember mean nothing any more
    with sqlite3.connect(workdir / "journal.db") as conn:
        conn.execute("UPDATE mailbox_positions SET uidvalidity = 1, last_uid = 99")
    again = run(["track", "quality-week"], env=dovecot.env())
    assert again.exit_code == 0, again.output
    assert "Просмотрено писем: 1" in again.output
    assert "Уже учтены раньше: 1." in again.output
    assert "Новых ответов нет." in again.output


def test_the_body_search_term_survives_how_people_write_the_number() -> None:
    assert body_search_term("02-06-4425И38/10/-3327") == "4425"
    assert body_search_term("17-01/228") == "228"
    assert body_search_term("А-12") is None  # too short to search for


@pytest.mark.parametrize(
    ("from_header", "address"),
    [
        ("Глава <glava@mo.ru>", "glava@mo.ru"),
        ("glava@mo.ru", "glava@mo.ru"),
        ("glava@mo.ru (Глава округа)", "glava@mo.ru"),
        ('"Smith <boss>" <real@x.org>', "real@x.org"),
        ('"glava@mo.ru" <spam@x.org>', "spam@x.org"),
        ("=?utf-8?b?0JPQu9Cw0LLQsA==?= <Glava@MO.ru>", "Glava@MO.ru"),
        ("<glava@mo.ru>", "glava@mo.ru"),
        ("", ""),
        ("undisclosed-recipients:;", ""),
    ],
)
def test_the_pre_selection_reads_the_sender_as_the_full_parser_does(
    from_header: str, address: str
) -> None:
    """Over thousands of headers a regular expression stands in for email.utils.parseaddr;
    it must find the same address, or the reply would never be fetched."""
    assert sender_address(from_header) == address
    if address:
        assert parseaddr(from_header)[1] == address


def status_rows() -> dict[str, dict[str, object]]:
    result = run(["status", "quality-week", "--format", "json"])
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.output)}


def review_number(output: str, sender: str) -> int:
    """The review item's own number, as track prints it."""
    found = re.search(rf"№ (\d+): {re.escape(sender)} ", output)
    assert found, output
    return int(found[1])


def test_delivery_reports_as_postfix_and_exchange_send_them(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    sent = send_sample(workdir, smtp_server, dovecot.env())
    forged = copy.deepcopy(sent["usman"])  # our headers, copied by a stranger
    forged.replace_header("Message-ID", "<0123@economy.example.org>")
    reports = [
        # Postfix: a delay, the original's headers returned as always
        postfix_report(
            sent["lebedyan"],
            [
                (
                    "glava@lebedyan.example.org",
                    "delayed",
                    "4.4.1",
                    "X-Postfix; connect to mx.lebedyan.example.org[192.0.2.7]:25: "
                    "Connection timed out",
                )
            ],
            message_id="<delay1@mx.region.example.org>",
        ),
        # Exchange: one of the two addresses of elets refused, the original attached
        exchange_report(
            sent["elets"],
            [
                (
                    "priemnaya@elets.example.org",
                    "failed",
                    "5.1.10",
                    "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
                )
            ],
            message_id="<ndr1@elets.example.org>",
        ),
        # a stranger's "report" copying our X-Mailer headers, naming a recipient's address
        postfix_report(
            sent["usman"],
            [("glava@usman.example.org", "failed", "5.1.1", "smtp; 550 5.1.1 User unknown")],
            message_id="<forged1@phish.example.net>",
            headers_of=forged,
            sender="noreply@phish.example.net",
        ),
        # a real failure
        postfix_report(
            sent["zadonsk"],
            [
                (
                    "glava@zadonsk.example.org",
                    "failed",
                    "5.1.1",
                    "smtp; 550 5.1.1 <glava@zadonsk.example.org>: Recipient address rejected: "
                    "User unknown in virtual mailbox table",
                )
            ],
            message_id="<fail1@mx.region.example.org>",
        ),
    ]
    for data in reports:
        dovecot.append(data)
    result = run(["track", "quality-week"], env=dovecot.env())
    assert result.exit_code == 0, result.output
    rows = status_rows()
    # a delay is a notice: kept and shown, never a state
    assert rows["lebedyan"]["state"] == "sent"
    assert "lebedyan: glava@lebedyan.example.org: доставка задерживается" in result.output
    # one address of two refused: still delivered, and the status says which and why
    assert rows["elets"]["state"] == "sent"
    failed = str(rows["elets"]["failed_addresses"])
    assert failed.startswith("priemnaya@elets.example.org:")
    assert "RESOLVER.ADR.RecipientNotFound" in failed
    assert "glava@elets" not in failed
    # the forgery ties to nothing we sent: on the review list, no state changes
    assert rows["usman"]["state"] == "sent"
    forged_number = review_number(result.output, "noreply@phish.example.net")
    assert "не удалось связать с отправленным письмом" in result.output
    # the real failure
    assert rows["zadonsk"]["state"] == "bounced"
    assert "User unknown in virtual mailbox table" in str(rows["zadonsk"]["failed_addresses"])
    assert "отчёт о недоставке" in str(rows["zadonsk"]["evidence"])

    # the reminder goes to the address of elets that took the letter, not to zadonsk
    remind = run(["remind", "quality-week", "--skip-track", "--dry-run", "--force"])
    assert remind.exit_code == 0, remind.output
    elets = next(line for line in remind.output.splitlines() if line.startswith("  elets:"))
    assert "<glava@elets.example.org>" in elets
    assert "zadonsk: адрес не принял письмо" in remind.output

    # the forged report is settled by its own number
    dismissed = run(["mark", "quality-week", "--dismiss", str(forged_number)])
    assert dismissed.exit_code == 0, dismissed.output
    again = run(["mark", "quality-week", "--dismiss", str(forged_number)])
    assert again.exit_code == 3

    # a corrected address for the bounced recipient: said, and sent only on purpose
    listing = (workdir / "recipients.csv").read_text(encoding="utf-8")
    (workdir / "recipients.csv").write_text(
        listing.replace("glava@zadonsk.example.org", "priemnaya@zadonsk.example.org"),
        encoding="utf-8",
    )
    before = len(smtp_server.handler.messages)
    plain = run(["send", "quality-week", "--yes"], env=smtp_server.env())
    assert plain.exit_code == 0, plain.output
    assert (
        "Адрес zadonsk в списке изменился: был glava@zadonsk.example.org (письмо по старому "
        "адресу не доставлено), стал priemnaya@zadonsk.example.org" in plain.output
    )
    assert "mailer send quality-week --new-address zadonsk" in plain.output
    assert len(smtp_server.handler.messages) == before
    resent = run(
        ["send", "quality-week", "--new-address", "zadonsk", "--yes"], env=smtp_server.env()
    )
    assert resent.exit_code == 0, resent.output
    assert "Отправлено: 1." in resent.output
    (item,) = smtp_server.handler.messages[before:]
    assert item.rcpt_tos == ["priemnaya@zadonsk.example.org"]
    new_message = parse(item.data)
    assert new_message["Message-ID"] != sent["zadonsk"]["Message-ID"]
    rows = status_rows()
    assert (rows["zadonsk"]["state"], rows["zadonsk"]["email"]) == (
        "sent",
        "priemnaya@zadonsk.example.org",
    )
    # an answer to the first message still finds the recipient
    dovecot.append(
        reply(
            sent["zadonsk"],
            "priemnaya@zadonsk.example.org",
            "Получили, ответ направим.",
            message_id="<late@zadonsk.example.org>",
        )
    )
    assert run(["track", "quality-week"], env=dovecot.env()).exit_code == 0
    assert status_rows()["zadonsk"]["state"] == "replied"


def test_a_wrong_bounce_is_undone_with_history(workdir: Path, smtp_server: SmtpServer) -> None:
    sent = send_sample(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    (export / "1.eml").write_bytes(
        bounce(
            sent["izmalkovo"],
            "glava@izmalkovo.example.org",
            with_original=False,
            message_id="<b@r>",
        )
    )
    assert run(["track", "quality-week", "--source", str(export)]).exit_code == 0
    assert status_rows()["izmalkovo"]["state"] == "bounced"
    undo = run(
        ["mark", "quality-week", "izmalkovo", "--delivered", "--note", "подтвердили по телефону"]
    )
    assert undo.exit_code == 0, undo.output
    assert "Возврат для izmalkovo снят" in undo.output
    assert status_rows()["izmalkovo"]["state"] == "sent"
    # the same report read again is not recorded again
    assert run(["track", "quality-week", "--source", str(export)]).exit_code == 0
    assert status_rows()["izmalkovo"]["state"] == "sent"
    with Journal(workdir / "journal.db") as journal:
        delivery = journal.deliveries("quality-week")["izmalkovo"]
        history = journal.events(delivery.id)
    assert ("bounce", history[-2][1]) == history[-2]
    assert history[-1] == ("bounce_revoked", "возврат снят: подтвердили по телефону")


def test_review_items_are_settled_by_their_own_number(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    send_sample(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    (export / "1.eml").write_bytes(
        reply(
            None,
            "citizen@mail.example.net",
            f"Пересылаю ответ Усманского округа на № {REG}.",
            subject="Ответ",
            message_id="<cz@mail.example.net>",
        )
    )
    (export / "2.eml").write_bytes(
        reply(
            None,
            "zam@region.example.org",
            f"На № {REG} сообщаем.",
            subject="Ответ",
            message_id="<sh@region.example.org>",
        )
    )
    tracked = run(["track", "quality-week", "--source", str(export)])
    stranger = review_number(tracked.output, "citizen@mail.example.net")
    shared = review_number(tracked.output, "zam@region.example.org")
    rows = status_rows()
    assert (rows["a1"]["state"], rows["a2"]["state"]) == ("review", "review")
    assert rows["a1"]["review"] == str(shared)
    # a stranger's forward accepted as usman's answer
    accepted = run(["mark", "quality-week", "usman", "--review", str(stranger)])
    assert accepted.exit_code == 0, accepted.output
    # the shared-domain message is no one's answer
    assert run(["mark", "quality-week", "--dismiss", str(shared)]).exit_code == 0
    rows = status_rows()
    assert (rows["usman"]["state"], rows["usman"]["matched_by"]) == ("replied", "review")
    assert rows["usman"]["replied_at"] == "2023-10-20T10:30:00+00:00"  # the message's own date
    assert "citizen@mail.example.net" in str(rows["usman"]["evidence"])
    assert "<cz@mail.example.net>" in str(rows["usman"]["evidence"])
    assert (rows["a1"]["state"], rows["a2"]["state"]) == ("sent", "sent")
    assert run(["mark", "quality-week", "--dismiss", "9999"]).exit_code == 3


def test_the_number_is_recognised_whatever_its_separators_became() -> None:
    pattern = number_pattern(REG)
    for written in (
        REG,
        "02_06_4425И38_10_-3327",  # slashes to underscores in a file name
        "02-06-4425И38-10--3327",  # slashes to dashes, one doubled
        "02-06-4425И38/10/3327",  # a separator dropped
        "02 06 4425 И38 10 3327",  # spaces
        "02–06–4425 И38 / 10 / –3327",  # typographic dashes, spaced
        "02-06-4425I38/10/-3327".replace("I", "И"),
        "исх. №02-06-4425И38/10/-3327, от 12.10.2023",
    ):
        assert pattern.search(written), written
    for other in (
        "02-06-4425И38/10/-3328",  # one digit differs
        "02-06-4425И38/10/-33270",  # a digit more
        "12-06-4425И38/10/-3327",
        "102-06-4425И38/10/-3327",
        "02-06-4425И38/10/-3327-1",
        "02-06-4425Н38/10/-3327",
    ):
        assert not pattern.search(other), other


def test_a_plain_text_bounce_quoting_the_thread_is_not_an_answer(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    """Some servers bounce in plain text, without RFC 3464, and keep our thread headers."""
    sent = send_sample(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    (export / "1.eml").write_bytes(
        reply(
            sent["terbuny"],
            "MAILER-DAEMON@mx.terbuny.example.org",
            "This message was created automatically by mail delivery software.\n"
            "A message that you sent could not be delivered to one or more of its recipients.",
            subject="Mail delivery failed: returning message to sender",
            message_id="<plain@mx.terbuny.example.org>",
        )
    )
    result = run(["track", "quality-week", "--source", str(export)])
    assert result.exit_code == 0, result.output
    assert "Ответы:" not in result.output
    assert "Автоответы (ответом не считаются): 1" in result.output
    row = status_rows()["terbuny"]
    assert (row["state"], row["matched_by"]) == ("sent", None)


def test_not_delivered_only_when_every_address_refused(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    sent = send_sample(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    words = "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound"
    (export / "1.eml").write_bytes(
        exchange_report(
            sent["elets"],
            [("priemnaya@elets.example.org", "failed", "5.1.10", words)],
            message_id="<n1@elets.example.org>",
        )
    )
    first = run(["track", "quality-week", "--source", str(export)])
    assert "(остальные адреса получателя письмо приняли)" in first.output
    assert status_rows()["elets"]["state"] == "sent"
    (export / "2.eml").write_bytes(
        exchange_report(
            sent["elets"],
            [("glava@elets.example.org", "failed", "5.2.2", "smtp;552 5.2.2 Mailbox full")],
            message_id="<n2@elets.example.org>",
        )
    )
    assert run(["track", "quality-week", "--source", str(export)]).exit_code == 0
    row = status_rows()["elets"]
    assert row["state"] == "bounced"
    assert "RecipientNotFound" in str(row["failed_addresses"])
    assert "Mailbox full" in str(row["failed_addresses"])
    # a failure report for an address on no message we sent ties to nothing
    (export / "3.eml").write_bytes(
        exchange_report(
            sent["lipetsk"],
            [("someone@elsewhere.example.org", "failed", "5.1.1", "smtp;550 5.1.1 unknown")],
            message_id="<n3@elets.example.org>",
        )
    )
    third = run(["track", "quality-week", "--source", str(export)])
    assert "не удалось связать" in third.output
    assert status_rows()["lipetsk"]["state"] == "sent"
