"""Helpers for tests that read documents as rendered by LibreOffice, page by page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mailer.rendering import PageBoxes, Rendered, render_documents, word_boxes
from mailer.typography import plain

PAGE_NUMBER = re.compile(r"^\d+$")
# a line ending in a one-letter preposition or conjunction, "№", or an initial
BAD_LINE_END = re.compile(r"(?:^|\s)(?:[вкосуиаВКОСУИА]|№|[А-ЯЁ]\.(?:[А-ЯЁ]\.)?|т\.)$")


@dataclass(frozen=True)
class Document:
    """A rendered document: its pages' text lines and its words' places."""

    name: str
    rendered: Rendered
    boxes: list[PageBoxes]

    @property
    def pages(self) -> list[list[str]]:
        return [self.rendered.page_lines(i) for i in range(len(self.rendered.pages))]

    def page_of(self, text: str) -> int:
        """The index of the only page whose lines contain ``text``."""
        found = [i for i, lines in enumerate(self.pages) if any(text in line for line in lines)]
        assert len(found) == 1, f"{self.name}: «{text}» на страницах {found}"
        return found[0]

    def line_index(self, page: int, text: str) -> int:
        lines = self.pages[page]
        return next(i for i, line in enumerate(lines) if text in line)


def render(paths: list[Path], out: Path) -> list[Document]:
    """All the documents in one LibreOffice run (it takes seconds to start)."""
    results = render_documents(paths, out)
    return [
        Document(path.name, result, word_boxes(result.pdf))
        for path, result in zip(paths, results, strict=True)
    ]


def normalized(text: str) -> str:
    return plain(text)


def assert_page_numbers(document: Document) -> None:
    """No number on page 1; from page 2 on, the page's number first, centred."""
    pages = document.pages
    assert not PAGE_NUMBER.match(pages[0][0]), f"{document.name}: номер на первой странице"
    for index in range(1, len(pages)):
        assert pages[index][0] == str(index + 1), f"{document.name}: стр. {index + 1}"
        raw = next(line for line in document.rendered.pages[index].splitlines() if line.strip())
        left = len(raw) - len(raw.lstrip())
        assert left > 30, f"{document.name}: номер стр. {index + 1} не по центру: {raw!r}"


def assert_no_bad_line_ends(document: Document) -> None:
    for number, lines in enumerate(document.pages, start=1):
        for line in lines:
            assert not BAD_LINE_END.search(normalized(line)), (
                f"{document.name}, стр. {number}: строка кончается висячим словом: {line!r}"
            )
