"""The page of the office's documents (GOST R 7.0.97-2025), shared by the letter, the reminder
and the справка: A4 and its margins, Times New Roman 14 in Russian with hyphenation, page numbers
from page 2 centred in the top margin, the signature block that stays whole, and the executor
mark at the bottom left of the last page.

Everything here works on a python-docx Document while a skeleton is built, once per run.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
from collections.abc import Sequence
from typing import Any, Protocol

from mailer.russian import date_numeric
from mailer.typography import typeset

FONT = "Times New Roman"
TEXT_PT = 14
SMALL_PT = 12
# The executor mark may be set smaller than the text (GOST R 7.0.97-2025, 5.1).
EXECUTOR_PT = 11
# GOST R 7.0.97: at least 20 mm left, top and bottom, 10 mm right.
MARGINS_MM = {"left": 25, "right": 10, "top": 20, "bottom": 20}
HEADER_DISTANCE_MM = 10
PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]
FIRST_LINE_INDENT_TWIPS = 709  # 1.25 cm, the paragraph indent of Russian office documents
LANGUAGE = "ru-RU"

# The electronic-signature mark: its fixed lines, defined once for building and for `check`.
MARK_TITLE = ("ДОКУМЕНТ ПОДПИСАН", "ЭЛЕКТРОННОЙ ПОДПИСЬЮ")
MARK_CERTIFICATE = "Сертификат {certificate}"
MARK_OWNER = "Владелец {owner}"
MARK_VALIDITY = "Действителен с {valid_from} по {valid_to}"
# The signature row: position | mark | name, in millimetres of the 175 mm text width; the mark's
# column is as wide as its certificate line needs (mark_width_mm), the name's is fixed.
NAME_COLUMN_MM = 40.0
MARK_PT = 10
MARK_INDENT_TWIPS = 57  # 1 mm between the cell's edge and the mark's frame
# The executor mark: a text box at the bottom left of the last page.
EXECUTOR_WIDTH_MM = 100.0
EXECUTOR_LINE = 1.2  # line height in sizes of the type
EXECUTOR_GAP_PT = 10  # between the signature and the executor mark, at the least
ANCHOR_COLUMN_MM = 2.0  # the signature row's last, empty cell that holds the box's anchor
_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}
MARK_MIN_MM = 70.0
MARK_PADDING_MM = 1.0  # the mark cell's inner left and right margin
# Times New Roman's advance widths in em, by kind of character: enough to size the mark
_EM = {"digit": 0.5, "upper": 0.7, "lower": 0.52, "space": 0.25}
PT_MM = 25.4 / 72


class MarkData(Protocol):
    """What the mark shows, read from the signer's certificate (letter.SignatureMark)."""

    @property
    def certificate(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def valid_from(self) -> dt.date: ...
    @property
    def valid_to(self) -> dt.date: ...


def mark_lines(mark: MarkData) -> list[str]:
    """The mark's text lines, below its two-line title."""
    return [
        MARK_CERTIFICATE.format(certificate=mark.certificate),
        MARK_OWNER.format(owner=mark.owner),
        MARK_VALIDITY.format(
            valid_from=date_numeric(mark.valid_from), valid_to=date_numeric(mark.valid_to)
        ),
    ]


def text_width_mm(text: str, points: float) -> float:
    """A generous estimate of a line's width in Times New Roman (Liberation Serif)."""
    ems = 0.0
    for char in text:
        kind = (
            "digit"
            if char.isdigit()
            else "space"
            if char.isspace()
            else "upper"
            if char.isupper()
            else "lower"
        )
        ems += _EM[kind]
    return ems * points * PT_MM


def mark_width_mm(mark: MarkData) -> float:
    """The mark's column: its longest line on one line, and a little air."""
    widest = max(text_width_mm(line, MARK_PT) for line in mark_lines(mark))
    title = max(text_width_mm(line, MARK_PT + 1) * 1.1 for line in MARK_TITLE)
    return min(max(MARK_MIN_MM, widest, title) + 2 * MARK_PADDING_MM + 3, 110.0)


def mm(value: float) -> Any:
    from docx.shared import Mm

    return Mm(value)


def _w(tag: str, **attributes: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(f"w:{tag}")
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def set_up_page(document: Any, *, keep_wider_margins: bool = False) -> None:
    """A4, the margins, the Normal style in Russian, hyphenation, and page numbers."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    section = document.sections[0]
    section.page_width = mm(PAGE_WIDTH_MM)
    section.page_height = mm(PAGE_HEIGHT_MM)
    for side, minimum in MARGINS_MM.items():
        attribute = f"{side}_margin"
        current = getattr(section, attribute)
        if not keep_wider_margins or current is None or current < mm(minimum):
            setattr(section, attribute, mm(minimum))
    section.header_distance = mm(HEADER_DISTANCE_MM)

    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(TEXT_PT)
    paragraph_format = normal.paragraph_format
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing = 1.0
    paragraph_format.widow_control = True
    run_properties = normal.element.get_or_add_rPr()
    fonts = run_properties.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)
    fonts.set(qn("w:cs"), FONT)
    # python-docx's template says en-US: Word would check Russian spelling as English, and
    # neither Word nor LibreOffice would hyphenate Russian words
    for old in run_properties.findall(qn("w:lang")):
        run_properties.remove(old)
    run_properties.append(_w("lang", val=LANGUAGE, eastAsia=LANGUAGE, bidi=LANGUAGE))
    _language_everywhere(document)
    _hyphenation(document)
    _page_numbers(section)


def _language_everywhere(document: Any) -> None:
    """Every style that names a language names Russian (the template's Table Grid, Header…)."""
    from docx.oxml.ns import qn

    for element in document.styles.element.iter(qn("w:lang")):
        for attribute in ("val", "eastAsia", "bidi"):
            if element.get(qn(f"w:{attribute}")) is not None:
                element.set(qn(f"w:{attribute}"), LANGUAGE)


def _hyphenation(document: Any) -> None:
    from docx.oxml.ns import qn

    settings = document.settings.element
    for tag in ("autoHyphenation", "consecutiveHyphenLimit", "hyphenationZone"):
        for old in settings.findall(qn(f"w:{tag}")):
            settings.remove(old)
    # schema order: these follow w:defaultTabStop when there is one
    anchor = settings.find(qn("w:defaultTabStop"))
    elements = [
        _w("autoHyphenation"),
        _w("consecutiveHyphenLimit", val="2"),
        _w("hyphenationZone", val="357"),
    ]
    if anchor is not None:
        for element in reversed(elements):
            anchor.addnext(element)
    else:
        for element in reversed(elements):
            settings.insert(0, element)


def _page_field_paragraph(paragraph: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, kind in (("", "begin"), (" PAGE ", None), ("", "separate"), ("2", None), ("", "end")):
        run = _w("r")
        run_pr = _w("rPr")
        size = str(TEXT_PT * 2)
        run_pr.append(_w("sz", val=size))
        run.append(run_pr)
        if kind is not None:
            run.append(_w("fldChar", fldCharType=kind))
        elif text.startswith(" "):
            instruction = _w("instrText")
            instruction.text = text
            instruction.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(instruction)
        else:
            value = _w("t")
            value.text = text
            run.append(value)
        paragraph._p.append(run)


def _page_numbers(section: Any) -> None:
    """Page numbers from page 2, centred in the top margin; page 1 has a header of its own (an
    office blank's letterhead moves there, so the blank still shows on the first page)."""
    had_first = section.different_first_page_header_footer
    section.different_first_page_header_footer = True
    default = section.header
    if not had_first and not default.is_linked_to_previous:
        first = section.first_page_header
        first.is_linked_to_previous = False
        target = first._element
        for child in list(target):
            target.remove(child)
        for child in default._element:
            target.append(copy.deepcopy(child))
    default.is_linked_to_previous = False
    element = default._element
    for child in list(element):
        element.remove(child)
    _page_field_paragraph(default.add_paragraph())


def keep_with_next(paragraph_xml: Any) -> None:
    """Mark a paragraph (its w:p) to stay on the page of the next one."""
    from docx.oxml.ns import qn

    properties = paragraph_xml.get_or_add_pPr()
    if properties.find(qn("w:keepNext")) is None:
        properties.insert(0, _w("keepNext"))


def _borderless_table(document: Any, widths_mm: Sequence[float]) -> Any:
    from docx.oxml.ns import qn

    table = document.add_table(rows=1, cols=len(widths_mm))
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    borders = _w("tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_w(edge, val="nil"))
    tbl_pr.append(borders)
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is None:
        tbl_pr.append(_w("tblLayout", type="fixed"))
    # Word reads the cell widths, LibreOffice the grid: set both.
    for column, cell, width in zip(table.columns, table.rows[0].cells, widths_mm, strict=True):
        column.width = mm(width)
        cell.width = mm(width)
    return table


def borderless_table(document: Any, widths_mm: Sequence[float]) -> Any:
    return _borderless_table(document, widths_mm)


def cell_paragraph(
    cell: Any,
    text: str,
    *,
    size: float = TEXT_PT,
    bold: bool = False,
    align: str = "left",
    first: bool = False,
) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    no_hyphenation(paragraph._p)
    run = paragraph.add_run(typeset(text))
    run.font.size = Pt(size)
    run.font.bold = bold
    return paragraph


def no_hyphenation(paragraph_xml: Any) -> None:
    """Names, positions, addresses and titles are not hyphenated."""
    properties = paragraph_xml.get_or_add_pPr()
    properties.append(_w("suppressAutoHyphens"))


def _row_stays_whole(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.append(_w("cantSplit"))


def _mark_cell(cell: Any, mark: MarkData) -> None:
    """The mark as a box of bordered paragraphs (the cell keeps its margins for the reserve
    below the signature, which a cell border would enclose)."""
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    if properties.find(qn("w:vAlign")) is None:
        properties.append(_w("vAlign", val="center"))
    first = True
    paragraphs = []
    for line in MARK_TITLE:
        paragraphs.append(
            cell_paragraph(cell, line, size=MARK_PT + 1, bold=True, align="center", first=first)
        )
        first = False
    for line in mark_lines(mark):
        paragraphs.append(cell_paragraph(cell, line, size=MARK_PT))
    for paragraph in paragraphs:
        borders = _w("pBdr")
        for edge in ("top", "left", "bottom", "right"):
            borders.append(_w(edge, val="single", sz="8", space="2", color="000000"))
        paragraph._p.get_or_add_pPr().insert(0, borders)
        paragraph._p.get_or_add_pPr().append(
            _w("ind", left=str(MARK_INDENT_TWIPS), right=str(MARK_INDENT_TWIPS))
        )


def _executor_box(lines: Sequence[str]) -> Any:
    """The executor mark as a text box anchored in the signature row but laid out at the
    bottom left of the page (layoutInCell="0"): it is always on the signature's page. Wrapped
    top and bottom, since Word honours layoutInCell only for a wrapped object."""
    from docx.oxml import parse_xml

    height_pt = len(lines) * EXECUTOR_PT * EXECUTOR_LINE + 2
    cx, cy = round(EXECUTOR_WIDTH_MM * 36000), round(height_pt * 12700)
    paragraphs = "".join(
        '<w:p><w:pPr><w:spacing w:before="0" w:after="0"/><w:suppressAutoHyphens/></w:pPr>'
        f'<w:r><w:rPr><w:sz w:val="{EXECUTOR_PT * 2}"/></w:rPr>'
        f'<w:t xml:space="preserve">{html.escape(typeset(line), quote=False)}</w:t></w:r></w:p>'
        for line in lines
    )
    return parse_xml(
        f'<w:r xmlns:w="{_NS["w"]}" xmlns:wp="{_NS["wp"]}" xmlns:a="{_NS["a"]}" '
        f'xmlns:wps="{_NS["wps"]}" xmlns:mc="{_NS["mc"]}">'
        # as Word writes a text box: a DrawingML shape for consumers that know "wps"
        '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" '
        'behindDoc="0" locked="0" layoutInCell="0" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:align>left</wp:align></wp:positionH>'
        '<wp:positionV relativeFrom="margin"><wp:align>bottom</wp:align></wp:positionV>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        '<wp:wrapTopAndBottom/><wp:docPr id="1" name="Отметка об исполнителе"/><wp:cNvGraphicFramePr/>'
        "<a:graphic><a:graphicData "
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        '<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/>'
        f'<a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
        "<a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>"
        f"<wps:txbx><w:txbxContent>{paragraphs}</w:txbxContent></wps:txbx>"
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" '
        'anchor="b" anchorCtr="0"><a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData>'
        "</a:graphic></wp:anchor></w:drawing></mc:Choice></mc:AlternateContent></w:r>"
    )


def add_signature_block(
    document: Any,
    position: str,
    name: str,
    mark: MarkData | None,
    executor: Sequence[str],
) -> Any:
    """Position | mark | name in one row that never splits, or position | name without a mark;
    the executor mark at the bottom left of the same page.

    The position and the name sit at the bottom of their cells, so that the name stands level
    with the position's last line whatever the mark's height. The executor mark's text box is
    anchored in a narrow last cell of that row, and the row keeps empty space below the
    signature as tall as the box: wherever the row fits, the box fits below it."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT as ALIGN

    lines = [line for line in executor if line]
    name_mm = NAME_COLUMN_MM - ANCHOR_COLUMN_MM
    if mark is not None:
        mark_mm = mark_width_mm(mark)
        widths: tuple[float, ...] = (
            TEXT_WIDTH_MM - mark_mm - NAME_COLUMN_MM,
            mark_mm,
            name_mm,
            ANCHOR_COLUMN_MM,
        )
    else:
        widths = (TEXT_WIDTH_MM - NAME_COLUMN_MM - 45.0, 45.0 + name_mm, ANCHOR_COLUMN_MM)
    table = _borderless_table(document, widths)
    _row_stays_whole(table.rows[0])
    cells = table.rows[0].cells
    position_cell, name_cell, anchor_cell = cells[0], cells[-2], cells[-1]
    cell_paragraph(position_cell, position, first=True)
    position_cell.vertical_alignment = ALIGN.BOTTOM
    if mark is not None:
        _mark_cell(cells[1], mark)
    cell_paragraph(name_cell, name, align="right", first=True)
    name_cell.vertical_alignment = ALIGN.BOTTOM
    reserve = round((len(lines) * EXECUTOR_PT * EXECUTOR_LINE + EXECUTOR_GAP_PT) * 20)
    for cell in cells:
        properties = cell._tc.get_or_add_tcPr()
        margins = _w("tcMar")
        margins.append(_w("left", w="0", type="dxa"))
        margins.append(_w("bottom", w=str(reserve), type="dxa"))
        margins.append(_w("right", w="0", type="dxa"))
        properties.insert(1, margins)  # after w:tcW, as the schema orders them
    anchor = anchor_cell.paragraphs[0]
    anchor._p.get_or_add_pPr().append(
        _w("spacing", before="0", after="0", line="20", lineRule="exact")
    )
    if lines:
        anchor._p.append(_executor_box(lines))
    return table


def end_of_document(document: Any) -> None:
    """The paragraph Word wants after a final table: one point high and hidden, so that it
    never needs a page of its own."""
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    properties = paragraph._p.get_or_add_pPr()
    properties.append(_w("spacing", before="0", after="0", line="20", lineRule="exact"))
    mark_properties = _w("rPr")
    mark_properties.append(_w("vanish"))
    mark_properties.append(_w("sz", val="2"))
    properties.append(mark_properties)
    paragraph.add_run().font.size = Pt(1)
