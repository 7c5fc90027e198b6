"""The official letter's layout (GOST R 7.0.97-2025), read back from the DOCX."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path

import docx
from docx.shared import Mm, Pt

from mailer.docx import DocxLetter, read_docx_text
from mailer.letter import load_letter
from mailer.text import Block
from mailer.typography import plain

LETTERS = Path(__file__).resolve().parent.parent / "letters"
BLOCKS = [
    Block("para", ("Первый абзац.",)),
    Block("item", ("пункт списка;",)),
    Block("para", ("Строка один", "строка два")),
]


def build(folder: Path = LETTERS, name: str = "quality-week") -> bytes:
    letter = load_letter(name, folder)
    return DocxLetter(letter).fill(
        "Главе Грязинского муниципального округа\nН.И. Уваровой",
        "Уважаемая Наталья Ивановна!",
        BLOCKS,
    )


def test_margins_and_font_sizes() -> None:
    document = docx.Document(io.BytesIO(build()))
    section = document.sections[0]
    assert section.left_margin is not None
    assert section.left_margin >= Mm(20)
    assert section.top_margin is not None
    assert section.top_margin >= Mm(20)
    assert section.bottom_margin is not None
    assert section.bottom_margin >= Mm(20)
    assert section.right_margin is not None
    assert section.right_margin >= Mm(10)
    assert section.page_width is not None
    assert abs(section.page_width - Mm(210)) < Mm(1)
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size == Pt(14)
    sizes = set()
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [
        run
        for table in document.tables
        for cell in table._cells
        for p in cell.paragraphs
        for run in p.runs
    ]
    for run in runs:
        if run.text.strip():
            sizes.add(run.font.size or normal.font.size)
    # 14 the text, 12 the letterhead; smaller: the electronic-signature mark (10 and its
    # title 11) and the executor mark (11), as GOST R 7.0.97 allows
    assert sizes <= {Pt(10), Pt(11), Pt(12), Pt(14)}
    body = [p for p in document.paragraphs if p.text == "Первый абзац."]
    assert len(body) == 1


def test_every_requisite_is_there_in_order() -> None:
    lines = [plain(line) for line in read_docx_text(build()) if line.strip()]
    expected = [
        "УПРАВЛЕНИЕ",
        "ЭКОНОМИЧЕСКОГО РАЗВИТИЯ",
        "ЛИПЕЦКОЙ ОБЛАСТИ",
        "398014, г. Липецк, пл. Ленина – Соборная, 1",
        "тел. (4742) 22-84-55, факс (4742) 77-94-56",
        "экономика.липецкаяобласть.рф",
        "E-mail: ed@admlr.lipetsk.ru",
        "12.10.2023 № 02-06-4425И38/10/-3327",
        "На № _______________ от ___________",
        "Главе Грязинского муниципального округа\nН.И. Уваровой",
        "О Всемирной неделе качества",
        "Уважаемая Наталья Ивановна!",
        "Первый абзац.",
        "– пункт списка;",
        "Строка один\nстрока два",
        "Начальник управления",
        "К.В. Дождиков",
        "Макеева Светлана Александровна",
        "(4742) 22-17-07",
        "MakeevaSA@admlr.lipetsk.ru",
    ]
    assert lines == expected


def test_line_breaks_are_real_breaks_and_text_is_escaped() -> None:
    letter = load_letter("quality-week", LETTERS)
    data = DocxLetter(letter).fill(
        "Главе <округа> & Ко\nИ.И. Иванову", "Уважаемый Иван Иванович!", [Block("para", ("a < b",))]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode()
    assert "Главе &lt;округа&gt; &amp; Ко</w:t><w:br/>" in xml
    assert "a &lt; b" in xml
    assert "⟦" not in xml


def test_an_office_blank_keeps_its_letterhead(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(LETTERS, tmp_path / "letters")
    blank = docx.Document()
    blank.sections[0].header.paragraphs[0].text = "ГЕРБ · БЛАНК УПРАВЛЕНИЯ"
    blank.sections[0].left_margin = Mm(30)
    blank.save(str(tmp_path / "letters" / "blank.docx"))
    org = tmp_path / "letters" / "organization.toml"
    org.write_text(org.read_text(encoding="utf-8") + '\nblank = "blank.docx"\n', encoding="utf-8")

    document = docx.Document(io.BytesIO(build(tmp_path / "letters")))
    # the blank's letterhead on the first page; page numbers on the others
    header = document.sections[0].first_page_header.paragraphs[0]
    assert header.text == "ГЕРБ · БЛАНК УПРАВЛЕНИЯ"
    assert document.sections[0].header.paragraphs[0].text == "2"
    # the styles the blank's own parts use survive the slimming of styles.xml
    assert header.style is not None
    assert header.style.name == "Header"
    left = document.sections[0].left_margin
    assert left is not None
    assert abs(left - Mm(30)) < Mm(0.1)  # the blank's own, wider margin is kept
    lines = read_docx_text(io.BytesIO(build(tmp_path / "letters")).getvalue())
    assert "УПРАВЛЕНИЕ" not in lines  # the text letterhead gives way to the blank's
    assert "12.10.2023 № 02-06-4425И38/10/-3327" in lines


def test_filling_is_cheap_and_deterministic() -> None:
    letter = load_letter("quality-week", LETTERS)
    document = DocxLetter(letter)
    first = document.fill("A", "B", BLOCKS)
    assert document.fill("A", "B", BLOCKS) == first
    assert DocxLetter(letter).fill("A", "B", BLOCKS) == first


def test_the_package_carries_only_what_the_letter_uses() -> None:
    """Sent with every email, so python-docx's unused styles, numbering and extras are left out;
    what remains is consistent: every link and content type names a part that is there."""
    data = build()
    assert len(data) < 14_000
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = set(package.namelist())
        assert not {n for n in names if n.startswith("customXml/")}
        assert "word/numbering.xml" not in names
        assert "word/stylesWithEffects.xml" not in names
        styles = package.read("word/styles.xml").decode()
        assert "latentStyles" not in styles
        assert re.findall(r'w:styleId="([^"]+)"', styles) == [
            "Normal",
            "DefaultParagraphFont",
            "TableNormal",
            "NoList",
        ]
        for rels, base in (("_rels/.rels", ""), ("word/_rels/document.xml.rels", "word/")):
            for target in re.findall(r'Target="([^"]+)"', package.read(rels).decode()):
                assert posixpath.normpath(base + target) in names, target
        types = package.read("[Content_Types].xml").decode()
        for part in re.findall(r'PartName="/([^"]+)"', types):
            assert part in names, part
    normal = docx.Document(io.BytesIO(data)).styles["Normal"].element
    assert normal.xpath("string(w:rPr/w:lang/@w:val)") == "ru-RU"  # Russian spell-checking


def test_the_mark_is_the_callers_to_give_or_leave_out() -> None:
    """One value decides the signature block's form: the mark's data, or None."""
    import datetime as dt

    from mailer.certificate import SignatureMark

    letter = load_letter("quality-week", LETTERS)
    without = DocxLetter(letter, mark=None).fill("A", "B", BLOCKS)
    lines = [plain(line) for line in read_docx_text(without) if line.strip()]
    assert "ДОКУМЕНТ ПОДПИСАН" not in lines
    assert lines[lines.index("Начальник управления") + 1] == "К.В. Дождиков"
    other = SignatureMark(
        certificate="01F2",
        owner="Иванов Иван Иванович",
        valid_from=dt.date(2023, 1, 1),
        valid_to=dt.date(2024, 1, 1),
    )
    signed = read_docx_text(DocxLetter(letter, mark=other).fill("A", "B", BLOCKS))
    assert "Сертификат 01F2" in signed
    assert "Владелец Иванов Иван Иванович" in signed
    assert "Сертификат 00ABC20116D53890C647B5F348EF27298C" not in signed
