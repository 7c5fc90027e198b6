"""The official letter as DOCX, laid out after GOST R 7.0.97-2025.

python-docx takes tens of milliseconds per document, so the letter is built once per run with
markers where the per-recipient parts go (addressee, salutation, body). Per recipient only
word/document.xml is filled by string substitution and appended to a ZIP whose other parts were
compressed once.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from mailer import layout
from mailer.errors import LetterError
from mailer.layout import FIRST_LINE_INDENT_TWIPS, SMALL_PT, cell_paragraph
from mailer.letter import Letter
from mailer.russian import date_numeric
from mailer.signature_block import MarkData, add_signature_block
from mailer.text import CACHE_SIZE, Block
from mailer.typography import plain, typeset

DOCUMENT_PART = "word/document.xml"
ADDRESSEE = "⟦ADDRESSEE⟧"
SALUTATION = "⟦SALUTATION⟧"
BODY = "⟦BODY⟧"

# Fixed ZIP timestamps: the same letter gives the same bytes, so a file signed after the preview
# is the very file that is sent.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _line_runs(text: str) -> str:
    """Escaped run content for text that may span lines: w:t pieces joined by w:br."""
    # &, < and > only (as xml.sax.saxutils.escape, whose import pulls in urllib and http)
    pieces = [html.escape(typeset(line), quote=False) for line in text.split("\n")]
    return '</w:t><w:br/><w:t xml:space="preserve">'.join(pieces)


@lru_cache(maxsize=CACHE_SIZE)
def _paragraph_xml(block: Block, keep_with_next: bool = False) -> str:
    text = "\n".join(block.lines)
    if block.kind == "item":
        text = "– " + text
    keep = "<w:keepNext/>" if keep_with_next else ""
    return (
        f'<w:p><w:pPr>{keep}<w:ind w:firstLine="{FIRST_LINE_INDENT_TWIPS}"/><w:jc w:val="both"/>'
        f'</w:pPr><w:r><w:t xml:space="preserve">{_line_runs(text)}</w:t></w:r></w:p>'
    )


# A paragraph shorter than this may be one line: then the one before it stays on the
# signature's page too, so that at least two lines of text stand above the signature.
ONE_LINE_CHARS = 90


def _body_xml(blocks: Sequence[Block]) -> str:
    """The text's paragraphs; the last ones keep with the signature (with widow control, at
    least their last two lines go to its page)."""
    keep_from = len(blocks) - 1
    if blocks and len(blocks[-1].text) < ONE_LINE_CHARS:
        keep_from -= 1
    return "".join(_paragraph_xml(b, i >= keep_from) for i, b in enumerate(blocks))


class _FromSettings:
    """The default of DocxLetter's ``mark``: the letter's own, read from its signer's
    certificate (None for an unsigned letter)."""


FROM_SETTINGS = _FromSettings()


class DocxLetter:
    """The letter's DOCX, built once; ``fill`` gives one recipient's file as bytes."""

    def __init__(
        self,
        letter: Letter,
        *,
        title: str | None = None,
        registration: tuple[str, dt.date | None] | None = None,
        enclosure: str | None = None,
        mark: MarkData | _FromSettings | None = FROM_SETTINGS,
    ) -> None:
        """``title``, ``registration`` (number, date; blanks when empty) and ``enclosure``
        (the "Приложение: …" line) are a reminder's, a letter of its own. ``mark``: the
        electronic-signature mark's data, or None for a letter without one (position | name);
        by default the letter's own (Letter.mark: from its signer's certificate)."""
        self.letter = letter
        shown_mark = letter.mark if isinstance(mark, _FromSettings) else mark
        document_xml, static_zip = _build_skeleton(
            letter, title, registration, shown_mark, enclosure
        )
        self._package = _Package(static_zip)
        body_at = document_xml.index(BODY)
        p_start = max(
            document_xml.rfind("<w:p>", 0, body_at), document_xml.rfind("<w:p ", 0, body_at)
        )
        p_end = document_xml.index("</w:p>", body_at) + len("</w:p>")
        self._head = document_xml[:p_start]
        self._tail = document_xml[p_end:]

    def fill(self, addressee: str, salutation: str, blocks: Sequence[Block]) -> bytes:
        head = self._head.replace(ADDRESSEE, _line_runs(addressee)).replace(
            SALUTATION, _line_runs(salutation)
        )
        body = _body_xml(blocks)
        return self._package.with_part(DOCUMENT_PART, (head + body + self._tail).encode("utf-8"))


class _Package:
    """The DOCX's ZIP with every part but one compressed once; ``with_part`` adds that one.

    zipfile's append mode re-reads the central directory each time; here the new entry and
    the directory are written directly (APPNOTE 4.3: local header, data, central directory,
    end record)."""

    LOCAL = struct.Struct("<4s5H3L2H")
    CENTRAL = struct.Struct("<4s6H3L5H2L")
    END = struct.Struct("<4s4H2LH")

    def __init__(self, static_zip: bytes) -> None:
        end = self.END.unpack(static_zip[-self.END.size :])
        self.entries, directory_size, directory_offset = end[4], end[5], end[6]
        self.local = static_zip[:directory_offset]
        self.directory = static_zip[directory_offset : directory_offset + directory_size]

    def with_part(self, name: str, data: bytes) -> bytes:
        # level 1: half the time of the default 6 for 15% more bytes on a 4 KB part
        compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        encoded_name = name.encode("ascii")
        time, date = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00, as the other parts
        local = self.LOCAL.pack(
            b"PK\x03\x04",
            20,
            0,
            zipfile.ZIP_DEFLATED,
            time,
            date,
            crc,
            len(packed),
            len(data),
            len(encoded_name),
            0,
        )
        offset = len(self.local)
        central = self.CENTRAL.pack(
            b"PK\x01\x02",
            20,
            20,
            0,
            zipfile.ZIP_DEFLATED,
            time,
            date,
            crc,
            len(packed),
            len(data),
            len(encoded_name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory = self.directory + central + encoded_name
        directory_offset = offset + len(local) + len(encoded_name) + len(packed)
        end = self.END.pack(
            b"PK\x05\x06",
            0,
            0,
            self.entries + 1,
            self.entries + 1,
            len(directory),
            directory_offset,
            0,
        )
        return b"".join([self.local, local, encoded_name, packed, directory, end])


def _build_skeleton(
    letter: Letter,
    title_text: str | None,
    registration: tuple[str, dt.date | None] | None,
    mark: MarkData | None,
    enclosure: str | None = None,
) -> tuple[str, bytes]:
    """Lay out the letter with python-docx; return document.xml and a ZIP of every other part."""
    import docx
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    settings = letter.settings
    org = letter.organization
    try:
        document = docx.Document(str(letter.blank)) if letter.blank else docx.Document()
    except Exception as exc:  # python-docx raises assorted types for a file that is not DOCX
        raise LetterError(
            f"Бланк {letter.blank} не открывается как документ Word: {exc}."
        ) from None
    layout.set_up_page(document, keep_wider_margins=letter.blank is not None)
    text_width = layout.TEXT_WIDTH_MM

    core = document.core_properties
    core.title = (title_text or settings.subject).replace("\n", " ")
    core.author = org.short_name
    core.comments = f"Исх. {letter.registration_label}"
    core.last_modified_by = org.short_name
    stamp = dt.datetime.combine(settings.registration.date, dt.time(9, 0))
    core.created = stamp
    core.modified = stamp

    # Letterhead (left) and addressee (right): the corner layout of GOST R 7.0.97.
    header = layout.borderless_table(document, (text_width * 0.55, text_width * 0.45))
    left, right = header.rows[0].cells
    first = True
    if letter.blank is None:
        for line in org.name_lines:
            cell_paragraph(left, line, size=SMALL_PT, bold=True, align="center", first=first)
            first = False
        contacts = [org.address]
        phone_fax = ", ".join(
            part
            for part in (
                f"тел. {org.phone}" if org.phone else "",
                f"факс {org.fax}" if org.fax else "",
            )
            if part
        )
        contacts += [phone_fax, org.website, f"E-mail: {org.email}" if org.email else ""]
        for line in (c for c in contacts if c):
            cell_paragraph(left, line, size=SMALL_PT, align="center")
        cell_paragraph(left, "", size=SMALL_PT)
    number, date = registration or (settings.registration.number, settings.registration.date)
    cell_paragraph(
        left,
        f"{date_numeric(date) if date else '___________'} № {number or '_______________'}",
        size=SMALL_PT,
        align="center",
        first=first,
    )
    ref = settings.reference
    ref_number = ref.number or "_______________"
    ref_date = date_numeric(ref.date) if ref.date else "___________"
    cell_paragraph(left, f"На № {ref_number} от {ref_date}", size=SMALL_PT, align="center")
    cell_paragraph(right, ADDRESSEE, first=True)
    right.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP

    document.add_paragraph()
    title = document.add_paragraph()
    title_run = title.add_run(typeset(title_text or settings.subject))
    title_run.bold = True
    layout.keep_with_next(title._p)
    layout.no_hyphenation(title._p)
    document.add_paragraph()
    salutation = document.add_paragraph(SALUTATION)
    salutation.alignment = WD_ALIGN_PARAGRAPH.CENTER
    layout.keep_with_next(salutation._p)
    document.add_paragraph()
    document.add_paragraph(BODY)
    if enclosure:
        spacer = document.add_paragraph()
        layout.keep_with_next(spacer._p)
        paragraph = document.add_paragraph()
        paragraph.add_run(typeset(enclosure))
        layout.keep_with_next(paragraph._p)
    # the text's end and the two blank lines before the signature keep with it; the executor
    # mark is drawn from the signature's row at the foot of its page
    for _ in range(2):
        layout.keep_with_next(document.add_paragraph()._p)
    executor = settings.executor
    add_signature_block(
        document,
        settings.signatory.position,
        settings.signatory.name,
        mark,
        [executor.name, executor.phone, executor.email or ""],
    )
    layout.end_of_document(document)

    raw = io.BytesIO()
    document.save(raw)
    return _split_package(raw.getvalue())


def _split_package(package: bytes) -> tuple[str, bytes]:
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        names = source.namelist()
        for name in names:
            parts[name] = source.read(name)
    document_xml = parts.pop(DOCUMENT_PART).decode("utf-8")
    for marker in (ADDRESSEE, SALUTATION, BODY):
        if document_xml.count(marker) != 1:
            raise LetterError(f"Внутренняя ошибка сборки документа: метка {marker} не найдена.")
    parts = _slimmed(parts, document_xml)
    static = io.BytesIO()
    with zipfile.ZipFile(static, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in names:
            if name in parts:
                target.writestr(_zip_entry(name), parts[name])
    return document_xml, static.getvalue()


_STYLE_REFERENCE = re.compile(
    rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink) w:val="([^"]+)"'
)
_STYLE_CHAIN = re.compile(rb'<w:(?:basedOn|next|link) w:val="([^"]+)"')
_STYLE = re.compile(rb'<w:style [^>]*?w:styleId="([^"]+)"[^>]*?(?:/>|>.*?</w:style>)', re.DOTALL)


def _slimmed(parts: dict[str, bytes], document_xml: str) -> dict[str, bytes]:
    """The package without what this letter never uses, since it travels with every email.

    python-docx's template brings 164 styles and Word's list of 137 latent ones (350 KB of
    XML, half of the compressed file), numbering for list styles, a thumbnail, Word 2010's
    duplicate of the styles and a bibliography item. Kept: the default styles, every style a
    part refers to, and what those are based on or linked to."""
    parts = dict(parts)
    dropped = {"docProps/thumbnail.jpeg", "word/stylesWithEffects.xml"}
    dropped |= {name for name in parts if name.startswith("customXml/")}
    content = [document_xml.encode("utf-8")] + [
        data
        for name, data in parts.items()
        if name.startswith("word/")
        and name.endswith(".xml")
        and name not in ("word/styles.xml", "word/numbering.xml", *dropped)
    ]
    styles = parts.get("word/styles.xml")
    if styles is not None:
        wanted = {m for data in content for m in _STYLE_REFERENCE.findall(data)}
        found = {m.group(1): m.group(0) for m in _STYLE.finditer(styles)}
        defaults = {sid for sid, xml in found.items() if b'w:default="1"' in xml[: xml.index(b">")]}
        wanted |= defaults
        queue = list(wanted)
        while queue:
            for linked in _STYLE_CHAIN.findall(found.get(queue.pop(), b"")):
                if linked not in wanted:
                    wanted.add(linked)
                    queue.append(linked)
        kept = [xml for sid, xml in found.items() if sid in wanted]
        head = styles[: styles.index(b"<w:style ")] if found else styles
        head = re.sub(rb"<w:latentStyles\b.*?</w:latentStyles>", b"", head, flags=re.DOTALL)
        parts["word/styles.xml"] = head + b"".join(kept) + b"</w:styles>"
        uses_numbering = any(b"<w:numPr" in data for data in [*content, *kept])
        if not uses_numbering:
            dropped.add("word/numbering.xml")
    for name in dropped:
        parts.pop(name, None)
    for rels, base in (("_rels/.rels", ""), ("word/_rels/document.xml.rels", "word/")):
        if rels in parts:
            parts[rels] = _without_links(parts[rels], base, dropped)
    parts["[Content_Types].xml"] = re.sub(
        rb'<Override PartName="/([^"]+)"[^>]*/>',
        lambda m: b"" if m.group(1).decode() in dropped else m.group(0),
        parts["[Content_Types].xml"],
    )
    return parts


def _without_links(rels: bytes, base: str, dropped: set[str]) -> bytes:
    """A relationships part without the links to dropped parts (targets are relative to
    ``base``)."""

    def keep(link: re.Match[bytes]) -> bytes:
        target = posixpath.normpath(base + link.group(1).decode())
        return b"" if target in dropped else link.group(0)

    return re.sub(rb'<Relationship [^>]*Target="([^"]+)"[^>]*/>', keep, rels)


def read_docx_text(path_or_bytes: Path | bytes, *, raw: bool = False) -> list[str]:
    """Paragraph texts of a DOCX, tables included, in document order; a line break is "\n".
    Non-breaking spaces read as spaces unless ``raw``."""
    import docx

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    body = docx.Document(source).element.body
    # a text box's paragraphs are read on their own, not as part of the one holding the box
    texts = [
        "".join(
            node.text or "" if node.tag == f"{_W}t" else "\n"
            for node in paragraph.iter(f"{_W}t", f"{_W}br")
            if next(node.iterancestors(f"{_W}p")) is paragraph
        )
        for paragraph in body.iter(f"{_W}p")
    ]
    return texts if raw else [plain(text) for text in texts]


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
