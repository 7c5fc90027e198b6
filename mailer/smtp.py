"""Talking to the office's SMTP server: connections, one letter's transaction, pacing.

A letter's transaction is MAIL, RCPT, then DATA. Everything before DATA is safe to retry. The
caller's ``before_data`` hook commits the "sending" state; after that, a definite answer from the
server is recorded as sent, deferred (4xx) or failed (5xx), while a connection lost or timed out
after the server asked for the message (354) leaves the outcome unknown: uncertain, never silently
retried. Lost before the 354, the letter never left and is retried.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiosmtplib

from mailer.errors import ServerError
from mailer.settings import Settings
from mailer.states import DeliveryState
from mailer.system_ru import certificate_problem, connection_problem
from mailer.tls import tls_context

log = logging.getLogger("mailer.smtp")

# Answers by which relays say "too many / too fast": slow down instead of failing anyone.
TOO_MANY_CODES = frozenset({421, 451, 452})
# The slowest pace "too many" answers push us to, unless a slower rate is configured.
MAX_INTERVAL = 2.0


class Outcome(enum.Enum):
    """The server's answer to one attempt. Not a DeliveryState: "deferred" is no state (the
    message is owed still, recorded as pending again), and pending or sending are no answers.
    Where the two meet, the value is the state the journal records."""

    SENT = DeliveryState.SENT
    DEFERRED = "deferred"  # not accepted, temporary: try again
    FAILED = DeliveryState.FAILED  # not accepted, permanent
    UNCERTAIN = DeliveryState.UNCERTAIN  # handed over, answer lost


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str
    code: int | None = None
    connection_lost: bool = False

    @property
    def too_many(self) -> bool:
        return self.code in TOO_MANY_CODES


def _describe(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


async def connect(settings: Settings) -> aiosmtplib.SMTP:
    """An open, authenticated connection, or a ServerError saying plainly what went wrong."""
    settings.check_auth_is_safe()
    host, port = settings.smtp_host, settings.smtp_port_effective
    where = f"{host}:{port}"
    client_class = aiosmtplib.SMTP
    if log.isEnabledFor(logging.DEBUG):  # --verbose: the dialogue goes to the transcript
        from mailer.transcript import LoggedSMTP

        client_class = LoggedSMTP
    client = client_class(
        hostname=host,
        port=port,
        use_tls=settings.smtp_security == "tls",
        start_tls=settings.smtp_security == "starttls",
        tls_context=tls_context(settings.smtp_ca_file, settings.smtp_verify_cert)
        if settings.smtp_security != "none"
        else None,
        timeout=settings.smtp_timeout,
        local_hostname=settings.smtp_helo_name,
    )
    try:
        await client.connect()
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            await client.login(settings.smtp_username, password)
    except aiosmtplib.SMTPAuthenticationError as exc:
        client.close()
        raise ServerError(
            f"Сервер {where} не принял имя пользователя или пароль ({exc.code}).",
            hint="Проверьте MAILER_SMTP_USERNAME и MAILER_SMTP_PASSWORD. Ничего не отправлено.",
        ) from None
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
        client.close()
        certificate = certificate_problem(exc)
        if certificate:
            raise ServerError(
                f"Сертификат сервера {where} не прошёл проверку: {certificate}.",
                hint="Обычно это значит, что адрес сервера указан неверно или у сервера "
                "сертификат организации: тогда укажите файл её удостоверяющего центра в "
                "MAILER_SMTP_CA_FILE. Ничего не отправлено.",
            ) from None
        raise ServerError(
            f"Не удалось связаться с почтовым сервером {where}: {connection_problem(exc)}.",
            hint="Проверьте MAILER_SMTP_HOST, MAILER_SMTP_PORT и MAILER_SMTP_SECURITY, "
            "и что сервер работает. Ничего не отправлено.",
        ) from None
    return client


async def transmit(
    client: aiosmtplib.SMTP,
    envelope_from: str,
    recipients: Sequence[str],
    data: bytes,
    before_data: Callable[[], Awaitable[None]],
) -> Result:
    """One letter's SMTP transaction."""
    try:
        try:
            await client.mail(envelope_from)
        except aiosmtplib.SMTPSenderRefused as exc:
            if exc.code >= 500:
                raise ServerError(
                    f"Сервер отказался принимать письма от адреса {envelope_from}: "
                    f"{_describe(exc)}.",
                    hint="Проверьте MAILER_SENDER: обычно адрес отправителя должен совпадать с "
                    "учётной записью на сервере.",
                ) from None
            return Result(Outcome.DEFERRED, _describe(exc), exc.code)
        accepted: list[str] = []
        refused: list[tuple[str, aiosmtplib.SMTPRecipientRefused]] = []
        for address in recipients:
            try:
                await client.rcpt(address)
                accepted.append(address)
            except aiosmtplib.SMTPRecipientRefused as exc:
                refused.append((address, exc))
        refusals = "; ".join(f"{addr}: {_describe(exc)}" for addr, exc in refused)
        if not accepted:
            await client.rset()
            temporary = [exc for _, exc in refused if exc.code < 500]
            if temporary:
                return Result(Outcome.DEFERRED, refusals, temporary[0].code)
            return Result(Outcome.FAILED, refusals, refused[0][1].code)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        return Result(
            Outcome.DEFERRED,
            f"соединение прервано: {connection_problem(exc)}",
            connection_lost=True,
        )
    except aiosmtplib.SMTPResponseException as exc:
        return Result(
            Outcome.DEFERRED if exc.code < 500 else Outcome.FAILED,
            _describe(exc),
            exc.code,
            connection_lost=exc.code == 421,
        )

    await before_data()
    try:
        response = await _data(client, data)
    except _NotHandedOver as lost:
        # the connection went before the server asked for the message: it cannot have it
        return Result(
            Outcome.DEFERRED,
            f"соединение прервано до передачи письма: {connection_problem(lost.__cause__ or lost)}",
            connection_lost=True,
        )
    except aiosmtplib.SMTPDataError as exc:
        outcome = Outcome.DEFERRED if exc.code < 500 else Outcome.FAILED
        return Result(outcome, _describe(exc), exc.code, connection_lost=exc.code == 421)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        return Result(
            Outcome.UNCERTAIN,
            "соединение прервалось во время передачи письма, ответ сервера не получен: "
            f"{connection_problem(exc)}",
            connection_lost=True,
        )
    detail = f"{response.code} {response.message}".strip()
    if refused:
        detail += f" (не приняты адреса: {refusals})"
    return Result(Outcome.SENT, detail, response.code)


