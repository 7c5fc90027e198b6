"""The letter as a records manager reads it: rendered by LibreOffice, page by page.

The text grows a paragraph at a time across several page breaks; every document is held to the
same rules: page numbers from page 2, the signature block with its mark whole on one page with
text above it, the executor mark at the bottom left of the last page, below the signature."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from mailer.certificate import SignatureMark
from mailer.docx import DocxLetter
from mailer.letter import load_letter
from mailer.signature_mark import MARK_TITLE
from mailer.text import Block, parse_blocks
from tests.rendered import (
    Document,
    assert_no_bad_line_ends,
    assert_page_numbers,
    normalized,
    render,
)

pytestmark = pytest.mark.slow

LETTERS = Path(__file__).resolve().parent.parent / "letters"
ADDRESSEE = "Главе Грязинского муниципального округа\nН.И. Уваровой"
SALUTATION = "Уважаемая Наталья Ивановна!"
CERTIFICATE = "00ABC20116D53890C647B5F348EF27298C"
LONG_CERTIFICATE = "7A00ABC20116D53890C647B5F348EF27298CDE12"  # 40 digits, SHA-1 sized
BOTTOM_MARGIN_PT = 20 / 25.4 * 72
# the seed's mark (its data come from a certificate: here given directly to the builder)
MARK = SignatureMark(
    CERTIFICATE, "Дождиков Кирилл Владимирович", dt.date(2022, 10, 20), dt.date(2024, 1, 13)
)
# a paragraph at a time: 1 to 24 of the sample's paragraphs, over three pages
GROWTH = range(1, 25)


def sample_paragraphs() -> list[Block]:
    text = (LETTERS / "quality-week" / "body.j2").read_text(encoding="utf-8")
    text = text.split("-#}", 1)[1].replace("{{", "").replace("}}", "")
    blocks = parse_blocks(text)
    return blocks + [b for b in blocks if b.kind == "para"]


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    tmp = tmp_path_factory.mktemp("letters")
    blocks = sample_paragraphs()
    paths: list[Path] = []
    signed = DocxLetter(load_letter("quality-week", LETTERS), mark=MARK)
    for count in GROWTH:
        path = tmp / f"signed-{count:02}.docx"
        path.write_bytes(signed.fill(ADDRESSEE, SALUTATION, blocks[:count]))
        paths.append(path)
    unsigned = DocxLetter(load_letter("quality-week", LETTERS), mark=None)
    for count in (2, 9, 13):
        path = tmp / f"unsigned-{count:02}.docx"
        path.write_bytes(unsigned.fill(ADDRESSEE, SALUTATION, blocks[:count]))
        paths.append(path)
    group = load_letter("quality-week-list", LETTERS)
    assert group.settings.group is not None
    path = tmp / "group.docx"
    listed = DocxLetter(group, mark=MARK).fill(
        group.settings.group.addressee, group.settings.group.salutation, blocks[:3]
    )
    path.write_bytes(listed)
    paths.append(path)
    long_mark = SignatureMark(LONG_CERTIFICATE, MARK.owner, MARK.valid_from, MARK.valid_to)
    long = DocxLetter(load_letter("quality-week", LETTERS), mark=long_mark)
    path = tmp / "long-certificate.docx"
    path.write_bytes(long.fill(ADDRESSEE, SALUTATION, blocks[:4]))
    paths.append(path)
    return {document.name.removesuffix(".docx"): document for document in render(paths, tmp)}


def signature_page(document: Document, signed: bool) -> int:
    """The page of the signature block, checked whole: position, mark, name on one page, the
    name level with the position's last line."""
    page = document.page_of("К.В. Дождиков")
    assert page == len(document.pages) - 1, f"{document.name}: подпись не на последней странице"
    lines = document.pages[page]
    for text in ("Начальник", "управления"):
        assert document.page_of(text) == page
    if signed:
        for text in MARK_TITLE:
            assert document.page_of(text) == page, f"{document.name}: отметка разорвана"
        assert document.page_of("Владелец Дождиков Кирилл Владимирович") == page
        assert document.page_of("Действителен с 20.10.2022 по 13.01.2024") == page
    else:
        assert not any("ПОДПИСАН" in line for line in lines)
    name_line = lines[document.line_index(page, "К.В. Дождиков")]
    assert "управления" in name_line, f"{document.name}: фамилия не на уровне должности"
    return page


