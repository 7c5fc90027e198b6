"""The dry run: files a secretary can open, nothing sent, the journal untouched."""

from __future__ import annotations

import email.policy
import html.parser
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import unquote

from mailer.docx import read_docx_text
from tests.conftest import parse_strict, run


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


def links_of(index: Path) -> list[str]:
    parser = _Links()
    parser.feed(index.read_text(encoding="utf-8"))
    return parser.links


def test_preview_writes_every_letter_and_an_index(workdir: Path) -> None:
    result = run(["preview", "quality-week"])
    assert result.exit_code == 0, result.output
    assert "Ничего не отправлено." in result.output
    folder = workdir / "preview" / "quality-week"
    index = folder / "index.html"
    page = index.read_text(encoding="utf-8")
    assert "Это предпросмотр: ничего не отправлено" in page
    assert "20 ноября 2023 г." in page

    local = [link for link in links_of(index) if not link.startswith("http")]
    assert len(local) == 60  # .docx, .eml and text for each of the 20
    for link in local:
        assert (folder / unquote(link)).is_file(), link
    assert len(list(folder.glob("*.eml"))) == 20
    assert len(list(folder.glob("*.docx"))) == 20

    # each addressee, declined, in the index, the DOCX and the email
    assert "Главе Грязинского муниципального округа<br>Н.И. Уваровой" in page
    assert "Уважаемая Наталья Ивановна!" in page
    (docx_path,) = folder.glob("* Грязинский муниципальный округ.docx")
    assert "Главе Грязинского муниципального округа\nН.И. Уваровой" in read_docx_text(docx_path)
    (eml,) = folder.glob("*gryazi.eml")
    message = parse_strict(eml.read_bytes())
    assert message["To"].addresses[0].addr_spec == "glava@gryazi.example.org"

    assert not (workdir / "journal.db").exists()  # the journal is left alone


def test_preview_replaces_its_own_folder_but_never_a_users(workdir: Path) -> None:
    assert run(["preview", "quality-week"]).exit_code == 0
    assert run(["preview", "quality-week"]).exit_code == 0  # its own: replaced

    mine = workdir / "Мои документы"
    mine.mkdir()
    (mine / "отчёт.docx").write_bytes(b"important")
    result = run(["preview", "quality-week", "--out", str(mine)])
    assert result.exit_code == 7
    assert "не эта программа" in result.output
    assert (mine / "отчёт.docx").read_bytes() == b"important"
    assert [p.name for p in mine.iterdir()] == ["отчёт.docx"]


def test_list_letter_preview_has_one_document_and_its_checksum(workdir: Path) -> None:
    result = run(["preview", "quality-week-list"])
    assert result.exit_code == 0, result.output
    folder = workdir / "preview" / "quality-week-list"
    documents = list(folder.glob("*.docx"))
    assert len(documents) == 1
    assert "SHA-256" in result.output
    lines = read_docx_text(documents[0])
    assert "Главам муниципальных образований Липецкой области (по списку)" in lines
    assert "Уважаемые коллеги!" in lines
    # emails stay personal
    for eml in folder.glob("*.eml"):
        message = BytesParser(policy=email.policy.default).parsebytes(eml.read_bytes())
        body = message.get_body(("plain",))
        assert body is not None
        assert body.get_content().startswith("Уважаем")
        assert "коллеги" not in body.get_content().splitlines()[0]

    # the same letter gives the same bytes: the signed file is the sent file
    first = documents[0].read_bytes()
    assert run(["preview", "quality-week-list"]).exit_code == 0
    assert documents[0].read_bytes() == first
