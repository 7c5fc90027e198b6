"""The program's settings: one pydantic-settings class, read from MAILER_* variables and .env.

Nothing else in the package reads the environment. Secrets are SecretStr so that they never reach
output, logs or the journal by accident.
"""

from __future__ import annotations

import ipaddress
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mailer.chars import line_unsafe
from mailer.errors import ConfigError

Security = Literal["none", "starttls", "tls"]

DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}
IMAP_PORTS: dict[str, int] = {"none": 143, "starttls": 143, "tls": 993}


# how each choice of MAILER_SMTP_SECURITY is said to the secretary
SECURITY_WORDS: dict[str, str] = {
    "starttls": "шифрование STARTTLS",
    "tls": "шифрование TLS",
    "none": "без шифрования",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAILER_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # Outgoing mail
    smtp_host: str = "localhost"
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: Security = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_allow_insecure_auth: bool = False
    smtp_verify_cert: bool = True
    smtp_ca_file: Path | None = None
    smtp_timeout: float = Field(default=60.0, gt=0)
    smtp_connections: int = Field(default=4, ge=1, le=32)
    smtp_rate_per_minute: float | None = Field(default=None, gt=0)
    smtp_max_attempts: int = Field(default=5, ge=1, le=50)
    smtp_retry_delay: float = Field(default=5.0, ge=0)
    smtp_helo_name: str | None = None

    # The office mailbox (IMAP): where replies arrive and where sent letters are copied
    imap_host: str | None = None
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_security: Security = "tls"
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = "INBOX"
    imap_sent_folder: str = "Sent"
    imap_save_sent: bool = True
    imap_timeout: float = Field(default=60.0, gt=0)
    imap_ca_file: Path | None = None
    imap_verify_cert: bool = True

    # Incoming mail: the largest message read whole (larger ones are classified from their
    # start; their attachments stay in the mailbox), and the authserv-id of the office's own
    # server in Authentication-Results (RFC 8601): unset, those headers are not looked at
    max_message_mb: int = Field(default=50, ge=1, le=2048)
    authserv_id: str | None = None

    sender: str | None = None
    reply_to: str | None = None

    # Where things live. The journal: a SQLite file (one person), or a PostgreSQL server's URL
    # postgresql://user@host:5432/db for an office; the password is best kept apart.
    db: str = "mailer.db"
    db_password: SecretStr | None = None
    # who is working, written beside every change in the journal (else the OS user and host)
    operator: str | None = Field(default=None, min_length=1, max_length=100)
    letters_dir: Path = Path("letters")
    replies_dir: Path = Path("replies")
    # CA certificates to report the signer's certificate chain against (trust is not required)
    signature_ca_file: Path | None = None
    # Where the details of an unexpected error and the --verbose transcript are written
    log_dir: Path = Path("logs")
    # The --verbose transcript on every run: SMTP and IMAP dialogue, the program's decisions
    verbose: bool = False

    @model_validator(mode="after")
    def _one_line_values(self) -> Settings:
        """Every value is one line without control characters: most go into a header or a
        protocol line (a line break there starts a header or a command of its own), the rest
        into documents, which cannot hold such characters either."""
        for name, value in self:
            if isinstance(value, SecretStr):
                value = value.get_secret_value()  # checked, never echoed
            if isinstance(value, Path):
                value = str(value)
            if isinstance(value, str):
                bad = line_unsafe(value)
                if bad:
                    raise ValueError(f"MAILER_{name.upper()}: недопустимый символ ({bad})")
        return self

    @field_validator("smtp_ca_file", "imap_ca_file", "signature_ca_file")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if str(value) in ("", "."):
            raise ValueError("пустое значение: укажите файл сертификата (PEM) или уберите строку")
        if not value.exists():
            raise ValueError(f"файла {value} нет")
        if not value.is_file():
            raise ValueError(f"{value} не файл (это папка?): нужен файл сертификата (PEM)")
        try:
            with value.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            raise ValueError(f"файл {value} не читается: {exc.strerror}") from None
        return value

    @field_validator("sender", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # an empty line in .env: not set (the organization's address is used)
        if line_unsafe(value):
            return value  # named by the check of all values, which runs after this one
        _, address = parseaddr(value)
        if "@" not in address:
            raise ValueError(
                f"«{value}» не похоже на адрес электронной почты (нужно: адрес или Имя <адрес>)"
            )
        return value

    @property
    def smtp_port_effective(self) -> int:
        return self.smtp_port or DEFAULT_PORTS[self.smtp_security]

    @property
    def imap_port_effective(self) -> int:
        return self.imap_port or IMAP_PORTS[self.imap_security]

    @property
    def max_message_bytes(self) -> int:
        return self.max_message_mb * 1024 * 1024

    @property
    def imap_configured(self) -> bool:
        return bool(self.imap_host)

    def check_auth_is_safe(self) -> None:
        """AUTH over plain text is allowed only to loopback, unless explicitly permitted."""
        if self.smtp_username is None or self.smtp_security != "none":
            return
        if self.smtp_allow_insecure_auth or _is_loopback(self.smtp_host):
            return
        raise ConfigError(
            f"Пароль к серверу {self.smtp_host} пришлось бы передать открытым текстом "
            "(MAILER_SMTP_SECURITY=none).",
            hint="Укажите MAILER_SMTP_SECURITY=starttls или tls. Если сеть доверенная и это "
            "осознанное решение, задайте MAILER_SMTP_ALLOW_INSECURE_AUTH=true.",
        )


def check_imap_auth_is_safe(settings: Settings) -> None:
    host = settings.imap_host or ""
    if settings.imap_security != "none" or settings.smtp_allow_insecure_auth:
        return
    if _is_loopback(host):
        return
    raise ConfigError(
        f"Пароль к почтовому ящику на {host} пришлось бы передать открытым текстом "
        "(MAILER_IMAP_SECURITY=none).",
        hint="Укажите MAILER_IMAP_SECURITY=tls или starttls. Если сеть доверенная и это "
        "осознанное решение, задайте MAILER_SMTP_ALLOW_INSECURE_AUTH=true.",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(env_file: Path | None = None) -> Settings:
    """Read settings, turning pydantic's report into one plain message."""
    try:
        if env_file is not None:
            return Settings(_env_file=env_file)  # type: ignore[call-arg]
        return Settings()
    except UnicodeDecodeError as exc:
        where = env_file or Path(".env")
        raise ConfigError(
            f"Файл настроек {where} не в кодировке UTF-8 (байт 0x{exc.object[exc.start]:02X} "
            f"в позиции {exc.start}).",
            hint="Сохраните его в UTF-8 (в Блокноте: «Сохранить как», кодировка UTF-8).",
        ) from None
    except OSError as exc:
        from mailer.system_ru import file_problem

        raise ConfigError(
            f"Файл настроек {env_file or '.env'} не читается: {file_problem(exc)}."
        ) from None
    except ValidationError as exc:
        from mailer.validation_ru import explain

        lines = []
        for err in exc.errors():
            name = "MAILER_" + "_".join(str(p) for p in err["loc"]).upper()
            if not err["loc"]:  # a check of several values names the setting itself
                lines.append(f"  {explain(err)}")
                continue
            lines.append(f"  {name}: {explain(err, show_input='PASSWORD' not in name)}")
        raise ConfigError(
            "Настройки программы заданы неверно:\n" + "\n".join(lines),
            hint="Проверьте переменные окружения и файл .env (образец: .env.example).",
        ) from None
