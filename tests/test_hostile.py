"""Hostile or broken mail never stops, fools or floods `track`: a corpus built from the letters
actually sent, read from a folder of .eml files and from a real Dovecot."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.guard import csv_cell, file_name, terminal_text
from mailer.journal import Journal
from tests.conftest import run
from tests.hostile_corpus import AUTHSERV_ID, EMOJI, FORMULA, LONG_CYRILLIC, corpus
from tests.imap_server import Dovecot
from tests.smtp_server import SmtpServer
from tests.test_track import send_sample

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_terminal_text_strips_escapes_and_controls() -> None:
    hostile = "a\x1b]0;title\x07b\x1b[2J\x1b[31mc\x1bPq#0\x1b\\d\x9b1me\u202ef\r\ng\x00h"
    assert terminal_text(hostile) == "abcdef gh"
    assert terminal_text("я" * 500) == "я" * 199 + "…"
    assert terminal_text(None) == ""


def test_file_names_fit_255_bytes_in_any_script_and_keep_the_extension() -> None:
    for name in (LONG_CYRILLIC + ".pdf", EMOJI + ".xlsx", "a" * 400 + ".docx", "日本語" * 100):
        safe = file_name(name)
        assert len(safe.encode()) <= 255, safe
        assert safe.encode().decode() == safe  # never cut inside a character
        if "." in name:
            assert safe.endswith(name[name.rindex(".") :])
    assert file_name("../../etc/passwd") == "passwd"
    assert file_name("CON.txt") == "_CON.txt"
    assert file_name("\x1b[31m.bashrc") == "bashrc"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_comes_out_safe(text: str) -> None:
    shown = terminal_text(text)
    assert not CONTROL.search(shown)
    assert "\x1b" not in shown
    assert len(shown) <= 200
    name = file_name(text)
    assert name
    assert len(name.encode()) <= 255
    assert "/" not in name
    assert "\\" not in name
    assert name not in (".", "..")
    assert not name.startswith(".")
    cell = csv_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_names_made_from_a_list_fit_too() -> None:
    organization = "Муниципальное бюджетное общеобразовательное учреждение " * 5
    name = (
        "001 " + file_name(f"Письмо 12.10.2023 № 02-06 — {organization}", composed=True) + ".docx"
    )
    assert len(name.encode()) <= 255
    assert name.endswith(".docx")
    # a registration number in a name is one number, not folders
    assert file_name("Письмо № 17-01/228", composed=True) == "Письмо № 17-01_228"


def test_csv_cells_that_start_a_formula_are_text() -> None:
    for value in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(value) == "'" + value
    assert csv_cell("Район 1") == "Район 1"
    assert csv_cell(-3) == -3


def _read_status_csv() -> list[dict[str, str]]:
    result = run(["status", "quality-week", "--format", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff")), delimiter=";"))


def _check_outcome(workdir: Path, output: str, where_deep: str) -> None:
    assert "\x1b" not in output, repr(output)
    assert not CONTROL.search(output), repr(output)
    status = run(["status", "quality-week", "--format", "json"])
    rows = {row["id"]: row for row in json.loads(status.output)}
    # the two real replies on either side of the deep nesting are both recorded
    assert (rows["gryazi"]["state"], rows["gryazi"]["matched_by"]) == ("replied", "thread")
    assert (rows["volovo"]["state"], rows["volovo"]["matched_by"]) == ("replied", "thread")
    # the nesting is set aside as unreadable, named by where it is
    assert "не удалось прочитать письмо" in output, output
    assert where_deep in output, output
    # forged: never an answer, never a bounce; on review with the reason
    assert rows["dankov"]["state"] == "review"  # from the recipient's address: theirs to settle
    assert rows["dankov"]["replied_at"] is None
    assert rows["zadonsk"]["state"] == "sent"
    assert "spf=fail, dmarc=fail" in output, output
    assert "dkim=fail" in output, output
    # a real bounce whose diagnostic is formula-shaped is still a bounce
    assert rows["izmalkovo"]["state"] == "bounced"
    # long names saved within 255 bytes, extension kept, content whole
    folder = workdir / "replies" / "quality-week" / "gryazi"
    saved = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(saved) == 2, saved
    for name, data in saved.items():
        assert len(name.encode()) <= 255
        assert name.endswith(".pdf") or name.endswith(".xlsx")
        assert data == (b"%PDF-1.4 long" if name.endswith(".pdf") else b"PK emoji")
    assert any(name.startswith("Информация о проведённых") for name in saved)
    assert any(name.startswith("📊📈✅") for name in saved)


def _unreadable_count(workdir: Path) -> int:
    with sqlite3.connect(workdir / "journal.db") as db:
        row = db.execute("SELECT COUNT(*) FROM replies WHERE matched_by = 'unreadable'")
        return int(row.fetchone()[0])


def _check_rerun(workdir: Path, output: str) -> None:
    assert "Новых ответов нет." in output, output
    assert _unreadable_count(workdir) == 1
    assert len(list((workdir / "replies" / "quality-week" / "gryazi").iterdir())) == 2


def _check_spreadsheets(workdir: Path) -> None:
    marked = run(["mark", "quality-week", "lipetsky", "--replied", "--note", FORMULA])
    assert marked.exit_code == 0, marked.output
    rows = _read_status_csv()
    for row in rows:
        for value in row.values():
            if re.fullmatch(r"-?\d+", value or ""):
                continue  # a number (days left) is a number, not a formula
            assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r")), row
    cells = [value for row in rows for value in row.values()]
    assert "'" + FORMULA in cells  # the note, as text
    assert "'" + FORMULA in {row["organization"] for row in rows}  # the list's cell
    assert any(FORMULA in value for value in cells)  # the bounce's diagnostic
    result = run(["status", "quality-week", "--format", "xlsx", "--output", "s.xlsx"])
    assert result.exit_code == 0, result.output
    report = run(["report", "quality-week", "--out", "out"])
    assert report.exit_code == 0, report.output
    for book in [workdir / "s.xlsx", *(workdir / "out").glob("*.xlsx")]:
        with zipfile.ZipFile(book) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        # the cells hold text (inline or shared strings), never a formula element
        assert "<f>" not in sheet, book
        assert "<f " not in sheet, book
        assert 't="inlineStr"><is><t>=HYPERLINK' in sheet or 't="s"' in sheet, book
        from openpyxl import load_workbook

        values = [
            cell.value
            for row in load_workbook(book).active.iter_rows()  # type: ignore[union-attr]
            for cell in row
        ]
        assert FORMULA in values


QUOTED = FORMULA.replace('"', '""')
EXTRA_FORMULA = f'f1,f1@formula.example.org,Фомин Фёдор Ильич,Глава,"{QUOTED}"\n'


def _send(workdir: Path, smtp_server: SmtpServer, env: dict[str, str]) -> list[tuple[str, bytes]]:
    with (workdir / "recipients.csv").open("a", encoding="utf-8") as out:
        out.write(EXTRA_FORMULA)
    sent = send_sample(workdir, smtp_server, env)
    return corpus(sent)


def test_hostile_mail_from_a_folder_of_eml(workdir: Path, smtp_server: SmtpServer) -> None:
    messages = _send(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    for name, data in messages:
        (export / name).write_bytes(data)
    env = {"MAILER_AUTHSERV_ID": AUTHSERV_ID}
    first = run(["track", "quality-week", "--source", str(export)], env=env)
    assert first.exit_code == 0, first.output
    _check_outcome(workdir, first.output, "02-deep.eml")
    again = run(["track", "quality-week", "--source", str(export)], env=env)
    assert again.exit_code == 0, again.output
    _check_rerun(workdir, again.output)
    _check_spreadsheets(workdir)


def test_hostile_mail_over_imap(workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot) -> None:
    messages = _send(workdir, smtp_server, dovecot.env())
    for _name, data in messages:
        dovecot.append(data)
    env = dovecot.env(MAILER_AUTHSERV_ID=AUTHSERV_ID)
    first = run(["track", "quality-week"], env=env)
    assert first.exit_code == 0, first.output
    _check_outcome(workdir, first.output, "UID 2")
    # the position moved past everything, the unreadable message included: it was handled
    with Journal(workdir / "journal.db") as journal:
        positions = journal.db.execute("SELECT last_uid FROM mailbox_positions").fetchall()
    assert [row[0] for row in positions] == [len(messages)]
    again = run(["track", "quality-week"], env=env)
    assert again.exit_code == 0, again.output
    _check_rerun(workdir, again.output)


def test_without_an_authserv_id_nothing_changes(workdir: Path, smtp_server: SmtpServer) -> None:
    messages = _send(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    for name, data in messages:
        (export / name).write_bytes(data)
    result = run(["track", "quality-week", "--source", str(export)])
    assert result.exit_code == 0, result.output
    status = run(["status", "quality-week", "--format", "json"])
    rows = {r["id"]: r for r in json.loads(status.output)}
    assert rows["dankov"]["state"] == "replied"
    assert rows["zadonsk"]["state"] == "bounced"


def test_a_second_track_waits_for_the_journal(workdir: Path, smtp_server: SmtpServer) -> None:
    messages = _send(workdir, smtp_server, {})
    export = workdir / "export"
    export.mkdir()
    (export / "a.eml").write_bytes(messages[0][1])
    with Journal(workdir / "journal.db") as journal:
        journal.lock("quality-week")  # on SQLite, the whole journal
        busy = run(["track", "quality-week", "--source", str(export)])
    assert busy.exit_code == 6, busy.output
    assert "занят" in busy.output
    assert not (workdir / "replies").exists()


@pytest.mark.parametrize("levels", [31, 1000])
def test_nesting_beyond_the_limit_is_unreadable_not_a_crash(levels: int) -> None:
    from mailer.replies.classify import Unreadable, read_incoming
    from tests.hostile_corpus import deep_nesting

    with pytest.raises(Unreadable):
        read_incoming(deep_nesting("a@b.example", levels))
    assert read_incoming(deep_nesting("a@b.example", 5)).sender == "a@b.example"


def test_fetches_are_bounded_by_total_size() -> None:
    from mailer.replies.sources import BATCH, _batches

    sizes = {1: 400, 2: 400, 3: 300, 4: 900, 5: 100, 6: 1000}
    assert list(_batches(sorted(sizes), sizes, 1000)) == [[1, 2], [3], [4, 5], [6]]
    many = dict.fromkeys(range(1, 1200), 1)
    assert [len(b) for b in _batches(sorted(many), many, 10**9)] == [BATCH, BATCH, 199]


def test_a_message_over_the_limit_over_imap(
    workdir: Path, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    from tests.mail_corpus import reply

    sent = send_sample(workdir, smtp_server, dovecot.env())
    big = os.urandom(1_500_000)
    dovecot.append(
        reply(
            sent["gryazi"],
            "glava@gryazi.example.org",
            "Отчёт во вложении.",
            message_id="<big@gryazi.example.org>",
            attachments=[("отчёт.pdf", big)],
        )
    )
    dovecot.append(
        reply(
            sent["volovo"],
            "glava@volovo.example.org",
            "Отчёт во вложении.",
            message_id="<small@volovo.example.org>",
            attachments=[("отчёт.pdf", big[:300_000])],
        )
    )
    result = run(["track", "quality-week"], env=dovecot.env(MAILER_MAX_MESSAGE_MB="1"))
    assert result.exit_code == 0, result.output
    assert "Ответы: 2" in result.output, result.output
    assert "больше 1 МБ" in result.output
    assert "  папка INBOX, UID 1" in result.output
    folder = workdir / "replies" / "quality-week"
    assert not (folder / "gryazi").exists()
    assert (folder / "volovo" / "отчёт.pdf").read_bytes() == big[:300_000]
