"""The letter as the journal knows it: its identity (registration number and date, and its
folder), its versions, and the recipients as they were addressed when it was sent."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailer.errors import InputError
from mailer.journal import Delivery, Journal, open_journal
from mailer.journal.engine import describe
from mailer.letter import BODY_TEMPLATE, Letter, load_letter
from mailer.recipients import Recipient, RecipientList
from mailer.replies.match import normalize_number
from mailer.russian import date_numeric
from mailer.settings import Settings

if TYPE_CHECKING:
    from mailer.render import Addressing

EMAIL_TEMPLATE = "email.j2"  # as mailer.render names it; not imported, to keep reads light

# Deliveries whose letter went out, or may have: an edit after them is a new version.
WENT_OUT = ("sending", "sent", "uncertain", "bounced", "replied")


def find_letter_key(journal: Journal, letter: Letter) -> str | None:
    """The letter's key in the journal: the same registration number and date, however the
    number's separators are typed; else the same folder (its number or date was edited: a new
    version); else, for letters recorded before folders were, the same folder name."""
    reg = letter.settings.registration
    number, date = normalize_number(reg.number), reg.date.isoformat()
    folder = str(letter.folder.resolve())
    index = journal.letters_index()
    for key, known_number, known_date, _ in index:
        if normalize_number(known_number) == number and known_date == date:
            return key
    for key, _, _, known_folder in index:
        if known_folder == folder:
            return key
    for key, _, _, known_folder in index:
        if known_folder is None and key == letter.key:
            return key
    return None


def new_letter_key(journal: Journal, letter: Letter) -> str:
    """A key for a letter the journal does not know: its folder's name, unless another letter
    already has it (a different letter in a folder of the same name)."""
    taken = {key for key, _, _, _ in journal.letters_index()}
    date = letter.settings.registration.date.isoformat()
    for candidate in (letter.key, f"{letter.key}-{date}"):
        if candidate not in taken:
            return candidate
    number = 2
    while f"{letter.key}-{date}-{number}" in taken:
        number += 1
    return f"{letter.key}-{date}-{number}"


def letter_argument(letter: Letter, letters_dir: Path) -> str:
    """How to name the letter on the command line: its folder's name under the letters folder,
    its path elsewhere (its journal key may differ from both)."""
    folder = letter.folder.resolve()
    return folder.name if folder.parent == letters_dir.resolve() else str(letter.folder)


def as_recorded(letter: Letter, key: str) -> Letter:
    return dataclasses.replace(letter, key=key)


def sent_letter(settings: Settings, letter_name: str, journal: Journal) -> Letter:
    """The letter of this folder as recorded in the journal; an error if it was never sent."""
    letter = load_letter(letter_name, settings.letters_dir)
    key = find_letter_key(journal, letter)
    if key is None or not journal.deliveries(key):
        raise InputError(
            f"Письмо «{letter.key}» ({letter.registration_label}) ещё не отправлялось: "
            f"в журнале {describe(settings.db)} его нет.",
            hint="Сначала отправьте его командой send (или проверьте MAILER_DB).",
        )
    return as_recorded(letter, key)


def open_for_reading(settings: Settings) -> Journal:
    """The journal for a command that only reads: never created by it."""
    return open_journal(settings, create=False)


# Versions


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def letter_facts(letter: Letter) -> dict[str, Any]:
    """What makes a version of the letter: a change in any of these is a new one."""
    s = letter.settings
    texts = {
        name: _sha256(letter.folder / name)
        for name in (BODY_TEMPLATE, EMAIL_TEMPLATE)
        if (letter.folder / name).is_file()
    }
    files = list(letter.attachments)
    facts = {
        "subject": s.subject,
        "email_subject": letter.email_subject,
        "number": s.registration.number,
        "date": s.registration.date.isoformat(),
        "deadline": letter.deadline.isoformat() if letter.deadline else None,
        "text": texts,
        "attachments": {path.name: _sha256(path) for path in files},
    }
    if letter.certificate is not None:
        # the mark the documents carry: the signer's certificate (its .sig files are not the
        # letter: signing again the same documents is the same version)
        facts["signer"] = letter.certificate.serial
    return facts


def fingerprint(facts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _day(value: object) -> str:
    if not isinstance(value, str):
        return "не указан"
    import datetime as dt

    return date_numeric(dt.date.fromisoformat(value))


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between two versions, as the secretary would say it."""
    said = []
    if old.get("subject") != new.get("subject"):
        said.append(f"тема: было «{old.get('subject')}», стало «{new.get('subject')}»")
    # the email's subject is made of the subject and number: said only when it changed alone
    alone = all(old.get(k) == new.get(k) for k in ("subject", "number", "date"))
    if alone and old.get("email_subject") != new.get("email_subject"):
        said.append(
            f"тема электронного письма: было «{old.get('email_subject')}», "
            f"стало «{new.get('email_subject')}»"
        )
    if old.get("number") != new.get("number"):
        said.append(f"номер: был {old.get('number')}, стал {new.get('number')}")
    if old.get("date") != new.get("date"):
        said.append(f"дата: была {_day(old.get('date'))}, стала {_day(new.get('date'))}")
    if old.get("deadline") != new.get("deadline"):
        said.append(
            f"срок ответа: был {_day(old.get('deadline'))}, стал {_day(new.get('deadline'))}"
        )
    old_text, new_text = old.get("text") or {}, new.get("text") or {}
    for name in sorted(set(old_text) | set(new_text)):
        if old_text.get(name) != new_text.get(name):
            said.append(f"текст письма ({name}) изменён")
    if old.get("signer") != new.get("signer"):
        was, now = (
            f"сертификат {v}" if v else "без подписи"
            for v in (old.get("signer"), new.get("signer"))
        )
        said.append(f"электронная подпись: было {was}, стало {now}")
    old_files, new_files = old.get("attachments") or {}, new.get("attachments") or {}
    added = sorted(set(new_files) - set(old_files))
    removed = sorted(set(old_files) - set(new_files))
    edited = sorted(n for n in set(old_files) & set(new_files) if old_files[n] != new_files[n])
    for names, what in ((added, "добавлено"), (removed, "убрано"), (edited, "изменено")):
        if names:
            said.append(f"приложения: {what} {', '.join(names)}")
    return said


