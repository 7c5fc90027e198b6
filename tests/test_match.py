"""The matching rules on plain data: what went out is handed to the Matcher, which decides and
records nothing (the journal is track's business, tested in test_track.py against real mail)."""

from __future__ import annotations

from mailer.journal.records import Delivery
from mailer.replies.classify import Incoming
from mailer.replies.match import Match, Matcher, Unrelated
from mailer.replies.sources import MailboxPosition
from mailer.states import DeliveryState, MatchedBy, ReplyKind

NUMBER = "02-06/17"


def _delivery(number: int, recipient: str, email: str, letter: str = "week") -> Delivery:
    return Delivery(
        id=number,
        letter=letter,
        recipient_id=recipient,
        emails=(email,),
        message_id=f"<{letter}.{recipient}@mailer.test>",
        state=DeliveryState.SENT,
        attempts=1,
        last_error=None,
        sent_at="2023-10-12T10:00:00",
        updated_at="2023-10-12T10:00:00",
    )


GRYAZI = _delivery(1, "gryazi", "glava@gryazi.example.org")
VOLOVO = _delivery(2, "volovo", "mo@volovo.example.org")
DANKOV_A = _delivery(3, "dankov-a", "a@dankov.example.org")
DANKOV_B = _delivery(4, "dankov-b", "b@dankov.example.org")
SENT = [GRYAZI, VOLOVO, DANKOV_A, DANKOV_B]


def _matcher() -> Matcher:
    return Matcher({d.message_id: d for d in SENT}, [("week", NUMBER)], SENT)


def _incoming(
    sender: str,
    kind: ReplyKind = ReplyKind.REPLY,
    *,
    subject: str = "Ответ",
    text: str = "",
    thread_ids: tuple[str, ...] = (),
) -> Incoming:
    return Incoming(
        message_id="<in@example.org>",
        sender=sender,
        subject=subject,
        received_at=None,
        kind=kind,
        thread_ids=list(thread_ids),
        text=text,
    )


def test_a_reply_in_the_thread_ties_to_its_delivery() -> None:
    incoming = _incoming("someone@elsewhere.example", thread_ids=(VOLOVO.message_id,))
    assert _matcher().match(incoming) == [Match(ReplyKind.REPLY, "week", VOLOVO, MatchedBy.THREAD)]


def test_the_number_and_the_sender_tie_a_reply() -> None:
    by_address = _incoming(GRYAZI.emails[0], subject="На № 02-06 / 17 от 12.10.2023")
    assert _matcher().match(by_address) == [
        Match(ReplyKind.REPLY, "week", GRYAZI, MatchedBy.NUMBER_AND_SENDER)
    ]
    by_domain = _incoming("secretary@volovo.example.org", text=f"Ответ на письмо № {NUMBER}")
    assert _matcher().match(by_domain) == [
        Match(ReplyKind.REPLY, "week", VOLOVO, MatchedBy.NUMBER_AND_DOMAIN)
    ]


def test_what_does_not_tie_firmly_goes_to_review_for_the_letter() -> None:
    (shared_domain,) = _matcher().match(_incoming("c@dankov.example.org", subject=f"№ {NUMBER}"))
    assert isinstance(shared_domain, Match)
    assert (shared_domain.kind, shared_domain.letter, shared_domain.delivery) == (
        ReplyKind.REVIEW,
        "week",
        None,
    )
    assert "dankov-a" in shared_domain.detail
    assert "dankov-b" in shared_domain.detail


def test_mail_that_concerns_no_letter_is_unrelated_not_a_kind() -> None:
    matcher = _matcher()
    assert matcher.match(_incoming("stranger@example.com")) == [Unrelated()]
    # an automatic answer citing the number from a stranger is dropped, not reviewed
    auto = _incoming("robot@example.com", ReplyKind.AUTO_REPLY, subject=f"Re: № {NUMBER}")
    assert matcher.match(auto) == [Unrelated()]
    (receipt,) = matcher.match(_incoming("x@example.com", ReplyKind.READ_RECEIPT))
    assert isinstance(receipt, Unrelated)
    assert receipt.detail == "уведомление о прочтении чужого письма"


def test_a_mailbox_position_never_moves_back() -> None:
    stored = MailboxPosition(uidvalidity=7, last_uid=10)
    assert stored.covers(MailboxPosition(7, 10))
    assert stored.covers(MailboxPosition(7, 3))
    assert not stored.covers(MailboxPosition(7, 11))
    # the folder renumbered (a new UIDVALIDITY): the new position is saved, even if lower
    assert not stored.covers(MailboxPosition(8, 1))
