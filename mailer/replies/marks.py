"""`mailer mark`: what a person decides beside `track`: an answer that came another way, a
bounce that was wrong, a message on the review list accepted as an answer or dismissed."""

from __future__ import annotations

import datetime as dt
import secrets

from mailer.errors import InputError
from mailer.journal import Delivery, Journal, ReplyRecord
from mailer.letter import Letter
from mailer.outcome import review_for
from mailer.record import letter_argument, open_for_reading, sent_letter
from mailer.settings import Settings
from mailer.states import MatchedBy, ReplyKind


def _delivery(journal: Journal, letter: Letter, recipient_id: str) -> Delivery:
    delivery = journal.deliveries(letter.key).get(recipient_id)
    if delivery is None:
        raise InputError(
            f"Получателя «{recipient_id}» нет среди адресатов письма «{letter.key}» в журнале."
        )
    return delivery


def _answer_date(value: dt.date | None, letter: Letter) -> str | None:
    if value is None:
        return None
    if value < letter.settings.registration.date or value > dt.date.today():
        raise InputError(
            f"Дата ответа {value.isoformat()} не может быть раньше даты письма "
            f"({letter.settings.registration.date.isoformat()}) или позже сегодняшней."
        )
    return value.isoformat()


def mark_replied(
    settings: Settings,
    letter_name: str,
    recipient_id: str,
    note: str,
    incoming: str | None = None,
    date: dt.date | None = None,
) -> ReplyRecord:
    """An answer that came another way: document management system, paper, phone. It keeps
    the answer's incoming number and its own date; the mark's time is kept beside them."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        record = ReplyRecord(
            letter=letter.key,
            delivery_id=delivery.id,
            message_id=f"<manual.{secrets.token_hex(8)}@mailer.invalid>",
            kind=ReplyKind.MANUAL,
            matched_by=MatchedBy.MANUAL,
            sender=None,
            subject=None,
            received_at=_answer_date(date, letter),
            detail=note or "отмечено вручную",
            incoming_number=incoming or None,
        )
        journal.record_reply(record)
    return record


def unmark_replied(settings: Settings, letter_name: str, recipient_id: str) -> int:
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        return journal.revoke_manual(letter.key, delivery.id)


def mark_delivered(settings: Settings, letter_name: str, recipient_id: str, note: str) -> int:
    """A bounce recorded wrongly: the recipient confirms they have the letter."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        return journal.revoke_bounces(letter.key, delivery.id, note or "письмо доставлено")


def _review_item(
    settings: Settings, journal: Journal, letter: Letter, record_id: int
) -> ReplyRecord:
    for record in journal.replies(letter.key):
        if record.id == record_id and record.kind == ReplyKind.REVIEW:
            return record
    raise InputError(
        f"Письма на проверке № {record_id} у письма «{letter.key}» нет (или оно уже решено).",
        hint="Список на проверке показывает команда: mailer track "
        + letter_argument(letter, settings.letters_dir),
    )


def accept_review(
    settings: Settings, letter_name: str, record_id: int, recipient_id: str, note: str
) -> ReplyRecord:
    """A message on the review list is this recipient's answer."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        item = _review_item(settings, journal, letter, record_id)
        said = f"письмо на проверке № {record_id} от {item.sender} принято как ответ"
        journal.accept_review(letter.key, record_id, delivery.id, f"{said}. {note}".strip(". "))
        return item


def dismiss_review_item(settings: Settings, letter_name: str, record_id: int) -> ReplyRecord:
    """A message on the review list is no one's answer (a stranger's, say)."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        item = _review_item(settings, journal, letter, record_id)
        journal.dismiss_review(letter.key, [record_id], None)
        return item


def dismiss_review(settings: Settings, letter_name: str, recipient_id: str) -> int:
    """The messages on review for a recipient are not their answer: reminders may go."""
    with open_for_reading(settings) as journal:
        letter = sent_letter(settings, letter_name, journal)
        delivery = _delivery(journal, letter, recipient_id)
        pending = review_for(journal.replies(letter.key), delivery.emails)
        return journal.dismiss_review(
            letter.key, [r.id for r in pending if r.id is not None], delivery.id
        )
