"""`mailer check`: everything that can be checked before sending, in one report.

The recipient list and the templates are checked by rendering every letter; the DOCX is read
back and held against what GOST R 7.0.97-2025 requires of a letter: its requisites, margins,
font size and the electronic-signature mark, and its layout (mailer.layout_check): page
numbering, keep-together, typography and language, and the rendered pages when LibreOffice is
installed. The report lists what was verified, and says so when the layout was not rendered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mailer import layout_check
from mailer.campaign import Prepared, prepare
from mailer.docx.readback import all_paragraphs, in_text_box, open_docx, read_docx_text
from mailer.layout import EMU_PER_MM, EMU_PER_PT, normal_font, registration_line
from mailer.letter import Letter
from mailer.render import REMINDER_TEMPLATE
from mailer.settings import Settings
from mailer.signature_mark import MARK_LINE_STARTS, MARK_TITLE, mark_in, mark_lines
from mailer.signing import describe, letter_documents, verify_documents
from mailer.typography import plain

if TYPE_CHECKING:
    from docx.shared import Length

MIN_MARGINS_MM = {"left": 20.0, "top": 20.0, "bottom": 20.0, "right": 10.0}
SIZES_PT = (12.0, 14.0)
# the electronic-signature mark and the executor mark may be smaller (GOST R 7.0.97, 5.1)
SMALL_SIZES_PT = (10.0, 12.0)
A4_MM = (210, 297)
SAMPLE = 50


@dataclass
class CheckReport:
    letter: Letter
    recipients: int
    documents_checked: int
    problems: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)  # what was found about the signatures
    # what was verified, in the user's words
    verified: list[str] = field(default_factory=list)
    # None: LibreOffice is not installed and the layout was not rendered
    rendered: bool | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def inspect_docx(
    data: bytes,
    letter: Letter,
    addressee: str,
    salutation: str,
    *,
    title: str | None = None,
    registration: str | None = None,
    enclosure: str | None = None,
) -> list[str]:
    """What a GOST R 7.0.97 letter must have and this document lacks or gets wrong.
    ``title``, ``registration`` (as printed) and ``enclosure`` are a reminder's own."""
    problems: list[str] = []
    document = open_docx(data)
    section = document.sections[0]
    for side, minimum in MIN_MARGINS_MM.items():
        value: Length | None = getattr(section, f"{side}_margin")
        if value is None or value / EMU_PER_MM < minimum - 0.1:
            shown = "не задано" if value is None else f"{value / EMU_PER_MM:.0f} мм"
            problems.append(f"поле страницы {side}: {shown}, нужно не меньше {minimum:.0f} мм")
    if section.page_width and section.page_height:
        size = (round(section.page_width / EMU_PER_MM), round(section.page_height / EMU_PER_MM))
        if size != A4_MM:
            problems.append(f"формат страницы {size[0]}×{size[1]} мм, нужен A4 (210×297 мм)")

    normal_size = normal_font(document).size
    bad_sizes: set[float] = set()
    for paragraph in all_paragraphs(document):
        small = plain(paragraph.text).startswith(MARK_LINE_STARTS) or in_text_box(paragraph)
        low, high = SMALL_SIZES_PT if small else SIZES_PT
        for run in paragraph.runs:
            run_size = run.font.size or normal_size
            points = run_size / EMU_PER_PT if run_size is not None else None
            if run.text.strip() and points is not None and not low <= points <= high:
                bad_sizes.add(points)
    if bad_sizes:
        shown = ", ".join(f"{points:g}" for points in sorted(bad_sizes))
        problems.append(f"размер шрифта {shown} пт, нужен от 12 до 14 пт")
    problems += layout_check.docx_layout_problems(document, letter)

    text = "\n".join(read_docx_text(data))
    s = letter.settings
    reg = s.registration
    required = {
        "дата и регистрационный номер": registration or registration_line(reg.number, reg.date),
        "ссылка на входящий документ («На № … от …»)": "На №",
        "адресат": addressee,
        "заголовок к тексту": title or s.subject,
        "обращение": salutation,
        "должность подписавшего": s.signatory.position,
        "подпись (инициалы и фамилия)": s.signatory.name,
        "отметка об исполнителе": s.executor.name,
        "телефон исполнителя": s.executor.phone,
    }
    if enclosure:
        required["отметка о приложении"] = enclosure
    if letter.blank is None:
        required["наименование организации"] = letter.organization.name_lines[0]
    mark = letter.mark
    if mark is not None:
        certificate, owner, validity = mark_lines(mark)
        required["отметка об электронной подписи"] = MARK_TITLE[0]
        required["номер сертификата"] = certificate
        required["владелец сертификата"] = owner
        required["срок действия сертификата"] = validity
    for what, expected in required.items():
        if expected not in text:
            problems.append(f"нет реквизита «{what}»: «{expected}»")
    if mark is None and mark_in(text):
        problems.append(f"отметка «{' '.join(MARK_TITLE)}» у письма, которое не подписывается")
    return problems


