"""`mailer history`: every recorded change of a letter, when and by whom."""

from __future__ import annotations

from mailer.errors import InputError
from mailer.journal import HistoryEntry, open_journal
from mailer.letter import load_letter
from mailer.settings import Settings

EVENT_TITLES = {
    "pending": "ожидает отправки",
    "sending": "передаётся серверу",
    "sent": "отправлено",
    "failed": "отклонено сервером",
    "uncertain": "неизвестно, дошло ли",
    "reply": "ответ",
    "auto_reply": "автоответ",
    "bounce": "возврат",
    "read_receipt": "уведомление о прочтении",
    "review": "на проверку",
    "manual": "ответ отмечен вручную",
    "manual_revoked": "отметка об ответе снята",
    "review_dismissed": "не ответ (проверено)",
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
