"""The use cases that send: prepare a letter for a list, plan a send, carry it out.

Work that is the same for every recipient (templates, the DOCX skeleton, attachment bytes)
happens once in ``prepare``; per recipient only the context, the filled document and the message.
Sending is a stream: a bounded queue between building messages and a few SMTP connections.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from mailer import smtp
from mailer.docx import DocxLetter
from mailer.errors import LetterError, MailerError, ServerError
from mailer.imap import SentCopier
from mailer.journal import Delivery, Journal
from mailer.letter import Letter, load_letter
from mailer.message import (
    DOCX_TYPE,
    Attachment,
    Sender,
    build_message,
    new_message_id,
    parse_sender,
    to_bytes,
)
from mailer.recipients import Recipient, RecipientList, load_recipients
from mailer.render import RenderedLetter, Renderer
from mailer.settings import Settings

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
    extra_attachments: list[Attachment]
    shared_docx: bytes | None  # the one DOCX of a letter "по списку"

    def render(self, recipient: Recipient) -> tuple[RenderedLetter, bytes]:
        rendered = self.renderer.render(recipient)
        if self.shared_docx is not None:
            return rendered, self.shared_docx
        assert rendered.docx_blocks is not None
        docx = self.document.fill(
            rendered.addressing.addressee, rendered.addressing.salutation, rendered.docx_blocks
        )
        return rendered, docx

    def message(
        self, recipient: Recipient, message_id: str
    ) -> tuple[RenderedLetter, bytes, EmailMessage]:
        rendered, docx = self.render(recipient)
        attachments = [Attachment(rendered.docx_name, docx, *DOCX_TYPE), *self.extra_attachments]
        message = build_message(
            sender=self.sender,
            to_name=recipient.full_name,
            to_addresses=recipient.emails,
            subject=self.letter.email_subject,
            blocks=rendered.email_blocks,
            attachments=attachments,
            message_id=message_id,
            letter_key=self.letter.key,
            recipient_id=recipient.id,
            reply_to=self.settings.reply_to,
            read_receipt=self.letter.settings.read_receipt,
        )
        return rendered, docx, message


def recipients_path(letter: Letter, explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    if letter.settings.recipients:
        return letter.folder / letter.settings.recipients
    return DEFAULT_RECIPIENTS


def _attachment(path: Path, name: str | None = None) -> Attachment:
    mime, _ = mimetypes.guess_type(path.name)
    maintype, subtype = (mime or "application/octet-stream").split("/", 1)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LetterError(f"Файл приложения {path} не читается: {exc}.") from None
    return Attachment(name or path.name, data, maintype, subtype)


def prepare(settings: Settings, letter_name: str, recipients: Path | None) -> Prepared:
    """Load and check everything; raise before anything is written or sent."""
    letter = load_letter(letter_name, settings.letters_dir)
    recipient_list = load_recipients(recipients_path(letter, recipients))
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
    return Prepared(settings, letter, recipient_list, renderer, document, sender, extra, shared)


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


@dataclass
class SendSummary:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    slowdowns: int = 0
    copies_stored: int = 0
    copy_errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.failed or self.deferred or self.uncertain)


def plan_send(
    settings: Settings,
    letter_name: str,
    recipients: Path | None = None,
    only: tuple[str, ...] = (),
    resend_uncertain: bool = False,
) -> SendPlan:
    prepared = prepare(settings, letter_name, recipients)
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
    return SendPlan(prepared, to_send, sent, uncertain, interrupted, resend_uncertain)


@dataclass(frozen=True)
class _Job:
    recipient: Recipient
    delivery: Delivery
    data: bytes


ProgressCallback = Callable[[str, smtp.Outcome], None]


def execute_send(plan: SendPlan, progress: ProgressCallback | None = None) -> SendSummary:
    settings = plan.prepared.settings
    letter = plan.letter
    summary = SendSummary()
    with Journal(settings.db) as journal:
        journal.lock()
        reg = letter.settings.registration
        journal.ensure_letter(letter.key, letter.settings.subject, reg.number, reg.date.isoformat())
        summary.recovered = journal.recover_interrupted(letter.key)
        journal.ensure_deliveries(
            letter.key,
            ((r.id, r.emails) for r in plan.prepared.recipients),
            lambda rid: new_message_id(plan.prepared.sender, rid),
        )
        deliveries = journal.deliveries(letter.key)
        allowed = OWED_STATES + (("uncertain",) if plan.resend_uncertain else ())
        # Re-read states under the lock: another run may have sent some since the plan was made.
        jobs = [r for r in plan.to_send if deliveries[r.id].state in allowed]
        if jobs:
            asyncio.run(_send_all(plan.prepared, journal, deliveries, jobs, summary, progress))
    return summary


async def _send_all(
    prepared: Prepared,
    journal: Journal,
    deliveries: dict[str, Delivery],
    recipients: list[Recipient],
    summary: SendSummary,
    progress: ProgressCallback | None,
) -> None:
    settings = prepared.settings
    first = await smtp.connect(settings)  # a wrong password or a dead server stops us here
    pacer = smtp.Pacer(settings.smtp_rate_per_minute, settings.smtp_retry_delay)
    # A copy of each sent letter in the mailbox's Sent folder, as a mail client would keep;
    # one IMAP connection behind a small queue, so a slow mailbox never holds letters in memory.
    copier = SentCopier(settings) if settings.imap_configured and settings.imap_save_sent else None
    copies: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
    workers = min(settings.smtp_connections, len(recipients))
    queue: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=workers * 2)

    def jobs() -> Iterator[_Job]:
        for recipient in recipients:
            delivery = deliveries[recipient.id]
            _, _, message = prepared.message(recipient, delivery.message_id)
            yield _Job(recipient, delivery, to_bytes(message))

    async def produce() -> None:
        for job in jobs():
            await queue.put(job)
        for _ in range(workers):
            await queue.put(None)

    def record(job: _Job, outcome: smtp.Outcome, detail: str) -> None:
        rid = job.recipient.id
        if outcome is smtp.Outcome.SENT:
            summary.sent.append(rid)
        elif outcome is smtp.Outcome.FAILED:
            summary.failed.append((rid, detail))
        elif outcome is smtp.Outcome.UNCERTAIN:
            summary.uncertain.append((rid, detail))
        else:
            summary.deferred.append((rid, detail))
        if progress is not None:
            progress(rid, outcome)

    async def deliver(job: _Job, client: aiosmtplib.SMTP | None) -> aiosmtplib.SMTP | None:
        delivery_id = job.delivery.id
        last_error = ""
        for attempt in range(1, settings.smtp_max_attempts + 1):
            if attempt > 1:
                await asyncio.sleep(min(settings.smtp_retry_delay * 2 ** (attempt - 2), 300))
            if client is None:
                try:
                    client = await smtp.connect(settings)
                except ServerError as exc:
                    last_error = exc.message
                    continue
            await pacer.wait()
            handed_over = False

            def before_data() -> None:
                nonlocal handed_over
                journal.mark_sending(delivery_id)
                handed_over = True

            try:
                result = await smtp.transmit(
                    client, prepared.sender.address, job.recipient.emails, job.data, before_data
                )
            except asyncio.CancelledError:
                if handed_over:
                    journal.mark_uncertain(delivery_id, "рассылка прервана во время передачи")
                raise
            if result.connection_lost:
                client.close()
                client = None
            if result.outcome is smtp.Outcome.SENT:
                journal.mark_sent(delivery_id, result.detail)
                if copier is not None:
                    await copies.put(job.data)
                pacer.speed_up()
                record(job, result.outcome, result.detail)
                return client
            if result.outcome is smtp.Outcome.FAILED:
                journal.mark_failed(delivery_id, result.detail)
                record(job, result.outcome, result.detail)
                return client
            if result.outcome is smtp.Outcome.UNCERTAIN:
                journal.mark_uncertain(delivery_id, result.detail)
                record(job, result.outcome, result.detail)
                return client
            last_error = result.detail
            if handed_over:
                journal.mark_deferred(delivery_id, last_error)
            if result.too_many:
                pacer.slow_down()
        journal.mark_deferred(delivery_id, last_error)
        record(job, smtp.Outcome.DEFERRED, last_error)
        return client

    async def work(client: aiosmtplib.SMTP | None, index: int) -> None:
        if client is None:
            try:
                client = await smtp.connect(settings)
            except ServerError:
                if index > 0:
                    return  # the server takes fewer parallel connections: use the ones we have
                raise
        try:
            while (job := await queue.get()) is not None:
                client = await deliver(job, client)
        finally:
            if client is not None:
                try:
                    await asyncio.wait_for(client.quit(), timeout=5)
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    client.close()

    async def store_copies() -> None:
        assert copier is not None
        while (data := await copies.get()) is not None:
            await asyncio.to_thread(copier.append, data)
        await asyncio.to_thread(copier.close)

    try:
        async with asyncio.TaskGroup() as outer:
            if copier is not None:
                outer.create_task(store_copies())
            async with asyncio.TaskGroup() as group:
                group.create_task(produce())
                for index in range(workers):
                    group.create_task(work(first if index == 0 else None, index))
            await copies.put(None)
    except* MailerError as errors:
        raise errors.exceptions[0] from None
    summary.slowdowns = pacer.slowdowns
    if copier is not None:
        summary.copies_stored = copier.stored
        summary.copy_errors = copier.errors


def uncertain_hint() -> str:
    return (
        "Проверьте у получателя или в журнале почтового сервера, дошло ли письмо; "
        "чтобы отправить его ещё раз, запустите send с ключом --resend-uncertain."
    )