def _check_signatures(prepared: Prepared, report: CheckReport) -> None:
    """A signed letter: every document's signature, verified as `send` verifies it."""
    certificate = prepared.letter.certificate
    if certificate is None:
        report.signature.append("письмо не подписывается: отметки об электронной подписи нет")
        return
    documents = list(letter_documents(prepared, prepared.recipients))
    signed, problems = verify_documents(prepared, documents)
    report.problems += [f"подпись: {p}" for p in problems]
    report.signature.append(
        f"подписи проверены: {len(signed)} из {len(documents)} ({describe(certificate)})"
    )
    chains = sorted({s.verified.chain for s in signed.values() if s.verified.chain})
    report.signature += chains or [
        "доверие к цепочке сертификатов не проверялось (не задан MAILER_SIGNATURE_CA_FILE)"
    ]


def _render(report: CheckReport, documents: dict[str, bytes]) -> None:
    """The rendered pages, when LibreOffice is there; otherwise say it was not rendered."""
    if not layout_check.renderer_available():
        report.rendered = None
        return
    found = layout_check.rendered_problems(documents, report.letter, report.letter.mark is not None)
    report.rendered = not found
    report.problems += found
    report.verified.append(
        "вёрстка в LibreOffice: блок подписи целиком на последней странице, над ним текст"
    )


def run_check(
    settings: Settings, letter_name: str, recipients: Path | None, sheet: str | None = None
) -> CheckReport:
    prepared = prepare(settings, letter_name, recipients, sheet=sheet)  # the list, every text
    letter = prepared.letter
    report = CheckReport(letter, len(prepared.recipients), 0)
    report.verified = [
        "реквизиты",
        "поля и формат A4",
        "размер шрифта",
        *layout_check.VERIFIED_IN_DOCX,
    ]
    if letter.mark is not None:
        report.verified.insert(1, "отметка об электронной подписи")
    to_render: dict[str, bytes] = {}
    _check_signatures(prepared, report)
    if prepared.shared_docx is not None:
        group = prepared.renderer.group_addressing()
        report.problems += inspect_docx(
            prepared.shared_docx, letter, group.addressee, group.salutation
        )
        report.documents_checked = 1
        to_render[""] = prepared.shared_docx
    else:
        to_render.update(_check_personal(prepared, report))
    reminder = _check_reminder(prepared, report)
    if reminder is not None:
        to_render["напоминание: "] = reminder
    # LibreOffice takes seconds: one letter (the one with the most text) and one reminder
    _render(report, to_render)
    return report


def _check_personal(prepared: Prepared, report: CheckReport) -> dict[str, bytes]:
    """Read back a sample of the personal letters; the one with the most text, to render."""
    letter = prepared.letter
    seen: set[str] = set()
    # Every document is the same skeleton filled with text: reading back a sample is enough,
    # and reading ten thousand (25 ms each) would make the check a wait.
    longest: tuple[int, str, bytes] | None = None
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
        size = sum(len(b.text) for b in rendered.docx_blocks or [])
        size += len(rendered.addressing.addressee)
        if longest is None or size > longest[0]:
            longest = (size, recipient.id, docx)
    return {f"{longest[1]}: ": longest[2]} if longest is not None else {}


def _check_reminder(prepared: Prepared, report: CheckReport) -> bytes | None:
    """The reminder, checked like the letter (its first recipient's), when the letter has one."""
    import jinja2

    from mailer.reminder_letter import (
        enclosure_line,
        reminder_document,
        reminder_registration,
        reminder_title,
        reminder_vars,
    )

    letter = prepared.letter
    try:
        prepared.renderer.env.get_template(REMINDER_TEMPLATE)
    except jinja2.TemplateNotFound:
        return None
    recipient = next(iter(prepared.recipients), None)
    if recipient is None:
        return None
    today = dt.date.today()
    addressing, body, _ = prepared.renderer.render_reminder(
        recipient, reminder_vars(letter, today, 1, "напоминание.docx")
    )
    data = reminder_document(letter).fill(addressing.addressee, addressing.salutation, body)
    number, date = reminder_registration(letter)
    found = inspect_docx(
        data,
        letter,
        addressing.addressee,
        addressing.salutation,
        title=reminder_title(letter),
        registration=registration_line(number, date),
        enclosure=enclosure_line(letter),
    )
    report.problems += [f"напоминание: {problem}" for problem in found]
    report.verified.append("напоминание: те же реквизиты и вёрстка, заголовок «О …», приложение")
    return data
