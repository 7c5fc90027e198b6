"""The use cases that send: prepare a letter for a list, carry out a planned send (the plan is
mailer.send_plan's), and write the documents for signing.

Work that is the same for every recipient (templates, the DOCX skeleton, attachment bytes)
happens once in ``prepare``; per recipient only the context, the filled document and the message.
Sending is a stream: a bounded queue between building messages and a few SMTP connections.
"""

from __future__ import annotations

import functools
import json
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.docx import DocxLetter
from mailer.errors import InputError, LetterError
from mailer.journal import open_journal
from mailer.letter import Letter, load_letter
from mailer.letter import recipients_path as recipients_path  # where reminders take it from
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
from mailer.record import (
    fingerprint,
    snapshot,
)
from mailer.render import RenderedLetter, Renderer, address
from mailer.settings import Settings
from mailer.signing import (
    SHARED,
    ForSigning,
    Signed,
    letter_documents,
    signature_for,
    signing_folder,
    write_for_signing,
)
from mailer.states import OWED, DeliveryState
from mailer.system_ru import file_problem

if TYPE_CHECKING:
    from mailer.send_plan import SendPlan

SIGNATURE_TYPE = ("application", "pkcs7-signature")


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
    # A signed letter's verified signatures by recipient id (SHARED for the one document)
    signed: dict[str, Signed] | None = None
    # False for a preview: a document whose signature is missing goes without one
    signatures_required: bool = True

    def document_attachments(self, key: str, name: str, docx: bytes) -> list[Attachment]:
        """The DOCX and, for a signed letter, its verified detached signature beside it."""
        attachments = [Attachment(name, docx, *DOCX_TYPE)]
        if self.letter.mark is not None:
            signed = self.signed or {}
            if key in signed or self.signatures_required:
                signature = signature_for(signed, key, docx)
                attachments.append(Attachment(name + ".sig", signature, *SIGNATURE_TYPE))
        return attachments

    def document_key(self, recipient: Recipient) -> str:
        return SHARED if self.shared_docx is not None else recipient.id

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
            attachments=self.document_attachments(
                self.document_key(recipient), rendered.docx_name, docx
            ),
            message_id=message_id,
            recipient_id=recipient.id,
        )
        return rendered, docx, data


def _attachment(path: Path, name: str | None = None) -> Attachment:
    mime, _ = mimetypes.guess_type(path.name)
    maintype, subtype = (mime or "application/octet-stream").split("/", 1)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LetterError(f"Файл приложения {path} не читается: {file_problem(exc)}.") from None
    return Attachment(name or path.name, data, maintype, subtype)


def prepare(
    settings: Settings,
    letter_name: str,
    recipients: Path | None,
    *,
    letter: Letter | None = None,
    recipient_list: RecipientList | None = None,
    sheet: str | None = None,
) -> Prepared:
    """Load and check everything; raise before anything is written or sent. A letter already
    identified in the journal, or the recipients of record, may be given instead."""
    letter = letter or load_letter(letter_name, settings.letters_dir)
    recipient_list = recipient_list or load_recipients(recipients_path(letter, recipients), sheet)
    renderer = Renderer(letter)
    renderer.check_all(recipient_list)
    document = DocxLetter(letter, mark=letter.mark)
    sender = parse_sender(
        settings.sender, letter.organization.short_name, letter.organization.email
    )
    extra = [_attachment(path) for path in letter.attachments]
    shared = None
    if letter.settings.mode == "list":
        group = renderer.group_addressing()
        shared = document.fill(group.addressee, group.salutation, renderer.render_group_body())
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


def _snapshots(prepared: Prepared) -> dict[str, str]:
    out = {}
    for recipient in prepared.recipients:
        try:
            addressing = address(recipient) if prepared.shared_docx is None else None
        except InputError:
            addressing = None
        out[recipient.id] = snapshot(recipient, addressing)
    return out


def execute_send(plan: SendPlan, progress: ProgressCallback | None = None) -> SendSummary:
    settings = plan.prepared.settings
    letter = plan.letter
    with open_journal(settings) as journal:
        journal.lock(letter.key)
        reg = letter.settings.registration
        journal.ensure_letter(
            letter.key,
            letter.settings.subject,
            reg.number,
            reg.date.isoformat(),
            str(letter.folder.resolve()),
        )
        versions = journal.letter_versions(letter.key)
        if versions and versions[-1][1] == fingerprint(plan.facts):
            version = versions[-1][0]
        else:
            facts = json.dumps(plan.facts, ensure_ascii=False, sort_keys=True)
            version = journal.add_letter_version(letter.key, fingerprint(plan.facts), facts)
        recovered = journal.recover_interrupted(letter.key)
        snapshots = _snapshots(plan.prepared)
        make_id = functools.partial(new_message_id, plan.prepared.sender)
        journal.ensure_deliveries(
            letter.key, ((r.id, r.emails) for r in plan.prepared.recipients), make_id, snapshots
        )
        known = journal.deliveries(letter.key)
        for recipient in plan.to_send:
            if recipient.id in plan.readdress and known[recipient.id].state not in OWED:
                journal.readdress(
                    known[recipient.id],
                    recipient.emails,
                    snapshots.get(recipient.id),
                    make_id(recipient.id),
                )
        targets = journal.send_targets(letter.key)
        allowed = OWED | ({DeliveryState.UNCERTAIN} if plan.resend_uncertain else set())
        # Re-read states under the lock: another run may have sent some since the plan was made.
        recipients = [r for r in plan.to_send if targets[r.id][2] in allowed]
        journal.assign_version((targets[r.id][0] for r in recipients), version)

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


def for_signing(
    settings: Settings, letter_name: str, recipients: Path | None
) -> tuple[Prepared, ForSigning]:
    """`mailer for-signing`: the letter's documents, written where the signer signs them."""
    prepared = prepare(settings, letter_name, recipients)
    signing_folder(prepared)
    return prepared, write_for_signing(prepared, letter_documents(prepared, prepared.recipients))
