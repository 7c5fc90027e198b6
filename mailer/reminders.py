"""`mailer remind`: a reminder to each recipient who was sent the letter and has not answered.

A reminder to someone who has already answered is the worst mistake this tool can make, so the
mailbox is read first (track), and the decision is made again under the journal's lock right
before sending. Each reminder is an official letter of its own (email and DOCX) in the
original's thread, with the original attached again; it has its own row in the journal and goes
through the same outbox as the letter: never twice, resumable after a crash.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mailer.campaign import Prepared, prepare, recipients_path
from mailer.errors import InputError, MailerError
from mailer.journal import Delivery, Journal, Reminder, ReplyRecord, open_journal
from mailer.letter import Letter
from mailer.message import new_message_id
from mailer.outbox import Outgoing, ProgressCallback, SendSummary, send_stream
from mailer.outcome import failed_addresses, review_for, undelivered
from mailer.preview import PREVIEW_ROOT, PreviewWriter
from mailer.recipients import Recipient, RecipientList, load_recipients
from mailer.record import (
    fingerprint,
    letter_argument,
    letter_facts,
    open_for_reading,
    recorded_recipients,
    sent_letter,
)
from mailer.reminder_letter import reminder_date, reminder_title, reminder_vars
from mailer.reminder_message import ReminderBuilder, reminder_thread
from mailer.replies.track import TrackSummary, run_track
from mailer.russian import date_numeric
from mailer.settings import Settings
from mailer.signature import SignatureError
from mailer.signing import (
    Document,
    ForSigning,
    Signed,
    letter_documents,
    signing_name,
    verify_documents,
    write_for_signing,
)
from mailer.states import ANSWERS, IN_DOUBT, OWED, DeliveryState, ReplyKind


@dataclass(frozen=True)
class Due:
    recipient: Recipient
    delivery: Delivery
    sequence: int
    resume: Reminder | None  # an owed reminder of a run that did not finish


@dataclass
class RemindPlan:
    prepared: Prepared
    today: dt.date
    due: list[Due]
    skipped: dict[str, str] = field(default_factory=dict)
    track: TrackSummary | None = None
    force: bool = False
    # A signed letter's reminders: each one's verified signature by recipient id
    signed: dict[str, Signed] | None = None

    @property
    def title(self) -> str:
        return reminder_title(self.prepared.letter)


def _parse_time(stamp: str | None) -> dt.date | None:
    if not stamp:
        return None
    return dt.datetime.fromisoformat(stamp).astimezone().date()


@dataclass
class _Known:
    """What the journal says of the letter, read once for the whole list."""

    name: str  # the letter as the user names it in a command
    deliveries: dict[str, Delivery]
    reminders: dict[int, list[Reminder]]
    records: dict[int, list[ReplyRecord]]
    review: list[ReplyRecord]
    current: str  # the letter folder's fingerprint now
    versions: dict[int, str]  # each version sent, by its fingerprint


def _known(prepared: Prepared, journal: Journal) -> _Known:
    letter = prepared.letter
    records: dict[int, list[ReplyRecord]] = {}
    all_records = journal.replies(letter.key)
    for record in all_records:
        if record.delivery_id is not None:
            records.setdefault(record.delivery_id, []).append(record)
    return _Known(
        name=letter_argument(letter, prepared.settings.letters_dir),
        deliveries=journal.deliveries(letter.key),
        reminders=journal.reminders(letter.key),
        records=records,
        review=[r for r in all_records if r.kind == ReplyKind.REVIEW],
        # the original goes again with each reminder: it must be the version the recipient got
        current=fingerprint(letter_facts(letter)),
        versions={number: print_ for number, print_, _ in journal.letter_versions(letter.key)},
    )


def _why_not_reminded(known: _Known, recipient: Recipient, delivery: Delivery) -> str | None:
    """Why the letter itself leaves the recipient out: an answer, a bounce, a message on
    review, or a letter edited since this recipient's version went out."""
    own_records = known.records.get(delivery.id, [])
    if {r.kind for r in own_records} & ANSWERS:
        return "ответил"
    if undelivered(delivery, own_records):
        return "адрес не принял письмо (возврат)"
    doubtful = review_for(known.review, delivery.emails)
    if doubtful:
        item = doubtful[0]
        return (
            f"на проверке письмо № {item.id} от {item.sender} «{item.subject}»: если это "
            f"ответ — mailer mark {known.name} {recipient.id} --review {item.id}, если нет — "
            f"mailer mark {known.name} {recipient.id} --not-an-answer"
        )
    got = delivery.version
    if got is not None and known.versions.get(got) != known.current:
        return (
            f"получил редакцию {got} письма, а папка письма с тех пор изменилась: "
            "напоминание приложило бы не то письмо, что ушло"
        )
    return None


