"""The office mailbox over IMAP (the standard library's imaplib, the fastest of the clients we
measured at fetching headers): connecting, and copying sent letters into the Sent folder."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import time

from mailer.errors import ServerError
from mailer.settings import Settings, check_imap_auth_is_safe
from mailer.system_ru import certificate_problem, connection_problem
from mailer.tls import tls_context


def _tls_context(settings: Settings) -> ssl.SSLContext:
    return tls_context(settings.imap_ca_file, settings.imap_verify_cert)


def connect(settings: Settings) -> imaplib.IMAP4:
    """A logged-in IMAP connection, or a ServerError in plain words."""
    check_imap_auth_is_safe(settings)
    host = settings.imap_host or ""
    port = settings.imap_port_effective
    where = f"{host}:{port}"
    plain, secure = imaplib.IMAP4, imaplib.IMAP4_SSL
    if logging.getLogger("mailer.imap").isEnabledFor(logging.DEBUG):  # --verbose transcript
        from mailer.transcript import LoggedIMAP4, LoggedIMAP4_SSL

        plain, secure = LoggedIMAP4, LoggedIMAP4_SSL
    try:
        client: imaplib.IMAP4
        if settings.imap_security == "tls":
            client = secure(
                host, port, ssl_context=_tls_context(settings), timeout=settings.imap_timeout
            )
        else:
            client = plain(host, port, timeout=settings.imap_timeout)
            if settings.imap_security == "starttls":
                client.starttls(ssl_context=_tls_context(settings))
    except (OSError, imaplib.IMAP4.error) as exc:
        certificate = certificate_problem(exc)
        if certificate:
            raise ServerError(
                f"Сертификат почтового ящика {where} не прошёл проверку: {certificate}.",
                hint="Проверьте MAILER_IMAP_HOST; для сертификата организации укажите файл её "
                "удостоверяющего центра в MAILER_IMAP_CA_FILE.",
            ) from None
        raise ServerError(
            f"Не удалось связаться с почтовым ящиком {where}: {connection_problem(exc)}.",
            hint="Проверьте MAILER_IMAP_HOST, MAILER_IMAP_PORT и MAILER_IMAP_SECURITY.",
        ) from None
    try:
        password = settings.imap_password.get_secret_value() if settings.imap_password else ""
        login(client, settings.imap_username or "", password)
    except imaplib.IMAP4.error:
        client.shutdown()
        raise ServerError(
            f"Почтовый ящик {where} не принял имя пользователя или пароль.",
            hint="Проверьте MAILER_IMAP_USERNAME и MAILER_IMAP_PASSWORD.",
        ) from None
    return client


def login(client: imaplib.IMAP4, username: str, password: str) -> None:
    """LOGIN for ASCII credentials; AUTHENTICATE PLAIN (UTF-8, RFC 4616) for others, which
    imaplib's LOGIN cannot send."""
    if username.isascii() and password.isascii():
        client.login(username, password)
        return
    token = b"\0" + username.encode() + b"\0" + password.encode()
    client.authenticate("PLAIN", lambda _challenge: token)


def quote_folder(name: str) -> str:
    """A folder name as IMAP wants it: in modified UTF-7 (RFC 3501 5.1.3, imapclient's codec),
    so that «Отправленные» works as well as «Sent», then quoted."""
    if name.isascii() and name.isprintable() and "&" not in name:
        encoded = name  # the same in modified UTF-7; spares the codec's import (50 ms)
    else:
        from imapclient import imap_utf7

        encoded = imap_utf7.encode(name).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SentCopier:
    """Appends each sent letter to the Sent folder; a failure is counted, never fatal."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: imaplib.IMAP4 | None = None
        self.stored = 0
        self.errors: list[str] = []
        self.gave_up = False

    def append(self, message: bytes) -> None:
        if self.gave_up:
            self.errors.append("копия не сохранена: почтовый ящик недоступен")
            return
        try:
            if self.client is None:
                try:
                    self.client = connect(self.settings)
                except ServerError:
                    # a refused login or an unreachable mailbox: do not knock on every letter
                    self.gave_up = True
                    raise
            status, data = self.client.append(
                quote_folder(self.settings.imap_sent_folder),
                r"(\Seen)",
                imaplib.Time2Internaldate(time.time()),
                message,
            )
            if status != "OK":
                raise imaplib.IMAP4.error(str(data))
            self.stored += 1
        except ServerError as exc:
            self.errors.append(str(exc))
            self.close()
        except imaplib.IMAP4.error as exc:
            self.errors.append(f"почтовый ящик не принял копию: {exc}")
            self.close()
        except OSError as exc:
            self.errors.append(f"связь с почтовым ящиком прервалась: {connection_problem(exc)}")
            self.close()

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.client.logout()
            self.client = None
