"""`mailer check` says only what it verified: the layout properties in the DOCX, and the rendered
pages when LibreOffice is installed (and that they were not rendered when it is not)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from mailer.check import inspect_docx
from mailer.docx import DocxLetter
from mailer.layout_check import rendered_problems
from mailer.letter import load_letter
from mailer.text import Block
from tests.conftest import run

pytestmark = pytest.mark.slow

LETTERS = Path(__file__).resolve().parent.parent / "letters"
ADDRESSEE = "Главе\nН.И. Уваровой"
SALUTATION = "Уважаемая Наталья Ивановна!"
PAGE_BREAK = '<w:r><w:br w:type="page"/></w:r>'
BLOCKS = [
    Block("para", ("Распоряжение от 29.03.2018 № 533-р, т. д. и в 2023 г. к сроку.",)),
    Block("para", ("Второй абзац письма, короткий.",)),
]


def letter_bytes() -> bytes:
    letter = load_letter("quality-week", LETTERS)
    return DocxLetter(letter).fill(ADDRESSEE, SALUTATION, BLOCKS)


def edited(data: bytes, part: str, edit: dict[str, str]) -> bytes:
    """The package with ``part``'s text changed (each key replaced by its value, all found)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == part:
                text = content.decode("utf-8")
                for old, new in edit.items():
                    assert re.search(old, text), old
                    text = re.sub(old, new, text)
                content = text.encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def problems_of(data: bytes) -> list[str]:
    letter = load_letter("quality-week", LETTERS)
    return inspect_docx(data, letter, ADDRESSEE, SALUTATION)


def test_a_good_letter_has_no_layout_problems() -> None:
    assert problems_of(letter_bytes()) == []


def test_check_finds_each_broken_layout_rule() -> None:
    data = letter_bytes()
    no_keep = edited(data, "word/document.xml", {"<w:cantSplit/>": "", "<w:keepNext/>": ""})
    found = problems_of(no_keep)
    assert any("строка таблицы подписи может разорваться" in p for p in found), found
    assert any("конец текста не удерживается" in p for p in found), found

    in_the_cell = edited(data, "word/document.xml", {'layoutInCell="0"': 'layoutInCell="1"'})
    assert any("отметка об исполнителе не закреплена" in p for p in problems_of(in_the_cell))

    no_nbsp = edited(data, "word/document.xml", {"№\u00a0533\u2011р": "№ 533-р"})
    assert problems_of(no_nbsp) == ["нет неразрывного пробела: «№ 533-р,»"]
    everywhere = edited(data, "word/document.xml", {"\u00a0": " "})
    (typography,) = [p for p in problems_of(everywhere) if "неразрывного пробела" in p]
    assert "«г. Липецк,»" in typography
    assert "и ещё" in typography

    english = edited(data, "word/styles.xml", {'w:val="ru-RU"': 'w:val="en-US"'})
    assert any("язык текста: en-US" in p for p in problems_of(english))
    no_hyphens = edited(data, "word/settings.xml", {"<w:autoHyphenation/>": ""})
    assert "не включена автоматическая расстановка переносов" in problems_of(no_hyphens)

    unnumbered = edited(data, "word/document.xml", {"<w:titlePg/>": ""})
    assert any("нумерация страниц" in p for p in problems_of(unnumbered))


def test_rendered_check_sees_a_signature_alone_on_its_page() -> None:
    data = letter_bytes()
    letter = load_letter("quality-week", LETTERS)
    assert rendered_problems({"": data}, letter, mark_shown=True) == []
    # a page break before the signature, and nothing keeping it with the text
    alone = edited(
        data,
        "word/document.xml",
        {
            "<w:keepNext/>": "",
            "<w:p><w:pPr></w:pPr></w:p><w:tbl>": f"<w:p>{PAGE_BREAK}</w:p><w:tbl>",
        },
    )
    found = rendered_problems({"": alone}, letter, mark_shown=True)
    assert "вёрстка: на странице подписи нет текста над подписью" in found, found


def test_check_says_when_the_layout_was_not_rendered(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mailer.rendering.shutil.which", lambda name: None)
    result = run(["check", "quality-week"])
    assert result.exit_code == 0, result.output
    assert "Вёрстка не проверена: LibreOffice не установлен" in result.output
    assert "вёрстка в LibreOffice" not in result.output
