"""The use cases that send: prepare a letter for a list, plan a send, carry it out.

Work that is the same for every recipient (templates, the DOCX skeleton, attachment bytes)
happens once in ``prepare``; per recipient only the context, the filled document and the message.
Sending is a stream: a bounded queue between building messages and a few SMTP connections.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailer.docx import DocxLetter
from mailer.errors import LetterError
from mailer.journal import Journal
from mailer.letter import Letter, load_letter
from mailer.message import (
    DOCX_TYPE,
    Attachment,
    MessageFactory,
    Sender,
    new_message_id,
    parse_sender,
)
from mailer.outbox import Outgoing, ProgressCallback, SendSummary, send_stream
from mailer.recipients import Recipient, RecipientList, load_recipients
from mailer.render import RenderedLetter, Renderer
from mailer.settings import Settings
from mailer.system_ru import file_problem

DEFAULT_RECIPIENTS = Path("recipients.csv")


@dataclass
class Prepared:
    """A letter ready to be produced for each recipient of a checked list."""

    settings: Settings
    letter: Letter
    recipients: RecipientList
    renderer: Renderer
    document: DocxLetter
    sender: Sender
    shared_docx: bytes | None  # the one DOCX of a letter "по списку"
    messages: MessageFactory

    def render(self, recipient: Recipient) -> tuple[RenderedLetter, bytes]:
        rendered = self.renderer.render(recipient)
        if self.shared_docx is not None:
            return rendered, self.shared_docx
        assert rendered.docx_blocks is not None
        docx = self.document.fill(
            rendered.addressing.addressee, rendered.addressing.salutation, rendered.docx_blocks
        )
        return rendered, docx

    def message(self, recipient: Recipient, message_id: str) -> tuple[RenderedLetter, bytes, bytes]:
        """The rendered letter, its DOCX and the whole message as bytes."""
        rendered, docx = self.render(recipient)
        data = self.messages.build(
            to_name=recipient.full_name,
            to_addresses=recipient.emails,
            blocks=rendered.email_blocks,
            attachments=[Attachment(rendered.docx_name, docx, *DOCX_TYPE)],
            message_id=message_id,
            recipient_id=recipient.id,
        )
        return rendered, docx, data


def recipients_path(letter: Letter, explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    if letter.recipients_file is not None:
        return letter.recipients_file
    return DEFAULT_RECIPIENTS


def _attachment(path: Path, name: str | None = None) -> Attachment:
    mime, _ = mimetypes.guess_type(path.name)
    maintype, subtype = (mime or "application/octet-stream").split("/", 1)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LetterError(f"Файл приложения {path} не читается: {file_problem(exc)}.") from None
    return Attachment(name or path.name, data, maintype, subtype)


def prepare(
    settings: Settings, letter_name: str, recipients: Path | None, sheet: str | None = None
) -> Prepared:
    """Load and check everything; raise before anything is written or sent."""
    letter = load_letter(letter_name, settings.letters_dir)
    recipient_list = load_recipients(recipients_path(letter, recipients), sheet)
    renderer = Renderer(letter)
    renderer.check_all(recipient_list)
    document = DocxLetter(letter)
    sender = parse_sender(
        settings.sender, letter.organization.short_name, letter.organization.email
    )
    extra = [_attachment(path) for path in letter.attachments]
    shared = None
    if letter.settings.mode == "list":
        group = renderer.group_addressing()
        shared = document.fill(group.addressee, group.salutation, renderer.render_group_body())
        if letter.signature_file is not None:
            sig = _attachment(letter.signature_file, letter.docx_name(None) + ".sig")
            extra.insert(0, Attachment(sig.filename, sig.data, "application", "pkcs7-signature"))
    messages = MessageFactory(
        sender=sender,
        subject=letter.email_subject,
        letter_key=letter.key,
        reply_to=settings.reply_to,
        read_receipt=letter.settings.read_receipt,
        shared_attachments=extra,
    )
    return Prepared(settings, letter, recipient_list, renderer, document, sender, shared, messages)


# Sending


OWED_STATES = ("pending", "failed")


@dataclass
class SendPlan:
    prepared: Prepared
    to_send: list[Recipient]
    already_sent: list[str]
    uncertain: list[str]  # outcome unknown, not re-sent unless asked
    interrupted: list[str]  # left "sending" by a run that died: become uncertain
    resend_uncertain: bool

    @property
    def letter(self) -> Letter:
        return self.prepared.letter


def plan_send(
    settings: Settings,
    letter_name: str,
    recipients: Path | None = None,
    only: tuple[str, ...] = (),
    resend_uncertain: bool = False,
    sheet: str | None = None,
) -> SendPlan:
    prepared = prepare(settings, letter_name, recipients, sheet)
    chosen = prepared.recipients.by_id(only) if only else list(prepared.recipients)
    with Journal(settings.db) as journal:
        known = journal.deliveries(prepared.letter.key)
    to_send, sent, uncertain, interrupted = [], [], [], []
    for recipient in chosen:
        delivery = known.get(recipient.id)
        state = delivery.state if delivery else "pending"
        if state in OWED_STATES or (state in ("uncertain", "sending") and resend_uncertain):
            to_send.append(recipient)
        elif state == "sending":
            interrupted.append(recipient.id)
        elif state == "uncertain":
            uncertain.append(recipient.id)
        else:
            sent.append(recipient.id)
    logging.getLogger("mailer.campaign").info(
        "письмо %s: отправить %s, уже отправлено %s, неизвестно, дошло ли: %s",
        prepared.letter.key,
        [r.id for r in to_send],
        sent,
        uncertain + interrupted,
    )
    return SendPlan(prepared, to_send, sent, uncertain, interrupted, resend_uncertain)


def execute_send(plan: SendPlan, progress: ProgressCallback | None = None) -> SendSummary:
    settings = plan.prepared.settings
    letter = plan.letter
    with Journal(settings.db) as journal:
        journal.lock()
        reg = letter.settings.registration
        journal.ensure_letter(letter.key, letter.settings.subject, reg.number, reg.date.isoformat())
        recovered = journal.recover_interrupted(letter.key)
        journal.ensure_deliveries(
            letter.key,
            ((r.id, r.emails) for r in plan.prepared.recipients),
            lambda rid: new_message_id(plan.prepared.sender, rid),
        )
        targets = journal.send_targets(letter.key)
        allowed = OWED_STATES + (("uncertain",) if plan.resend_uncertain else ())
        # Re-read states under the lock: another run may have sent some since the plan was made.
        recipients = [r for r in plan.to_send if targets[r.id][2] in allowed]

        def outgoing() -> Iterator[Outgoing]:
            for recipient in recipients:
                delivery_id, message_id, _ = targets[recipient.id]
                _, _, data = plan.prepared.message(recipient, message_id)
                yield Outgoing(recipient.id, recipient.emails, data, journal.ledger(delivery_id))

        summary = send_stream(
            settings,
            plan.prepared.sender.address,
            outgoing(),
            len(recipients),
            progress,
            batch=journal.batch,
        )
        summary.recovered = recovered
    return summary


def uncertain_hint() -> str:
    return (
        "Проверьте у получателя или в журнале почтового сервера, дошло ли письмо; "
        "чтобы отправить его ещё раз, запустите send с ключом --resend-uncertain."
    )
