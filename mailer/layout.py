"""The page of the office's documents (GOST R 7.0.97-2025), shared by the letter, the reminder
and the справка: A4 and its margins, Times New Roman 14 in Russian with hyphenation, page numbers
from page 2 centred in the top margin, paragraphs that keep together. The signature block and
the executor mark are in mailer.signature_block.

Everything here works on a python-docx Document while a skeleton is built, once per run.
python-docx is imported where it is used: it takes a while to load, and most commands never
build a document.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, cast

from mailer.russian import date_numeric
from mailer.typography import typeset

if TYPE_CHECKING:
    from docx.document import Document
    from docx.oxml.text.font import CT_RPr
    from docx.oxml.text.paragraph import CT_P
    from docx.section import Section, _Header
    from docx.shared import ElementProxy, Length
    from docx.styles.style import ParagraphStyle
    from docx.table import Table, _Cell, _Column
    from docx.text.font import Font
    from docx.text.paragraph import Paragraph
    from docx.text.parfmt import ParagraphFormat
    from lxml.etree import _Element

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
FIRST_LINE_INDENT_MM = 12.5  # the paragraph indent of Russian office documents
FIRST_LINE_INDENT_TWIPS = round(FIRST_LINE_INDENT_MM / 25.4 * 1440)  # 709
LANGUAGE = "ru-RU"
# WordprocessingML's namespace, as lxml spells a tag's: f"{W}p" is a paragraph
W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NAMESPACE}}}"
Align = Literal["left", "center", "right"]
# A date and number left blank, to be filled in at registration.
BLANK_DATE = "___________"
BLANK_NUMBER = "_______________"
BLANK_REGISTRATION = f"{BLANK_DATE} № {BLANK_NUMBER}"
# Times New Roman's advance widths in em, by kind of character: enough to size a column
_EM = {"digit": 0.5, "upper": 0.7, "lower": 0.52, "space": 0.25}
PT_MM = 25.4 / 72
# DrawingML's English Metric Units
EMU_PER_MM = 36000
EMU_PER_PT = 12700


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


def registration_line(number: str, date: dt.date | None) -> str:
    """A document's date and number as printed ("12.10.2023 № 02-06-4425"); blanks for what is
    to be filled in at registration."""
    return f"{date_numeric(date) if date else BLANK_DATE} № {number or BLANK_NUMBER}"


def mm(value: float) -> Length:
    from docx.shared import Mm

    return Mm(value)


def w_element(tag: str, **attributes: str) -> _Element:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(f"w:{tag}")
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def set_up_page(document: Document, *, keep_wider_margins: bool = False) -> None:
    """A4, the margins, the Normal style in Russian, hyphenation, and page numbers."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    section = document.sections[0]
    section.page_width = mm(PAGE_WIDTH_MM)
    section.page_height = mm(PAGE_HEIGHT_MM)
    for side, minimum in MARGINS_MM.items():
        attribute = f"{side}_margin"
        current: Length | None = getattr(section, attribute)
        if not keep_wider_margins or current is None or current < mm(minimum):
            setattr(section, attribute, mm(minimum))
    section.header_distance = mm(HEADER_DISTANCE_MM)

    normal = normal_style(document)
    font = normal_font(document)
    font.name = FONT
    font.size = Pt(TEXT_PT)
    # python-docx's style.paragraph_format is untyped
    paragraph_format = cast("ParagraphFormat", normal.paragraph_format)
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing = 1.0
    paragraph_format.widow_control = True
    # python-docx's style.element is untyped, and its w:style class does not declare the
    # get_or_add_rPr it generates: it gives the style's w:rPr
    run_properties = cast("CT_RPr", normal.element.get_or_add_rPr())
    fonts = run_properties.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)
    fonts.set(qn("w:cs"), FONT)
    # python-docx's template says en-US: Word would check Russian spelling as English, and
    # neither Word nor LibreOffice would hyphenate Russian words
    for old in run_properties.findall(qn("w:lang")):
        run_properties.remove(old)
    run_properties.append(w_element("lang", val=LANGUAGE, eastAsia=LANGUAGE, bidi=LANGUAGE))
    _language_everywhere(document)
    _hyphenation(document)
    _page_numbers(section)


def normal_style(document: Document) -> ParagraphStyle:
    # python-docx's Styles[...] is untyped; Normal is a paragraph style
    return cast("ParagraphStyle", document.styles["Normal"])


def normal_font(document: Document) -> Font:
    # python-docx's style.font is untyped
    return cast("Font", normal_style(document).font)


def element_of(proxy: ElementProxy) -> _Element:
    """The XML element behind a python-docx object (a document, its styles, its settings)."""
    # python-docx's ElementProxy.element is untyped
    return cast("_Element", proxy.element)


def header_xml(header: _Header) -> _Element:
    """A page header's w:hdr."""
    # python-docx's header _element is untyped
    return cast("_Element", header._element)


def _language_everywhere(document: Document) -> None:
    """Every style that names a language names Russian (the template's Table Grid, Header…)."""
    from docx.oxml.ns import qn

    for element in element_of(document.styles).iter(qn("w:lang")):
        for attribute in ("val", "eastAsia", "bidi"):
            if element.get(qn(f"w:{attribute}")) is not None:
                element.set(qn(f"w:{attribute}"), LANGUAGE)


