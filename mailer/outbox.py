"""The outgoing stream: a bounded queue between building messages and a few reused SMTP
connections, with retries, pacing, and every state change written through the message's ledger.

Used by the letter (campaign) and by the reminders alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import aiosmtplib

from mailer import smtp
from mailer.errors import MailerError, ServerError
from mailer.imap import SentCopier
from mailer.settings import Settings


class Ledger(Protocol):
    def sending(self) -> None: ...
    def sent(self, response: str) -> None: ...
    def failed(self, error: str) -> None: ...
    def deferred(self, error: str) -> None: ...
    def uncertain(self, error: str) -> None: ...


@dataclass(frozen=True)
class Outgoing:
    recipient_id: str
    addresses: tuple[str, ...]
    data: bytes
    ledger: Ledger


ProgressCallback = Callable[[str, smtp.Outcome], None]


@dataclass
class SendSummary:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    slowdowns: int = 0
    copies_stored: int = 0
    copy_errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.failed or self.deferred or self.uncertain)


async def _send_all(
    settings: Settings,
    envelope_from: str,
    outgoing: Iterator[Outgoing],
    count: int,
    summary: SendSummary,
    progress: ProgressCallback | None,
) -> None:
    first = await smtp.connect(settings)  # a wrong password or a dead server stops us here
    pacer = smtp.Pacer(settings.smtp_rate_per_minute, settings.smtp_retry_delay)
    # A copy of each sent letter in the mailbox's Sent folder, as a mail client would keep;
    # one IMAP connection behind a small queue, so a slow mailbox never holds letters in memory.
    copier = SentCopier(settings) if settings.imap_configured and settings.imap_save_sent else None
    copies: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
    workers = min(settings.smtp_connections, count)
    queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=workers * 2)

    async def produce() -> None:
        for job in outgoing:
            await queue.put(job)
        for _ in range(workers):
            await queue.put(None)

    def record(job: Outgoing, outcome: smtp.Outcome, detail: str) -> None:
        rid = job.recipient_id
        if outcome is smtp.Outcome.SENT:
            summary.sent.append(rid)
        elif outcome is smtp.Outcome.FAILED:
            summary.failed.append((rid, detail))
        elif outcome is smtp.Outcome.UNCERTAIN:
            summary.uncertain.append((rid, detail))
        else:
            summary.deferred.append((rid, detail))
        if progress is not None:
            progress(rid, outcome)

    async def deliver(job: Outgoing, client: aiosmtplib.SMTP | None) -> aiosmtplib.SMTP | None:
        ledger = job.ledger
        last_error = ""
        for attempt in range(1, settings.smtp_max_attempts + 1):
            if attempt > 1:
                await asyncio.sleep(min(settings.smtp_retry_delay * 2 ** (attempt - 2), 300))
            if client is None:
                try:
                    client = await smtp.connect(settings)
                except ServerError as exc:
                    last_error = exc.message
                    continue
            await pacer.wait()
            handed_over = False

            def before_data() -> None:
                nonlocal handed_over
                ledger.sending()
                handed_over = True

            try:
                result = await smtp.transmit(
                    client, envelope_from, job.addresses, job.data, before_data
                )
            except asyncio.CancelledError:
                if handed_over:
                    ledger.uncertain("рассылка прервана во время передачи")
                raise
            if result.connection_lost:
                client.close()
                client = None
            if result.outcome is smtp.Outcome.SENT:
                ledger.sent(result.detail)
                if copier is not None:
                    await copies.put(job.data)
                pacer.speed_up()
                record(job, result.outcome, result.detail)
                return client
            if result.outcome is smtp.Outcome.FAILED:
                ledger.failed(result.detail)
                record(job, result.outcome, result.detail)
                return client
            if result.outcome is smtp.Outcome.UNCERTAIN:
                ledger.uncertain(result.detail)
                record(job, result.outcome, result.detail)
                return client
            last_error = result.detail
            if handed_over:
                ledger.deferred(last_error)
            if result.too_many:
                pacer.slow_down()
        ledger.deferred(last_error)
        record(job, smtp.Outcome.DEFERRED, last_error)
        return client

    async def work(client: aiosmtplib.SMTP | None, index: int) -> None:
        if client is None:
            try:
                client = await smtp.connect(settings)
            except ServerError:
                if index > 0:
                    return  # the server takes fewer parallel connections: use the ones we have
                raise
        try:
            while (job := await queue.get()) is not None:
                client = await deliver(job, client)
        finally:
            if client is not None:
                try:
                    await asyncio.wait_for(client.quit(), timeout=5)
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    client.close()

    async def store_copies() -> None:
        assert copier is not None
        while (data := await copies.get()) is not None:
            await asyncio.to_thread(copier.append, data)
        await asyncio.to_thread(copier.close)

    try:
        async with asyncio.TaskGroup() as outer:
            if copier is not None:
                outer.create_task(store_copies())
            async with asyncio.TaskGroup() as group:
                group.create_task(produce())
                for index in range(workers):
                    group.create_task(work(first if index == 0 else None, index))
            await copies.put(None)
    except* MailerError as errors:
        raise errors.exceptions[0] from None
    summary.slowdowns = pacer.slowdowns
    if copier is not None:
        summary.copies_stored = copier.stored
        summary.copy_errors = copier.errors


def send_stream(
    settings: Settings,
    envelope_from: str,
    outgoing: Iterator[Outgoing],
    count: int,
    progress: ProgressCallback | None = None,
) -> SendSummary:
    summary = SendSummary()
    if count:
        asyncio.run(_send_all(settings, envelope_from, outgoing, count, summary, progress))
    return summary