def assert_text_above(document: Document, page: int, first_block_line: str) -> None:
    """At least two lines of the letter's text stand above the signature on its page."""
    lines = document.pages[page]
    top = min(i for i, line in enumerate(lines) if line.startswith((MARK_TITLE[0], "Начальник")))
    body = lines[1 if page else 0 : top]
    if page == 0:
        body = lines[document.line_index(0, "Уважаемая") + 1 : top]
    assert len(body) >= 2, f"{document.name}: над подписью {body}"
    assert all(not line.startswith(("Начальник", "ДОКУМЕНТ")) for line in body)


def assert_executor_mark_at_the_bottom(document: Document, page: int) -> None:
    boxes = document.boxes[page]
    surname = boxes.find("Дождиков")[-1]
    executor = boxes.find("Макеева")
    assert len(executor) == 1, f"{document.name}: отметка об исполнителе не на последней странице"
    email = boxes.find("MakeevaSA@admlr.lipetsk.ru")
    assert email, document.name
    assert executor[0].top > surname.bottom  # below the signature
    assert executor[0].x < 90  # at the left margin (25 mm = 71 pt)
    bottom = boxes.height - BOTTOM_MARGIN_PT
    assert bottom - 8 < email[0].bottom <= bottom + 3, f"{document.name}: не внизу страницы"
    assert executor[0].bottom - executor[0].top < surname.bottom - surname.top  # smaller type
    for other in range(len(document.boxes)):
        if other != page:
            assert not document.boxes[other].find("Макеева")


def test_growing_letter_keeps_its_signature_block_whole(letters: dict[str, Document]) -> None:
    pages_seen = set()
    for count in GROWTH:
        document = letters[f"signed-{count:02}"]
        pages_seen.add(len(document.pages))
        assert_page_numbers(document)
        page = signature_page(document, signed=True)
        assert_text_above(document, page, "Ежегодно")
        assert_executor_mark_at_the_bottom(document, page)
        assert_no_bad_line_ends(document)
        certificate = [line for line in document.pages[page] if "Сертификат" in line]
        assert len(certificate) == 1
        assert f"Сертификат {CERTIFICATE}" in normalized(certificate[0])
    assert pages_seen >= {1, 2, 3}, pages_seen  # the text really crossed page breaks


def test_without_a_mark_position_and_name_only(letters: dict[str, Document]) -> None:
    for count in (2, 9, 13):
        document = letters[f"unsigned-{count:02}"]
        assert_page_numbers(document)
        page = signature_page(document, signed=False)
        assert_text_above(document, page, "Ежегодно")
        assert_executor_mark_at_the_bottom(document, page)


def test_a_forty_digit_certificate_number_fits_one_line(letters: dict[str, Document]) -> None:
    document = letters["long-certificate"]
    page = signature_page(document, signed=True)
    lines = [normalized(line) for line in document.pages[page]]
    assert any(f"Сертификат {LONG_CERTIFICATE}" in line for line in lines), lines


def test_text_is_hyphenated_in_russian(letters: dict[str, Document]) -> None:
    document = letters["signed-08"]
    body = [line for page in document.pages for line in page]
    hyphenated = [line for line in body if re.search(r"[а-яё]-$", line)]
    assert hyphenated, "в тексте нет ни одного переноса"
    # names, positions and the addressee are never broken
    assert any(line.endswith("Н.И. Уваровой") for line in map(normalized, body))
    assert not any(re.search(r"(Дожди|Уваро|управле)-$", line) for line in body)


def test_by_the_list_stays_whole(letters: dict[str, Document]) -> None:
    lines = [normalized(line) for line in letters["group"].pages[0]]
    assert any(line.endswith("(по списку)") for line in lines), lines[:8]
    assert not any(line.endswith("(по") for line in lines)
