"""How states, matches and totals are said to people, and times in their own clock."""

from __future__ import annotations

from datetime import datetime

from mailer.russian import plural
from mailer.status import StatusRow

STATE_TITLES = {
    "pending": "не отправлено",
    "sending": "отправляется",
    "sent": "отправлено",
    "failed": "отклонено сервером",
    "uncertain": "неизвестно, дошло ли",
    "bounced": "не доставлено",
    "replied": "ответил",
    "review": "на проверке",
}
MATCHED_BY = {
    "thread": "по переписке",
    "number+sender": "по номеру письма и адресу",
    "number+domain": "по номеру письма и домену",
    "returned headers": "по возвращённому письму",
    "bounced address": "по адресу",
    "sender": "по адресу",
    "manual": "отмечено вручную",
    "review": "принято с проверки",
}
TOTAL_TITLES = {
    "recipients": "Адресатов",
    "sent": "Отправлено",
    "replied": "Ответили",
    "not_replied": "Не ответили",
    "review": "На проверке",
    "overdue": "Срок истёк",
    "bounced": "Не доставлено",
    "not_sent": "Не отправлено",
    "reminders": "Напоминаний",
}


def local_time(stamp: str | None) -> str:
    """The journal keeps UTC; people read their own clock, in Russian order."""
    if not stamp:
        return ""
    if len(stamp) == 10:  # a day with no time: an answer's date marked by hand
        return ".".join(reversed(stamp.split("-")))
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return stamp


def plain_state(row: StatusRow) -> str:
    if row.overdue and row.state != "review":  # a message waits to be judged: that comes first
        return "срок истёк"
    return STATE_TITLES.get(row.state, row.state)


def deadline_note(row: StatusRow) -> str:
    if row.days_left is None:
        return ""
    if row.days_left < 0:
        return f"просрочено на {plural(-row.days_left, 'день', 'дня', 'дней')}"
    return f"осталось {plural(row.days_left, 'день', 'дня', 'дней')}"
