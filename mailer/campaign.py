"""The use cases that send: prepare a letter for a list, plan a send, carry it out.

Work that is the same for every recipient (templates, the DOCX skeleton, attachment bytes)
happens once in ``prepare``; per recipient only the context, the filled document and the message.
Sending is a stream: a bounded queue between building messages and a few SMTP connections.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailer.docx import DocxLetter
from mailer.errors import InputError, LetterError
from mailer.journal import Delivery, ReplyRecord, journal_exists, open_journal
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
from mailer.outcome import undelivered
from mailer.recipients import Recipient, RecipientList, load_recipients
from mailer.record import (
    as_recorded,
    changes,
    find_letter_key,
    fingerprint,
    letter_facts,
    new_letter_key,
    snapshot,
)
from mailer.render import RenderedLetter, Renderer, address
from mailer.russian import date_numeric
from mailer.settings import Settings
from mailer.signing import (
    SHARED,
    ForSigning,
    Signed,
    letter_documents,
    require_signatures,
    signature_for,
    signing_folder,
    write_for_signing,
)
from mailer.states import IN_DOUBT, OWED, WENT_OUT, DeliveryState
from mailer.system_ru import file_problem

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


class LetterChanged(InputError):
    """The letter was edited after it was sent to some: going on must be asked for."""

    title = "Письмо изменилось после отправки"


@dataclass(frozen=True)
class AddressChange:
    recipient_id: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    bounced: bool  # every address the letter went to refused it


@dataclass
class SendPlan:
    prepared: Prepared
    to_send: list[Recipient]
    already_sent: list[str]
    uncertain: list[str]  # outcome unknown, not re-sent unless asked
    interrupted: list[str]  # left "sending" by a run that died: become uncertain
    resend_uncertain: bool
    facts: dict[str, Any] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)  # since the version last sent
    address_changes: list[AddressChange] = field(default_factory=list)
    readdress: tuple[str, ...] = ()  # corrected addresses to send to, on purpose
    deadline_warning: str | None = None

    @property
    def letter(self) -> Letter:
        return self.prepared.letter


def deadline_warning(letter: Letter, today: dt.date | None = None) -> str | None:
    """A letter whose reply deadline has passed on the day it is sent asks the impossible."""
    today = today or dt.date.today()
    if letter.deadline is None or letter.deadline >= today:
        return None
    return (
        f"Внимание: срок ответа {date_numeric(letter.deadline)} уже прошёл "
        f"(сегодня {date_numeric(today)}). Исправьте срок в letter.toml, если письмо ещё "
        "не отправлялось."
    )


def plan_send(
    settings: Settings,
    letter_name: str,
    recipients: Path | None = None,
    only: tuple[str, ...] = (),
    resend_uncertain: bool = False,
    *,
    new_version: bool = False,
    readdress: tuple[str, ...] = (),
    sheet: str | None = None,
) -> SendPlan:
    letter = load_letter(letter_name, settings.letters_dir)
    facts = letter_facts(letter)
    known: dict[str, Delivery] = {}
    records: list[ReplyRecord] = []
    changed: list[str] = []
    sent_from: str | None = None
    if journal_exists(settings):
        with open_journal(settings, create=False) as journal:
            key = find_letter_key(journal, letter) or new_letter_key(journal, letter)
            journal.check_free(key)  # another run's "sending" rows are in flight: say who
            known = journal.deliveries(key)
            records = journal.replies(key)
            versions = journal.letter_versions(key)
            if versions and versions[-1][1] != fingerprint(facts):
                changed = changes(json.loads(versions[-1][2]), facts)
            sent_from = {k: f for k, _, _, f in journal.letters_index()}.get(key)
    else:
        key = letter.key
    if changed and not new_version and any(d.state in WENT_OUT for d in known.values()):
        reg = letter.settings.registration
        elsewhere = sent_from is not None and sent_from != str(letter.folder.resolve())
        raise LetterChanged(
            (
                f"Письмо № {reg.number} от {reg.date:%d.%m.%Y} уже отправлялось из другой "
                f"папки ({sent_from}), и в папке «{letter.key}» оно не такое:\n"
                if elsewhere
                else f"Письмо «{letter.key}» уже отправлялось, а с тех пор в нём изменилось:\n"
            )
            + "\n".join(f"  {line}" for line in changed),
            hint="Письмо узнаётся по регистрационному номеру и дате. Если это исправленная "
            "редакция того же письма, отправьте её ключом --new-version: журнал запомнит, кто "
            "какую редакцию получил. Если это другое письмо, дайте ему свой номер и дату "
            "в letter.toml. Ничего не отправлено.",
        )
    prepared = prepare(
        settings, letter_name, recipients, letter=as_recorded(letter, key), sheet=sheet
    )
    chosen = prepared.recipients.by_id(only) if only else list(prepared.recipients)
    unknown = set(readdress) - {r.id for r in prepared.recipients}
    if unknown:
        raise InputError(
            f"Для --new-address: получателей {', '.join(sorted(unknown))} нет в списке "
            f"{prepared.recipients.path}."
        )
    plan = SendPlan(prepared, [], [], [], [], resend_uncertain, facts, changed)
    plan.deadline_warning = deadline_warning(prepared.letter)
    for recipient in chosen:
        delivery = known.get(recipient.id)
        state = delivery.state if delivery else DeliveryState.PENDING
        moved = (
            delivery is not None
            and state not in OWED
            and {e.lower() for e in delivery.emails} != {e.lower() for e in recipient.emails}
        )
        if moved and delivery is not None:
            own = [r for r in records if r.delivery_id == delivery.id]
            bounced = undelivered(delivery, own)
            plan.address_changes.append(
                AddressChange(recipient.id, delivery.emails, recipient.emails, bounced)
            )
            if recipient.id in readdress:
                plan.readdress += (recipient.id,)
                plan.to_send.append(recipient)
                continue
        if state in OWED or (state in IN_DOUBT and resend_uncertain):
            plan.to_send.append(recipient)
        elif state == DeliveryState.SENDING:
            plan.interrupted.append(recipient.id)
        elif state == DeliveryState.UNCERTAIN:
            plan.uncertain.append(recipient.id)
        else:
            plan.already_sent.append(recipient.id)
    not_moved = set(readdress) - set(plan.readdress)
    if not_moved:
        raise InputError(
            f"Для --new-address: у получателей {', '.join(sorted(not_moved))} адрес в списке "
            "тот же, что в журнале, или письмо им ещё не уходило. Ничего не отправлено."
        )
    logging.getLogger("mailer.campaign").info(
        "письмо %s: отправить %s, уже отправлено %s, неизвестно, дошло ли: %s; новые адреса: %s",
        prepared.letter.key,
        [r.id for r in plan.to_send],
        plan.already_sent,
        plan.uncertain + plan.interrupted,
        list(plan.readdress),
    )
    if prepared.letter.mark is not None:
        # Checked before anything is sent: every document's signature over its exact bytes.
        prepared.signed = require_signatures(prepared, plan.to_send)
    return plan


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
