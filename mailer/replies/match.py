"""Whose answer is this, to which letter? Strongest evidence first, and never a guess:
1. In-Reply-To / References (or, in a receipt, the original's Message-ID) naming a message we
   sent; a delivery report counts only when it is tied to a delivery (see _match_report);
2. the letter's registration number (in the subject, the text or an attachment's name, however
   spaced or dashed) together with a sender whose address, or else whose domain, belongs to
   exactly one recipient of that letter;
3. anything weaker or ambiguous goes to the review list.

The rules work on plain data: what went out (the deliveries, every Message-ID sent, every number
a letter went out under), given by the caller; they return decisions and record nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mailer.journal.records import Delivery
from mailer.replies.classify import FAILED_ACTION, Bounced, Incoming
from mailer.states import MatchedBy, ReplyKind

# Latin letters that look like Cyrillic ones, as people type registration numbers
_LOOKALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_NOT_ALNUM = re.compile(r"[^0-9A-ZА-ЯЁ]+")
# "№ 17-01/228", "исх. 02-06/1", "на № …": a reference to some letter's number
_ANY_NUMBER = re.compile(r"(?:№|N[o°]?\.?|исх\.?|вх\.?)\s*(\d[\w/\-–—.]*\d)", re.IGNORECASE)


def normalize_number(text: str) -> str:
    """A registration number reduced to its digits and letters, in order: what stays the same
    however its separators were typed, replaced, doubled or dropped."""
    return _NOT_ALNUM.sub("", text.upper().translate(_LOOKALIKES))


# what a separator became on the way: dashes of every kind, "_" for "/" in file names, spaces
_SEPARATORS = r"[\s\-‐‑‒–—―−_/\\.]*"
_CYRILLIC_TO_LATIN = dict(zip("АВСЕНКМОРТХУ", "ABCEHKMOPTXY", strict=True))
_WORD = "0-9A-Za-zА-Яа-яЁё"


def number_pattern(number: str) -> re.Pattern[str]:
    """A registration number as people write it: the same digits and letters in the same order,
    any separators (or none) between them, Latin letters that look like its Cyrillic ones. A
    digit more or less at either end is another number."""
    parts = []
    for char in normalize_number(number):
        if char in _CYRILLIC_TO_LATIN:
            parts.append(f"[{char}{_CYRILLIC_TO_LATIN[char]}]")
        else:
            parts.append(re.escape(char))
    body = _SEPARATORS.join(parts)
    before = rf"(?<![{_WORD}])(?<![{_WORD}][-_/\\])"
    after = rf"(?![{_WORD}])(?![-‐‑‒–—―−_/\\]+[{_WORD}])"
    return re.compile(before + body + after, re.IGNORECASE)


def body_search_term(number: str) -> str | None:
    """What to ask an IMAP server to look for in message texts: the number's longest run of
    digits, which no spacing, dash or look-alike letter changes (None if under three digits)."""
    runs = re.findall(r"\d+", number)
    longest = max(runs, key=len, default="")
    return longest if len(longest) >= 3 else None


@dataclass(frozen=True)
class Match:
    """A message tied to a letter: recorded under KIND, for DELIVERY when it ties to one (a
    message on review ties to the letter only)."""

    kind: ReplyKind
    letter: str
    delivery: Delivery | None
    matched_by: MatchedBy | None
    detail: str = ""
    failed_addresses: tuple[str, ...] = ()  # a bounce: the addresses that refused for good


@dataclass(frozen=True)
class Unrelated:
    """A message that is no one's answer to any letter we sent: not recorded at all."""

    detail: str = ""


# What matching decides about one message, per letter it concerns.
Decision = Match | Unrelated


# RFC 3464 section 2.3.3: what each action means to the person reading the journal
ACTIONS = {
    FAILED_ACTION: "не доставлено",
    "delayed": "доставка задерживается, сервер ещё пытается",
    "delivered": "доставлено",
    "relayed": "передано дальше, без подтверждения доставки",
    "expanded": "передано в список рассылки",
}


