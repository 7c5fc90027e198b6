"""What `check` verifies of a document's layout: read from the DOCX (page numbering, the
properties that keep the signature block whole, the executor mark's place, Russian typography and
language), and, when LibreOffice is installed, from the rendered pages (the signature block whole
on one page, with text above it, and the executor mark on that last page).

Each check states what it looked at, so that `check` reports only what it verified.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.docx.readback import body_of
from mailer.layout import LANGUAGE, W, element_of, header_xml
from mailer.letter import Letter
from mailer.rendering import RenderError, render_documents, soffice
from mailer.signature_mark import MARK_TITLE, mark_lines
from mailer.typography import missing_rules, plain

if TYPE_CHECKING:
    from docx.document import Document
    from lxml.etree import _Element

WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
VERIFIED_IN_DOCX = (
    "нумерация страниц со второй",
    "неразрывность блока подписи",
    "отметка об исполнителе внизу последней страницы",
    "неразрывные пробелы",
    "русский язык и переносы",
)
NOT_RENDERED = "вёрстка не проверена: LibreOffice не установлен"
SHOWN_TYPOGRAPHY = 5


def _texts(element: _Element) -> str:
    return "".join(node.text or "" for node in element.iter(f"{W}t"))


def docx_layout_problems(document: Document, letter: Letter) -> list[str]:
    """The DOCX's own layout properties, held against the office's rules."""
    problems: list[str] = []
    problems += _numbering(document)
    problems += _keep_together(document, letter)
    problems += _typography(document)
    problems += _language(document)
    return problems


def _numbering(document: Document) -> list[str]:
    section = document.sections[0]
    sect_pr = section._sectPr
    if sect_pr.find(f"{W}titlePg") is None:
        return ["нумерация страниц: не задан особый колонтитул первой страницы (номер на ней)"]
    default = section.header
    if default.is_linked_to_previous or not _has_page_field(header_xml(default)):
        return ["нумерация страниц: в верхнем колонтитуле нет поля номера страницы"]
    if _has_page_field(header_xml(section.first_page_header)):
        return ["нумерация страниц: номер стоит и на первой странице"]
    centred = any(
        (jc := p.find(f"{W}pPr/{W}jc")) is not None and jc.get(f"{W}val") == "center"
        for p in header_xml(default).iter(f"{W}p")
        if _has_page_field(p)
    )
    return [] if centred else ["нумерация страниц: номер не по центру"]


def _has_page_field(element: _Element) -> bool:
    instructions = [node.text or "" for node in element.iter(f"{W}instrText")]
    instructions += [node.get(f"{W}instr") or "" for node in element.iter(f"{W}fldSimple")]
    return any(text.split()[:1] == ["PAGE"] for text in instructions)


def _keep_together(document: Document, letter: Letter) -> list[str]:
    signatory = letter.settings.signatory
    body = body_of(document)
    tables = [t for t in body.iter(f"{W}tbl") if plain(signatory.name) in plain(_texts(t))]
    if not tables:
        return []  # a missing signature is reported with the requisites
    table = tables[-1]
    problems = []
    rows = table.findall(f"{W}tr")
    if any(row.find(f"{W}trPr/{W}cantSplit") is None for row in rows):
        problems.append("блок подписи: строка таблицы подписи может разорваться между страницами")
    # the paragraphs before the signature, up to the last one with text, keep with it
    before = []
    node = table.getprevious()
    while node is not None and node.tag == f"{W}p":
        before.append(node)
        if _texts(node).strip():
            break
        node = node.getprevious()
    if not before or any(p.find(f"{W}pPr/{W}keepNext") is None for p in before):
        problems.append("блок подписи: конец текста не удерживается на одной странице с подписью")
    executor = plain(letter.settings.executor.name)
    if executor in plain(_texts(body)) and not any(
        executor in plain(_texts(anchor)) and _at_bottom_left(anchor)
        for anchor in table.iter(f"{WP}anchor")
    ):
        problems.append("отметка об исполнителе не закреплена внизу слева последней страницы")
    return problems


def _at_bottom_left(anchor: _Element) -> bool:
    """A drawing anchored in the signature row, laid out on the page (not in the cell), at the
    bottom left of the margins."""
    vertical = anchor.find(f"{WP}positionV/{WP}align")
    horizontal = anchor.find(f"{WP}positionH/{WP}align")
    return (
        anchor.get("layoutInCell") == "0"
        and vertical is not None
        and vertical.text == "bottom"
        and horizontal is not None
        and horizontal.text == "left"
    )


def _typography(document: Document) -> list[str]:
    found: list[str] = []
    for paragraph in body_of(document).iter(f"{W}p"):
        for place in missing_rules(_texts(paragraph)):
            if place not in found:
                found.append(place)
    if not found:
        return []
    shown = ", ".join(f"«{place}»" for place in found[:SHOWN_TYPOGRAPHY])
    more = f" и ещё {len(found) - SHOWN_TYPOGRAPHY}" if len(found) > SHOWN_TYPOGRAPHY else ""
    return [f"нет неразрывного пробела: {shown}{more}"]


def _language(document: Document) -> list[str]:
    problems = []
    languages = {
        node.get(f"{W}val")
        for part in (element_of(document), element_of(document.styles))
        for node in part.iter(f"{W}lang")
        if node.get(f"{W}val")
    }
    if languages != {LANGUAGE}:
        shown = ", ".join(sorted(lang for lang in languages if lang)) or "не задан"
        problems.append(f"язык текста: {shown}, нужен только {LANGUAGE}")
    if element_of(document.settings).find(f"{W}autoHyphenation") is None:
        problems.append("не включена автоматическая расстановка переносов")
    return problems


def rendered_problems(documents: dict[str, bytes], letter: Letter, mark_shown: bool) -> list[str]:
    """Render the DOCX files (label: bytes) in one LibreOffice run and read their pages: the
    signature block whole on the last page with text above it, and the executor mark there."""
    with tempfile.TemporaryDirectory(prefix="mailer-check-") as folder:
        paths = []
        for number, data in enumerate(documents.values()):
            path = Path(folder) / f"document-{number}.docx"
            path.write_bytes(data)
            paths.append(path)
        try:
            results = render_documents(paths)
        except RenderError as exc:
            return [f"вёрстка: {exc.message}"]
    problems = []
    for label, rendered in zip(documents, results, strict=True):
        pages = [
            [plain(line) for line in rendered.page_lines(i)] for i in range(len(rendered.pages))
        ]
        problems += [f"{label}{p}" for p in _page_problems(pages, letter, mark_shown)]
    return problems


def _page_problems(pages: list[list[str]], letter: Letter, mark_shown: bool) -> list[str]:
    s = letter.settings
    wanted = [s.signatory.name, *s.signatory.position.split()]
    if mark_shown and letter.mark is not None:
        wanted += [*MARK_TITLE, *mark_lines(letter.mark)]

    def pages_with(text: str) -> list[int]:
        return [i for i, lines in enumerate(pages) if any(text in line for line in lines)]

    where = {text: pages_with(text) for text in wanted}
    last = len(pages) - 1
    if {tuple(p) for p in where.values()} != {(last,)}:
        torn = ", ".join(
            f"«{text}» на с. {', '.join(str(i + 1) for i in found) or '—'}"
            for text, found in where.items()
        )
        return [f"вёрстка: блок подписи не целиком на последней странице ({torn})"]
    problems = []
    lines = pages[last]
    top = min(next(i for i, line in enumerate(lines) if text in line) for text in wanted)
    above = [line for line in lines[:top] if not line.isdigit()]
    if len(above) < 2:
        problems.append("вёрстка: на странице подписи нет текста над подписью")
    if pages_with(s.executor.name) != [last]:
        problems.append("вёрстка: отметка об исполнителе не на последней странице")
    return problems


def renderer_available() -> bool:
    return soffice() is not None
