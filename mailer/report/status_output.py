"""`mailer status` as a table for the terminal, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import textwrap

from mailer.guard import csv_cell, terminal_text
from mailer.report.words import (
    MATCHED_BY,
    TOTAL_TITLES,
    deadline_note,
    local_time,
    plain_state,
)
from mailer.russian import date_words
from mailer.states import Standing
from mailer.status import LetterStatus

TERMINAL_WIDTH = 80
GAP = "  "


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _day(stamp: str | None) -> str:
    return local_time(stamp)[:10]


def status_table(status: LetterStatus, wide: bool = False) -> str:
    """The status for a terminal: a header line, one row per recipient, the totals.

    Fits 80 columns (organization names shortened, notes below the table); ``wide`` shows every
    column in full, however wide the table grows.
    """
    letter = status.letter
    title = f"{letter.settings.subject}, {letter.registration_label} ({letter.key})"
    lines = textwrap.wrap(title, TERMINAL_WIDTH, break_on_hyphens=False)
    if letter.deadline:
        lines.append(f"Срок ответа: {date_words(letter.deadline)}")
    lines.append("")
    rows = status.rows
    number_width = len(str(len(rows)))
    columns: list[tuple[str, list[str]]] = [
        ("№", [str(n) for n in range(1, len(rows) + 1)]),
        ("Организация", [terminal_text(r.organization or r.id) for r in rows]),
    ]
    if wide:
        columns += [
            ("id", [r.id for r in rows]),
            ("Адреса", [r.email for r in rows]),
            ("Состояние", [plain_state(r) for r in rows]),
            ("Отправлено", [local_time(r.sent_at) for r in rows]),
            ("Ответ", [local_time(r.replied_at) for r in rows]),
            ("Как найден", [MATCHED_BY.get(r.matched_by or "", r.matched_by or "") for r in rows]),
            ("Вх. №", [r.incoming_number or "" for r in rows]),
            ("Напом.", [str(r.reminders or "") for r in rows]),
            ("Прочитано", [local_time(r.read_at) for r in rows]),
            ("Срок", [deadline_note(r) for r in rows]),
            ("Примечание", [terminal_text(" ".join((r.note or "").split())) for r in rows]),
        ]
    else:
        columns += [
            ("Состояние", [plain_state(r) for r in rows]),
            (
                "Дата",
                [_day(r.replied_at if r.state == Standing.REPLIED else r.sent_at) for r in rows],
            ),
            ("Срок", [deadline_note(r) for r in rows]),
        ]
    widths = [max([len(title), *(len(v) for v in values)]) for title, values in columns]
    widths[0] = max(number_width, 1)
    if not wide:
        # the organization's column takes what the others leave of 80 characters
        others = sum(w for i, w in enumerate(widths) if i != 1) + len(GAP) * (len(widths) - 1)
        widths[1] = max(16, min(widths[1], TERMINAL_WIDTH - others))

    def line(cells: list[str]) -> str:
        parts = [cells[0].rjust(widths[0])]
        parts += [_cut(c, w).ljust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return GAP.join(parts).rstrip()

    lines.append(line([title for title, _ in columns]))
    lines.append(line(["─" * w for w in widths]))
    for index in range(len(rows)):
        lines.append(line([values[index] for _, values in columns]))
    if not wide:
        notes = [
            (
                n,
                " — ".join(
                    filter(
                        None,
                        [
                            r.incoming_number and f"вх. № {r.incoming_number}",
                            terminal_text(r.note or ""),
                        ],
                    )
                ),
            )
            for n, r in enumerate(rows, start=1)
        ]
        if any(note for _, note in notes):
            lines.append("")
            lines.append("Примечания:")
            for number, note in notes:
                if note:
                    lines.append(_cut(f"  {number}. {note}", TERMINAL_WIDTH))
    totals = status.totals()
    lines.append("")
    summary = "Итого: " + ", ".join(f"{TOTAL_TITLES[k].lower()} {v}" for k, v in totals.items())
    lines += textwrap.wrap(summary, TERMINAL_WIDTH, subsequent_indent="  ", break_on_hyphens=False)
    if not wide:
        hint = "Все столбцы (адреса, время, как найден ответ, вх. №): добавьте --wide"
        lines += textwrap.wrap(hint, TERMINAL_WIDTH, break_on_hyphens=False)
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
