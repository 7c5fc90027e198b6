"""`mailer check`: everything that can be checked before sending, in one report.

The recipient list and the templates are checked by rendering every letter; the DOCX is read
back and held against what GOST R 7.0.97-2025 requires of a letter: its requisites, margins,
font size and the electronic-signature mark.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from mailer.campaign import prepare
from mailer.docx import read_docx_text
from mailer.letter import Letter
from mailer.russian import date_numeric
from mailer.settings import Settings

MIN_MARGINS_MM = {"left": 20.0, "top": 20.0, "bottom": 20.0, "right": 10.0}
SIZES_PT = (12.0, 14.0)
EMU_PER_MM = 36000
A4_MM = (210, 297)
SAMPLE = 50


@dataclass
class CheckReport:
    letter: Letter
    recipients: int
    documents_checked: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def inspect_docx(data: bytes, letter: Letter, addressee: str, salutation: str) -> list[str]:
    """What a GOST R 7.0.97 letter must have and this document lacks or gets wrong."""
    import docx

    problems: list[str] = []
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    for side, minimum in MIN_MARGINS_MM.items():
        value = getattr(section, f"{side}_margin")
        if value is None or value / EMU_PER_MM < minimum - 0.1:
            shown = "не задано" if value is None else f"{value / EMU_PER_MM:.0f} мм"
            problems.append(f"поле страницы {side}: {shown}, нужно не меньше {minimum:.0f} мм")
    if section.page_width and section.page_height:
        size = (round(section.page_width / EMU_PER_MM), round(section.page_height / EMU_PER_MM))
        if size != A4_MM:
            problems.append(f"формат страницы {size[0]}×{size[1]} мм, нужен A4 (210×297 мм)")

    normal_size = document.styles["Normal"].font.size
    paragraphs = list(document.paragraphs)
    paragraphs += [p for t in document.tables for c in t._cells for p in c.paragraphs]
    bad_sizes = set()
    for paragraph in paragraphs:
        for run in paragraph.runs:
            run_size = run.font.size or normal_size
            points = run_size.pt if run_size is not None else None
            if run.text.strip() and points is not None and not SIZES_PT[0] <= points <= SIZES_PT[1]:
                bad_sizes.add(points)
    if bad_sizes:
        shown = ", ".join(f"{points:g}" for points in sorted(bad_sizes))
        problems.append(f"размер шрифта {shown} пт, нужен от 12 до 14 пт")

    text = "\n".join(read_docx_text(data))
    s = letter.settings
    reg = s.registration
    required = {
        "дата и регистрационный номер": f"{date_numeric(reg.date)} № {reg.number}",
        "ссылка на входящий документ («На № … от …»)": "На №",
        "адресат": addressee,
        "заголовок к тексту": s.subject,
        "обращение": salutation,
        "должность подписавшего": s.signatory.position,
        "подпись (инициалы и фамилия)": s.signatory.name,
        "отметка об исполнителе": s.executor.name,
        "телефон исполнителя": s.executor.phone,
    }
    if letter.blank is None:
        required["наименование организации"] = letter.organization.name_lines[0]
    mark = s.signature
    if mark is not None:
        required["отметка об электронной подписи"] = "ДОКУМЕНТ ПОДПИСАН"
        required["номер сертификата"] = f"Сертификат {mark.certificate}"
        required["владелец сертификата"] = f"Владелец {mark.owner}"
        required["срок действия сертификата"] = (
            f"Действителен с {date_numeric(mark.valid_from)} по {date_numeric(mark.valid_to)}"
        )
        if not mark.valid_from <= reg.date <= mark.valid_to:
            problems.append(
                f"сертификат подписи действителен с {date_numeric(mark.valid_from)} по "
                f"{date_numeric(mark.valid_to)}, а письмо датировано {date_numeric(reg.date)}"
            )
    for what, expected in required.items():
        if expected not in text:
            problems.append(f"нет реквизита «{what}»: «{expected}»")
    return problems


def run_check(
    settings: Settings, letter_name: str, recipients: Path | None, sheet: str | None = None
) -> CheckReport:
    prepared = prepare(settings, letter_name, recipients, sheet)  # the list and every letter's text
    letter = prepared.letter
    report = CheckReport(letter, len(prepared.recipients), 0)
    if prepared.shared_docx is not None:
        group = prepared.renderer.group_addressing()
        report.problems += inspect_docx(
            prepared.shared_docx, letter, group.addressee, group.salutation
        )
        report.documents_checked = 1
        return report
    seen: set[str] = set()
    # Every document is the same skeleton filled with text: reading back a sample is enough,
    # and reading ten thousand (25 ms each) would make the check a wait.
    for recipient in list(prepared.recipients)[:SAMPLE]:
        rendered, docx = prepared.render(recipient)
        found = inspect_docx(
            docx, letter, rendered.addressing.addressee, rendered.addressing.salutation
        )
        report.documents_checked += 1
        for problem in found:
            if problem not in seen:
                seen.add(problem)
                report.problems.append(f"{recipient.id}: {problem}")
    return report
