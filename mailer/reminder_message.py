"""A reminder built as it goes out: its DOCX (signed when the letter is), then the original
letter again with its own attachments, in the original's thread. Who gets one is decided in
mailer.reminders; how it is worded, in mailer.reminder_letter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mailer.campaign import SIGNATURE_TYPE, Prepared
from mailer.guard import file_name
from mailer.journal import Delivery, Reminder
from mailer.message import DOCX_TYPE, Attachment
from mailer.recipients import Recipient
from mailer.reminder_letter import reminder_document, reminder_vars
from mailer.render import Addressing
from mailer.russian import date_numeric
from mailer.signing import Signed, signature_for
from mailer.states import DeliveryState
from mailer.text import Block


@dataclass(frozen=True)
class BuiltReminder:
    data: bytes
    docx: bytes
    docx_name: str
    addressing: Addressing
    email_blocks: list[Block]
    subject: str


class ReminderBuilder:
    def __init__(
        self, prepared: Prepared, today: dt.date, signed: dict[str, Signed] | None = None
    ) -> None:
        self.prepared = prepared
        self.today = today
        self.signed = signed or {}  # a signed letter's reminders: each one's signature
        # a signed letter's reminders carry the mark too (Letter.mark), and are signed
        self.document = reminder_document(prepared.letter)

    def reminder(
        self, recipient: Recipient, sequence: int
    ) -> tuple[str, Addressing, list[Block], list[Block], bytes]:
        """The reminder's DOCX name, addressing, DOCX and email text, and DOCX bytes."""
        prepared = self.prepared
        letter = prepared.letter
        label = recipient.organization or recipient.full_name or recipient.id
        reg = letter.settings.registration
        docx_name = file_name(
            f"Напоминание {sequence} к письму {date_numeric(reg.date)} № {reg.number} — {label}",
            composed=True,
        )
        docx_name += ".docx"
        addressing, body, email_blocks = prepared.renderer.render_reminder(
            recipient, reminder_vars(letter, self.today, sequence, docx_name)
        )
        reminder_docx = self.document.fill(addressing.addressee, addressing.salutation, body)
        return docx_name, addressing, body, email_blocks, reminder_docx

    def build(
        self, recipient: Recipient, sequence: int, message_id: str, thread: list[str]
    ) -> BuiltReminder:
        prepared = self.prepared
        letter = prepared.letter
        docx_name, addressing, _, email_blocks, reminder_docx = self.reminder(recipient, sequence)
        original, original_docx = prepared.render(recipient)
        # the reminder, then the original letter again (its other attachments follow), each
        # with its signature when the letter is signed
        attachments = [Attachment(docx_name, reminder_docx, *DOCX_TYPE)]
        signed = self.signed
        if letter.mark is not None and (recipient.id in signed or prepared.signatures_required):
            signature = signature_for(signed, recipient.id, reminder_docx)
            attachments.append(Attachment(docx_name + ".sig", signature, *SIGNATURE_TYPE))
        attachments += prepared.document_attachments(
            prepared.document_key(recipient), original.docx_name, original_docx
        )
        subject = f"Напоминание: {letter.email_subject}"
        data = prepared.messages.build(
            to_name=recipient.full_name,
            to_addresses=recipient.emails,
            blocks=email_blocks,
            attachments=attachments,
            message_id=message_id,
            recipient_id=recipient.id,
            subject=subject,
            in_reply_to=thread[-1],
            references=thread,
        )
        return BuiltReminder(data, reminder_docx, docx_name, addressing, email_blocks, subject)


def reminder_thread(delivery: Delivery, reminders: list[Reminder], sequence: int) -> list[str]:
    """The original's Message-ID, then those of the reminders sent before this one."""
    earlier = [
        r.message_id for r in reminders if r.state == DeliveryState.SENT and r.sequence < sequence
    ]
    return [delivery.message_id, *earlier]
