"""Who a send goes to: the letter compared with what the journal knows of it, each recipient
sorted (to send, already sent, in doubt, a corrected address), and nothing sent until the plan
is confirmed. A letter edited after it went out is refused unless a new version is asked for.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailer.campaign import Prepared, prepare
from mailer.errors import InputError
from mailer.journal import Delivery, ReplyRecord, journal_exists, open_journal
from mailer.letter import Letter, load_letter
from mailer.outcome import undelivered
from mailer.recipients import Recipient
from mailer.record import (
    as_recorded,
    changes,
    find_letter_key,
    fingerprint,
    letter_facts,
    new_letter_key,
)
from mailer.russian import date_numeric
from mailer.settings import Settings
from mailer.signing import require_signatures
from mailer.states import IN_DOUBT, OWED, WENT_OUT, DeliveryState


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


@dataclass
class _Known:
    """What the journal knows of the letter before the send."""

    key: str
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    records: list[ReplyRecord] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # since the version last sent
    sent_from: str | None = None  # the folder it was sent from


def _known(settings: Settings, letter: Letter, facts: dict[str, Any]) -> _Known:
    if not journal_exists(settings):
        return _Known(letter.key)
    with open_journal(settings, create=False) as journal:
        key = find_letter_key(journal, letter) or new_letter_key(journal, letter)
        journal.check_free(key)  # another run's "sending" rows are in flight: say who
        known = _Known(key, journal.deliveries(key), journal.replies(key))
        versions = journal.letter_versions(key)
        if versions and versions[-1][1] != fingerprint(facts):
            known.changed = changes(json.loads(versions[-1][2]), facts)
        known.sent_from = {k: f for k, _, _, f in journal.letters_index()}.get(key)
    return known


def _refuse_a_silent_change(letter: Letter, known: _Known, new_version: bool) -> None:
    went_out = any(d.state in WENT_OUT for d in known.deliveries.values())
    if not known.changed or new_version or not went_out:
        return
    reg = letter.settings.registration
    elsewhere = known.sent_from is not None and known.sent_from != str(letter.folder.resolve())
    raise LetterChanged(
        (
            f"Письмо № {reg.number} от {reg.date:%d.%m.%Y} уже отправлялось из другой "
            f"папки ({known.sent_from}), и в папке «{letter.key}» оно не такое:\n"
            if elsewhere
            else f"Письмо «{letter.key}» уже отправлялось, а с тех пор в нём изменилось:\n"
        )
        + "\n".join(f"  {line}" for line in known.changed),
        hint="Письмо узнаётся по регистрационному номеру и дате. Если это исправленная "
        "редакция того же письма, отправьте её ключом --new-version: журнал запомнит, кто "
        "какую редакцию получил. Если это другое письмо, дайте ему свой номер и дату "
        "в letter.toml. Ничего не отправлено.",
    )


def _sort(plan: SendPlan, recipient: Recipient, known: _Known, readdress: tuple[str, ...]) -> None:
    """Put one recipient where their delivery's state says."""
    delivery = known.deliveries.get(recipient.id)
    state = delivery.state if delivery else DeliveryState.PENDING
    moved = (
        delivery is not None
        and state not in OWED
        and {e.lower() for e in delivery.emails} != {e.lower() for e in recipient.emails}
    )
    if moved and delivery is not None:
        own = [r for r in known.records if r.delivery_id == delivery.id]
        bounced = undelivered(delivery, own)
        plan.address_changes.append(
            AddressChange(recipient.id, delivery.emails, recipient.emails, bounced)
        )
        if recipient.id in readdress:
            plan.readdress += (recipient.id,)
            plan.to_send.append(recipient)
            return
    if state in OWED or (state in IN_DOUBT and plan.resend_uncertain):
        plan.to_send.append(recipient)
    elif state == DeliveryState.SENDING:
        plan.interrupted.append(recipient.id)
    elif state == DeliveryState.UNCERTAIN:
        plan.uncertain.append(recipient.id)
    else:
        plan.already_sent.append(recipient.id)


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
    known = _known(settings, letter, facts)
    _refuse_a_silent_change(letter, known, new_version)
    prepared = prepare(
        settings, letter_name, recipients, letter=as_recorded(letter, known.key), sheet=sheet
    )
    chosen = prepared.recipients.by_id(only) if only else list(prepared.recipients)
    unknown = set(readdress) - {r.id for r in prepared.recipients}
    if unknown:
        raise InputError(
            f"Для --new-address: получателей {', '.join(sorted(unknown))} нет в списке "
            f"{prepared.recipients.path}."
        )
    plan = SendPlan(prepared, [], [], [], [], resend_uncertain, facts, known.changed)
    plan.deadline_warning = deadline_warning(prepared.letter)
    for recipient in chosen:
        _sort(plan, recipient, known, readdress)
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
