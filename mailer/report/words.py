"""How states, matches and totals are said to people, and times in their own clock."""

from __future__ import annotations

from datetime import datetime

from mailer.russian import plural
from mailer.states import MatchedBy, Standing
from mailer.status import StatusRow, Total

STATE_TITLES = {
    Standing.PENDING: "не отправлено",
    Standing.SENDING: "отправляется",
    Standing.SENT: "отправлено",
    Standing.FAILED: "отклонено сервером",
    Standing.UNCERTAIN: "неизвестно, дошло ли",
    Standing.BOUNCED: "не доставлено",
    Standing.REPLIED: "ответил",
    Standing.REVIEW: "на проверке",
}
MATCHED_BY: dict[str, str] = {
    MatchedBy.THREAD: "по переписке",
    MatchedBy.NUMBER_AND_SENDER: "по номеру письма и адресу",
    MatchedBy.NUMBER_AND_DOMAIN: "по номеру письма и домену",
    MatchedBy.RETURNED_HEADERS: "по возвращённому письму",
    MatchedBy.BOUNCED_ADDRESS: "по адресу",
    MatchedBy.SENDER: "по адресу",
    MatchedBy.MANUAL: "отмечено вручную",
    MatchedBy.REVIEW: "принято с проверки",
}
TOTAL_TITLES: dict[str, str] = {  # keyed by Total, as LetterStatus.totals()
    Total.RECIPIENTS: "Адресатов",
    Total.SENT: "Отправлено",
    Total.REPLIED: "Ответили",
    Total.NOT_REPLIED: "Не ответили",
    Total.REVIEW: "На проверке",
    Total.OVERDUE: "Срок истёк",
    Total.BOUNCED: "Не доставлено",
    Total.NOT_SENT: "Не отправлено",
    Total.REMINDERS: "Напоминаний",
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
    if row.overdue and row.state != Standing.REVIEW:  # a message waits to be judged first
        return "срок истёк"
    return STATE_TITLES.get(row.state, row.state)


def deadline_note(row: StatusRow) -> str:
    if row.days_left is None:
        return ""
    if row.days_left < 0:
        return f"просрочено на {plural(-row.days_left, 'день', 'дня', 'дней')}"
    return f"осталось {plural(row.days_left, 'день', 'дня', 'дней')}"
