"""Every state the journal stores and every kind of message it records, named once.

The journal's CHECK constraints are made from these enums (mailer.journal.schema), and the sets that
rules test against (owed, in doubt, answered) are defined here and nowhere else. A StrEnum
member is its string, so rows read back compare equal to the members without conversion.
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryState(StrEnum):
    """Where one message (a letter or a reminder) stands with the server. Stored."""

    PENDING = "pending"  # recorded, not yet handed over
    SENDING = "sending"  # committed before the data went to the server; the answer not yet in
    SENT = "sent"  # the server accepted it
    FAILED = "failed"  # the server refused it for good
    UNCERTAIN = "uncertain"  # handed over, the answer lost: sent again only when asked


# Sent by a plain run: nothing went out, or the server refused it.
OWED = frozenset({DeliveryState.PENDING, DeliveryState.FAILED})
# It may have gone out: sent again only with the user's word.
IN_DOUBT = frozenset({DeliveryState.SENDING, DeliveryState.UNCERTAIN})
# The letter went out, or may have: an edit after it is a new version.
WENT_OUT = frozenset({DeliveryState.SENDING, DeliveryState.SENT, DeliveryState.UNCERTAIN})


class ReplyKind(StrEnum):
    """What a message in the mailbox (or an answer entered by hand) was to a letter. Stored."""

    REPLY = "reply"
    AUTO_REPLY = "auto_reply"  # never counted as an answer
    BOUNCE = "bounce"  # a delivery report of failure (Action: failed, 5.x.x)
    READ_RECEIPT = "read_receipt"
    REVIEW = "review"  # may be an answer: a person decides
    MANUAL = "manual"  # an answer that came another way, entered with `mailer mark`
    NOTICE = "notice"  # a delivery report that is not a failure: kept, never a state


# The kinds that count as the recipient's answer.
ANSWERS = frozenset({ReplyKind.REPLY, ReplyKind.MANUAL})


class Mark(StrEnum):
    """Changes recorded by hand beside the states and kinds above. Stored in events."""

    MANUAL_REVOKED = "manual_revoked"  # an answer marked by hand, undone
    REVIEW_DISMISSED = "review_dismissed"  # messages on the review list: not an answer
    REVIEW_ACCEPTED = "review_accepted"  # a message on the review list: the answer
    BOUNCE_REVOKED = "bounce_revoked"  # a bounce recorded wrongly: the letter did arrive


# What an event row's state column holds.
EventKind = DeliveryState | ReplyKind | Mark


class Standing(StrEnum):
    """Where a recipient stands, as `status` and the reports say it. Derived, never stored:
    a delivery not (known to be) sent stands in its state, hence the same five words first."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    BOUNCED = "bounced"
    REPLIED = "replied"
    REVIEW = "review"


# Sent and accepted, no answer yet (an unjudged message does not count as one).
AWAITING = frozenset({Standing.SENT, Standing.REVIEW})
# Not delivered to the server, or not known to be.
NOT_SENT = frozenset({Standing.PENDING, Standing.FAILED, Standing.UNCERTAIN})


# Every value an event row may hold (the events' CHECK): no two enums share one.
EVENT_KINDS: dict[str, EventKind] = {
    kind.value: kind for enum in (DeliveryState, ReplyKind, Mark) for kind in enum
}


def event_kind(value: str) -> EventKind:
    """An event row's state as its member."""
    return EVENT_KINDS[value]


class MatchedBy(StrEnum):
    """How an answer or a report was tied to its letter. Stored in replies, without a CHECK:
    the words are the matcher's."""

    THREAD = "thread"  # In-Reply-To / References name a message we sent
    NUMBER_AND_SENDER = "number+sender"  # the letter's number, from the recipient's address
    NUMBER_AND_DOMAIN = "number+domain"  # the letter's number, from the recipient's domain
    RETURNED_HEADERS = "returned headers"  # a bounce quoting our message's headers
    BOUNCED_ADDRESS = "bounced address"  # a bounce naming the address it refused
    SENDER = "sender"  # from the recipient's address alone
    MANUAL = "manual"  # marked by hand (`mailer mark`)
    REVIEW = "review"  # accepted from the review list
    UNREADABLE = "unreadable"  # set aside because it cannot be read


# Did not arrive, or is not known to have: marked as such in the XLSX summary.
NOT_ARRIVED = frozenset({Standing.BOUNCED, Standing.FAILED, Standing.UNCERTAIN})
