"""The outgoing stream: a bounded queue between building messages and a few reused SMTP
connections, with retries, pacing, every state change written through the message's ledger,
and a copy of each sent letter kept in the mailbox's Sent folder.

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

# a letter handed over when the run was cancelled (Ctrl-C): its answer will never be read
INTERRUPTED_IN_TRANSIT = "рассылка прервана во время передачи"


class Ledger(Protocol):
    """One message's state changes (mailer.journal.ledger); when each is committed is
    JournalWrites' rule."""

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
# the journal's batch(durable): one transaction for the changes made inside it, synced to disk
# when durable
Batch = Callable[[bool], AbstractContextManager[None]]


class JournalWrites:
    """When the send loop's journal writes are committed: the rule by which no letter goes
    twice and none is silently skipped. Here and nowhere else.

    - "sending" is committed, and synced to disk, before the DATA command. A letter may be
      gone from then on, so a crash or a power cut must leave "sending", which the next run
      turns into "uncertain" (sent again only when the user asks), never "pending", which it
      would send again. An unsynced commit could be lost with the letter already gone.
    - An outcome (sent, failed, deferred, uncertain) is committed before its connection goes
      on to the next letter, so a run stopped at any point owes exactly what it says.
    - What the connections write while the event loop comes round is one transaction, synced
      once if any of it is a "sending": with thousands of letters, one sync per letter would
      be the run's bottleneck. Each writer still waits for its own change to be committed, so
      both promises above hold for every letter; the letters only share the commit.
    - A run cancelled (Ctrl-C) while a letter is handed over writes it "uncertain" at once:
      its answer will never be read, and the task cannot wait for the next turn.
    - A commit that fails (disk full, a read-only file, a lost server) fails every writer in
      it: their connections stop, and no letter goes without its "sending" committed.
    """

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.pending: list[tuple[Callable[[], None], bool, asyncio.Future[None]]] = []

    async def sending(self, ledger: Ledger) -> None:
        """Before DATA: committed and synced."""
        await self._write(ledger.sending, durable=True)

    async def outcome(self, change: Callable[[], None]) -> None:
        """The server's answer (or its absence): committed with this turn's others."""
        await self._write(change, durable=False)

    def interrupted(self, ledger: Ledger) -> None:
        """For a task being cancelled, which cannot wait: what is pending, then "uncertain"."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append(
            (functools.partial(ledger.uncertain, INTERRUPTED_IN_TRANSIT), False, future)
        )
        self._flush()
        if future.done() and not future.cancelled():
            # nobody awaits it: a failure here is the journal's, already reported by the
            # connection that met it first (asyncio would print it as never retrieved)
            future.exception()

    async def _write(self, change: Callable[[], None], durable: bool) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((change, durable, future))
        if len(self.pending) == 1:
            loop.call_soon(self._flush)
        await future

    def _flush(self) -> None:
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


class Outbox:
    """One run's send loop: letters built into a bounded queue (produce), taken by a few SMTP
    connections (connection) that deliver each (deliver, hand_over), each outcome recorded in
    the journal, the summary and the progress (record), and a copy of each sent letter stored
    in the Sent folder (store_copies)."""

    def __init__(
        self,
        settings: Settings,
        envelope_from: str,
        count: int,
        progress: ProgressCallback | None,
        batch: Batch,
    ) -> None:
        self.settings = settings
        self.envelope_from = envelope_from
        self.progress = progress
        self.summary = SendSummary()
        self.journal = JournalWrites(batch)
        self.pacer = smtp.Pacer(settings.smtp_rate_per_minute, settings.smtp_retry_delay)
        self.connections = min(settings.smtp_connections, count)
        # a few dozen letters built ahead (about 2 MB) keep the connections fed between builds
        self.queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=self.connections * 16)
        # A copy of each sent letter in the mailbox's Sent folder, as a mail client would keep;
        # one IMAP connection behind a small queue, so a slow mailbox never holds letters in
        # memory.
        saving = settings.imap_configured and settings.imap_save_sent
        self.copier = SentCopier(settings) if saving else None
        self.copies: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)

    async def run(self, outgoing: Iterator[Outgoing]) -> SendSummary:
        first = await smtp.connect(self.settings)  # a wrong password or a dead server stops us
        try:
            async with asyncio.TaskGroup() as outer:
                if self.copier is not None:
                    outer.create_task(self.store_copies())
                async with asyncio.TaskGroup() as group:
                    group.create_task(self.produce(outgoing))
                    for index in range(self.connections):
                        group.create_task(self.connection(first if index == 0 else None, index))
                await self.copies.put(None)
        except* MailerError as errors:
            raise next(leaves(errors)) from None
        except* sqlite3.Error as errors:
            # the journal failed under a connection (disk full, a read-only or damaged file):
            # the other connections were stopped by the task group; say why in words
            raise JournalError.from_fault(next(leaves(errors)), self.settings.db) from None
        self.summary.slowdowns = self.pacer.slowdowns
        if self.copier is not None:
            self.summary.copies_stored = self.copier.stored
            self.summary.copy_errors = self.copier.errors
        return self.summary

    async def produce(self, outgoing: Iterator[Outgoing]) -> None:
        """The letters, built as the connections take them, then an end mark for each."""
        try:
            for job in outgoing:
                await self.queue.put(job)
        except BaseException:
            # Building a letter failed, or the run is stopping: the letters not yet taken stay
            # owed, and every connection hears that there is no more work, even one whose
            # cancellation Python 3.11's asyncio.wait_for swallowed (it would wait on the
            # queue forever, and the run would hang instead of ending with its error).
            while not self.queue.empty():
                self.queue.get_nowait()
            for _ in range(self.connections):
                self.queue.put_nowait(None)
            raise
        for _ in range(self.connections):
            await self.queue.put(None)

    async def connection(self, client: aiosmtplib.SMTP | None, index: int) -> None:
        """One SMTP connection, delivering letters from the queue until its end mark."""
        if client is None:
            try:
                client = await smtp.connect(self.settings)
            except ServerError:
                if index > 0:
                    return  # the server takes fewer parallel connections: use the ones we have
                raise
        try:
            while (job := await self.queue.get()) is not None:
                client = await self.deliver(job, client)
                _stop_if_cancelled()
        finally:
            if client is not None:
                await _quit(client)

    async def deliver(
        self, job: Outgoing, client: aiosmtplib.SMTP | None
    ) -> aiosmtplib.SMTP | None:
        """One letter, tried until the server answers for good or the attempts run out;
        returns the connection to go on with (None once it is lost)."""
        last_error = ""
        for attempt in range(1, self.settings.smtp_max_attempts + 1):
            if attempt > 1:
                pause = min(self.settings.smtp_retry_delay * 2 ** (attempt - 2), 300)
                log.info(
                    "%s: попытка %s через %s с (%s)", job.recipient_id, attempt, pause, last_error
                )
                await asyncio.sleep(pause)
            if client is None:
                try:
                    client = await smtp.connect(self.settings)
                except ServerError as exc:
                    last_error = exc.message
                    continue
            await self.pacer.wait()
            result = await self.hand_over(job, client)
            if result.connection_lost:
                client.close()
                client = None
            if result.outcome is not smtp.Outcome.DEFERRED:
                await self.record(job, result.outcome, result.detail)
                return client
            last_error = result.detail
            if result.too_many:
                self.pacer.slow_down()
                log.info(
                    "сервер просит медленнее: пауза между письмами %.2f с", self.pacer.interval
                )
        await self.record(job, smtp.Outcome.DEFERRED, last_error)
        return client

    async def hand_over(self, job: Outgoing, client: aiosmtplib.SMTP) -> smtp.Result:
        """One SMTP transaction, with the journal's marks around its DATA (JournalWrites)."""
        handed_over = False

        async def before_data() -> None:
            nonlocal handed_over
            _stop_if_cancelled()  # not a byte of the letter has left: it stays owed
            handed_over = True  # from here a cancel cannot know whether the data went
            await self.journal.sending(job.ledger)

        try:
            result = await smtp.transmit(
                client, self.envelope_from, job.addresses, job.data, before_data
            )
        except asyncio.CancelledError:
            if handed_over:
                self.journal.interrupted(job.ledger)
            raise
        if handed_over and result.outcome is smtp.Outcome.DEFERRED:
            # refused for now after "sending": owed again at once, whatever the retries do
            await self.journal.outcome(functools.partial(job.ledger.deferred, result.detail))
        return result

    async def record(self, job: Outgoing, outcome: smtp.Outcome, detail: str) -> None:
        """A letter's last word: in the journal (before its connection goes on), the Sent
        folder's queue, the summary and the progress."""
        rid, ledger = job.recipient_id, job.ledger
        change = {
            smtp.Outcome.SENT: ledger.sent,
            smtp.Outcome.FAILED: ledger.failed,
            smtp.Outcome.UNCERTAIN: ledger.uncertain,
            smtp.Outcome.DEFERRED: ledger.deferred,
        }[outcome]
        await self.journal.outcome(functools.partial(change, detail))
        log.info("%s <%s>: %s, %s", rid, ", ".join(job.addresses), outcome.value, detail)
        if outcome is smtp.Outcome.SENT:
            if self.copier is not None:
                await self.copies.put(job.data)
            self.pacer.speed_up()
            self.summary.sent.append(rid)
        else:
            unsent = {
                smtp.Outcome.FAILED: self.summary.failed,
                smtp.Outcome.UNCERTAIN: self.summary.uncertain,
                smtp.Outcome.DEFERRED: self.summary.deferred,
            }[outcome]
            unsent.append((rid, detail))
        if self.progress is not None:
            self.progress(rid, outcome)

    async def store_copies(self) -> None:
        """Each sent letter appended to the Sent folder, one at a time, off the event loop."""
        assert self.copier is not None
        while (data := await self.copies.get()) is not None:
            await asyncio.to_thread(self.copier.append, data)
        await asyncio.to_thread(self.copier.close)


def _stop_if_cancelled() -> None:
    """Honour a cancellation that was swallowed. Python 3.11's asyncio.wait_for, which
    aiosmtplib awaits every answer with, returns the answer instead of raising when it arrives
    in the same turn as the cancel; the request stays counted on the task. Without this, a
    connection stopped by Ctrl-C or by another connection's error would go on with the letters
    already queued."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await asyncio.wait_for(client.quit(), timeout=5)
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()


def send_stream(
    settings: Settings,
    envelope_from: str,
    outgoing: Iterator[Outgoing],
    count: int,
    progress: ProgressCallback | None = None,
    *,
    batch: Batch,
) -> SendSummary:
    if not count:
        return SendSummary()
    return asyncio.run(Outbox(settings, envelope_from, count, progress, batch).run(outgoing))
