"""Whose answer is this, to which letter? Strongest evidence first, and never a guess:
1. In-Reply-To / References (or, in a bounce or receipt, the original's Message-ID) naming a
   message we sent;
2. the letter's registration number (in the subject, the text or an attachment's name, however
   spaced or dashed) together with a sender whose address, or else whose domain, belongs to
   exactly one recipient of that letter;
3. anything weaker or ambiguous goes to the review list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailer.journal import Delivery, Journal
from mailer.replies.classify import Incoming

_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
# Latin letters that look like Cyrillic ones, as people type registration numbers
_LOOKALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_SPACES = re.compile(r"\s+")
# "№ 17-01/228", "исх. 02-06/1", "на № …": a reference to some letter's number
_ANY_NUMBER = re.compile(r"(?:№|N[o°]?\.?|исх\.?|вх\.?)\s*(\d[\w/\-–—.]*\d)", re.IGNORECASE)


def normalize_number(text: str) -> str:
    return _SPACES.sub("", text.upper().translate(_DASHES).translate(_LOOKALIKES)).replace("_", "/")


_DASH_CLASS = "[-‐‑‒–—―−]"
_CYRILLIC_TO_LATIN = dict(zip("АВСЕНКМОРТХУ", "ABCEHKMOPTXY", strict=True))
_WORD = "0-9A-Za-zА-Яа-яЁё"


def number_pattern(number: str) -> re.Pattern[str]:
    """A registration number as people write it: any spacing, any dash, "_" for "/" (file
    names cannot hold a slash), Latin letters that look like its Cyrillic ones."""
    parts = []
    for char in normalize_number(number):
        if char == "-":
            parts.append(_DASH_CLASS)
        elif char == "/":
            parts.append("[/_]")
        elif char in _CYRILLIC_TO_LATIN:
            parts.append(f"[{char}{_CYRILLIC_TO_LATIN[char]}]")
        else:
            parts.append(re.escape(char))
    body = r"\s*".join(parts)
    return re.compile(rf"(?<![{_WORD}]){body}(?![{_WORD}])", re.IGNORECASE)


def body_search_term(number: str) -> str | None:
    """What to ask an IMAP server to look for in message texts: the number's longest run of
    digits, which no spacing, dash or look-alike letter changes (None if under three digits)."""
    runs = re.findall(r"\d+", number)
    longest = max(runs, key=len, default="")
    return longest if len(longest) >= 3 else None


@dataclass(frozen=True)
class Match:
    kind: str  # reply | auto_reply | bounce | read_receipt | review | unrelated
    letter: str | None
    delivery: Delivery | None
    matched_by: str | None
    detail: str = ""


class Matcher:
    def __init__(self, journal: Journal) -> None:
        self.by_message_id = journal.known_message_ids()
        numbers = journal.letter_numbers()
        self.numbers = {letter: normalize_number(number) for letter, number in numbers.items()}
        self.patterns = {letter: number_pattern(number) for letter, number in numbers.items()}
        self.deliveries = journal.all_deliveries()
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
        return any(number in normalized for number in self.numbers.values())

    def _letters_cited(self, incoming: Incoming) -> list[str]:
        haystack = "\n".join([incoming.subject, incoming.text, *incoming.attachment_names])
        return [letter for letter, pattern in self.patterns.items() if pattern.search(haystack)]

    def _cites_other(self, incoming: Incoming) -> bool:
        ours = set(self.numbers.values())
        for found in _ANY_NUMBER.findall(" ".join([incoming.subject, incoming.text])):
            if normalize_number(found) not in ours:
                return True
        return False

    def match(self, incoming: Incoming) -> list[Match]:
        kind = incoming.kind
        for message_id in incoming.thread_ids:
            delivery = self.by_message_id.get(message_id)
            if delivery is not None:
                return [Match(kind, delivery.letter, delivery, "thread")]

        if kind == "bounce":
            return self._match_bounce(incoming)
        if kind == "read_receipt":
            return [Match("unrelated", None, None, None, "уведомление о прочтении чужого письма")]

        cited = self._letters_cited(incoming)
        sender_deliveries = self.by_address.get(incoming.sender, [])
        if len(cited) > 1:
            return [
                Match("review", letter, None, None, "упоминает номера нескольких писем")
                for letter in cited
            ]
        if len(cited) == 1:
            letter = cited[0]
            exact = [d for d in sender_deliveries if d.letter == letter]
            if len(exact) == 1:
                return [Match(kind, letter, exact[0], "number+sender")]
            same_domain = self.by_domain.get((letter, incoming.sender_domain), [])
            if len(exact) == 0 and len(same_domain) == 1:
                return [Match(kind, letter, same_domain[0], "number+domain")]
            if kind == "auto_reply":
                return [Match("unrelated", None, None, None)]
            if len(same_domain) > 1:
                reason = (
                    f"домен {incoming.sender_domain} у нескольких получателей "
                    f"({', '.join(d.recipient_id for d in same_domain)})"
                )
            else:
                reason = "номер письма указан, но отправитель не из списка получателей"
            return [Match("review", letter, None, None, reason)]

        if kind == "auto_reply":
            if len(sender_deliveries) == 1:
                delivery = sender_deliveries[0]
                return [Match(kind, delivery.letter, delivery, "sender")]
            return [Match("unrelated", None, None, None)]
        if sender_deliveries:
            reason = (
                "ссылается на другое письмо"
                if self._cites_other(incoming)
                else "от получателя, но без ссылки на письмо"
            )
            letters = dict.fromkeys(d.letter for d in sender_deliveries)
            return [Match("review", letter, None, None, reason) for letter in letters]
        return [Match("unrelated", None, None, None)]

    def _match_bounce(self, incoming: Incoming) -> list[Match]:
        letter = incoming.returned_headers.get("X-Mailer-Letter")
        rid = incoming.returned_headers.get("X-Mailer-Recipient")
        if letter and rid:
            for delivery in self.deliveries:
                if delivery.letter == letter and delivery.recipient_id == rid:
                    return [Match("bounce", letter, delivery, "returned headers")]
        matches = []
        for bounced in incoming.bounced:
            if not bounced.status.startswith("5"):
                continue  # a delay notice, not a failure
            candidates = self.by_address.get(bounced.address, [])
            if len(candidates) == 1:
                delivery = candidates[0]
                matches.append(Match("bounce", delivery.letter, delivery, "bounced address"))
        return matches or [Match("unrelated", None, None, None)]
