"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 with STARTTLS and AUTH.

It records the bytes it received and can be told, per address or per DATA, what to answer,
how long to wait, or to drop the connection.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USERNAME = "secretary"
PASSWORD = "s3cret-пароль"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    rcpt_answers: dict[str, list[str]] = field(default_factory=dict)
    data_answers: list[str] = field(default_factory=list)
    data_delay: float = 0.0
    drop_in_data: int = 0  # how many messages to answer by closing the connection
    data_command_drops: int = 0  # how many DATA commands to answer so, before the 354
    times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Once this many messages are in, further ones wait at DATA until `released` (at most
    # 10 s): a test that kills the client mid-stream cannot be outrun by a fast client.
    hold_after: int | None = None
    released: bool = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            answers = self.rcpt_answers.get(address)
            if answers:
                return answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def drop_at_data_command(self, envelope: Any) -> bool:
        with self.lock:
            if self.data_command_drops > 0:
                self.data_command_drops -= 1
                return True
        return False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            for _ in range(1000):
                if self.released:
                    break
                await asyncio.sleep(0.01)
            if server.transport is None or server.transport.is_closing():
                return "421 4.4.2 closing"  # the client is gone: it never heard a 250
        with self.lock:
            if self.drop_in_data > 0:
                self.drop_in_data -= 1
                server.transport.close()
                return "421 4.4.2 closing"
            if self.data_answers:
                answer = self.data_answers.pop(0)
                if not answer.startswith("250"):
                    return answer
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            self.times.append(time.monotonic())
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USERNAME.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Handler
    ca_file: Path
    controller: Any

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "MAILER_SMTP_HOST": self.host,
            "MAILER_SMTP_PORT": str(self.port),
            "MAILER_SMTP_SECURITY": "starttls",
            "MAILER_SMTP_USERNAME": USERNAME,
            "MAILER_SMTP_PASSWORD": PASSWORD,
            "MAILER_SMTP_CA_FILE": str(self.ca_file),
            "MAILER_SMTP_RETRY_DELAY": "0.05",
            "MAILER_SMTP_TIMEOUT": "10",
            "MAILER_SENDER": "Управление экономического развития <ed@economy.example.org>",
        }
        env.update(overrides)
        return env


class _SMTP(SMTP):
    """aiosmtpd's server, able to drop the connection at the DATA command itself, before the
    354 (no handler hook sees that moment: handle_DATA runs once the whole message is in).
    A handler asks for it with a ``drop_at_data_command(envelope) -> bool`` method."""

    async def smtp_DATA(self, arg: str) -> None:
        drop = getattr(self.event_handler, "drop_at_data_command", None)
        envelope = self.envelope
        if callable(drop) and envelope is not None and envelope.rcpt_tos and drop(envelope):
            assert self.transport is not None
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _SMTP(self.handler, **self.SMTP_kwargs)


def start_server(
    folder: Path, handler: Handler | None = None, *, implicit_tls: bool = False
) -> SmtpServer:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = folder / "smtp-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler = handler or Handler()
    port = free_port()
    tls: dict[str, Any] = (
        # aiosmtpd does not see implicit TLS as TLS: the connection is encrypted all the same
        {"ssl_context": context, "server_hostname": "127.0.0.1", "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = _Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        authenticator=_authenticate,
        **tls,
    )
    controller.start()
    return SmtpServer("127.0.0.1", port, handler, ca_file, controller)
