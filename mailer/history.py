"""`mailer history`: every recorded change of a letter, when and by whom."""

from __future__ import annotations

from mailer.errors import InputError
from mailer.journal import HistoryEntry, open_journal
from mailer.letter import load_letter
from mailer.settings import Settings
from mailer.states import DeliveryState, EventKind, Mark, ReplyKind

EVENT_TITLES: dict[EventKind, str] = {
    DeliveryState.PENDING: "ожидает отправки",
    DeliveryState.SENDING: "передаётся серверу",
    DeliveryState.SENT: "отправлено",
    DeliveryState.FAILED: "отклонено сервером",
    DeliveryState.UNCERTAIN: "неизвестно, дошло ли",
    ReplyKind.REPLY: "ответ",
    ReplyKind.AUTO_REPLY: "автоответ",
    ReplyKind.BOUNCE: "возврат",
    ReplyKind.READ_RECEIPT: "уведомление о прочтении",
    ReplyKind.REVIEW: "на проверку",
    ReplyKind.MANUAL: "ответ отмечен вручную",
    Mark.MANUAL_REVOKED: "отметка об ответе снята",
    Mark.REVIEW_DISMISSED: "не ответ (проверено)",
    # shown by their stored names, as ever: ReplyKind.NOTICE, Mark.REVIEW_ACCEPTED,
    # Mark.BOUNCE_REVOKED (their own details say what happened)
}


def letter_history(
    settings: Settings, letter_name: str, recipient_id: str | None
) -> list[HistoryEntry]:
    letter = load_letter(letter_name, settings.letters_dir)
    with open_journal(settings) as journal:
        entries = journal.history(letter.key, recipient_id)
    if not entries:
        whom = f" получателю «{recipient_id}»" if recipient_id else ""
        raise InputError(f"В журнале нет записей о письме «{letter.key}»{whom}.")
    return entries
