"""`mailer status` as a table for the terminal, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from mailer.guard import csv_cell, terminal_text
from mailer.report.words import (
    MATCHED_BY,
    TOTAL_TITLES,
    deadline_note,
    local_time,
    plain_state,
)
from mailer.russian import date_words
from mailer.status import LetterStatus


def status_table(status: LetterStatus) -> str:
    letter = status.letter
    lines = [f"{letter.settings.subject}, {letter.registration_label} ({letter.key})"]
    if letter.deadline:
        lines.append(f"Срок ответа: {date_words(letter.deadline)}")
    width = max(len(r.id) for r in status.rows)
    for row in status.rows:
        when = local_time(row.replied_at if row.state == "replied" else row.sent_at)
        parts = [f"  {row.id:<{width}}  {plain_state(row):<20} {when:<16}"]
        if row.matched_by:
            parts.append(f"({MATCHED_BY.get(row.matched_by, row.matched_by)})")
        if row.reminders:
            parts.append(f"напоминаний: {row.reminders}")
        if row.days_left is not None:
            parts.append(deadline_note(row))
        if row.incoming_number:
            parts.append(f"вх. № {row.incoming_number}")
        if row.read_at:
            parts.append(f"прочитано {local_time(row.read_at)}")
        if row.note:
            parts.append(f"— {terminal_text(row.note)}")
        if row.operator:
            parts.append(f"[{terminal_text(row.operator)}]")
        lines.append(" ".join(parts).rstrip())
    totals = status.totals()
    lines.append("Итого: " + ", ".join(f"{TOTAL_TITLES[k].lower()} {v}" for k, v in totals.items()))
    return "\n".join(lines) + "\n"


def status_json(status: LetterStatus) -> str:
    return json.dumps([r.as_dict() for r in status.rows], ensure_ascii=False, indent=2) + "\n"


def status_csv(status: LetterStatus) -> str:
    out = io.StringIO()
    fields = list(status.rows[0].as_dict()) if status.rows else ["id"]
    # ";" and a BOM on write: what Excel in a Russian locale opens without a wizard
    writer = csv.DictWriter(out, fieldnames=fields, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in status.rows:
        writer.writerow({key: csv_cell(value) for key, value in row.as_dict().items()})
    return out.getvalue()
