"""The signature block of the office's documents: position | electronic-signature mark | name
in one table row that never splits (or position | name without a mark), the name level with
the position's last line, and the executor mark at the bottom left of the same page.

The mark's words are mailer.signature_mark's (shared with `check`). Whether there is a mark, and
what it says, is the caller's to say (``mark`` or None).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from mailer.layout import (
    EMU_PER_MM,
    EMU_PER_PT,
    EXECUTOR_PT,
    TEXT_WIDTH_MM,
    W_NAMESPACE,
    borderless_table,
    cell_paragraph,
    end_of_document,
    keep_with_next,
    text_width_mm,
    w_element,
)
from mailer.signature_mark import MARK_TITLE, MarkData, mark_lines
from mailer.typography import typeset

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table, _Cell, _Row
    from docx.text.paragraph import Paragraph
    from lxml.etree import _Element

    from mailer.letter import Executor, Signatory

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
    "w": W_NAMESPACE,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}
MARK_MIN_MM = 70.0
MARK_PADDING_MM = 1.0  # the mark cell's inner left and right margin


def mark_width_mm(mark: MarkData) -> float:
    """The mark's column: its longest line on one line, and a little air."""
    widest = max(text_width_mm(line, MARK_PT) for line in mark_lines(mark))
    title = max(text_width_mm(line, MARK_PT + 1) * 1.1 for line in MARK_TITLE)
    return min(max(MARK_MIN_MM, widest, title) + 2 * MARK_PADDING_MM + 3, 110.0)


def _row_stays_whole(row: _Row) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.append(w_element("cantSplit"))


def _mark_cell(cell: _Cell, mark: MarkData) -> None:
    """The mark as a box of bordered paragraphs (the cell keeps its margins for the reserve
    below the signature, which a cell border would enclose)."""
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    if properties.find(qn("w:vAlign")) is None:
        properties.append(w_element("vAlign", val="center"))
    first = True
    paragraphs: list[Paragraph] = []
    for line in MARK_TITLE:
        paragraphs.append(
            cell_paragraph(cell, line, size=MARK_PT + 1, bold=True, align="center", first=first)
        )
        first = False
    for line in mark_lines(mark):
        paragraphs.append(cell_paragraph(cell, line, size=MARK_PT))
    for paragraph in paragraphs:
        borders = w_element("pBdr")
        for edge in ("top", "left", "bottom", "right"):
            borders.append(w_element(edge, val="single", sz="8", space="2", color="000000"))
        paragraph._p.get_or_add_pPr().insert(0, borders)
        paragraph._p.get_or_add_pPr().append(
            w_element("ind", left=str(MARK_INDENT_TWIPS), right=str(MARK_INDENT_TWIPS))
        )


def _executor_box(lines: Sequence[str]) -> _Element:
    """The executor mark as a text box anchored in the signature row but laid out at the
    bottom left of the page (layoutInCell="0"): it is always on the signature's page. Wrapped
    top and bottom, since Word honours layoutInCell only for a wrapped object."""
    from docx.oxml import parse_xml

    height_pt = len(lines) * EXECUTOR_PT * EXECUTOR_LINE + 2
    cx, cy = round(EXECUTOR_WIDTH_MM * EMU_PER_MM), round(height_pt * EMU_PER_PT)
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
        '<wp:wrapTopAndBottom/><wp:docPr id="1" name="Отметка об исполнителе"/>'
        "<wp:cNvGraphicFramePr/>"
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
    document: Document,
    position: str,
    name: str,
    mark: MarkData | None,
    executor: Sequence[str],
) -> Table:
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
    table = borderless_table(document, widths)
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
        margins = w_element("tcMar")
        margins.append(w_element("left", w="0", type="dxa"))
        margins.append(w_element("bottom", w=str(reserve), type="dxa"))
        margins.append(w_element("right", w="0", type="dxa"))
        properties.insert(1, margins)  # after w:tcW, as the schema orders them
    # python-docx's _Cell.paragraphs is untyped
    anchor = cast("Paragraph", anchor_cell.paragraphs[0])
    anchor._p.get_or_add_pPr().append(
        w_element("spacing", before="0", after="0", line="20", lineRule="exact")
    )
    if lines:
        anchor._p.append(_executor_box(lines))
    return table


def sign_off(
    document: Document, signatory: Signatory, mark: MarkData | None, executor: Executor
) -> None:
    """A document's end: two blank lines that keep with the signature, the signature block with
    the executor mark, and the closing paragraph Word wants after a table."""
    for _ in range(2):
        keep_with_next(document.add_paragraph()._p)
    add_signature_block(
        document,
        signatory.position,
        signatory.name,
        mark,
        [executor.name, executor.phone, executor.email or ""],
    )
    end_of_document(document)