# Recipients as addressed


def snapshot(recipient: Recipient, addressing: Addressing | None) -> str:
    """The recipient as the letter addressed them, kept in the journal at send time."""
    return json.dumps(
        {
            "id": recipient.id,
            "emails": list(recipient.emails),
            "full_name": recipient.full_name,
            "position": recipient.position,
            "organization": recipient.organization,
            "gender": recipient.gender,
            "addressee": addressing.addressee if addressing else recipient.addressee,
            "salutation": addressing.salutation if addressing else recipient.salutation,
            "row": recipient.row,
            "extra": dict(recipient.extra),
        },
        ensure_ascii=False,
    )


def recipient_of(delivery: Delivery, listed: dict[str, Recipient] | None = None) -> Recipient:
    """The recipient as recorded; a row from before the journal kept them is filled from the
    list, where it still has them."""
    if delivery.recipient:
        data = json.loads(delivery.recipient)
        return Recipient(
            id=delivery.recipient_id,
            emails=delivery.emails,
            full_name=str(data.get("full_name") or ""),
            position=str(data.get("position") or ""),
            organization=str(data.get("organization") or ""),
            gender=data.get("gender"),
            addressee=data.get("addressee"),
            salutation=data.get("salutation"),
            extra={str(k): str(v) for k, v in (data.get("extra") or {}).items()},
            row=int(data.get("row") or 0),
        )
    known = (listed or {}).get(delivery.recipient_id)
    if known is not None:
        return dataclasses.replace(known, emails=delivery.emails)
    return Recipient(id=delivery.recipient_id, emails=delivery.emails)


def recorded_recipients(
    journal: Journal, letter: Letter, listed: RecipientList | None = None
) -> RecipientList:
    """Who the letter went to, from the journal: the list of record."""
    by_id = {r.id: r for r in listed} if listed is not None else {}
    return RecipientList(
        Path(journal.path),
        tuple(recipient_of(d, by_id) for d in journal.deliveries(letter.key).values()),
    )