def _hyphenation(document: Document) -> None:
    from docx.oxml.ns import qn

    settings = element_of(document.settings)
    for tag in ("autoHyphenation", "consecutiveHyphenLimit", "hyphenationZone"):
        for old in settings.findall(qn(f"w:{tag}")):
            settings.remove(old)
    # schema order: these follow w:defaultTabStop when there is one
    anchor = settings.find(qn("w:defaultTabStop"))
    elements = [
        w_element("autoHyphenation"),
        w_element("consecutiveHyphenLimit", val="2"),
        w_element("hyphenationZone", val="357"),
    ]
    if anchor is not None:
        for element in reversed(elements):
            anchor.addnext(element)
    else:
        for element in reversed(elements):
            settings.insert(0, element)


def _page_field_paragraph(paragraph: Paragraph) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, kind in (("", "begin"), (" PAGE ", None), ("", "separate"), ("2", None), ("", "end")):
        run = w_element("r")
        run_pr = w_element("rPr")
        size = str(TEXT_PT * 2)
        run_pr.append(w_element("sz", val=size))
        run.append(run_pr)
        if kind is not None:
            run.append(w_element("fldChar", fldCharType=kind))
        elif text.startswith(" "):
            instruction = w_element("instrText")
            instruction.text = text
            instruction.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(instruction)
        else:
            value = w_element("t")
            value.text = text
            run.append(value)
        paragraph._p.append(run)


def _page_numbers(section: Section) -> None:
    """Page numbers from page 2, centred in the top margin; page 1 has a header of its own (an
    office blank's letterhead moves there, so the blank still shows on the first page)."""
    had_first = section.different_first_page_header_footer
    section.different_first_page_header_footer = True
    default = section.header
    if not had_first and not default.is_linked_to_previous:
        first = section.first_page_header
        first.is_linked_to_previous = False
        target = header_xml(first)
        for child in list(target):
            target.remove(child)
        for child in header_xml(default):
            target.append(copy.deepcopy(child))
    default.is_linked_to_previous = False
    element = header_xml(default)
    for child in list(element):
        element.remove(child)
    _page_field_paragraph(default.add_paragraph())


def keep_with_next(paragraph_xml: CT_P) -> None:
    """Mark a paragraph (its w:p) to stay on the page of the next one."""
    from docx.oxml.ns import qn

    properties = paragraph_xml.get_or_add_pPr()
    if properties.find(qn("w:keepNext")) is None:
        properties.insert(0, w_element("keepNext"))


def borderless_table(document: Document, widths_mm: Sequence[float]) -> Table:
    table = add_table(document, 1, len(widths_mm))
    table.autofit = False  # python-docx writes it as a fixed w:tblLayout
    borders = w_element("tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(w_element(edge, val="nil"))
    table._tbl.tblPr.append(borders)
    fixed_widths(table, widths_mm)
    return table


def add_table(document: Document, rows: int, columns: int) -> Table:
    # python-docx's Document.add_table is untyped
    return cast("Table", document.add_table(rows=rows, cols=columns))


def fixed_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """The columns' widths, in every row; they hold with the table's autofit off."""
    # Word reads the cell widths, LibreOffice the grid: set both.
    # (python-docx's Table.columns and iterating over it are untyped)
    columns = cast("Iterable[_Column]", table.columns)
    for column, width in zip(columns, widths_mm, strict=True):
        column.width = mm(width)
        for cell in column.cells:
            cell.width = mm(width)


def cell_paragraph(
    cell: _Cell,
    text: str,
    *,
    size: float = TEXT_PT,
    bold: bool = False,
    align: Align = "left",
    first: bool = False,
) -> Paragraph:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    # python-docx's _Cell.paragraphs and _Cell.add_paragraph are untyped
    paragraph = cast("Paragraph", cell.paragraphs[0] if first else cell.add_paragraph())
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


def no_hyphenation(paragraph_xml: CT_P) -> None:
    """Names, positions, addresses and titles are not hyphenated."""
    properties = paragraph_xml.get_or_add_pPr()
    properties.append(w_element("suppressAutoHyphens"))


def end_of_document(document: Document) -> None:
    """The paragraph Word wants after a final table: one point high and hidden, so that it
    never needs a page of its own."""
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    properties = paragraph._p.get_or_add_pPr()
    properties.append(w_element("spacing", before="0", after="0", line="20", lineRule="exact"))
    mark_properties = w_element("rPr")
    mark_properties.append(w_element("vanish"))
    mark_properties.append(w_element("sz", val="2"))
    properties.append(mark_properties)
    paragraph.add_run().font.size = Pt(1)


def add_text(
    document: Document, text: str, *, bold: bool | None = None, size: float | None = None
) -> Paragraph:
    """A paragraph of typeset text in one run; its weight and size set when given (otherwise
    the Normal style's)."""
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    run = paragraph.add_run(typeset(text))
    if bold is not None:
        run.bold = bold
    if size is not None:
        run.font.size = Pt(size)
    return paragraph


def justified_with_indent(paragraph: Paragraph) -> None:
    """A paragraph of running text: first line indented, both edges aligned."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    # python-docx's Paragraph.paragraph_format is untyped
    paragraph_format = cast("ParagraphFormat", paragraph.paragraph_format)
    paragraph_format.first_line_indent = mm(FIRST_LINE_INDENT_MM)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
