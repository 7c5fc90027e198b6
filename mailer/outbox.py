"""The outgoing stream: a bounded queue between building messages and a few reused SMTP
connections, with retries, pacing, and every state change written through the message's ledger.

Used by the letter (campaign) and by the reminders alike.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

import aiosmtplib

from mailer import smtp
from mailer.errors import JournalError, MailerError, ServerError
from mailer.failsafe import leaves
from mailer.imap import SentCopier
from mailer.settings import Settings

log = logging.getLogger("mailer.outbox")


class Ledger(Protocol):
    # sending() is the one change that must survive a power cut: it is written durably
    # (GroupCommit.write(..., durable=True)), the journal refusing it in an unsynced batch
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
# the journal's batch(durable): one transaction for the changes made inside it
Batch = Callable[[bool], AbstractContextManager[None]]


class GroupCommit:
    """The connections' journal writes, gathered: whatever is waiting when the event loop
    comes round is committed in one transaction, synced to disk once if any change must
    survive a power cut (a "sending" mark). Each writer goes on only once its change is
    committed, so every promise of the ledger holds; the letters just share the sync."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.pending: list[tuple[Callable[[], None], bool, asyncio.Future[None]]] = []

    async def write(self, change: Callable[[], None], durable: bool = False) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((change, durable, future))
        if len(self.pending) == 1:
            loop.call_soon(self.flush)
        await future

    def write_now(self, change: Callable[[], None]) -> None:
        """For a task being cancelled, which cannot wait: what is pending, then this."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((change, False, future))
        self.flush()
        if future.done() and not future.cancelled():
            # nobody awaits it: a failure here is the journal's, already reported by the
            # connection that met it first (asyncio would print it as never retrieved)
            future.exception()

    def flush(self) -> None:
        waiting, self.pending = self.pending, []
        if not waiting:
            return
        try:
            with self.batch(any(durable for _, durable, _ in waiting)):
                for change, _, _ in waiting:
                    change()
        except Exception as exc:
            for _, _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, _, future in waiting:
            if not future.done():
                future.set_result(None)


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
    batch: Batch,
) -> None:
    first = await smtp.connect(settings)  # a wrong password or a dead server stops us here
    pacer = smtp.Pacer(settings.smtp_rate_per_minute, settings.smtp_retry_delay)
    # A copy of each sent letter in the mailbox's Sent folder, as a mail client would keep;
    # one IMAP connection behind a small queue, so a slow mailbox never holds letters in memory.
    copier = SentCopier(settings) if settings.imap_configured and settings.imap_save_sent else None
    copies: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
    workers = min(settings.smtp_connections, count)
    # a few dozen letters built ahead (about 2 MB) keep the connections fed between builds
    queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=workers * 16)
    journal = GroupCommit(batch)

    async def produce() -> None:
        try:
            for job in outgoing:
                await queue.put(job)
        except BaseException:
            # Building a letter failed, or the run is stopping: the letters not yet taken stay
            # owed, and every connection hears that there is no more work, even one whose
            # cancellation Python 3.11's asyncio.wait_for swallowed (it would wait on the
            # queue forever, and the run would hang instead of ending with its error).
            while not queue.empty():
                queue.get_nowait()
            for _ in range(workers):
                queue.put_nowait(None)
            raise
        for _ in range(workers):
            await queue.put(None)

    def record(job: Outgoing, outcome: smtp.Outcome, detail: str) -> None:
        rid = job.recipient_id
        log.info("%s <%s>: %s, %s", rid, ", ".join(job.addresses), outcome.value, detail)
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
                pause = min(settings.smtp_retry_delay * 2 ** (attempt - 2), 300)
                log.info(
                    "%s: попытка %s через %s с (%s)", job.recipient_id, attempt, pause, last_error
                )
                await asyncio.sleep(pause)
            if client is None:
                try:
                    client = await smtp.connect(settings)
                except ServerError as exc:
                    last_error = exc.message
                    continue
            await pacer.wait()
            handed_over = False

            async def before_data() -> None:
                nonlocal handed_over
                handed_over = True  # from here a cancel cannot know whether the data went
                await journal.write(ledger.sending, durable=True)

            try:
                result = await smtp.transmit(
                    client, envelope_from, job.addresses, job.data, before_data
                )
            except asyncio.CancelledError:
                if handed_over:
                    journal.write_now(
                        functools.partial(ledger.uncertain, "рассылка прервана во время передачи")
                    )
                raise
            if result.connection_lost:
                client.close()
                client = None
            if result.outcome is smtp.Outcome.SENT:
                await journal.write(functools.partial(ledger.sent, result.detail))
                if copier is not None:
                    await copies.put(job.data)
                pacer.speed_up()
                record(job, result.outcome, result.detail)
                return client
            if result.outcome is smtp.Outcome.FAILED:
                await journal.write(functools.partial(ledger.failed, result.detail))
                record(job, result.outcome, result.detail)
                return client
            if result.outcome is smtp.Outcome.UNCERTAIN:
                await journal.write(functools.partial(ledger.uncertain, result.detail))
                record(job, result.outcome, result.detail)
                return client
            last_error = result.detail
            if handed_over:
                await journal.write(functools.partial(ledger.deferred, last_error))
            if result.too_many:
                pacer.slow_down()
                log.info("сервер просит медленнее: пауза между письмами %.2f с", pacer.interval)
        await journal.write(functools.partial(ledger.deferred, last_error))
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
        raise next(leaves(errors)) from None
    except* sqlite3.Error as errors:
        # the journal failed under a connection (disk full, a read-only or damaged file): the
        # other connections were stopped by the task group; say why in words
        raise JournalError.from_fault(next(leaves(errors)), settings.db) from None
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
    *,
    batch: Batch,
) -> SendSummary:
    summary = SendSummary()
    if count:
        asyncio.run(_send_all(settings, envelope_from, outgoing, count, summary, progress, batch))
    return summary