_DOT_LINE = re.compile(rb"\n\.")


def wire_ready(data: bytes) -> bool:
    """True when every line ends in CRLF and none starts with a dot: the bytes can go after
    DATA as they are (RFC 5321 4.5.2). Byte counts and one literal search: about 60 µs for a
    letter, against 500 µs for mending it."""
    lines = data.count(b"\n")
    return (
        data.endswith(b"\r\n")
        and not data.startswith(b".")
        and data.count(b"\r") == lines
        and data.count(b"\r\n") == lines
        and _DOT_LINE.search(data) is None
    )


class _NotHandedOver(Exception):
    """The connection failed between DATA and the server's 354: not a byte of the letter left."""


async def _data(client: aiosmtplib.SMTP, data: bytes) -> aiosmtplib.SMTPResponse:
    """DATA, then the message as it is when it is already wire-ready.

    aiosmtplib's data() runs two regular expressions over every message to mend line endings
    and escape leading dots: about half a millisecond for a 50 KB letter, a quarter of our
    time per letter. MessageFactory's bytes need neither (CRLF throughout, base64 bodies), so
    they are checked with a few byte counts and written directly; anything else goes through
    data(). Sending DATA ourselves also tells a connection lost before the 354 (the letter
    never left: retried) from one lost after it (the outcome is unknown)."""
    protocol = client.protocol
    if log.isEnabledFor(logging.DEBUG):
        log.debug("C: DATA и текст письма, %s байт", len(data))
    if protocol is None or not wire_ready(data):
        response = await client.data(data)
        log.debug("S: %s %s", response.code, response.message)
        return response
    try:
        start = await client.execute_command(b"DATA")
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
        raise _NotHandedOver from exc
    if start.code != 354:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    try:
        protocol.write(data + b".\r\n")
        response = await protocol.read_response(timeout=client.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
        client.close()  # as data() does: the conversation is out of step
        raise
    log.debug("S: %s %s", response.code, response.message)
    if response.code != 250:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    return response


class Pacer:
    """Spaces out sends across all connections: a configured rate, slowed down on "too many"."""

    def __init__(self, per_minute: float | None, base_delay: float) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.configured_interval = self.interval
        self.base_delay = base_delay
        self._next = 0.0
        self._lock = asyncio.Lock()
        self.slowdowns = 0

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = now + self.interval

    def slow_down(self) -> None:
        """Half again as slow, up to one message every MAX_INTERVAL seconds, after a pause."""
        self.slowdowns += 1
        ceiling = max(MAX_INTERVAL, self.configured_interval)
        self.interval = min(max(self.interval * 1.5, 0.05), ceiling)
        self._next = max(self._next, time.monotonic() + self.base_delay)

    def speed_up(self) -> None:
        """Each accepted message brings the pace back towards the configured one."""
        if self.interval > self.configured_interval:
            self.interval *= 0.8
            if self.interval < max(self.configured_interval * 1.05, 0.01):
                self.interval = self.configured_interval