def _next_reminder(
    letter: Letter,
    known: _Known,
    recipient: Recipient,
    delivery: Delivery,
    today: dt.date,
    force: bool,
) -> Due | str:
    """The reminder owed to the recipient now, or why none is: the reminders' own rules."""
    policy = letter.settings.reminder
    own = known.reminders.get(delivery.id, [])
    owed = [r for r in own if r.state in OWED]
    if owed:
        return Due(recipient, delivery, owed[0].sequence, owed[0])
    if any(r.state in IN_DOUBT for r in own):
        return "неизвестно, дошло ли прошлое напоминание"
    sent = [r for r in own if r.state == DeliveryState.SENT]
    if len(sent) >= policy.max_count:
        return f"отправлено напоминаний: {len(sent)} (это максимум)"
    if policy.wait_for_deadline and letter.deadline and today <= letter.deadline:
        return f"срок ответа ({date_numeric(letter.deadline)}) не наступил"
    times = [_parse_time(delivery.sent_at), *(_parse_time(r.sent_at) for r in sent)]
    last = max((d for d in times if d is not None), default=None)
    if last is not None and not force and (today - last).days < policy.min_interval_days:
        return (
            f"последнее письмо {date_numeric(last)}: интервал меньше {policy.min_interval_days} дн."
        )
    return Due(recipient, delivery, len(sent) + 1, None)


def decide(
    prepared: Prepared,
    journal: Journal,
    today: dt.date,
    force: bool,
) -> tuple[list[Due], dict[str, str]]:
    """Who gets a reminder now, and why each of the others does not."""
    known = _known(prepared, journal)
    due: list[Due] = []
    skipped: dict[str, str] = {}
    for recipient in prepared.recipients:
        delivery = known.deliveries.get(recipient.id)
        if delivery is None or delivery.state != DeliveryState.SENT:
            state = delivery.state if delivery else "не отправлялось"
            skipped[recipient.id] = f"письмо не доставлено ({state})"
            continue
        reason = _why_not_reminded(known, recipient, delivery)
        if reason is not None:
            skipped[recipient.id] = reason
            continue
        # a recipient with one address refused is reminded at the others
        failed = failed_addresses(known.records.get(delivery.id, [])) or set()
        working = tuple(e for e in recipient.emails if e.lower() not in failed)
        if working != recipient.emails:
            recipient = dataclasses.replace(recipient, emails=working)
        outcome = _next_reminder(prepared.letter, known, recipient, delivery, today, force)
        if isinstance(outcome, Due):
            due.append(outcome)
        else:
            skipped[recipient.id] = outcome
    return due, skipped


def plan_remind(
    settings: Settings,
    letter_name: str,
    recipients: Path | None = None,
    *,
    source: Path | None = None,
    skip_track: bool = False,
    force: bool = False,
    today: dt.date | None = None,
    sheet: str | None = None,
) -> RemindPlan:
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        # the recipients of record: whoever the letter went to, whatever list is at hand now
        listed = _default_list(letter, recipients, sheet)
        recorded = recorded_recipients(journal, letter, listed)
    prepared = prepare(settings, letter_name, None, letter=letter, recipient_list=recorded)
    today = today or dt.date.today()
    _check_templates(prepared, today)
    track = None
    if not skip_track:
        try:
            track = run_track(settings, letter_name, source)
        except MailerError as exc:
            raise type(exc)(
                f"Не удалось проверить ответы перед напоминанием: {exc.message}",
                hint=(exc.hint + "\n" if exc.hint else "")
                + "Напоминания не отправлены. Чтобы напомнить по тем ответам, что уже есть в "
                "журнале, добавьте --skip-track.",
            ) from None
    with open_journal(settings) as journal:
        if not journal.deliveries(prepared.letter.key):
            raise InputError(
                f"Письмо «{prepared.letter.key}» ещё не отправлялось: напоминать не о чем."
            )
        due, skipped = decide(prepared, journal, today, force)
    return RemindPlan(prepared, today, due, skipped, track, force)


def _default_list(
    letter: Letter, recipients: Path | None, sheet: str | None = None
) -> RecipientList | None:
    """A list only fills in recipients recorded before the journal kept them."""
    try:
        return load_recipients(recipients_path(letter, recipients), sheet)
    except InputError:
        return None


