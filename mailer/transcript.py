"""The --verbose transcript for the IT person: the SMTP and IMAP dialogue and the program's
decisions, written with the standard logging module to a file under MAILER_LOG_DIR.

Nothing is logged unless asked: the core logs at INFO and DEBUG only, which no handler shows by
default. Passwords never reach the file: the clients log AUTH and LOGIN with the credentials
replaced by ***, and the file's handler masks any password, or its base64 forms, that would
still appear.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosmtplib

from mailer.errors import ConfigError
from mailer.files import free_name
from mailer.settings import Settings

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

LOGGER = "mailer"
smtp_log = logging.getLogger("mailer.smtp")
imap_log = logging.getLogger("mailer.imap")
MASK = "***"


def _secret_forms(settings: Settings) -> list[str]:
    """The passwords as they could appear in a dialogue: plain, and base64 as AUTH PLAIN and
    AUTH LOGIN carry them."""
    forms: list[str] = []
    pairs = [
        (settings.smtp_username or "", settings.smtp_password),
        (settings.imap_username or "", settings.imap_password),
    ]
    for user, secret in pairs:
        if secret is None or not secret.get_secret_value():
            continue
        password = secret.get_secret_value()
        forms.append(password)
        for raw in (
            password.encode(),
            b"\0" + user.encode() + b"\0" + password.encode(),
            user.encode() + b"\0" + user.encode() + b"\0" + password.encode(),
        ):
            forms.append(base64.b64encode(raw).decode("ascii"))
    return sorted(set(forms), key=len, reverse=True)


class _MaskSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            for secret in self.secrets:
                text = text.replace(secret, MASK)
            record.msg, record.args = text, None
        return True


def start_transcript(settings: Settings, command: str) -> tuple[Path, Callable[[], None]]:
    """Open a new log file for this run; returns its path and the function that closes it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = settings.log_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = free_name(folder, f"mailer-{stamp}-{command or 'run'}.log")
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"Подробный журнал работы не записывается в папку {folder}: {exc.strerror or exc}.",
            hint="Укажите другую папку в MAILER_LOG_DIR или запустите без --verbose.",
        ) from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    handler.addFilter(_MaskSecrets(_secret_forms(settings)))
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.info("mailer %s, настройки: %s", command, _safe_settings(settings))

    def stop() -> None:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        handler.close()

    return path, stop


def _safe_settings(settings: Settings) -> str:
    shown = []
    for name, value in settings:
        if "password" in name:
            value = MASK if value else None
        shown.append(f"{name}={value}")
    return ", ".join(shown)


def enabled() -> bool:
    return smtp_log.isEnabledFor(logging.DEBUG)


def _printable(data: bytes | str, limit: int = 500) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.rstrip("\r\n").replace("\r\n", " | ").replace("\n", " | ")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} символов)"


class LoggedSMTP(aiosmtplib.SMTP):
    """aiosmtplib's client, writing each command and answer to the transcript. AUTH's
    arguments and the lines of its exchange are written as ***."""

    _in_auth = False

    async def _create_connection(self, timeout: float | None) -> aiosmtplib.SMTPResponse:
        smtp_log.debug("соединение с %s:%s", self.hostname, self.port)
        response = await super()._create_connection(timeout)
        smtp_log.debug("S: %s %s", response.code, _printable(response.message))
        return response

    async def starttls(self, *args: Any, **kwargs: Any) -> aiosmtplib.SMTPResponse:
        await self._ehlo_or_helo_if_needed()  # as starttls() does first: the log in order
        smtp_log.debug("C: STARTTLS")
        response = await super().starttls(*args, **kwargs)
        smtp_log.debug("S: %s %s (соединение зашифровано)", response.code, response.message)
        return response

    async def execute_command(self, *args: bytes, **kwargs: Any) -> aiosmtplib.SMTPResponse:
        if args and args[0].upper() == b"AUTH":
            self._in_auth = True
            shown = " ".join(a.decode("ascii", "replace") for a in args[:2]) + f" {MASK}"
        elif self._in_auth:
            shown = MASK
        else:
            shown = _printable(b" ".join(args))
        smtp_log.debug("C: %s", shown)
        try:
            response = await super().execute_command(*args, **kwargs)
        except (aiosmtplib.SMTPException, OSError) as exc:
            smtp_log.debug("ошибка: %s", exc)
            raise
        if response.code != 334:
            self._in_auth = False
        smtp_log.debug(
            "S: %s %s", response.code, MASK if self._in_auth else _printable(response.message)
        )
        return response


# the command and, for AUTHENTICATE, its mechanism; what follows is a secret
_LOGIN = re.compile(rb"^(\S+ (?:LOGIN|AUTHENTICATE \S+))(?: .*|\r\n)", re.IGNORECASE | re.DOTALL)


class _LoggedIMAP:
    """Mixed into imaplib's clients: each line sent and received goes to the transcript; the
    LOGIN's arguments and AUTHENTICATE's exchange are written as ***, messages' contents by
    size only."""

    _in_auth = False

    def send(self, data: ReadableBuffer) -> None:
        data = bytes(data)
        if _LOGIN.match(data):
            self._in_auth = b"AUTHENTICATE" in data.upper()
            shown = _LOGIN.sub(rb"\1 ***", data).decode("ascii", "replace").rstrip()
        elif self._in_auth:
            shown = MASK if data.strip() else ""
        elif len(data) > 500:
            shown = f"<данные, {len(data)} байт>"
        else:
            shown = _printable(data)
        if shown:
            imap_log.debug("C: %s", shown)
        super().send(data)  # type: ignore[misc]

    def readline(self) -> bytes:
        line: bytes = super().readline()  # type: ignore[misc]
        if self._in_auth and not line.startswith(b"+"):
            self._in_auth = False
        imap_log.debug("S: %s", _printable(line))
        return line

    def read(self, size: int) -> bytes:
        data: bytes = super().read(size)  # type: ignore[misc]
        imap_log.debug("S: <данные, %s байт>", len(data))
        return data


class LoggedIMAP4(_LoggedIMAP, imaplib.IMAP4):
    pass


class LoggedIMAP4_SSL(_LoggedIMAP, imaplib.IMAP4_SSL):
    pass
