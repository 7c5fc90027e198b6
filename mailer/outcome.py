"""What the records of one delivery say: which addresses refused it for good, whether it was
delivered at all, which messages on the review list may be its answer."""

from __future__ import annotations

from mailer.journal import Delivery, ReplyRecord
from mailer.states import ReplyKind


def failed_addresses(records: list[ReplyRecord]) -> set[str] | None:
    """The addresses that refused the letter for good; None when a bounce does not say which
    (one recorded before the journal kept addresses)."""
    failed: set[str] = set()
    for record in records:
        if record.kind != ReplyKind.BOUNCE:
            continue
        if not record.failed_addresses:
            return None
        failed |= {a.lower() for a in record.failed_addresses}
    return failed


def undelivered(delivery: Delivery, records: list[ReplyRecord]) -> bool:
    """Not delivered: every address the letter went to refused it for good."""
    failed = failed_addresses(records)
    if failed is None:
        return True
    return bool(failed) and {e.lower() for e in delivery.emails} <= failed


def review_for(records: list[ReplyRecord], emails: tuple[str, ...]) -> list[ReplyRecord]:
    """Messages on the review list that may be this recipient's answer: from one of their
    addresses, or from their domain."""
    addresses = {e.lower() for e in emails}
    domains = {e.rpartition("@")[2] for e in addresses}
    return [
        r
        for r in records
        if r.kind == ReplyKind.REVIEW
        and r.sender
        and (r.sender in addresses or r.sender.rpartition("@")[2] in domains)
    ]