def _check_templates(prepared: Prepared, today: dt.date) -> None:
    for recipient in prepared.recipients:
        prepared.renderer.render_reminder(
            recipient, reminder_vars(prepared.letter, today, 1, "напоминание.docx")
        )


def execute_remind(plan: RemindPlan, progress: ProgressCallback | None = None) -> SendSummary:
    settings = plan.prepared.settings
    letter = plan.prepared.letter
    with open_journal(settings) as journal:
        journal.lock(letter.key)
        recovered = journal.recover_interrupted_reminders(letter.key)
        # Decide again under the lock: an answer recorded since the plan stops its reminder;
        # no answer is recorded (by a track elsewhere) while this decision is taken.
        with journal.deciding(letter.key):
            due, _ = decide(plan.prepared, journal, plan.today, plan.force)
            planned = {d.recipient.id for d in plan.due}
            due = [d for d in due if d.recipient.id in planned]
            journal.add_reminders(
                (d.delivery.id, d.sequence, new_message_id(plan.prepared.sender, d.recipient.id))
                for d in due
                if d.resume is None
            )
        reminders = journal.reminders(letter.key)
        builder = ReminderBuilder(plan.prepared, plan.today, plan.signed)

        def outgoing() -> Iterator[Outgoing]:
            for item in due:
                own = reminders[item.delivery.id]
                row = next(r for r in own if r.sequence == item.sequence)
                thread = reminder_thread(item.delivery, own, item.sequence)
                built = builder.build(item.recipient, item.sequence, row.message_id, thread)
                yield Outgoing(
                    item.recipient.id,
                    item.recipient.emails,
                    built.data,
                    journal.reminder_ledger(row),
                )

        summary = send_stream(
            settings,
            plan.prepared.sender.address,
            outgoing(),
            len(due),
            progress,
            batch=journal.batch,
        )
        by_id = {d.id: d.recipient_id for d in journal.deliveries(letter.key).values()}
        summary.recovered = [by_id[i] for i in recovered]
    return summary


def reminder_documents(plan: RemindPlan) -> list[Document]:
    """The reminders' DOCX files as they are signed and sent."""
    builder = ReminderBuilder(plan.prepared, plan.today, plan.signed)
    documents = []
    for item in plan.due:
        docx_name, _, _, _, data = builder.reminder(item.recipient, item.sequence)
        rid = item.recipient.id
        documents.append(Document(rid, signing_name(rid, docx_name), data))
    return documents


def verify_remind_signatures(plan: RemindPlan, *, required: bool = True) -> list[str]:
    """For a signed letter: the signatures of every reminder (dated today) and of the original
    letters attached again. Raises SignatureError if ``required``; else returns the problems."""
    prepared = plan.prepared
    if prepared.letter.mark is None:
        return []
    recipients = [d.recipient for d in plan.due]
    prepared.signed, problems = verify_documents(prepared, letter_documents(prepared, recipients))
    day = reminder_date(prepared.letter, plan.today)
    plan.signed, own = verify_documents(prepared, reminder_documents(plan), day)
    problems += own
    if problems and required:
        raise SignatureError(problems, f"mailer remind {prepared.letter.key} --dry-run")
    prepared.signatures_required = required
    return problems


def remind_for_signing(plan: RemindPlan) -> ForSigning | None:
    """A signed letter's reminders written into its signing folder, to be signed."""
    if plan.prepared.letter.mark is None:
        return None
    return write_for_signing(plan.prepared, reminder_documents(plan))


def preview_remind(plan: RemindPlan, out: Path | None) -> Path:
    """The dry run: every reminder as it would go, in a folder with an index.html."""
    letter = plan.prepared.letter
    writer = PreviewWriter(out or PREVIEW_ROOT / f"{letter.key}-напоминания", len(plan.due))
    verify_remind_signatures(plan, required=False)
    builder = ReminderBuilder(plan.prepared, plan.today, plan.signed)
    for number, item in enumerate(plan.due, start=1):
        thread = [item.delivery.message_id]
        message_id = f"<preview.{number}@mailer.invalid>"
        built = builder.build(item.recipient, item.sequence, message_id, thread)
        writer.add(
            item.recipient,
            built.addressing,
            built.subject,
            built.email_blocks,
            built.data,
            built.docx_name,
            built.docx,
        )
    facts = [
        ("Напоминание", html.escape(plan.title)),
        ("Дата", html.escape(date_numeric(plan.today))),
        ("Получателей", str(len(plan.due))),
        ("Не получат", html.escape(f"{len(plan.skipped)}")),
    ]
    return writer.finish(plan.title, facts)
