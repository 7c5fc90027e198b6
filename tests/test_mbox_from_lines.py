"""An mbox written by a client that leaves "From " lines in bodies unescaped: no attachment is
silently lost, and a piece such a line cuts out is never counted as anyone's answer."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

from mailer.replies import mbox
from tests.conftest import run
from tests.mail_corpus import REG, reply
from tests.smtp_server import SmtpServer
from tests.test_track import send_sample

SEPARATOR = b"From MAILER-DAEMON Mon Oct 23 10:00:00 2023\n"
QUOTED_MESSAGE = (
    "Пересылаем переписку целиком.\n"
    "\n"
    "From glava@lipetsk.example.org Mon Oct 23 09:00:00 2023\n"
    "From: glava@lipetsk.example.org\n"
    f"Subject: Re: на № {REG}\n"
    "Date: Mon, 23 Oct 2023 09:00:00 +0300\n"
    "\n"
    "Мероприятия проведены.\n"
)


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def test_unescaped_from_lines(workdir: Path, smtp_server: SmtpServer) -> None:
    sent = send_sample(workdir, smtp_server, {})
    messages = [
        # a body line that starts with "From " but is no separator: nothing is cut
        reply(
            sent["gryazi"],
            "glava@gryazi.example.org",
            "Отчёт во вложении.\n\nFrom the results of the week: all done.\nС уважением.",
            message_id="<m1@gryazi.example.org>",
            attachments=[("отчёт.pdf", b"%PDF-1.4 gryazi " * 100)],
        ),
        # a whole message quoted raw: it does look like a separator and a message, so the
        # mbox is cut there, and neither piece may count
        reply(
            sent["volovo"],
            "glava@volovo.example.org",
            QUOTED_MESSAGE,
            message_id="<m2@volovo.example.org>",
            attachments=[("справка.pdf", b"%PDF-1.4 volovo")],
        ),
        reply(
            sent["dankov"],
            "glava@dankov.example.org",
            "Ответ.",
            message_id="<m3@dankov.example.org>",
            attachments=[("ответ.pdf", b"%PDF-1.4 dankov")],
        ),
    ]
    path = workdir / "export.mbox"
    path.write_bytes(b"".join(SEPARATOR + _lf(m) + b"\n" for m in messages))
    # the standard library's reader cuts at every "From " line
    assert len(mailbox.mbox(path)) == 5
    spans = mbox.spans(path)
    assert [s.cut for s in spans] == [False, True, True, False]

    result = run(["track", "quality-week", "--source", str(path)])
    assert result.exit_code == 0, result.output
    rows = {
        r["id"]: r for r in json.loads(run(["status", "quality-week", "--format", "json"]).output)
    }
    assert rows["gryazi"]["state"] == "replied"
    assert rows["dankov"]["state"] == "replied"
    folder = workdir / "replies" / "quality-week"
    assert (folder / "gryazi" / "отчёт.pdf").read_bytes() == b"%PDF-1.4 gryazi " * 100
    assert (folder / "dankov" / "ответ.pdf").read_bytes() == b"%PDF-1.4 dankov"
    # the cut message and the piece cut out of it: listed for review, never an answer
    for rid in ("volovo", "lipetsk"):
        assert rows[rid]["state"] == "review", rid  # theirs to settle, not counted
        assert rows[rid]["replied_at"] is None, rid
    assert result.output.count("разрезано строкой «From …»") == 2, result.output
    assert "glava@volovo.example.org" in result.output
    assert "glava@lipetsk.example.org" in result.output