def report_words(block: Bounced) -> str:
    """One per-recipient block, with the server's own words."""
    action = ACTIONS.get(block.action, block.action or "действие не указано")
    return f"{block.address}: {action} ({block.status}) {block.diagnostic}".strip()


class Matcher:
    """The rules over what went out: MESSAGE_IDS, every Message-ID sent (letters, reminders)
    to its delivery; NUMBERS, (letter, number) for every number a letter went out under;
    DELIVERIES, every delivery of every letter."""

    def __init__(
        self,
        message_ids: Mapping[str, Delivery],
        numbers: Iterable[tuple[str, str]],
        deliveries: Iterable[Delivery],
    ) -> None:
        self.by_message_id = dict(message_ids)
        numbers = list(numbers)
        self.letters = {letter for letter, _ in numbers}
        self.numbers = {normalize_number(number) for _, number in numbers}
        self.patterns = [(letter, number_pattern(number)) for letter, number in numbers]
        self.deliveries = list(deliveries)
        self.by_address: dict[str, list[Delivery]] = {}
        self.by_domain: dict[tuple[str, str], list[Delivery]] = {}
        for delivery in self.deliveries:
            for address in delivery.emails:
                key = address.lower()
                self.by_address.setdefault(key, []).append(delivery)
                domain = key.rpartition("@")[2]
                group = self.by_domain.setdefault((delivery.letter, domain), [])
                if delivery not in group:
                    group.append(delivery)
        self.domains = {domain for _, domain in self.by_domain}

    # Cheap pre-selection on headers alone, so that only candidates are fetched whole.
    def is_candidate(self, sender: str, subject: str, thread_ids: list[str], ctype: str) -> bool:
        if any(i in self.by_message_id for i in thread_ids):
            return True
        if ctype.lower().startswith("multipart/report"):
            return True
        sender = sender.lower()
        if sender in self.by_address:
            return True
        if sender.rpartition("@")[2] in self.domains:
            return True
        normalized = normalize_number(subject)
        return any(number in normalized for number in self.numbers)

    def _letters_cited(self, incoming: Incoming) -> list[str]:
        haystack = "\n".join([incoming.subject, incoming.text, *incoming.attachment_names])
        cited = [letter for letter, pattern in self.patterns if pattern.search(haystack)]
        return list(dict.fromkeys(cited))

    def _cites_other(self, incoming: Incoming) -> bool:
        ours = self.numbers
        for found in _ANY_NUMBER.findall(" ".join([incoming.subject, incoming.text])):
            if normalize_number(found) not in ours:
                return True
        return False

    def match(self, incoming: Incoming) -> list[Decision]:
        kind = incoming.kind
        if kind == ReplyKind.BOUNCE:
            # a delivery report is judged by its own fields, never by the thread alone
            return self._match_report(incoming)
        for message_id in incoming.thread_ids:
            delivery = self.by_message_id.get(message_id)
            if delivery is not None:
                return [Match(kind, delivery.letter, delivery, MatchedBy.THREAD)]

        if kind == ReplyKind.READ_RECEIPT:
            return [Unrelated("уведомление о прочтении чужого письма")]

        cited = self._letters_cited(incoming)
        sender_deliveries = self.by_address.get(incoming.sender, [])
        if len(cited) > 1:
            return [
                Match(ReplyKind.REVIEW, letter, None, None, "упоминает номера нескольких писем")
                for letter in cited
            ]
        if len(cited) == 1:
            letter = cited[0]
            exact = [d for d in sender_deliveries if d.letter == letter]
            if len(exact) == 1:
                return [Match(kind, letter, exact[0], MatchedBy.NUMBER_AND_SENDER)]
            same_domain = self.by_domain.get((letter, incoming.sender_domain), [])
            if len(exact) == 0 and len(same_domain) == 1:
                return [Match(kind, letter, same_domain[0], MatchedBy.NUMBER_AND_DOMAIN)]
            if kind == ReplyKind.AUTO_REPLY:
                return [Unrelated()]
            if len(same_domain) > 1:
                reason = (
                    f"домен {incoming.sender_domain} у нескольких получателей "
                    f"({', '.join(d.recipient_id for d in same_domain)})"
                )
            else:
                reason = "номер письма указан, но отправитель не из списка получателей"
            return [Match(ReplyKind.REVIEW, letter, None, None, reason)]

        if kind == ReplyKind.AUTO_REPLY:
            if len(sender_deliveries) == 1:
                delivery = sender_deliveries[0]
                return [Match(kind, delivery.letter, delivery, MatchedBy.SENDER)]
            return [Unrelated()]
        if sender_deliveries:
            reason = (
                "ссылается на другое письмо"
                if self._cites_other(incoming)
                else "от получателя, но без ссылки на письмо"
            )
            letters = dict.fromkeys(d.letter for d in sender_deliveries)
            return [Match(ReplyKind.REVIEW, letter, None, None, reason) for letter in letters]
        return [Unrelated()]

    def _match_report(self, incoming: Incoming) -> list[Decision]:
        """A delivery status report (RFC 3464) counts for a delivery only when tied to it: the
        reported address is one this delivery went to, and the returned headers carry its
        Message-ID, or, with no headers returned, the address belongs to one delivery only.
        Our X-Mailer headers can be copied by anyone and prove nothing. A permanent failure
        that does not tie goes to the review list; other reports that do not tie are dropped."""
        returned = [self.by_message_id[i] for i in incoming.returned_ids if i in self.by_message_id]
        tied: dict[int, tuple[Delivery, list[Bounced]]] = {}
        untied: list[Bounced] = []
        for block in incoming.bounced:
            addresses = {a for a in (block.address, block.original_address) if a}
            delivery = None
            if returned:
                owners = [d for d in returned if addresses & {e.lower() for e in d.emails}]
                delivery = owners[0] if owners else None
            elif not incoming.has_returned_headers:
                owners = list(
                    {d.id: d for a in addresses for d in self.by_address.get(a, [])}.values()
                )
                delivery = owners[0] if len(owners) == 1 else None
            if delivery is None:
                untied.append(block)
            else:
                tied.setdefault(delivery.id, (delivery, []))[1].append(block)
        how = MatchedBy.RETURNED_HEADERS if returned else MatchedBy.BOUNCED_ADDRESS
        matches: list[Decision] = []
        for delivery, blocks in tied.values():
            failed = [b for b in blocks if b.permanent_failure]
            detail = "; ".join(report_words(b) for b in blocks)
            if failed:
                refused = tuple(dict.fromkeys(b.address for b in failed))
                matches.append(
                    Match(ReplyKind.BOUNCE, delivery.letter, delivery, how, detail, refused)
                )
            else:
                matches.append(Match(ReplyKind.NOTICE, delivery.letter, delivery, how, detail))
        failures = [b for b in untied if b.permanent_failure]
        if failures:
            detail = "отчёт о недоставке не удалось связать с отправленным письмом: " + "; ".join(
                report_words(b) for b in failures
            )
            for letter in self._letters_of_report(incoming, failures):
                matches.append(Match(ReplyKind.REVIEW, letter, None, None, detail))
        return matches or [Unrelated()]

    def _letters_of_report(self, incoming: Incoming, blocks: list[Bounced]) -> list[str]:
        """Which letters an untied failure report seems to be about, to put it on their review
        lists: by the addresses it names, the headers it returns, or the number it cites."""
        letters = [d.letter for b in blocks for d in self.by_address.get(b.address, [])]
        letters += [
            self.by_message_id[i].letter for i in incoming.thread_ids if i in self.by_message_id
        ]
        claimed = incoming.returned_headers.get("X-Mailer-Letter", "")
        if claimed in self.letters:
            letters.append(claimed)
        letters += self._letters_cited(incoming)
        return list(dict.fromkeys(letters))
