"""The dry run: every recipient's email (.eml), DOCX and text, and an index.html to look at.

Sends nothing and leaves the journal alone. An output folder is replaced only if an earlier
preview made it; anything else there is the user's, and we stop rather than overwrite it.
"""

from __future__ import annotations

import hashlib
import html
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from mailer.campaign import Prepared, prepare
from mailer.errors import OutputError
from mailer.guard import file_name
from mailer.letter import Letter
from mailer.message import html_page
from mailer.recipients import Recipient
from mailer.render import Addressing
from mailer.russian import date_numeric, date_words
from mailer.settings import Settings
from mailer.signing import describe, letter_documents, verify_documents
from mailer.system_ru import file_problem
from mailer.text import Block, to_html

MARKER = ".mailer-preview"
PREVIEW_ROOT = Path("preview")


@dataclass(frozen=True)
class PreviewResult:
    folder: Path
    index: Path
    count: int
    shared_docx_sha256: str | None
    signature: str  # what the preview found about the signatures, one line
    list_notes: tuple[str, ...] = ()


def _claim_folder(folder: Path) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise OutputError(f"{folder} — это файл, а не папка; предпросмотр туда не записать.")
        if (folder / MARKER).exists():
            shutil.rmtree(folder)  # our own earlier preview
        elif any(folder.iterdir()):
            raise OutputError(
                f"В папке {folder} уже есть файлы, и создала их не эта программа.",
                hint="Укажите другую папку (--out) или освободите эту: "
                "файлы не будут перезаписаны.",
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text("Папка создана командой mailer preview.\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"Не удалось создать папку {folder}: {file_problem(exc)}.") from None


def _deadline_text(letter: Letter) -> str:
    if letter.deadline is None:
        return "не установлен"
    note = f" ({letter.deadline_note})" if letter.deadline_note else ""
    return f"{date_words(letter.deadline)}{note}"


def _link(name: str, label: str) -> str:
    return f'<a href="{quote(name)}">{html.escape(label)}</a>'


class PreviewWriter:
    """Writes a preview folder: each recipient's files, then an index.html listing them."""

    def __init__(self, folder: Path, count: int) -> None:
        _claim_folder(folder)
        self.folder = folder
        self.width = len(str(count))
        self.rows: list[str] = []

    def write_shared(self, name: str, data: bytes) -> str:
        (self.folder / name).write_bytes(data)
        return hashlib.sha256(data).hexdigest()

    def add(
        self,
        recipient: Recipient,
        addressing: Addressing,
        subject: str,
        email_blocks: list[Block],
        eml: bytes,
        docx_name: str,
        docx: bytes | None,
    ) -> None:
        """One recipient; ``docx`` None when the document is the shared one already written."""
        number = len(self.rows) + 1
        prefix = f"{number:0{self.width}d} {file_name(recipient.id, composed=True)}"
        eml_name = f"{prefix}.eml"
        html_name = f"{prefix}.html"
        (self.folder / eml_name).write_bytes(eml)
        (self.folder / html_name).write_text(html_page(subject, email_blocks), encoding="utf-8")
        if docx is not None:
            docx_name = f"{number:0{self.width}d} {docx_name}"
            (self.folder / docx_name).write_bytes(docx)
        addressee = html.escape(addressing.addressee).replace("\n", "<br>")
        emails = "<br>".join(html.escape(e) for e in recipient.emails)
        self.rows.append(
            f'<tr id="r-{html.escape(recipient.id)}"><td>{number}</td>'
            f"<td><b>{addressee}</b><br><small>{html.escape(recipient.full_name)}"
            f" · id {html.escape(recipient.id)}</small></td>"
            f"<td>{emails}</td>"
            f"<td>{html.escape(addressing.salutation)}</td>"
            f"<td>{_link(docx_name, 'документ .docx')}<br>{_link(eml_name, 'письмо .eml')}<br>"
            f"{_link(html_name, 'текст письма')}</td></tr>"
            f'<tr class="text"><td></td><td colspan="4"><details><summary>Текст письма</summary>'
            f"{to_html(email_blocks)}</details></td></tr>"
        )

    def finish(self, heading: str, facts: list[tuple[str, str]]) -> Path:
        """``facts``: (label, HTML) pairs shown above the list."""
        fact_rows = "".join(
            f"<tr><th>{html.escape(label)}</th><td>{value}</td></tr>" for label, value in facts
        )
        now = datetime.now()
        page = _INDEX.format(
            title=html.escape(f"Предпросмотр: {heading}"),
            subject=html.escape(heading),
            made=html.escape(date_numeric(now.date()) + now.strftime(" %H:%M")),
            facts=fact_rows,
            rows="\n".join(self.rows),
        )
        index = self.folder / "index.html"
        index.write_text(page, encoding="utf-8")
        return index


def run_preview(
    settings: Settings,
    letter_name: str,
    recipients: Path | None,
    out: Path | None,
    sheet: str | None = None,
) -> PreviewResult:
    prepared = prepare(settings, letter_name, recipients, sheet=sheet)
    letter = prepared.letter
    writer = PreviewWriter(out or PREVIEW_ROOT / letter.key, len(prepared.recipients))
    signature = _signature_state(prepared)

    shared_sha = None
    if prepared.shared_docx is not None:
        shared_sha = writer.write_shared(letter.docx_name(None), prepared.shared_docx)
    for number, recipient in enumerate(prepared.recipients, start=1):
        rendered, docx, data = prepared.message(recipient, f"<preview.{number}@mailer.invalid>")
        writer.add(
            recipient,
            rendered.addressing,
            letter.email_subject,
            rendered.email_blocks,
            data,
            rendered.docx_name if prepared.shared_docx is None else letter.docx_name(None),
            docx if prepared.shared_docx is None else None,
        )

    s = letter.settings
    mode = (
        "персонально каждому"
        if s.mode == "personal"
        else f"по списку: {s.group.addressee if s.group else ''}"
    )
    facts = [
        (label, html.escape(value))
        for label, value in (
            ("Письмо", s.subject),
            ("Регистрационный номер", letter.registration_label),
            ("Тема письма", letter.email_subject),
            ("Отправитель", f"{prepared.sender.display_name} <{prepared.sender.address}>"),
            ("Адресация", mode),
            ("Срок ответа", _deadline_text(letter)),
            ("Получателей", str(len(prepared.recipients))),
            ("Список", str(prepared.recipients.path)),
        )
    ]
    facts += [("В списке", html.escape(note)) for note in prepared.recipients.notes]
    if shared_sha:
        name = letter.docx_name(None)
        facts.append(
            ("Документ для всех", f"{_link(name, name)}<br><small>SHA-256 {shared_sha}</small>")
        )
    facts.append(("Электронная подпись", html.escape(signature)))
    index = writer.finish(s.subject, facts)
    return PreviewResult(
        writer.folder,
        index,
        len(prepared.recipients),
        shared_sha,
        signature,
        prepared.recipients.notes,
    )


def _signature_state(prepared: Prepared) -> str:
    """A preview shows a signed letter's documents with their mark, as they are signed; each
    signature found is verified and attached, and what is missing is said."""
    letter = prepared.letter
    if letter.certificate is None:
        return "письмо не подписывается: отметки об электронной подписи в документе нет"
    prepared.signatures_required = False
    documents = list(letter_documents(prepared, prepared.recipients))
    prepared.signed, problems = verify_documents(prepared, documents)
    who = describe(letter.certificate)
    if not problems:
        return f"подписи проверены ({len(documents)} из {len(documents)}): {who}"
    return (
        f"подписи проверены: {len(prepared.signed)} из {len(documents)}; без проверенной подписи "
        f"письмо не отправляется (документы для подписи: mailer for-signing {letter.key}); {who}"
    )


_INDEX = """<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
.note {{ background: #fff4d6; border: 1px solid #e0c060; padding: .6em 1em;
         display: inline-block; }}
table {{ border-collapse: collapse; }}
.facts th {{ text-align: left; padding: .2em 1em .2em 0; font-weight: normal; color: #555; }}
.list {{ width: 100%; margin-top: 1.5em; }}
.list th, .list td {{ border-bottom: 1px solid #ddd; padding: .4em .6em;
                     vertical-align: top; text-align: left; }}
.list tr.text td {{ border-bottom: 2px solid #bbb; }}
.list td:last-child {{ white-space: nowrap; }}
details {{ font-family: 'Times New Roman', serif; font-size: 1.05em; max-width: 50em; }}
</style></head>
<body>
<h1>{subject}</h1>
<p class="note">Это предпросмотр: ничего не отправлено. Создан {made}.</p>
<table class="facts">{facts}</table>
<table class="list">
<thead><tr><th>№</th><th>Адресат</th><th>Адреса</th><th>Обращение</th><th>Файлы</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
